//! The list of municipalities a comparison runs over, with each one's overrides: a CSV file
//! with a header row.
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `code` | yes | three-digit municipality code (kommunekode), e.g. 751 |
//! | `name`, `region` | no | taken from the bundled list of the 98 municipalities when left out |
//! | `price_factor` | no | every unit price of the catalogue × this (the municipality's price level; default 1) |
//! | `participants` | no | the municipality's participants over all the scenario's cohorts (the cohorts are scaled to it) |
//! | `population` | no | its population; the cohorts are scaled by population ÷ the reference population given to the command |
//! | `departments` | no | a department map of its own (TOML, path relative to the list file) |
//!
//! `participants` and `population` exclude each other in one row. Blank cells mean "not given".

use crate::error::{Diagnostic, Error, Result};
use crate::source::Source;

/// A municipality and what differs there from the scenario as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub code: u16,
    pub name: String,
    pub region: String,
    pub price_factor: f64,
    pub participants: Option<f64>,
    pub population: Option<f64>,
    /// Department map file, as written (relative to the list file).
    pub departments: Option<String>,
    /// 1-based line in the list file, for errors.
    pub line: usize,
}

const COLUMNS: [&str; 7] = [
    "code",
    "name",
    "region",
    "price_factor",
    "participants",
    "population",
    "departments",
];

fn diag(src: &Source, line: usize, field: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: src.name.clone(),
        line: Some(line),
        column: None,
        field: field.into(),
        row: (line > 1).then_some(line - 1),
        message,
    }
}

/// Split one CSV line on `sep`, honouring double quotes.
fn split(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

/// The bundled list of the 98 municipalities (code, name, region), no overrides.
pub fn bundled() -> Result<Vec<Entry>> {
    let (name, text) = crate::builtin::MUNICIPALITIES;
    parse(&Source::new(name, text), &[])
}

/// Parse a list file. `known` (code, name, region) fills in names and regions left out.
pub fn parse(src: &Source, known: &[Entry]) -> Result<Vec<Entry>> {
    let mut lines = src
        .text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(Error::Invalid(vec![diag(
            src,
            1,
            "",
            "the file is empty; expected a header row with at least `code`".into(),
        )]));
    };
    let sep = if header.contains(';') && !header.contains(',') {
        ';'
    } else {
        ','
    };
    let head = split(header, sep);
    let mut problems = Vec::new();
    for h in &head {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(diag(
                src,
                1,
                h,
                format!(
                    "unknown column `{h}`; expected some of: {}",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    let col = |name: &str| head.iter().position(|h| h == name);
    let Some(code_col) = col("code") else {
        problems.push(diag(
            src,
            1,
            "code",
            "no `code` column: every row needs the municipality's three-digit code".into(),
        ));
        return Err(Error::Invalid(problems));
    };
    let mut out: Vec<Entry> = Vec::new();
    for (line, text) in lines {
        let cells = split(text, sep);
        let cell = |name: &str| {
            col(name)
                .and_then(|i| cells.get(i))
                .map(|s| s.as_str())
                .filter(|s| !s.is_empty())
        };
        let raw = cells.get(code_col).map(|s| s.as_str()).unwrap_or("");
        let code = match raw.parse::<u16>() {
            Ok(c) if (101..=999).contains(&c) => c,
            _ => {
                problems.push(diag(
                    src,
                    line,
                    "code",
                    format!("is `{raw}`; expected a three-digit municipality code such as 751"),
                ));
                continue;
            }
        };
        if out.iter().any(|e| e.code == code) {
            problems.push(diag(
                src,
                line,
                "code",
                format!("municipality {code} is listed twice"),
            ));
            continue;
        }
        let mut number = |name: &str, positive: bool| -> Option<f64> {
            let v = cell(name)?;
            match v.replace(',', ".").parse::<f64>() {
                Ok(x)
                    if x.is_finite()
                        && x <= crate::domain::MAX_MAGNITUDE
                        && (x > 0.0 || (!positive && x >= 0.0)) =>
                {
                    Some(x)
                }
                _ => {
                    problems.push(diag(
                        src,
                        line,
                        name,
                        format!(
                            "is `{v}`; expected a number {} and at most 10^15",
                            if positive { "above 0" } else { "of 0 or more" }
                        ),
                    ));
                    None
                }
            }
        };
        let price_factor = number("price_factor", true).unwrap_or(1.0);
        let participants = number("participants", false);
        let population = number("population", true);
        if participants.is_some() && population.is_some() {
            problems.push(diag(
                src,
                line,
                "participants",
                "give `participants` or `population`, not both: each sets the size of the \
                 municipality's cohorts"
                    .into(),
            ));
        }
        let k = known.iter().find(|e| e.code == code);
        let name = cell("name")
            .map(String::from)
            .or_else(|| k.map(|k| k.name.clone()))
            .unwrap_or_else(|| code.to_string());
        let region = cell("region")
            .map(String::from)
            .or_else(|| k.map(|k| k.region.clone()))
            .unwrap_or_default();
        out.push(Entry {
            code,
            name,
            region,
            price_factor,
            participants,
            population,
            departments: cell("departments").map(String::from),
            line,
        });
    }
    if out.is_empty() && problems.is_empty() {
        problems.push(diag(src, 1, "", "the list has no municipality".into()));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_list_has_98_municipalities_in_5_regions() {
        let l = bundled().unwrap();
        assert_eq!(l.len(), 98);
        let mut regions: Vec<&str> = l.iter().map(|e| e.region.as_str()).collect();
        regions.sort();
        regions.dedup();
        assert_eq!(regions.len(), 5, "{regions:?}");
        assert!(
            l.iter()
                .all(|e| e.price_factor == 1.0 && e.participants.is_none())
        );
    }

    #[test]
    fn overrides_fill_names_and_report_bad_cells() {
        let known = bundled().unwrap();
        let src = Source::new(
            "m.csv",
            "code;price_factor;participants\n751;1,05;120\n101;;\n",
        );
        let l = parse(&src, &known).unwrap();
        assert_eq!(l[0].name, "Aarhus");
        assert_eq!(l[0].region, "Midtjylland");
        assert_eq!(l[0].price_factor, 1.05);
        assert_eq!(l[0].participants, Some(120.0));
        assert_eq!((l[1].price_factor, l[1].participants), (1.0, None));

        let bad = Source::new(
            "m.csv",
            "code,price_factor,colour\n75,1\n751,-2\n751,1\n147,1,\n",
        );
        let Err(Error::Invalid(d)) = parse(&bad, &known) else {
            panic!("accepted")
        };
        let msgs: Vec<String> = d
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {} {}",
                    d.line.unwrap_or(0),
                    d.field,
                    d.row.unwrap_or(0),
                    d.message
                )
            })
            .collect();
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("1:colour") && m.contains("unknown column")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("2:code") && m.contains("`75`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("3:price_factor") && m.contains("above 0")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("4:code") && m.contains("twice")),
            "{msgs:?}"
        );
    }
}
