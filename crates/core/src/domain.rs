//! Where a number may lie. Every number som reads — from a scenario, a catalogue, case data or
//! the command line — is checked here, where it is read: it must be finite, at most
//! [`MAX_MAGNITUDE`] in absolute value, and inside its [`Domain`]. The cap keeps the sums of a
//! run finite in every ordinary case (a flow is a product of a few inputs over at most 200
//! years); what can still overflow (a rate near −1 compounded over 200 years) is caught when
//! the results are checked finite before anything is written (`crate::finite`).

/// The largest magnitude of any number read: 10¹⁵ (a thousand billion kroner, or persons).
pub const MAX_MAGNITUDE: f64 = 1e15;

/// The values a number may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Domain {
    #[default]
    Any,
    /// 0 or more.
    NonNegative,
    /// Above 0.
    Positive,
    /// Between 0 and 1.
    Share,
    /// Above −1 (an uplift).
    AboveMinusOne,
    /// A yearly rate (of discount, of a price index): above −50 % and at most 100 %, so that
    /// compounded over 200 years it stays a finite factor.
    Rate,
}

impl Domain {
    /// The closed hull of the domain, (lowest, highest); infinite where unbounded.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Domain::Any => (f64::NEG_INFINITY, f64::INFINITY),
            Domain::NonNegative | Domain::Positive => (0.0, f64::INFINITY),
            Domain::Share => (0.0, 1.0),
            Domain::AboveMinusOne => (-1.0, f64::INFINITY),
            Domain::Rate => (-0.5, 1.0),
        }
    }

    /// Whether the lower bound itself is excluded.
    pub fn open_below(self) -> bool {
        matches!(
            self,
            Domain::Positive | Domain::AboveMinusOne | Domain::Rate
        )
    }

    /// What is wrong with `v` as a value of this domain, if anything: not a finite number,
    /// larger than [`MAX_MAGNITUDE`] in absolute value, or outside the domain.
    pub fn check(self, v: f64) -> Option<&'static str> {
        if !v.is_finite() {
            return Some("must be a finite number");
        }
        if v.abs() > MAX_MAGNITUDE {
            return Some(
                "must be at most 10^15 (1,000,000,000,000,000) in absolute value; a larger \
                 number is a mistake, and would overflow the sums",
            );
        }
        match self {
            Domain::Any => None,
            Domain::NonNegative if v < 0.0 => Some("must be 0 or more"),
            Domain::Positive if v <= 0.0 => Some("must be above 0"),
            Domain::Share if !(0.0..=1.0).contains(&v) => Some("must be a share between 0 and 1"),
            Domain::AboveMinusOne if v <= -1.0 => Some("must be above −1"),
            Domain::Rate if !(v > -0.5 && v <= 1.0) => {
                Some("must be a yearly rate above −0.5 (−50 %) and at most 1 (100 %)")
            }
            _ => None,
        }
    }

    /// Whether every value a distribution can take (its support `lo..=hi`) is allowed.
    pub fn check_support(self, lo: f64, hi: f64) -> Option<&'static str> {
        match self {
            Domain::Any => None,
            Domain::NonNegative | Domain::Positive if lo < 0.0 => Some(
                "the input must not go below 0: use a gamma, log-normal, beta, uniform, \
                 triangular or PERT distribution",
            ),
            Domain::Positive if lo <= 0.0 && hi <= 0.0 => Some("the input must be above 0"),
            Domain::Share if lo < 0.0 || hi > 1.0 => Some(
                "a share must stay between 0 and 1: use a beta, or a uniform, triangular or \
                 PERT distribution within 0–1",
            ),
            Domain::AboveMinusOne if lo <= -1.0 => {
                Some("the input must stay above −1: use a bounded distribution")
            }
            Domain::Rate if lo <= -0.5 || hi > 1.0 => {
                Some("a yearly rate must stay above −0.5 and at most 1: use a bounded distribution")
            }
            _ => None,
        }
    }

    /// What is wrong with a distribution's mean and standard deviation, if anything: both
    /// within [`MAX_MAGNITUDE`], so that its draws stay finite.
    pub fn check_moments(self, mean: f64, sd: f64) -> Option<&'static str> {
        (!(mean.is_finite()
            && sd.is_finite()
            && mean.abs() <= MAX_MAGNITUDE
            && sd <= MAX_MAGNITUDE))
            .then_some(
                "the distribution's mean and standard deviation must be at most 10^15 in \
                 absolute value; larger draws would overflow the sums",
            )
    }

    /// `v` read from a command-line option, or the message clap shows beside it.
    pub fn parse(self, text: &str) -> Result<f64, String> {
        let v: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("expected a number, got `{text}`"))?;
        match self.check(v) {
            Some(msg) => Err(format!("{msg}, got {text}")),
            None => Ok(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_is_finite_bounded_and_in_its_domain() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Domain::Any.check(v), Some("must be a finite number"));
        }
        assert!(Domain::Any.check(1e15).is_none());
        assert!(Domain::Any.check(-1e15).is_none());
        assert!(Domain::Any.check(1.000_000_1e15).unwrap().contains("10^15"));
        assert!(Domain::NonNegative.check(1e308).unwrap().contains("10^15"));
        assert_eq!(Domain::Positive.check(0.0), Some("must be above 0"));
        assert_eq!(Domain::AboveMinusOne.check(-1.0), Some("must be above −1"));
        assert!(Domain::Rate.check(-0.6).unwrap().contains("yearly rate"));
        assert!(Domain::Rate.check(0.035).is_none());
        assert_eq!(
            Domain::Share.check(1.5),
            Some("must be a share between 0 and 1")
        );
        assert!(Domain::Share.check(1.0).is_none());
        assert_eq!(Domain::Positive.parse("2.5"), Ok(2.5));
        assert_eq!(
            Domain::Positive.parse("-5"),
            Err("must be above 0, got -5".to_string())
        );
        assert_eq!(
            Domain::Positive.parse("NaN"),
            Err("must be a finite number, got NaN".to_string())
        );
        assert!(
            Domain::Positive
                .parse("x")
                .unwrap_err()
                .contains("expected a number")
        );
        assert!(Domain::Any.check_moments(0.0, 1e16).is_some());
        assert!(Domain::Any.check_moments(1e3, 10.0).is_none());
    }
}
