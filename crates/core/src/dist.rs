//! Probability distributions of scenario inputs.
//!
//! A [`Dist`] holds its natural parameters. The constructors ([`Dist::normal`] and the others)
//! check them and are the one place where a distribution is validated; [`crate::param`] turns
//! the forms people write (a 95 % interval, a mean and a standard deviation) into these.
//!
//! Serialized, a distribution is a table tagged by `dist` with its natural parameters
//! (`{ "dist": "normal", "mean": 1, "sd": 0.5 }`), which is also a valid scenario input.

use crate::special;
use rand::Rng;
use rand::distr::{Distribution, StandardUniform};
use rand_distr::StandardNormal;
use serde::Serialize;

/// The standard normal quantile of 0.975: a 95 % interval is mean ± this many sd.
pub const Z95: f64 = 1.959963984540054;

/// A probability distribution of a scenario input, by its natural parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Dist {
    /// Normal with mean and standard deviation (`sd` > 0).
    Normal { mean: f64, sd: f64 },
    /// Lognormal: the logarithm is normal with mean `mu` and standard deviation `sigma` (> 0).
    LogNormal { mu: f64, sigma: f64 },
    /// Gamma with `shape` > 0 and `scale` > 0 (mean = shape · scale).
    Gamma { shape: f64, scale: f64 },
    /// Beta on [0, 1] with `alpha` > 0 and `beta` > 0.
    Beta { alpha: f64, beta: f64 },
    /// Uniform on [`min`, `max`], `min` < `max`.
    Uniform { min: f64, max: f64 },
    /// Triangular on [`min`, `max`] with its peak at `mode`.
    Triangular { min: f64, mode: f64, max: f64 },
    /// Classic PERT (λ = 4): a beta with α = 1 + 4(mode − min)/(max − min) and
    /// β = 1 + 4(max − mode)/(max − min), scaled to [`min`, `max`].
    Pert { min: f64, mode: f64, max: f64 },
    /// The values with their probabilities (`weights`, normalised to sum to 1).
    Discrete { values: Vec<f64>, weights: Vec<f64> },
}

pub(crate) fn finite(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("`{name}` must be a finite number, got {v}"))
    }
}

pub(crate) fn positive(name: &str, v: f64) -> Result<(), String> {
    finite(name, v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be above 0, got {v}"))
    }
}

pub(crate) fn below(lo_name: &str, lo: f64, hi_name: &str, hi: f64) -> Result<(), String> {
    finite(lo_name, lo)?;
    finite(hi_name, hi)?;
    if lo < hi {
        Ok(())
    } else {
        Err(format!(
            "`{lo_name}` ({lo}) must be below `{hi_name}` ({hi})"
        ))
    }
}

fn min_mode_max(min: f64, mode: f64, max: f64) -> Result<(), String> {
    below("min", min, "max", max)?;
    finite("mode", mode)?;
    if min <= mode && mode <= max {
        Ok(())
    } else {
        Err(format!(
            "`mode` must lie between `min` and `max` (got mode {mode}, min {min}, max {max})"
        ))
    }
}

impl Dist {
    /// Normal with `mean` and `sd` > 0.
    pub fn normal(mean: f64, sd: f64) -> Result<Dist, String> {
        finite("mean", mean)?;
        positive("sd", sd)?;
        Ok(Dist::Normal { mean, sd })
    }

    /// Lognormal with the mean `mu` and standard deviation `sigma` > 0 of the logarithm.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist, String> {
        finite("mu", mu)?;
        positive("sigma", sigma)?;
        Ok(Dist::LogNormal { mu, sigma })
    }

    /// Gamma with `shape` > 0 and `scale` > 0.
    pub fn gamma(shape: f64, scale: f64) -> Result<Dist, String> {
        positive("shape", shape)?;
        positive("scale", scale)?;
        Ok(Dist::Gamma { shape, scale })
    }

    /// Beta with `alpha` > 0 and `beta` > 0.
    pub fn beta(alpha: f64, beta: f64) -> Result<Dist, String> {
        positive("alpha", alpha)?;
        positive("beta", beta)?;
        Ok(Dist::Beta { alpha, beta })
    }

    /// Uniform on [`min`, `max`], `min` < `max`.
    pub fn uniform(min: f64, max: f64) -> Result<Dist, String> {
        below("min", min, "max", max)?;
        Ok(Dist::Uniform { min, max })
    }

    /// Triangular on [`min`, `max`], `min` < `max`, peak at `min` ≤ `mode` ≤ `max`.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, String> {
        min_mode_max(min, mode, max)?;
        Ok(Dist::Triangular { min, mode, max })
    }

    /// Classic PERT on [`min`, `max`], `min` < `max`, mode at `min` ≤ `mode` ≤ `max`.
    pub fn pert(min: f64, mode: f64, max: f64) -> Result<Dist, String> {
        min_mode_max(min, mode, max)?;
        Ok(Dist::Pert { min, mode, max })
    }

    /// Discrete over `values`, with `weights` (not negative, not all 0; normalised here) or
    /// equal weights when `None`.
    pub fn discrete(values: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Dist, String> {
        if values.is_empty() {
            return Err("`values` must not be empty".into());
        }
        if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(format!(
                "`values` must be finite numbers, got {v} at position {}",
                i + 1
            ));
        }
        let n = values.len();
        let weights = match weights {
            None => vec![1.0 / n as f64; n],
            Some(w) => {
                if w.len() != n {
                    return Err(format!(
                        "`weights` must have as many entries as `values` ({} against {n})",
                        w.len()
                    ));
                }
                if let Some((i, v)) = w
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
                {
                    return Err(format!(
                        "`weights` must be finite and not negative, got {v} at position {}",
                        i + 1
                    ));
                }
                let total: f64 = w.iter().sum();
                if !(total > 0.0 && total.is_finite()) {
                    return Err("`weights` must not all be 0".into());
                }
                w.into_iter().map(|x| x / total).collect()
            }
        };
        Ok(Dist::Discrete { values, weights })
    }

    /// The name used for `dist` in a scenario.
    pub fn name(&self) -> &'static str {
        match self {
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Gamma { .. } => "gamma",
            Dist::Beta { .. } => "beta",
            Dist::Uniform { .. } => "uniform",
            Dist::Triangular { .. } => "triangular",
            Dist::Pert { .. } => "pert",
            Dist::Discrete { .. } => "discrete",
        }
    }

    /// The PERT's beta parameters (α, β).
    fn pert_ab(min: f64, mode: f64, max: f64) -> (f64, f64) {
        let r = max - min;
        (1.0 + 4.0 * (mode - min) / r, 1.0 + 4.0 * (max - mode) / r)
    }

    /// The distribution of `s · X` for `s > 0`; `None` for a beta, whose support is [0, 1].
    pub fn scaled(&self, s: f64) -> Option<Dist> {
        Some(match self {
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: mean * s,
                sd: sd * s,
            },
            Dist::LogNormal { mu, sigma } => Dist::LogNormal {
                mu: mu + s.ln(),
                sigma: *sigma,
            },
            Dist::Gamma { shape, scale } => Dist::Gamma {
                shape: *shape,
                scale: scale * s,
            },
            Dist::Beta { .. } => return None,
            Dist::Uniform { min, max } => Dist::Uniform {
                min: min * s,
                max: max * s,
            },
            Dist::Triangular { min, mode, max } => Dist::Triangular {
                min: min * s,
                mode: mode * s,
                max: max * s,
            },
            Dist::Pert { min, mode, max } => Dist::Pert {
                min: min * s,
                mode: mode * s,
                max: max * s,
            },
            Dist::Discrete { values, weights } => Dist::Discrete {
                values: values.iter().map(|v| v * s).collect(),
                weights: weights.clone(),
            },
        })
    }

    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Normal { mean, .. } => mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Beta { alpha, beta } => alpha / (alpha + beta),
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Dist::Discrete {
                ref values,
                ref weights,
            } => values.iter().zip(weights).map(|(v, w)| v * w).sum(),
        }
    }

    pub fn variance(&self) -> f64 {
        match *self {
            Dist::Normal { sd, .. } => sd * sd,
            Dist::LogNormal { mu, sigma } => {
                let s2 = sigma * sigma;
                s2.exp_m1() * (2.0 * mu + s2).exp()
            }
            Dist::Gamma { shape, scale } => shape * scale * scale,
            Dist::Beta { alpha, beta } => {
                let s = alpha + beta;
                alpha * beta / (s * s * (s + 1.0))
            }
            Dist::Uniform { min, max } => (max - min).powi(2) / 12.0,
            Dist::Triangular {
                min: a,
                mode: c,
                max: b,
            } => (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0,
            Dist::Pert { min, mode, max } => {
                let (a, b) = Self::pert_ab(min, mode, max);
                let s = a + b;
                (max - min).powi(2) * a * b / (s * s * (s + 1.0))
            }
            Dist::Discrete {
                ref values,
                ref weights,
            } => {
                let m = self.mean();
                values
                    .iter()
                    .zip(weights)
                    .map(|(v, w)| w * (v - m) * (v - m))
                    .sum()
            }
        }
    }

    /// The closed interval the draws lie in; infinite where unbounded.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::LogNormal { .. } | Dist::Gamma { .. } => (0.0, f64::INFINITY),
            Dist::Beta { .. } => (0.0, 1.0),
            Dist::Uniform { min, max }
            | Dist::Triangular { min, max, .. }
            | Dist::Pert { min, max, .. } => (min, max),
            Dist::Discrete { ref values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                }),
        }
    }

    /// One draw. Parameters that the constructors would refuse give NaN.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Normal { mean, sd } => {
                let z: f64 = StandardNormal.sample(rng);
                mean + sd * z
            }
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Gamma { shape, scale } => {
                rand_distr::Gamma::new(shape, scale).map_or(f64::NAN, |d| d.sample(rng))
            }
            Dist::Beta { alpha, beta } => {
                rand_distr::Beta::new(alpha, beta).map_or(f64::NAN, |d| d.sample(rng))
            }
            Dist::Uniform { min, max } => {
                let u: f64 = StandardUniform.sample(rng);
                // u < 1; the clamp only guards against rounding up past `max`.
                (min + (max - min) * u).min(max)
            }
            Dist::Triangular { min, mode, max } => {
                rand_distr::Triangular::new(min, max, mode).map_or(f64::NAN, |d| d.sample(rng))
            }
            Dist::Pert { min, mode, max } => rand_distr::Pert::new(min, max)
                .with_mode(mode)
                .map_or(f64::NAN, |d| d.sample(rng)),
            Dist::Discrete {
                ref values,
                ref weights,
            } => {
                let mut u: f64 = StandardUniform.sample(rng);
                for (v, w) in values.iter().zip(weights) {
                    if u < *w {
                        return *v;
                    }
                    u -= w;
                }
                // Rounding left u at or above the last weight: the last value with weight.
                values
                    .iter()
                    .zip(weights)
                    .rev()
                    .find(|(_, w)| **w > 0.0)
                    .map_or(f64::NAN, |(v, _)| *v)
            }
        }
    }

    /// The distribution function F(x) = P(X ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match *self {
            Dist::Normal { mean, sd } => std_normal_cdf((x - mean) / sd),
            Dist::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    std_normal_cdf((x.ln() - mu) / sigma)
                }
            }
            Dist::Gamma { shape, scale } => special::gamma_pq(shape, x / scale).0,
            Dist::Beta { alpha, beta } => special::beta_i(alpha, beta, x).0,
            Dist::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            Dist::Triangular { min, mode, max } => {
                if x <= min {
                    0.0
                } else if x >= max {
                    1.0
                } else if x <= mode {
                    (x - min).powi(2) / ((max - min) * (mode - min))
                } else {
                    1.0 - (max - x).powi(2) / ((max - min) * (max - mode))
                }
            }
            Dist::Pert { min, mode, max } => {
                let (a, b) = Self::pert_ab(min, mode, max);
                special::beta_i(a, b, (x - min) / (max - min)).0
            }
            Dist::Discrete {
                ref values,
                ref weights,
            } => values
                .iter()
                .zip(weights)
                .filter(|(v, _)| **v <= x)
                .map(|(_, w)| w)
                .sum::<f64>()
                .min(1.0),
        }
    }

    /// The `p` quantile (inverse distribution function) for `p` in [0, 1]; `None` outside it.
    /// Closed forms for the normal, log-normal, uniform and triangular; the gamma, beta and PERT
    /// invert their distribution functions (regularised incomplete gamma and beta) by a
    /// safeguarded Newton iteration to about double precision, solving in the upper tail above
    /// ½. A discrete quantile is the smallest value whose cumulative probability reaches `p`.
    /// The ends are the support's (`p` = 0 and 1 may give ±∞ for unbounded distributions).
    pub fn quantile(&self, p: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&p) {
            return None;
        }
        Some(match *self {
            Dist::Normal { mean, sd } => mean + sd * std_normal_quantile(p),
            Dist::LogNormal { mu, sigma } => (mu + sigma * std_normal_quantile(p)).exp(),
            Dist::Uniform { min, max } => min + (max - min) * p,
            Dist::Triangular { min, mode, max } => {
                let r = max - min;
                if p * r < mode - min {
                    min + (p * r * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - p) * r * (max - mode)).sqrt()
                }
            }
            Dist::Gamma { shape, scale } => scale * gamma_quantile(shape, p),
            Dist::Beta { alpha, beta } => beta_quantile(alpha, beta, p),
            Dist::Pert { min, mode, max } => {
                let (a, b) = Self::pert_ab(min, mode, max);
                (min + (max - min) * beta_quantile(a, b, p)).clamp(min, max)
            }
            Dist::Discrete {
                ref values,
                ref weights,
            } => {
                let mut pairs: Vec<(f64, f64)> = values
                    .iter()
                    .copied()
                    .zip(weights.iter().copied())
                    .collect();
                pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut cum = 0.0;
                for &(v, w) in &pairs {
                    cum += w;
                    if w > 0.0 && cum >= p * (1.0 - 1e-12) {
                        return Some(v);
                    }
                }
                pairs
                    .iter()
                    .rev()
                    .find(|(_, w)| *w > 0.0)
                    .map(|(v, _)| *v)?
            }
        })
    }
}

/// The `p` quantile of the gamma distribution with `shape` and scale 1: Wilson–Hilferty's
/// approximation as the start, then [`special::invert`] on the regularised incomplete gamma.
fn gamma_quantile(shape: f64, p: f64) -> f64 {
    let z = std_normal_quantile(p);
    let c = 1.0 / (9.0 * shape);
    let wh = shape * (1.0 - c + z * c.sqrt()).powi(3);
    let x0 = if wh > 0.0 && wh.is_finite() {
        wh
    } else {
        // Small shapes: P(a, x) ≈ x^a / Γ(a + 1) near 0.
        (p * special::ln_gamma(shape + 1.0).exp()).powf(1.0 / shape)
    };
    let ln_g = special::ln_gamma(shape);
    special::invert(
        p,
        0.0,
        f64::INFINITY,
        x0,
        |x| special::gamma_pq_with(shape, x, ln_g),
        |x| ((shape - 1.0) * x.ln() - x - ln_g).exp(),
        |x| (shape - 1.0) / x - 1.0,
    )
}

/// The `p` quantile of the beta distribution: the starting value of Numerical Recipes'
/// `invbetai` (a normal approximation for α, β ≥ 1, the two tails' power laws otherwise), then
/// [`special::invert`] on the regularised incomplete beta.
fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    let x0 = if a >= 1.0 && b >= 1.0 {
        let pp = if p < 0.5 { p } else { 1.0 - p };
        let t = (-2.0 * pp.ln()).sqrt();
        let mut x = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t;
        if p < 0.5 {
            x = -x;
        }
        let al = (x * x - 3.0) / 6.0;
        let h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0));
        let w = (x * (al + h).sqrt() / h)
            - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (al + 5.0 / 6.0 - 2.0 / (3.0 * h));
        a / (a + b * (2.0 * w).exp())
    } else {
        let (lna, lnb) = ((a / (a + b)).ln(), (b / (a + b)).ln());
        let t = (a * lna).exp() / a;
        let u = (b * lnb).exp() / b;
        let w = t + u;
        if p < t / w {
            (a * w * p).powf(1.0 / a)
        } else {
            1.0 - (b * w * (1.0 - p)).powf(1.0 / b)
        }
    };
    let ln_b = special::ln_beta(a, b);
    special::invert(
        p,
        0.0,
        1.0,
        x0,
        |x| special::beta_i_with(a, b, x, ln_b),
        |x| ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_b).exp(),
        |x| (a - 1.0) / x - (b - 1.0) / (1.0 - x),
    )
}

/// The standard normal distribution function Φ, to about double precision in relative terms
/// in the lower tail (Cody's rational Chebyshev approximations, ACM TOMS 715, as in R's
/// `pnorm`). Above 0 it is 1 − Φ(−x), accurate in absolute terms.
// The coefficients as published, digits beyond f64's included.
#[allow(clippy::excessive_precision)]
pub fn std_normal_cdf(x: f64) -> f64 {
    const A: [f64; 5] = [
        2.2352520354606839287,
        161.02823106855587881,
        1067.6894854603709582,
        18154.981253343561249,
        0.065682337918207449113,
    ];
    const B: [f64; 4] = [
        47.20258190468824187,
        976.09855173777669322,
        10260.932208618978205,
        45507.789335026729956,
    ];
    const C: [f64; 9] = [
        0.39894151208813466764,
        8.8831497943883759412,
        93.506656132177855979,
        597.27027639480026226,
        2494.5375852903726711,
        6848.1904505362823326,
        11602.651437647350124,
        9842.7148383839780218,
        1.0765576773720192317e-8,
    ];
    const D: [f64; 8] = [
        22.266688044328115691,
        235.38790178262499861,
        1519.377599407554805,
        6485.558298266760755,
        18615.571640885098091,
        34900.952721145977266,
        38912.003286093271411,
        19685.429676859990727,
    ];
    const P: [f64; 6] = [
        0.21589853405795699,
        0.1274011611602473639,
        0.022235277870649807,
        0.001421619193227893466,
        2.9112874951168792e-5,
        0.02307344176494017303,
    ];
    const Q: [f64; 5] = [
        1.28426009614491121,
        0.468238212480865118,
        0.0659881378689285515,
        0.00378239633202758244,
        7.29751555083966205e-5,
    ];
    const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    if x.is_nan() {
        return f64::NAN;
    }
    let y = x.abs();
    if y <= 0.67448975 {
        let xsq = x * x;
        let (mut num, mut den) = (A[4] * xsq, xsq);
        for i in 0..3 {
            num = (num + A[i]) * xsq;
            den = (den + B[i]) * xsq;
        }
        return 0.5 + x * (num + A[3]) / (den + B[3]);
    }
    // The tail beyond y is exp(−y²/2) · r.
    let r = if y <= 32f64.sqrt() {
        let (mut num, mut den) = (C[8] * y, y);
        for i in 0..7 {
            num = (num + C[i]) * y;
            den = (den + D[i]) * y;
        }
        (num + C[7]) / (den + D[7])
    } else if y < 37.5193 {
        let xsq = 1.0 / (y * y);
        let (mut num, mut den) = (P[5] * xsq, xsq);
        for i in 0..4 {
            num = (num + P[i]) * xsq;
            den = (den + Q[i]) * xsq;
        }
        (FRAC_1_SQRT_2PI - xsq * (num + P[4]) / (den + Q[4])) / y
    } else {
        0.0
    };
    // y² split into an exactly squared part and the rest, so exp loses nothing.
    let ysq = (y * 16.0).trunc() / 16.0;
    let del = (y - ysq) * (y + ysq);
    let tail = (-ysq * ysq * 0.5).exp() * (-del * 0.5).exp() * r;
    if x > 0.0 { 1.0 - tail } else { tail }
}

/// The standard normal quantile Φ⁻¹(p): Acklam's rational approximation (relative error
/// below 1.2e-9) and one Halley step against [`std_normal_cdf`], which brings it to about
/// double precision. The upper half is computed from the lower by symmetry, where Φ is
/// accurate in relative terms. `p` = 0 and 1 give −∞ and +∞; NaN outside [0, 1].
pub fn std_normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p > 0.5 {
        // 1 − p is exact for p in [0.5, 1].
        return -std_normal_quantile(1.0 - p);
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.38357751867269e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let x = if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One Halley step: e = Φ(x) − p, u = e / φ(x).
    let e = std_normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    if u.is_finite() {
        x - u / (1.0 + x * u / 2.0)
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::{ChaCha8Rng, ChaCha12Rng};

    const N: usize = 200_000;

    /// Draws N values; checks support, and mean and variance within 5 standard errors (the
    /// variance's standard error from the sample's fourth central moment).
    fn check_moments(d: &Dist, seed: u64) {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let xs: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
        let (lo, hi) = d.support();
        for &x in &xs {
            assert!(
                x.is_finite() && lo <= x && x <= hi,
                "{d:?}: {x} outside [{lo}, {hi}]"
            );
        }
        let n = N as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        let m4 = xs.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
        let se_mean = (d.variance() / n).sqrt();
        let se_var = ((m4 - v * v).max(0.0) / n).sqrt();
        assert!(
            (m - d.mean()).abs() <= 5.0 * se_mean,
            "{d:?}: sample mean {m}, expected {} ± 5·{se_mean}",
            d.mean()
        );
        assert!(
            (v - d.variance()).abs() <= 5.0 * se_var,
            "{d:?}: sample variance {v}, expected {} ± 5·{se_var}",
            d.variance()
        );
    }

    #[test]
    fn every_variant_matches_its_moments_and_support() {
        let cases = [
            Dist::normal(10.0, 2.5).unwrap(),
            Dist::normal(-3.0, 0.1).unwrap(),
            Dist::lognormal(1.0, 0.5).unwrap(),
            Dist::lognormal(-2.0, 0.2).unwrap(),
            Dist::gamma(3.0, 1.5).unwrap(),
            Dist::gamma(0.5, 2.0).unwrap(),
            Dist::beta(2.0, 5.0).unwrap(),
            Dist::beta(0.5, 0.5).unwrap(),
            Dist::uniform(-1.0, 4.0).unwrap(),
            Dist::triangular(0.0, 2.0, 10.0).unwrap(),
            Dist::triangular(5.0, 5.0, 6.0).unwrap(),
            Dist::pert(0.0, 2.0, 10.0).unwrap(),
            Dist::pert(100.0, 180.0, 200.0).unwrap(),
            Dist::discrete(vec![1.0, 2.0, 5.0], None).unwrap(),
            Dist::discrete(vec![3.0, -1.0, 7.0, 0.5], Some(vec![1.0, 3.0, 0.0, 6.0])).unwrap(),
        ];
        for (i, d) in cases.iter().enumerate() {
            check_moments(d, 1000 + i as u64);
        }
    }

    #[test]
    fn discrete_draws_only_its_values_in_proportion() {
        let d = Dist::discrete(vec![3.0, -1.0, 7.0], Some(vec![2.0, 6.0, 0.0])).unwrap();
        assert_eq!(
            d,
            Dist::Discrete {
                values: vec![3.0, -1.0, 7.0],
                weights: vec![0.25, 0.75, 0.0]
            }
        );
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0usize; 2];
        for _ in 0..N {
            match d.sample(&mut rng) {
                3.0 => counts[0] += 1,
                -1.0 => counts[1] += 1,
                x => panic!("drew {x}"),
            }
        }
        let share = counts[0] as f64 / N as f64;
        let se = (0.25f64 * 0.75 / N as f64).sqrt();
        assert!((share - 0.25).abs() < 5.0 * se, "{share}");
    }

    #[test]
    fn pert_is_the_classic_lambda_4_beta() {
        let d = Dist::pert(2.0, 3.0, 8.0).unwrap();
        // α = 1 + 4·1/6, β = 1 + 4·5/6.
        let (a, b) = (5.0 / 3.0, 13.0 / 3.0);
        assert!((d.mean() - (2.0 + 6.0 * a / (a + b))).abs() < 1e-12);
        assert!((d.mean() - (2.0 + 4.0 * 3.0 + 8.0) / 6.0).abs() < 1e-12);
        let var = 36.0 * a * b / ((a + b).powi(2) * (a + b + 1.0));
        assert!((d.variance() - var).abs() < 1e-12);
    }

    #[test]
    fn normal_cdf_and_quantile_match_reference_values() {
        // Reference values: Python's 0.5·erfc(−x/√2) and statistics.NormalDist().inv_cdf.
        let cdf = [
            (0.0, 0.5),
            (1.0, 0.8413447460685429),
            (-1.96, 0.024997895148220435),
            (-0.5, 0.3085375387259869),
            (-3.0, 0.0013498980316300957),
            (-6.0, 9.865876450377012e-10),
            (-8.0, 6.220960574271819e-16),
            (-20.0, 2.7536241186063314e-89),
        ];
        for (x, p) in cdf {
            let got = std_normal_cdf(x);
            assert!(
                ((got - p) / p).abs() < 1e-13,
                "Φ({x}) = {got}, expected {p}"
            );
        }
        let q = [
            (0.5, 0.0),
            (0.975, 1.9599639845400536),
            (0.025, -1.9599639845400536),
            (0.99, 2.3263478740408408),
            (0.1, -1.2815515655446008),
            (0.75, 0.6744897501960817),
            (0.999, 3.090232306167813),
            (1e-6, -4.753424308822899),
            (1e-10, -6.361340902404056),
            (1e-15, -7.941345326170995),
            (1e-300, -37.0470962993612),
        ];
        for (p, z) in q {
            let got = std_normal_quantile(p);
            assert!(
                (got - z).abs() < 1e-12 * (1.0 + z.abs()),
                "Φ⁻¹({p}) = {got}, expected {z}"
            );
        }
        assert!((Z95 - std_normal_quantile(0.975)).abs() < 1e-15);
        assert_eq!(std_normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(std_normal_quantile(1.0), f64::INFINITY);
        let d = Dist::normal(100.0, 15.0).unwrap();
        let q = d.quantile(0.975).unwrap();
        assert!((q - (100.0 + 15.0 * 1.959963984540054)).abs() < 1e-10);
        let ln = Dist::lognormal(1.0, 0.5).unwrap();
        assert!((ln.quantile(0.5).unwrap() - 1f64.exp()).abs() < 1e-12);
        assert!(
            (ln.quantile(0.975).unwrap() - (1.0 + 0.5 * 1.959963984540054f64).exp()).abs() < 1e-10
        );
    }

    #[test]
    fn uniform_triangular_and_discrete_quantiles() {
        let u = Dist::uniform(2.0, 6.0).unwrap();
        assert_eq!(u.quantile(0.0), Some(2.0));
        assert_eq!(u.quantile(0.25), Some(3.0));
        assert_eq!(u.quantile(1.0), Some(6.0));
        assert_eq!(u.quantile(1.5), None);
        assert_eq!(u.quantile(-0.1), None);

        // Triangular(0, 2, 10): F(2) = 0.2; F(x) = x²/20 below the mode,
        // 1 − (10 − x)²/80 above it.
        let t = Dist::triangular(0.0, 2.0, 10.0).unwrap();
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
        assert!(close(t.quantile(0.0), 0.0));
        assert!(close(t.quantile(0.05), 1.0));
        assert!(close(t.quantile(0.2), 2.0));
        assert!(close(t.quantile(0.5), 10.0 - 40f64.sqrt()));
        assert!(close(t.quantile(0.95), 8.0));
        assert!(close(t.quantile(1.0), 10.0));
        // Symmetric: the median is the mode.
        assert!(close(
            Dist::triangular(1.0, 3.0, 5.0).unwrap().quantile(0.5),
            3.0
        ));

        let d = Dist::discrete(vec![5.0, 1.0, 3.0], Some(vec![1.0, 1.0, 2.0])).unwrap();
        assert_eq!(d.quantile(0.0), Some(1.0));
        assert_eq!(d.quantile(0.25), Some(1.0));
        assert_eq!(d.quantile(0.26), Some(3.0));
        assert_eq!(d.quantile(0.75), Some(3.0));
        assert_eq!(d.quantile(0.9), Some(5.0));
        assert_eq!(d.quantile(1.0), Some(5.0));

        assert_eq!(Dist::gamma(2.0, 1.0).unwrap().quantile(1.5), None);
    }

    /// Reference quantiles at p = 1e-6, 0.05, 0.5, 0.95, 1 − 1e-6 from SciPy 1.17
    /// (`scipy.stats.gamma(a, scale=s).ppf`, `scipy.stats.beta(a, b).ppf`; the PERT(0, 2, 10) is
    /// `beta(1.8, 4.2, loc=0, scale=10)`).
    #[test]
    fn gamma_beta_and_pert_quantiles_match_scipy() {
        let ps = [1e-6, 0.05, 0.5, 0.95, 0.999999];
        let cases: [(Dist, [f64; 5]); 7] = [
            (
                Dist::gamma(3.0, 1.5).unwrap(),
                [
                    0.027381424444918943,
                    1.22653717074593,
                    4.011090470585339,
                    9.443690432807983,
                    28.69375228285939,
                ],
            ),
            (
                Dist::gamma(0.5, 2.0).unwrap(),
                [
                    1.5707963267957187e-12,
                    0.003932140000019522,
                    0.454936423119572,
                    3.841458820694124,
                    23.92812697687947,
                ],
            ),
            (
                Dist::gamma(25.0, 1.6).unwrap(),
                [
                    12.684050252518658,
                    27.8114013468014,
                    39.46794938718147,
                    54.003845239632966,
                    90.0864739990908,
                ],
            ),
            (
                Dist::beta(2.0, 5.0).unwrap(),
                [
                    0.00025828782935406356,
                    0.06284989170835438,
                    0.26444998329566005,
                    0.5818034092520259,
                    0.9555730480299243,
                ],
            ),
            (
                Dist::beta(0.5, 0.5).unwrap(),
                [
                    2.46740110027031e-12,
                    0.0061558297024311365,
                    0.5,
                    0.9938441702975689,
                    0.9999999999975326,
                ],
            ),
            (
                Dist::beta(5.325, 15.975).unwrap(),
                [
                    0.011603513660474086,
                    0.11352335749862426,
                    0.24206530231188814,
                    0.4137010187824782,
                    0.7408584319163214,
                ],
            ),
            (
                Dist::pert(0.0, 2.0, 10.0).unwrap(),
                [
                    0.0013507189926888286,
                    0.5897738761181723,
                    2.7667225939251887,
                    6.212767240161902,
                    9.730177349343748,
                ],
            ),
        ];
        for (d, want) in &cases {
            for (p, w) in ps.iter().zip(want) {
                let got = d.quantile(*p).unwrap();
                assert!(
                    (got - w).abs() <= 1e-11 * w.abs(),
                    "{d:?}: quantile({p}) = {got}, SciPy {w}"
                );
            }
        }
    }

    /// F(F⁻¹(p)) = p for every family over the whole range of p, both tails included, and
    /// F⁻¹(F(x)) = x for the continuous ones.
    #[test]
    fn every_quantile_inverts_its_distribution_function() {
        let cases = [
            Dist::normal(10.0, 2.5).unwrap(),
            Dist::lognormal(1.0, 0.5).unwrap(),
            Dist::gamma(3.0, 1.5).unwrap(),
            Dist::gamma(0.3, 2.0).unwrap(),
            Dist::gamma(400.0, 0.01).unwrap(),
            Dist::beta(2.0, 5.0).unwrap(),
            Dist::beta(0.5, 0.5).unwrap(),
            Dist::beta(80.0, 3.0).unwrap(),
            Dist::uniform(-1.0, 4.0).unwrap(),
            Dist::triangular(0.0, 2.0, 10.0).unwrap(),
            Dist::pert(100.0, 180.0, 200.0).unwrap(),
            Dist::pert(0.0, 0.0, 1.0).unwrap(),
        ];
        let mut ps: Vec<f64> = (1..100).map(|i| i as f64 / 100.0).collect();
        ps.extend([1e-12, 1e-8, 1e-4, 1.0 - 1e-4, 1.0 - 1e-8, 0.999_999_999_999]);
        for d in &cases {
            for &p in &ps {
                let x = d.quantile(p).unwrap();
                let f = d.cdf(x);
                // Relative in the lower tail and in 1 − F in the upper, or, where x itself
                // cannot be closer (near 1 for a beta), within a few units in its last place.
                let tol = 1e-10 * p.min(1.0 - p);
                let ulps = 8.0 * f64::EPSILON * x.abs().max(f64::MIN_POSITIVE);
                assert!(
                    (f - p).abs() <= tol || (d.cdf(x - ulps) <= p && p <= d.cdf(x + ulps)),
                    "{d:?}: F(F⁻¹({p})) = {f}"
                );
                let back = d.quantile(d.cdf(x)).unwrap();
                assert!(
                    (back - x).abs() <= 1e-8 * (1.0 + x.abs()),
                    "{d:?}: F⁻¹(F({x})) = {back}"
                );
            }
        }
        // Discrete: the smallest value whose cumulative probability reaches p.
        let d = Dist::discrete(vec![5.0, 1.0, 3.0], Some(vec![1.0, 1.0, 2.0])).unwrap();
        for (p, v) in [
            (1e-9, 1.0),
            (0.25, 1.0),
            (0.2500001, 3.0),
            (0.75, 3.0),
            (0.99, 5.0),
        ] {
            assert_eq!(d.quantile(p), Some(v), "p = {p}");
            assert!(d.cdf(v) >= p && d.cdf(v - 1e-9) < p);
        }
        assert_eq!(d.cdf(0.9), 0.0);
        assert_eq!(d.cdf(3.0), 0.75);
        assert_eq!(d.cdf(9.0), 1.0);
    }

    #[test]
    fn closed_form_moments() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12 * (1.0 + b.abs());
        let ln = Dist::lognormal(0.0, 1.0).unwrap();
        assert!(close(ln.mean(), 0.5f64.exp()));
        assert!(close(ln.variance(), (1f64.exp() - 1.0) * 1f64.exp()));
        let t = Dist::triangular(0.0, 2.0, 10.0).unwrap();
        assert!(close(t.mean(), 4.0));
        assert!(close(t.variance(), (100.0 + 4.0 - 20.0) / 18.0));
        let b = Dist::beta(2.0, 5.0).unwrap();
        assert!(close(b.mean(), 2.0 / 7.0));
        assert!(close(b.variance(), 10.0 / (49.0 * 8.0)));
        assert_eq!(
            Dist::discrete(vec![4.0, 1.0], None).unwrap().support(),
            (1.0, 4.0)
        );
    }

    #[test]
    fn constructors_refuse_bad_parameters() {
        assert_eq!(
            Dist::normal(0.0, -1.0).unwrap_err(),
            "`sd` must be above 0, got -1"
        );
        assert_eq!(
            Dist::lognormal(0.0, 0.0).unwrap_err(),
            "`sigma` must be above 0, got 0"
        );
        assert_eq!(
            Dist::gamma(0.0, 1.0).unwrap_err(),
            "`shape` must be above 0, got 0"
        );
        assert_eq!(
            Dist::beta(1.0, -2.0).unwrap_err(),
            "`beta` must be above 0, got -2"
        );
        assert_eq!(
            Dist::uniform(5.0, 3.0).unwrap_err(),
            "`min` (5) must be below `max` (3)"
        );
        assert_eq!(
            Dist::pert(0.0, 7.0, 5.0).unwrap_err(),
            "`mode` must lie between `min` and `max` (got mode 7, min 0, max 5)"
        );
        assert_eq!(
            Dist::discrete(vec![1.0, 2.0], Some(vec![1.0])).unwrap_err(),
            "`weights` must have as many entries as `values` (1 against 2)"
        );
        assert_eq!(
            Dist::discrete(vec![], None).unwrap_err(),
            "`values` must not be empty"
        );
        assert_eq!(
            Dist::discrete(vec![1.0], Some(vec![0.0])).unwrap_err(),
            "`weights` must not all be 0"
        );
        assert!(Dist::discrete(vec![1.0, 2.0], Some(vec![1.0, -1.0])).is_err());
        assert!(Dist::normal(f64::NAN, 1.0).is_err());
    }

    #[test]
    fn serializes_as_a_tagged_table() {
        let j = serde_json::to_value(Dist::lognormal(0.5, 0.25).unwrap()).unwrap();
        assert_eq!(
            j,
            serde_json::json!({ "dist": "lognormal", "mu": 0.5, "sigma": 0.25 })
        );
    }
}
