//! Typed errors of the engine.
//!
//! Every problem with user input becomes a [`Diagnostic`] that names the file, the line and
//! column where it can be found, the field (as a dotted path such as `cohort[1].participants`)
//! and what was expected. The engine collects as many diagnostics as it can before it gives up,
//! so that a user fixes a file in one pass rather than one error at a time.

use std::fmt;
use std::path::PathBuf;

/// One problem found in an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The file as the user named it (or `builtin:…` for a catalogue compiled into som).
    pub file: String,
    /// 1-based line, where the problem can be located in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters), where known.
    pub column: Option<usize>,
    /// Dotted path of the field, e.g. `cohort[1].participants`, or a table's column name;
    /// empty for the whole file.
    pub field: String,
    /// 1-based data row of a table (case data), where the problem is in one row.
    pub row: Option<usize>,
    /// What is wrong and what is expected.
    pub message: String,
}

impl Diagnostic {
    /// A problem with an option of a command (or an argument of a library call), named as the
    /// user gave it: `--draws`, `--reference-population`.
    pub fn option(option: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: "command line".into(),
            line: None,
            column: None,
            field: option.into(),
            row: None,
            message: message.into(),
        }
    }

    /// A problem that belongs to no file or option (a run stopped on request).
    pub fn general(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: String::new(),
            line: None,
            column: None,
            field: String::new(),
            row: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file.is_empty() && self.row.is_none() && self.line.is_none() {
            return if self.field.is_empty() {
                write!(f, "{}", self.message)
            } else {
                write!(f, "`{}`: {}", self.field, self.message)
            };
        }
        write!(f, "{}", self.file)?;
        if let Some(row) = self.row {
            return if self.field.is_empty() {
                write!(f, " row {row}: {}", self.message)
            } else {
                write!(f, " row {row}, column `{}`: {}", self.field, self.message)
            };
        }
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": field `{}`: {}", self.field, self.message)
        }
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is invalid; every problem found is listed.
    #[error("{}", render_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An output could not be written; nothing of the run was left behind.
    #[error("cannot write {}: {message}", .path.display())]
    Write { path: PathBuf, message: String },
}

impl Error {
    /// The diagnostics, when the error is about invalid input.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => d,
            _ => &[],
        }
    }
}

fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&d.to_string());
    }
    s
}

/// Result type of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// " (did you mean `x`?)" when a close id exists.
pub fn suggest(id: &str, ids: &[&str]) -> String {
    let best = ids
        .iter()
        .map(|c| (levenshtein(id, c), *c))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, c)) if d <= 2.max(id.chars().count() / 3) => format!(" (did you mean `{c}`?)"),
        _ => String::new(),
    }
}

/// Edit distance between two strings (characters).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Names as a list for a message: `a`, `b`, `c`, or "(none defined)".
pub fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "(none defined)".to_string()
    } else {
        v.join(", ")
    }
}

/// `Ok` without diagnostics, else the error that lists them.
pub fn finish(diags: Vec<Diagnostic>) -> Result<()> {
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(diags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_and_suggestions() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            suggest("plejefamilei", &["plejefamilie", "opholdssted"]),
            " (did you mean `plejefamilie`?)"
        );
        assert_eq!(suggest("xyz", &["plejefamilie"]), "");
    }
}
