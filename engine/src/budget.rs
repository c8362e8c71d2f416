//! The budget view for a finance department: the municipality's incremental flows in the budget
//! years (the budget year and its overslagsår) by department, moved from the scenario's price
//! year to the budget's own prices with a price index; state reimbursement (refusion) taken out
//! under the rules of the refusion catalogue (gross, refusion, net); and distribution keys
//! (fordelingsnøgler) that hand a share of one department's gains to another.
//!
//! Two steps, as everywhere in the engine: [`resolve`] checks a scenario's `[budget]` section at
//! compile time (every problem a located diagnostic) and gives a [`Plan`]; [`compute`] applies the
//! plan to the flows of a run and cannot fail. The refusion rates and thresholds and the price
//! index are data (`models/catalogues/refusion-dk.toml`, `price-index-dk.toml`), never constants
//! here.

use crate::catalogue::{Catalogues, Label, Status, check_unique, finish, list};
use crate::error::{Diagnostic, Error, Result};
use crate::model::{Cell, Entity, Item, Model};
use crate::scenario::Scenario;
use crate::source::{FieldPath, Source};
use ndarray::ArrayView2;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// ---------------------------------------------------------------- the scenario's [budget]

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

// ---------------------------------------------------------------- the refusion catalogue

/// The refusion catalogue: state reimbursement rules with their sources.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusionCatalogue {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "rule")]
    pub rules: Vec<RefusionRule>,
}

/// How a rule sets the state's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A share by week of the citizen's spell (cash benefits).
    Spell,
    /// Marginal shares of one case's annual cost above thresholds (expensive single cases).
    Thresholds,
}

/// One state reimbursement rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusionRule {
    pub id: String,
    #[serde(default)]
    pub name: Label,
    pub kind: RuleKind,
    pub source: String,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
    /// `spell`: the state's share by week of the spell.
    #[serde(default, rename = "step")]
    pub steps: Vec<WeekStep>,
    /// `thresholds`: price level (year) of the thresholds.
    #[serde(default)]
    pub year: Option<i32>,
    /// `thresholds`: price index (in the price-index catalogue) that moves the thresholds to
    /// the scenario's price year. Default `general_pl`.
    #[serde(default)]
    pub index: Option<String>,
    /// `thresholds`: marginal bands.
    #[serde(default, rename = "band")]
    pub bands: Vec<Band>,
}

/// The state's share in weeks `from_week..=to_week` of a spell.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekStep {
    pub from_week: u32,
    /// Last week of the step; open-ended when omitted (only the last step).
    #[serde(default)]
    pub to_week: Option<u32>,
    pub rate: f64,
}

/// The state pays `rate` of the part of a case's annual cost above `above` (up to the next
/// band's threshold).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub above: f64,
    pub rate: f64,
}

/// Longest spell position a scenario may give, in weeks (100 years).
pub const MAX_WEEK: u32 = 5200;

impl RefusionRule {
    /// State share of a benefit paid in weeks `from..=to` of a spell: the mean of the weekly
    /// shares (every week weighs the same).
    pub fn spell_share(&self, from: u32, to: u32) -> f64 {
        if to < from {
            return 0.0;
        }
        let mut sum = 0.0;
        for s in &self.steps {
            let a = s.from_week.max(from);
            let b = s.to_week.unwrap_or(u32::MAX).min(to);
            if b >= a {
                sum += s.rate * f64::from(b - a + 1);
            }
        }
        sum / f64::from(to - from + 1)
    }

    /// The state's refusion of one case whose annual cost is `cost`, with every threshold
    /// multiplied by `factor` (to move it to the cost's price level): marginal bands, each rate
    /// on the part of the cost between its threshold and the next.
    pub fn case_refusion(&self, cost: f64, factor: f64) -> f64 {
        let mut r = 0.0;
        for (i, b) in self.bands.iter().enumerate() {
            let lo = b.above * factor;
            let hi = self
                .bands
                .get(i + 1)
                .map_or(f64::INFINITY, |n| n.above * factor);
            if cost > lo {
                r += b.rate * (cost.min(hi) - lo);
            }
        }
        r
    }
}

impl RefusionCatalogue {
    /// Check the rules: unique ids; a spell's steps contiguous from week 1 with the last one
    /// open-ended; a threshold rule's bands rising, with a price year; every rate a share.
    pub fn validate(&self, src: &Source) -> Result<()> {
        let mut diags = Vec::new();
        let root = FieldPath::root().key("rule");
        check_unique(
            src,
            &root,
            self.rules.iter().map(|r| r.id.as_str()),
            &mut diags,
        );
        for (i, r) in self.rules.iter().enumerate() {
            let p = root.index(i);
            let share = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
            match r.kind {
                RuleKind::Spell => {
                    if r.steps.is_empty() {
                        diags.push(src.diag(&p, "a `spell` rule needs its weekly `step`s"));
                    }
                    if !r.bands.is_empty() || r.year.is_some() || r.index.is_some() {
                        diags.push(src.diag(
                            &p.key("kind"),
                            "`band`, `year` and `index` go with a `thresholds` rule",
                        ));
                    }
                    let mut expect = 1u32;
                    for (j, s) in r.steps.iter().enumerate() {
                        let sp = p.key("step").index(j);
                        if s.from_week != expect {
                            diags.push(src.diag(
                                &sp.key("from_week"),
                                format!(
                                    "steps must run from week 1 without gaps: expected {expect}, got {}",
                                    s.from_week
                                ),
                            ));
                        }
                        if !share(s.rate) {
                            diags.push(src.diag(
                                &sp.key("rate"),
                                format!("must be a share between 0 and 1, got {}", s.rate),
                            ));
                        }
                        match s.to_week {
                            Some(to) if to < s.from_week => diags.push(src.diag(
                                &sp.key("to_week"),
                                format!("`to_week` ({to}) is before `from_week` ({})", s.from_week),
                            )),
                            Some(to) => expect = to.saturating_add(1),
                            None if j + 1 < r.steps.len() => {
                                diags.push(src.diag(
                                    &sp.key("to_week"),
                                    "only the last step may be open-ended",
                                ))
                            }
                            None => {}
                        }
                        if j + 1 == r.steps.len() && s.to_week.is_some() {
                            diags.push(src.diag(
                                &sp.key("to_week"),
                                "the last step must be open-ended (no `to_week`): a spell can \
                                 last longer than any week given",
                            ));
                        }
                    }
                }
                RuleKind::Thresholds => {
                    if r.bands.is_empty() {
                        diags.push(src.diag(&p, "a `thresholds` rule needs its `band`s"));
                    }
                    if r.year.is_none() {
                        diags.push(src.diag(
                            &p,
                            "a `thresholds` rule needs `year`, the price level of its thresholds",
                        ));
                    }
                    if !r.steps.is_empty() {
                        diags.push(src.diag(&p.key("step"), "`step` goes with a `spell` rule"));
                    }
                    let mut last = f64::NEG_INFINITY;
                    for (j, b) in r.bands.iter().enumerate() {
                        let bp = p.key("band").index(j);
                        if !(b.above.is_finite() && b.above >= 0.0 && b.above > last) {
                            diags.push(src.diag(
                                &bp.key("above"),
                                format!(
                                    "thresholds must be 0 or more and rise from band to band, got {}",
                                    b.above
                                ),
                            ));
                        }
                        last = b.above;
                        if !share(b.rate) {
                            diags.push(src.diag(
                                &bp.key("rate"),
                                format!("must be a share between 0 and 1, got {}", b.rate),
                            ));
                        }
                    }
                }
            }
        }
        finish(diags)
    }

    /// The bundled catalogue.
    pub fn builtin() -> Result<(Self, Source)> {
        let (name, text) = crate::builtin::REFUSION;
        let src = Source::new(name, text);
        let cat: Self = src.parse().map_err(|d| Error::Invalid(vec![d]))?;
        cat.validate(&src)?;
        Ok((cat, src))
    }
}

// ---------------------------------------------------------------- the compiled plan

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
    #[serde(skip)]
    from_pos: usize,
    #[serde(skip)]
    to_pos: usize,
}

// ---------------------------------------------------------------- the view

/// The amounts of one department (or the total) in one budget year, or summed over them.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Amounts {
    /// The municipality's incremental lines as the ledger has them (moved to budget prices).
    pub ledger: f64,
    /// The state's part of lines subject to refusion, added back to the gross.
    pub state_part: f64,
    /// What the municipality pays out before refusion: `ledger + state_part`.
    pub gross: f64,
    /// The state's reimbursement of the gross under the lines' rules.
    pub refusion: f64,
    /// `gross − refusion`.
    pub net: f64,
    /// Moved by distribution keys: + for a department that hands gains on, − for one that
    /// receives them.
    pub transfer: f64,
    /// `net + transfer`.
    pub net_after_keys: f64,
}

impl Amounts {
    fn add(&mut self, o: &Amounts) {
        self.ledger += o.ledger;
        self.state_part += o.state_part;
        self.gross += o.gross;
        self.refusion += o.refusion;
        self.net += o.net;
        self.transfer += o.transfer;
        self.net_after_keys += o.net_after_keys;
    }
    /// −0.0 written as 0.0.
    fn tidy(mut self) -> Self {
        for v in [
            &mut self.ledger,
            &mut self.state_part,
            &mut self.gross,
            &mut self.refusion,
            &mut self.net,
            &mut self.transfer,
            &mut self.net_after_keys,
        ] {
            *v += 0.0;
        }
        self
    }
}

/// One budget year of a row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetYear {
    pub calendar_year: i32,
    #[serde(flatten)]
    pub amounts: Amounts,
}

/// A department of the municipality, or the total.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetRow {
    pub id: String,
    pub name: String,
    pub years: Vec<BudgetYear>,
    /// Summed over the budget years.
    pub sum: Amounts,
}

/// The budget view (`budget` in `summary.json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetView {
    /// The actor whose budget this is.
    pub municipality: String,
    /// The budget years (calendar years).
    pub years: Vec<i32>,
    pub prices: Prices,
    /// The price level of the amounts, in words ("current prices", "2027 p/l").
    pub price_level: String,
    /// The scenario's price year, from which amounts are moved.
    pub scenario_price_year: i32,
    pub rule: &'static str,
    pub indices: Vec<IndexUse>,
    pub refusion: Vec<RefusionUse>,
    pub keys: Vec<KeyUse>,
    pub departments: Vec<BudgetRow>,
    pub total: BudgetRow,
}

/// The definitions of the budget view, in words (also in `summary.json`).
pub const BUDGET_RULE: &str = "Incremental flows of the municipality (intervention − baseline), \
expenditure + and saving −, in the prices of price_level. gross = the municipality's ledger lines \
plus, on lines named in [budget] refusion, the state's part that the catalogue price had already \
deducted (what the municipality pays out before refusion); refusion = the state's reimbursement \
of the gross under the line's rule; net = gross − refusion. A distribution key moves share × the \
giving department's net gain of a year (−net, when positive) to the receiving department; the \
total is unchanged.";

/// What each distribution key `(from, to, share)` moves in each year, given every department's
/// net by year (`net[department][year]`, expenditure +): `share × max(0, −net[from][year])`, the
/// giving department's net gain before any key (keys do not chain). Each amount is added to
/// `from` and taken from `to`, so the total of every year is unchanged.
pub fn key_transfers(net: &[Vec<f64>], keys: &[(usize, usize, f64)]) -> Vec<Vec<f64>> {
    keys.iter()
        .map(|&(from, _, share)| {
            net[from]
                .iter()
                .map(|&x| share * (-x).max(0.0) + 0.0)
                .collect()
        })
        .collect()
}

/// Apply a plan to the flows of one draw (`[cell, year]`, price-year prices).
pub fn compute(plan: &Plan, model: &Model, flows: ArrayView2<f64>) -> BudgetView {
    let ny = plan.years.len();
    let nd = plan.departments.len();
    let mut a = vec![vec![Amounts::default(); ny]; nd];
    for (c, cell) in model.cells.iter().enumerate() {
        let Some(role) = plan.cells.get(c).copied().flatten() else {
            continue;
        };
        for (j, &t) in plan.years.iter().enumerate() {
            let v = cell.arm.sign() * flows[[c, t]] * plan.factors[role.dept][j];
            let x = &mut a[role.dept][j];
            if role.state_part {
                x.state_part += v;
            } else {
                x.ledger += v;
            }
            x.gross += v;
            x.refusion += role.share * v;
        }
    }
    for row in &mut a {
        for x in row.iter_mut() {
            x.net = x.gross - x.refusion;
        }
    }
    let mut keys = plan.keys.clone();
    let nets: Vec<Vec<f64>> = a
        .iter()
        .map(|r| r.iter().map(|x| x.net).collect())
        .collect();
    let spec: Vec<(usize, usize, f64)> = keys
        .iter()
        .map(|k| (k.from_pos, k.to_pos, k.share))
        .collect();
    for (k, t) in keys.iter_mut().zip(key_transfers(&nets, &spec)) {
        k.transfer_total = t.iter().sum::<f64>() + 0.0;
        k.transfer = t;
    }
    for k in &keys {
        for (j, &x) in k.transfer.iter().enumerate() {
            a[k.from_pos][j].transfer += x;
            a[k.to_pos][j].transfer -= x;
        }
    }
    let cal: Vec<i32> = plan.years.iter().map(|&t| model.years[t]).collect();
    let mut total = vec![Amounts::default(); ny];
    let mut departments = Vec::with_capacity(nd);
    for (p, &d) in plan.departments.iter().enumerate() {
        let mut sum = Amounts::default();
        let mut years = Vec::with_capacity(ny);
        for j in 0..ny {
            let x = &mut a[p][j];
            x.net_after_keys = x.net + x.transfer;
            let x = x.tidy();
            sum.add(&x);
            total[j].add(&x);
            years.push(BudgetYear {
                calendar_year: cal[j],
                amounts: x,
            });
        }
        departments.push(BudgetRow {
            id: model.departments[d].id.clone(),
            name: model.departments[d].name.clone(),
            years,
            sum: sum.tidy(),
        });
    }
    let mut sum = Amounts::default();
    for x in &total {
        sum.add(x);
    }
    let total = BudgetRow {
        id: "total".into(),
        name: format!("Total ({})", model.actors[plan.municipality].name),
        years: total
            .iter()
            .zip(&cal)
            .map(|(x, &y)| BudgetYear {
                calendar_year: y,
                amounts: x.tidy(),
            })
            .collect(),
        sum: sum.tidy(),
    };
    BudgetView {
        municipality: model.actors[plan.municipality].id.clone(),
        years: cal,
        prices: plan.prices,
        price_level: plan.price_level.clone(),
        scenario_price_year: model.conventions.price_year,
        rule: BUDGET_RULE,
        indices: plan.indices.clone(),
        refusion: plan.refusion.clone(),
        keys,
        departments,
        total,
    }
}

/// The net after keys of every department of the plan and of the total, in each budget year
/// and summed over them, for every draw of a chunk: `[draw][row][slot]`, rows the plan's
/// departments then the total, slots the budget years then their sum. The arithmetic of
/// [`compute`], array-wise over the draws of `flows` (`[cell, year, draw]`), so that draw d
/// gives what `compute` gives on that draw's flows.
pub fn batch(plan: &Plan, model: &Model, flows: &crate::model::Flows) -> Vec<f64> {
    let (nc, h, n) = flows.values.dim();
    let vals = flows.values.as_slice().expect("standard layout");
    let ny = plan.years.len();
    let nd = plan.departments.len();
    // [department][year][draw]
    let mut gross = vec![0.0; nd * ny * n];
    let mut refusion = vec![0.0; nd * ny * n];
    for (c, cell) in model.cells.iter().enumerate().take(nc) {
        let Some(role) = plan.cells.get(c).copied().flatten() else {
            continue;
        };
        let sign = cell.arm.sign();
        for (j, &t) in plan.years.iter().enumerate() {
            let f = plan.factors[role.dept][j];
            let src = &vals[(c * h + t) * n..][..n];
            let at = (role.dept * ny + j) * n;
            let pairs = gross[at..at + n].iter_mut().zip(&mut refusion[at..at + n]);
            for ((g, r), &x) in pairs.zip(src) {
                let v = sign * x * f;
                *g += v;
                *r += role.share * v;
            }
        }
    }
    let net: Vec<f64> = gross.iter().zip(&refusion).map(|(g, r)| g - r).collect();
    let mut transfer = vec![0.0; nd * ny * n];
    for k in &plan.keys {
        for j in 0..ny {
            for d in 0..n {
                let x = k.share * (-net[(k.from_pos * ny + j) * n + d]).max(0.0) + 0.0;
                transfer[(k.from_pos * ny + j) * n + d] += x;
                transfer[(k.to_pos * ny + j) * n + d] -= x;
            }
        }
    }
    let rows = nd + 1;
    let slots = ny + 1;
    let mut out = vec![0.0; n * rows * slots];
    for d in 0..n {
        let o = &mut out[d * rows * slots..][..rows * slots];
        for p in 0..nd {
            for j in 0..ny {
                let i = (p * ny + j) * n + d;
                let x = net[i] + transfer[i] + 0.0;
                o[p * slots + j] = x;
                o[p * slots + ny] += x;
                o[nd * slots + j] += x;
            }
        }
        o[nd * slots + ny] = (0..ny).map(|j| o[nd * slots + j]).sum::<f64>();
    }
    out
}

/// The budget view over the Monte Carlo draws: the net after keys of each department and of the
/// total, per budget year and summed over them (`uncertainty.budget` in `summary.json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetUncertainty {
    /// The budget years (calendar years).
    pub years: Vec<i32>,
    pub price_level: String,
    pub departments: Vec<BudgetRowUncertainty>,
    pub total: BudgetRowUncertainty,
    /// P(the total net over the budget years is a saving, < 0): the intervention more than pays
    /// for itself in the municipality's budget within the budget years.
    pub p_net_saving: f64,
}

/// One department's (or the total's) net after keys over the draws.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetRowUncertainty {
    pub id: String,
    pub years: Vec<crate::montecarlo::Stat>,
    pub sum: crate::montecarlo::Stat,
}

/// Summarise the per-draw budget rows of [`batch`] (joined over the chunks, `[draw][row][slot]`).
pub fn uncertainty(
    plan: &Plan,
    model: &Model,
    draws: &[f64],
    interval: (f64, f64),
) -> BudgetUncertainty {
    let ny = plan.years.len();
    let nd = plan.departments.len();
    let (rows, slots) = (nd + 1, ny + 1);
    let n = draws.len() / (rows * slots).max(1);
    let column = |r: usize, j: usize| -> Vec<f64> {
        (0..n).map(|d| draws[(d * rows + r) * slots + j]).collect()
    };
    // Every (row, slot) on its own, in parallel; collected in order.
    use rayon::prelude::*;
    let stats: Vec<crate::montecarlo::Stat> = (0..rows * slots)
        .into_par_iter()
        .map(|i| crate::montecarlo::stat(&column(i / slots, i % slots), interval))
        .collect();
    // Rows in order: the plan's departments, then the total; each its years, then their sum.
    let ids = plan
        .departments
        .iter()
        .map(|&d| model.departments[d].id.clone());
    let mut departments: Vec<BudgetRowUncertainty> = stats
        .chunks(slots)
        .zip(ids.chain(std::iter::once("total".to_string())))
        .map(|(row, id)| BudgetRowUncertainty {
            id,
            years: row[..ny].to_vec(),
            sum: row[ny].clone(),
        })
        .collect();
    let total = departments.pop().expect("the total row");
    let saving = column(nd, ny).iter().filter(|&&x| x < 0.0).count();
    BudgetUncertainty {
        years: plan.years.iter().map(|&t| model.years[t]).collect(),
        price_level: plan.price_level.clone(),
        departments,
        total,
        p_net_saving: saving as f64 / n.max(1) as f64,
    }
}

/// File name of the budget view as a table.
pub const CSV_FILE: &str = "budget.csv";

/// Columns of `budget.csv`, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "calendar_year",
    "department",
    "name",
    "ledger",
    "state_part",
    "gross",
    "refusion",
    "net",
    "transfer",
    "net_after_keys",
];

/// The budget view as CSV: one row per department and budget year, then the total's rows
/// (`department` = `total`); `,` between fields, `.` as decimal mark.
pub fn csv(b: &BudgetView) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    for row in b.departments.iter().chain(std::iter::once(&b.total)) {
        for y in &row.years {
            let a = &y.amounts;
            out.push_str(&format!(
                "{},{},{},{:?},{:?},{:?},{:?},{:?},{:?},{:?}\n",
                y.calendar_year,
                quote(&row.id),
                quote(&row.name),
                a.ledger,
                a.state_part,
                a.gross,
                a.refusion,
                a.net,
                a.transfer,
                a.net_after_keys
            ));
        }
    }
    out
}

// ---------------------------------------------------------------- resolving the section

/// What [`resolve`] needs of the model being compiled.
pub(crate) struct Context<'a> {
    pub sc: &'a Scenario,
    pub src: &'a Source,
    pub cat: &'a Catalogues,
    pub actors: &'a [Entity],
    pub departments: &'a [Entity],
    pub items: &'a [Item],
    pub cells: &'a [Cell],
    pub horizon: usize,
}

/// Check a `[budget]` section and compile it into a [`Plan`]; problems go to `diags`.
pub(crate) fn resolve(
    sec: &BudgetSection,
    cx: &Context<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Plan> {
    let n0 = diags.len();
    let root = FieldPath::root().key("budget");
    let src = cx.src;
    let sc = cx.sc;
    // The refusion rules: the scenario's catalogue, or the bundled one (a scenario compiled
    // without `io`, e.g. in tests).
    let builtin;
    let refusion_cat = match &cx.cat.refusion {
        Some(c) => Some(c),
        None => match RefusionCatalogue::builtin() {
            Ok(c) => {
                builtin = c;
                Some(&builtin)
            }
            Err(e) => {
                diags.extend(e.diagnostics().iter().cloned());
                None
            }
        },
    };
    let mut d = |path: &FieldPath, msg: String| diags.push(src.diag(path, msg));

    // Actors.
    let actor = |id: &str| cx.actors.iter().position(|a| a.id == id);
    let actor_ids: Vec<&str> = cx.actors.iter().map(|a| a.id.as_str()).collect();
    let muni_id = sec.municipality.as_deref().unwrap_or("kommune");
    let municipality = actor(muni_id);
    if municipality.is_none() {
        d(
            &root.key("municipality"),
            format!(
                "unknown actor `{muni_id}`{}; the department map `{}` has {}{}",
                crate::compile::suggest(muni_id, &actor_ids),
                cx.cat.departments.1.name,
                list(actor_ids.iter().copied()),
                if sec.municipality.is_none() {
                    " (give `municipality` in [budget])"
                } else {
                    ""
                }
            ),
        );
    }
    let state = match &sec.state {
        Some(s) => {
            let a = actor(s);
            if a.is_none() {
                d(
                    &root.key("state"),
                    format!(
                        "unknown actor `{s}`{}; the department map has {}",
                        crate::compile::suggest(s, &actor_ids),
                        list(actor_ids.iter().copied())
                    ),
                );
            }
            a
        }
        None => actor("stat"),
    };
    let muni = municipality.unwrap_or(usize::MAX);
    let departments: Vec<usize> = (0..cx.departments.len())
        .filter(|&i| cx.departments[i].actor == muni)
        .collect();
    let muni_ids: Vec<&str> = departments
        .iter()
        .map(|&i| cx.departments[i].id.as_str())
        .collect();
    let dept_pos = |id: &str| muni_ids.iter().position(|m| *m == id);
    // A department of the municipality, or a diagnostic at `path`.
    let municipal = |path: &FieldPath, id: &str, d: &mut dyn FnMut(&FieldPath, String)| {
        municipality?;
        match dept_pos(id) {
            Some(p) => Some(p),
            None => {
                let other = cx.departments.iter().find(|x| x.id == id);
                let msg = match other {
                    Some(x) => format!(
                        "department `{id}` belongs to actor `{}`, not to the municipality \
                         `{muni_id}`; the budget view covers {}",
                        cx.actors[x.actor].id,
                        list(muni_ids.iter().copied())
                    ),
                    None => format!(
                        "unknown department `{id}`{}; the municipality's departments are {}",
                        crate::compile::suggest(id, &muni_ids),
                        list(muni_ids.iter().copied())
                    ),
                };
                d(path, msg);
                None
            }
        }
    };

    // Budget years.
    let first_proj = sc.first_year;
    let last_proj = sc.first_year + cx.horizon as i32 - 1;
    let first = sec.first_year.unwrap_or(first_proj);
    let mut years = Vec::new();
    if !(first_proj..=last_proj).contains(&first) {
        d(
            &root.key("first_year"),
            format!("budget year {first} is outside the projection {first_proj}–{last_proj}"),
        );
    } else {
        let n = match sec.years {
            Some(0) => {
                d(&root.key("years"), "must be at least 1".into());
                0
            }
            Some(n) if first as i64 + n as i64 - 1 > last_proj as i64 => {
                d(
                    &root.key("years"),
                    format!(
                        "{n} budget years from {first} run to {}, beyond the projection's last \
                         year {last_proj}; shorten them or lengthen `horizon`",
                        first as i64 + n as i64 - 1
                    ),
                );
                0
            }
            Some(n) => n as i32,
            None => 4.min(last_proj - first + 1),
        };
        years = (0..n).map(|k| (first - first_proj + k) as usize).collect();
    }

    // Price indices.
    let price_year = sc.price_year;
    let target = |t: usize| match sec.prices {
        Prices::Current => first_proj + t as i32,
        Prices::BudgetYear => first,
    };
    let idx_cat = &cx.cat.price_index;
    let index_ids: Vec<&str> = idx_cat.0.indices.iter().map(|i| i.id.as_str()).collect();
    let mut indices: Vec<IndexUse> = Vec::new();
    let mut factors = vec![vec![1.0; years.len()]; departments.len()];
    let default_index = sec.index.as_deref().unwrap_or("budget_pl");
    let mut by_dept: Vec<(Option<usize>, &str, FieldPath)> =
        vec![(None, default_index, root.key("index")); departments.len()];
    for (dept, id) in &sec.department_index {
        let p = root.key("department_index").key(dept);
        if let Some(pos) = municipal(&p, dept, &mut d) {
            by_dept[pos] = (Some(pos), id.as_str(), p);
        }
    }
    let mut index_ok = true;
    for (pos, (_, id, path)) in by_dept.iter().enumerate() {
        let Some(index) = idx_cat.0.indices.iter().find(|i| i.id == *id) else {
            index_ok = false;
            if !indices.iter().any(|u| u.id == *id) {
                d(
                    path,
                    format!(
                        "unknown price index `{id}`{}; the index catalogue `{}` has {}",
                        crate::compile::suggest(id, &index_ids),
                        idx_cat.1.name,
                        list(index_ids.iter().copied())
                    ),
                );
                // Report an unknown index once.
                indices.push(IndexUse {
                    id: id.to_string(),
                    name: String::new(),
                    source: String::new(),
                    date: None,
                    departments: Vec::new(),
                    factors: Vec::new(),
                    assumption_years: Vec::new(),
                });
            }
            continue;
        };
        let mut f = Vec::with_capacity(years.len());
        let mut missing = None;
        for &t in &years {
            match index.factor(price_year, target(t)) {
                Ok(x) => f.push(x),
                Err(y) => {
                    missing = Some((y, target(t)));
                    break;
                }
            }
        }
        if let Some((y, to)) = missing {
            index_ok = false;
            if !indices.iter().any(|u| u.id == *id) {
                d(
                    path,
                    format!(
                        "missing rate for a year: price index `{id}` has no rate for {y}, needed \
                         to move the scenario's {price_year} prices to {to} (add it to `{}`, or \
                         choose another `index`)",
                        idx_cat.1.name
                    ),
                );
                indices.push(IndexUse {
                    id: id.to_string(),
                    name: String::new(),
                    source: String::new(),
                    date: None,
                    departments: Vec::new(),
                    factors: Vec::new(),
                    assumption_years: Vec::new(),
                });
            }
            continue;
        }
        factors[pos] = f.clone();
        let dept_id = muni_ids[pos].to_string();
        match indices.iter_mut().find(|u| u.id == *id) {
            Some(u) => u.departments.push(dept_id),
            None => {
                let (lo, hi) = years.iter().fold((price_year, price_year), |(lo, hi), &t| {
                    (lo.min(target(t)), hi.max(target(t)))
                });
                let assumption_years = index
                    .rates
                    .iter()
                    .filter(|r| r.status == Status::Assumption && r.year > lo && r.year <= hi)
                    .map(|r| r.year)
                    .collect();
                indices.push(IndexUse {
                    id: id.to_string(),
                    name: index.name.en_or(&index.id),
                    source: index.source.clone(),
                    date: index.date.clone(),
                    departments: vec![dept_id],
                    factors: f,
                    assumption_years,
                })
            }
        }
    }
    indices.retain(|u| !u.departments.is_empty());

    // Refusion.
    let mut cell_share: Vec<Option<(f64, usize)>> = vec![None; cx.cells.len()];
    let mut refusion = Vec::new();
    for (i, r) in sec.refusion.iter().enumerate() {
        let p = root.key("refusion").index(i);
        let Some((rcat, rsrc)) = refusion_cat else {
            break;
        };
        let rule_ids: Vec<&str> = rcat.rules.iter().map(|r| r.id.as_str()).collect();
        let Some(rule) = rcat.rules.iter().find(|x| x.id == r.rule) else {
            d(
                &p.key("rule"),
                format!(
                    "unknown refusion rule `{}`{}; the refusion catalogue `{}` has {}",
                    r.rule,
                    crate::compile::suggest(&r.rule, &rule_ids),
                    rsrc.name,
                    list(rule_ids.iter().copied())
                ),
            );
            continue;
        };
        // The lines it names.
        let (applies_to, matched): (String, Vec<usize>) = match (&r.item, &r.line) {
            (Some(it), None) => (
                format!("item:{it}"),
                (0..cx.items.len())
                    .filter(|&k| cx.items[k].catalogue_id.as_deref() == Some(it.as_str()))
                    .collect(),
            ),
            (None, Some(l)) => (
                format!("line:{l}"),
                (0..cx.items.len())
                    .filter(|&k| cx.items[k].name == *l)
                    .collect(),
            ),
            _ => {
                d(
                    &p,
                    "give either `item` (a catalogue item) or `line` (a scenario line's name), \
                     not both"
                        .into(),
                );
                continue;
            }
        };
        if matched.is_empty() {
            let (field, msg) = match (&r.item, &r.line) {
                (Some(it), _) => (
                    "item",
                    format!("no line of the scenario is priced from item `{it}`"),
                ),
                (_, Some(l)) => {
                    let names: Vec<&str> = cx.items.iter().map(|x| x.name.as_str()).collect();
                    (
                        "line",
                        format!(
                            "no line of the scenario is named `{l}`{}",
                            crate::compile::suggest(l, &names)
                        ),
                    )
                }
                _ => ("item", String::new()),
            };
            d(&p.key(field), msg);
            continue;
        }
        let mut weeks = None;
        let mut case_cost = None;
        let mut thresholds = Vec::new();
        let share = match rule.kind {
            RuleKind::Spell => {
                if r.case_cost.is_some() {
                    d(
                        &p.key("case_cost"),
                        format!(
                            "`case_cost` goes with a `thresholds` rule; `{}` is a `spell` rule \
                             (give `weeks`)",
                            rule.id
                        ),
                    );
                }
                match r.weeks.as_deref() {
                    Some(&[a, b]) if a >= 1 && a <= b && b <= MAX_WEEK => {
                        weeks = Some([a, b]);
                        rule.spell_share(a, b)
                    }
                    Some(_) => {
                        d(
                            &p.key("weeks"),
                            format!(
                                "give the first and last week of the spell the line's benefit \
                                 falls in, `[first, last]` with 1 ≤ first ≤ last ≤ {MAX_WEEK}, \
                                 e.g. `[53, 104]`"
                            ),
                        );
                        continue;
                    }
                    None => {
                        d(
                            &p,
                            format!(
                                "rule `{}` needs `weeks`: the weeks of the citizen's spell on \
                                 benefits the line's benefit falls in, e.g. `weeks = [1, 52]` \
                                 for a spell's first year",
                                rule.id
                            ),
                        );
                        continue;
                    }
                }
            }
            RuleKind::Thresholds => {
                if r.weeks.is_some() {
                    d(
                        &p.key("weeks"),
                        format!(
                            "`weeks` goes with a `spell` rule; `{}` is a `thresholds` rule \
                             (give `case_cost`, or leave it to the item's price)",
                            rule.id
                        ),
                    );
                }
                let index_id = rule.index.as_deref().unwrap_or("general_pl");
                let ry = rule.year.unwrap_or(price_year);
                let factor = match idx_cat.0.indices.iter().find(|x| x.id == index_id) {
                    None => {
                        d(
                            &p.key("rule"),
                            format!(
                                "rule `{}` moves its thresholds with price index `{index_id}`, \
                                 which the index catalogue `{}` does not have",
                                rule.id, idx_cat.1.name
                            ),
                        );
                        continue;
                    }
                    Some(ix) => match ix.factor(ry, price_year) {
                        Ok(f) => f,
                        Err(y) => {
                            d(
                                &p.key("rule"),
                                format!(
                                    "missing rate for a year: price index `{index_id}` has no \
                                     rate for {y}, needed to move the thresholds of rule `{}` \
                                     from {ry} to the scenario's price year {price_year}",
                                    rule.id
                                ),
                            );
                            continue;
                        }
                    },
                };
                thresholds = rule.bands.iter().map(|b| b.above * factor).collect();
                let cost = match (r.case_cost, &r.item) {
                    (Some(c), _) if c.is_finite() && c > 0.0 => c,
                    (Some(c), _) => {
                        d(
                            &p.key("case_cost"),
                            format!("must be an annual cost above 0 kr., got {c}"),
                        );
                        continue;
                    }
                    (None, Some(it)) => match item_case_cost(cx, it, muni) {
                        Ok(c) => c,
                        Err(msg) => {
                            d(&p.key("item"), msg);
                            continue;
                        }
                    },
                    (None, None) => {
                        d(
                            &p,
                            format!(
                                "rule `{}` needs `case_cost`, the annual cost of one case in kr. \
                                 (price-year prices)",
                                rule.id
                            ),
                        );
                        continue;
                    }
                };
                case_cost = Some(cost);
                rule.case_refusion(cost, factor) / cost
            }
        };
        let mut clash = None;
        for (c, cell) in cx.cells.iter().enumerate() {
            if matched.contains(&cell.item) {
                match cell_share[c] {
                    Some((_, other)) => clash = Some(other),
                    None => cell_share[c] = Some((share, i)),
                }
            }
        }
        if let Some(other) = clash {
            d(
                &p,
                format!("these lines are already subject to refusion in budget.refusion[{other}]"),
            );
            continue;
        }
        refusion.push(RefusionUse {
            applies_to,
            lines: {
                let mut v: Vec<String> =
                    matched.iter().map(|&k| cx.items[k].name.clone()).collect();
                v.dedup();
                v
            },
            rule: rule.id.clone(),
            rule_name: rule.name.en_or(&rule.id),
            kind: rule.kind,
            weeks,
            case_cost,
            thresholds,
            share,
            source: rule.source.clone(),
            line_source: r.source.clone(),
        });
    }

    // Distribution keys.
    let mut keys = Vec::new();
    let mut given: BTreeMap<usize, (f64, Vec<usize>)> = BTreeMap::new();
    for (i, k) in sec.keys.iter().enumerate() {
        let p = root.key("key").index(i);
        let from = municipal(&p.key("from"), &k.from, &mut d);
        let to = municipal(&p.key("to"), &k.to, &mut d);
        let share_ok = k.share.is_finite() && (0.0..=1.0).contains(&k.share);
        if !share_ok {
            d(
                &p.key("share"),
                format!("must be a share between 0 and 1, got {}", k.share),
            );
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if from == to {
            d(
                &p.key("to"),
                format!(
                    "a key hands gains from one department to another; `from` and `to` are both `{}`",
                    k.to
                ),
            );
            continue;
        }
        if !share_ok {
            continue;
        }
        let e = given.entry(from).or_insert((0.0, Vec::new()));
        e.0 += k.share;
        e.1.push(i);
        if e.0 > 1.0 + 1e-9 {
            let listed: Vec<String> = e.1.iter().map(|j| format!("key[{j}]")).collect();
            let total = e.0;
            d(
                &p.key("share"),
                format!(
                    "the shares handed on from `{}` sum to {total} ({}); they can be at most 1",
                    k.from,
                    listed.join(", ")
                ),
            );
            continue;
        }
        keys.push(KeyUse {
            from: k.from.clone(),
            to: k.to.clone(),
            share: k.share,
            source: k.source.clone(),
            transfer: Vec::new(),
            transfer_total: 0.0,
            from_pos: from,
            to_pos: to,
        });
    }

    if diags.len() > n0 || municipality.is_none() || !index_ok {
        return None;
    }

    // How every cell enters the view.
    let cells: Vec<Option<CellRole>> = cx
        .cells
        .iter()
        .enumerate()
        .map(|(c, cell)| {
            let share = cell_share[c].map_or(0.0, |s| s.0);
            if cell.actor == muni {
                let dept = departments.iter().position(|&x| x == cell.department)?;
                Some(CellRole {
                    dept,
                    share,
                    state_part: false,
                })
            } else if Some(cell.actor) == state && cell_share[c].is_some() {
                // The state's part of a refused line goes to the department where the line's
                // municipal part lands (or the municipality's default department).
                let sibling = cx.cells.iter().find(|o| {
                    o.actor == muni
                        && o.arm == cell.arm
                        && o.component == cell.component
                        && o.item == cell.item
                });
                let dept_idx = match sibling {
                    Some(o) => o.department,
                    None => {
                        let def = &cx.cat.departments.0.actors[muni].default_department;
                        cx.departments.iter().position(|x| x.id == *def)?
                    }
                };
                let dept = departments.iter().position(|&x| x == dept_idx)?;
                Some(CellRole {
                    dept,
                    share,
                    state_part: true,
                })
            } else {
                None
            }
        })
        .collect();

    let price_level = match sec.prices {
        Prices::Current => "current prices (each year in its own p/l)".to_string(),
        Prices::BudgetYear => format!("{first} p/l"),
    };
    Some(Plan {
        municipality: muni,
        prices: sec.prices,
        years,
        departments,
        factors,
        cells,
        indices,
        refusion,
        keys,
        price_level,
    })
}

/// The annual cost of one case of a catalogue item: its price for the municipality in the
/// scenario's price year, when its unit is a year.
fn item_case_cost(cx: &Context<'_>, item: &str, muni: usize) -> std::result::Result<f64, String> {
    let Some(it) = cx.cat.prices.0.items.iter().find(|i| i.id == item) else {
        return Err(format!("unknown item `{item}`"));
    };
    let muni_id = &cx.actors[muni].id;
    let Some(&price) = it.price.get(muni_id) else {
        return Err(format!(
            "item `{item}` has no price for `{muni_id}`; give `case_cost`"
        ));
    };
    if !it.unit.ends_with("year") {
        return Err(format!(
            "the unit of item `{item}` is `{}`, not a year of one case: give `case_cost`, the \
             annual cost of one case in kr.",
            it.unit
        ));
    }
    let factor = cx
        .cat
        .price_index
        .0
        .indices
        .iter()
        .find(|i| i.id == it.index)
        .and_then(|i| i.factor(it.year, cx.sc.price_year).ok())
        .ok_or_else(|| {
            format!(
                "the price of item `{item}` cannot be moved to the scenario's price year; give \
                 `case_cost`"
            )
        })?;
    Ok(price * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> RefusionCatalogue {
        RefusionCatalogue::builtin().unwrap().0
    }

    fn rule(id: &str) -> RefusionRule {
        bundled().rules.into_iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn spell_shares_by_hand() {
        let r = rule("forsorgelsesydelser_2016");
        // Weeks 1–4 only: 80 %.
        assert!((r.spell_share(1, 4) - 0.80).abs() < 1e-12);
        // A spell's first year, weeks 1–52: (4 × 0.80 + 22 × 0.40 + 26 × 0.30) / 52
        // = (3.2 + 8.8 + 7.8) / 52 = 19.8 / 52 = 0.380769…
        assert!((r.spell_share(1, 52) - 19.8 / 52.0).abs() < 1e-12);
        assert!((r.spell_share(1, 52) - 0.380_769_230_769).abs() < 1e-9);
        // Weeks 20–30: 7 weeks at 0.40 (20–26) + 4 at 0.30 (27–30) = 2.8 + 1.2 = 4.0 over 11
        // weeks = 0.363636…
        assert!((r.spell_share(20, 30) - 4.0 / 11.0).abs() < 1e-12);
        // The second year, weeks 53–104: 20 % throughout, the catalogue's split of kontanthjælp.
        assert!((r.spell_share(53, 104) - 0.20).abs() < 1e-12);
        // Weeks 50–55: 3 × 0.30 + 3 × 0.20 = 1.5 over 6 = 0.25.
        assert!((r.spell_share(50, 55) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn case_refusion_is_marginal_by_hand() {
        let r = rule("sel_176_2020");
        // In 2020 prices (factor 1). Below the first threshold: nothing.
        assert_eq!(r.case_refusion(800_000.0, 1.0), 0.0);
        // 1,000,000 kr.: 25 % × (1,000,000 − 830,000) = 42,500.
        assert!((r.case_refusion(1_000_000.0, 1.0) - 42_500.0).abs() < 1e-6);
        // 1,800,000 kr.: 25 % × (1,630,000 − 830,000) + 50 % × (1,800,000 − 1,630,000)
        // = 200,000 + 85,000 = 285,000.
        assert!((r.case_refusion(1_800_000.0, 1.0) - 285_000.0).abs() < 1e-6);
        // 2,500,000 kr.: 200,000 + 50 % × (2,050,000 − 1,630,000) + 75 % × (2,500,000 −
        // 2,050,000) = 200,000 + 210,000 + 337,500 = 747,500.
        assert!((r.case_refusion(2_500_000.0, 1.0) - 747_500.0).abs() < 1e-6);
        // Thresholds moved by a factor 1.1: 1,000,000 − 913,000 = 87,000 × 25 % = 21,750.
        assert!((r.case_refusion(1_000_000.0, 1.1) - 21_750.0).abs() < 1e-6);
    }

    const SCENARIO: &str = r#"name = "budget test"
price_year = 2025
first_year = 2026
horizon = 6

[[cohort]]
start = 2026
participants = 10

[intervention]
duration = 1
department = "born_familie"

[[intervention.cost]]
name = "Coordinator"
amount = 100000

[success]
net = 0.5

[persistence]
onset = "at_start"

[[consequence]]
name = "Kontanthjælp"
item = "kontanthjaelp_med_born"
units = -1

[[consequence]]
name = "Placement"
amount = -1000000
department = "born_familie"

[budget]
years = 3

[[budget.refusion]]
item = "kontanthjaelp_med_born"
rule = "forsorgelsesydelser_2016"
weeks = [1, 52]

[[budget.refusion]]
line = "Placement"
rule = "sel_176_2020"
case_cost = 2000000

[[budget.key]]
from = "beskaeftigelse"
to = "born_familie"
share = 0.5
"#;

    fn run(text: &str) -> crate::summary::Run {
        let source = Source::new("t.toml", text);
        let scenario: Scenario = source.parse().unwrap();
        let loaded = crate::io::Loaded {
            scenario,
            source,
            catalogues: Catalogues::builtin().unwrap(),
            estimates: None,
        };
        crate::summary::run(&loaded).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * b.abs().max(1.0)
    }

    #[test]
    fn index_projection_by_hand() {
        let b = run(SCENARIO).summary.budget.unwrap();
        assert_eq!(b.years, vec![2026, 2027, 2028]);
        let ix = &b.indices[0];
        assert_eq!(ix.id, "budget_pl");
        // 2025 prices → 2026: × 1.028; → 2027: × 1.028² = 1.056784; → 2028: × 1.028³ =
        // 1.086373952 (the FL2025 2024→25 general P/L held constant).
        assert!(close(ix.factors[0], 1.028));
        assert!(close(ix.factors[1], 1.056784));
        assert!(close(ix.factors[2], 1.086373952));
        assert_eq!(ix.assumption_years, vec![2026, 2027, 2028]);
        // The coordinator, 10 × 100,000 = 1,000,000 kr. (2025 prices) in 2026 only, is
        // 1,028,000 kr. in 2026 prices.
        let bf = b
            .departments
            .iter()
            .find(|d| d.id == "born_familie")
            .unwrap();
        assert!(close(bf.years[0].amounts.gross, 1_028_000.0 - 5_140_000.0));
        // In the budget year's p/l every year uses the 2026 factor.
        let fixed = run(&SCENARIO.replace("years = 3", "years = 3\nprices = \"budget_year\""));
        let b2 = fixed.summary.budget.unwrap();
        assert_eq!(b2.price_level, "2026 p/l");
        assert!(close(b2.indices[0].factors[2], 1.028));
        let e2 = b2
            .departments
            .iter()
            .find(|d| d.id == "beskaeftigelse")
            .unwrap();
        // −5 person-years × 196,584 × 1.028 (2024 → 2025) × 1.028 (→ 2026 p/l).
        assert!(close(
            e2.years[2].amounts.gross,
            -5.0 * 196_584.0 * 1.028 * 1.028
        ));
    }

    #[test]
    fn cash_benefit_refusion_by_hand() {
        let b = run(SCENARIO).summary.budget.unwrap();
        let e = b
            .departments
            .iter()
            .find(|d| d.id == "beskaeftigelse")
            .unwrap();
        let y = &e.years[0].amounts;
        // kontanthjaelp_med_born: kommune 157,267.20 + stat 39,316.80 = 196,584 kr. (2024),
        // × 1.028 → 202,088.352 (2025), × 1.028 → 207,746.826 (2026 prices). 10 participants ×
        // net success 0.5 × −1 unit = −5 person-years: gross −1,038,734.13 kr.
        assert!(close(y.gross, -1_038_734.129_28));
        // The ledger has the kommune's 80 %: −830,987.30; the stat's 20 % is added back.
        assert!(close(y.ledger, -830_987.303_424));
        assert!(close(y.state_part, -207_746.825_856));
        // Weeks 1–52: (4 × 0.8 + 22 × 0.4 + 26 × 0.3) / 52 = 19.8 / 52 = 0.380769…; refusion
        // −1,038,734.13 × 0.380769 = −395,518.00; net −643,216.13: the municipality saves less
        // than the ledger's kommune part (−830,987.30, the catalogue's split after week 52),
        // because early weeks of a spell carry more refusion.
        assert!(close(y.refusion, -395_517.995_379_692));
        assert!(close(y.net, -643_216.133_900_308));
        let r = &b.refusion[0];
        assert!(close(r.share, 19.8 / 52.0));
        // Second year: −5 × 196,584 × 1.028³ = −1,067,818.68.
        assert!(close(e.years[1].amounts.gross, -1_067_818.684_899_84));
    }

    #[test]
    fn expensive_case_refusion_by_hand() {
        let b = run(SCENARIO).summary.budget.unwrap();
        let r = &b.refusion[1];
        // Thresholds 830,000 / 1,630,000 / 2,050,000 (2020) × 1.020 × 1.043 × 1.025 × 1.040 ×
        // 1.028 = × 1.165828853 → 967,637.95 / 1,900,301.03 / 2,389,949.15 (2025 prices).
        assert!(close(r.thresholds[0], 967_637.948_222_4));
        assert!(close(r.thresholds[1], 1_900_301.030_846_4));
        // A case of 2,000,000 kr.: 25 % × (1,900,301.03 − 967,637.95) + 50 % × (2,000,000 −
        // 1,900,301.03) = 233,165.77 + 49,849.48 = 283,015.26; share 0.1415076.
        assert!(close(r.share, 283_015.255_232_8 / 2_000_000.0));
        let bf = b
            .departments
            .iter()
            .find(|d| d.id == "born_familie")
            .unwrap();
        let y = &bf.years[0].amounts;
        // Placements −5 × 1,000,000 × 1.028 = −5,140,000; refusion × 0.1415076 = −727,349.21;
        // with the coordinator's 1,028,000: gross −4,112,000, net −3,384,650.79.
        assert!(close(y.gross, -4_112_000.0));
        assert!(close(y.refusion, -727_349.205_948_296));
        assert!(close(y.net, -3_384_650.794_051_704));
        // No state part: the placement is a kommune amount line (gross in the ledger).
        assert_eq!(y.state_part, 0.0);
    }

    #[test]
    fn keys_hand_gains_back_and_keep_the_total() {
        let b = run(SCENARIO).summary.budget.unwrap();
        let e = b
            .departments
            .iter()
            .find(|d| d.id == "beskaeftigelse")
            .unwrap();
        let bf = b
            .departments
            .iter()
            .find(|d| d.id == "born_familie")
            .unwrap();
        // 50 % of Employment's net gain 643,216.13 = 321,608.07 goes to Children and families.
        assert!(close(b.keys[0].transfer[0], 321_608.066_950_154));
        assert!(close(e.years[0].amounts.transfer, 321_608.066_950_154));
        assert!(close(bf.years[0].amounts.transfer, -321_608.066_950_154));
        assert!(close(
            bf.years[0].amounts.net_after_keys,
            -3_706_258.861_001_858
        ));
        for j in 0..3 {
            let t = &b.total.years[j].amounts;
            assert!(t.transfer.abs() < 1e-6);
            assert!(close(t.net_after_keys, t.net));
            let sum: f64 = b
                .departments
                .iter()
                .map(|d| d.years[j].amounts.net_after_keys)
                .sum();
            assert!(close(sum, t.net));
        }
        // Without the section's refusion lines, gross = ledger = net for every department.
        let plain = run(SCENARIO.split("[[budget.refusion]]").next().unwrap());
        let pb = plain.summary.budget.unwrap();
        for d in &pb.departments {
            for y in &d.years {
                assert_eq!(y.amounts.refusion, 0.0);
                assert_eq!(y.amounts.gross, y.amounts.ledger);
            }
        }
    }

    #[test]
    fn draws_give_what_the_view_gives_on_each_draw() {
        // Uncertain success and placement cost; the key hands Employment's gains on.
        let text = SCENARIO
            .replace(
                "net = 0.5",
                "net = { dist = \"beta\", mean = 0.5, sd = 0.15 }",
            )
            .replace(
                "amount = -1000000",
                "amount = { dist = \"normal\", mean = -1000000, sd = 300000 }",
            );
        let source = Source::new("t.toml", text.as_str());
        let scenario: Scenario = source.parse().unwrap();
        let cat = Catalogues::builtin().unwrap();
        let model = crate::compile::compile(&scenario, &source, &cat).unwrap();
        let plan = model.budget.as_ref().unwrap();
        let n = 24;
        let theta = crate::montecarlo::sample_theta(&model, 7, 0, n);
        let flows = model.evaluate(theta.view());
        let got = batch(plan, &model, &flows);
        let (ny, nd) = (plan.years.len(), plan.departments.len());
        let (rows, slots) = (nd + 1, ny + 1);
        assert_eq!(got.len(), n * rows * slots);
        let mut distinct = std::collections::BTreeSet::new();
        for d in 0..n {
            let view = compute(plan, &model, flows.draw(d));
            let o = &got[d * rows * slots..][..rows * slots];
            for (p, row) in view.departments.iter().enumerate() {
                for j in 0..ny {
                    assert!(close(o[p * slots + j], row.years[j].amounts.net_after_keys));
                }
                assert!(close(o[p * slots + ny], row.sum.net_after_keys));
            }
            for j in 0..ny {
                assert!(close(
                    o[nd * slots + j],
                    view.total.years[j].amounts.net_after_keys
                ));
            }
            assert!(close(o[nd * slots + ny], view.total.sum.net_after_keys));
            distinct.insert(o[nd * slots + ny].to_bits());
        }
        assert!(distinct.len() > n / 2, "the draws differ");
        // Summarised: the mean of the draws, and a share of savings.
        let u = uncertainty(plan, &model, &got, (0.05, 0.95));
        let mean: f64 = (0..n)
            .map(|d| got[(d * rows + nd) * slots + ny])
            .sum::<f64>()
            / n as f64;
        assert!(close(u.total.sum.mean.unwrap(), mean));
        assert_eq!(u.total.years.len(), ny);
        assert_eq!(u.departments.len(), nd);
        assert!((0.0..=1.0).contains(&u.p_net_saving));
    }

    proptest::proptest! {
        #[test]
        fn keys_preserve_the_total(
            net in proptest::collection::vec(proptest::collection::vec(-1e7f64..1e7, 4), 5),
            keys in proptest::collection::vec((0usize..5, 0usize..5, 0.0f64..0.5), 0..6),
        ) {
            let keys: Vec<(usize, usize, f64)> =
                keys.into_iter().filter(|k| k.0 != k.1).collect();
            let t = key_transfers(&net, &keys);
            for j in 0..4 {
                let mut after: Vec<f64> = net.iter().map(|r| r[j]).collect();
                for (k, &(from, to, _)) in keys.iter().enumerate() {
                    proptest::prop_assert!(t[k][j] >= 0.0);
                    after[from] += t[k][j];
                    after[to] -= t[k][j];
                }
                let before: f64 = net.iter().map(|r| r[j]).sum();
                let after: f64 = after.iter().sum();
                proptest::prop_assert!((before - after).abs() <= 1e-6);
            }
        }
    }

    #[test]
    fn bundled_catalogue_is_valid_and_bad_rules_are_located() {
        bundled();
        let text = r#"name = "t"
[[rule]]
id = "a"
kind = "spell"
source = "s"
step = [{ from_week = 1, to_week = 4, rate = 0.8 }, { from_week = 6, rate = 1.2 }]
[[rule]]
id = "b"
kind = "thresholds"
source = "s"
band = [{ above = 100, rate = 0.25 }, { above = 50, rate = 0.5 }]
"#;
        let src = Source::new("r.toml", text);
        let cat: RefusionCatalogue = src.parse().unwrap();
        let e = cat.validate(&src).unwrap_err();
        let fields: Vec<&str> = e.diagnostics().iter().map(|d| d.field.as_str()).collect();
        assert!(fields.contains(&"rule[0].step[1].from_week"), "{fields:?}");
        assert!(fields.contains(&"rule[0].step[1].rate"), "{fields:?}");
        assert!(fields.contains(&"rule[1]"), "{fields:?}"); // no year
        assert!(fields.contains(&"rule[1].band[1].above"), "{fields:?}");
        assert!(e.diagnostics().iter().all(|d| d.line.is_some()));
    }
}
