//! The hand-off from `som estimate` to a scenario: the effects per participant by department and
//! year since start, with their bootstrap replicates, as a scenario reads them
//! (`[estimates] file = "…/estimates.json"` and `estimated = "department"` on a consequence).
//! The replicates arrive decoded ([`Bootstrap`]; `bootstrap.parquet` is read by the case-data
//! layer).

use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::source::{FieldPath, Source};
use std::collections::BTreeMap;

/// Format tag of `estimates.json`.
pub const FORMAT: &str = "som-estimates/1";
/// The name of the sum over the outcome departments.
pub const TOTAL: &str = "total";
/// The bootstrap replicates' file, beside `estimates.json`.
pub const BOOTSTRAP_PARQUET: &str = "bootstrap.parquet";

/// The bootstrap replicates of an estimates file, decoded.
#[derive(Debug, Clone, Default)]
pub struct Bootstrap {
    /// The file's name and SHA-256.
    pub name: String,
    pub sha256: String,
    /// Replicates per cell (every cell has as many).
    pub replicates: usize,
    /// (department, year since start) → the effect in every replicate, in replicate order.
    pub draws: BTreeMap<(String, i32), Vec<f64>>,
}

/// Effects read back from an estimates directory.
#[derive(Debug, Clone)]
pub struct Estimated {
    /// `estimates.json`, for errors and the manifest.
    pub source: Source,
    /// `bootstrap.parquet`: its name and SHA-256, when present.
    pub bootstrap: Option<(String, String)>,
    pub study: String,
    /// (department, year since start) → effect per participant, unsuppressed cells only.
    pub effects: BTreeMap<(String, i32), f64>,
    /// Departments in the file (suppressed or not).
    pub departments: Vec<String>,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// (department, year since start) → the effect in every replicate, in replicate order.
    pub draws: BTreeMap<(String, i32), Vec<f64>>,
    /// The transitions table: (group, year since start, from, to) → count (for
    /// state-transition scenarios, `[[states.arm.*.matrix]] estimated`). A suppressed cell
    /// holds an equal share of its row's remainder: the row's total (any published cell's
    /// count ÷ probability) less its published counts, which is what the published figures
    /// tell of the suppressed cells together; in a row with no published cell, 0.
    pub transitions: BTreeMap<(String, i32, String, String), f64>,
}

#[derive(serde::Deserialize)]
struct TransitionRow {
    group: String,
    year_since_start: i32,
    from: String,
    to: String,
    count: Option<f64>,
    #[serde(default)]
    probability: Option<f64>,
    suppressed: bool,
}

#[derive(serde::Deserialize)]
struct Row {
    department: String,
    year_since_start: i32,
    estimate: Option<f64>,
    suppressed: bool,
}

#[derive(serde::Deserialize)]
struct File {
    format: String,
    study: String,
    departments: Vec<String>,
    effects: Vec<Row>,
    #[serde(default)]
    transitions: Vec<TransitionRow>,
}

/// The transitions table as counts, suppressed cells sharing their row's remainder equally
/// (see [`Estimated::transitions`]).
fn transition_counts(rows: &[TransitionRow]) -> BTreeMap<(String, i32, String, String), f64> {
    // Per row (group, year, from): the total from a published cell, the published counts, and
    // the suppressed cells.
    type RowKey = (String, i32, String);
    let mut total: BTreeMap<RowKey, f64> = BTreeMap::new();
    let mut published: BTreeMap<RowKey, f64> = BTreeMap::new();
    let mut hidden: BTreeMap<RowKey, usize> = BTreeMap::new();
    for r in rows {
        let key = (r.group.clone(), r.year_since_start, r.from.clone());
        match (r.suppressed, r.count, r.probability) {
            (false, Some(c), p) => {
                *published.entry(key.clone()).or_default() += c;
                if let Some(p) = p.filter(|&p| p > 0.0) {
                    total.entry(key).or_insert(c / p);
                }
            }
            _ => *hidden.entry(key).or_default() += 1,
        }
    }
    rows.iter()
        .filter_map(|r| {
            let key = (r.group.clone(), r.year_since_start, r.from.clone());
            let count = match (r.suppressed, r.count) {
                (false, Some(c)) => c,
                _ => {
                    let t = total.get(&key)?;
                    let rest = (t - published.get(&key).copied().unwrap_or(0.0)).max(0.0);
                    rest / hidden[&key] as f64
                }
            };
            let cell = (key.0, key.1, key.2, r.to.clone());
            Some((cell, count))
        })
        .collect()
}

impl Estimated {
    /// Parse `estimates.json`, with the replicates of `bootstrap.parquet` beside it when given.
    pub fn parse(source: Source, bootstrap: Option<Bootstrap>) -> Result<Estimated> {
        let f: File = serde_json::from_str(&source.text).map_err(|e| {
            Error::Invalid(vec![source.diag(
                &FieldPath::root(),
                format!("not an estimates file written by `som estimate`: {e}"),
            )])
        })?;
        if f.format != FORMAT {
            return Err(Error::Invalid(vec![source.diag(
                &FieldPath::root().key("format"),
                format!("is {:?}; this som reads {:?}", f.format, FORMAT),
            )]));
        }
        // Every number within its domain (domain.rs), as for any other input.
        let mut diags = Vec::new();
        for (i, r) in f.effects.iter().enumerate() {
            if let Some(msg) = r.estimate.and_then(|e| Domain::Any.check(e)) {
                let path = FieldPath::root().key("effects").index(i).key("estimate");
                diags.push(source.diag(&path, msg));
            }
        }
        for (i, r) in f.transitions.iter().enumerate() {
            let p = FieldPath::root().key("transitions").index(i);
            if let Some(msg) = r.count.and_then(|c| Domain::NonNegative.check(c)) {
                diags.push(source.diag(&p.key("count"), msg));
            }
            if let Some(msg) = r.probability.and_then(|q| Domain::Share.check(q)) {
                diags.push(source.diag(&p.key("probability"), msg));
            }
        }
        if !diags.is_empty() {
            return Err(Error::Invalid(diags));
        }
        let effects = f
            .effects
            .iter()
            .filter(|r| !r.suppressed)
            .filter_map(|r| {
                r.estimate
                    .map(|e| ((r.department.clone(), r.year_since_start), e))
            })
            .collect();
        let transitions = transition_counts(&f.transitions);
        let out = Estimated {
            transitions,
            source,
            bootstrap: None,
            study: f.study,
            effects,
            departments: f.departments,
            replicates: 0,
            draws: BTreeMap::new(),
        };
        Ok(match bootstrap {
            Some(b) => Estimated {
                bootstrap: Some((b.name, b.sha256)),
                replicates: b.replicates,
                draws: b.draws,
                ..out
            },
            None => out,
        })
    }
    /// Years since start with an unsuppressed effect for `department`, ascending from 0; stops
    /// at the first gap.
    pub fn years(&self, department: &str) -> Vec<(i32, f64)> {
        let mut out = Vec::new();
        for k in 0.. {
            match self.effects.get(&(department.to_string(), k)) {
                Some(&e) => out.push((k, e)),
                None => break,
            }
        }
        out
    }

    pub fn name(&self) -> &str {
        &self.source.name
    }
}

#[cfg(test)]
mod tests {
    use super::{TransitionRow, transition_counts};

    #[test]
    fn suppressed_transitions_share_their_rows_remainder() {
        let row = |from: &str, to: &str, count: Option<f64>, p: Option<f64>| TransitionRow {
            group: "comparison".into(),
            year_since_start: 0,
            from: from.into(),
            to: to.into(),
            count,
            probability: p,
            suppressed: count.is_none(),
        };
        let t = transition_counts(&[
            // 90 of 100 stay home; 10 went to two suppressed cells: 5 each.
            row("home", "home", Some(90.0), Some(0.9)),
            row("home", "foster", None, None),
            row("home", "institution", None, None),
            // A row with nothing published: nothing known, nothing counted.
            row("foster", "foster", None, None),
            row("foster", "home", None, None),
        ]);
        let get = |from: &str, to: &str| {
            t.get(&(
                "comparison".to_string(),
                0,
                from.to_string(),
                to.to_string(),
            ))
            .copied()
        };
        assert_eq!(get("home", "home"), Some(90.0));
        assert_eq!(get("home", "foster"), Some(5.0));
        assert_eq!(get("home", "institution"), Some(5.0));
        assert_eq!(get("foster", "foster"), None);
        assert_eq!(get("foster", "home"), None);
    }
}
