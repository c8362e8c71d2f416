//! Scenarios read from files: a scenario and the catalogues it names (paths relative to the
//! scenario; omitted ones are the bundled catalogues), and the estimates it takes its effects
//! from. Every file is read through [`som_files`]; inputs are only ever read.

use som_core::builtin;
use som_core::catalogue::Catalogues;
use som_core::error::{Error, Result};
use som_core::loaded::Loaded;
use som_core::scenario::Scenario;
use som_core::source::Source;
use som_files::read_source;
use std::path::Path;

/// Load a scenario and its catalogues; parse errors of the scenario are reported before the
/// catalogues are read.
pub fn load_scenario(path: &Path) -> Result<Loaded> {
    let source = read_source(path)?;
    load_scenario_source(source, path.parent().unwrap_or(Path::new(".")))
}

/// Load a scenario given as text (named by `source.name` in errors); the catalogues and the
/// estimates file it names are read relative to `base`.
pub fn load_scenario_source(source: Source, base: &Path) -> Result<Loaded> {
    let scenario: Scenario = source.parse().map_err(|d| Error::Invalid(vec![d]))?;
    let refs = &scenario.catalogues;
    let pick = |given: &Option<String>, builtin: (&str, &str)| -> Result<Source> {
        match given {
            Some(rel) => read_source(&base.join(rel)),
            None => Ok(Source::new(builtin.0, builtin.1)),
        }
    };
    let mut catalogues = Catalogues::parse(
        pick(&refs.prices, builtin::PRICES)?,
        pick(&refs.price_index, builtin::PRICE_INDEX)?,
        pick(&refs.discount, builtin::DISCOUNT)?,
        pick(&refs.departments, builtin::DEPARTMENTS)?,
    )?;
    // The refusion rules are read only for a scenario with a budget view.
    if scenario.budget.is_some() || refs.refusion.is_some() {
        let src = pick(&refs.refusion, builtin::REFUSION)?;
        let cat: som_core::catalogue::refusion::RefusionCatalogue =
            src.parse().map_err(|d| Error::Invalid(vec![d]))?;
        cat.validate(&src)?;
        catalogues.refusion = Some((cat, src));
    }
    let estimates = match &scenario.estimates {
        Some(r) => {
            let path = base.join(&r.file);
            let src = read_source(&path)?;
            let boot = path.with_file_name(som_core::estimates::BOOTSTRAP_PARQUET);
            let replicates = if boot.exists() {
                let bytes = som_files::read_bytes(&boot, som_files::BOOTSTRAP)?;
                let name = boot.display().to_string();
                Some(som_casedata::estimate::handoff::read_bootstrap(
                    name, &bytes,
                )?)
            } else {
                None
            };
            Some(som_core::estimates::Estimated::parse(src, replicates)?)
        }
        None => None,
    };
    Ok(Loaded {
        scenario,
        source,
        catalogues,
        estimates,
    })
}

#[cfg(test)]
mod tests {
    use som_core::model::Joint;

    #[test]
    fn every_draw_takes_one_replicate_for_all_estimated_inputs() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../models/examples/synthetic-estimated.toml");
        let loaded = super::load_scenario(&path).unwrap();
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
        let theta = som_core::montecarlo::sample_theta(&model, 7, 0, 200);
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
