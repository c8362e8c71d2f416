//! Every output file of a run as bytes (`summary.json`, the ledger, the tables, the charts, the
//! reports, the workbook and `manifest.json`, written last with every other file's SHA-256).
//! Pure: writing them, whole or not at all, is the caller's.

use crate::ledger::ledger;
use polars::prelude::*;
use polars_io::SerWriter;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::ParquetWriter;
use som_core::error::{Error, Result};
use som_core::lang::Lang;
use som_core::summary::{MANIFEST, Run, VERSION, output_hashes};

/// Which of the optional outputs of a run to write, and in which language.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// Every draw's metrics in `draws.parquet`.
    pub keep_draws: bool,
    /// The charts, `charts/*.png` and `charts/*.svg`.
    pub charts: bool,
    /// The HTML report and the Markdown summary.
    pub reports: bool,
    /// The Excel workbook `report.xlsx`.
    pub workbook: bool,
    /// The language of the reports.
    pub lang: som_core::lang::Lang,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            keep_draws: false,
            charts: true,
            reports: true,
            workbook: true,
            lang: som_core::lang::Lang::En,
        }
    }
}

/// A data frame as CSV bytes (comma-separated, point decimals, header row).
pub fn csv_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    CsvWriter::new(&mut out).finish(df)?;
    Ok(out)
}

/// A data frame as Parquet bytes.
pub fn parquet_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(df)?;
    Ok(out)
}

fn out_err(file: &str, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: file.into(),
        message: e.to_string(),
    }
}

/// Per-draw metrics as a table: draw, then NPV, cost PV, benefit PV, BCR and payback year
/// of the total, the NPV of every actor and department, and the drawn value of every
/// uncertain input (`input:` and its field path).
pub fn draws_frame(run: &Run) -> Option<PolarsResult<DataFrame>> {
    let d = run.draws.as_ref()?;
    let n = d.total.npv.len();
    let mut cols = vec![
        Column::new("draw".into(), (0..n as u64).collect::<Vec<u64>>()),
        Column::new("npv".into(), d.total.npv.clone()),
        Column::new("cost_pv".into(), d.total.cost_pv.clone()),
        Column::new("benefit_pv".into(), d.total.benefit_pv.clone()),
        Column::new("bcr".into(), d.total.bcr.clone()),
        Column::new("payback_year".into(), d.total.payback_year.clone()),
        Column::new("net_outcomes".into(), d.net_outcomes.clone()),
    ];
    for g in &d.by_actor {
        cols.push(Column::new(
            format!("npv_actor_{}", g.id).into(),
            g.npv.clone(),
        ));
    }
    for g in &d.by_department {
        cols.push(Column::new(
            format!("npv_department_{}", g.id).into(),
            g.npv.clone(),
        ));
    }
    if let Some(mk) = &run.model.markov {
        // Discounted outcome totals of each arm, draw by draw.
        let no = mk.outcomes.len();
        let outcomes = d.reduced(som_core::markov::results::OUTCOMES);
        for (a, arm) in som_core::markov::ARMS.iter().enumerate() {
            for (o, oc) in mk.outcomes.iter().enumerate() {
                let v: Vec<f64> = (0..n)
                    .map(|i| outcomes.get(i * 2 * no + a * no + o).copied())
                    .map(|x| x.unwrap_or(f64::NAN))
                    .collect();
                cols.push(Column::new(
                    format!("outcome_{}:{}", arm.as_str(), oc.name).into(),
                    v,
                ));
            }
        }
    }
    for (j, values) in &d.inputs {
        cols.push(Column::new(
            format!("input:{}", run.model.params[*j].name).into(),
            values.clone(),
        ));
    }
    Some(DataFrame::new_infer_height(cols))
}

/// The output files of a run: summary.json, ledger.parquet, ledger.csv, budget.csv (with a
/// budget view), manifest.json, draws.parquet when `keep_draws` (and the run drew), the
/// charts (`charts/*.png` and `charts/*.svg`, see [`crate::charts`]) when `charts`, the
/// reports (`report.html`, `summary.md`, see [`crate::report`]) when `reports`, and the
/// workbook `report.xlsx` ([`crate::workbook`]) when `workbook`.
pub fn run_files(
    run: &Run,
    options: serde_json::Value,
    out: &OutputOptions,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let summary =
        serde_json::to_vec_pretty(&run.summary).map_err(|e| out_err("summary.json", e))?;
    files.push(("summary.json".to_string(), summary));
    let mut df = ledger(
        &run.model,
        run.flows.view(),
        run.flows_pv.as_ref().map(|v| v.view()),
    )
    .map_err(|e| out_err("ledger", e))?;
    let parquet = parquet_bytes(&mut df).map_err(|e| out_err("ledger.parquet", e))?;
    files.push(("ledger.parquet".to_string(), parquet));
    let csv = csv_bytes(&mut df).map_err(|e| out_err("ledger.csv", e))?;
    files.push(("ledger.csv".to_string(), csv));
    if let Some(m) = &run.summary.markov {
        files.push((
            "markov_trace.csv".to_string(),
            crate::tables::markov_trace_csv(m),
        ));
    }
    if let Some(b) = &run.summary.budget {
        files.push((
            crate::tables::BUDGET_CSV.to_string(),
            crate::tables::budget_csv(b).into_bytes(),
        ));
    }
    if out.keep_draws
        && let Some(df) = draws_frame(run)
    {
        let mut df = df.map_err(|e| out_err("draws.parquet", e))?;
        let bytes = parquet_bytes(&mut df).map_err(|e| out_err("draws.parquet", e))?;
        files.push(("draws.parquet".to_string(), bytes));
    }
    let mut charts = Vec::new();
    if out.charts {
        let start = std::time::Instant::now();
        charts = crate::charts::render(run, out.lang)?;
        tracing::debug!(
            charts = charts.len(),
            ms = start.elapsed().as_millis() as u64,
            "charts rendered"
        );
    }
    if out.reports {
        let html = crate::html::render(run, &charts, out.lang);
        files.push(("report.html".to_string(), html.into_bytes()));
        let md = crate::markdown::render(run, out.lang);
        files.push(("summary.md".to_string(), md.into_bytes()));
    }
    files.extend(charts);
    if out.workbook {
        files.push((
            crate::workbook::FILE.to_string(),
            crate::workbook::workbook(run, out.lang)?,
        ));
    }
    let outputs = output_hashes(&files);
    let manifest = serde_json::json!({
        "format": "som-manifest/1",
        "som_version": VERSION,
        "seed": run.summary.provenance.seed,
        "draws": run.summary.provenance.draws,
        "options": options,
        "inputs": run.summary.provenance.inputs,
        "outputs": outputs,
    });
    let mut manifest = manifest;
    if let Some(m) = &run.summary.markov {
        // The within-cycle weights of the trace points, written out.
        manifest["markov_weights"] = serde_json::json!({
            "transitions": m.conventions.transitions,
            "count_initial": m.conventions.count_initial,
            "correction": m.conventions.correction,
            "correction_applies_to": m.conventions.correction_applies_to,
            "cost_weights": m.conventions.cost_weights,
            "outcome_weights": m.conventions.outcome_weights,
            "discount": m.conventions.discount,
            "discount_offsets": m.conventions.discount_offsets,
        });
    }
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(|e| out_err(MANIFEST, e))?;
    files.push((MANIFEST.to_string(), manifest));
    Ok(files)
}

/// The files of a comparison: `comparison.json`, `comparison.csv`, `comparison.md`,
/// `comparison.html`, the chart (`charts/scenario_comparison.png|svg`) and `manifest.json`
/// with every scenario's inputs and their hashes.
pub fn comparison_files(runs: &[(String, &Run)], lang: Lang) -> Result<Vec<(String, Vec<u8>)>> {
    let cmp = crate::compare::Comparison::new(runs);
    let err = |file: &str, e: &dyn std::fmt::Display| Error::Write {
        path: file.into(),
        message: e.to_string(),
    };
    let charts = crate::charts::render_comparison(&cmp, lang)?;
    let png = charts
        .iter()
        .find(|(f, _)| f.ends_with(".png"))
        .map(|(_, b)| b.as_slice());
    let mut files = vec![
        (
            "comparison.json".to_string(),
            serde_json::to_vec_pretty(&cmp).map_err(|e| err("comparison.json", &e))?,
        ),
        ("comparison.csv".to_string(), cmp.csv().into_bytes()),
        ("comparison.md".to_string(), cmp.markdown(lang).into_bytes()),
        (
            "comparison.html".to_string(),
            cmp.html(lang, png).into_bytes(),
        ),
    ];
    files.extend(charts);
    let outputs = output_hashes(&files);
    let scenarios: Vec<serde_json::Value> = runs
        .iter()
        .map(|(file, run)| {
            serde_json::json!({
                "file": file,
                "seed": run.summary.provenance.seed,
                "draws": run.summary.provenance.draws,
                "inputs": run.summary.provenance.inputs,
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "format": "som-manifest/1",
        "som_version": VERSION,
        "command": "compare",
        "lang": lang,
        "scenarios": scenarios,
        "outputs": outputs,
    });
    files.push((
        MANIFEST.to_string(),
        serde_json::to_vec_pretty(&manifest).map_err(|e| err(MANIFEST, &e))?,
    ));
    Ok(files)
}

/// Every file of a comparison, with `manifest` (the inputs and options) written last;
/// `draws.parquet` too when `keep_draws`.
pub fn municipality_files(
    cmp: &som_core::municipalities::Comparison,
    lang: Lang,
    keep_draws: bool,
    manifest: serde_json::Value,
) -> Result<Vec<(String, Vec<u8>)>> {
    let charts = crate::charts::render_municipalities(cmp, lang)?;
    let mut files = vec![
        (
            "municipalities.csv".to_string(),
            crate::municipalities::csv(cmp).into_bytes(),
        ),
        (
            "regions.csv".to_string(),
            crate::municipalities::regions_csv(cmp).into_bytes(),
        ),
        (
            "municipalities.json".to_string(),
            serde_json::to_vec_pretty(cmp).map_err(|e| Error::Write {
                path: "municipalities.json".into(),
                message: e.to_string(),
            })?,
        ),
        (
            "municipalities.md".to_string(),
            crate::municipalities::markdown(cmp, lang).into_bytes(),
        ),
        (
            "municipalities.html".to_string(),
            crate::municipalities::html(cmp, lang, &charts).into_bytes(),
        ),
    ];
    files.extend(charts);
    if keep_draws && cmp.draws > 0 {
        files.push((
            "draws.parquet".to_string(),
            municipality_draws_parquet(cmp)?,
        ));
    }
    let outputs = output_hashes(&files);
    let mut m = manifest;
    m["outputs"] = serde_json::Value::Array(outputs);
    files.push((
        MANIFEST.to_string(),
        serde_json::to_vec_pretty(&m).map_err(|e| Error::Write {
            path: MANIFEST.into(),
            message: e.to_string(),
        })?,
    ));
    Ok(files)
}

/// `draws.parquet`: column `draw`, then `npv_<code>` for every municipality with figures.
pub fn municipality_draws_parquet(cmp: &som_core::municipalities::Comparison) -> Result<Vec<u8>> {
    let n = cmp.npv_draws.first().map_or(0, |d| d.1.len());
    let mut cols = vec![Column::new(
        "draw".into(),
        (0..n as u64).collect::<Vec<u64>>(),
    )];
    for (code, d) in &cmp.npv_draws {
        cols.push(Column::new(format!("npv_{code}").into(), d.clone()));
    }
    let err = |e: PolarsError| Error::Write {
        path: "draws.parquet".into(),
        message: e.to_string(),
    };
    let mut df = DataFrame::new_infer_height(cols).map_err(err)?;
    parquet_bytes(&mut df).map_err(err)
}
