//! Case data named by paths and options (what `som check`, `som estimate` and
//! `som municipalities` take on the command line, and the Python package as arguments): read,
//! validated and ingested, and prepared for estimation.

use crate::contract::{Options, Reference, Tables};
use crate::cpr::Key;
use crate::estimate::Input;
use crate::parse::DecimalMark;
use crate::read::{ReadOptions, TableReader, locate};
use som_core::error::{Diagnostic, Error, Result};
use std::path::PathBuf;

/// Where the case data are and how to read them.
#[derive(Debug, Clone, Default)]
pub struct CaseSpec {
    /// A folder of case data (with dataset.toml, or persons.* / services.* / states.* files),
    /// or the table files themselves.
    pub cases: Vec<PathBuf>,
    /// Pseudonymise every person id with this key.
    pub key: Option<Key>,
    /// Declared period (YYYY-MM), overriding dataset.toml.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Suppress groups of fewer persons than this (at least 5).
    pub disclosure_threshold: usize,
    /// Department map (default: bundled).
    pub departments: Option<PathBuf>,
    /// Unit-price catalogue (default: bundled).
    pub prices: Option<PathBuf>,
    /// CSV field separator (default: detected).
    pub separator: Option<u8>,
    /// `comma` or `point`.
    pub decimal: Option<String>,
    /// `utf-8` or `windows-1252`.
    pub encoding: Option<String>,
    pub reference_year: Option<i32>,
}

/// An error about an option (named as on the command line).
pub fn invalid(field: &str, message: String) -> Error {
    Error::Invalid(vec![Diagnostic::option(field, message)])
}

/// Read, validate and ingest case data; with `monthly`, keep the monthly amounts (for
/// estimation). Returns the data, the options used and the input files with their hashes.
pub fn load_cases(
    args: &CaseSpec,
    monthly: bool,
) -> Result<(
    crate::ingest::CaseData,
    Options,
    Vec<som_core::loaded::InputHash>,
)> {
    if args.cases.is_empty() {
        return Err(invalid(
            "CASES",
            "name the case data: a folder, an Excel workbook or the table files".into(),
        ));
    }
    let located = locate(&args.cases)?;
    let key = args.key.clone();
    let mut period = None;
    if let Some((spec, src)) = &located.spec
        && let Some(p) = &spec.period
    {
        period = Some(p.parse().map_err(|m| {
            Error::Invalid(vec![
                src.diag(&som_core::source::FieldPath::root().key("period"), m),
            ])
        })?);
    }
    match (&args.from, &args.to) {
        (Some(f), Some(t)) => {
            let spec = crate::read::PeriodSpec {
                from: f.clone(),
                to: t.clone(),
            };
            period = Some(spec.parse().map_err(|m| invalid("--from/--to", m))?);
        }
        (None, None) => {}
        _ => return Err(invalid("--from/--to", "give both --from and --to".into())),
    }
    let opts = Options {
        disclosure_threshold: args.disclosure_threshold,
        key,
        period,
        decimal: args.decimal.as_deref().map(|d| {
            if d == "comma" {
                DecimalMark::Comma
            } else {
                DecimalMark::Point
            }
        }),
        reference_year: args.reference_year,
        monthly,
    };
    let read = ReadOptions {
        separator: args.separator,
        windows_1252: args.encoding.as_deref().map(|e| e == "windows-1252"),
        batch_rows: None,
    };
    let cat = som_core::catalogue::Catalogues::builtin()?;
    let departments = match &args.departments {
        Some(p) => {
            let src = som_files::read_source(p)?;
            let m: som_core::catalogue::DepartmentMap =
                src.parse().map_err(|d| Error::Invalid(vec![d]))?;
            m.validate(&src)?;
            m
        }
        None => cat.departments.0.clone(),
    };
    let prices = match &args.prices {
        Some(p) => {
            let src = som_files::read_source(p)?;
            src.parse().map_err(|d| Error::Invalid(vec![d]))?
        }
        None => cat.prices.0.clone(),
    };
    let municipalities = som_core::builtin::municipality_codes();
    let mut persons = TableReader::open(&located.persons, &read, "persons")?;
    let mut services = TableReader::open(&located.services, &read, "services")?;
    let mut states = match &located.states {
        Some(p) => Some(TableReader::open(p, &read, "states")?),
        None => None,
    };
    let reference = Reference {
        municipalities: &municipalities,
        departments: &departments,
        prices: &prices,
    };
    let data = crate::ingest::ingest(
        Tables {
            persons: &mut persons,
            services: &mut services,
            states: states.as_mut(),
        },
        &reference,
        &opts,
    )?;
    let mut inputs: Vec<som_core::loaded::InputHash> = data
        .report
        .files
        .iter()
        .map(|f| som_core::loaded::InputHash {
            role: String::new(),
            path: f.file.clone(),
            sha256: f.sha256.clone(),
        })
        .collect();
    for (i, role) in ["persons", "services", "states"].iter().enumerate() {
        if let Some(h) = inputs.get_mut(i) {
            h.role = role.to_string();
        }
    }
    if let Some((_, src)) = &located.spec {
        inputs.push(som_core::loaded::InputHash {
            role: "dataset".into(),
            path: src.name.clone(),
            sha256: src.sha256(),
        });
    }
    Ok((data, opts, inputs))
}

/// Case data read for estimation: the persons, the 12-month windows of the monthly amounts, and
/// the input files with their hashes.
pub struct Prepared {
    pub data: crate::ingest::CaseData,
    pub windows: crate::monthly::Windows,
    pub departments: Vec<String>,
    pub inputs: Vec<som_core::loaded::InputHash>,
}

impl Prepared {
    pub fn input(&self) -> Input<'_> {
        Input {
            persons: &self.data.persons,
            windows: &self.windows,
            states: self.data.states.as_ref(),
            departments: &self.departments,
        }
    }
}

/// Read case data with the monthly amounts kept and build the 12-month windows estimation
/// reads; refuses data without months.
pub fn prepare(case: &CaseSpec) -> Result<Prepared> {
    let clock = std::time::Instant::now();
    let (mut data, opts, inputs) = load_cases(case, true)?;
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "case data read");
    // Years since start are 12-month windows from the start month: a services table with
    // years only cannot place a row in them.
    let cols = &data.report.services.columns;
    if cols.iter().any(|c| c.0 == "year") && !cols.iter().any(|c| c.0 == "month" || c.0 == "period")
    {
        return Err(Error::Invalid(vec![som_core::Diagnostic {
            file: data
                .report
                .files
                .get(1)
                .map(|f| f.file.clone())
                .unwrap_or_default(),
            line: None,
            column: None,
            field: "month".into(),
            row: None,
            message: "estimation needs the month of every service row (a `period` column, or \
                      `year` and `month`): years since start are 12-month windows from the \
                      start month"
                .into(),
        }]));
    }
    let Some(monthly) = data.monthly.take() else {
        unreachable!("load(.., monthly = true) keeps the monthly panel")
    };
    let seen = |p: &Option<String>| p.as_deref().and_then(crate::parse::period);
    let (first, last) = match (
        seen(&data.report.services.first_period),
        seen(&data.report.services.last_period),
    ) {
        (Some(f), Some(l)) => (f, l),
        _ => {
            return Err(invalid(
                "services",
                "the services table has no rows to estimate from".into(),
            ));
        }
    };
    // The observed period: the declared one when given, else the months the services span.
    let (first, last) = opts.period.unwrap_or((first, last));
    use crate::monthly::month_index;
    let (from, to) = (month_index(first.0, first.1), month_index(last.0, last.1));
    crate::monthly::check_size(
        data.persons.len(),
        data.panel.departments.len(),
        (to - from + 1) as i64,
    )
    .map_err(|m| invalid("services", m))?;
    let windows = monthly.into_windows(from, to);
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "windows built");
    let departments: Vec<String> = data.panel.departments.clone();
    Ok(Prepared {
        data,
        windows,
        departments,
        inputs,
    })
}
