//! Parsers for values as they arrive from municipal systems: numbers in Danish or English
//! notation, dates in Danish or ISO order, year-months, booleans and sex codes.
//!
//! Each parser takes the raw text of one cell and returns the value or `None`; the caller turns
//! `None` into a diagnostic that names file, row and column.

/// How decimal numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalMark {
    /// `1.234,50` (Danish).
    Comma,
    /// `1,234.50` (English).
    Point,
}

/// Parse a number under a decimal convention. Thousands separators, spaces, a leading `+`, a
/// trailing `kr.` and a minus written as `−` are accepted.
pub fn number(s: &str, mark: DecimalMark) -> Option<f64> {
    let t = s.trim();
    let t = t
        .strip_suffix("kr.")
        .or_else(|| t.strip_suffix("kr"))
        .unwrap_or(t)
        .trim();
    if t.is_empty() {
        return None;
    }
    let (thousands, decimal) = match mark {
        DecimalMark::Comma => ('.', ','),
        DecimalMark::Point => (',', '.'),
    };
    let mut out = String::with_capacity(t.len());
    let mut seen_decimal = false;
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '-' | '−' if i == 0 => out.push('-'),
            '+' if i == 0 => {}
            ' ' | '\u{a0}' | '\'' => {}
            c if c == thousands && !seen_decimal => {}
            c if c == decimal && !seen_decimal => {
                seen_decimal = true;
                out.push('.');
            }
            'e' | 'E' => out.push('e'),
            _ => return None,
        }
    }
    out.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Guess the decimal mark from sample values: `1.234,50` or `12,5` say comma; `1,234.50` or
/// `12.5` say point. Returns `None` when the sample does not tell (integers only).
pub fn guess_decimal<'a>(samples: impl Iterator<Item = &'a str>) -> Option<DecimalMark> {
    let (mut comma, mut point) = (0usize, 0usize);
    for s in samples {
        let s = s.trim();
        let last_comma = s.rfind(',');
        let last_point = s.rfind('.');
        match (last_comma, last_point) {
            (Some(c), Some(p)) if c > p => comma += 1,
            (Some(_), Some(_)) => point += 1,
            // "12,5" or "1,25": a comma with one, two or four-plus digits after is a decimal comma.
            (Some(c), None) if s.len() - c - 1 != 3 => comma += 1,
            (None, Some(p)) if s.len() - p - 1 != 3 => point += 1,
            _ => {}
        }
    }
    match comma.cmp(&point) {
        std::cmp::Ordering::Greater => Some(DecimalMark::Comma),
        std::cmp::Ordering::Less => Some(DecimalMark::Point),
        std::cmp::Ordering::Equal => None,
    }
}

/// A calendar date as (year, month, day).
pub type Ymd = (i32, u32, u32);

/// Days in a month (proleptic Gregorian).
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// The years a date or period of case data may fall in (as a birth year).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

fn valid(y: i32, m: u32, d: u32) -> Option<Ymd> {
    (YEARS.contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m))
        .then_some((y, m, d))
}

/// Parse a date: `YYYY-MM-DD`, `DD-MM-YYYY`, `DD.MM.YYYY` or `DD/MM/YYYY` (an ISO date-time's
/// time part is ignored).
pub fn date(s: &str) -> Option<Ymd> {
    let t = s.trim();
    let t = t.split(['T', ' ']).next().unwrap_or(t);
    let parts: Vec<&str> = t.split(['-', '.', '/']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |p: &str| p.parse::<u32>().ok();
    if parts[0].len() == 4 {
        valid(n(parts[0])? as i32, n(parts[1])?, n(parts[2])?)
    } else if parts[2].len() == 4 {
        valid(n(parts[2])? as i32, n(parts[1])?, n(parts[0])?)
    } else {
        None
    }
}

/// A period: a date, or a year-month (`YYYY-MM`, `MM-YYYY`, `YYYYMM`). Returns (year, month).
pub fn period(s: &str) -> Option<(i32, u32)> {
    if let Some((y, m, _)) = date(s) {
        return Some((y, m));
    }
    let t = s.trim();
    let parts: Vec<&str> = t.split(['-', '.', '/']).collect();
    let n = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    let (y, m) = match parts.as_slice() {
        [a, b] if a.len() == 4 => (n(a)?, n(b)?),
        [a, b] if b.len() == 4 => (n(b)?, n(a)?),
        // Digits only before slicing by byte: `5,5ät` is six bytes too (found by fuzzing).
        [a] if a.len() == 6 && a.bytes().all(|b| b.is_ascii_digit()) => (n(&a[..4])?, n(&a[4..])?),
        _ => return None,
    };
    (YEARS.contains(&(y as i32)) && (1..=12).contains(&m)).then_some((y as i32, m))
}

/// Parse a boolean: 1/0, true/false, ja/nej, yes/no, j/n, y/n, x/empty is not accepted.
pub fn boolean(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "1" | "true" | "ja" | "yes" | "j" | "y" | "sand" => Some(true),
        "0" | "false" | "nej" | "no" | "n" | "falsk" => Some(false),
        _ => None,
    }
}

/// Parse a sex code: F/M, K (kvinde) → F, also the words.
pub fn sex(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "f" | "k" | "kvinde" | "female" | "woman" | "2" => Some("F"),
        "m" | "mand" | "male" | "man" | "1" => Some("M"),
        _ => None,
    }
}

/// Fold a header for matching: lower case, without spaces, `-`, `_` and `.`, with æ/ø/å kept.
pub fn fold_header(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_and_english_numbers() {
        use DecimalMark::*;
        assert_eq!(number("1.234,50", Comma), Some(1234.5));
        assert_eq!(number("-1.200,00", Comma), Some(-1200.0));
        assert_eq!(number("−75,25 kr.", Comma), Some(-75.25));
        assert_eq!(number("12326", Comma), Some(12326.0));
        assert_eq!(number("1,234.50", Point), Some(1234.5));
        assert_eq!(number("39166.67", Point), Some(39166.67));
        assert_eq!(number("tre", Comma), None);
        assert_eq!(number("", Point), None);
        assert_eq!(number("1,2,3", Comma), None);
    }

    #[test]
    fn decimal_mark_is_guessed_from_values() {
        assert_eq!(
            guess_decimal(["1.234,50", "12,5"].into_iter()),
            Some(DecimalMark::Comma)
        );
        assert_eq!(
            guess_decimal(["1,234.50", "0.25"].into_iter()),
            Some(DecimalMark::Point)
        );
        assert_eq!(guess_decimal(["100", "2000"].into_iter()), None);
    }

    #[test]
    fn dates_in_danish_and_iso_order() {
        assert_eq!(date("31-12-2021"), Some((2021, 12, 31)));
        assert_eq!(date("01.02.2020"), Some((2020, 2, 1)));
        assert_eq!(date("2020-02-29"), Some((2020, 2, 29)));
        assert_eq!(date("2021-02-29"), None);
        assert_eq!(date("31-02-2021"), None);
        assert_eq!(date("2021-03-01T00:00:00"), Some((2021, 3, 1)));
        assert_eq!(date("March 1"), None);
    }

    #[test]
    fn periods_and_flags() {
        assert_eq!(period("2021-03"), Some((2021, 3)));
        assert_eq!(period("03-2021"), Some((2021, 3)));
        assert_eq!(period("202103"), Some((2021, 3)));
        assert_eq!(period("15-03-2021"), Some((2021, 3)));
        assert_eq!(period("2021-13"), None);
        // Six bytes that are not six digits, a character cut by a byte index before.
        assert_eq!(period("5,5ät"), None);
        assert_eq!(period("2021ä"), None);
        assert_eq!(boolean("Ja"), Some(true));
        assert_eq!(boolean("nej"), Some(false));
        assert_eq!(boolean("maybe"), None);
        assert_eq!(sex("K"), Some("F"));
        assert_eq!(fold_header("Fødsels_år "), "fødselsår");
    }
}
