//! The `[budget]` section of a scenario: the budget years, the price level, the refusion rules
//! that apply to its lines and the distribution keys (checked and compiled by
//! `compile/budget.rs`; applied to a run's flows by `crate::budget`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[budget]` section of a scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetSection {
    /// The budget year (budgetår), the first year of the view. Default: the scenario's
    /// `first_year`.
    #[serde(default)]
    pub first_year: Option<i32>,
    /// Number of years shown: the budget year and the overslagsår. Default 4 (the budget year
    /// and three overslagsår), cut at the end of the projection.
    #[serde(default)]
    pub years: Option<u32>,
    /// `current` (default): every year in its own prices (løbende priser); `budget_year`:
    /// every year in the budget year's price level ("2027 p/l").
    #[serde(default)]
    pub prices: Prices,
    /// Price index (an id in the price-index catalogue) that moves the scenario's price-year
    /// amounts to the budget's prices. Default `budget_pl`.
    #[serde(default)]
    pub index: Option<String>,
    /// A different index for some departments, department id → index id (e.g. a wage-heavy
    /// department on a wage index).
    #[serde(default)]
    pub department_index: BTreeMap<String, String>,
    /// The actor whose budget this is. Default `kommune`.
    #[serde(default)]
    pub municipality: Option<String>,
    /// The actor that pays the refusion. Default `stat` (when the department map has it).
    #[serde(default)]
    pub state: Option<String>,
    /// Lines subject to state reimbursement, and the rule of each.
    #[serde(default, rename = "refusion")]
    pub refusion: Vec<RefusionLine>,
    /// Distribution keys: a share of one department's gains handed to another.
    #[serde(default, rename = "key")]
    pub keys: Vec<KeyLine>,
}

/// The price basis of the budget view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Prices {
    /// Every year in its own prices (løbende priser).
    #[default]
    Current,
    /// Every year in the first budget year's prices ("2027 p/l").
    BudgetYear,
}

/// A line of the scenario subject to state reimbursement.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusionLine {
    /// Every scenario line priced from this unit-price catalogue item (`item = "…"`).
    #[serde(default)]
    pub item: Option<String>,
    /// Or the scenario line (cost, replaced service, start-up or consequence) with this name.
    #[serde(default)]
    pub line: Option<String>,
    /// Id of a rule in the refusion catalogue.
    pub rule: String,
    /// For a `spell` rule: the weeks of the citizen's spell on benefits the line's benefit
    /// falls in, `[first, last]` (1-based, inclusive), e.g. `[53, 104]` for the second year.
    #[serde(default)]
    pub weeks: Option<Vec<u32>>,
    /// For a `thresholds` rule: the annual cost of one case in kr. (price-year prices).
    /// Default: the item's unit price for the municipality, when its unit is a year.
    #[serde(default)]
    pub case_cost: Option<f64>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A distribution key (fordelingsnøgle).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyLine {
    /// The department whose gains are shared.
    pub from: String,
    /// The department that receives the share (usually the investing one).
    pub to: String,
    /// Share of `from`'s net gain of each budget year, 0–1.
    pub share: f64,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}
