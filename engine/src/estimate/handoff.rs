//! The hand-off from `som estimate` to a scenario: the effects per participant by department and
//! year since start, with their bootstrap replicates, as a scenario reads them
//! (`[estimates] file = "…/estimates.json"` and `estimated = "department"` on a consequence).

use super::output::BOOTSTRAP_PARQUET;
use crate::error::{Error, Result};
use crate::source::{FieldPath, Source};
use polars::prelude::*;
use std::collections::BTreeMap;

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
    /// Parse `estimates.json` and, when given, the bytes of `bootstrap.parquet` beside it.
    pub fn parse(source: Source, bootstrap: Option<(String, Vec<u8>)>) -> Result<Estimated> {
        let f: File = serde_json::from_str(&source.text).map_err(|e| {
            Error::Invalid(vec![source.diag(
                &FieldPath::root(),
                format!("not an estimates file written by `som estimate`: {e}"),
            )])
        })?;
        if f.format != super::FORMAT {
            return Err(Error::Invalid(vec![source.diag(
                &FieldPath::root().key("format"),
                format!("is {:?}; this som reads {:?}", f.format, super::FORMAT),
            )]));
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
        let mut out = Estimated {
            transitions,
            source,
            bootstrap: None,
            study: f.study,
            effects,
            departments: f.departments,
            replicates: 0,
            draws: BTreeMap::new(),
        };
        if let Some((name, bytes)) = bootstrap {
            let bad = |m: String| Error::Read {
                path: name.clone().into(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, m),
            };
            let df = ParquetReader::new(std::io::Cursor::new(&bytes))
                .finish()
                .map_err(|e| bad(e.to_string()))?;
            let col = |n: &str| df.column(n).map_err(|e| bad(e.to_string()));
            let rep = col("replicate")?
                .u32()
                .map_err(|e| bad(e.to_string()))?
                .clone();
            let dept = col("department")?
                .str()
                .map_err(|e| bad(e.to_string()))?
                .clone();
            let year = col("year_since_start")?
                .i32()
                .map_err(|e| bad(e.to_string()))?
                .clone();
            let eff = col("effect")?
                .f64()
                .map_err(|e| bad(e.to_string()))?
                .clone();
            let mut max_rep = 0u32;
            for i in 0..df.height() {
                let (Some(r), Some(d), Some(y), Some(e)) =
                    (rep.get(i), dept.get(i), year.get(i), eff.get(i))
                else {
                    return Err(bad(format!("row {} has an empty field", i + 1)));
                };
                max_rep = max_rep.max(r);
                let v = out.draws.entry((d.to_string(), y)).or_default();
                if v.len() != r as usize {
                    return Err(bad(format!(
                        "replicates of {d} year {y} are not in order at row {}",
                        i + 1
                    )));
                }
                v.push(e);
            }
            out.replicates = if df.height() > 0 {
                max_rep as usize + 1
            } else {
                0
            };
            if out.draws.values().any(|v| v.len() != out.replicates) {
                return Err(bad(
                    "every cell must have the same number of replicates".into()
                ));
            }
            let sha = crate::source::hex(&{
                use sha2::Digest;
                sha2::Sha256::digest(&bytes).to_vec()
            });
            out.bootstrap = Some((name, sha));
        }
        Ok(out)
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

/// The bootstrap file beside an estimates file.
pub fn bootstrap_path(estimates: &std::path::Path) -> std::path::PathBuf {
    estimates.with_file_name(BOOTSTRAP_PARQUET)
}

#[cfg(test)]
mod tests {
    use super::{TransitionRow, transition_counts};
    use crate::model::Joint;

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

    #[test]
    fn every_draw_takes_one_replicate_for_all_estimated_inputs() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../models/examples/synthetic-estimated.toml");
        let loaded = crate::io::load_scenario(&path).unwrap();
        let est = loaded.estimates.as_ref().unwrap();
        assert_eq!(est.replicates, 1000);
        let model = loaded.compile().unwrap();
        assert_eq!(model.joint.len(), 1);
        let Joint {
            slots,
            replicates,
            values,
        } = &model.joint[0];
        assert_eq!(*replicates, 1000);
        // 6 departments × 5 years.
        assert_eq!(slots.len(), 30);
        let theta = crate::montecarlo::sample_theta(&model, 7, 0, 200);
        let k = slots.len();
        let mut seen = std::collections::BTreeSet::new();
        for d in 0..200 {
            let row: Vec<f64> = slots.iter().map(|&s| theta[[d, s]]).collect();
            let r = (0..*replicates)
                .find(|&r| values[r * k..(r + 1) * k] == row[..])
                .unwrap_or_else(|| panic!("draw {d} is no single replicate"));
            seen.insert(r);
        }
        // Replicates are drawn at random, not always the same one.
        assert!(seen.len() > 150, "{} distinct replicates", seen.len());
        // The replicate table is the bootstrap file's: replicate 0 of born_familie year 1.
        let first = est.draws[&("born_familie".to_string(), 1)][0];
        let j = slots
            .iter()
            .position(|&s| model.params[s].name == "consequence[0].estimated[1]")
            .unwrap();
        assert_eq!(values[j], first);
    }
}
