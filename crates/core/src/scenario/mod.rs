//! Scenario format v1: the types a scenario file deserialises into.
//!
//! The format is documented for users in `docs/scenario-format.md`; the JSON Schema that editors
//! use is generated from these types (`som schema`). Unknown fields are errors, so a typo never
//! silently falls back to a default.

pub mod budget;
pub mod states;

use crate::param::Param;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format tag a v1 scenario may carry in `format`.
pub const FORMAT_V1: &str = "som-scenario/1";

/// A scenario: one intervention, its participants, costs, effect and consequences.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format tag, `"som-scenario/1"`. Optional in v1.
    #[serde(default)]
    pub format: Option<String>,
    /// Short name shown in reports.
    pub name: String,
    /// What the intervention is, in plain words.
    #[serde(default)]
    pub description: Option<String>,
    /// Municipality code or name the scenario is set in (e.g. "751" or "Aarhus").
    #[serde(default)]
    pub municipality: Option<String>,
    /// Currency label used in reports. Default "kr.".
    #[serde(default)]
    pub currency: Option<String>,
    /// All amounts of the scenario and of the results are in this year's prices (real terms).
    pub price_year: i32,
    /// Calendar year of projection year 0 (the decision year).
    pub first_year: i32,
    /// Number of projection years, year 0 included.
    pub horizon: u32,
    /// Which catalogues to use; paths are relative to the scenario file. Omitted entries use
    /// the catalogues bundled with som (`models/catalogues/`).
    #[serde(default)]
    pub catalogues: CatalogueRefs,
    /// Discount schedule and timing convention.
    #[serde(default)]
    pub discounting: Discounting,
    /// Optimism-bias corrections (Greater Manchester / HM Treasury practice).
    #[serde(default)]
    pub adjustments: Adjustments,
    /// Cohorts of participants by start year.
    #[serde(rename = "cohort")]
    pub cohorts: Vec<Cohort>,
    /// The intervention: its duration and its costs. Required in the success-rate form; not
    /// used with `[states]`.
    #[serde(default)]
    pub intervention: Intervention,
    /// The success measure and the success rate net of deadweight. Required in the success-rate
    /// form; not used with `[states]`.
    #[serde(default)]
    pub success: Success,
    /// The state-transition (Markov) form: states, transition matrices per arm, values on states
    /// and transitions, timing conventions. Replaces `[intervention]`, `[success]` and
    /// `[[consequence]]` (see `docs/scenario-format.md`, "State-transition cohorts").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states: Option<states::States>,
    /// Default phase-in and persistence of the consequences, by year since they start.
    #[serde(default)]
    pub persistence: Persistence,
    /// Consequences per successful participant per year.
    #[serde(default, rename = "consequence")]
    pub consequences: Vec<Consequence>,
    /// Named sources that fields can cite (`source = "vive2019"`), id → full citation.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Effects estimated from case data (`som estimate`), for consequences marked `estimated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimates: Option<EstimatesRef>,
    /// Correlations between uncertain inputs in Monte Carlo runs (a Gaussian copula); inputs
    /// not named here are drawn independently.
    #[serde(default, rename = "correlation", skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<Correlation>,
    /// One-way sensitivity (tornado) ranges of inputs, and inputs whose switching value is
    /// reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// The budget view for the finance department: budget years in current prices, state
    /// reimbursement (refusion) and distribution keys (fordelingsnøgler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<budget::BudgetSection>,
}

impl Scenario {
    /// The currency label of reports: `currency`, default "kr.".
    pub fn currency(&self) -> String {
        self.currency.clone().unwrap_or_else(|| "kr.".into())
    }
}

/// A correlation between two uncertain inputs, named by their field paths. `rho` is the
/// correlation of their normal scores (a Gaussian copula): each input keeps its own
/// distribution, and the rank correlation of the drawn values is (6/π)·asin(ρ/2), within 0.02
/// of ρ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// The two inputs, by field path, e.g. `["success.with", "consequence[0].units"]`. Both
    /// must have a distribution.
    pub inputs: Vec<String>,
    /// Correlation between −1 and 1.
    pub rho: f64,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Sensitivity analysis settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    /// Low and high values of inputs in the one-way sensitivity (tornado): for a fixed input,
    /// or instead of an uncertain input's quantiles at the run's interval.
    #[serde(default, rename = "range")]
    pub ranges: Vec<SensitivityRange>,
    /// Inputs, by field path, whose switching value (where the total NPV is 0) is reported
    /// besides the success rate's.
    #[serde(default)]
    pub switching: Vec<String>,
    /// Groups of uncertain inputs whose joint EVPPI (what knowing them all before deciding is
    /// worth) a run with draws reports besides each input's.
    #[serde(default, rename = "group")]
    pub groups: Vec<InputGroup>,
    /// Two-way sensitivity: the total NPV over a grid of two inputs, everything else at base.
    #[serde(default)]
    pub two_way: Vec<TwoWaySpec>,
    /// The population a decision covers, for the value of information over it.
    #[serde(default)]
    pub population: Option<DecisionPopulation>,
}

/// Who a decision covers: `per_year` participants a year like the scenario's, for `years`
/// years. The value of information per participant is scaled to it, discounted as the scenario
/// discounts its projection years.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionPopulation {
    /// Participants a year whom the decision covers.
    pub per_year: f64,
    /// Years the decision holds, 1 to the horizon.
    pub years: u32,
    #[serde(default)]
    pub source: Option<String>,
}

/// A two-way sensitivity grid: two inputs, each over its tornado range (the quantiles of its
/// distribution at the run's interval, or its `[[sensitivity.range]]`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoWaySpec {
    /// The two inputs, by field path.
    pub inputs: Vec<String>,
    /// Grid points per input, 3 to 101 (default 21).
    #[serde(default)]
    pub steps: Option<u32>,
}

/// A named group of uncertain inputs, for their joint EVPPI.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputGroup {
    /// The group's name, shown beside its EVPPI.
    pub name: String,
    /// Its inputs by field path (two to five, each with a distribution).
    pub inputs: Vec<String>,
}

/// The low and high value of one input in the tornado.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitivityRange {
    /// The input, by field path, e.g. `intervention.cost[0].amount`.
    pub input: String,
    pub low: f64,
    pub high: f64,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where a scenario's estimated consequences come from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimatesRef {
    /// `estimates.json` written by `som estimate`, relative to the scenario; its
    /// `bootstrap.parquet` beside it is read too, when present.
    pub file: String,
}

/// Paths of the catalogues a scenario uses.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueRefs {
    /// Unit-price catalogue.
    #[serde(default)]
    pub prices: Option<String>,
    /// Price-index catalogue used to move prices to the scenario's price year.
    #[serde(default)]
    pub price_index: Option<String>,
    /// Discount-schedule catalogue.
    #[serde(default)]
    pub discount: Option<String>,
    /// Department map: actors, departments and the chart-of-accounts functions they own.
    #[serde(default)]
    pub departments: Option<String>,
    /// State reimbursement (refusion) rules, read when the scenario has a `[budget]` section.
    #[serde(default)]
    pub refusion: Option<String>,
}

/// When within a year the flows of that year fall, for discounting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Timing {
    /// At the start of the year: year 0 is not discounted, year t is discounted t periods.
    #[default]
    Start,
    /// In the middle of the year: year t is discounted t + ½ periods.
    Mid,
    /// At the end of the year: year t is discounted t + 1 periods (year 0 discounted once).
    End,
}

/// How future flows are discounted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Discounting {
    /// Id of a schedule in the discount catalogue. Default `dk-fm-2021` when no `rate` is given.
    #[serde(default)]
    pub schedule: Option<String>,
    /// A constant annual real rate (e.g. 0.035) instead of a named schedule.
    #[serde(default)]
    pub rate: Option<Param>,
    /// Timing of flows within a year. Default `start` (year 0 undiscounted).
    #[serde(default)]
    pub timing: Timing,
}

/// Optimism-bias corrections.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustments {
    /// Uplift on the intervention's own costs, e.g. 0.10 for +10 %. Default 0.
    #[serde(default)]
    pub cost_uplift: Option<Param>,
    /// Reduction of every saving among the consequences, e.g. 0.20 for −20 %; adverse
    /// consequences (extra expenditure) are not reduced. Default 0.
    #[serde(default)]
    pub benefit_reduction: Option<Param>,
}

/// Participants starting in one year.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// Calendar year the cohort starts the intervention.
    pub start: i32,
    /// Number of participants starting that year.
    pub participants: Param,
}

/// The intervention: how long a participant is in it, and what it costs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Intervention {
    /// Whole years a participant spends in the intervention (≥ 1). Consequences that start
    /// `after_exit` begin in the year after the last year in the intervention.
    pub duration: u32,
    /// Department that carries the intervention's own costs (cost and start-up lines, and
    /// replaced amounts) unless a line names another; item-priced lines use it where its actor
    /// has a price in the item.
    #[serde(default)]
    pub department: Option<String>,
    /// Costs per participant.
    #[serde(default, rename = "cost")]
    pub costs: Vec<CostLine>,
    /// One-off costs of setting the intervention up (not per participant).
    #[serde(default, rename = "startup")]
    pub startup: Vec<Startup>,
    /// Services the intervention replaces (the basisalternativ), per participant: their cost is
    /// saved while participants are in the intervention.
    #[serde(default)]
    pub replaces: Vec<CostLine>,
}

/// Whether a per-participant cost is paid every year in the intervention or once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// Every year the participant is in the intervention.
    #[default]
    Year,
    /// Once per participant, in the start year.
    Participant,
}

/// A cost per participant: an amount, or units of a priced catalogue item.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostLine {
    /// Label of the line in the ledger.
    pub name: String,
    /// Amount in kr. (price-year prices) per participant per year, or once (`per`).
    #[serde(default)]
    pub amount: Option<Param>,
    /// Id of a unit-price catalogue item; give `units` with it.
    #[serde(default)]
    pub item: Option<String>,
    /// Units of `item` per participant per year (or once).
    #[serde(default)]
    pub units: Option<Param>,
    /// `year` (default) or `participant`.
    #[serde(default)]
    pub per: Per,
    /// Department that pays; default the intervention's department, or the item's.
    #[serde(default)]
    pub department: Option<String>,
    /// Actor that pays; default the department's actor. Only with `amount`.
    #[serde(default)]
    pub actor: Option<String>,
    /// Where the figure comes from.
    #[serde(default)]
    pub source: Option<String>,
}

/// A one-off cost in a given year.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Startup {
    pub name: String,
    /// Calendar year the cost falls in.
    pub year: i32,
    /// Amount in kr. (price-year prices).
    pub amount: Param,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// The success measure and rate. Give exactly one of: `net`; `with` and `without`;
/// `rate` (optionally with `deadweight`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Success {
    /// What counts as success, in words.
    #[serde(default)]
    pub measure: Option<String>,
    /// Success rate net of deadweight.
    #[serde(default)]
    pub net: Option<Param>,
    /// Success rate with the intervention (SØM: "succesrate med indsatsen").
    #[serde(default)]
    pub with: Option<Param>,
    /// Success rate without it (deadweight as a rate).
    #[serde(default)]
    pub without: Option<Param>,
    /// Gross success rate, reduced by `deadweight`.
    #[serde(default)]
    pub rate: Option<Param>,
    /// Share of successes that would have happened anyway (0–1).
    #[serde(default)]
    pub deadweight: Option<Param>,
    #[serde(default)]
    pub source: Option<String>,
}

/// When consequences start for a cohort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Onset {
    /// In the first year after the last year in the intervention.
    #[default]
    AfterExit,
    /// In the start year itself.
    AtStart,
}

/// Phase-in and persistence of a consequence, by year since it starts (year 1 = first year).
/// Give at most one of `profile`, `decay`, `half_life`; none means full persistence.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Persistence {
    /// Share of the effect that remains in year 1, 2, …; zero after the last entry.
    #[serde(default)]
    pub profile: Option<Vec<Param>>,
    /// Share of the effect lost each year after year 1 (year k keeps (1 − decay)^(k−1)).
    #[serde(default)]
    pub decay: Option<Param>,
    /// Years for the effect to halve (year k keeps 0.5^((k−1)/half_life)).
    #[serde(default)]
    pub half_life: Option<Param>,
    /// The effect ends after this many years.
    #[serde(default)]
    pub years: Option<u32>,
    /// Share of the full effect reached in year 1, 2, …; 1 after the last entry.
    #[serde(default)]
    pub phase_in: Option<Vec<Param>>,
    /// When consequences start. Default `after_exit`.
    #[serde(default)]
    pub onset: Option<Onset>,
}

/// A consequence per successful participant per year: a change in units of a priced service,
/// or an amount. Negative values are savings (less use of a service), positive values are
/// extra expenditure.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consequence {
    pub name: String,
    /// Take this consequence from the estimates file (`[estimates]`): the effect per
    /// participant by year since start of the named department there (e.g. `"born_familie"`,
    /// or `"total"` with `department` given). Replaces `item`, `units`, `amount` and
    /// `persistence`, and is not multiplied by the success rate: the estimate is already the
    /// average change over all participants, net of what happened to the comparison group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated: Option<String>,
    /// Id of a unit-price catalogue item; give `units` with it.
    #[serde(default)]
    pub item: Option<String>,
    /// Change in units of `item` per successful participant per year.
    #[serde(default)]
    pub units: Option<Param>,
    /// Change in expenditure in kr. (price-year prices) per successful participant per year.
    #[serde(default)]
    pub amount: Option<Param>,
    /// Department the consequence lands on (default: the item's department).
    #[serde(default)]
    pub department: Option<String>,
    /// Actor the consequence lands on (only with `amount`; default the department's actor).
    #[serde(default)]
    pub actor: Option<String>,
    /// Overrides the scenario's `[persistence]` for this consequence.
    #[serde(default)]
    pub persistence: Option<Persistence>,
    #[serde(default)]
    pub source: Option<String>,
}
