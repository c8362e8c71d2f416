//! Decision metrics from the flows of one draw: present values, NPV, benefit-cost ratio, ROI,
//! payback, per total, per actor and per department; the who-pays-who-gains matrix.

use crate::evaluate::Flows;
use crate::model::{Kind, Model};
use ndarray::ArrayView2;
use serde::Serialize;

/// Metrics of one group (the total, an actor or a department).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    /// Present value of the investment (intervention costs + start-up − replaced services).
    pub cost_pv: f64,
    /// Present value of the consequences as gains (savings +).
    pub benefit_pv: f64,
    /// `benefit_pv − cost_pv`.
    pub npv: f64,
    /// `benefit_pv / cost_pv`; null where `cost_pv ≤ 0`.
    pub bcr: Option<f64>,
    /// `npv / cost_pv`; null where `cost_pv ≤ 0`.
    pub roi: Option<f64>,
    /// Whether and how the group pays back (see the payback rule).
    pub payback_status: PaybackStatus,
    /// Projection year of payback; null unless the status is `pays_back`.
    pub payback_year: Option<u32>,
    /// Calendar year of payback.
    pub payback_calendar_year: Option<i32>,
    /// Years from the start of year 0 to break-even, interpolated within the payback year.
    pub payback_years: Option<f64>,
    /// Payback year on undiscounted flows.
    pub payback_year_undiscounted: Option<u32>,
    /// Undiscounted sums over the horizon.
    pub cost_nominal: f64,
    pub benefit_nominal: f64,
    pub net_nominal: f64,
}

/// Whether a group pays back within the horizon.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PaybackStatus {
    /// The cumulative net turns and stays non-negative within the horizon.
    PaysBack,
    /// The cumulative net is never negative: there is no net investment to pay back.
    NoNetInvestment,
    /// The cumulative net is still negative at the horizon.
    NotWithinHorizon,
}

/// Payback of a series of yearly net flows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Payback {
    pub status: PaybackStatus,
    pub year: Option<u32>,
    pub years: Option<f64>,
}

/// One year of a group's flows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct YearRow {
    pub year: u32,
    pub calendar_year: i32,
    pub discount_factor: f64,
    pub cost: f64,
    pub benefit: f64,
    pub net: f64,
    pub net_pv: f64,
    pub cumulative_net_pv: f64,
}

/// Metrics and yearly flows of one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupResult {
    pub id: String,
    pub name: String,
    /// For a department, the actor it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Whether the group counts in the public-sector total.
    pub public: bool,
    #[serde(flatten)]
    pub metrics: Metrics,
    pub years: Vec<YearRow>,
}

/// Who pays and who gains: each investing department's share of the investment times each
/// gaining department's present-value gain.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WhoPaysWhoGains {
    pub rule: &'static str,
    /// Departments with a positive present-value investment (rows).
    pub investing: Vec<String>,
    /// Their shares of the total investment.
    pub investing_share: Vec<f64>,
    /// Departments with a present-value gain (columns), and their actors. A department whose
    /// replaced services exceed its own costs (a negative investment) counts that as a gain.
    pub gaining: Vec<String>,
    pub gaining_actor: Vec<String>,
    /// Each gaining department's PV gain.
    pub gain: Vec<f64>,
    /// `matrix[i][j]`: gain of department j attributed to investing department i (PV).
    pub matrix: Vec<Vec<f64>>,
}

/// All metrics of one draw.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Results {
    pub participants: f64,
    /// Net additional successful outcomes (with − without).
    pub net_outcomes: f64,
    /// NPV ÷ all participants (as SØM publishes per-participant results).
    pub net_per_participant: Option<f64>,
    /// PV cost ÷ net additional outcomes.
    pub cost_per_outcome: Option<f64>,
    pub total: GroupResult,
    pub by_actor: Vec<GroupResult>,
    pub by_department: Vec<GroupResult>,
    pub who_pays_who_gains: WhoPaysWhoGains,
}

const MATRIX_RULE: &str = "matrix[i][j] = (PV investment of department i ÷ PV investment of all \
investing departments) × PV gain of department j, where the gain is the PV benefit plus any \
negative PV investment (replaced services exceeding own costs); rows sum to each investing \
department's share of all gains";

/// Metrics of one draw: `flows` is `[cell, year]`, discounted with the model's factors;
/// `flows_pv` the same flows restated for discounting where they are ([`crate::evaluate::Flows::pv`]).
pub fn compute(
    model: &Model,
    flows: ArrayView2<f64>,
    flows_pv: Option<ArrayView2<f64>>,
    participants: f64,
    outcomes: f64,
) -> Results {
    compute_with(
        model,
        &model.discount,
        flows,
        flows_pv,
        participants,
        outcomes,
    )
}

/// Metrics of one draw with the discount factors `df` of each projection year (those of the
/// draw's discount rate, where the rate is an input). Present values come from `flows_pv`
/// where given (flows restated for discounting at each cycle's point), undiscounted sums from
/// `flows`.
pub fn compute_with(
    model: &Model,
    df: &[f64],
    flows: ArrayView2<f64>,
    flows_pv: Option<ArrayView2<f64>>,
    participants: f64,
    outcomes: f64,
) -> Results {
    let h = model.horizon();
    let na = model.actors.len();
    let nd = model.departments.len();
    // Group g: 0 = total, 1..=na actors, na+1.. departments.
    let ng = 1 + na + nd;
    let sums = |flows: ArrayView2<f64>| {
        let mut cost = vec![0.0; ng * h];
        let mut benefit = vec![0.0; ng * h];
        for (c, cell) in model.cells.iter().enumerate() {
            let s = cell.arm.sign();
            // The total is the public sector's: a non-public actor's cells go to its own groups.
            let all = [1 + cell.actor, 1 + na + cell.department, 0];
            let groups = if model.actors[cell.actor].public {
                &all[..]
            } else {
                &all[..2]
            };
            for t in 0..h {
                let v = s * flows[[c, t]];
                let target = match cell.component.kind() {
                    Kind::Investment => &mut cost,
                    Kind::Consequence => &mut benefit,
                };
                let delta = match cell.component.kind() {
                    Kind::Investment => v,
                    Kind::Consequence => -v,
                };
                for &g in groups {
                    target[g * h + t] += delta;
                }
            }
        }
        (cost, benefit)
    };
    let mut present = vec![false; ng];
    present[0] = true;
    for cell in &model.cells {
        present[1 + cell.actor] = true;
        present[1 + na + cell.department] = true;
    }
    let (cost, benefit) = sums(flows);
    let restated = flows_pv.map(sums);
    let (cost_b, benefit_b) = restated.as_ref().map_or((&cost, &benefit), |(c, b)| (c, b));
    // Group g's years of a `[group, year]` table.
    fn part(v: &[f64], g: usize, h: usize) -> &[f64] {
        &v[g * h..(g + 1) * h]
    }
    let group = |g: usize, id: &str, name: &str, actor: Option<String>, public: bool| GroupResult {
        id: id.to_string(),
        name: name.to_string(),
        actor,
        public,
        metrics: group_metrics(
            model,
            df,
            [part(&cost, g, h), part(&benefit, g, h)],
            [part(cost_b, g, h), part(benefit_b, g, h)],
        ),
        years: year_rows(
            model,
            df,
            [part(&cost, g, h), part(&benefit, g, h)],
            [part(cost_b, g, h), part(benefit_b, g, h)],
        ),
    };
    let total = group(0, "total", "Total (public sector)", None, true);
    let by_actor: Vec<GroupResult> = (0..na)
        .filter(|a| present[1 + a])
        .map(|a| {
            let actor = &model.actors[a];
            group(1 + a, &actor.id, &actor.name, None, actor.public)
        })
        .collect();
    let by_department: Vec<GroupResult> = (0..nd)
        .filter(|d| present[1 + na + d])
        .map(|d| {
            let dep = &model.departments[d];
            let actor = &model.actors[dep.actor];
            group(
                1 + na + d,
                &dep.id,
                &dep.name,
                Some(actor.id.clone()),
                actor.public,
            )
        })
        .collect();
    let who_pays_who_gains = who_pays_who_gains(&by_department);
    Results {
        participants,
        net_outcomes: outcomes,
        net_per_participant: (participants > 0.0).then(|| total.metrics.npv / participants),
        cost_per_outcome: (model.form() == crate::model::Form::SuccessRate && outcomes > 0.0)
            .then(|| total.metrics.cost_pv / outcomes),
        total,
        by_actor,
        by_department,
        who_pays_who_gains,
    }
}

fn who_pays_who_gains(depts: &[GroupResult]) -> WhoPaysWhoGains {
    let investing: Vec<&GroupResult> = depts.iter().filter(|d| d.metrics.cost_pv > 0.0).collect();
    let gain_of = |d: &GroupResult| d.metrics.benefit_pv + (-d.metrics.cost_pv).max(0.0);
    let gaining: Vec<&GroupResult> = depts.iter().filter(|d| gain_of(d) != 0.0).collect();
    let total_cost: f64 = investing.iter().map(|d| d.metrics.cost_pv).sum();
    let shares: Vec<f64> = investing
        .iter()
        .map(|d| d.metrics.cost_pv / total_cost)
        .collect();
    let gain: Vec<f64> = gaining.iter().map(|d| gain_of(d)).collect();
    let matrix = shares
        .iter()
        .map(|s| gain.iter().map(|g| s * g).collect())
        .collect();
    WhoPaysWhoGains {
        rule: MATRIX_RULE,
        investing: investing.iter().map(|d| d.id.clone()).collect(),
        investing_share: shares,
        gaining: gaining.iter().map(|d| d.id.clone()).collect(),
        gaining_actor: gaining
            .iter()
            .map(|d| d.actor.clone().unwrap_or_default())
            .collect(),
        gain,
        matrix,
    }
}

/// Year rows of a group: `[cost, benefit]` undiscounted and as discounted (restated).
fn year_rows(
    model: &Model,
    df: &[f64],
    [cost, benefit]: [&[f64]; 2],
    [cost_b, benefit_b]: [&[f64]; 2],
) -> Vec<YearRow> {
    let mut cum = 0.0;
    (0..model.horizon())
        .map(|t| {
            let df = df[t];
            let net = benefit[t] - cost[t];
            let net_pv = (benefit_b[t] - cost_b[t]) * df;
            cum += net_pv;
            YearRow {
                year: t as u32,
                calendar_year: model.years[t],
                discount_factor: df,
                cost: cost[t],
                benefit: benefit[t],
                net,
                net_pv,
                cumulative_net_pv: cum,
            }
        })
        .collect()
}

/// Metrics of a group: `[cost, benefit]` undiscounted and as discounted (restated).
fn group_metrics(
    model: &Model,
    df: &[f64],
    [cost, benefit]: [&[f64]; 2],
    [cost_b, benefit_b]: [&[f64]; 2],
) -> Metrics {
    let ratios = model.form() == crate::model::Form::SuccessRate;
    let cost_pv: f64 = cost_b.iter().zip(df).map(|(c, d)| c * d).sum();
    let benefit_pv: f64 = benefit_b.iter().zip(df).map(|(b, d)| b * d).sum();
    let npv = benefit_pv - cost_pv;
    let net_pv: Vec<f64> = (0..cost.len())
        .map(|t| (benefit_b[t] - cost_b[t]) * df[t])
        .collect();
    let net: Vec<f64> = (0..cost.len()).map(|t| benefit[t] - cost[t]).collect();
    let pb = payback(&net_pv);
    let cost_nominal: f64 = cost.iter().sum();
    let benefit_nominal: f64 = benefit.iter().sum();
    Metrics {
        cost_pv,
        benefit_pv,
        npv,
        bcr: (ratios && cost_pv > 0.0).then(|| benefit_pv / cost_pv),
        roi: (ratios && cost_pv > 0.0).then(|| npv / cost_pv),
        payback_status: pb.status,
        payback_year: pb.year,
        payback_calendar_year: pb.year.map(|t| model.first_year + t as i32),
        payback_years: pb.years,
        payback_year_undiscounted: payback(&net).year,
        cost_nominal,
        benefit_nominal,
        net_nominal: benefit_nominal - cost_nominal,
    }
}

/// Payback under [`crate::compile::PAYBACK_RULE`] from yearly net flows.
pub fn payback(net: &[f64]) -> Payback {
    let scale: f64 = net.iter().map(|x| x.abs()).sum::<f64>().max(1.0);
    let tol = 1e-9 * scale;
    let mut cum = Vec::with_capacity(net.len());
    let mut c = 0.0;
    for x in net {
        c += x;
        cum.push(c);
    }
    // Last year with a negative cumulative value.
    match cum.iter().rposition(|&c| c < -tol) {
        None => Payback {
            status: PaybackStatus::NoNetInvestment,
            year: None,
            years: None,
        },
        Some(t) if t + 1 == cum.len() => Payback {
            status: PaybackStatus::NotWithinHorizon,
            year: None,
            years: None,
        },
        Some(t) => {
            let y = t + 1;
            let f = (-cum[t]) / (cum[y] - cum[t]);
            Payback {
                status: PaybackStatus::PaysBack,
                year: Some(y as u32),
                years: Some(y as f64 + f),
            }
        }
    }
}

/// The metrics a Monte Carlo run keeps per draw for one group (the total, an actor or a
/// department), one entry per draw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupDraws {
    pub id: String,
    pub npv: Vec<f64>,
    pub cost_pv: Vec<f64>,
    pub benefit_pv: Vec<f64>,
    /// NaN where the cost is not positive.
    pub bcr: Vec<f64>,
    /// Payback year, NaN where the group does not pay back (or has no net investment).
    pub payback_year: Vec<f64>,
}

/// Per-draw metrics of a batch of draws, in draw order; the groups are those of [`Results`]
/// (the total, then the actors and departments that have a ledger line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draws {
    pub total: GroupDraws,
    pub by_actor: Vec<GroupDraws>,
    pub by_department: Vec<GroupDraws>,
    pub participants: Vec<f64>,
    pub net_outcomes: Vec<f64>,
    /// The drawn values of the uncertain inputs, by θ slot (filled by the Monte Carlo driver;
    /// empty from [`batch`]).
    pub inputs: Vec<(usize, Vec<f64>)>,
    /// The total's cumulative net present value at the end of every projection year, draw by
    /// draw: `[draw × horizon]`, the horizon's years of draw 0 first. For the uncertainty band
    /// by year; `horizon` numbers a draw, as many as the per-draw metrics of a few groups.
    pub total_cumulative_net_pv: Vec<f64>,
    /// What the reducers handed to the Monte Carlo run keep (`crate::montecarlo::Reducer`),
    /// by name, draw by draw (`[draw][…]`); empty from [`batch`].
    pub reduced: Vec<(&'static str, Vec<f64>)>,
}

impl GroupDraws {
    fn reserve(&mut self, n: usize) {
        for v in [
            &mut self.npv,
            &mut self.cost_pv,
            &mut self.benefit_pv,
            &mut self.bcr,
            &mut self.payback_year,
        ] {
            v.reserve_exact(n);
        }
    }

    fn extend(&mut self, other: GroupDraws) {
        self.npv.extend(other.npv);
        self.cost_pv.extend(other.cost_pv);
        self.benefit_pv.extend(other.benefit_pv);
        self.bcr.extend(other.bcr);
        self.payback_year.extend(other.payback_year);
    }
}

impl Draws {
    /// Room for `n` more draws in every list, reserved exactly (so that joining the chunks of a
    /// large run does not double its memory by growing).
    pub fn reserve(&mut self, n: usize) {
        self.total.reserve(n);
        for g in self.by_actor.iter_mut().chain(&mut self.by_department) {
            g.reserve(n);
        }
        self.participants.reserve_exact(n);
        self.net_outcomes.reserve_exact(n);
        let years = self.total_cumulative_net_pv.len() / self.len().max(1);
        self.total_cumulative_net_pv.reserve_exact(n * years);
        for (_, v) in &mut self.inputs {
            v.reserve_exact(n);
        }
        let per = self.len().max(1);
        for (_, v) in &mut self.reduced {
            let width = v.len() / per;
            v.reserve_exact(n * width);
        }
    }

    /// Append the draws of `other` (the same model's groups).
    pub fn extend(&mut self, other: Draws) {
        if self.total.id.is_empty() {
            *self = other;
            return;
        }
        self.total.extend(other.total);
        for (g, o) in self.by_actor.iter_mut().zip(other.by_actor) {
            g.extend(o);
        }
        for (g, o) in self.by_department.iter_mut().zip(other.by_department) {
            g.extend(o);
        }
        self.participants.extend(other.participants);
        self.net_outcomes.extend(other.net_outcomes);
        self.total_cumulative_net_pv
            .extend(other.total_cumulative_net_pv);
        for (r, o) in self.reduced.iter_mut().zip(other.reduced) {
            r.1.extend(o.1);
        }
        for (i, o) in self.inputs.iter_mut().zip(other.inputs) {
            i.1.extend(o.1);
        }
    }

    /// What the reducer named `name` kept, `[draw][…]`; empty when none was handed.
    pub fn reduced(&self, name: &str) -> &[f64] {
        self.reduced
            .iter()
            .find(|r| r.0 == name)
            .map_or(&[], |r| r.1.as_slice())
    }

    /// Number of draws.
    pub fn len(&self) -> usize {
        self.total.npv.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The metrics of every draw of `flows` at once, as array reductions over `[cell, year, draw]`
/// with draws innermost. `theta` is the batch's θ (`[draw, param]`), needed where the discount
/// rate is an input. Gives exactly the numbers [`compute`] gives draw by draw: every sum is
/// taken in the same order.
pub fn batch(model: &Model, flows: &Flows, theta: ArrayView2<f64>) -> Draws {
    batch_with(model, flows, theta, &mut BatchScratch::default())
}

/// Working memory of [`batch_with`], reused from one chunk of draws to the next.
#[derive(Debug, Clone, Default)]
pub struct BatchScratch {
    cost: Vec<f64>,
    benefit: Vec<f64>,
    df: Vec<f64>,
}

/// `v` as `len` zeros, reusing its memory.
fn zeros(v: &mut Vec<f64>, len: usize) -> &mut [f64] {
    v.clear();
    v.resize(len, 0.0);
    v
}

/// [`batch`] with working memory that outlives the call.
// The loops index several slices of one length in step, which reads best with an index.
#[allow(clippy::needless_range_loop)]
pub fn batch_with(
    model: &Model,
    flows: &Flows,
    theta: ArrayView2<f64>,
    scratch: &mut BatchScratch,
) -> Draws {
    let n = flows.participants.len();
    let h = model.horizon();
    let na = model.actors.len();
    let nd = model.departments.len();
    let ng = 1 + na + nd;
    // Every metric of a draw is discounted: the flows as they are discounted.
    let vals = flows.pv().as_slice().expect("standard layout");
    // [group, year, draw] sums of cost and benefit, added cell by cell as compute() does.
    let cost = zeros(&mut scratch.cost, ng * h * n);
    let benefit = zeros(&mut scratch.benefit, ng * h * n);
    let mut present = vec![false; ng];
    present[0] = true;
    for (c, cell) in model.cells.iter().enumerate() {
        let all = [1 + cell.actor, 1 + na + cell.department, 0];
        let groups = if model.actors[cell.actor].public {
            &all[..]
        } else {
            &all[..2]
        };
        // compute(): cost += s·v, benefit += −(s·v); (−s)·v is exactly −(s·v).
        let (target, factor) = match cell.component.kind() {
            Kind::Investment => (&mut *cost, cell.arm.sign()),
            Kind::Consequence => (&mut *benefit, -cell.arm.sign()),
        };
        for &g in groups {
            present[g] = true;
            for t in 0..h {
                let src = &vals[(c * h + t) * n..][..n];
                let dst = &mut target[(g * h + t) * n..][..n];
                for (o, &v) in dst.iter_mut().zip(src) {
                    *o += factor * v;
                }
            }
        }
    }
    // Discount factors by [year, draw]: the draw's own where the rate is an input that varies.
    let df = zeros(&mut scratch.df, h * n);
    match model.discount_rate {
        Some(j) if theta.column(j).iter().any(|&r| r != model.params[j].value) => {
            for (d, &r) in theta.column(j).iter().enumerate() {
                for (t, f) in model.discount_at(r).into_iter().enumerate() {
                    df[t * n + d] = f;
                }
            }
        }
        _ => {
            for (t, &f) in model.discount.iter().enumerate() {
                df[t * n..][..n].fill(f);
            }
        }
    }
    let mut scale = vec![0.0; n];
    let mut cum = vec![0.0; n];
    let mut last = vec![usize::MAX; n];
    // The total's cumulative net PV by draw and year, [draw, year].
    let mut total_cum = vec![0.0; n * h];
    let ratios = model.form() == crate::model::Form::SuccessRate;
    let mut group = |g: usize, id: &str| {
        let mut out = GroupDraws {
            id: id.to_string(),
            npv: vec![0.0; n],
            cost_pv: vec![-0.0; n],
            benefit_pv: vec![-0.0; n],
            bcr: vec![0.0; n],
            payback_year: vec![f64::NAN; n],
        };
        // Present values, and the scale of the payback tolerance (Σ |net PV|), as compute().
        scale.fill(-0.0);
        for t in 0..h {
            let c = &cost[(g * h + t) * n..][..n];
            let b = &benefit[(g * h + t) * n..][..n];
            let f = &df[t * n..][..n];
            let sums = out
                .cost_pv
                .iter_mut()
                .zip(out.benefit_pv.iter_mut())
                .zip(scale.iter_mut());
            for (((cp, bp), sc), ((&c, &b), &f)) in sums.zip(c.iter().zip(b).zip(f)) {
                *cp += c * f;
                *bp += b * f;
                *sc += ((b - c) * f).abs();
            }
        }
        // Payback: the last year with a cumulative net PV below −tolerance.
        for s in scale.iter_mut() {
            *s = -(1e-9 * s.max(1.0));
        }
        cum.fill(0.0);
        last.fill(usize::MAX);
        for t in 0..h {
            let c = &cost[(g * h + t) * n..][..n];
            let b = &benefit[(g * h + t) * n..][..n];
            let f = &df[t * n..][..n];
            let state = cum.iter_mut().zip(last.iter_mut()).zip(scale.iter());
            for (((cu, la), &neg_tol), ((&c, &b), &f)) in state.zip(c.iter().zip(b).zip(f)) {
                *cu += (b - c) * f;
                *la = if *cu < neg_tol { t } else { *la };
            }
            if g == 0 {
                for (i, &v) in cum.iter().enumerate() {
                    total_cum[i * h + t] = v;
                }
            }
        }
        for i in 0..n {
            let (cost_pv, benefit_pv) = (out.cost_pv[i], out.benefit_pv[i]);
            out.npv[i] = benefit_pv - cost_pv;
            out.bcr[i] = if ratios && cost_pv > 0.0 {
                benefit_pv / cost_pv
            } else {
                f64::NAN
            };
            if last[i] != usize::MAX && last[i] + 1 < h {
                out.payback_year[i] = (last[i] + 1) as f64;
            }
        }
        out
    };
    let total = group(0, "total");
    let by_actor = (0..na)
        .filter(|a| present[1 + a])
        .map(|a| group(1 + a, &model.actors[a].id))
        .collect();
    let by_department = (0..nd)
        .filter(|d| present[1 + na + d])
        .map(|d| group(1 + na + d, &model.departments[d].id))
        .collect();
    Draws {
        total,
        by_actor,
        by_department,
        participants: flows.participants.to_vec(),
        net_outcomes: flows.outcomes.to_vec(),
        inputs: Vec::new(),
        total_cumulative_net_pv: total_cum,
        reduced: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payback_is_first_year_cumulative_stays_nonnegative() {
        // Reference worked example: −165,000; +136,347.8; +92,215.5 (PV) → year 2.
        let p = payback(&[-165_000.0, 136_347.83, 92_215.5]);
        assert_eq!(p.status, PaybackStatus::PaysBack);
        assert_eq!(p.year, Some(2));
        assert!((p.years.unwrap() - (2.0 + 28_652.17 / 92_215.5)).abs() < 1e-9);
        assert_eq!(
            payback(&[-1.0, -1.0]).status,
            PaybackStatus::NotWithinHorizon
        );
        assert_eq!(payback(&[0.0, 1.0]).status, PaybackStatus::NoNetInvestment);
        assert_eq!(payback(&[0.0, 1.0]).year, None);
        // Dips below zero again: payback is after the last dip.
        assert_eq!(payback(&[-10.0, 20.0, -15.0, 10.0]).year, Some(3));
    }
}
