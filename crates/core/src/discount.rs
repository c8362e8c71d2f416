//! Discount factors from a schedule and a timing convention.
//!
//! A schedule gives the rate r(u) of the period that ends in year u (u ≥ 1). The factor for a
//! flow discounted p whole periods is D(p) = Π_{u=1..p} 1 / (1 + r(u)), so a band's rate applies
//! to the years inside it, cumulatively (HM Treasury Green Book and Finansministeriet practice).
//! The timing convention says how many periods a flow in projection year t is discounted:
//! `start` t (year 0 undiscounted), `mid` t + ½, `end` t + 1.

use crate::scenario::Timing;

/// Discount factor after `p` whole periods under the rate function `rate(u)`.
pub fn factor_whole(rate: &dyn Fn(u32) -> f64, p: u32) -> f64 {
    let mut f = 1.0;
    for u in 1..=p {
        f /= 1.0 + rate(u);
    }
    f
}

/// Discount factors for projection years 0..horizon under a timing convention.
pub fn factors(rate: &dyn Fn(u32) -> f64, horizon: u32, timing: Timing) -> Vec<f64> {
    let mut out = Vec::with_capacity(horizon as usize);
    let mut whole = 1.0; // D(t)
    for t in 0..horizon {
        if t > 0 {
            whole /= 1.0 + rate(t);
        }
        let f = match timing {
            Timing::Start => whole,
            Timing::Mid => whole / (1.0 + rate(t + 1)).sqrt(),
            Timing::End => whole / (1.0 + rate(t + 1)),
        };
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn green_book(u: u32) -> f64 {
        match u {
            0..=30 => 0.035,
            31..=75 => 0.03,
            76..=125 => 0.025,
            126..=200 => 0.02,
            201..=300 => 0.015,
            _ => 0.01,
        }
    }

    #[test]
    fn green_book_check_figures() {
        // HM Treasury, The Green Book (2022): 3.5 % in years 0–30, 3.0 % in 31–75, …,
        // applied cumulatively, year 0 undiscounted; factors computed by hand from those rates.
        let f = factors(&green_book, 101, Timing::Start);
        for (year, want) in [
            (1, 0.966184),
            (10, 0.708919),
            (30, 0.356278),
            (31, 0.345901),
            (50, 0.197263),
            (75, 0.094214),
            (76, 0.091916),
            (100, 0.050818),
        ] {
            assert!(
                (f[year] - want).abs() < 5e-7,
                "year {year}: {} vs {want}",
                f[year]
            );
        }
        assert_eq!(f[0], 1.0);
    }

    #[test]
    fn timing_conventions_shift_by_half_and_whole_periods() {
        let r = |_| 0.04;
        let s = factors(&r, 5, Timing::Start);
        let m = factors(&r, 5, Timing::Mid);
        let e = factors(&r, 5, Timing::End);
        for t in 0..5 {
            assert!((e[t] - s[t] / 1.04).abs() < 1e-15);
            assert!((m[t] - s[t] / 1.04f64.sqrt()).abs() < 1e-15);
        }
        assert!((factor_whole(&r, 3) - 1.04f64.powi(-3)).abs() < 1e-15);
    }
}
