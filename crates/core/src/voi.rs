//! Value of information from a Monte Carlo sample: what it would be worth to know an input (or
//! a group of inputs) before deciding. For a decision between options with net benefits
//! NB_0, NB_1, … (invest or not: NPV and 0), with θ the inputs and φ some of them:
//!
//! - EVPI  = E[max_d NB_d(θ)] − max_d E[NB_d(θ)]
//! - EVPPI(φ) = E_φ[max_d E[NB_d | φ]] − max_d E[NB_d]
//!
//! EVPI is read off the sample directly. EVPPI needs E[NB_d | φ], which the sample gives only
//! through a regression of the draws' net benefits on the drawn φ: the nonparametric
//! regression method of Strong, Oakley & Brennan (2014), "Estimating multiparameter partial
//! expected value of perfect information from a probabilistic sensitivity analysis sample: a
//! nonparametric regression approach", Medical Decision Making 34(3):311–326. Where they fit a
//! generalised additive model, som fits a least-squares cubic regression spline (knots at the
//! quartiles) of each input, and for a group the members' splines added together with their
//! pairwise products, so that the estimate is deterministic and fast (30 inputs × 10,000
//! draws in milliseconds). Its standard error is the Monte Carlo error of the outer mean over
//! the draws, given the fitted regression; the regression's own error is not in it.

/// The method, as written into `summary.json`.
pub const METHOD: &str = "regression on the draws (Strong, Oakley & Brennan 2014, Med Decis \
Making 34:311): least-squares cubic regression spline of the incremental net benefit on each \
input (knots at its quartiles); for a group, the members' splines and their pairwise products";

/// Draws needed per regression term, and at least.
const DRAWS_PER_TERM: usize = 20;
const MIN_DRAWS: usize = 500;

/// An estimate with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
}

/// EVPI of the options whose net benefits relative to the first option are `inb` (one slice
/// per further option, one value per draw): E[max(0, max_d INB_d)] − max(0, max_d E[INB_d]).
pub fn evpi(inb: &[&[f64]]) -> f64 {
    let n = inb.first().map_or(0, |v| v.len());
    if n == 0 {
        return 0.0;
    }
    let best: f64 = (0..n)
        .map(|i| inb.iter().map(|v| v[i]).fold(0.0, f64::max))
        .sum::<f64>()
        / n as f64;
    (best - best_of_means(inb)).max(0.0)
}

fn best_of_means(inb: &[&[f64]]) -> f64 {
    inb.iter()
        .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
        .fold(0.0, f64::max)
}

/// The draws the regression of a group of `members` inputs needs.
pub fn draws_needed(members: usize) -> usize {
    (DRAWS_PER_TERM * terms(members)).max(MIN_DRAWS)
}

/// Regression terms of a group of `m` inputs: six spline terms each, and the pairwise products.
fn terms(m: usize) -> usize {
    6 * m + m * m.saturating_sub(1) / 2
}

/// EVPPI of the inputs whose draws are `xs` (one slice per member of the group, one value per
/// draw) for the options of `inb` (as in [`evpi`]). `Err` with the draws needed when the sample
/// is too small for the regression.
pub fn evppi(xs: &[&[f64]], inb: &[&[f64]]) -> Result<Estimate, usize> {
    let n = inb.first().map_or(0, |v| v.len());
    let need = draws_needed(xs.len());
    if n < need {
        return Err(need);
    }
    let basis = design(xs, n);
    let fitted: Vec<Vec<f64>> = inb.iter().map(|y| fit(&basis, y)).collect();
    // max(0, max_d g_d) per draw, and its mean and standard error.
    let best: Vec<f64> = (0..n)
        .map(|i| fitted.iter().map(|g| g[i]).fold(0.0, f64::max))
        .collect();
    Ok(outer(&best, best_of_means(inb)))
}

/// The estimate from `best`, max(0, max_d g_d) per draw, and `now`, the value of deciding on
/// the means: mean(best) − now, with the Monte Carlo standard error of the mean.
fn outer(best: &[f64], now: f64) -> Estimate {
    let n = best.len();
    let mean = best.iter().sum::<f64>() / n as f64;
    let var = best.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Estimate {
        value: (mean - now).max(0.0),
        se: (var / n as f64).sqrt(),
    }
}

/// EVPPI of the inputs `xs` for investing or not at each value λ of `lambdas`, where the
/// incremental net benefit is λ·ΔE − ΔC (`de`, `dc` per draw). The regression is linear in its
/// response, so ΔE and ΔC are fitted once and their fits combined at each λ. `Err` with the
/// draws needed, as [`evppi`].
pub fn evppi_curve(
    xs: &[&[f64]],
    de: &[f64],
    dc: &[f64],
    lambdas: &[f64],
) -> Result<Vec<Estimate>, usize> {
    let n = de.len();
    let need = draws_needed(xs.len());
    if n < need || dc.len() != n {
        return Err(need);
    }
    let basis = design(xs, n);
    let (ge, gc) = (fit(&basis, de), fit(&basis, dc));
    Ok(lambdas
        .iter()
        .map(|&l| {
            let best: Vec<f64> = (0..n).map(|i| (l * ge[i] - gc[i]).max(0.0)).collect();
            let nb = (0..n).map(|i| l * de[i] - dc[i]).sum::<f64>() / n as f64;
            outer(&best, nb.max(0.0))
        })
        .collect())
}

/// The regression's columns, each centred and scaled to unit variance (constant columns are
/// left out): per member z, z², z³ and (z − q)³₊ at its quartiles q (z the member standardised),
/// then the products of the members' z two by two.
fn design(xs: &[&[f64]], n: usize) -> Vec<Vec<f64>> {
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut zs: Vec<Vec<f64>> = Vec::new();
    for x in xs {
        let m = x.iter().sum::<f64>() / n as f64;
        let sd = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64).sqrt();
        if sd <= 0.0 || !sd.is_finite() {
            continue;
        }
        let z: Vec<f64> = x.iter().map(|v| (v - m) / sd).collect();
        let mut sorted = z.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| crate::stats::quantile(&sorted, p).unwrap_or(0.0);
        cols.push(z.clone());
        cols.push(z.iter().map(|v| v * v).collect());
        cols.push(z.iter().map(|v| v * v * v).collect());
        for k in [q(0.25), q(0.5), q(0.75)] {
            cols.push(z.iter().map(|v| (v - k).max(0.0).powi(3)).collect());
        }
        zs.push(z);
    }
    for a in 0..zs.len() {
        for b in a + 1..zs.len() {
            cols.push(zs[a].iter().zip(&zs[b]).map(|(u, v)| u * v).collect());
        }
    }
    cols.into_iter()
        .filter_map(|mut c| {
            let m = c.iter().sum::<f64>() / n as f64;
            let sd = (c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64).sqrt();
            (sd > 1e-12 * (1.0 + m.abs())).then(|| {
                c.iter_mut().for_each(|v| *v = (*v - m) / sd);
                c
            })
        })
        .collect()
}

/// Fitted values of the least-squares regression of `y` on an intercept and `cols` (centred):
/// normal equations with a tiny ridge, solved by Cholesky.
fn fit(cols: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let n = y.len();
    let p = cols.len();
    let ym = y.iter().sum::<f64>() / n as f64;
    if p == 0 {
        return vec![ym; n];
    }
    let mut g = vec![0.0; p * p];
    let mut c = vec![0.0; p];
    for a in 0..p {
        for b in 0..=a {
            let s: f64 = cols[a].iter().zip(&cols[b]).map(|(u, v)| u * v).sum();
            g[a * p + b] = s / n as f64;
            g[b * p + a] = s / n as f64;
        }
        c[a] = cols[a]
            .iter()
            .zip(y)
            .map(|(u, v)| u * (v - ym))
            .sum::<f64>()
            / n as f64;
    }
    for a in 0..p {
        g[a * p + a] += 1e-9;
    }
    let beta = cholesky_solve(&mut g, p, &c);
    (0..n)
        .map(|i| ym + (0..p).map(|a| beta[a] * cols[a][i]).sum::<f64>())
        .collect()
}

/// Solve G β = c for a symmetric positive definite G (`p`×`p`, overwritten by its factor).
/// A pivot that is not positive (a column that the others explain) gets β = 0.
fn cholesky_solve(g: &mut [f64], p: usize, c: &[f64]) -> Vec<f64> {
    let mut skip = vec![false; p];
    for j in 0..p {
        let mut d = g[j * p + j];
        for k in 0..j {
            d -= g[j * p + k] * g[j * p + k];
        }
        if d <= 1e-10 {
            skip[j] = true;
            for i in j..p {
                g[i * p + j] = 0.0;
            }
            continue;
        }
        let d = d.sqrt();
        g[j * p + j] = d;
        for i in j + 1..p {
            let mut s = g[i * p + j];
            for k in 0..j {
                s -= g[i * p + k] * g[j * p + k];
            }
            g[i * p + j] = s / d;
        }
    }
    // L z = c, then Lᵀ β = z.
    let mut z = vec![0.0; p];
    for i in 0..p {
        if skip[i] {
            continue;
        }
        let mut s = c[i];
        for k in 0..i {
            s -= g[i * p + k] * z[k];
        }
        z[i] = s / g[i * p + i];
    }
    let mut beta = vec![0.0; p];
    for i in (0..p).rev() {
        if skip[i] {
            continue;
        }
        let mut s = z[i];
        for k in i + 1..p {
            s -= g[k * p + i] * beta[k];
        }
        beta[i] = s / g[i * p + i];
    }
    beta
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    /// E[max(0, Y)] for Y ~ N(m, s²): m Φ(m/s) + s φ(m/s).
    fn e_max0(m: f64, s: f64) -> f64 {
        if s == 0.0 {
            return m.max(0.0);
        }
        let z = m / s;
        let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        // Φ(z) from the regularised incomplete gamma function: P(½, z²/2) = erf(|z|/√2).
        let (p, q) = crate::special::gamma_pq(0.5, 0.5 * z * z);
        let cdf = if z >= 0.0 { 0.5 + 0.5 * p } else { 0.5 * q };
        m * cdf + s * phi
    }

    /// Net benefit a + Σ b_i X_i with X_i independent N(0, 1), drawn `n` times.
    fn linear(a: f64, b: &[f64], n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let xs: Vec<Vec<f64>> = b
            .iter()
            .map(|_| (0..n).map(|_| StandardNormal.sample(&mut rng)).collect())
            .collect();
        let y = (0..n)
            .map(|i| a + b.iter().zip(&xs).map(|(bj, x)| bj * x[i]).sum::<f64>())
            .collect();
        (xs, y)
    }

    #[test]
    fn closed_forms_of_linear_normal_net_benefit() {
        // Y = a + Σ b_i X_i: EVPI = E[max(0, Y)] − max(0, a) with Y ~ N(a, Σ b²); EVPPI of a
        // group S: E[max(0, a + Σ_S b_i X_i)] − max(0, a), a normal with variance Σ_S b².
        let (a, b) = (200.0, [300.0, 150.0, 80.0, 40.0]);
        let n = 20_000;
        let (xs, y) = linear(a, &b, n, 7);
        let exact = |s: &[usize]| {
            e_max0(a, s.iter().map(|&i| b[i] * b[i]).sum::<f64>().sqrt()) - a.max(0.0)
        };
        // EVPI from the sample: Monte Carlo error of the mean of max(0, Y).
        let all: Vec<usize> = (0..b.len()).collect();
        let sd_all = b.iter().map(|v| v * v).sum::<f64>().sqrt();
        let got = evpi(&[&y]);
        assert!(
            (got - exact(&all)).abs() < 4.0 * sd_all / (n as f64).sqrt(),
            "EVPI {got} vs {}",
            exact(&all)
        );
        for group in [
            vec![0],
            vec![1],
            vec![2],
            vec![3],
            vec![0, 1],
            vec![1, 2, 3],
        ] {
            let members: Vec<&[f64]> = group.iter().map(|&i| xs[i].as_slice()).collect();
            let e = evppi(&members, &[&y]).unwrap();
            let want = exact(&group);
            // Within four standard errors, and a regression error well under the sample's.
            let tol = 4.0 * e.se + 0.02 * exact(&all);
            assert!(
                (e.value - want).abs() < tol,
                "group {group:?}: EVPPI {} vs closed form {want} (se {})",
                e.value,
                e.se
            );
        }
    }

    #[test]
    fn a_group_is_worth_at_least_its_members_and_at_most_everything() {
        // Property over random linear and non-linear net benefits: what the estimates keep.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for case in 0..20 {
            let a: f64 = rng.random_range(-300.0..300.0);
            let b: Vec<f64> = (0..3).map(|_| rng.random_range(-200.0..200.0)).collect();
            let (xs, mut y) = linear(a, &b, 4_000, 100 + case);
            if case % 2 == 1 {
                // A kink and an interaction: no longer linear.
                for (i, v) in y.iter_mut().enumerate() {
                    *v += 80.0 * xs[0][i].max(0.0) * xs[1][i];
                }
            }
            let total = evpi(&[&y]);
            let one = |i: usize| evppi(&[&xs[i]], &[&y]).unwrap().value;
            let pair = evppi(&[&xs[0], &xs[1]], &[&y]).unwrap();
            let all = evppi(&[&xs[0], &xs[1], &xs[2]], &[&y]).unwrap();
            for e in [one(0), one(1), one(2), pair.value, all.value] {
                assert!(
                    e >= 0.0 && e <= total + 4.0 * all.se,
                    "case {case}: {e} > EVPI {total}"
                );
            }
            for (g, members) in [(pair.value, vec![0, 1]), (all.value, vec![0, 1, 2])] {
                for m in members {
                    assert!(
                        g >= one(m) - 4.0 * pair.se.max(all.se),
                        "case {case}: group {g} < member {m}: {}",
                        one(m)
                    );
                }
            }
        }
    }

    #[test]
    fn too_few_draws_say_how_many_are_needed() {
        let (xs, y) = linear(0.0, &[1.0, 1.0], 300, 1);
        assert_eq!(evppi(&[&xs[0]], &[&y]), Err(500));
        // Five members: 6 × 5 spline terms and 10 products, 20 draws each.
        let (xs, y) = linear(0.0, &[1.0; 5], 600, 1);
        let members: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
        assert_eq!(evppi(&members, &[&y]), Err(20 * (30 + 10)));
    }

    #[test]
    fn an_input_that_does_not_matter_is_worth_nothing_and_certainty_is_worth_nothing() {
        let (xs, y) = linear(50.0, &[100.0, 0.0], 5_000, 3);
        let e = evppi(&[&xs[1]], &[&y]).unwrap();
        assert!(e.value < 4.0 * e.se + 1.0, "{e:?}");
        // Every draw positive: the decision never changes.
        let y: Vec<f64> = y.iter().map(|v| v.abs() + 1.0).collect();
        assert_eq!(evpi(&[&y]), 0.0);
        assert!(evppi(&[&xs[0]], &[&y]).unwrap().value < 1e-9);
    }

    #[test]
    fn a_curve_over_values_is_the_evppi_at_each_value() {
        // ΔE = X₁ + noise, ΔC = 100 + 50 X₂: at λ the INB is λ ΔE − ΔC.
        let (xs, de) = linear(1.0, &[1.0, 0.0, 0.5], 5_000, 9);
        let (_, noise) = linear(0.0, &[30.0], 5_000, 10);
        let dc: Vec<f64> = xs[1]
            .iter()
            .zip(&noise)
            .map(|(x, e)| 100.0 + 50.0 * x + e)
            .collect();
        let lambdas = [0.0, 50.0, 100.0, 200.0];
        let curve = evppi_curve(&[&xs[0]], &de, &dc, &lambdas).unwrap();
        for (l, c) in lambdas.iter().zip(&curve) {
            let inb: Vec<f64> = de.iter().zip(&dc).map(|(e, c)| l * e - c).collect();
            let one = evppi(&[&xs[0]], &[&inb]).unwrap();
            assert!(
                (c.value - one.value).abs() < 1e-6 * (1.0 + one.value),
                "λ {l}"
            );
        }
        assert!(evppi_curve(&[&xs[0]], &de[..100], &dc[..100], &lambdas).is_err());
    }

    #[test]
    fn several_options_take_the_best_at_each_draw() {
        // Three options: 0, INB_1 = X, INB_2 = −X (by the sign of X the best is 1 or 2):
        // EVPPI(X) = EVPI = E|X| = √(2/π) for X ~ N(0, 1).
        let (xs, y) = linear(0.0, &[1.0], 20_000, 5);
        let neg: Vec<f64> = y.iter().map(|v| -v).collect();
        let want = (2.0 / std::f64::consts::PI).sqrt();
        assert!((evpi(&[&y, &neg]) - want).abs() < 0.03);
        let e = evppi(&[&xs[0]], &[&y, &neg]).unwrap();
        assert!((e.value - want).abs() < 0.03, "{e:?}");
    }
}
