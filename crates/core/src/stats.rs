//! Summary statistics of numbers over draws: mean, standard deviation, median and interval
//! quantiles (type 7, as R and NumPy default), with undefined (NaN) draws left out and counted.

use serde::Serialize;

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
