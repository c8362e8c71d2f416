//! Monte Carlo over every uncertain input: draws of θ from per-draw random streams, evaluated a
//! chunk at a time as arrays, reduced to per-draw metrics and then to summaries.
//!
//! Reproducible whatever the thread count: draw `d`'s numbers come from ChaCha12 seeded with the
//! run's seed on stream `d`, so no generator is shared between threads; chunks have a fixed size
//! and their results are combined in draw order.

use crate::correlation::from_normal_score;
use crate::dist::Dist;
use crate::evaluate::Flows;
use crate::metrics::{BatchScratch, batch_with};
pub use crate::metrics::{Draws, GroupDraws};
use crate::model::Model;
pub use crate::stats::{Stat, quantile, stat};
use ndarray::Array2;
use rand::distr::{Distribution, StandardUniform};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

/// Draws evaluated together; fixed, so results do not depend on the number of threads.
pub const CHUNK: usize = 256;

/// Chunks evaluated in parallel before they are joined (256 chunks: 65,536 draws).
const JOIN_GROUP: usize = 256;

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

/// A reduction of a chunk's flows to numbers per draw that a feature keeps beyond the metrics
/// (the budget view's rows, the state-transition outcomes). The Monte Carlo loop is handed its
/// reducers ([`simulate`]) and knows none of the features: each reducer's numbers are joined in
/// draw order into [`Draws::reduced`] under its name.
pub trait Reducer: Sync {
    /// The name its numbers are kept under.
    fn name(&self) -> &'static str;
    /// The numbers of every draw of the chunk, draw-major (`[draw][…]`, the same count per draw).
    fn reduce(&self, model: &Model, flows: &Flows) -> Vec<f64>;
    /// How many numbers it keeps per draw of `model`.
    fn width(&self, model: &Model) -> usize;
}

/// The most draws a run may ask for.
pub const MAX_DRAWS: usize = 10_000_000;

/// The memory a run with draws may take: 4 GiB.
pub const MAX_DRAWS_BYTES: u64 = 4 << 30;

/// What a run takes beside its draws (the program, the model, the outputs of a run at base
/// values, charts): 256 MiB, measured with room to spare.
pub const RUN_BYTES: u64 = 256 << 20;

/// Bytes the draws of `model` keep per draw: five metrics of every group (the total, each
/// actor and department), the total's cumulative net present value per year, participants and
/// net outcomes, the drawn value of every uncertain input, and what the reducers keep; and, while
/// the summary is taken, the copies of a metric its statistics sort (four, whatever the
/// machine's threads, so that what is allowed does not depend on the machine).
pub fn bytes_per_draw(model: &Model, reducers: &[&dyn Reducer]) -> u64 {
    let groups = 1 + model.actors.len() + model.departments.len();
    let uncertain = model.params.iter().filter(|p| p.dist.is_some()).count();
    let kept: usize = reducers.iter().map(|r| r.width(model)).sum();
    let numbers = 5 * groups + model.horizon() + 2 + uncertain + kept + 4;
    8 * numbers as u64
}

/// Check that `draws` draws of `model` are within [`MAX_DRAWS`] and that the run takes at most
/// [`MAX_DRAWS_BYTES`] with them: the error names the option and the memory the run would need.
pub fn check_draws(model: &Model, draws: usize, reducers: &[&dyn Reducer]) -> crate::Result<()> {
    let per = bytes_per_draw(model, reducers);
    let fit = ((MAX_DRAWS_BYTES - RUN_BYTES) / per.max(1)).min(MAX_DRAWS as u64);
    if draws as u64 <= fit {
        return Ok(());
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    Err(crate::Error::Invalid(vec![crate::Diagnostic::option(
        "--draws",
        format!(
            "{draws} draws would take about {:.1} GiB of memory ({per} bytes a draw for this \
             scenario, and {} MiB for the rest of the run); at most {fit} draws fit in the \
             {:.0} GiB som allows a run",
            gib(per.saturating_mul(draws as u64) + RUN_BYTES),
            RUN_BYTES >> 20,
            gib(MAX_DRAWS_BYTES)
        ),
    )]))
}

/// Evaluate every draw and keep its metrics, the drawn values of the uncertain inputs and what
/// each of `reducers` keeps of the flows. Chunks are evaluated in parallel, each as arrays
/// (θ → flows → metrics), and joined in draw order. With `opts.progress` stopped, the chunks
/// not started are skipped and the draws are incomplete: the caller must check
/// (`Progress::check`) and throw them away, as `summary::run_full` does.
pub fn simulate(model: &Model, opts: &McOptions, reducers: &[&dyn Reducer]) -> Draws {
    let chunks: Vec<(usize, usize)> = (0..opts.draws)
        .step_by(CHUNK)
        .map(|s| (s, CHUNK.min(opts.draws - s)))
        .collect();
    let uncertain: Vec<usize> = (0..model.params.len())
        .filter(|&j| model.params[j].dist.is_some())
        .collect();
    // Chunks are evaluated in parallel a group at a time and joined in draw order into lists
    // reserved once for every draw: the draws are held once, plus one group of chunks.
    let mut out = Draws::default();
    for group in chunks.chunks(JOIN_GROUP) {
        let parts: Vec<Draws> = group
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
                    part.reduced = reducers
                        .iter()
                        .map(|r| (r.name(), r.reduce(model, flows)))
                        .collect();
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
        for p in parts {
            let first = out.is_empty();
            out.extend(p);
            if first {
                out.reserve(opts.draws.saturating_sub(out.len()));
            }
        }
    }
    out
}
