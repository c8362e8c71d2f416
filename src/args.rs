//! The numbers of the command line, checked where they are read: each parser gives clap the
//! message it shows beside the option (`error: invalid value '-1' for '--draws <N>': …`).
//! Negative numbers reach the parsers (`allow_negative_numbers`), so that `--draws -1` is
//! told what is allowed rather than taken for an unknown option.

use engine::domain::Domain;

/// A whole number from `lo` to `hi`, or the message saying so.
fn whole(text: &str, lo: u64, hi: u64, what: &str) -> Result<u64, String> {
    let t = text.trim().replace('_', "");
    match t.parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected a whole number of {what} from {} to {}, got `{text}`",
            thousands(lo),
            thousands(hi)
        )),
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `--draws`: 0 (a deterministic run) to `montecarlo::MAX_DRAWS`; the run then checks the
/// memory they need for the scenario.
pub fn draws(text: &str) -> Result<usize, String> {
    let max = engine::montecarlo::MAX_DRAWS as u64;
    whole(text, 0, max, "draws").map(|v| v as usize)
}

/// The most bootstrap replicates an estimation may ask for.
pub const MAX_REPLICATES: u64 = 100_000;

/// `--replicates`: 100 to [`MAX_REPLICATES`], as a study's `[bootstrap] replicates`.
pub fn replicates(text: &str) -> Result<usize, String> {
    whole(text, 100, MAX_REPLICATES, "replicates").map(|v| v as usize)
}

/// `--payback-within`: 0 to 200 years (the longest horizon).
pub fn years(text: &str) -> Result<u32, String> {
    whole(text, 0, 200, "years").map(|v| v as u32)
}

/// A number above 0 (`--reference-population`): finite, at most 10^15.
pub fn positive(text: &str) -> Result<f64, String> {
    Domain::Positive.parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_the_command_line() {
        assert_eq!(draws("10000"), Ok(10_000));
        assert_eq!(draws("0"), Ok(0));
        assert_eq!(
            draws("-1"),
            Err("expected a whole number of draws from 0 to 10,000,000, got `-1`".into())
        );
        assert!(draws("1000000000000").is_err());
        assert!(draws("1e4").is_err());
        assert_eq!(replicates("1000"), Ok(1000));
        assert!(replicates("0").is_err());
        assert!(replicates("99").is_err());
        assert_eq!(positive("5000"), Ok(5000.0));
        assert!(positive("NaN").unwrap_err().contains("finite"));
        assert!(positive("-5").unwrap_err().contains("above 0"));
    }
}
