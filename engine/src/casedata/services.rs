//! The services and states tables: validation row by row and accumulation into the panel.
//!
//! This is the hot path of ingest (tens of millions of rows): columns are taken out of each
//! batch once, as typed slices where the file is typed, and every row costs a few hash lookups
//! and array updates. Nothing is allocated per row except for rows with problems.

use super::panel::Panel;
use super::parse::{self, DecimalMark};
use super::{
    IdIndex, Options, Persons, Problems, Reference, SERVICES, STATES, TableKind, map_columns,
    shown_id, text_values,
};
use crate::error::Result;
use crate::io::casedata::TableReader;
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// What a service code resolves to.
#[derive(Debug, Clone, Copy)]
enum Code {
    Department(u16),
    Unknown,
}

/// Counts of the services table for the data-quality report.
#[derive(Debug, Default, Clone)]
pub struct ServiceStats {
    pub rows: u64,
    pub refund_rows: u64,
    pub zero_amount_rows: u64,
    /// Rows with an amount above [`LARGE_AMOUNT`] (kr.), worth a look.
    pub large_amount_rows: u64,
    /// Rows whose units are negative (outside refunds).
    pub negative_unit_rows: u64,
    pub first_period: Option<(i32, u32)>,
    pub last_period: Option<(i32, u32)>,
    /// Per department: rows and amount.
    pub dept_rows: Vec<u64>,
    pub dept_amount: Vec<f64>,
    /// Codes found in neither the department map nor the price catalogue, with their rows.
    pub unknown_codes: BTreeMap<String, u64>,
    pub decimal: Option<DecimalMark>,
    /// Contract column → header in the file.
    pub columns: Vec<(String, String)>,
}

/// A single row above this amount (kr.) is flagged as suspicious in the report.
pub const LARGE_AMOUNT: f64 = 2_500_000.0;

/// Result of reading the services table.
pub struct Services {
    pub panel: Panel,
    pub stats: ServiceStats,
}

/// States by person and period.
#[derive(Debug, Clone, Default)]
pub struct States {
    pub names: Vec<String>,
    /// (person, year, month, state index), in file order.
    pub rows: Vec<(u32, i32, u8, u16)>,
    pub columns: Vec<(String, String)>,
}

/// Decimal mark of a text column, from a sample of its values.
fn decimal_of(df: &DataFrame, names: &[&str], opts: &Options, sep_comma: bool) -> DecimalMark {
    if let Some(d) = opts.decimal {
        return d;
    }
    let mut sample = Vec::new();
    for n in names {
        if let Ok(c) = df.column(n)
            && let Ok(ca) = c.as_materialized_series().str()
        {
            sample.extend(ca.iter().flatten().take(2000).map(str::to_string));
        }
    }
    parse::guess_decimal(sample.iter().map(String::as_str)).unwrap_or(if sep_comma {
        DecimalMark::Point
    } else {
        DecimalMark::Comma
    })
}

/// A numeric column as `f64` values: typed columns are cast, text is parsed under `mark`.
/// Unparseable text becomes NaN with a problem reported.
fn numbers(
    df: &DataFrame,
    name: Option<&String>,
    mark: DecimalMark,
    first: usize,
    file: &str,
    column: &str,
    problems: &mut Problems,
) -> Option<Vec<f64>> {
    let c = df.column(name?).ok()?.as_materialized_series();
    if let Ok(ca) = c.str() {
        let mut out = Vec::with_capacity(ca.len());
        for (i, v) in ca.iter().enumerate() {
            match v.map(str::trim) {
                None | Some("") => out.push(f64::NAN),
                Some(s) => match parse::number(s, mark) {
                    Some(x) => out.push(x),
                    None => {
                        problems.push(
                            file,
                            Some(first + i),
                            column,
                            format!("expected a number, found {s:?}"),
                        );
                        out.push(f64::NAN);
                    }
                },
            }
        }
        return Some(out);
    }
    let cast = c.cast(&DataType::Float64).ok()?;
    let ca = cast.f64().ok()?;
    Some(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// Integer column (year, month) as `i64`, parsing text.
fn integers(df: &DataFrame, name: Option<&String>) -> Option<Vec<Option<i64>>> {
    let c = df.column(name?).ok()?.as_materialized_series();
    if let Ok(ca) = c.str() {
        return Some(
            ca.iter()
                .map(|v| v.and_then(|s| s.trim().parse::<i64>().ok()))
                .collect(),
        );
    }
    let cast = c.cast(&DataType::Int64).ok()?;
    Some(cast.i64().ok()?.iter().collect())
}

/// The period of each row as (year, month), from `period` text or `year`/`month` columns.
/// `None` marks a row whose period could not be read (a problem is reported).
fn periods(
    df: &DataFrame,
    cols: &HashMap<&'static str, String>,
    first: usize,
    file: &str,
    problems: &mut Problems,
) -> Vec<Option<(i32, u32)>> {
    let n = df.height();
    if let Some(name) = cols.get("period") {
        let Some(ca) = str_column(df, name) else {
            return vec![None; n];
        };
        return ca
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let p = v.and_then(fast_period);
                if p.is_none() {
                    problems.push(
                        file,
                        Some(first + i),
                        "period",
                        format!(
                            "expected a date (DD-MM-YYYY or YYYY-MM-DD) or a year-month \
                             (YYYY-MM), found {:?}",
                            v.unwrap_or("")
                        ),
                    );
                }
                p
            })
            .collect();
    }
    let years = integers(df, cols.get("year")).unwrap_or_else(|| vec![None; n]);
    let months = integers(df, cols.get("month"));
    (0..n)
        .map(|i| {
            let y = years[i].filter(|y| (1900..=2100).contains(y));
            let m = match &months {
                Some(m) => m[i].filter(|m| (1..=12).contains(m)),
                None => Some(1),
            };
            match (y, m) {
                (Some(y), Some(m)) => Some((y as i32, m as u32)),
                _ => {
                    problems.push(
                        file,
                        Some(first + i),
                        if y.is_none() { "year" } else { "month" },
                        "expected a year (1900–2100) and a month (1–12)".into(),
                    );
                    None
                }
            }
        })
        .collect()
}

/// A column as text (cast when it is not), to iterate without allocating per value.
fn str_column(df: &DataFrame, name: &str) -> Option<StringChunked> {
    let s = df.column(name).ok()?.as_materialized_series();
    match s.str() {
        Ok(ca) => Some(ca.clone()),
        Err(_) => s.cast(&DataType::String).ok()?.str().ok().cloned(),
    }
}

/// `YYYY-MM` fast, anything else through the general parser.
fn fast_period(s: &str) -> Option<(i32, u32)> {
    let b = s.as_bytes();
    if b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
    {
        let y = (b[0] - b'0') as i32 * 1000
            + (b[1] - b'0') as i32 * 100
            + (b[2] - b'0') as i32 * 10
            + (b[3] - b'0') as i32;
        let m = (b[5] - b'0') as u32 * 10 + (b[6] - b'0') as u32;
        return (1..=12).contains(&m).then_some((y, m));
    }
    parse::period(s)
}

fn in_period(opts: &Options, p: (i32, u32)) -> bool {
    opts.period.is_none_or(|(from, to)| p >= from && p <= to)
}

fn fmt_period(((fy, fm), (ty, tm)): ((i32, u32), (i32, u32))) -> String {
    format!("{fy}-{fm:02}–{ty}-{tm:02}")
}

/// Person indices of each row: integer id columns are looked up as integers.
fn person_indices(
    df: &DataFrame,
    name: &str,
    index: &IdIndex,
    first: usize,
    file: &str,
    problems: &mut Problems,
    missing: &mut u64,
) -> Vec<Option<u32>> {
    let Ok(c) = df.column(name) else {
        return vec![None; df.height()];
    };
    let s = c.as_materialized_series();
    let report = |i: usize, shown: String, problems: &mut Problems, missing: &mut u64| {
        *missing += 1;
        problems.push(
            file,
            Some(first + i),
            "person_id",
            format!("{shown} is not in persons"),
        );
    };
    if s.dtype().is_integer() && index.by_int.len() == index.by_text.len() {
        let cast = s.cast(&DataType::Int64).unwrap_or_else(|_| s.clone());
        if let Ok(ca) = cast.i64() {
            return ca
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let r = v.and_then(|v| index.by_int.get(&v).copied());
                    if r.is_none() {
                        let shown = v
                            .map(|v| format!("\"{v}\""))
                            .unwrap_or("an empty id".into());
                        report(i, shown, problems, missing);
                    }
                    r
                })
                .collect();
        }
    }
    let Some(ca) = str_column(df, name) else {
        return vec![None; df.height()];
    };
    ca.iter()
        .enumerate()
        .map(|(i, v)| {
            let r = v.and_then(|v| index.get(v));
            if r.is_none() {
                let shown = v.map(shown_id).unwrap_or("an empty id".into());
                report(i, shown, problems, missing);
            }
            r
        })
        .collect()
}

/// Read the services table into the panel, checking every row.
pub fn read_services(
    reader: &mut TableReader,
    persons: &Persons,
    index: &IdIndex,
    reference: &Reference<'_>,
    opts: &Options,
    problems: &mut Problems,
) -> Result<Services> {
    let file = reader.info.file.clone();
    let cols = map_columns(
        reader.headers(),
        SERVICES,
        TableKind::Services,
        &file,
        problems,
    );
    let map = reference.departments;
    let departments: Vec<String> = map.departments.iter().map(|d| d.id.clone()).collect();
    let mut panel = Panel::new(persons.len(), departments.clone());
    let mut stats = ServiceStats {
        dept_rows: vec![0; departments.len()],
        dept_amount: vec![0.0; departments.len()],
        columns: cols
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        ..Default::default()
    };
    stats.columns.sort();
    if !problems.is_empty() {
        return Ok(Services { panel, stats });
    }
    let dept_ix = |id: &str| departments.iter().position(|d| d == id).map(|i| i as u16);
    let mut codes: HashMap<String, Code> = HashMap::new();
    let resolve = |code: &str| -> Code {
        if let Some(d) = map.department_of_function(code).and_then(dept_ix) {
            return Code::Department(d);
        }
        if let Some(item) = reference.prices.items.iter().find(|i| i.id == code) {
            let d = item.department.as_deref().or_else(|| {
                item.function
                    .as_deref()
                    .and_then(|f| map.department_of_function(f))
            });
            if let Some(d) = d.and_then(dept_ix) {
                return Code::Department(d);
            }
        }
        Code::Unknown
    };
    let actor_default: HashMap<&str, u16> = map
        .actors
        .iter()
        .filter_map(|a| dept_ix(&a.default_department).map(|d| (a.id.as_str(), d)))
        .collect();
    let dept_actor: Vec<&str> = map.departments.iter().map(|d| d.actor.as_str()).collect();
    let names: Vec<String> = cols.values().cloned().collect();
    let sep_comma = reader.info.separator.as_deref() == Some(",");
    let mut missing_persons = 0u64;
    let mut bad_actor = 0u64;
    while let Some((first, df)) = reader.next_batch(&names)? {
        let n = df.height();
        // The decimal mark matters (and is reported) only where amounts are written as text.
        let text_amounts = df
            .column(&cols["amount"])
            .is_ok_and(|c| c.dtype() == &DataType::String);
        let mark = match stats.decimal {
            Some(m) => m,
            None if text_amounts => {
                let m = decimal_of(&df, &[&cols["amount"]], opts, sep_comma);
                stats.decimal = Some(m);
                m
            }
            None => DecimalMark::Point,
        };
        let who = person_indices(
            &df,
            &cols["person_id"],
            index,
            first,
            &file,
            problems,
            &mut missing_persons,
        );
        let when = periods(&df, &cols, first, &file, problems);
        let amount = numbers(
            &df,
            cols.get("amount"),
            mark,
            first,
            &file,
            "amount",
            problems,
        )
        .unwrap_or_else(|| vec![f64::NAN; n]);
        let units = numbers(
            &df,
            cols.get("units"),
            mark,
            first,
            &file,
            "units",
            problems,
        );
        let refund: Option<Vec<Option<bool>>> = cols.get("refund").map(|c| {
            text_values(&df, c)
                .iter()
                .map(|v| match v.as_deref().map(str::trim) {
                    None | Some("") => Some(false),
                    Some(s) => parse::boolean(s),
                })
                .collect()
        });
        let actor: Option<Vec<Option<String>>> = cols.get("actor").map(|c| text_values(&df, c));
        let Some(code_ca) = str_column(&df, &cols["code"]) else {
            problems.push(&file, None, "code", "expected text codes".into());
            break;
        };
        for (i, code) in code_ca.iter().enumerate() {
            let row = first + i;
            stats.rows += 1;
            let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
                problems.push(
                    &file,
                    Some(row),
                    "code",
                    "is empty; expected a function code or catalogue item id".into(),
                );
                continue;
            };
            let resolved = match codes.get(code) {
                Some(c) => *c,
                None => {
                    let c = resolve(code);
                    codes.insert(code.to_string(), c);
                    c
                }
            };
            let mut dept = match resolved {
                Code::Department(d) => d,
                Code::Unknown => {
                    let e = stats.unknown_codes.entry(code.to_string()).or_insert(0);
                    *e += 1;
                    if *e == 1 {
                        problems.push(
                            &file,
                            Some(row),
                            "code",
                            format!(
                                "unknown code {code:?}: not a function in the department map \
                                 nor an item of the price catalogue"
                            ),
                        );
                    }
                    continue;
                }
            };
            if let Some(a) = actor
                .as_ref()
                .and_then(|a| a[i].as_deref())
                .map(str::trim)
                .filter(|a| !a.is_empty())
                && dept_actor[dept as usize] != a
            {
                match actor_default.get(a) {
                    Some(&d) => dept = d,
                    None => {
                        bad_actor += 1;
                        if bad_actor == 1 {
                            problems.push(
                                &file,
                                Some(row),
                                "actor",
                                format!(
                                    "unknown actor {a:?}; expected one of {}",
                                    crate::catalogue::list(
                                        map.actors.iter().map(|a| a.id.as_str())
                                    )
                                ),
                            );
                        }
                        continue;
                    }
                }
            }
            let is_refund = match refund.as_ref().map(|r| r[i]) {
                None => false,
                Some(Some(b)) => b,
                Some(None) => {
                    problems.push(&file, Some(row), "refund", "expected a yes/no value".into());
                    false
                }
            };
            let a = amount[i];
            if a.is_nan() {
                if amount.len() == n {
                    problems.push(
                        &file,
                        Some(row),
                        "amount",
                        "is empty; expected an amount in kr.".into(),
                    );
                }
                continue;
            }
            if a < 0.0 && !is_refund {
                problems.push(
                    &file,
                    Some(row),
                    "amount",
                    format!(
                        "{a:.2} is negative; mark refunds and corrections in a `refund` column"
                    ),
                );
                continue;
            }
            let u = units
                .as_ref()
                .map(|u| u[i])
                .filter(|u| !u.is_nan())
                .unwrap_or(0.0);
            let (Some(p), Some(ym)) = (who[i], when[i]) else {
                continue;
            };
            if !in_period(opts, ym) {
                if let Some(range) = opts.period {
                    problems.push(
                        &file,
                        Some(row),
                        "period",
                        format!(
                            "{}-{:02} is outside the declared period {}",
                            ym.0,
                            ym.1,
                            fmt_period(range)
                        ),
                    );
                }
                continue;
            }
            if is_refund {
                stats.refund_rows += 1;
            }
            if a == 0.0 {
                stats.zero_amount_rows += 1;
            }
            if a > LARGE_AMOUNT {
                stats.large_amount_rows += 1;
            }
            if u < 0.0 && !is_refund {
                stats.negative_unit_rows += 1;
            }
            stats.first_period = Some(stats.first_period.map_or(ym, |f| f.min(ym)));
            stats.last_period = Some(stats.last_period.map_or(ym, |l| l.max(ym)));
            stats.dept_rows[dept as usize] += 1;
            stats.dept_amount[dept as usize] += a;
            panel.add(p, dept, ym.0, a, u);
        }
    }
    Ok(Services { panel, stats })
}

/// Read the states table, checking every row.
pub fn read_states(
    reader: &mut TableReader,
    persons: &Persons,
    index: &IdIndex,
    opts: &Options,
    problems: &mut Problems,
) -> Result<States> {
    let file = reader.info.file.clone();
    let cols = map_columns(reader.headers(), STATES, TableKind::States, &file, problems);
    let mut out = States {
        columns: cols
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        ..Default::default()
    };
    out.columns.sort();
    if !problems.is_empty() {
        return Ok(out);
    }
    let names: Vec<String> = cols.values().cloned().collect();
    let mut state_ix: HashMap<String, u16> = HashMap::new();
    let mut seen: HashMap<(u32, i32, u8), usize> = HashMap::new();
    let mut missing = 0u64;
    let _ = persons;
    while let Some((first, df)) = reader.next_batch(&names)? {
        let who = person_indices(
            &df,
            &cols["person_id"],
            index,
            first,
            &file,
            problems,
            &mut missing,
        );
        let when = periods(&df, &cols, first, &file, problems);
        let state = text_values(&df, &cols["state"]);
        for i in 0..df.height() {
            let row = first + i;
            let Some(s) = state[i].as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
                problems.push(
                    &file,
                    Some(row),
                    "state",
                    "is empty; expected a state such as job, education, benefits".into(),
                );
                continue;
            };
            let (Some(p), Some(ym)) = (who[i], when[i]) else {
                continue;
            };
            if !in_period(opts, ym) {
                if let Some(range) = opts.period {
                    problems.push(
                        &file,
                        Some(row),
                        "period",
                        format!(
                            "{}-{:02} is outside the declared period {}",
                            ym.0,
                            ym.1,
                            fmt_period(range)
                        ),
                    );
                }
                continue;
            }
            let key = (p, ym.0, ym.1 as u8);
            if let Some(prev) = seen.insert(key, row) {
                problems.push(
                    &file,
                    Some(row),
                    "period",
                    format!(
                        "a second state for the same person and period {}-{:02} (also on row {prev}); a person has one state per period",
                        ym.0, ym.1
                    ),
                );
                continue;
            }
            let n = state_ix.len() as u16;
            let si = *state_ix.entry(s.to_string()).or_insert_with(|| {
                out.names.push(s.to_string());
                n
            });
            out.rows.push((p, ym.0, ym.1 as u8, si));
        }
    }
    Ok(out)
}
