//! Decision metrics from the flows of one draw: present values, NPV, benefit-cost ratio, ROI,
//! payback, per total, per actor and per department; the who-pays-who-gains matrix.

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

/// Metrics of one draw: `flows` is `[cell, year]`.
pub fn compute(model: &Model, flows: ArrayView2<f64>, participants: f64, outcomes: f64) -> Results {
    let h = model.horizon();
    let na = model.actors.len();
    let nd = model.departments.len();
    // Group g: 0 = total, 1..=na actors, na+1.. departments.
    let ng = 1 + na + nd;
    let mut cost = vec![0.0; ng * h];
    let mut benefit = vec![0.0; ng * h];
    let mut present = vec![false; ng];
    present[0] = true;
    for (c, cell) in model.cells.iter().enumerate() {
        let s = cell.arm.sign();
        // The total is the public sector's: a non-public actor's cells go to its own groups.
        let all = [1 + cell.actor, 1 + na + cell.department, 0];
        let groups = if model.actors[cell.actor].public {
            &all[..]
        } else {
            &all[..2]
        };
        for &g in groups {
            present[g] = true;
        }
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
    let group = |g: usize, id: &str, name: &str, actor: Option<String>, public: bool| GroupResult {
        id: id.to_string(),
        name: name.to_string(),
        actor,
        public,
        metrics: group_metrics(
            model,
            &cost[g * h..(g + 1) * h],
            &benefit[g * h..(g + 1) * h],
        ),
        years: year_rows(
            model,
            &cost[g * h..(g + 1) * h],
            &benefit[g * h..(g + 1) * h],
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
        cost_per_outcome: (outcomes > 0.0).then(|| total.metrics.cost_pv / outcomes),
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

fn year_rows(model: &Model, cost: &[f64], benefit: &[f64]) -> Vec<YearRow> {
    let mut cum = 0.0;
    (0..model.horizon())
        .map(|t| {
            let df = model.discount[t];
            let net = benefit[t] - cost[t];
            cum += net * df;
            YearRow {
                year: t as u32,
                calendar_year: model.years[t],
                discount_factor: df,
                cost: cost[t],
                benefit: benefit[t],
                net,
                net_pv: net * df,
                cumulative_net_pv: cum,
            }
        })
        .collect()
}

fn group_metrics(model: &Model, cost: &[f64], benefit: &[f64]) -> Metrics {
    let df = &model.discount;
    let cost_pv: f64 = cost.iter().zip(df).map(|(c, d)| c * d).sum();
    let benefit_pv: f64 = benefit.iter().zip(df).map(|(b, d)| b * d).sum();
    let npv = benefit_pv - cost_pv;
    let net_pv: Vec<f64> = (0..cost.len())
        .map(|t| (benefit[t] - cost[t]) * df[t])
        .collect();
    let net: Vec<f64> = (0..cost.len()).map(|t| benefit[t] - cost[t]).collect();
    let pb = payback(&net_pv);
    let cost_nominal: f64 = cost.iter().sum();
    let benefit_nominal: f64 = benefit.iter().sum();
    Metrics {
        cost_pv,
        benefit_pv,
        npv,
        bcr: (cost_pv > 0.0).then(|| benefit_pv / cost_pv),
        roi: (cost_pv > 0.0).then(|| npv / cost_pv),
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
