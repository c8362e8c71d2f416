//! The services and states tables: validation row by row and accumulation into the panel.
//!
//! This is the hot path of ingest (tens of millions of rows): columns are taken out of each
//! batch once, as typed slices where the file is typed, and every row costs a few hash lookups
//! and array updates. Nothing is allocated per row except for rows with problems.

use crate::contract::{
    IdIndex, Options, Persons, Problems, Reference, SERVICES, STATES, TableKind, map_columns,
    shown_id, shown_value,
};
use crate::monthly::{MonthlyPanel, month_index};
use crate::panel::Panel;
use crate::parse::{self, DecimalMark};
use crate::read::TableReader;
use polars::prelude::*;
use som_core::domain::MAX_MAGNITUDE;
use som_core::error::Result;
use std::collections::{BTreeMap, HashMap};

/// What a service code resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Person × department × month amounts, when [`Options::monthly`] asks for them.
    pub monthly: Option<MonthlyPanel>,
    pub stats: ServiceStats,
}

/// States by person and period.
#[derive(Debug, Clone, Default)]
pub struct States {
    pub names: Vec<String>,
    /// One row per person and month, in file order.
    pub rows: Vec<StateRow>,
    pub columns: Vec<(String, String)>,
}

/// A person's state in one month (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRow {
    pub person: u32,
    /// Months since January 1900: `(year − 1900) × 12 + month − 1`.
    pub month: u16,
    /// Index into [`States::names`].
    pub state: u16,
}

impl StateRow {
    /// (year, month).
    pub fn period(&self) -> (i32, u32) {
        (
            1900 + (self.month / 12) as i32,
            (self.month % 12) as u32 + 1,
        )
    }
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
                            format!("expected a number, found {}", shown_value(s)),
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

/// A yes/no column: typed booleans as they are, text parsed; empty is no, unreadable `None`.
fn flags(df: &DataFrame, name: &str) -> Vec<Option<bool>> {
    let Ok(c) = df.column(name) else {
        return vec![Some(false); df.height()];
    };
    let s = c.as_materialized_series();
    if let Ok(ca) = s.bool() {
        return ca.iter().map(|v| Some(v.unwrap_or(false))).collect();
    }
    match str_column(df, name) {
        Some(ca) => ca
            .iter()
            .map(|v| match v.map(str::trim) {
                None | Some("") => Some(false),
                Some(t) => parse::boolean(t),
            })
            .collect(),
        None => vec![None; df.height()],
    }
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

/// A column as text (cast when it is not), to iterate without allocating per value.
fn str_column(df: &DataFrame, name: &str) -> Option<StringChunked> {
    crate::contract::text(df.column(name).ok()?.as_materialized_series())
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
        return (parse::YEARS.contains(&y) && (1..=12).contains(&m)).then_some((y, m));
    }
    parse::period(s)
}

/// The message for a period outside the declared one, if it is.
fn outside_period(opts: &Options, ym: (i32, u32)) -> Option<String> {
    let range = opts.period?;
    (ym < range.0 || ym > range.1).then(|| {
        format!(
            "{}-{:02} is outside the declared period {}",
            ym.0,
            ym.1,
            fmt_period(range)
        )
    })
}

fn fmt_period(((fy, fm), (ty, tm)): ((i32, u32), (i32, u32))) -> String {
    format!("{fy}-{fm:02}–{ty}-{tm:02}")
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
    if opts.monthly
        && let Some(((fy, fm), (ty, tm))) = opts.period
    {
        let months = (month_index(ty, tm) - month_index(fy, fm) + 1) as i64;
        crate::monthly::check_size(persons.len(), departments.len(), months).map_err(|m| {
            som_core::Error::Invalid(vec![som_core::Diagnostic::option("--from/--to", m)])
        })?;
    }
    let mut monthly = opts.monthly.then(|| match opts.period {
        Some(((fy, fm), (ty, tm))) => MonthlyPanel::with_period(
            persons.len(),
            departments.len(),
            month_index(fy, fm),
            month_index(ty, tm),
        ),
        None => MonthlyPanel::new(persons.len(), departments.len()),
    });
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
        return Ok(Services {
            panel,
            monthly,
            stats,
        });
    }
    let dept_ix = |id: &str| departments.iter().position(|d| d == id).map(|i| i as u16);
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
    // Person ids of up to 12 bytes are looked up by their packed view key (no string hashing).
    let id_keys = id_keys(index);
    let mut bad_actor = false;
    let mut t_keys = 0.0;
    let mut t_loop = 0.0;
    let mut t_wait = 0.0;
    let mut clock = std::time::Instant::now();
    let decimal = std::sync::OnceLock::new();
    // Column work (decoding, parsing numbers, resolving person, period and department of every
    // row) runs in the reading thread, one batch ahead of the checks and accumulation here.
    let prepare = |first: usize, df: DataFrame| -> Option<Prepared> {
        let clock = std::time::Instant::now();
        let n = df.height();
        // The decimal mark matters (and is reported) only where amounts are written as text.
        let text_amounts = df
            .column(&cols["amount"])
            .is_ok_and(|c| c.dtype() == &DataType::String);
        let mark = if text_amounts {
            *decimal.get_or_init(|| decimal_of(&df, &[&cols["amount"]], opts, sep_comma))
        } else {
            DecimalMark::Point
        };
        let mut problems = Problems::default();
        let problems = &mut problems;
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
        let refund: Option<Vec<Option<bool>>> = cols.get("refund").map(|c| flags(&df, c));
        let actor_ca = cols.get("actor").and_then(|c| str_column(&df, c));
        let Some(code_ca) = str_column(&df, &cols["code"]) else {
            problems.push(&file, None, "code", "expected text codes".into());
            return None;
        };
        // Person ids: integer columns, or text as packed keys.
        let id_col = df
            .column(&cols["person_id"])
            .map(|c| c.as_materialized_series().clone());
        let int_ids: Option<Vec<Option<i64>>> = match &id_col {
            Ok(s) if s.dtype().is_integer() && index.by_int.len() == index.by_text.len() => {
                integers(&df, cols.get("person_id"))
            }
            _ => None,
        };
        let text_ids = if int_ids.is_none() {
            str_column(&df, &cols["person_id"])
        } else {
            None
        };
        let period_ca = cols.get("period").and_then(|c| str_column(&df, c));
        // Phase 1, column by column and in parallel: person index, period and department of
        // every row, as plain arrays. Each task keeps its own caches; nothing is shared.
        let (who, (when, what)) = rayon::join(
            || match (&int_ids, &text_ids) {
                (Some(ids), _) => ids
                    .iter()
                    .map(|v| {
                        v.and_then(|v| index.by_int.get(&v).copied())
                            .unwrap_or(NO_PERSON)
                    })
                    .collect::<Vec<u32>>(),
                (None, Some(ca)) => resolve_ids(ca, &id_keys, index),
                _ => vec![NO_PERSON; n],
            },
            || {
                rayon::join(
                    || packed_periods(&df, &cols, period_ca.as_ref()),
                    || resolve_codes(&code_ca, &resolve),
                )
            },
        );
        Prepared {
            first,
            n,
            text_amounts,
            decimal: text_amounts.then_some(mark),
            amount,
            units,
            refund,
            actor_ca,
            code_ca,
            int_ids,
            text_ids,
            period_ca,
            who,
            when,
            what,
            problems: std::mem::take(problems),
            seconds: clock.elapsed().as_secs_f64(),
        }
        .into()
    };
    crate::read::for_each_prepared(reader, &names, prepare, |prepared: Option<Prepared>| {
        t_wait += clock.elapsed().as_secs_f64();
        clock = std::time::Instant::now();
        let Some(b) = prepared else {
            problems.push(&file, None, "code", "expected text codes".into());
            return Ok(());
        };
        t_keys += b.seconds;
        problems.absorb(b.problems);
        if stats.decimal.is_none() {
            stats.decimal = b.decimal;
        }
        let Prepared {
            first,
            n,
            text_amounts,
            amount,
            units,
            refund,
            actor_ca,
            code_ca,
            int_ids,
            text_ids,
            period_ca,
            who,
            when,
            what,
            ..
        } = b;
        // Phase 2, row by row: checks and accumulation.
        for i in 0..n {
            let row = first + i;
            stats.rows += 1;
            let p = who[i];
            if p == NO_PERSON {
                let shown = match (&int_ids, &text_ids) {
                    (Some(ids), _) => ids[i].map(|v| shown_id(&v.to_string())),
                    (None, Some(c)) => c.get(i).map(shown_id),
                    _ => None,
                };
                let shown = shown.unwrap_or_else(|| "an empty id".into());
                problems.push(
                    &file,
                    Some(row),
                    "person_id",
                    format!("{shown} is not in persons"),
                );
                continue;
            }
            let packed = when[i];
            if packed == NO_PERIOD {
                let msg = period_problem(period_ca.as_ref(), i);
                problems.push(&file, Some(row), "period", msg);
                continue;
            }
            let ym = unpack_period(packed);
            let mut dept = what[i];
            if dept == NO_DEPARTMENT {
                let code = code_ca.get(i).unwrap_or("").trim();
                if code.is_empty() {
                    problems.push(
                        &file,
                        Some(row),
                        "code",
                        "is empty; expected a function code or catalogue item id".into(),
                    );
                    continue;
                }
                let e = stats.unknown_codes.entry(code.to_string()).or_insert(0);
                *e += 1;
                if *e == 1 {
                    problems.push(
                        &file,
                        Some(row),
                        "code",
                        format!(
                            "unknown code {}: not a function in the department map nor an \
                             item of the price catalogue",
                            shown_value(code)
                        ),
                    );
                }
                continue;
            }
            if let Some(a) = actor_ca
                .as_ref()
                .and_then(|a| a.get(i))
                .map(str::trim)
                .filter(|a| !a.is_empty())
                && dept_actor[dept as usize] != a
            {
                match actor_default.get(a) {
                    Some(&d) => dept = d,
                    None => {
                        if !bad_actor {
                            bad_actor = true;
                            problems.push(
                                &file,
                                Some(row),
                                "actor",
                                format!(
                                    "unknown actor {}; expected one of {}",
                                    shown_value(a),
                                    som_core::error::list(map.actors.iter().map(|a| a.id.as_str()))
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
                    continue;
                }
            };
            let a = amount[i];
            // NaN, an infinity or beyond the cap on every number read (domain.rs).
            if a.is_nan() || a.abs() > MAX_MAGNITUDE {
                if !a.is_nan() {
                    problems.push(
                        &file,
                        Some(row),
                        "amount",
                        format!("is {a}; expected an amount in kr. of at most 10^15"),
                    );
                } else if !text_amounts {
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
            if u.abs() > MAX_MAGNITUDE {
                problems.push(
                    &file,
                    Some(row),
                    "units",
                    format!("is {u}; expected a number of units of at most 10^15"),
                );
                continue;
            }
            if let Some(msg) = outside_period(opts, ym) {
                problems.push(&file, Some(row), "period", msg);
                continue;
            }
            stats.refund_rows += u64::from(is_refund);
            stats.zero_amount_rows += u64::from(a == 0.0);
            stats.large_amount_rows += u64::from(a > LARGE_AMOUNT);
            stats.negative_unit_rows += u64::from(u < 0.0 && !is_refund);
            if stats.first_period.is_none_or(|f| ym < f) {
                stats.first_period = Some(ym);
            }
            if stats.last_period.is_none_or(|l| ym > l) {
                stats.last_period = Some(ym);
            }
            stats.dept_rows[dept as usize] += 1;
            stats.dept_amount[dept as usize] += a;
            panel.add(p, dept, ym.0, a, u);
            if let Some(m) = monthly.as_mut() {
                m.add(p, dept, month_index(ym.0, ym.1), a);
            }
        }
        t_loop += clock.elapsed().as_secs_f64();
        clock = std::time::Instant::now();
        Ok(())
    })?;
    tracing::debug!(
        waiting = t_wait,
        preparing = t_keys,
        accumulating = t_loop,
        "services: seconds per phase (preparing runs beside the others)"
    );
    Ok(Services {
        panel,
        monthly,
        stats,
    })
}

/// A batch of the services table after its column work, ready for checks and accumulation.
struct Prepared {
    first: usize,
    n: usize,
    text_amounts: bool,
    decimal: Option<DecimalMark>,
    amount: Vec<f64>,
    units: Option<Vec<f64>>,
    refund: Option<Vec<Option<bool>>>,
    actor_ca: Option<StringChunked>,
    code_ca: StringChunked,
    int_ids: Option<Vec<Option<i64>>>,
    text_ids: Option<StringChunked>,
    period_ca: Option<StringChunked>,
    who: Vec<u32>,
    when: Vec<u32>,
    what: Vec<u16>,
    /// Problems found while parsing numbers (listed with their rows).
    problems: Problems,
    seconds: f64,
}

/// A row whose person is not in `persons`.
const NO_PERSON: u32 = u32::MAX;
/// A row whose period could not be read.
const NO_PERIOD: u32 = 0;
/// A row whose code is unknown (or empty).
const NO_DEPARTMENT: u16 = u16::MAX;

fn pack_period(y: i32, m: u32) -> u32 {
    ((y as u32) << 4) | m
}

fn unpack_period(p: u32) -> (i32, u32) {
    ((p >> 4) as i32, p & 15)
}

/// Packed keys of the person ids of up to 12 bytes (longer ids are looked up as text).
fn id_keys(index: &IdIndex) -> crate::fxhash::FxMap<u128, u32> {
    index
        .by_text
        .iter()
        .map(|(id, &i)| (key_of(id), i))
        .filter(|&(k, _)| k != LONG_KEY)
        .collect()
}

/// Packed (year, month) of every row: from the `period` text column, or from `year` (and
/// `month`) integer columns ([`NO_PERIOD`] where unreadable).
fn packed_periods(
    df: &DataFrame,
    cols: &HashMap<&'static str, String>,
    period: Option<&StringChunked>,
) -> Vec<u32> {
    if let Some(ca) = period {
        return resolve_periods(ca);
    }
    let n = df.height();
    let years = integers(df, cols.get("year")).unwrap_or_else(|| vec![None; n]);
    let months = integers(df, cols.get("month"));
    (0..n)
        .map(|i| {
            let y = years[i].filter(|y| (1900..=2100).contains(y));
            let m = match &months {
                Some(m) => m[i].filter(|m| (1..=12).contains(m)),
                None => Some(1),
            };
            y.zip(m)
                .map_or(NO_PERIOD, |(y, m)| pack_period(y as i32, m as u32))
        })
        .collect()
}

/// The message for a row whose period could not be read.
fn period_problem(period: Option<&StringChunked>, i: usize) -> String {
    match period {
        Some(ca) => format!(
            "expected a date (DD-MM-YYYY or YYYY-MM-DD) or a year-month (YYYY-MM), found {}",
            shown_value(ca.get(i).unwrap_or(""))
        ),
        None => "expected a year (1900–2100) and a month (1–12)".into(),
    }
}

/// Person index of every row of a text id column ([`NO_PERSON`] where unknown). Consecutive
/// rows of the same person (the usual order of an export) cost one comparison.
fn resolve_ids(
    ca: &StringChunked,
    keys: &crate::fxhash::FxMap<u128, u32>,
    index: &IdIndex,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(ca.len());
    let mut last = (NULL_KEY, NO_PERSON);
    for_each_key(ca, |i, k| {
        if k == last.0 && k != LONG_KEY {
            out.push(last.1);
            return;
        }
        let p = match k {
            NULL_KEY => None,
            LONG_KEY => ca.get(i).and_then(|v| index.get(v)),
            k => keys
                .get(&k)
                .copied()
                .or_else(|| ca.get(i).and_then(|v| index.get(v))),
        }
        .unwrap_or(NO_PERSON);
        last = (k, p);
        out.push(p);
    });
    out
}

/// Packed (year, month) of every row of a period column ([`NO_PERIOD`] where unreadable).
fn resolve_periods(ca: &StringChunked) -> Vec<u32> {
    let mut cache: crate::fxhash::FxMap<u128, u32> = Default::default();
    let mut out = Vec::with_capacity(ca.len());
    let mut last = (NULL_KEY, NO_PERIOD);
    for_each_key(ca, |i, k| {
        if k == last.0 && k != LONG_KEY {
            out.push(last.1);
            return;
        }
        let parse = || {
            ca.get(i)
                .and_then(fast_period)
                .map_or(NO_PERIOD, |(y, m)| pack_period(y, m))
        };
        let v = match k {
            NULL_KEY => NO_PERIOD,
            LONG_KEY => parse(),
            k => *cache.entry(k).or_insert_with(parse),
        };
        last = (k, v);
        out.push(v);
    });
    out
}

/// Department of every row of a code column ([`NO_DEPARTMENT`] where unknown or empty). Codes
/// repeat: a small direct-mapped cache answers most rows with one comparison.
fn resolve_codes(ca: &StringChunked, resolve: &(dyn Fn(&str) -> Code + Sync)) -> Vec<u16> {
    let mut direct = [(NULL_KEY, NO_DEPARTMENT); 256];
    let mut long: crate::fxhash::FxMap<String, u16> = Default::default();
    let to_dept = |c: Code| match c {
        Code::Department(d) => d,
        Code::Unknown => NO_DEPARTMENT,
    };
    let mut out = Vec::with_capacity(ca.len());
    for_each_key(ca, |i, k| {
        let d = match k {
            NULL_KEY => NO_DEPARTMENT,
            LONG_KEY => match ca.get(i).map(str::trim) {
                Some(c) => *long
                    .entry(c.to_string())
                    .or_insert_with(|| to_dept(resolve(c))),
                None => NO_DEPARTMENT,
            },
            k => {
                let slot = ((k as u64 ^ (k >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56)
                    as usize;
                if direct[slot].0 == k {
                    direct[slot].1
                } else {
                    let d = ca
                        .get(i)
                        .map(|c| to_dept(resolve(c.trim())))
                        .unwrap_or(NO_DEPARTMENT);
                    direct[slot] = (k, d);
                    d
                }
            }
        };
        out.push(d);
    });
    out
}

/// Key of a missing value in [`view_keys`].
const NULL_KEY: u128 = 0xFFFF_FFFF;
/// Key of a string longer than 12 bytes, which has no packed key.
const LONG_KEY: u128 = 0xFFFF_FFFE;

/// The packed key of a string of at most 12 bytes: its length in the low 32 bits and its bytes
/// above, as polars lays out an inline string view. Longer strings get [`LONG_KEY`].
fn key_of(s: &str) -> u128 {
    let b = s.as_bytes();
    if b.len() > 12 {
        return LONG_KEY;
    }
    let mut buf = [0u8; 16];
    buf[..4].copy_from_slice(&(b.len() as u32).to_le_bytes());
    buf[4..4 + b.len()].copy_from_slice(b);
    u128::from_le_bytes(buf)
}

/// Call `f(row, key)` with the packed key of every value of a text column, read straight from
/// its string views: no string is built and no key array is materialised.
#[inline]
fn for_each_key(ca: &StringChunked, mut f: impl FnMut(usize, u128)) {
    use polars_arrow::array::Array;
    let key = |v: &polars_arrow::array::View| -> u128 {
        if v.length <= 12 {
            // Mask the bytes past the string, whatever the array left there.
            let bits = 32 + 8 * v.length;
            let mask = if bits >= 128 {
                u128::MAX
            } else {
                (1u128 << bits) - 1
            };
            v.as_u128() & mask
        } else {
            LONG_KEY
        }
    };
    let mut i = 0;
    for arr in ca.downcast_iter() {
        let views = arr.views();
        match arr.validity() {
            None => {
                for v in views.iter() {
                    f(i, key(v));
                    i += 1;
                }
            }
            Some(bits) => {
                for (v, ok) in views.iter().zip(bits.iter()) {
                    f(i, if ok { key(v) } else { NULL_KEY });
                    i += 1;
                }
            }
        }
    }
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
    let mut state_ix: crate::fxhash::FxMap<String, u16> = Default::default();
    // Months seen per person, a bit per month, one array per year: duplicates cost no hashing.
    let mut seen: Vec<Option<Vec<u16>>> = vec![None; 201];
    let id_keys = id_keys(index);
    while let Some((first, df)) = reader.next_batch(&names)? {
        // Ids of any type are looked up as text here; states tables are small beside services.
        let ids = str_column(&df, &cols["person_id"]);
        let period_ca = cols.get("period").and_then(|c| str_column(&df, c));
        let (who, when) = rayon::join(
            || match &ids {
                Some(ca) => resolve_ids(ca, &id_keys, index),
                None => vec![NO_PERSON; df.height()],
            },
            || packed_periods(&df, &cols, period_ca.as_ref()),
        );
        let Some(state) = str_column(&df, &cols["state"]) else {
            continue;
        };
        for (i, s) in state.iter().enumerate() {
            let row = first + i;
            let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
                problems.push(
                    &file,
                    Some(row),
                    "state",
                    "is empty; expected a state such as job, education, benefits".into(),
                );
                continue;
            };
            let p = who[i];
            if p == NO_PERSON {
                let shown = ids.as_ref().and_then(|c| c.get(i)).map(shown_id);
                let shown = shown.unwrap_or_else(|| "an empty id".into());
                problems.push(
                    &file,
                    Some(row),
                    "person_id",
                    format!("{shown} is not in persons"),
                );
                continue;
            }
            if when[i] == NO_PERIOD {
                let msg = period_problem(period_ca.as_ref(), i);
                problems.push(&file, Some(row), "period", msg);
                continue;
            }
            let ym = unpack_period(when[i]);
            if let Some(msg) = outside_period(opts, ym) {
                problems.push(&file, Some(row), "period", msg);
                continue;
            }
            let year = (ym.0 - 1900).clamp(0, 200) as usize;
            let bits = seen[year].get_or_insert_with(|| vec![0u16; persons.len()]);
            let bit = 1u16 << (ym.1 - 1);
            if bits[p as usize] & bit != 0 {
                problems.push(
                    &file,
                    Some(row),
                    "period",
                    format!(
                        "a second state for the same person and period {}-{:02}; a person has \
                         one state per period",
                        ym.0, ym.1
                    ),
                );
                continue;
            }
            bits[p as usize] |= bit;
            let si = match state_ix.get(s) {
                Some(&si) => si,
                // A label is shown in reports: never one that looks like a CPR number.
                None if crate::cpr::contains_cpr_like(s) => {
                    problems.push(
                        &file,
                        Some(row),
                        "state",
                        "holds a value like a CPR number (not shown); expected a state".into(),
                    );
                    continue;
                }
                None if state_ix.len() >= crate::contract::MAX_CATEGORIES => {
                    problems.push(
                        &file,
                        Some(row),
                        "state",
                        format!(
                            "a state beyond the first {} different ones",
                            crate::contract::MAX_CATEGORIES
                        ),
                    );
                    continue;
                }
                None => {
                    let si = state_ix.len() as u16;
                    state_ix.insert(s.to_string(), si);
                    out.names.push(s.to_string());
                    si
                }
            };
            out.rows.push(StateRow {
                person: p,
                month: (year * 12 + ym.1 as usize - 1) as u16,
                state: si,
            });
        }
    }
    Ok(out)
}
