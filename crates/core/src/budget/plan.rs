//! The compiled form of a scenario's `[budget]` section: how every ledger cell enters the
//! budget view, with the price factors, refusion shares and keys that apply (made by
//! `compile/budget.rs`, kept on the [`crate::model::Model`], applied by [`crate::budget`]).

use crate::catalogue::refusion::RuleKind;
use crate::scenario::budget::Prices;
use serde::Serialize;

/// How a ledger line (cell) enters the budget view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellRole {
    /// Position of its department in [`Plan::departments`].
    pub dept: usize,
    /// The state's refusion share of its gross (0 when no rule applies).
    pub share: f64,
    /// A state line of a refused item, added to the municipality's gross.
    pub state_part: bool,
}

/// The checked `[budget]` section, ready to apply to a run's flows.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Actor index of the municipality.
    pub municipality: usize,
    pub prices: Prices,
    /// Projection years (0-based) of the budget years.
    pub years: Vec<usize>,
    /// Department indices of the municipality, in the order of the department map.
    pub departments: Vec<usize>,
    /// Factor from price-year prices to the budget's prices, `[department position][year]`.
    pub factors: Vec<Vec<f64>>,
    /// Per model cell: how it enters the view (none: another actor's line).
    pub cells: Vec<Option<CellRole>>,
    pub indices: Vec<IndexUse>,
    pub refusion: Vec<RefusionUse>,
    pub keys: Vec<KeyUse>,
    /// Price level label, e.g. "current prices" or "2027 p/l".
    pub price_level: String,
}

/// A price index as the budget view uses it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IndexUse {
    pub id: String,
    pub name: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Departments moved with this index.
    pub departments: Vec<String>,
    /// Factor from the scenario's price year to each budget year's prices.
    pub factors: Vec<f64>,
    /// Years of the index used whose rate is an assumption (a fallback, not a sourced figure).
    pub assumption_years: Vec<i32>,
}

/// A refusion rule applied to lines of the scenario.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RefusionUse {
    /// `item:<id>` or `line:<name>`, as the scenario names it.
    pub applies_to: String,
    /// The scenario lines it matched.
    pub lines: Vec<String>,
    pub rule: String,
    pub rule_name: String,
    pub kind: RuleKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weeks: Option<[u32; 2]>,
    /// Annual cost of one case (price-year prices), for a threshold rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_cost: Option<f64>,
    /// The rule's thresholds moved to the scenario's price year, for a threshold rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<f64>,
    /// The state's share of the lines' gross.
    pub share: f64,
    /// The rule's source.
    pub source: String,
    /// The scenario's source for the line's inputs (weeks, case cost), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_source: Option<String>,
}

/// A distribution key, with what it moves.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyUse {
    pub from: String,
    pub to: String,
    pub share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Amount handed from `from` to `to` in each budget year (kr., the budget's prices).
    pub transfer: Vec<f64>,
    pub transfer_total: f64,
    /// Positions of `from` and `to` in [`Plan::departments`].
    #[serde(skip)]
    pub from_pos: usize,
    #[serde(skip)]
    pub to_pos: usize,
}
