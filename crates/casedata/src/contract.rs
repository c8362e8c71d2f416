//! The case-data contract (`docs/case-data.md`): the tables and their columns with the Danish
//! headers they are known by, the options of a check, the persons table (ids refused when they
//! look like CPR numbers, or pseudonymised with a key), and `ingest`, which validates the
//! tables batch by batch into the panel. Files are read by [`crate::read`]; this module only
//! sees polars data frames batch by batch.

use crate::cpr::{Key, looks_like_cpr};
use crate::parse::{DecimalMark, Ymd};
use crate::read::{Period, TableReader};
use crate::{fxhash, parse};
use polars::prelude::*;
use som_core::catalogue::{DepartmentMap, PriceCatalogue};
use som_core::error::{Diagnostic, Error, Result};
use std::collections::HashMap;

/// The smallest disclosure threshold som accepts.
pub const MIN_DISCLOSURE_THRESHOLD: usize = 5;

/// The most different values of a category (segments, states) a table may hold.
pub const MAX_CATEGORIES: usize = 1_000;

/// Problems listed before the rest are only counted.
pub const MAX_LISTED_ERRORS: usize = 50;

/// The three tables of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    Persons,
    Services,
    States,
}

impl TableKind {
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Persons => "persons",
            TableKind::Services => "services",
            TableKind::States => "states",
        }
    }
}

/// A column of the contract, with the headers it is recognised by.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
}

const fn col(name: &'static str, required: bool, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        required,
        aliases,
    }
}

/// Columns of `persons`.
pub const PERSONS: &[ColumnSpec] = &[
    col(
        "person_id",
        true,
        &["personid", "id", "cpr", "cprnr", "borgerid", "pnr"],
    ),
    col(
        "municipality",
        true,
        &["kommune", "kommunekode", "komkode", "kommunenr"],
    ),
    col(
        "birth_year",
        true,
        &["birthyear", "fødselsår", "foedselsaar", "født"],
    ),
    col("sex", true, &["køn", "koen", "gender"]),
    col(
        "segment",
        true,
        &["målgruppe", "maalgruppe", "targetgroup", "gruppe"],
    ),
    col(
        "coordination_level",
        false,
        &["koordineringsniveau", "niveau", "level"],
    ),
    col("participant", true, &["deltager", "deltagelse", "treated"]),
    col(
        "start_date",
        false,
        &["startdato", "start", "indexdate", "indeksdato"],
    ),
];

/// Columns of `services`. `period` may be replaced by `year` (and `month`).
pub const SERVICES: &[ColumnSpec] = &[
    col(
        "person_id",
        true,
        &["personid", "id", "cpr", "cprnr", "borgerid", "pnr"],
    ),
    col(
        "period",
        true,
        &["dato", "date", "periode", "måned", "maaned", "month_start"],
    ),
    col("year", false, &["år", "aar"]),
    col("month", false, &["md", "måned_nr"]),
    col(
        "code",
        true,
        &[
            "funktion",
            "kontonummer",
            "ydelseskode",
            "servicecode",
            "konto",
            "function",
        ],
    ),
    col("units", false, &["antal", "enheder", "mængde"]),
    col("amount", true, &["beløb", "beloeb", "udgift", "kr"]),
    col(
        "refund",
        false,
        &["refusion", "tilbagebetaling", "korrektion"],
    ),
    col("actor", false, &["aktør", "aktoer", "betaler"]),
];

/// Columns of `states`.
pub const STATES: &[ColumnSpec] = &[
    col(
        "person_id",
        true,
        &["personid", "id", "cpr", "cprnr", "borgerid", "pnr"],
    ),
    col(
        "period",
        true,
        &["dato", "date", "periode", "måned", "maaned"],
    ),
    col("year", false, &["år", "aar"]),
    col("month", false, &["md"]),
    col("state", true, &["tilstand", "status"]),
];

/// Options of an ingest.
#[derive(Debug, Clone)]
pub struct Options {
    /// Groups smaller than this are suppressed in every output (≥ 5).
    pub disclosure_threshold: usize,
    /// Pseudonymisation key; without it CPR-like identifiers are refused.
    pub key: Option<Key>,
    /// Declared period (year, month) from–to, inclusive.
    pub period: Option<Period>,
    /// Decimal mark of numbers written as text; detected when `None`.
    pub decimal: Option<DecimalMark>,
    /// Reference year of non-participants for the relative-year summary; default the median
    /// start year of the participants.
    pub reference_year: Option<i32>,
    /// Also keep person × department × month amounts (for estimation; 4 bytes per person,
    /// department and month).
    pub monthly: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            disclosure_threshold: MIN_DISCLOSURE_THRESHOLD,
            key: None,
            period: None,
            decimal: None,
            reference_year: None,
            monthly: false,
        }
    }
}

/// Diagnostics collected while reading tables: the first [`MAX_LISTED_ERRORS`] are kept.
#[derive(Debug, Default)]
pub struct Problems {
    pub listed: Vec<Diagnostic>,
    pub more: usize,
}

impl Problems {
    pub fn push(&mut self, file: &str, row: Option<usize>, column: &str, message: String) {
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(Diagnostic {
                file: file.to_string(),
                line: None,
                column: None,
                field: column.to_string(),
                row,
                message,
            });
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Take over another collection's problems, keeping the listing limit.
    pub fn absorb(&mut self, other: Problems) {
        for d in other.listed {
            if self.listed.len() < MAX_LISTED_ERRORS {
                self.listed.push(d);
            } else {
                self.more += 1;
            }
        }
        self.more += other.more;
    }

    /// The error of all problems, with a last line counting the unlisted ones.
    pub fn into_error(mut self) -> Error {
        if self.more > 0 {
            let file = self
                .listed
                .last()
                .map(|d| d.file.clone())
                .unwrap_or_default();
            self.listed.push(Diagnostic {
                file,
                line: None,
                column: None,
                field: String::new(),
                row: None,
                message: format!("… and {} more problems not listed", self.more),
            });
        }
        Error::Invalid(self.listed)
    }
}

/// Show an identifier in a message, masking one that looks like a CPR number.
pub fn shown_id(id: &str) -> String {
    if crate::cpr::contains_cpr_like(id) {
        "<a CPR-like id, not shown>".to_string()
    } else {
        shown_value(id)
    }
}

/// A cell's value as a message may quote it: in quotes and at most 40 characters, or not at
/// all when any part of it looks like a CPR number. Every message that quotes a value of case
/// data quotes it through here.
pub fn shown_value(v: &str) -> String {
    if crate::cpr::contains_cpr_like(v) {
        return "<a value like a CPR number, not shown>".to_string();
    }
    let mut cut: String = v.chars().take(40).collect();
    if cut.len() < v.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// Map a table's headers to the contract's columns: contract name → header in the file.
pub fn map_columns(
    headers: &[String],
    specs: &[ColumnSpec],
    kind: TableKind,
    file: &str,
    problems: &mut Problems,
) -> HashMap<&'static str, String> {
    let folded: Vec<String> = headers.iter().map(|h| parse::fold_header(h)).collect();
    let mut out = HashMap::new();
    for spec in specs {
        let want = parse::fold_header(spec.name);
        let found = folded.iter().position(|h| *h == want).or_else(|| {
            folded
                .iter()
                .position(|h| spec.aliases.iter().any(|a| parse::fold_header(a) == *h))
        });
        if let Some(i) = found {
            out.insert(spec.name, headers[i].clone());
        }
    }
    let has_year = out.contains_key("year");
    for spec in specs {
        if !spec.required || out.contains_key(spec.name) || (spec.name == "period" && has_year) {
            continue;
        }
        let unused: Vec<&str> = headers
            .iter()
            .filter(|h| !out.values().any(|v| v == *h))
            .map(|h| h.as_str())
            .collect();
        let hint = if unused.iter().any(|h| crate::cpr::contains_cpr_like(h)) {
            String::new()
        } else {
            som_core::error::suggest(spec.name, &unused)
        };
        let alt = if spec.name == "period" {
            " (or `year` and `month`)"
        } else {
            ""
        };
        // Row 0 is the header row.
        problems.push(
            file,
            Some(0),
            spec.name,
            format!(
                "the {} table has no column `{}`{alt}{hint}; its columns are {}",
                kind.name(),
                spec.name,
                // A file without a header row has its first row's values as headers: quoted
                // only through the guard of every cell value.
                headers
                    .iter()
                    .map(|h| shown_value(h))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    out
}

/// Persons of the case data.
#[derive(Debug, Clone, Default)]
pub struct Persons {
    /// Pseudonymous ids (pseudonyms where a key was given). Never written anywhere.
    pub ids: Vec<String>,
    pub municipality: Vec<u16>,
    pub birth_year: Vec<i32>,
    /// `F` or `M`.
    pub sex: Vec<u8>,
    /// Index into `segments`.
    pub segment: Vec<u16>,
    pub segments: Vec<String>,
    /// 1–3, or 0 when unknown.
    pub coordination_level: Vec<u8>,
    pub participant: Vec<bool>,
    pub start: Vec<Option<Ymd>>,
}

impl Persons {
    /// Some persons only (`rows`, in this order), as if the case data held only them: segments
    /// numbered in the order they first appear among them.
    pub fn subset(&self, rows: &[u32]) -> Persons {
        let mut p = Persons::default();
        let mut seg: HashMap<u16, u16> = HashMap::new();
        for &r in rows {
            let r = r as usize;
            let s = self.segment[r];
            let n = seg.len() as u16;
            let ix = *seg.entry(s).or_insert_with(|| {
                p.segments
                    .push(self.segments.get(s as usize).cloned().unwrap_or_default());
                n
            });
            p.ids.push(self.ids[r].clone());
            p.municipality.push(self.municipality[r]);
            p.birth_year.push(self.birth_year[r]);
            p.sex.push(self.sex[r]);
            p.segment.push(ix);
            p.coordination_level.push(self.coordination_level[r]);
            p.participant.push(self.participant[r]);
            p.start.push(self.start[r]);
        }
        p
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Text values of a column (any dtype is rendered as text), for the slow, careful path.
pub fn text_values(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    match df
        .column(name)
        .ok()
        .and_then(|c| text(c.as_materialized_series()))
    {
        Some(ca) => ca.iter().map(|v| v.map(str::to_string)).collect(),
        None => vec![None; df.height()],
    }
}

/// A column as text, whatever its type: text as it is; dates (Parquet's `Date32`, what pandas,
/// polars and R write) as `YYYY-MM-DD`; timestamps as the date they fall on; numbers and
/// flags as they print. The contract's checks then parse the text.
pub fn text(s: &Series) -> Option<StringChunked> {
    let cast = match s.dtype() {
        DataType::String => return s.str().ok().cloned(),
        DataType::Datetime(_, _) => s.cast(&DataType::Date).ok()?.cast(&DataType::String),
        _ => s.cast(&DataType::String),
    };
    cast.ok()?.str().ok().cloned()
}

/// Identifier index: id text → person index. Ids that are canonical integers are also
/// indexed as integers, so that integer id columns are looked up without formatting.
#[derive(Debug, Default)]
pub struct IdIndex {
    pub by_text: fxhash::FxMap<String, u32>,
    pub by_int: fxhash::FxMap<i64, u32>,
}

impl IdIndex {
    fn insert(&mut self, id: &str, idx: u32) -> Option<u32> {
        if let Ok(i) = id.parse::<i64>()
            && i.to_string() == id
        {
            self.by_int.insert(i, idx);
        }
        self.by_text.insert(id.to_string(), idx)
    }
    pub fn get(&self, id: &str) -> Option<u32> {
        match self.by_text.get(id) {
            Some(&i) => Some(i),
            None => self.by_text.get(id.trim()).copied(),
        }
    }
}

/// Read and validate the persons table. Returns the persons and the index of their original
/// ids (before pseudonymisation), which services and states are joined on.
pub fn read_persons(
    reader: &mut TableReader,
    municipalities: &[u16],
    opts: &Options,
    problems: &mut Problems,
) -> Result<(Persons, IdIndex)> {
    let file = reader.info.file.clone();
    let cols = map_columns(
        reader.headers(),
        PERSONS,
        TableKind::Persons,
        &file,
        problems,
    );
    let mut p = Persons::default();
    let mut index = IdIndex::default();
    if !problems.is_empty() {
        return Ok((p, index));
    }
    let names: Vec<String> = cols.values().cloned().collect();
    let get = |name: &str| cols.get(name).cloned().unwrap_or_default();
    let mut segment_ix: HashMap<String, u16> = HashMap::new();
    let mut cpr_rows = 0usize;
    while let Some((first, df)) = reader.next_batch(&names)? {
        let id = text_values(&df, &get("person_id"));
        // A CPR number stored as a number (Excel, Parquet's integers) has lost the leading
        // zero of days 1–9: nine digits that, padded, are a CPR number.
        let numeric_ids = df
            .column(&get("person_id"))
            .is_ok_and(|c| c.dtype().is_numeric());
        let mun = text_values(&df, &get("municipality"));
        let by = text_values(&df, &get("birth_year"));
        let sex = text_values(&df, &get("sex"));
        let seg = text_values(&df, &get("segment"));
        let lvl = text_values(&df, &get("coordination_level"));
        let part = text_values(&df, &get("participant"));
        let start = text_values(&df, &get("start_date"));
        for i in 0..df.height() {
            let row = first + i;
            let mut bad = |column: &str, msg: String| problems.push(&file, Some(row), column, msg);
            let Some(raw_id) = id[i].as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
                bad("person_id", "is empty; every person needs an id".into());
                continue;
            };
            let cpr = looks_like_cpr(raw_id)
                || (numeric_ids && raw_id.len() == 9 && looks_like_cpr(&format!("0{raw_id}")));
            if opts.key.is_none() && cpr {
                cpr_rows += 1;
                if cpr_rows == 1 {
                    bad(
                        "person_id",
                        "looks like a CPR number; refused. Pseudonymise the ids first, or run \
                         with --pseudonymize and a key in SOM_PSEUDONYM_KEY or --key-file"
                            .into(),
                    );
                }
                continue;
            }
            let idx = p.ids.len() as u32;
            if let Some(prev) = index.insert(raw_id, idx) {
                bad(
                    "person_id",
                    format!(
                        "{} also on row {}; person ids must be unique",
                        shown_id(raw_id),
                        prev as usize + 1
                    ),
                );
            }
            let code = mun[i].as_deref().map(str::trim).unwrap_or("");
            // A code with a leading zero (`0751`, as the CPR register writes it) is not read as
            // another number silently: the message says how to write it.
            let m = code
                .parse::<u16>()
                .ok()
                .filter(|_| !(code.len() > 1 && code.starts_with('0')))
                .filter(|m| municipalities.is_empty() || municipalities.contains(m));
            if m.is_none() && code.len() > 1 && code.starts_with('0') {
                bad(
                    "municipality",
                    format!(
                        "expected a three-digit municipality code (kommunekode), found {}; \
                         write it without the leading zero ({})",
                        shown_value(code),
                        code.trim_start_matches('0')
                    ),
                );
            } else if m.is_none() {
                bad(
                    "municipality",
                    format!(
                        "expected a three-digit municipality code (kommunekode) of \
                         datasets/reference/municipalities.csv, found {}",
                        shown_value(mun[i].as_deref().unwrap_or(""))
                    ),
                );
            }
            let b = by[i]
                .as_deref()
                .and_then(|s| s.trim().parse::<i32>().ok())
                .filter(|y| (1900..=2100).contains(y));
            if b.is_none() {
                bad(
                    "birth_year",
                    format!(
                        "expected a year, found {}",
                        shown_value(by[i].as_deref().unwrap_or(""))
                    ),
                );
            }
            let sx = sex[i].as_deref().and_then(parse::sex);
            if sx.is_none() {
                bad(
                    "sex",
                    format!(
                        "expected F or M (K), found {}",
                        shown_value(sex[i].as_deref().unwrap_or(""))
                    ),
                );
            }
            let mut sg = seg[i].as_deref().map(str::trim).filter(|s| !s.is_empty());
            match sg {
                None => bad(
                    "segment",
                    "is empty; expected the target-group segment".into(),
                ),
                // A label is shown in reports: never one that looks like a CPR number.
                Some(s) if crate::cpr::contains_cpr_like(s) => {
                    bad(
                        "segment",
                        "holds a value like a CPR number (not shown); expected the \
                         target-group segment"
                            .into(),
                    );
                    sg = None;
                }
                Some(s) if !segment_ix.contains_key(s) && segment_ix.len() >= MAX_CATEGORIES => {
                    bad(
                        "segment",
                        format!(
                            "a segment beyond the first {MAX_CATEGORIES} different ones; a \
                             segment names a target group"
                        ),
                    );
                    sg = None;
                }
                Some(_) => {}
            }
            let lv = match lvl[i].as_deref().map(str::trim) {
                None | Some("") => 0,
                Some(s) => match s.parse::<u8>() {
                    Ok(l @ 1..=3) => l,
                    _ => {
                        bad(
                            "coordination_level",
                            format!("expected 1, 2 or 3 (or empty), found {}", shown_value(s)),
                        );
                        0
                    }
                },
            };
            let pa = part[i].as_deref().and_then(parse::boolean);
            if pa.is_none() {
                bad(
                    "participant",
                    format!(
                        "expected a yes/no value (1/0, true/false, ja/nej), found {}",
                        shown_value(part[i].as_deref().unwrap_or(""))
                    ),
                );
            }
            let st = match start[i].as_deref().map(str::trim) {
                None | Some("") => None,
                Some(s) => match parse::date(s) {
                    Some(d) => Some(d),
                    None => {
                        bad(
                            "start_date",
                            format!(
                                "expected a date (DD-MM-YYYY or YYYY-MM-DD), found {}",
                                shown_value(s)
                            ),
                        );
                        None
                    }
                },
            };
            if pa == Some(true)
                && st.is_none()
                && start[i].as_deref().is_none_or(|s| s.trim().is_empty())
            {
                bad(
                    "start_date",
                    "is empty for a participant; a participant needs the date they started".into(),
                );
            }
            if let (Some(((fy, fm), (ty, tm))), Some((y, m, _))) = (opts.period, st)
                && ((y, m) < (fy, fm) || (y, m) > (ty, tm))
            {
                bad(
                    "start_date",
                    format!("{y}-{m:02} is outside the declared period {fy}-{fm:02}–{ty}-{tm:02}"),
                );
            }
            let seg_ix = match sg {
                Some(s) => {
                    let n = segment_ix.len() as u16;
                    *segment_ix.entry(s.to_string()).or_insert_with(|| {
                        p.segments.push(s.to_string());
                        n
                    })
                }
                None => 0,
            };
            p.ids.push(match &opts.key {
                Some(k) => k.pseudonym(raw_id),
                None => raw_id.to_string(),
            });
            p.municipality.push(m.unwrap_or(0));
            p.birth_year.push(b.unwrap_or(0));
            p.sex.push(sx.map(|s| s.as_bytes()[0]).unwrap_or(b'?'));
            p.segment.push(seg_ix);
            p.coordination_level.push(lv);
            p.participant.push(pa.unwrap_or(false));
            p.start.push(st);
        }
    }
    if cpr_rows > 1 {
        problems.push(
            &file,
            None,
            "person_id",
            format!("{cpr_rows} ids in all look like CPR numbers; none is shown"),
        );
    }
    if p.is_empty() && problems.is_empty() {
        problems.push(&file, None, "", "the persons table has no rows".into());
    }
    Ok((p, index))
}

/// The tables to read.
pub struct Tables<'a> {
    pub persons: &'a mut TableReader,
    pub services: &'a mut TableReader,
    pub states: Option<&'a mut TableReader>,
}

/// Reference data and catalogues the case data are checked against.
pub struct Reference<'a> {
    pub municipalities: &'a [u16],
    pub departments: &'a DepartmentMap,
    pub prices: &'a PriceCatalogue,
}

/// Replace the person ids of a table by their pseudonyms under `key`. Returns the name of the
/// column that was replaced.
pub fn pseudonymize_frame(df: &mut DataFrame, file: &str, key: &Key) -> Result<String> {
    let headers: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut problems = Problems::default();
    let cols = map_columns(
        &headers,
        &PERSONS[..1],
        TableKind::Persons,
        file,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(problems.into_error());
    }
    let name = cols["person_id"].clone();
    let ids = text_values(df, &name);
    let pseudo: Vec<Option<String>> = ids
        .iter()
        .map(|v| v.as_deref().map(|id| key.pseudonym(id)))
        .collect();
    df.with_column(Column::new(name.as_str().into(), pseudo))
        .map_err(|e| Error::Write {
            path: file.into(),
            message: e.to_string(),
        })?;
    Ok(name)
}
