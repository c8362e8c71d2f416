//! A run: compile, evaluate at base values, compute metrics, and assemble the machine-readable
//! summary and the output files.

use crate::error::{Error, Result};
use crate::io::{Loaded, MANIFEST};
use crate::ledger::ledger;
use crate::metrics::{Results, compute};
use crate::model::{Conventions, Model, ParamSlot};
use crate::montecarlo::{Draws, McOptions, Uncertainty, simulate, summarise};
use crate::sensitivity::{Sensitivity, analyse};
use polars_io::SerWriter;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::ParquetWriter;
use serde::Serialize;

/// Version of som that produced a result.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Version tag of the summary's layout.
pub const SUMMARY_FORMAT: &str = "som-summary/1";

/// An input file and its hash.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputHash {
    pub role: String,
    pub path: String,
    pub sha256: String,
}

/// What the scenario is about, for the reader of a summary.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: Option<String>,
    pub municipality: Option<String>,
    pub currency: String,
    pub price_year: i32,
    pub first_year: i32,
    pub last_year: i32,
    pub horizon: usize,
    pub success_measure: Option<String>,
}

/// Where a result came from.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub som_version: &'static str,
    /// Seed of the random draws; null for a deterministic run.
    pub seed: Option<u64>,
    /// Number of Monte Carlo draws; 0 for a deterministic run.
    pub draws: usize,
    pub inputs: Vec<InputHash>,
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub format: &'static str,
    pub scenario: ScenarioInfo,
    pub conventions: Conventions,
    #[serde(flatten)]
    pub results: Results,
    /// The budget view (budget years in the budget's prices, gross / refusion / net by
    /// department, distribution keys), when the scenario has a `[budget]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::budget::BudgetView>,
    /// Every numeric input (θ) at its base value, by field path.
    pub inputs: Vec<ParamSlot>,
    /// Monte Carlo summaries, when the run drew from the inputs' distributions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<Uncertainty>,
    /// One-way sensitivity (tornado) and switching values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// The state-transition form's results: per-arm costs and outcomes, cost per additional
    /// outcome unit, trace, acceptability (`crate::markov::results`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markov: Option<crate::markov::results::MarkovReport>,
    pub provenance: Provenance,
}

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
    pub lang: crate::report::Lang,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            keep_draws: false,
            charts: true,
            reports: true,
            workbook: true,
            lang: crate::report::Lang::En,
        }
    }
}

/// A run of a loaded scenario: at base values, and with draws where asked for.
#[derive(Debug, Clone)]
pub struct Run {
    pub model: Model,
    pub summary: Summary,
    /// Flows at base values, `[cell, year]`.
    pub flows: ndarray::Array2<f64>,
    /// The same restated for discounting, where they are (`crate::model::Flows::pv`).
    pub flows_pv: Option<ndarray::Array2<f64>>,
    /// Per-draw metrics of the Monte Carlo run, if any.
    pub draws: Option<Draws>,
    /// A readable name of every input (θ slot), for charts: the scenario line's name in place of
    /// its position (`consequence[2].units` → "Fewer placements: units").
    pub input_labels: Vec<String>,
    /// The same in Danish.
    pub input_labels_da: Vec<String>,
}

/// Compile and run a loaded scenario at base values (deterministic).
pub fn run(loaded: &Loaded) -> Result<Run> {
    run_with(loaded, None)
}

/// Options of the sensitivity analysis beyond the scenario's own `[sensitivity]`.
#[derive(Debug, Clone, Default)]
pub struct SensitivityOptions {
    /// Inputs (field paths) whose switching value is wanted, e.g. from `som run --switch`.
    pub switch: Vec<String>,
}

/// Compile and run a loaded scenario at base values and, with `mc`, over draws of its
/// uncertain inputs. The base-value results are the same either way.
pub fn run_with(loaded: &Loaded, mc: Option<&McOptions>) -> Result<Run> {
    run_full(loaded, mc, &SensitivityOptions::default())
}

/// The θ slots of inputs named on the command line; an unknown name is an error naming the
/// option.
fn named_inputs(model: &Model, names: &[String], option: &str) -> Result<Vec<usize>> {
    let all: Vec<&str> = model.params.iter().map(|p| p.name.as_str()).collect();
    let mut slots = Vec::new();
    let mut diags = Vec::new();
    for name in names {
        match all.iter().position(|p| p == name) {
            Some(j) => slots.push(j),
            None => diags.push(crate::Diagnostic {
                file: "command line".into(),
                line: None,
                column: None,
                field: option.into(),
                row: None,
                message: format!(
                    "unknown input `{name}`{}; inputs are named by their field path: {}",
                    crate::compile::suggest(name, &all),
                    all.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
    if diags.is_empty() {
        Ok(slots)
    } else {
        Err(Error::Invalid(diags))
    }
}

/// A run with every option: base values, draws with `mc`, and the sensitivity analysis (the
/// tornado at the run's interval, switching values of the success rate and of the inputs the
/// scenario and `sens` name).
pub fn run_full(loaded: &Loaded, mc: Option<&McOptions>, sens: &SensitivityOptions) -> Result<Run> {
    let model = loaded.compile()?;
    let switch = named_inputs(&model, &sens.switch, "--switch")?;
    let theta = model.base_theta();
    let f = model.evaluate(theta.view());
    let flows = f.draw(0).to_owned();
    let flows_pv = f.draw_pv(0).map(|v| v.to_owned());
    let results = compute(
        &model,
        flows.view(),
        flows_pv.as_ref().map(|v| v.view()),
        f.participants[0],
        f.outcomes[0],
    );
    let budget = model
        .budget
        .as_ref()
        .map(|plan| crate::budget::compute(plan, &model, flows.view()));
    let draws = mc.filter(|o| o.draws > 0).map(|o| simulate(&model, o));
    // Draws stopped on request are incomplete: an error, never a result.
    if let Some(p) = mc.and_then(|o| o.progress.as_ref()) {
        p.check()?;
    }
    let uncertainty = mc.zip(draws.as_ref()).map(|(o, d)| Uncertainty {
        correlations: loaded.scenario.correlations.clone(),
        ..summarise(&model, d, o)
    });
    let interval = mc.map_or(McOptions::default().interval, |o| o.interval);
    let sensitivity = Some(analyse(&model, interval, &switch));
    let markov = crate::markov::results::report(&model, &f).map(|mut r| {
        if let Some(d) = &draws {
            r.uncertainty = crate::markov::results::uncertainty(&model, d, interval, &r);
        }
        r
    });
    let sc = &loaded.scenario;
    let summary = Summary {
        format: SUMMARY_FORMAT,
        scenario: ScenarioInfo {
            name: sc.name.clone(),
            description: sc.description.clone(),
            municipality: sc.municipality.clone(),
            currency: model.currency.clone(),
            price_year: sc.price_year,
            first_year: sc.first_year,
            last_year: *model.years.last().unwrap_or(&sc.first_year),
            horizon: model.horizon(),
            success_measure: sc.success.measure.clone(),
        },
        conventions: model.conventions.clone(),
        results,
        budget,
        inputs: model.params.clone(),
        provenance: Provenance {
            som_version: VERSION,
            seed: uncertainty.as_ref().map(|u| u.seed),
            draws: uncertainty.as_ref().map_or(0, |u| u.draws),
            inputs: loaded.inputs(),
        },
        uncertainty,
        sensitivity,
        markov,
    };
    let input_labels =
        crate::charts::labels::input_labels(sc, &model.params, crate::report::Lang::En);
    let input_labels_da =
        crate::charts::labels::input_labels(sc, &model.params, crate::report::Lang::Da);
    Ok(Run {
        model,
        summary,
        flows,
        flows_pv,
        draws,
        input_labels,
        input_labels_da,
    })
}

/// A data frame as CSV bytes (comma-separated, point decimals, header row).
pub fn csv_bytes(df: &mut polars::prelude::DataFrame) -> polars::prelude::PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    CsvWriter::new(&mut out).finish(df)?;
    Ok(out)
}

/// A data frame as Parquet bytes.
pub fn parquet_bytes(
    df: &mut polars::prelude::DataFrame,
) -> polars::prelude::PolarsResult<Vec<u8>> {
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

impl Run {
    /// The readable name in `lang` of the input at field path `path`; the path itself where the
    /// model has no such input.
    pub fn label(&self, lang: crate::report::Lang, path: &str) -> String {
        self.model
            .params
            .iter()
            .position(|p| p.name == path)
            .and_then(|j| self.labels(lang).get(j))
            .cloned()
            .unwrap_or_else(|| path.to_string())
    }

    /// The readable names of the inputs (θ slots) in `lang`.
    pub fn labels(&self, lang: crate::report::Lang) -> &[String] {
        match lang {
            crate::report::Lang::Da => &self.input_labels_da,
            crate::report::Lang::En => &self.input_labels,
        }
    }

    /// Per-draw metrics as a table: draw, then NPV, cost PV, benefit PV, BCR and payback year
    /// of the total, the NPV of every actor and department, and the drawn value of every
    /// uncertain input (`input:` and its field path).
    pub fn draws_frame(&self) -> Option<polars::prelude::PolarsResult<polars::prelude::DataFrame>> {
        use polars::prelude::*;
        let d = self.draws.as_ref()?;
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
        if let Some(mk) = &self.model.markov {
            // Discounted outcome totals of each arm, draw by draw.
            let no = mk.outcomes.len();
            for (a, arm) in crate::markov::ARMS.iter().enumerate() {
                for (o, oc) in mk.outcomes.iter().enumerate() {
                    let v: Vec<f64> = (0..n)
                        .map(|i| d.markov_outcomes.get(i * 2 * no + a * no + o).copied())
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
                format!("input:{}", self.model.params[*j].name).into(),
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
    pub fn output_files(
        &self,
        options: serde_json::Value,
        out: &OutputOptions,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        let mut files = Vec::new();
        let summary =
            serde_json::to_vec_pretty(&self.summary).map_err(|e| out_err("summary.json", e))?;
        files.push(("summary.json".to_string(), summary));
        let mut df = ledger(
            &self.model,
            self.flows.view(),
            self.flows_pv.as_ref().map(|v| v.view()),
        )
        .map_err(|e| out_err("ledger", e))?;
        let parquet = parquet_bytes(&mut df).map_err(|e| out_err("ledger.parquet", e))?;
        files.push(("ledger.parquet".to_string(), parquet));
        let csv = csv_bytes(&mut df).map_err(|e| out_err("ledger.csv", e))?;
        files.push(("ledger.csv".to_string(), csv));
        if let Some(m) = &self.summary.markov {
            files.push((
                "markov_trace.csv".to_string(),
                crate::markov::results::trace_csv(m),
            ));
        }
        if let Some(b) = &self.summary.budget {
            files.push((
                crate::budget::CSV_FILE.to_string(),
                crate::budget::csv(b).into_bytes(),
            ));
        }
        if out.keep_draws
            && let Some(df) = self.draws_frame()
        {
            let mut df = df.map_err(|e| out_err("draws.parquet", e))?;
            let bytes = parquet_bytes(&mut df).map_err(|e| out_err("draws.parquet", e))?;
            files.push(("draws.parquet".to_string(), bytes));
        }
        let mut charts = Vec::new();
        if out.charts {
            let start = std::time::Instant::now();
            charts = crate::charts::render(self, out.lang)?;
            tracing::debug!(
                charts = charts.len(),
                ms = start.elapsed().as_millis() as u64,
                "charts rendered"
            );
        }
        if out.reports {
            let html = crate::report::html::render(self, &charts, out.lang);
            files.push(("report.html".to_string(), html.into_bytes()));
            let md = crate::report::markdown::render(self, out.lang);
            files.push(("summary.md".to_string(), md.into_bytes()));
        }
        files.extend(charts);
        if out.workbook {
            files.push((
                crate::workbook::FILE.to_string(),
                crate::workbook::workbook(self, out.lang)?,
            ));
        }
        let outputs = crate::io::output_hashes(&files);
        let manifest = serde_json::json!({
            "format": "som-manifest/1",
            "som_version": VERSION,
            "seed": self.summary.provenance.seed,
            "draws": self.summary.provenance.draws,
            "options": options,
            "inputs": self.summary.provenance.inputs,
            "outputs": outputs,
        });
        let mut manifest = manifest;
        if let Some(m) = &self.summary.markov {
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
}
