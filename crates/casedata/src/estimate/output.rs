//! The files `som estimate --out DIR` writes: `estimates.json`, `effects.csv`,
//! `baseline.csv`, `balance.csv`, `transitions.csv` (with a states table) and
//! `bootstrap.parquet` (the replicates of every unsuppressed effect, for later uncertainty
//! analysis). All aggregates; small cells are blank and marked suppressed.

use super::{BootDraws, Estimates};
use crate::frame::{csv_bytes, parquet_bytes};
use polars::prelude::*;
use som_core::error::{Error, Result};

/// The name of the JSON file a scenario reads estimates from.
pub const ESTIMATES_JSON: &str = "estimates.json";
/// The bootstrap replicates.
pub use som_core::estimates::BOOTSTRAP_PARQUET;

fn err(file: &str, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: file.into(),
        message: e.to_string(),
    }
}

fn col<T>(name: &str, v: Vec<T>) -> Column
where
    Series: NamedFrom<Vec<T>, [T]>,
{
    Column::new(name.into(), v)
}

/// A CSV output file from its columns.
fn csv_file(name: &str, columns: Vec<Column>) -> Result<(String, Vec<u8>)> {
    let mut df = DataFrame::new_infer_height(columns).map_err(|x| err(name, x))?;
    Ok((
        name.to_string(),
        csv_bytes(&mut df).map_err(|x| err(name, x))?,
    ))
}

/// The output files, name and bytes.
pub fn files(e: &Estimates, draws: &BootDraws) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let json = serde_json::to_vec_pretty(e).map_err(|x| err(ESTIMATES_JSON, x))?;
    out.push((ESTIMATES_JSON.to_string(), json));

    let r = &e.effects;
    out.push(csv_file(
        "effects.csv",
        vec![
            col(
                "department",
                r.iter().map(|x| x.department.clone()).collect::<Vec<_>>(),
            ),
            col(
                "year_since_start",
                r.iter().map(|x| x.year_since_start).collect::<Vec<_>>(),
            ),
            col(
                "participants",
                r.iter()
                    .map(|x| x.participants.map(|v| v as u64))
                    .collect::<Vec<_>>(),
            ),
            col("estimate", r.iter().map(|x| x.estimate).collect::<Vec<_>>()),
            col("se", r.iter().map(|x| x.se).collect::<Vec<_>>()),
            col("low", r.iter().map(|x| x.low).collect::<Vec<_>>()),
            col("high", r.iter().map(|x| x.high).collect::<Vec<_>>()),
            col("naive", r.iter().map(|x| x.naive).collect::<Vec<_>>()),
            col(
                "suppressed",
                r.iter().map(|x| x.suppressed).collect::<Vec<_>>(),
            ),
        ],
    )?);

    let r = &e.baseline;
    out.push(csv_file(
        "baseline.csv",
        vec![
            col("group", r.iter().map(|x| x.group).collect::<Vec<_>>()),
            col(
                "department",
                r.iter().map(|x| x.department.clone()).collect::<Vec<_>>(),
            ),
            col(
                "year_since_start",
                r.iter().map(|x| x.year_since_start).collect::<Vec<_>>(),
            ),
            col(
                "persons",
                r.iter()
                    .map(|x| x.persons.map(|v| v as u64))
                    .collect::<Vec<_>>(),
            ),
            col("mean", r.iter().map(|x| x.mean).collect::<Vec<_>>()),
            col(
                "suppressed",
                r.iter().map(|x| x.suppressed).collect::<Vec<_>>(),
            ),
        ],
    )?);

    let r = &e.balance;
    out.push(csv_file(
        "balance.csv",
        vec![
            col(
                "covariate",
                r.iter().map(|x| x.covariate.clone()).collect::<Vec<_>>(),
            ),
            col(
                "participants_mean",
                r.iter().map(|x| x.participants_mean).collect::<Vec<_>>(),
            ),
            col(
                "pool_mean",
                r.iter().map(|x| x.pool_mean).collect::<Vec<_>>(),
            ),
            col(
                "matched_mean",
                r.iter().map(|x| x.matched_mean).collect::<Vec<_>>(),
            ),
            col(
                "smd_before",
                r.iter().map(|x| x.smd_before).collect::<Vec<_>>(),
            ),
            col(
                "smd_after",
                r.iter().map(|x| x.smd_after).collect::<Vec<_>>(),
            ),
            col("poor", r.iter().map(|x| x.poor).collect::<Vec<_>>()),
        ],
    )?);

    if !e.transitions.is_empty() {
        let r = &e.transitions;
        out.push(csv_file(
            "transitions.csv",
            vec![
                col("group", r.iter().map(|x| x.group).collect::<Vec<_>>()),
                col(
                    "year_since_start",
                    r.iter().map(|x| x.year_since_start).collect::<Vec<_>>(),
                ),
                col("from", r.iter().map(|x| x.from.clone()).collect::<Vec<_>>()),
                col("to", r.iter().map(|x| x.to.clone()).collect::<Vec<_>>()),
                col("count", r.iter().map(|x| x.count).collect::<Vec<_>>()),
                col(
                    "probability",
                    r.iter().map(|x| x.probability).collect::<Vec<_>>(),
                ),
                col(
                    "suppressed",
                    r.iter().map(|x| x.suppressed).collect::<Vec<_>>(),
                ),
            ],
        )?);
    }

    let cells = draws.cells.len();
    let mut df = DataFrame::new_infer_height(vec![
        col(
            "replicate",
            (0..draws.replicates)
                .flat_map(|b| std::iter::repeat_n(b as u32, cells))
                .collect::<Vec<_>>(),
        ),
        col(
            "department",
            (0..draws.replicates)
                .flat_map(|_| draws.cells.iter().map(|c| c.0.clone()))
                .collect::<Vec<_>>(),
        ),
        col(
            "year_since_start",
            (0..draws.replicates)
                .flat_map(|_| draws.cells.iter().map(|c| c.1))
                .collect::<Vec<_>>(),
        ),
        col("effect", draws.values.clone()),
    ])
    .map_err(|x| err(BOOTSTRAP_PARQUET, x))?;
    out.push((
        BOOTSTRAP_PARQUET.into(),
        parquet_bytes(&mut df).map_err(|x| err(BOOTSTRAP_PARQUET, x))?,
    ));
    Ok(out)
}
