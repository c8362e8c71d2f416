//! State-transition (Markov) cohorts: the compiled form of a scenario's `[states]` section and
//! its evaluation over a chunk of draws.
//!
//! A cohort's chain depends only on cycles since entry, so one *unit trace* per arm (a cohort
//! of one) serves every cohort: each cohort's flows are the unit trace's values scaled by its
//! size and shifted to its start year. The trace is advanced for all draws of a chunk at once,
//! `m_{k+1}[j, d] = Σ_i m_k[i, d] · P_k[i, j, d]`, with draws innermost and only the structural
//! non-zeros of each matrix visited; nothing is allocated per draw.
//!
//! Values are booked into the ledger's cells by calendar year: element e of the weighted trace
//! (a cycle, or a trace point under a point-based within-cycle correction) falls in year
//! `start + cycle(e) / cycles_per_year`. The core discounts by year with the scenario's
//! schedule and timing, exactly as for the success-rate form. Where cycles are discounted at
//! their own points in time ([`CycleDiscount`]) and those differ from the year's, the flows are
//! also booked *restated*: each element's value times the ratio of its own factor to its year's,
//! so that the year's factor gives the element's exact present value (`Flows::values_pv`).

pub mod results;
pub mod sim;

use crate::model::cell::Arm;
pub use crate::scenario::states::{
    AppliesTo, Correction, CycleDiscounting, CycleLength, Form, TransitionTiming,
};
use serde::Serialize;

/// Tolerance of a row sum (and of the initial distribution's sum) against 1.
pub const ROW_TOLERANCE: f64 = 1e-6;

/// The arms of the state-transition form, in their index order.
pub const ARMS: [Arm; 2] = [Arm::Baseline, Arm::Intervention];

/// Index of an arm in [`ARMS`].
pub fn arm_index(arm: Arm) -> usize {
    match arm {
        Arm::Baseline => 0,
        Arm::Intervention => 1,
    }
}

/// One element of the weighted trace: `Σ weight · m[index]`, counted in `cycle` (for the
/// windows of values) and booked in year `year` since entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Element {
    pub terms: [(usize, f64); 2],
    pub cycle: usize,
    pub year: usize,
}

/// A transition matrix as compiled: its given entries as θ slots.
#[derive(Debug, Clone)]
pub struct MatrixC {
    pub form: Form,
    pub conditional_on: Option<usize>,
    /// (from, to, θ slot); the diagonal appears only in the counts form.
    pub entries: Vec<(usize, usize, usize)>,
}

/// How an effect modifies a probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectKind {
    /// p' = rr · p
    RelativeRisk,
    /// p' = 1 − (1 − p)^hr
    HazardRatio,
}

#[derive(Debug, Clone)]
pub struct EffectC {
    pub arm: usize,
    pub kind: EffectKind,
    pub slot: usize,
    /// (from, to) pairs, off the diagonal.
    pub targets: Vec<(usize, usize)>,
    /// Cycles since entry the effect holds in, `from ≤ k < to`.
    pub from: usize,
    pub to: usize,
}

/// The matrix of one cycle of one arm: a matrix with a set of effects active.
#[derive(Debug, Clone, PartialEq)]
pub struct Regime {
    pub matrix: usize,
    pub effects: Vec<usize>,
    /// Structural non-zeros (from, to), the diagonal included, row by row.
    pub nonzeros: Vec<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub struct ArmC {
    /// Initial distribution: (state, θ slot).
    pub initial: Vec<(usize, usize)>,
    /// Regime of each cycle 0..K.
    pub regime_of_cycle: Vec<usize>,
}

/// A cost per year in a state, into one ledger cell.
#[derive(Debug, Clone)]
pub struct CostC {
    pub arm: usize,
    pub state: usize,
    pub cell: usize,
    /// Price per unit × cycle length in years.
    pub constant: f64,
    pub slot: usize,
    pub from: usize,
    pub to: usize,
}

/// A one-off cost per transition, into one ledger cell.
#[derive(Debug, Clone)]
pub struct TransitionCostC {
    pub arm: usize,
    pub from: usize,
    pub to: usize,
    pub cell: usize,
    pub constant: f64,
    pub slot: usize,
}

/// An outcome per year in a state.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeC {
    pub name: String,
    /// θ slot of the value per year in each state, per arm: `[arm][state]`.
    #[serde(skip)]
    pub values: [Vec<Option<usize>>; 2],
    /// Discount factor of each projection year.
    pub discount: Vec<f64>,
    /// Its own constant rate, when it has one (`discount_rate`); None: the scenario's.
    #[serde(skip)]
    pub rate: Option<f64>,
    /// How it is discounted, in words.
    pub discounting: String,
    /// +1 when more is better, −1 when less is (the gain is then units avoided).
    pub sign: f64,
}

/// The compiled `[states]` section.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub states: Vec<String>,
    pub cycle: CycleLength,
    /// Cycle length in years.
    pub dt: f64,
    /// Cycles of the unit trace (K); the trace has K + 1 points.
    pub cycles: usize,
    pub transitions: TransitionTiming,
    pub count_initial: bool,
    pub correction: Correction,
    pub applies_to: AppliesTo,
    pub matrices: Vec<MatrixC>,
    pub effects: Vec<EffectC>,
    /// Regimes of both arms.
    pub regimes: Vec<Regime>,
    pub arms: [ArmC; 2],
    pub costs: Vec<CostC>,
    pub transition_costs: Vec<TransitionCostC>,
    pub outcomes: Vec<OutcomeC>,
    /// Cohorts: (projection year of entry, θ slot of its size).
    pub cohorts: Vec<(usize, usize)>,
    /// Elements of the weighted trace for costs and for outcomes.
    pub cost_elements: Vec<Element>,
    pub outcome_elements: Vec<Element>,
    /// Values per outcome unit of the acceptability curve: (max, steps); None for the default.
    pub acceptability: Option<(f64, u32)>,
    /// Where in a cycle its flows are discounted.
    pub discount: CycleDiscount,
}

/// Where in a cycle its flows are discounted (`[states.timing] discount`), and what that needs.
///
/// A flow of cycle position p (cycle mod cycles per year) booked in projection year t is
/// discounted at t + `offsets[p]` years; the exact factor is D(t)·(1 + r)^−offsets[p], r the rate
/// within year t (r(t + 1) of the schedule, or the constant rate). The year's own factor is
/// D(t)·(1 + r)^−`year_offset`, so the ratio of the two is (1 + r)^−(offsets[p] − year_offset).
#[derive(Debug, Clone)]
pub struct CycleDiscount {
    pub at: CycleDiscounting,
    /// The scenario's timing of a year's flows.
    pub timing: crate::scenario::Timing,
    /// Years from the start of a calendar year to the discount point of each cycle position.
    pub offsets: Vec<f64>,
    /// Years from the start of a calendar year to the point of the year's own factor (the
    /// scenario's timing: 0, ½ or 1).
    pub year_offset: f64,
    /// The rate within each projection year t, r(t + 1), at base values.
    pub rates: Vec<f64>,
    /// θ slot of a constant rate that is an input, and its base value.
    pub rate_slot: Option<(usize, f64)>,
    /// Whether some cycle's discount point differs from its year's: flows are then restated.
    pub restates: bool,
}

impl CycleDiscount {
    /// Where cycles of `per_year` per year are discounted (`at`; default: the scenario's
    /// `timing`, applied to each cycle), against the year's offset.
    pub fn new(
        at: Option<CycleDiscounting>,
        per_year: usize,
        timing: crate::scenario::Timing,
        rates: Vec<f64>,
        rate_slot: Option<(usize, f64)>,
    ) -> CycleDiscount {
        use crate::scenario::Timing;
        let per_year = per_year.max(1);
        let (year_offset, at) = match timing {
            Timing::Start => (0.0, at.unwrap_or(CycleDiscounting::Start)),
            Timing::Mid => (0.5, at.unwrap_or(CycleDiscounting::Mid)),
            Timing::End => (1.0, at.unwrap_or(CycleDiscounting::End)),
        };
        let within = match at {
            CycleDiscounting::Start => Some(0.0),
            CycleDiscounting::Mid => Some(0.5),
            CycleDiscounting::End => Some(1.0),
            CycleDiscounting::Year => None,
        };
        let offsets: Vec<f64> = (0..per_year)
            .map(|p| within.map_or(year_offset, |w| (p as f64 + w) / per_year as f64))
            .collect();
        let restates = offsets.iter().any(|&o| o != year_offset);
        CycleDiscount {
            at,
            timing,
            offsets,
            year_offset,
            rates,
            rate_slot,
            restates,
        }
    }

    /// The ratio of a discount point's factor to its year's at rate `r`: (1 + r)^−(o − year).
    pub fn ratio(&self, p: usize, r: f64) -> f64 {
        (1.0 + r).powf(-(self.offsets[p] - self.year_offset))
    }
}

/// The conventions of a state-transition run, written into the summary and the manifest.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MarkovConventions {
    pub cycle: &'static str,
    pub cycle_years: f64,
    pub cycles: usize,
    pub transitions: &'static str,
    pub count_initial: bool,
    pub correction: &'static str,
    pub correction_applies_to: &'static str,
    /// Weight of each trace point m_0 … m_K for costs and for outcomes (a half-cycle element
    /// counts ½ of each of its two points).
    pub cost_weights: Vec<f64>,
    pub outcome_weights: Vec<f64>,
    /// Where in a cycle its flows are discounted: `start`, `mid`, `end` or `year`.
    pub discount: &'static str,
    /// Years from the start of a calendar year to the discount point of the cycles at each
    /// position within the year (cycle mod cycles per year).
    pub discount_offsets: Vec<f64>,
    pub row_tolerance: f64,
    pub rules: Vec<&'static str>,
}

/// The rules of the state-transition form that change numbers, stated in every summary.
pub const RULES: &[&str] = &[
    "rates: p = 1 − exp(−r·Δt) per transition, Δt the cycle length in years",
    "counts: p = n / Σ n over the row; in probabilistic runs each row is a Dirichlet draw \
     (independent gamma(n, 1) draws normalised by their sum)",
    "relative risk: p' = rr·p; hazard ratio: p' = 1 − (1 − p)^hr; the diagonal is the complement \
     1 − Σ of the row's other entries",
    "conditional_on D: p_ij = (1 − p_iD)·q_ij for j ≠ D, the row's own q given conditional on \
     not moving to D",
    "a row whose entries off the diagonal sum to more than 1 (possible only in a draw) is scaled \
     to sum to 1 and its diagonal set to 0",
    "the initial distribution is normalised to sum to 1 in every draw",
    "values are per year in a state and count Δt per cycle; an element of the trace is booked \
     in the calendar year of its cycle (entry year + cycle / cycles per year); elements after \
     the last projection year are not booked",
    "discounting is at each cycle's start, middle or end (`discount`, default the scenario's \
     timing): cycle k of a cohort entering in year s is discounted s + (k + 0, ½ or 1)·Δt years \
     with the scenario's schedule, the rate of the year the point falls in; a trace point j of a \
     point-based correction counts as cycle j; a transition's one-off cost is discounted with \
     its cycle; `discount = \"year\"` gives every cycle of a calendar year that year's factor",
    "the ledger's value is what falls in the calendar year, undiscounted; its present_value is \
     exact at the cycles' discount points, and its discount_factor is present_value / \
     incremental (the year's factor unless cycles shorter than a year are discounted at their \
     own points)",
];

impl Compiled {
    pub fn n_states(&self) -> usize {
        self.states.len()
    }

    /// Weights of the trace points under a list of elements.
    pub fn weights(&self, elements: &[Element]) -> Vec<f64> {
        let mut w = vec![0.0; self.cycles + 1];
        for e in elements {
            for &(i, x) in &e.terms {
                if x != 0.0 {
                    w[i] += x;
                }
            }
        }
        w
    }

    pub fn conventions(&self) -> MarkovConventions {
        MarkovConventions {
            cycle: self.cycle.as_str(),
            cycle_years: self.dt,
            cycles: self.cycles,
            transitions: match self.transitions {
                TransitionTiming::End => "end",
                TransitionTiming::Start => "start",
            },
            count_initial: self.count_initial,
            correction: self.correction.as_str(),
            correction_applies_to: match self.applies_to {
                AppliesTo::All => "all",
                AppliesTo::Outcomes => "outcomes",
                AppliesTo::Costs => "costs",
            },
            cost_weights: self.weights(&self.cost_elements),
            outcome_weights: self.weights(&self.outcome_elements),
            discount: self.discount.at.as_str(),
            discount_offsets: self.discount.offsets.clone(),
            row_tolerance: ROW_TOLERANCE,
            rules: RULES.to_vec(),
        }
    }
}

/// Weights of the trace points m_0 … m_K of a point-based correction.
pub fn point_weights(correction: Correction, k: usize) -> Vec<f64> {
    let mut w = vec![1.0; k + 1];
    match correction {
        Correction::Trapezoid => {
            w[0] = 0.5;
            w[k] = 0.5;
        }
        Correction::Simpson => {
            w.fill(0.0);
            let simpson13 = |w: &mut [f64], a: usize, b: usize| {
                // Intervals a..b, an even number.
                for (j, x) in w.iter_mut().enumerate().take(b + 1).skip(a) {
                    *x += if j == a || j == b {
                        1.0 / 3.0
                    } else if (j - a) % 2 == 1 {
                        4.0 / 3.0
                    } else {
                        2.0 / 3.0
                    };
                }
            };
            match k {
                0 => w[0] = 0.0,
                1 => {
                    w[0] = 0.5;
                    w[1] = 0.5;
                }
                _ if k.is_multiple_of(2) => simpson13(&mut w, 0, k),
                _ => {
                    if k > 3 {
                        simpson13(&mut w, 0, k - 3);
                    }
                    for (j, x) in [(k - 3, 0.375), (k - 2, 1.125), (k - 1, 1.125), (k, 0.375)] {
                        w[j] += x;
                    }
                }
            }
        }
        Correction::SimpsonDarth => {
            for (j, x) in w.iter_mut().enumerate() {
                // darthtools numbers the points 1..K+1: even numbers get 2/3, odd 4/3.
                *x = if (j + 1) % 2 == 0 {
                    2.0 / 3.0
                } else {
                    4.0 / 3.0
                };
            }
            w[0] = 1.0 / 3.0;
            w[k] = 1.0 / 3.0;
        }
        _ => {}
    }
    w
}

/// The elements of the weighted trace under a correction and transition timing, for K cycles
/// of `per_year` cycles a year.
pub fn elements(
    correction: Correction,
    transitions: TransitionTiming,
    count_initial: bool,
    k: usize,
    per_year: usize,
) -> Vec<Element> {
    let per_year = per_year.max(1);
    match correction {
        Correction::None => {
            let mut out = Vec::with_capacity(k + 1);
            let shift = match transitions {
                TransitionTiming::End => 0,
                TransitionTiming::Start => 1,
            };
            if count_initial && shift == 1 {
                out.push(Element {
                    terms: [(0, 1.0), (0, 0.0)],
                    cycle: 0,
                    year: 0,
                });
            }
            for c in 0..k {
                out.push(Element {
                    terms: [(c + shift, 1.0), (c + shift, 0.0)],
                    cycle: c,
                    year: c / per_year,
                });
            }
            out
        }
        Correction::HalfCycle => (0..k)
            .map(|c| Element {
                terms: [(c, 0.5), (c + 1, 0.5)],
                cycle: c,
                year: c / per_year,
            })
            .collect(),
        _ => point_weights(correction, k)
            .into_iter()
            .enumerate()
            .map(|(j, w)| Element {
                terms: [(j, w), (j, 0.0)],
                cycle: j,
                year: j / per_year,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simpson_weights_integrate_polynomials_exactly() {
        // Simpson's rule is exact for cubics over [0, K]: ∫ t³ dt = K⁴/4.
        for k in [2usize, 3, 4, 5, 6, 7, 10, 11] {
            let w = point_weights(Correction::Simpson, k);
            let s: f64 = w
                .iter()
                .enumerate()
                .map(|(j, x)| x * (j as f64).powi(3))
                .sum();
            let exact = (k as f64).powi(4) / 4.0;
            assert!(
                (s - exact).abs() < 1e-9 * exact.max(1.0),
                "K = {k}: {s} vs {exact}"
            );
            let total: f64 = w.iter().sum();
            assert!((total - k as f64).abs() < 1e-12);
        }
    }

    #[test]
    fn darth_weights_are_the_published_vector() {
        // gen_wcc(4, "Simpson1/3") = 1/3, 2/3, 4/3, 2/3, 1/3.
        let w = point_weights(Correction::SimpsonDarth, 4);
        let e = [1.0 / 3.0, 2.0 / 3.0, 4.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0];
        assert_eq!(w, e);
    }

    #[test]
    fn element_weights_by_convention() {
        let w = |c, t, i| {
            let e = elements(c, t, i, 3, 1);
            let mut w = vec![0.0; 4];
            for x in &e {
                for &(j, v) in &x.terms {
                    w[j] += v;
                }
            }
            w
        };
        use Correction as C;
        use TransitionTiming as T;
        assert_eq!(w(C::None, T::End, false), [1.0, 1.0, 1.0, 0.0]);
        assert_eq!(w(C::None, T::Start, false), [0.0, 1.0, 1.0, 1.0]);
        assert_eq!(w(C::None, T::Start, true), [1.0, 1.0, 1.0, 1.0]);
        assert_eq!(w(C::HalfCycle, T::End, false), [0.5, 1.0, 1.0, 0.5]);
        assert_eq!(w(C::Trapezoid, T::End, false), [0.5, 1.0, 1.0, 0.5]);
    }
}
