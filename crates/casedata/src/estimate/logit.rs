//! Logistic regression by Newton–Raphson (iteratively reweighted least squares), for the
//! propensity score. Rows are summed in fixed chunks and the chunks combined in order, so the
//! fit does not depend on the number of threads.

use rayon::prelude::*;

/// Rows per chunk of the parallel sums (fixed: part of the reproducibility contract).
const CHUNK: usize = 8192;

/// A fitted model: intercept first, then one coefficient per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub beta: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

impl Fit {
    /// The linear predictor (logit of the probability) of a feature row.
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.beta[0]
            + x.iter()
                .zip(&self.beta[1..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
    }
}

/// Fit P(y = 1 | x) = 1 / (1 + exp(−β₀ − x·β)). `x` is row-major, `p` features per row. A
/// small ridge penalty (`ridge`, not on the intercept) keeps the fit finite under separation
/// or collinear features.
pub fn fit(x: &[f64], y: &[bool], p: usize, ridge: f64) -> Fit {
    let n = y.len();
    let q = p + 1;
    let mut beta = vec![0.0; q];
    // Start at the base rate.
    let rate = y.iter().filter(|&&b| b).count() as f64 / n.max(1) as f64;
    beta[0] = (rate.clamp(1e-6, 1.0 - 1e-6) / (1.0 - rate.clamp(1e-6, 1.0 - 1e-6))).ln();
    let mut iterations = 0;
    let mut converged = false;
    for it in 1..=50 {
        iterations = it;
        let beta_ref = &beta;
        let parts: Vec<(Vec<f64>, Vec<f64>)> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut h = vec![0.0; q * q];
                let mut g = vec![0.0; q];
                let mut row = vec![0.0; q];
                for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    row[0] = 1.0;
                    row[1..].copy_from_slice(&x[i * p..(i + 1) * p]);
                    let eta: f64 = row.iter().zip(beta_ref).map(|(a, b)| a * b).sum();
                    let mu = 1.0 / (1.0 + (-eta).exp());
                    let w = (mu * (1.0 - mu)).max(1e-12);
                    let r = f64::from(u8::from(y[i])) - mu;
                    for a in 0..q {
                        g[a] += row[a] * r;
                        let wa = w * row[a];
                        for b in 0..=a {
                            h[a * q + b] += wa * row[b];
                        }
                    }
                }
                (h, g)
            })
            .collect();
        let mut h = vec![0.0; q * q];
        let mut g = vec![0.0; q];
        for (ph, pg) in parts {
            for (a, b) in h.iter_mut().zip(ph) {
                *a += b;
            }
            for (a, b) in g.iter_mut().zip(pg) {
                *a += b;
            }
        }
        for a in 0..q {
            for b in 0..a {
                h[b * q + a] = h[a * q + b];
            }
        }
        for a in 1..q {
            h[a * q + a] += ridge;
            g[a] -= ridge * beta[a];
        }
        let Some(step) = solve_spd(&h, &g, q) else {
            break;
        };
        let mut biggest = 0f64;
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
            biggest = biggest.max(s.abs());
        }
        if biggest < 1e-9 {
            converged = true;
            break;
        }
    }
    Fit {
        beta,
        iterations,
        converged,
    }
}

/// Solve `A z = b` for a symmetric positive-definite `A` (row-major, n × n) by Cholesky.
/// `None` when `A` is not positive definite.
pub fn solve_spd(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    let mut z = b.to_vec();
    for i in 0..n {
        let mut s = z[i];
        for k in 0..i {
            s -= l[i * n + k] * z[k];
        }
        z[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = z[i];
        for k in i + 1..n {
            s -= l[k * n + i] * z[k];
        }
        z[i] = s / l[i * n + i];
    }
    Some(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves() {
        // [[4, 2], [2, 3]] z = [2, 5] → z = [-0.5, 2].
        let z = solve_spd(&[4.0, 2.0, 2.0, 3.0], &[2.0, 5.0], 2).unwrap();
        assert!((z[0] + 0.5).abs() < 1e-12 && (z[1] - 2.0).abs() < 1e-12);
        assert!(solve_spd(&[1.0, 2.0, 2.0, 1.0], &[1.0, 1.0], 2).is_none());
    }

    #[test]
    fn recovers_a_known_model() {
        // Grouped data with known proportions: x = 0 → 1/4 and x = 1 → 3/4, so the maximum
        // likelihood fit is β₀ = ln(1/3), β₁ = ln 9 exactly.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (xv, ones) in [(0.0, 25), (1.0, 75)] {
            for i in 0..100 {
                x.push(xv);
                y.push(i < ones);
            }
        }
        let f = fit(&x, &y, 1, 0.0);
        assert!(f.converged);
        assert!(
            (f.beta[0] - (1.0f64 / 3.0).ln()).abs() < 1e-9,
            "{:?}",
            f.beta
        );
        assert!((f.beta[1] - 9f64.ln()).abs() < 1e-9);
        assert!((f.logit(&[1.0]) - 3f64.ln()).abs() < 1e-9);
    }
}
