//! Results of the state-transition form: per-arm costs and outcomes, incremental cost and
//! outcome, the cost per additional outcome unit with dominance stated plainly, the
//! state-occupancy trace, and, over draws, the acceptability curve and EVPI.

use super::sim::MarkovFlows;
use super::{ARMS, MarkovConventions};
use crate::evaluate::Flows;
use crate::metrics::Draws;
use crate::model::{Kind, Model};
use crate::montecarlo::Reducer;
use crate::stats::{Stat, stat};
use serde::Serialize;

/// The reducer that keeps every draw's discounted outcome totals (`[draw][arm][outcome]`) in a
/// Monte Carlo run, under the name [`OUTCOMES`].
pub struct OutcomeDraws;

/// The name of [`OutcomeDraws`]' numbers in [`Draws::reduced`].
pub const OUTCOMES: &str = "markov_outcomes";

impl Reducer for OutcomeDraws {
    fn name(&self) -> &'static str {
        OUTCOMES
    }

    fn width(&self, model: &Model) -> usize {
        model.markov.as_ref().map_or(0, |mk| 2 * mk.outcomes.len())
    }

    fn reduce(&self, model: &Model, flows: &Flows) -> Vec<f64> {
        per_draw(model, &flows.markov, flows.participants.len())
    }
}

/// The per-draw outcome totals of a chunk as `[draw][arm][outcome]`.
pub fn per_draw(model: &Model, mf: &MarkovFlows, n: usize) -> Vec<f64> {
    let Some(mk) = &model.markov else {
        return Vec::new();
    };
    let no = mk.outcomes.len();
    let mut out = Vec::with_capacity(n * 2 * no);
    for d in 0..n {
        for a in 0..2 {
            for o in 0..no {
                out.push(mf.outcomes[(a * no + o) * n + d]);
            }
        }
    }
    out
}

/// An outcome total of one arm.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeTotal {
    pub name: String,
    pub discounted: f64,
    pub undiscounted: f64,
}

/// Costs and outcomes of one arm (all cohorts; public actors, as the total of the core).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArmResult {
    pub arm: &'static str,
    /// Present value of every cost of the arm.
    pub cost_pv: f64,
    /// Of which the intervention's own costs.
    pub intervention_cost_pv: f64,
    /// Of which use of services (consequences).
    pub consequence_cost_pv: f64,
    pub cost_nominal: f64,
    pub outcomes: Vec<OutcomeTotal>,
}

/// Incremental (intervention − baseline) outcome and the cost per additional unit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub outcome: String,
    /// `higher` or `lower`: which direction of the outcome is better.
    pub better: &'static str,
    pub incremental_cost: f64,
    /// Intervention − baseline (discounted).
    pub incremental_outcome: f64,
    /// The gain: the incremental outcome, or units avoided where lower is better; the cost per
    /// unit and dominance are of the gain.
    pub gain: f64,
    pub incremental_outcome_undiscounted: f64,
    /// Incremental cost ÷ incremental outcome; null where the intervention dominates or is
    /// dominated, or the outcome does not change.
    pub cost_per_additional_unit: Option<f64>,
    /// `dominates`, `dominated`, `more_costly_more_effective`, `cheaper_less_effective`,
    /// `no_change_in_outcome`.
    pub dominance: &'static str,
    /// The comparison in one plain sentence.
    pub statement: String,
}

/// One point of the acceptability curve.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AcceptabilityPoint {
    /// Value per outcome unit (kr.).
    pub value: f64,
    /// Share of draws where value × Δoutcome − Δcost > 0.
    pub probability: f64,
    /// E[max(NB, 0)] − max(E[NB], 0) for invest / not invest at this value.
    pub evpi: f64,
}

/// Uncertainty of one outcome's comparison over the draws.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparisonUncertainty {
    pub outcome: String,
    pub incremental_cost: Stat,
    /// The gain (units avoided where lower is better).
    pub gain: Stat,
    /// Share of draws where the intervention is cheaper and better.
    pub p_dominates: f64,
    pub acceptability: Vec<AcceptabilityPoint>,
    /// EVPPI of each uncertain input at every value of `acceptability` (investing or not at
    /// λ·ΔE − ΔC > 0; [`crate::voi`]), the largest at the middle value first; empty when the
    /// draws are too few for the regression.
    pub evppi: Vec<EvppiCurve>,
}

/// One input's EVPPI along the values of an acceptability curve.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvppiCurve {
    pub input: String,
    /// At each value of the curve, in its order.
    pub values: Vec<f64>,
}

/// The state-transition part of a summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MarkovReport {
    pub conventions: MarkovConventions,
    pub states: Vec<String>,
    pub arms: Vec<ArmResult>,
    pub comparisons: Vec<Comparison>,
    /// State occupancy of a cohort of one by trace point (m_0 … m_K), `[arm][point][state]`,
    /// arms in the order of `arms`.
    pub trace: Vec<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncertainty: Vec<ComparisonUncertainty>,
}

fn dominance(dc: f64, de: f64) -> (&'static str, Option<f64>) {
    if de == 0.0 {
        ("no_change_in_outcome", None)
    } else if dc <= 0.0 && de > 0.0 {
        ("dominates", None)
    } else if dc >= 0.0 && de < 0.0 {
        ("dominated", None)
    } else if de > 0.0 {
        ("more_costly_more_effective", Some(dc / de))
    } else {
        ("cheaper_less_effective", Some(dc / de))
    }
}

fn kr(v: f64) -> String {
    let r = v.abs().round() as i64;
    let s = r.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn statement(name: &str, currency: &str, dc: f64, de: f64) -> String {
    match dominance(dc, de) {
        ("dominates", _) => format!(
            "The intervention dominates: it is cheaper (by {} {currency}) and better (+{de:.4} \
             {name}).",
            kr(dc),
        ),
        ("dominated", _) => format!(
            "The intervention is dominated: it costs {} {currency} more and gives {:.4} {name} \
             less.",
            kr(dc),
            -de
        ),
        ("no_change_in_outcome", _) => {
            format!(
                "The intervention does not change {name}; its incremental cost is {} {currency}.",
                kr(dc)
            )
        }
        ("more_costly_more_effective", Some(r)) => format!(
            "The intervention costs {} {currency} more and gives +{de:.4} {name}: {} {currency} \
             per additional unit.",
            kr(dc),
            kr(r)
        ),
        (_, r) => format!(
            "The intervention saves {} {currency} and gives {:.4} {name} less: {} {currency} \
             saved per unit given up.",
            kr(dc),
            -de,
            kr(r.unwrap_or(0.0))
        ),
    }
}

/// The deterministic report from the base evaluation `f` (draw 0).
pub fn report(model: &Model, f: &Flows) -> Option<MarkovReport> {
    let flows = f.draw(0);
    let flows_pv = f.pv().index_axis(ndarray::Axis(2), 0);
    let mk = model.markov.as_ref()?;
    let h = model.horizon();
    let mut arms = Vec::new();
    for (a, &arm) in ARMS.iter().enumerate() {
        let (mut pv, mut inv, mut cons, mut nom) = (0.0, 0.0, 0.0, 0.0);
        for (c, cell) in model.cells.iter().enumerate() {
            if cell.arm != arm || !model.actors[cell.actor].public {
                continue;
            }
            for t in 0..h {
                let v = flows[[c, t]];
                let p = flows_pv[[c, t]] * model.discount[t];
                pv += p;
                nom += v;
                match cell.component.kind() {
                    Kind::Investment => inv += p,
                    Kind::Consequence => cons += p,
                }
            }
        }
        let no = mk.outcomes.len();
        let n = f.participants.len();
        let outcomes = mk
            .outcomes
            .iter()
            .enumerate()
            .map(|(o, oc)| OutcomeTotal {
                name: oc.name.clone(),
                discounted: f.markov.outcomes[(a * no + o) * n],
                undiscounted: f.markov.outcomes_nominal[(a * no + o) * n],
            })
            .collect();
        arms.push(ArmResult {
            arm: arm.as_str(),
            cost_pv: pv,
            intervention_cost_pv: inv,
            consequence_cost_pv: cons,
            cost_nominal: nom,
            outcomes,
        });
    }
    let dc = arms[1].cost_pv - arms[0].cost_pv;
    let comparisons = (0..mk.outcomes.len())
        .map(|o| {
            let de = arms[1].outcomes[o].discounted - arms[0].outcomes[o].discounted;
            let deu = arms[1].outcomes[o].undiscounted - arms[0].outcomes[o].undiscounted;
            let sign = mk.outcomes[o].sign;
            let gain = sign * de;
            let (dom, ratio) = dominance(dc, gain);
            let name = if sign < 0.0 {
                format!("{} avoided", mk.outcomes[o].name)
            } else {
                mk.outcomes[o].name.clone()
            };
            Comparison {
                outcome: mk.outcomes[o].name.clone(),
                better: if sign < 0.0 { "lower" } else { "higher" },
                incremental_cost: dc,
                incremental_outcome: de,
                gain,
                incremental_outcome_undiscounted: deu,
                cost_per_additional_unit: ratio,
                dominance: dom,
                statement: statement(&name, &model.currency, dc, gain),
            }
        })
        .collect();
    Some(MarkovReport {
        conventions: mk.conventions(),
        states: mk.states.clone(),
        arms,
        comparisons,
        trace: trace(mk, &f.markov, f.participants.len()),
        uncertainty: Vec::new(),
    })
}

/// The unit trace of draw 0, `[arm][point][state]`.
pub fn trace(mk: &super::Compiled, mf: &MarkovFlows, n: usize) -> Vec<Vec<Vec<f64>>> {
    let s = mk.n_states();
    let pts = mk.cycles + 1;
    (0..2)
        .map(|a| {
            (0..pts)
                .map(|p| {
                    (0..s)
                        .map(|st| mf.trace[((a * pts + p) * s + st) * n])
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The comparison of each outcome over the draws. `base_ratio` is the deterministic cost per
/// additional unit of each outcome, for the default range of values.
pub fn uncertainty(
    model: &Model,
    draws: &Draws,
    interval: (f64, f64),
    report: &MarkovReport,
) -> Vec<ComparisonUncertainty> {
    let Some(mk) = &model.markov else {
        return Vec::new();
    };
    let no = mk.outcomes.len();
    let n = draws.total.npv.len();
    let outcomes = draws.reduced(OUTCOMES);
    if no == 0 || n == 0 || outcomes.len() != n * 2 * no {
        return Vec::new();
    }
    // Incremental cost of the public total: −NPV.
    let dc: Vec<f64> = draws.total.npv.iter().map(|v| -v).collect();
    (0..no)
        .map(|o| {
            let de: Vec<f64> = (0..n)
                .map(|d| {
                    let m = &outcomes[d * 2 * no..][..2 * no];
                    mk.outcomes[o].sign * (m[no + o] - m[o])
                })
                .collect();
            let (max, steps) = match mk.acceptability {
                Some((m, s)) => (m, s.max(1)),
                None => {
                    let r = report.comparisons[o].cost_per_additional_unit;
                    let m = r.map(f64::abs).filter(|v| v.is_finite() && *v > 0.0);
                    (m.map_or(1_000_000.0, |v| 2.0 * v), 50)
                }
            };
            let acceptability: Vec<AcceptabilityPoint> = (0..=steps)
                .map(|i| {
                    let value = max * i as f64 / steps as f64;
                    let mut pos = 0usize;
                    let (mut sum, mut sum_max) = (0.0, 0.0);
                    for d in 0..n {
                        let nb = value * de[d] - dc[d];
                        if nb > 0.0 {
                            pos += 1;
                        }
                        sum += nb;
                        sum_max += nb.max(0.0);
                    }
                    AcceptabilityPoint {
                        value,
                        probability: pos as f64 / n as f64,
                        evpi: sum_max / n as f64 - (sum / n as f64).max(0.0),
                    }
                })
                .collect();
            let lambdas: Vec<f64> = acceptability.iter().map(|p| p.value).collect();
            let evpis: Vec<f64> = acceptability.iter().map(|p| p.evpi).collect();
            let mut evppi: Vec<EvppiCurve> = {
                use rayon::prelude::*;
                draws
                    .inputs
                    .par_iter()
                    .filter_map(|(slot, x)| {
                        let c =
                            crate::voi::evppi_curve(&[x.as_slice()], &de, &dc, &lambdas).ok()?;
                        Some(EvppiCurve {
                            input: model.params.get(*slot)?.name.clone(),
                            values: c.iter().zip(&evpis).map(|(e, &m)| e.value.min(m)).collect(),
                        })
                    })
                    .collect()
            };
            let mid = lambdas.len() / 2;
            evppi.sort_by(|a, b| {
                b.values[mid]
                    .total_cmp(&a.values[mid])
                    .then_with(|| a.input.cmp(&b.input))
            });
            ComparisonUncertainty {
                outcome: mk.outcomes[o].name.clone(),
                incremental_cost: stat(&dc, interval),
                gain: stat(&de, interval),
                p_dominates: (0..n).filter(|&d| dc[d] <= 0.0 && de[d] > 0.0).count() as f64
                    / n as f64,
                acceptability,
                evppi,
            }
        })
        .collect()
}
