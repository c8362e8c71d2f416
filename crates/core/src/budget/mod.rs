//! The budget view for a finance department: the municipality's incremental flows in the budget
//! years (the budget year and its overslagsår) by department, moved from the scenario's price
//! year to the budget's own prices with a price index; state reimbursement (refusion) taken out
//! under the rules of the refusion catalogue (gross, refusion, net); and distribution keys
//! (fordelingsnøgler) that hand a share of one department's gains to another.
//!
//! Two steps, as everywhere in the engine: `compile/budget.rs` checks a scenario's `[budget]`
//! section at compile time (every problem a located diagnostic) and gives a [`Plan`]
//! ([`plan`]); [`compute`] applies the plan to the flows of a run and cannot fail. The refusion rates and thresholds and the price
//! index are data (`models/catalogues/refusion-dk.toml`, `price-index-dk.toml`), never constants
//! here.

pub mod plan;

pub use plan::{CellRole, IndexUse, KeyUse, Plan, RefusionUse};

use crate::model::Model;
use crate::scenario::budget::Prices;
use ndarray::ArrayView2;
use serde::Serialize;

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

/// The reducer that keeps the budget view's rows of every draw in a Monte Carlo run ([`batch`]),
/// under the name [`ROWS`]; nothing without a `[budget]` section.
pub struct RowDraws;

/// The name of [`RowDraws`]' numbers in `Draws::reduced`.
pub const ROWS: &str = "budget";

impl crate::montecarlo::Reducer for RowDraws {
    fn name(&self) -> &'static str {
        ROWS
    }

    fn width(&self, model: &Model) -> usize {
        model
            .budget
            .as_ref()
            .map_or(0, |p| (p.departments.len() + 1) * (p.years.len() + 1))
    }

    fn reduce(&self, model: &Model, flows: &crate::evaluate::Flows) -> Vec<f64> {
        model
            .budget
            .as_ref()
            .map(|plan| batch(plan, model, flows))
            .unwrap_or_default()
    }
}

/// The net after keys of every department of the plan and of the total, in each budget year
/// and summed over them, for every draw of a chunk: `[draw][row][slot]`, rows the plan's
/// departments then the total, slots the budget years then their sum. The arithmetic of
/// [`compute`], array-wise over the draws of `flows` (`[cell, year, draw]`), so that draw d
/// gives what `compute` gives on that draw's flows.
pub fn batch(plan: &Plan, model: &Model, flows: &crate::evaluate::Flows) -> Vec<f64> {
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
    pub years: Vec<crate::stats::Stat>,
    pub sum: crate::stats::Stat,
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
    let stats: Vec<crate::stats::Stat> = (0..rows * slots)
        .into_par_iter()
        .map(|i| crate::stats::stat(&column(i / slots, i % slots), interval))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogues;
    use crate::scenario::Scenario;
    use crate::source::Source;

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
        let loaded = crate::loaded::Loaded {
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
}
