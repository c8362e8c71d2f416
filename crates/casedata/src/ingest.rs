//! Case data ingested: the persons, services and states tables validated batch by batch into
//! the person × department × year panel (and, for estimation, the monthly amounts), with the
//! data-quality report; and the panel's group summaries, small groups suppressed.

use crate::contract::*;
use crate::panel::Panel;
use crate::read::FileInfo;
use crate::{monthly, panel, report, services};
use polars::prelude::*;
use som_core::error::{Diagnostic, Error, Result};

/// The result of reading a case-data set.
#[derive(Debug)]
pub struct CaseData {
    pub persons: Persons,
    pub panel: Panel,
    /// Person × department × month amounts, when [`Options::monthly`] asked for them.
    pub monthly: Option<monthly::MonthlyPanel>,
    pub states: Option<services::States>,
    pub report: report::QualityReport,
}

/// Read, validate and aggregate a case-data set. Stops with every problem found (up to the
/// listing limit) before anything is produced.
pub fn ingest(
    mut tables: Tables<'_>,
    reference: &Reference<'_>,
    opts: &Options,
) -> Result<CaseData> {
    if opts.disclosure_threshold < MIN_DISCLOSURE_THRESHOLD {
        return Err(Error::Invalid(vec![Diagnostic::option(
            "--disclosure-threshold",
            format!(
                "the disclosure threshold is {}; it can be raised, never set below {}",
                opts.disclosure_threshold, MIN_DISCLOSURE_THRESHOLD
            ),
        )]));
    }
    let mut problems = Problems::default();
    let clock = std::time::Instant::now();
    let (persons, index) = read_persons(
        tables.persons,
        reference.municipalities,
        opts,
        &mut problems,
    )?;
    if !problems.is_empty() {
        return Err(problems.into_error());
    }
    let svc = services::read_services(
        tables.services,
        &persons,
        &index,
        reference,
        opts,
        &mut problems,
    )?;
    tracing::debug!(
        rows = svc.stats.rows,
        seconds = clock.elapsed().as_secs_f64(),
        "services read"
    );
    let states = match tables.states.as_deref_mut() {
        Some(r) => Some(services::read_states(
            r,
            &persons,
            &index,
            opts,
            &mut problems,
        )?),
        None => None,
    };
    // The files' hashes were computed beside the reading; collect them now.
    let mut infos: Vec<FileInfo> = vec![
        tables.persons.finish_info()?,
        tables.services.finish_info()?,
    ];
    if let Some(r) = tables.states {
        infos.push(r.finish_info()?);
    }
    if !problems.is_empty() {
        return Err(problems.into_error());
    }
    let report = report::build(&persons, &svc, states.as_ref(), &infos, reference, opts);
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "report built");
    Ok(CaseData {
        persons,
        panel: svc.panel,
        monthly: svc.monthly,
        states,
        report,
    })
}

/// The group summaries of a case-data set: by calendar year and by year relative to the index.
pub fn summaries(data: &CaseData, opts: &Options) -> (Vec<panel::GroupRow>, Vec<panel::GroupRow>) {
    let t = opts.disclosure_threshold;
    let reference = opts.reference_year.unwrap_or_else(|| {
        let mut y: Vec<i32> = data
            .persons
            .start
            .iter()
            .zip(&data.persons.participant)
            .filter(|(_, p)| **p)
            .filter_map(|(s, _)| s.map(|d| d.0))
            .collect();
        y.sort_unstable();
        y.get(y.len() / 2).copied().unwrap_or(2020)
    });
    (
        panel::by_calendar_year(&data.panel, &data.persons, t),
        panel::by_relative_year(&data.panel, &data.persons, reference, t),
    )
}

/// Group rows as a data frame, for CSV and Parquet outputs.
pub fn group_frame(rows: &[panel::GroupRow], year_column: &str) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "group".into(),
            rows.iter().map(|r| r.group).collect::<Vec<_>>(),
        ),
        Column::new(
            "department".into(),
            rows.iter()
                .map(|r| r.department.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            year_column.into(),
            rows.iter().map(|r| r.year).collect::<Vec<_>>(),
        ),
        Column::new(
            "persons".into(),
            rows.iter().map(|r| r.persons).collect::<Vec<_>>(),
        ),
        Column::new(
            "users".into(),
            rows.iter().map(|r| r.users).collect::<Vec<_>>(),
        ),
        Column::new(
            "amount".into(),
            rows.iter().map(|r| r.amount).collect::<Vec<_>>(),
        ),
        Column::new(
            "units".into(),
            rows.iter().map(|r| r.units).collect::<Vec<_>>(),
        ),
        Column::new(
            "mean_amount".into(),
            rows.iter().map(|r| r.mean_amount).collect::<Vec<_>>(),
        ),
        Column::new(
            "mean_amount_per_user".into(),
            rows.iter()
                .map(|r| r.mean_amount_per_user)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "suppressed".into(),
            rows.iter().map(|r| r.suppressed).collect::<Vec<_>>(),
        ),
    ])
}
