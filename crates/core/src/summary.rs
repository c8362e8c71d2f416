//! A run: compile, evaluate at base values, compute metrics, and assemble the machine-readable
//! summary and the output files.

use crate::error::{Error, Result};
use crate::loaded::{InputHash, Loaded};
use crate::metrics::{Results, compute};
use crate::model::{Conventions, Model, ParamSlot};
use crate::montecarlo::{Draws, McOptions, Reducer, simulate};
use crate::sensitivity::{Sensitivity, analyse};
use crate::uncertainty::{Uncertainty, summarise};
use serde::Serialize;

/// Version of som that produced a result.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Name of the file that records a run's provenance and marks a directory as som's output.
pub const MANIFEST: &str = "manifest.json";

/// Every output file with its size and SHA-256, for a manifest.
pub fn output_hashes(files: &[(String, Vec<u8>)]) -> Vec<serde_json::Value> {
    files
        .iter()
        .map(|(name, bytes)| {
            serde_json::json!({
                "file": name,
                "bytes": bytes.len(),
                "sha256": crate::source::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes)),
            })
        })
        .collect()
}

/// Version tag of the summary's layout.
pub const SUMMARY_FORMAT: &str = "som-summary/1";

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
    /// `success_rate` or `states`: which metrics belong to the results
    /// ([`crate::model::Form`]).
    pub form: crate::model::Form,
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
    /// What the model leaves out without being wrong, each as `FILE:LINE:COLUMN: field
    /// `PATH`: MESSAGE` (a cohort whose intervention runs past the horizon).
    pub warnings: Vec<String>,
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

/// A run of a loaded scenario: at base values, and with draws where asked for.
#[derive(Debug, Clone)]
pub struct Run {
    pub model: Model,
    pub summary: Summary,
    /// Flows at base values, `[cell, year]`.
    pub flows: ndarray::Array2<f64>,
    /// The same restated for discounting, where they are (`crate::evaluate::Flows::pv`).
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
                    crate::error::suggest(name, &all),
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

/// The reducers a run hands to the Monte Carlo loop: the state-transition outcomes and the
/// budget view's rows, where the model has them.
pub fn reducers(model: &Model) -> Vec<&'static dyn Reducer> {
    let mut r: Vec<&'static dyn Reducer> = Vec::new();
    if model.markov.is_some() {
        r.push(&crate::markov::results::OutcomeDraws);
    }
    if model.budget.is_some() {
        r.push(&crate::budget::RowDraws);
    }
    r
}

/// The summary of a run's draws: every group's metrics, and the budget view over the draws
/// where the model has one.
pub fn summarise_draws(model: &Model, draws: &Draws, opts: &McOptions) -> Uncertainty {
    let mut u = summarise(model, draws, opts);
    u.value_of_information = Some(crate::uncertainty::value_of_information(model, draws));
    u.budget = model.budget.as_ref().map(|plan| {
        let rows = draws.reduced(crate::budget::ROWS);
        crate::budget::uncertainty(plan, model, rows, opts.interval)
    });
    u
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
    if let Some(o) = mc {
        crate::montecarlo::check_draws(&model, o.draws, &reducers(&model))?;
        // A named EVPPI group asks for a regression that needs enough draws: say so up front.
        if o.draws > 0 {
            let short: Vec<_> = model
                .evppi_groups
                .iter()
                .enumerate()
                .filter(|(_, (_, s))| o.draws < crate::voi::draws_needed(s.len()))
                .map(|(i, (name, s))| {
                    let need = crate::voi::draws_needed(s.len());
                    loaded.source.diag(
                        &crate::source::FieldPath::root()
                            .key("sensitivity")
                            .key("group")
                            .index(i),
                        format!(
                            "the EVPPI of group `{name}` ({} inputs) needs at least {need} \
                             draws for its regression; give --draws {need} or more (the run \
                             asks for {})",
                            s.len(),
                            o.draws
                        ),
                    )
                })
                .collect();
            if !short.is_empty() {
                return Err(crate::Error::Invalid(short));
            }
        }
    }
    let draws = mc
        .filter(|o| o.draws > 0)
        .map(|o| simulate(&model, o, &reducers(&model)));
    // Draws stopped on request are incomplete: an error, never a result.
    if let Some(p) = mc.and_then(|o| o.progress.as_ref()) {
        p.check()?;
    }
    let uncertainty = mc.zip(draws.as_ref()).map(|(o, d)| Uncertainty {
        correlations: loaded.scenario.correlations.clone(),
        ..summarise_draws(&model, d, o)
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
            form: model.form(),
        },
        conventions: model.conventions.clone(),
        warnings: model.warnings.iter().map(|w| w.to_string()).collect(),
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
    // Every figure finite before anything is written (an overflow is an error, not a null).
    if let Some(path) = crate::finite::first_non_finite(&summary) {
        return Err(Error::Invalid(vec![crate::Diagnostic {
            file: loaded.source.name.clone(),
            line: None,
            column: None,
            field: String::new(),
            row: None,
            message: format!(
                "the result `{path}` is not a finite number: the scenario's inputs are too \
                 large to compute with; check the amounts and counts"
            ),
        }]));
    }
    let input_labels = crate::labels::input_labels(sc, &model.params, crate::lang::Lang::En);
    let input_labels_da = crate::labels::input_labels(sc, &model.params, crate::lang::Lang::Da);
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

impl Run {
    /// The readable name in `lang` of the input at field path `path`; the path itself where the
    /// model has no such input.
    pub fn label(&self, lang: crate::lang::Lang, path: &str) -> String {
        self.model
            .params
            .iter()
            .position(|p| p.name == path)
            .and_then(|j| self.labels(lang).get(j))
            .cloned()
            .unwrap_or_else(|| path.to_string())
    }

    /// The readable names of the inputs (θ slots) in `lang`.
    pub fn labels(&self, lang: crate::lang::Lang) -> &[String] {
        match lang {
            crate::lang::Lang::Da => &self.input_labels_da,
            crate::lang::Lang::En => &self.input_labels,
        }
    }
}
