//! The `[states]` section of a scenario: the types a state-transition (Markov) cohort
//! deserialises into. Checked and compiled in `compile::states`; documented for users in
//! `docs/scenario-format.md` ("State-transition cohorts").

use crate::param::Param;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A state-transition cohort model: named states, a transition matrix per arm, values on states
/// and transitions, and the timing conventions.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct States {
    /// The states, in order (ids used everywhere else in the section).
    pub names: Vec<String>,
    /// Cycle length: `year`, `quarter` or `month`. Default `year`; give it explicitly where any
    /// matrix is given as rates.
    #[serde(default)]
    pub cycle: Option<CycleLength>,
    /// Cycles each cohort runs. Default: to the end of the projection horizon.
    #[serde(default)]
    pub cycles: Option<u32>,
    /// Age of the cohort at entry, for matrices given by age (`from_age`, `to_age`).
    #[serde(default)]
    pub age_at_entry: Option<f64>,
    /// Share of a cohort in each state at entry (state → share); the shares must sum to 1.
    /// States not named start empty.
    pub initial: BTreeMap<String, Param>,
    /// Timing conventions.
    #[serde(default)]
    pub timing: MarkovTiming,
    /// The arms: `baseline` and `intervention`, each with its transition matrices.
    pub arm: BTreeMap<String, ArmSpec>,
    /// Relative risks or hazard ratios on named transitions of an arm.
    #[serde(default, rename = "effect", skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
    /// Costs per year spent in a state.
    #[serde(default, rename = "cost", skip_serializing_if = "Vec::is_empty")]
    pub costs: Vec<StateCost>,
    /// One-off costs of a transition (a placement starting, an eviction).
    #[serde(
        default,
        rename = "transition_cost",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub transition_costs: Vec<TransitionCost>,
    /// Outcomes per year spent in a state (years in a job, life-years, a quality weight).
    #[serde(default, rename = "outcome", skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<StateOutcome>,
    /// The values per outcome unit of the acceptability curve and EVPI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptability: Option<Acceptability>,
}

/// Length of one cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CycleLength {
    #[default]
    Year,
    Quarter,
    Month,
}

impl CycleLength {
    /// Cycles per year.
    pub fn per_year(self) -> u32 {
        match self {
            CycleLength::Year => 1,
            CycleLength::Quarter => 4,
            CycleLength::Month => 12,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CycleLength::Year => "year",
            CycleLength::Quarter => "quarter",
            CycleLength::Month => "month",
        }
    }
}

/// When in a cycle the cohort moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransitionTiming {
    /// At the end of each cycle: cycle k is spent in the states of the trace before its
    /// transition (m_k); the initial distribution is cycle 0's occupancy.
    #[default]
    End,
    /// At the start of each cycle: cycle k is spent in the states after its transition
    /// (m_{k+1}); the initial distribution is not counted unless `count_initial`.
    Start,
}

/// Within-cycle correction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Correction {
    /// Each cycle counts one occupancy (by `transitions`).
    #[default]
    None,
    /// Cycle k counts the mean occupancy (m_k + m_{k+1}) / 2 with cycle k's values.
    HalfCycle,
    /// The trace points m_0 … m_K with weights ½, 1, …, 1, ½ and each point's own values.
    Trapezoid,
    /// Simpson's 1/3 rule over m_0 … m_K (weights ⅓, 4⁄3, ⅔, …, 4⁄3, ⅓); an odd number of
    /// cycles ends with Simpson's 3/8 rule over the last three.
    Simpson,
    /// The weights of darthtools' `gen_wcc(n, "Simpson1/3")` as published: ⅓ at both ends, ⅔
    /// at odd points and 4⁄3 at even points in between (Alarid-Escudero et al. 2023).
    SimpsonDarth,
}

impl Correction {
    pub fn as_str(self) -> &'static str {
        match self {
            Correction::None => "none",
            Correction::HalfCycle => "half-cycle",
            Correction::Trapezoid => "trapezoid",
            Correction::Simpson => "simpson",
            Correction::SimpsonDarth => "simpson-darth",
        }
    }
}

/// Which values the within-cycle correction applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AppliesTo {
    /// Costs and outcomes.
    #[default]
    All,
    /// Outcomes only; costs are counted without correction.
    Outcomes,
    /// Costs only; outcomes are counted without correction.
    Costs,
}

/// Timing conventions of the state-transition form (each with its documented default).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkovTiming {
    /// `end` (default) or `start` of the cycle.
    #[serde(default)]
    pub transitions: TransitionTiming,
    /// With `transitions = "start"`: also count the initial distribution m_0 as a cycle of its
    /// own (TreeAge's stage-0 reward). Default false.
    #[serde(default)]
    pub count_initial: bool,
    /// `none` (default), `half-cycle`, `trapezoid`, `simpson` or `simpson-darth`.
    #[serde(default)]
    pub correction: Correction,
    /// `all` (default), `outcomes` or `costs`.
    #[serde(default)]
    pub correction_applies_to: AppliesTo,
    /// Where in each cycle its flows are discounted: `start`, `mid` or `end` of the cycle, or
    /// `year` (every cycle of a calendar year takes that year's factor). Default: the
    /// scenario's `[discounting] timing`, applied to each cycle.
    #[serde(default)]
    pub discount: Option<CycleDiscounting>,
}

/// Where in a cycle its flows are discounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CycleDiscounting {
    /// At the start of the cycle: cycle k is discounted k·Δt years from entry.
    Start,
    /// In the middle: (k + ½)·Δt years.
    Mid,
    /// At the end: (k + 1)·Δt years.
    End,
    /// By calendar year: every cycle of a year takes the year's factor under the scenario's
    /// timing (the budget-year view).
    Year,
}

impl CycleDiscounting {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleDiscounting::Start => "start",
            CycleDiscounting::Mid => "mid",
            CycleDiscounting::End => "end",
            CycleDiscounting::Year => "year",
        }
    }
}

/// One arm's transition matrices.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArmSpec {
    /// Transition matrices; a later one applies in the cycles of its window. The intervention
    /// arm may give none: it then uses the baseline's (with its effects applied).
    #[serde(default, rename = "matrix")]
    pub matrices: Vec<MatrixSpec>,
    /// Initial distribution of this arm, instead of `[states] initial`.
    #[serde(default)]
    pub initial: Option<BTreeMap<String, Param>>,
}

/// How a matrix's numbers are given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// Transition probabilities per cycle.
    #[default]
    Probabilities,
    /// Rates per year: p = 1 − e^(−r·Δt) with Δt the cycle length in years.
    Rates,
    /// Observed counts of transitions: p = n / Σ n of the row; drawn as Dirichlet rows.
    Counts,
}

impl Form {
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Probabilities => "probabilities",
            Form::Rates => "rates",
            Form::Counts => "counts",
        }
    }
}

/// A row: every column in state order, or only the transitions out of the state by target.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Row {
    Full(Vec<Param>),
    Sparse(BTreeMap<String, Param>),
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a row: a list with one number per state (`[0.9, 0.1]`) or a table of \
                     target states (`{ foster = 0.1 }`)",
                )
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, a: A) -> Result<Row, A::Error> {
                Vec::<Param>::deserialize(serde::de::value::SeqAccessDeserializer::new(a))
                    .map(Row::Full)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, a: A) -> Result<Row, A::Error> {
                BTreeMap::<String, Param>::deserialize(
                    serde::de::value::MapAccessDeserializer::new(a),
                )
                .map(Row::Sparse)
            }
        }
        d.deserialize_any(V)
    }
}

/// A transition matrix and the cycles it applies in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatrixSpec {
    /// `probabilities` (default), `rates` or `counts`.
    #[serde(default)]
    pub form: Form,
    /// A state whose transition is taken first (e.g. death): the other transitions of a row are
    /// conditional on not making it, p_ij = (1 − p_iD)·q_ij.
    #[serde(default)]
    pub conditional_on: Option<String>,
    /// Window in cycles since entry, `from_cycle` ≤ k < `to_cycle`.
    #[serde(default)]
    pub from_cycle: Option<u32>,
    #[serde(default)]
    pub to_cycle: Option<u32>,
    /// Window in years since entry.
    #[serde(default)]
    pub from_year: Option<u32>,
    #[serde(default)]
    pub to_year: Option<u32>,
    /// Window by the cohort's age (needs `age_at_entry`).
    #[serde(default)]
    pub from_age: Option<f64>,
    #[serde(default)]
    pub to_age: Option<f64>,
    /// Rows by state. A full row lists every column in state order; a sparse row
    /// (`{ B = 0.2 }`) lists transitions out of the state; the diagonal is the complement.
    #[serde(default)]
    pub rows: BTreeMap<String, Row>,
    /// Rows counted from the transitions table of the scenario's estimates file (`som
    /// estimate`); needs `form = "counts"` and `[estimates]`. Rows of states it does not map
    /// are given in `rows`; counts in `rows` for a counted state are added to the estimated
    /// ones (transitions the case data cannot show).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated: Option<EstimatedMatrix>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Transition counts taken from an estimates file's transitions table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimatedMatrix {
    /// `comparison` (default: the matched comparison group, what happens without the
    /// intervention) or `participants`.
    #[serde(default)]
    pub group: Option<String>,
    /// Years since start pooled (the transition from year k to k + 1). Default: every year
    /// from 0 on.
    #[serde(default)]
    pub years: Option<Vec<i32>>,
    /// State of the estimates → state of the scenario. Transitions from or to states not
    /// mapped are left out, and each row is normalised over what remains. Suppressed cells
    /// (fewer persons than the disclosure threshold) count 0.
    pub map: BTreeMap<String, String>,
}

/// A relative risk or hazard ratio on named transitions of an arm.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    /// The arm it applies to. Default `intervention`.
    #[serde(default)]
    pub arm: Option<String>,
    /// Transitions as `"A -> B"`; `"A -> *"` is every transition out of A, `"* -> D"` every
    /// transition into D.
    pub transitions: Vec<String>,
    /// Relative risk: p' = rr·p.
    #[serde(default)]
    pub rr: Option<Param>,
    /// Hazard ratio: p' = 1 − (1 − p)^hr (the rate multiplied by hr).
    #[serde(default)]
    pub hr: Option<Param>,
    /// First cycle (since entry) the effect holds in. Default 0.
    #[serde(default)]
    pub from_cycle: Option<u32>,
    /// Cycles the effect holds for; then the arm reverts to its matrix. Default: every cycle.
    #[serde(default)]
    pub cycles: Option<u32>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Whether a cost is the intervention's own or a consequence (use of services).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CostKind {
    /// Use of services (the consequences the intervention changes). Default.
    #[default]
    Consequence,
    /// The intervention's own cost (the investment).
    Intervention,
}

/// A cost per year spent in a state.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateCost {
    /// Label of the line in the ledger.
    pub name: String,
    /// The state.
    #[serde(deserialize_with = "one_state")]
    pub state: String,
    /// The arm; default both.
    #[serde(default)]
    pub arm: Option<String>,
    /// Amount in kr. (price-year prices) per year in the state.
    #[serde(default)]
    pub amount: Option<Param>,
    /// Id of a unit-price catalogue item; give `units` with it.
    #[serde(default)]
    pub item: Option<String>,
    /// Units of `item` per year in the state.
    #[serde(default)]
    pub units: Option<Param>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    /// `consequence` (default) or `intervention`.
    #[serde(default)]
    pub kind: CostKind,
    /// Window in cycles since entry, `from_cycle` ≤ k < `to_cycle`.
    #[serde(default)]
    pub from_cycle: Option<u32>,
    #[serde(default)]
    pub to_cycle: Option<u32>,
    #[serde(default)]
    pub source: Option<String>,
}

/// A one-off cost of each transition from one state to another.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionCost {
    pub name: String,
    /// `"A -> B"`.
    pub transition: String,
    #[serde(default)]
    pub arm: Option<String>,
    /// Amount in kr. per transition.
    #[serde(default)]
    pub amount: Option<Param>,
    #[serde(default)]
    pub item: Option<String>,
    /// Units of `item` per transition.
    #[serde(default)]
    pub units: Option<Param>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub kind: CostKind,
    #[serde(default)]
    pub source: Option<String>,
}

/// An outcome counted per year spent in a state.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateOutcome {
    /// Name, e.g. "years in a job" or "life-years".
    pub name: String,
    /// Value per year in each state (state → value); states not named count 0.
    pub values: BTreeMap<String, Param>,
    /// Values of the intervention arm where they differ (state → value).
    #[serde(default)]
    pub intervention: Option<BTreeMap<String, Param>>,
    /// `higher` (default) when more of the outcome is better, `lower` when less is (years in
    /// care): the incremental outcome, the cost per unit and dominance are then stated as
    /// units avoided.
    #[serde(default)]
    pub better: Better,
    /// A constant annual discount rate for this outcome (e.g. 0 for undiscounted life-years).
    /// Default: the scenario's discounting.
    #[serde(default)]
    pub discount_rate: Option<f64>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Which direction of an outcome is better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    #[default]
    Higher,
    Lower,
}

/// The range of values per outcome unit for the acceptability curve and EVPI.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptability {
    /// Highest value per outcome unit (kr.). The curve runs from 0 in `steps` equal steps.
    pub max: f64,
    /// Number of steps. Default 50.
    #[serde(default)]
    pub steps: Option<u32>,
}

/// A cost's `state`: one state id. A list gets a message that says how to cost several states.
fn one_state<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct One;
    impl<'de> serde::de::Visitor<'de> for One {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("one state id")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
            Err(serde::de::Error::custom(
                "a cost names one state: for a cost in several states, give one \
                 [[states.cost]] per state",
            ))
        }
    }
    d.deserialize_any(One)
}
