//! Deterministic sensitivity analysis: one-way sensitivity (the tornado) and switching values.
//!
//! Both move one input at a time from its base value, all else at base, and evaluate the
//! variants as rows of θ in one batch through the array engine ([`Model::evaluate`] and
//! [`crate::metrics::batch`]), so that they are exactly the numbers a run with those inputs
//! would give.

use crate::metrics::{Draws, batch};
use crate::model::Model;
use ndarray::Array2;
use serde::Serialize;

/// The NPV of one group at an input's low and high value.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupSwing {
    pub id: String,
    pub npv_low: f64,
    pub npv_high: f64,
}

/// Where a tornado bar's low and high values come from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RangeFrom {
    /// The quantiles of the input's distribution at the run's interval.
    Quantiles,
    /// `[[sensitivity.range]]` in the scenario.
    Given,
}

/// One input of the tornado: the total NPV (and each actor's and department's) with the input
/// at its low and at its high value, everything else at base values.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bar {
    pub input: String,
    pub base: f64,
    pub low: f64,
    pub high: f64,
    pub range_from: RangeFrom,
    pub npv_low: f64,
    pub npv_high: f64,
    /// |npv_high − npv_low|: the bars are sorted by it, widest first.
    pub swing: f64,
    pub by_actor: Vec<GroupSwing>,
    pub by_department: Vec<GroupSwing>,
}

/// Whether a switching value was found.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SwitchStatus {
    /// The total NPV is 0 at `value`.
    Found,
    /// The total NPV keeps one sign over the whole range searched.
    NoneInRange,
}

/// The value of one input at which the total NPV is 0, everything else at base values.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SwitchingValue {
    pub input: String,
    pub base: f64,
    /// Total NPV at base values.
    pub base_npv: f64,
    pub status: SwitchStatus,
    /// The switching value nearest to the base value; null when there is none in the range.
    pub value: Option<f64>,
    /// `value − base`.
    pub distance: Option<f64>,
    /// `(value − base) / |base|`; null when the base value is 0.
    pub relative_distance: Option<f64>,
    /// The range searched: the input's allowed values, or, where unbounded, out to 2³² times the
    /// base value's magnitude (at least 1).
    pub searched: (f64, f64),
    /// Total NPV at the two ends of the range searched.
    pub npv_at_ends: (f64, f64),
    /// Times the NPV changes sign on the search grid; more than 1 means NPV is not monotone in
    /// the input and `value` is the crossing nearest to the base value.
    pub crossings: usize,
}

/// The sensitivity block of a summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sensitivity {
    /// Lower and upper quantiles for the tornado's default ranges.
    pub interval: (f64, f64),
    /// Total NPV at base values.
    pub base_npv: f64,
    /// One bar per uncertain input and per input given a range, widest swing first; empty (and
    /// left out) when every input is fixed and no range is given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tornado: Vec<Bar>,
    pub switching_values: Vec<SwitchingValue>,
    /// Two-way grids the scenario asks for (`[[sensitivity.two_way]]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub two_way: Vec<TwoWay>,
}

/// The total NPV over a grid of two inputs, everything else at base values.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TwoWay {
    /// The inputs along `x` and `y`, by field path.
    pub inputs: [String; 2],
    pub base: [f64; 2],
    /// Grid values of the first input, evenly spaced over its tornado range.
    pub x: Vec<f64>,
    /// Grid values of the second input.
    pub y: Vec<f64>,
    /// Total NPV at (x[i], y[k]): `npv[i][k]`.
    pub npv: Vec<Vec<f64>>,
    /// The threshold line: for each x[i], the value of the second input at which the total NPV
    /// is 0 (linear between the grid points around the first sign change along `y`), null where
    /// the NPV keeps one sign over the grid.
    pub threshold: Vec<Option<f64>>,
}

/// Metrics of θ rows that are the base values with one slot changed per row.
fn variants(model: &Model, rows: &[(usize, f64)]) -> Draws {
    let mut theta = Array2::from_shape_fn((rows.len(), model.params.len()), |(_, j)| {
        model.params[j].value
    });
    for (r, &(j, v)) in rows.iter().enumerate() {
        theta[[r, j]] = v;
    }
    let flows = model.evaluate(theta.view());
    batch(model, &flows, theta.view())
}

/// The low and high value of slot `j` in the tornado: its `[[sensitivity.range]]`, else its
/// distribution's quantiles at `interval`.
fn range_of(model: &Model, j: usize, interval: (f64, f64)) -> Option<(f64, f64, RangeFrom)> {
    if let Some(&(_, low, high)) = model.ranges.iter().find(|r| r.0 == j) {
        return Some((low, high, RangeFrom::Given));
    }
    let d = model.params[j].dist.as_ref()?;
    Some((
        d.quantile(interval.0)?,
        d.quantile(interval.1)?,
        RangeFrom::Quantiles,
    ))
}

/// The two-way grid of slots `a` and `b` with `steps` points each, over their tornado ranges.
pub fn two_way(
    model: &Model,
    a: usize,
    b: usize,
    steps: usize,
    interval: (f64, f64),
) -> Option<TwoWay> {
    let (xl, xh, _) = range_of(model, a, interval)?;
    let (yl, yh, _) = range_of(model, b, interval)?;
    let grid = |lo: f64, hi: f64| -> Vec<f64> {
        (0..steps)
            .map(|i| lo + (hi - lo) * i as f64 / (steps - 1) as f64)
            .collect()
    };
    let (x, y) = (grid(xl, xh), grid(yl, yh));
    let mut theta = Array2::from_shape_fn((steps * steps, model.params.len()), |(_, j)| {
        model.params[j].value
    });
    for (i, &xv) in x.iter().enumerate() {
        for (k, &yv) in y.iter().enumerate() {
            theta[[i * steps + k, a]] = xv;
            theta[[i * steps + k, b]] = yv;
        }
    }
    let flows = model.evaluate(theta.view());
    let m = batch(model, &flows, theta.view());
    let npv: Vec<Vec<f64>> = (0..steps)
        .map(|i| m.total.npv[i * steps..][..steps].to_vec())
        .collect();
    let threshold = npv
        .iter()
        .map(|row| {
            row.windows(2).zip(y.windows(2)).find_map(|(v, yy)| {
                if v[0] == 0.0 {
                    Some(yy[0])
                } else if v[1] == 0.0 {
                    Some(yy[1])
                } else if v[0] * v[1] < 0.0 {
                    Some(yy[0] + (yy[1] - yy[0]) * v[0] / (v[0] - v[1]))
                } else {
                    None
                }
            })
        })
        .collect();
    Some(TwoWay {
        inputs: [model.params[a].name.clone(), model.params[b].name.clone()],
        base: [model.params[a].value, model.params[b].value],
        x,
        y,
        npv,
        threshold,
    })
}

/// The tornado: every uncertain input at its distribution's quantiles `interval`, and every
/// input given a range in the scenario at its low and high value.
pub fn tornado(model: &Model, interval: (f64, f64)) -> Vec<Bar> {
    let mut inputs: Vec<(usize, f64, f64, RangeFrom)> = Vec::new();
    for (j, slot) in model.params.iter().enumerate() {
        if let Some(&(_, low, high)) = model.ranges.iter().find(|r| r.0 == j) {
            inputs.push((j, low, high, RangeFrom::Given));
        } else if let Some(d) = &slot.dist
            && let (Some(low), Some(high)) = (d.quantile(interval.0), d.quantile(interval.1))
        {
            inputs.push((j, low, high, RangeFrom::Quantiles));
        }
    }
    if inputs.is_empty() {
        return Vec::new();
    }
    let rows: Vec<(usize, f64)> = inputs
        .iter()
        .flat_map(|&(j, low, high, _)| [(j, low), (j, high)])
        .collect();
    let m = variants(model, &rows);
    let swings = |groups: &[crate::metrics::GroupDraws], i: usize| -> Vec<GroupSwing> {
        groups
            .iter()
            .map(|g| GroupSwing {
                id: g.id.clone(),
                npv_low: g.npv[2 * i],
                npv_high: g.npv[2 * i + 1],
            })
            .collect()
    };
    let mut bars: Vec<Bar> = inputs
        .iter()
        .enumerate()
        .map(|(i, &(j, low, high, range_from))| {
            let (npv_low, npv_high) = (m.total.npv[2 * i], m.total.npv[2 * i + 1]);
            Bar {
                input: model.params[j].name.clone(),
                base: model.params[j].value,
                low,
                high,
                range_from,
                npv_low,
                npv_high,
                swing: (npv_high - npv_low).abs(),
                by_actor: swings(&m.by_actor, i),
                by_department: swings(&m.by_department, i),
            }
        })
        .collect();
    // Widest first; a stable sort keeps the inputs' order among equal swings.
    bars.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    bars
}

/// Points of the search grid on each side of the base value.
const GRID: usize = 64;

/// Grid points from `base` towards `bound` (exclusive of `base`): evenly spaced to a closed
/// finite bound, halving the distance (by √2 a step) to an open one, and doubling outwards
/// (by √2 a step, to 2³² times `scale`) where unbounded.
fn side(base: f64, bound: f64, open: bool, scale: f64, dir: f64) -> Vec<f64> {
    if bound.is_finite() && (bound - base) * dir <= 0.0 {
        return Vec::new();
    }
    (1..=GRID)
        .map(|i| {
            let i = i as f64;
            if !bound.is_finite() {
                base + dir * scale * (2f64.powf(i / 2.0) - 1.0)
            } else if open {
                bound + (base - bound) * 2f64.powf(-i / 2.0)
            } else {
                base + (bound - base) * i / GRID as f64
            }
        })
        .collect()
}

/// The switching value of θ slot `j`: where the total NPV is 0 with every other input at base.
/// The input's range is scanned on a grid evaluated as one batch; the sign change nearest to
/// the base value is then refined with Brent's method on the model itself.
pub fn switching_value(model: &Model, j: usize) -> SwitchingValue {
    let slot = &model.params[j];
    let base = slot.value;
    let (lo, hi) = slot.domain.bounds();
    let scale = base.abs().max(1.0);
    let mut xs = side(base, lo, slot.domain.open_below(), scale, -1.0);
    xs.reverse();
    xs.push(base);
    xs.extend(side(base, hi, false, scale, 1.0));
    let rows: Vec<(usize, f64)> = xs.iter().map(|&x| (j, x)).collect();
    let npv = variants(model, &rows).total.npv;
    let b = xs.iter().position(|&x| x == base).unwrap_or(0);
    let base_npv = npv[b];
    // Brackets [i, i + 1] where the NPV changes sign or is 0 at an end.
    let brackets: Vec<usize> = (0..xs.len().saturating_sub(1))
        .filter(|&i| {
            let (a, c) = (npv[i], npv[i + 1]);
            (a <= 0.0 && c >= 0.0) || (a >= 0.0 && c <= 0.0)
        })
        .collect();
    let crossings = (0..xs.len().saturating_sub(1))
        .filter(|&i| (npv[i] < 0.0 && npv[i + 1] > 0.0) || (npv[i] > 0.0 && npv[i + 1] < 0.0))
        .count();
    let nearest = brackets.iter().copied().min_by(|&p, &q| {
        let d = |i: usize| (xs[i] - base).abs().min((xs[i + 1] - base).abs());
        d(p).total_cmp(&d(q))
    });
    let value = nearest.map(|i| {
        if npv[i] == 0.0 {
            xs[i]
        } else if npv[i + 1] == 0.0 {
            xs[i + 1]
        } else {
            let f = |x: f64| variants(model, &[(j, x)]).total.npv[0];
            brent(f, xs[i], xs[i + 1], npv[i], npv[i + 1])
        }
    });
    let last = xs.len() - 1;
    SwitchingValue {
        input: slot.name.clone(),
        base,
        base_npv,
        status: if value.is_some() {
            SwitchStatus::Found
        } else {
            SwitchStatus::NoneInRange
        },
        value,
        distance: value.map(|v| v - base),
        relative_distance: value
            .filter(|_| base != 0.0)
            .map(|v| (v - base) / base.abs()),
        searched: (xs[0], xs[last]),
        npv_at_ends: (npv[0], npv[last]),
        crossings: crossings.max(usize::from(value.is_some())),
    }
}

/// A root of `f` in [`a`, `b`], where `fa` and `fb` differ in sign: Brent's method (inverse
/// quadratic interpolation, secant and bisection; Brent 1973, `zero`), to the precision of f64.
pub fn brent(f: impl Fn(f64) -> f64, a: f64, b: f64, fa: f64, fb: f64) -> f64 {
    let (mut a, mut b, mut fa, mut fb) = (a, b, fa, fb);
    let mut c = a;
    let mut fc = fa;
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) && fb != 0.0 && fc != 0.0 {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs();
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return b;
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol {
            d
        } else if m > 0.0 {
            tol
        } else {
            -tol
        };
        fb = f(b);
    }
    b
}

/// The sensitivity analysis of a run: the tornado at `interval` and the switching values of
/// the success rate, the scenario's `[sensitivity] switching` inputs and `extra` (θ slots).
pub fn analyse(model: &Model, interval: (f64, f64), extra: &[usize]) -> Sensitivity {
    let mut slots: Vec<usize> = model.success_rate.into_iter().collect();
    for &j in model.switching.iter().chain(extra) {
        if !slots.contains(&j) {
            slots.push(j);
        }
    }
    // Base values: any slot "changed" to its own value.
    let base_npv = match model.params.first() {
        Some(p) => variants(model, &[(0, p.value)]).total.npv[0],
        None => 0.0,
    };
    Sensitivity {
        interval,
        base_npv,
        tornado: tornado(model, interval),
        switching_values: slots.iter().map(|&j| switching_value(model, j)).collect(),
        two_way: model
            .two_way
            .iter()
            .filter_map(|&(a, b, steps)| two_way(model, a, b, steps, interval))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_roots_to_full_precision() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0, -2.0, 2.0);
        assert!((r - 2f64.sqrt()).abs() <= 4.0 * f64::EPSILON);
        let r = brent(|x| x.cos() - x, 0.0, 1.0, 1.0, 1f64.cos() - 1.0);
        assert!((r.cos() - r).abs() < 1e-15);
        // A steep, nonlinear function.
        let f = |x: f64| (-(x / 3.0)).exp() * 1e6 - 2e5;
        let r = brent(f, 0.0, 100.0, f(0.0), f(100.0));
        assert!((r - 3.0 * 5f64.ln()).abs() < 1e-13);
    }

    #[test]
    fn grid_sides_stay_in_the_domain() {
        let s = side(0.3, 1.0, false, 1.0, 1.0);
        assert_eq!(s.len(), GRID);
        assert!((s[GRID - 1] - 1.0).abs() < 1e-15);
        let s = side(4.0, 0.0, true, 4.0, -1.0);
        assert!(s.iter().all(|&x| x > 0.0 && x < 4.0));
        let s = side(4.0, f64::INFINITY, false, 4.0, 1.0);
        assert!(s[GRID - 1] > 4.0 * 2f64.powi(31));
        assert!(side(0.0, 0.0, false, 1.0, -1.0).is_empty());
    }
}
