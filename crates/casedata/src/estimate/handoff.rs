//! The replicates of `bootstrap.parquet` read back for a scenario that takes its effects from an
//! estimates file ([`som_core::estimates::Estimated`], built by the caller from these and
//! `estimates.json`).

use polars::prelude::*;
use som_core::error::{Error, Result};
use som_core::estimates::Bootstrap;

/// Decode the bytes of `bootstrap.parquet` (named `name`): every cell's replicates, in order.
pub fn read_bootstrap(name: String, bytes: &[u8]) -> Result<Bootstrap> {
    let path = std::path::PathBuf::from(&name);
    crate::guard::guarded(&path, "Parquet file", || decode(name, bytes))
}

fn decode(name: String, bytes: &[u8]) -> Result<Bootstrap> {
    let mut out = Bootstrap {
        name: name.clone(),
        ..Bootstrap::default()
    };
    let bad = |m: String| Error::Read {
        path: name.clone().into(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, m),
    };
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
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
        if let Some(msg) = som_core::domain::Domain::Any.check(e) {
            return Err(bad(format!("row {}, column `effect`: {msg}", i + 1)));
        }
        // Replicates are numbered from 0 by som; a far larger number is a damaged file.
        if r as usize > 1_000_000 {
            return Err(bad(format!(
                "row {}, column `replicate`: {r} is not a replicate",
                i + 1
            )));
        }
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
    let sha = som_core::source::hex(&{
        use sha2::Digest;
        sha2::Sha256::digest(bytes).to_vec()
    });
    out.sha256 = sha;
    Ok(out)
}
