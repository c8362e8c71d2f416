//! Monte Carlo over every uncertain input: draws of θ from per-draw random streams, evaluated a
//! chunk at a time as arrays, reduced to per-draw metrics and then to summaries.
//!
//! Reproducible whatever the thread count: draw `d`'s numbers come from ChaCha12 seeded with the
//! run's seed on stream `d`, so no generator is shared between threads; chunks have a fixed size
//! and their results are combined in draw order.

use crate::correlation::from_normal_score;
use crate::dist::Dist;
use crate::metrics::{BatchScratch, batch_with};
pub use crate::metrics::{Draws, GroupDraws};
use crate::model::{Flows, Model};
use ndarray::Array2;
use rand::distr::{Distribution, StandardUniform};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

/// Draws evaluated together; fixed, so results do not depend on the number of threads.
pub const CHUNK: usize = 256;

/// Options of a probabilistic run.
#[derive(Debug, Clone, Serialize)]
pub struct McOptions {
    pub draws: usize,
    pub seed: u64,
    /// Lower and upper quantiles of the reported interval (default 5 % and 95 %).
    pub interval: (f64, f64),
    /// Horizon of the payback probability, in years from year 0 (default 4: the budget year
    /// and three overslagsår).
    pub payback_within: u32,
    /// Counts the draws done as their chunks finish (for a progress display) and can stop the
    /// run early (what has not started is skipped: the draws are then incomplete). No number
    /// depends on it.
    #[serde(skip)]
    pub progress: Option<std::sync::Arc<crate::progress::Progress>>,
}

impl Default for McOptions {
    fn default() -> Self {
        McOptions {
            draws: 10_000,
            seed: 1,
            interval: (0.05, 0.95),
            payback_within: 4,
            progress: None,
        }
    }
}

/// The copula's normals of draw `d` come from stream `COPULA_STREAM + d` (the draws' own
/// streams are `0..draws`), so that correlating inputs leaves every other input's draws as they
/// were.
pub const COPULA_STREAM: u64 = 1 << 63;

/// The replicate of joint set `g` (an estimates file) for draw `d` comes from stream
/// `JOINT_STREAM + g × 2⁴⁰ + d`.
pub const JOINT_STREAM: u64 = 1 << 62;

/// θ for draws `start..start + n`: uncertain slots drawn from their distributions on the draw's
/// own stream, fixed slots at their values. Correlated inputs (a copula) are then replaced by
/// the quantiles of correlated normal scores drawn on the draw's copula stream; their
/// independent draws are still made, and discarded, so that the other inputs keep theirs.
pub fn sample_theta(model: &Model, seed: u64, start: usize, n: usize) -> Array2<f64> {
    let p = model.params.len();
    let mut theta = Array2::<f64>::zeros((n, p));
    let k = model.correlation.as_ref().map_or(0, |c| c.slots.len());
    let mut z = vec![0.0; k];
    let mut y = vec![0.0; k];
    // Inputs drawn jointly from replicates take their value below; their own distribution (the
    // replicates as a discrete distribution, for the tornado) need not be sampled, only its one
    // uniform number consumed, so that every other input keeps its draw.
    let mut replaced = vec![false; p];
    for joint in model.joint.iter().filter(|j| j.replicates > 0) {
        for &slot in &joint.slots {
            replaced[slot] = matches!(model.params[slot].dist, Some(Dist::Discrete { .. }));
        }
    }
    for d in 0..n {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        rng.set_stream((start + d) as u64);
        for (j, slot) in model.params.iter().enumerate() {
            theta[[d, j]] = match &slot.dist {
                Some(_) if replaced[j] => {
                    let _: f64 = StandardUniform.sample(&mut rng);
                    slot.value
                }
                Some(dist) => dist.sample(&mut rng),
                None => slot.value,
            };
        }
        if let Some(cop) = &model.correlation {
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            rng.set_stream(COPULA_STREAM + (start + d) as u64);
            for v in z.iter_mut() {
                *v = StandardNormal.sample(&mut rng);
            }
            cop.correlate(&z, &mut y);
            for (&j, &score) in cop.slots.iter().zip(&y) {
                if let Some(dist) = &model.params[j].dist {
                    theta[[d, j]] = from_normal_score(dist, score);
                }
            }
        }
        for (g, joint) in model.joint.iter().enumerate() {
            if joint.replicates == 0 {
                continue;
            }
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            rng.set_stream(JOINT_STREAM + ((g as u64) << 40) + (start + d) as u64);
            let r = rng.random_range(0..joint.replicates);
            let k = joint.slots.len();
            for (j, &slot) in joint.slots.iter().enumerate() {
                theta[[d, slot]] = joint.values[r * k + j];
            }
        }
    }
    theta
}

/// Evaluate every draw and keep its metrics and the drawn values of the uncertain inputs.
/// Chunks are evaluated in parallel, each as arrays (θ → flows → metrics), and joined in draw
/// order. With `opts.progress` stopped, the chunks not started are skipped and the draws are
/// incomplete: the caller must check (`Progress::check`) and throw them away, as
/// `summary::run_full` does.
pub fn simulate(model: &Model, opts: &McOptions) -> Draws {
    let chunks: Vec<(usize, usize)> = (0..opts.draws)
        .step_by(CHUNK)
        .map(|s| (s, CHUNK.min(opts.draws - s)))
        .collect();
    let uncertain: Vec<usize> = (0..model.params.len())
        .filter(|&j| model.params[j].dist.is_some())
        .collect();
    let parts: Vec<Draws> = chunks
        .par_iter()
        .map_init(
            || (Flows::default(), BatchScratch::default()),
            |(flows, scratch), &(start, n)| {
                if opts.progress.as_ref().is_some_and(|p| p.stopped()) {
                    return Draws::default();
                }
                let theta = sample_theta(model, opts.seed, start, n);
                model.evaluate_into(theta.view(), flows);
                let mut part = batch_with(model, flows, theta.view(), scratch);
                part.inputs = uncertain
                    .iter()
                    .map(|&j| (j, theta.column(j).to_vec()))
                    .collect();
                if let Some(p) = &opts.progress {
                    p.add(n);
                }
                part
            },
        )
        .collect();
    let mut out = Draws::default();
    for p in parts {
        out.extend(p);
    }
    out
}

/// Summary statistics of one metric over the draws (NaN draws left out, and counted).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stat {
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub median: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Draws where the metric is defined.
    pub defined: usize,
}

/// Quantile by linear interpolation between order statistics (type 7, as R and NumPy default).
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

pub fn stat(values: &[f64], interval: (f64, f64)) -> Stat {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = v.len();
    if n == 0 {
        return Stat {
            mean: None,
            sd: None,
            median: None,
            low: None,
            high: None,
            defined: 0,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (n > 1)
        .then(|| (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt());
    let q = select_quantiles(&mut v, &[0.5, interval.0, interval.1]);
    Stat {
        mean: Some(mean),
        sd,
        median: q[0],
        low: q[1],
        high: q[2],
        defined: n,
    }
}

/// [`quantile`] of unsorted values, by selecting the two order statistics it needs (linear
/// time; the same number as sorting first). Reorders `v`.
/// Quantiles of `v` at each of `ps` (type 7, as [`quantile`] of the sorted values, to the last
/// bit): the order statistics they need are selected in turn, each within the range the ones
/// found before leave it (quickselect on ever smaller parts), so that three quantiles cost
/// about two passes instead of a sort. `v` is reordered.
pub fn select_quantiles(v: &mut [f64], ps: &[f64]) -> Vec<Option<f64>> {
    if v.is_empty() {
        return vec![None; ps.len()];
    }
    let last = v.len() - 1;
    let at = |p: f64| {
        let h = last as f64 * p;
        (h, h.floor() as usize)
    };
    // The ranks needed: lo and, where h has a fraction, lo + 1.
    let mut ranks: Vec<usize> = Vec::with_capacity(2 * ps.len());
    for &p in ps {
        let (h, lo) = at(p);
        ranks.push(lo);
        if h > lo as f64 {
            ranks.push((lo + 1).min(last));
        }
    }
    ranks.sort_unstable();
    ranks.dedup();
    let mut found = vec![0.0; ranks.len()];
    select_ranks(v, 0, &ranks, &mut found);
    let value = |r: usize| found[ranks.binary_search(&r).expect("a selected rank")];
    ps.iter()
        .map(|&p| {
            let (h, lo) = at(p);
            let a = value(lo);
            let b = if h > lo as f64 {
                value((lo + 1).min(last))
            } else {
                a
            };
            Some(a + (h - lo as f64) * (b - a))
        })
        .collect()
}

/// Put the order statistics of ranks `ranks` (sorted, relative to the whole of which `v` starts
/// at `offset`) into `found`, splitting `v` at the middle one and recursing into each side.
fn select_ranks(v: &mut [f64], offset: usize, ranks: &[usize], found: &mut [f64]) {
    if ranks.is_empty() {
        return;
    }
    let m = ranks.len() / 2;
    let k = ranks[m] - offset;
    let (left, &mut x, right) = v.select_nth_unstable_by(k, f64::total_cmp);
    found[m] = x;
    let (fl, fr) = found.split_at_mut(m);
    select_ranks(left, offset, &ranks[..m], fl);
    select_ranks(right, offset + k + 1, &ranks[m + 1..], &mut fr[1..]);
}

pub fn select_quantile(v: &mut [f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let b = if h > lo as f64 {
        rest.iter().copied().min_by(f64::total_cmp).unwrap_or(a)
    } else {
        a
    };
    Some(a + (h - lo as f64) * (b - a))
}

/// Uncertainty of one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupUncertainty {
    pub id: String,
    pub npv: Stat,
    pub cost_pv: Stat,
    pub benefit_pv: Stat,
    pub bcr: Stat,
    /// Payback year over the draws that pay back.
    pub payback_year: Stat,
    /// Share of draws with NPV > 0.
    pub p_npv_positive: f64,
    /// Share of draws that pay back within `payback_within` years.
    pub p_payback_within: f64,
}

fn group(g: &GroupDraws, opts: &McOptions) -> GroupUncertainty {
    let n = g.npv.len().max(1) as f64;
    GroupUncertainty {
        id: g.id.clone(),
        npv: stat(&g.npv, opts.interval),
        cost_pv: stat(&g.cost_pv, opts.interval),
        benefit_pv: stat(&g.benefit_pv, opts.interval),
        bcr: stat(&g.bcr, opts.interval),
        payback_year: stat(&g.payback_year, opts.interval),
        p_npv_positive: g.npv.iter().filter(|&&x| x > 0.0).count() as f64 / n,
        p_payback_within: g
            .payback_year
            .iter()
            .filter(|&&y| !y.is_nan() && y < opts.payback_within as f64)
            .count() as f64
            / n,
    }
}

/// Summary statistics of one metric in one projection year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct YearStat {
    pub year: u32,
    pub calendar_year: i32,
    #[serde(flatten)]
    pub stat: Stat,
}

/// The uncertainty block of a summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Uncertainty {
    pub draws: usize,
    pub seed: u64,
    pub interval: (f64, f64),
    pub payback_within_years: u32,
    /// Inputs drawn from a distribution, by field path.
    pub uncertain_inputs: Vec<String>,
    /// Correlations between inputs (Gaussian copula), as the scenario gives them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<crate::scenario::Correlation>,
    pub total: GroupUncertainty,
    /// The total's cumulative net present value at the end of each projection year over the
    /// draws (the band around the payback curve); the last year's is the NPV's.
    pub total_cumulative_net_pv: Vec<YearStat>,
    /// Expected value of perfect information for invest / not invest:
    /// E[max(NPV, 0)] − max(E[NPV], 0).
    pub evpi: f64,
    pub net_outcomes: Stat,
    pub net_per_participant: Stat,
    pub by_actor: Vec<GroupUncertainty>,
    pub by_department: Vec<GroupUncertainty>,
    /// The budget view over the draws, when the scenario has a `[budget]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::budget::BudgetUncertainty>,
}

/// Statistics per projection year of a `[draw × horizon]` table.
fn by_year(model: &Model, table: &[f64], interval: (f64, f64)) -> Vec<YearStat> {
    let h = model.horizon();
    if h == 0 {
        return Vec::new();
    }
    let mut column = Vec::with_capacity(table.len() / h);
    (0..h)
        .map(|t| {
            column.clear();
            column.extend(table.iter().skip(t).step_by(h));
            YearStat {
                year: t as u32,
                calendar_year: model.years[t],
                stat: stat(&column, interval),
            }
        })
        .collect()
}

/// Summarise the draws.
pub fn summarise(model: &Model, draws: &Draws, opts: &McOptions) -> Uncertainty {
    let n = draws.total.npv.len().max(1) as f64;
    let mean_npv = draws.total.npv.iter().sum::<f64>() / n;
    let mean_max = draws.total.npv.iter().map(|x| x.max(0.0)).sum::<f64>() / n;
    let per_participant: Vec<f64> = draws
        .total
        .npv
        .iter()
        .zip(&draws.participants)
        .map(|(v, p)| if *p > 0.0 { v / p } else { f64::NAN })
        .collect();
    Uncertainty {
        draws: draws.total.npv.len(),
        seed: opts.seed,
        interval: opts.interval,
        payback_within_years: opts.payback_within,
        uncertain_inputs: model
            .params
            .iter()
            .filter(|p| p.dist.is_some())
            .map(|p| p.name.clone())
            .collect(),
        correlations: Vec::new(),
        total: group(&draws.total, opts),
        total_cumulative_net_pv: by_year(model, &draws.total_cumulative_net_pv, opts.interval),
        evpi: mean_max - mean_npv.max(0.0),
        net_outcomes: stat(&draws.net_outcomes, opts.interval),
        net_per_participant: stat(&per_participant, opts.interval),
        by_actor: draws.by_actor.iter().map(|g| group(g, opts)).collect(),
        by_department: draws.by_department.iter().map(|g| group(g, opts)).collect(),
        budget: model
            .budget
            .as_ref()
            .map(|plan| crate::budget::uncertainty(plan, model, &draws.budget, opts.interval)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(4.0));
        assert!((quantile(&v, 0.05).unwrap() - 1.15).abs() < 1e-12);
        let mut u = [4.0, 1.0, 3.0, 2.0];
        for p in [0.0, 0.05, 0.5, 0.95, 1.0] {
            assert_eq!(select_quantile(&mut u, p), quantile(&v, p));
        }
        // Several at once, bit for bit what the sorted values give, with ties and small sizes.
        let mut x: u64 = 12345;
        for n in [1usize, 2, 3, 5, 10, 101, 1000] {
            let mut w: Vec<f64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 50) as f64 / 7.0
                })
                .collect();
            let mut sorted = w.clone();
            sorted.sort_by(f64::total_cmp);
            let ps = [0.5, 0.05, 0.95, 0.0, 1.0, 0.25];
            let got = select_quantiles(&mut w, &ps);
            for (p, g) in ps.iter().zip(got) {
                let want = quantile(&sorted, *p).unwrap();
                assert_eq!(g.unwrap().to_bits(), want.to_bits(), "n {n}, p {p}");
            }
        }
        let s = stat(&[1.0, f64::NAN, 3.0], (0.05, 0.95));
        assert_eq!((s.mean, s.defined), (Some(2.0), 2));
        assert!((s.sd.unwrap() - 2f64.sqrt()).abs() < 1e-12);
    }
}
