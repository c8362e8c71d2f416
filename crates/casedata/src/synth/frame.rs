//! Column buffers of the three tables, and their polars `DataFrame`s in the columns and types
//! of the case-data contract (`docs/case-data.md`).

use super::model::{SEGMENTS, State};
use polars::prelude::*;

/// The pseudonymous id of the person with 0-based global index `i`: `S0000001`, … Never
/// CPR-like (a letter and seven or more digits).
pub fn person_id(i: u64) -> String {
    format!("S{:07}", i + 1)
}

/// Rows of `persons`.
#[derive(Debug, Default, Clone)]
pub struct PersonCols {
    pub index: Vec<u64>,
    pub municipality: Vec<i32>,
    pub birth_year: Vec<i32>,
    pub female: Vec<bool>,
    pub segment: Vec<u8>,
    pub level: Vec<Option<u8>>,
    pub participant: Vec<bool>,
    pub start_date: Vec<Option<String>>,
}

impl PersonCols {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        index: u64,
        municipality: i32,
        birth_year: i32,
        female: bool,
        segment: u8,
        level: Option<u8>,
        participant: bool,
        start_date: Option<String>,
    ) {
        self.index.push(index);
        self.municipality.push(municipality);
        self.birth_year.push(birth_year);
        self.female.push(female);
        self.segment.push(segment);
        self.level.push(level);
        self.participant.push(participant);
        self.start_date.push(start_date);
    }

    pub fn append(&mut self, other: &mut PersonCols) {
        self.index.append(&mut other.index);
        self.municipality.append(&mut other.municipality);
        self.birth_year.append(&mut other.birth_year);
        self.female.append(&mut other.female);
        self.segment.append(&mut other.segment);
        self.level.append(&mut other.level);
        self.participant.append(&mut other.participant);
        self.start_date.append(&mut other.start_date);
    }

    pub fn clear(&mut self) {
        *self = PersonCols::default();
    }

    /// The `persons` table.
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            StringChunked::from_iter_values(
                "person_id".into(),
                self.index.iter().map(|&i| person_id(i)),
            )
            .into_column(),
            Int32Chunked::from_slice("municipality".into(), &self.municipality).into_column(),
            Int32Chunked::from_slice("birth_year".into(), &self.birth_year).into_column(),
            StringChunked::from_iter_values(
                "sex".into(),
                self.female.iter().map(|&f| if f { "F" } else { "M" }),
            )
            .into_column(),
            StringChunked::from_iter_values(
                "segment".into(),
                self.segment.iter().map(|&s| SEGMENTS[s as usize]),
            )
            .into_column(),
            Int32Chunked::from_iter_options(
                "coordination_level".into(),
                self.level.iter().map(|l| l.map(i32::from)),
            )
            .into_column(),
            BooleanChunked::from_slice("participant".into(), &self.participant).into_column(),
            StringChunked::from_iter_options(
                "start_date".into(),
                self.start_date.iter().map(|d| d.as_deref()),
            )
            .into_column(),
        ])
    }
}

/// Rows of `services`; `person` is an index into the chunk's (or buffer's) persons, resolved
/// to a global index by `first`.
#[derive(Debug, Default, Clone)]
pub struct ServiceCols {
    pub person: Vec<u64>,
    pub month: Vec<u16>,
    pub code: Vec<&'static str>,
    pub units: Vec<f64>,
    pub amount: Vec<f64>,
    pub refund: Vec<bool>,
}

impl ServiceCols {
    pub fn len(&self) -> usize {
        self.person.len()
    }

    pub fn is_empty(&self) -> bool {
        self.person.is_empty()
    }

    pub fn push(
        &mut self,
        person: u32,
        month: u16,
        code: &'static str,
        units: f64,
        amount: f64,
        refund: bool,
    ) {
        self.person.push(person as u64);
        self.month.push(month);
        self.code.push(code);
        self.units.push(units);
        self.amount.push(amount);
        self.refund.push(refund);
    }

    /// Turn chunk-local person indices into global ones.
    pub fn globalise(&mut self, first: u64) {
        for p in &mut self.person {
            *p += first;
        }
    }

    pub fn append(&mut self, other: &mut ServiceCols) {
        self.person.append(&mut other.person);
        self.month.append(&mut other.month);
        self.code.append(&mut other.code);
        self.units.append(&mut other.units);
        self.amount.append(&mut other.amount);
        self.refund.append(&mut other.refund);
    }

    pub fn clear(&mut self) {
        *self = ServiceCols::default();
    }

    /// The `services` table (person indices must be global).
    pub fn frame(&self, periods: &[String]) -> PolarsResult<DataFrame> {
        let ids = IdTable::new(&self.person);
        DataFrame::new_infer_height(vec![
            StringChunked::from_iter_values(
                "person_id".into(),
                self.person.iter().map(|&p| ids.get(p)),
            )
            .into_column(),
            StringChunked::from_iter_values(
                "period".into(),
                self.month.iter().map(|&m| periods[m as usize].as_str()),
            )
            .into_column(),
            StringChunked::from_iter_values("code".into(), self.code.iter().copied()).into_column(),
            Float64Chunked::from_slice("units".into(), &self.units).into_column(),
            Float64Chunked::from_slice("amount".into(), &self.amount).into_column(),
            BooleanChunked::from_slice("refund".into(), &self.refund).into_column(),
        ])
    }
}

/// Rows of `states`, one per person and month.
#[derive(Debug, Default, Clone)]
pub struct StateCols {
    pub person: Vec<u64>,
    pub month: Vec<u16>,
    pub state: Vec<State>,
}

impl StateCols {
    pub fn len(&self) -> usize {
        self.person.len()
    }

    pub fn is_empty(&self) -> bool {
        self.person.is_empty()
    }

    pub fn push(&mut self, person: u32, month: u16, state: State) {
        self.person.push(person as u64);
        self.month.push(month);
        self.state.push(state);
    }

    pub fn globalise(&mut self, first: u64) {
        for p in &mut self.person {
            *p += first;
        }
    }

    pub fn append(&mut self, other: &mut StateCols) {
        self.person.append(&mut other.person);
        self.month.append(&mut other.month);
        self.state.append(&mut other.state);
    }

    pub fn clear(&mut self) {
        *self = StateCols::default();
    }

    /// The `states` table (person indices must be global).
    pub fn frame(&self, periods: &[String]) -> PolarsResult<DataFrame> {
        let ids = IdTable::new(&self.person);
        DataFrame::new_infer_height(vec![
            StringChunked::from_iter_values(
                "person_id".into(),
                self.person.iter().map(|&p| ids.get(p)),
            )
            .into_column(),
            StringChunked::from_iter_values(
                "period".into(),
                self.month.iter().map(|&m| periods[m as usize].as_str()),
            )
            .into_column(),
            StringChunked::from_iter_values("state".into(), self.state.iter().map(|s| s.as_str()))
                .into_column(),
        ])
    }
}

/// Person ids for a contiguous range of global indices, formatted once.
struct IdTable {
    first: u64,
    ids: Vec<String>,
}

impl IdTable {
    fn new(persons: &[u64]) -> IdTable {
        let first = persons.iter().copied().min().unwrap_or(0);
        let last = persons.iter().copied().max().unwrap_or(0);
        let ids = if persons.is_empty() {
            Vec::new()
        } else {
            (first..=last).map(person_id).collect()
        };
        IdTable { first, ids }
    }

    fn get(&self, p: u64) -> &str {
        &self.ids[(p - self.first) as usize]
    }
}
