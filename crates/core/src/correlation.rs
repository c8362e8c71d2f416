//! Correlated draws of uncertain inputs: a Gaussian copula.
//!
//! For each draw, k standard normals z come from the draw's own copula stream; y = L z, with L
//! the Cholesky factor of the correlation matrix R (so that y has correlation R); each input
//! then takes x = F⁻¹(Φ(y)), its own distribution's quantile, so every input keeps its marginal
//! distribution exactly and only the dependence between them changes.

use crate::dist::{Dist, std_normal_cdf};

/// The correlated inputs of a model and the Cholesky factor of their correlation matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Copula {
    /// θ slots of the correlated inputs, in the order of the matrix.
    pub slots: Vec<usize>,
    /// Lower-triangular L with L Lᵀ = R, row-major `k × k`.
    pub chol: Vec<f64>,
}

/// Pivots below this are taken as 0: a correlation matrix may be singular (ρ = ±1, or inputs
/// that determine each other) and still valid.
const PIVOT_TOL: f64 = 1e-10;

/// The Cholesky factor L (row-major, `k × k`, lower triangular) of a symmetric matrix `r`, which
/// may be positive semi-definite. `Err(j)` when the matrix is not positive semi-definite: the
/// leading `(j + 1) × (j + 1)` block already is not.
pub fn cholesky(r: &[f64], k: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; k * k];
    for j in 0..k {
        let mut d = r[j * k + j];
        for m in 0..j {
            d -= l[j * k + m] * l[j * k + m];
        }
        if d < -PIVOT_TOL {
            return Err(j);
        }
        let pivot = if d > PIVOT_TOL { d.sqrt() } else { 0.0 };
        l[j * k + j] = pivot;
        for i in j + 1..k {
            let mut s = r[i * k + j];
            for m in 0..j {
                s -= l[i * k + m] * l[j * k + m];
            }
            if pivot > 0.0 {
                l[i * k + j] = s / pivot;
            } else if s.abs() > PIVOT_TOL.sqrt() {
                // A zero pivot leaves column j empty; a non-zero entry below it cannot be met.
                return Err(i.max(j));
            }
        }
    }
    Ok(l)
}

/// Smallest and largest probability passed to a quantile, so that unbounded distributions stay
/// finite at Φ(y) = 0 or 1.
const U_MIN: f64 = f64::MIN_POSITIVE;
const U_MAX: f64 = 1.0 - f64::EPSILON / 2.0;

/// The value of an input with distribution `dist` at normal score `y`: F⁻¹(Φ(y)). Exact for the
/// normal and log-normal (mean + sd·y, exp(μ + σ·y)).
pub fn from_normal_score(dist: &Dist, y: f64) -> f64 {
    match *dist {
        Dist::Normal { mean, sd } => mean + sd * y,
        Dist::LogNormal { mu, sigma } => (mu + sigma * y).exp(),
        _ => {
            let u = std_normal_cdf(y).clamp(U_MIN, U_MAX);
            dist.quantile(u).unwrap_or(f64::NAN)
        }
    }
}

impl Copula {
    /// Correlated normal scores `y = L z` from independent standard normals `z` (length k).
    pub fn correlate(&self, z: &[f64], y: &mut [f64]) {
        let k = self.slots.len();
        for (i, out) in y.iter_mut().enumerate().take(k) {
            let row = &self.chol[i * k..i * k + i + 1];
            *out = row.iter().zip(z).map(|(l, z)| l * z).sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_of_known_matrices() {
        // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]].
        let l = cholesky(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
        assert_eq!(l[0], 2.0);
        assert_eq!(l[1], 0.0);
        assert_eq!(l[2], 1.0);
        assert!((l[3] - 2f64.sqrt()).abs() < 1e-15);
        // Perfect correlation is singular but valid.
        let l = cholesky(&[1.0, 1.0, 1.0, 1.0], 2).unwrap();
        assert_eq!(l, vec![1.0, 0.0, 1.0, 0.0]);
        let l = cholesky(&[1.0, -1.0, -1.0, 1.0], 2).unwrap();
        assert_eq!(l, vec![1.0, 0.0, -1.0, 0.0]);
        // a~b 0.9, b~c 0.9, a~c −0.9 cannot hold together.
        let r = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert_eq!(cholesky(&r, 3), Err(2));
        // a = b exactly, but a~c differs from b~c: not semi-definite.
        let r = [1.0, 1.0, 0.5, 1.0, 1.0, 0.2, 0.5, 0.2, 1.0];
        assert!(cholesky(&r, 3).is_err());
        // Reconstructs a 3 × 3 matrix.
        let r = [1.0, 0.3, -0.2, 0.3, 1.0, 0.5, -0.2, 0.5, 1.0];
        let l = cholesky(&r, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|m| l[i * 3 + m] * l[j * 3 + m]).sum();
                assert!((v - r[i * 3 + j]).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn normal_scores_map_to_each_distribution() {
        let n = Dist::normal(10.0, 2.0).unwrap();
        assert_eq!(from_normal_score(&n, 1.5), 13.0);
        let g = Dist::gamma(2.0, 3.0).unwrap();
        // The median of the normal scores is the median of the gamma.
        let x = from_normal_score(&g, 0.0);
        assert!((g.cdf(x) - 0.5).abs() < 1e-14);
        // Extreme scores stay finite.
        assert!(from_normal_score(&g, 40.0).is_finite());
        assert!(from_normal_score(&g, -40.0) >= 0.0);
        let d = Dist::discrete(vec![1.0, 2.0], None).unwrap();
        assert_eq!(from_normal_score(&d, -0.1), 1.0);
        assert_eq!(from_normal_score(&d, 0.1), 2.0);
    }
}
