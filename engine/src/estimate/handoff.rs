//! The replicates of `bootstrap.parquet` read back for a scenario that takes its effects from an
//! estimates file ([`som_core::estimates::Estimated`], built by the caller from these and
//! `estimates.json`).

use crate::error::{Error, Result};
use crate::estimates::Bootstrap;
use polars::prelude::*;

/// Decode the bytes of `bootstrap.parquet` (named `name`): every cell's replicates, in order.
pub fn read_bootstrap(name: String, bytes: &[u8]) -> Result<Bootstrap> {
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
        sha2::Sha256::digest(bytes).to_vec()
    });
    out.sha256 = sha;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::model::Joint;

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
