//! The data-quality report of a case-data set: what was read and how, coverage by department
//! and year, unknown codes, suspicious values. Aggregates only; every count of persons below the
//! disclosure threshold is suppressed.

use crate::contract::{Options, Persons, Reference};
use crate::panel::{Panel, ore};
use crate::parse::DecimalMark;
use crate::read::FileInfo;
use crate::services::{LARGE_AMOUNT, ServiceStats, States};
use serde::Serialize;

/// A count that is blank when it describes fewer persons than the threshold.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Count {
    pub key: String,
    pub persons: Option<u64>,
    pub suppressed: bool,
}

fn count(key: String, persons: u64, threshold: usize) -> Count {
    let small = persons > 0 && persons < threshold as u64;
    Count {
        key,
        persons: (!small).then_some(persons),
        suppressed: small,
    }
}

/// The label of the group that gathers rare and unshowable categories.
pub const OTHER: &str =
    "(other categories, each with fewer persons than the threshold or not shown)";

/// Counts of persons by a category read from case data (a segment, a state). A label is shown
/// only when at least `threshold` persons have it and no part of it looks like a CPR number: a
/// label is data, and a rare one can point at a person. The others are gathered in one row,
/// [`OTHER`], its count suppressed in turn when it is small. Shown labels keep their order.
fn category_counts(labels: impl Iterator<Item = (String, u64)>, threshold: usize) -> Vec<Count> {
    let mut shown = Vec::new();
    let (mut other, mut others) = (0u64, 0usize);
    for (label, n) in labels {
        if n >= threshold as u64 && !crate::cpr::contains_cpr_like(&label) {
            shown.push(count(label, n, threshold));
        } else if n > 0 {
            other += n;
            others += 1;
        }
    }
    if others > 0 {
        shown.push(count(OTHER.to_string(), other, threshold));
    }
    shown
}

/// Coverage of one department.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DepartmentCoverage {
    pub department: String,
    pub actor: String,
    pub rows: Option<u64>,
    pub amount: Option<f64>,
    /// Persons with at least one row in the department.
    pub persons: Option<u64>,
    pub suppressed: bool,
}

/// Coverage of one calendar year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct YearCoverage {
    pub year: i32,
    pub amount: Option<f64>,
    pub persons: Option<u64>,
    pub suppressed: bool,
}

/// A check that found rows worth a look.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Suspicious {
    pub check: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonsReport {
    pub persons: u64,
    pub participants: Option<u64>,
    pub non_participants: Option<u64>,
    pub by_segment: Vec<Count>,
    pub by_coordination_level: Vec<Count>,
    pub by_municipality: Vec<Count>,
    pub birth_years: Option<(i32, i32)>,
    pub start_years: Option<(i32, i32)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServicesReport {
    pub rows: u64,
    pub first_period: Option<String>,
    pub last_period: Option<String>,
    /// Decimal mark used for numbers written as text.
    pub decimal_mark: Option<DecimalMark>,
    /// Contract column ← header in the file.
    pub columns: Vec<(String, String)>,
    pub persons_with_services: Option<u64>,
    pub persons_without_services: Option<u64>,
    pub by_department: Vec<DepartmentCoverage>,
    pub by_year: Vec<YearCoverage>,
    pub suspicious: Vec<Suspicious>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatesReport {
    pub rows: u64,
    pub columns: Vec<(String, String)>,
    pub by_state: Vec<Count>,
}

/// Everything the data-quality report says.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QualityReport {
    pub format: &'static str,
    pub disclosure_threshold: usize,
    pub pseudonymised: bool,
    pub declared_period: Option<String>,
    pub files: Vec<FileInfo>,
    pub persons: PersonsReport,
    pub services: ServicesReport,
    pub states: Option<StatesReport>,
}

fn ym((y, m): (i32, u32)) -> String {
    format!("{y}-{m:02}")
}

/// Build the report from what ingest found.
pub fn build(
    persons: &Persons,
    svc: &crate::services::Services,
    states: Option<&States>,
    files: &[FileInfo],
    reference: &Reference<'_>,
    opts: &Options,
) -> QualityReport {
    let t = opts.disclosure_threshold;
    let n = persons.len() as u64;
    let participants = persons.participant.iter().filter(|&&p| p).count() as u64;
    let small = |x: u64| x > 0 && x < t as u64;
    let mut segments: Vec<(String, u64)> = persons
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let c = persons.segment.iter().filter(|&&g| g as usize == i).count() as u64;
            (s.clone(), c)
        })
        .collect();
    segments.sort_by(|a, b| a.0.cmp(&b.0));
    let by_segment = category_counts(segments.into_iter(), t);
    let by_coordination_level = (0..=3u8)
        .map(|l| {
            let c = persons
                .coordination_level
                .iter()
                .filter(|&&x| x == l)
                .count() as u64;
            let key = if l == 0 {
                "unknown".to_string()
            } else {
                l.to_string()
            };
            count(key, c, t)
        })
        .filter(|c| c.persons != Some(0))
        .collect();
    let mut muni: std::collections::BTreeMap<u16, u64> = Default::default();
    for &m in &persons.municipality {
        *muni.entry(m).or_insert(0) += 1;
    }
    let by_municipality = muni
        .into_iter()
        .map(|(m, c)| count(format!("{m:03}"), c, t))
        .collect();
    let birth_years = persons
        .birth_year
        .iter()
        .copied()
        .fold(None, |acc: Option<(i32, i32)>, y| {
            Some(acc.map_or((y, y), |(a, b)| (a.min(y), b.max(y))))
        });
    let start_years = persons
        .start
        .iter()
        .flatten()
        .map(|d| d.0)
        .fold(None, |acc: Option<(i32, i32)>, y| {
            Some(acc.map_or((y, y), |(a, b)| (a.min(y), b.max(y))))
        });

    let panel: &Panel = &svc.panel;
    let nd = panel.departments.len();
    // One pass over the panel: which departments each person ever used, and per year the
    // persons with any service and the amount.
    let mut used_depts = vec![0u64; panel.persons];
    let mut by_year = Vec::new();
    let mut in_year = vec![false; panel.persons];
    for year in panel.years() {
        in_year.fill(false);
        let mut amount = 0.0;
        for d in 0..nd {
            let Some(cells) = panel.slab(year, d as u16) else {
                continue;
            };
            for (p, c) in cells.iter().enumerate() {
                if c.rows > 0 {
                    in_year[p] = true;
                    used_depts[p] |= 1 << (d % 64);
                    amount += c.amount;
                }
            }
        }
        let persons_year = in_year.iter().filter(|&&u| u).count() as u64;
        by_year.push(YearCoverage {
            year,
            amount: (!small(persons_year)).then_some(ore(amount)),
            persons: (!small(persons_year)).then_some(persons_year),
            suppressed: small(persons_year),
        });
    }
    let dept_persons: Vec<u64> = (0..nd)
        .map(|d| {
            used_depts
                .iter()
                .filter(|&&m| m & (1 << (d % 64)) != 0)
                .count() as u64
        })
        .collect();
    let with = used_depts.iter().filter(|&&m| m != 0).count() as u64;
    let stats: &ServiceStats = &svc.stats;
    let map = reference.departments;
    let by_department = (0..nd)
        .filter(|&d| stats.dept_rows[d] > 0)
        .map(|d| {
            let s = small(dept_persons[d]);
            DepartmentCoverage {
                department: map.departments[d].id.clone(),
                actor: map.departments[d].actor.clone(),
                rows: (!s).then_some(stats.dept_rows[d]),
                amount: (!s).then_some(ore(stats.dept_amount[d])),
                persons: (!s).then_some(dept_persons[d]),
                suppressed: s,
            }
        })
        .collect();
    let mut suspicious = Vec::new();
    for (check, rows) in [
        ("rows with amount 0", stats.zero_amount_rows),
        (
            "rows with a single amount above 2,500,000 kr.",
            stats.large_amount_rows,
        ),
        (
            "rows with negative units (not refunds)",
            stats.negative_unit_rows,
        ),
        ("refund rows (negative amounts allowed)", stats.refund_rows),
    ] {
        if rows > 0 {
            suspicious.push(Suspicious {
                check: check.to_string(),
                rows,
            });
        }
    }
    let _ = LARGE_AMOUNT;
    let states = states.map(|s| {
        let mut ever = vec![vec![false; persons.len()]; s.names.len()];
        for r in &s.rows {
            ever[r.state as usize][r.person as usize] = true;
        }
        let per_state: Vec<u64> = ever
            .iter()
            .map(|v| v.iter().filter(|&&b| b).count() as u64)
            .collect();
        StatesReport {
            rows: s.rows.len() as u64,
            columns: s.columns.clone(),
            by_state: category_counts(s.names.iter().cloned().zip(per_state), t),
        }
    });
    QualityReport {
        format: "som-quality/1",
        disclosure_threshold: t,
        pseudonymised: opts.key.is_some(),
        declared_period: opts.period.map(|(a, b)| format!("{}–{}", ym(a), ym(b))),
        files: files.to_vec(),
        persons: PersonsReport {
            persons: n,
            participants: (!small(participants)).then_some(participants),
            non_participants: (!small(n - participants)).then_some(n - participants),
            by_segment,
            by_coordination_level,
            by_municipality,
            birth_years,
            start_years,
        },
        services: ServicesReport {
            rows: stats.rows,
            first_period: stats.first_period.map(ym),
            last_period: stats.last_period.map(ym),
            decimal_mark: stats.decimal,
            columns: stats.columns.clone(),
            persons_with_services: (!small(with)).then_some(with),
            persons_without_services: (!small(n - with)).then_some(n - with),
            by_department,
            by_year,
            suspicious,
        },
        states,
    }
}
