//! The catalogues bundled with som (`models/catalogues/`), compiled into the engine so that a
//! scenario anywhere on disk can be run without naming them.

/// (name, text) of each bundled catalogue.
pub const PRICES: (&str, &str) = (
    "builtin:models/catalogues/prices-dk.toml",
    include_str!("../../../models/catalogues/prices-dk.toml"),
);
pub const PRICE_INDEX: (&str, &str) = (
    "builtin:models/catalogues/price-index-dk.toml",
    include_str!("../../../models/catalogues/price-index-dk.toml"),
);
pub const DISCOUNT: (&str, &str) = (
    "builtin:models/catalogues/discount-schedules.toml",
    include_str!("../../../models/catalogues/discount-schedules.toml"),
);
pub const REFUSION: (&str, &str) = (
    "builtin:models/catalogues/refusion-dk.toml",
    include_str!("../../../models/catalogues/refusion-dk.toml"),
);
pub const DEPARTMENTS: (&str, &str) = (
    "builtin:models/catalogues/departments-dk.toml",
    include_str!("../../../models/catalogues/departments-dk.toml"),
);

/// Where a user adds what a catalogue lacks: the file itself, or, for a bundled catalogue (which
/// is compiled into som and cannot be edited), a copy of it named in the scenario's
/// `[catalogues]` under `key`.
pub fn where_to_add(catalogue: &str, key: &str) -> String {
    match catalogue.strip_prefix("builtin:") {
        Some(file) => {
            let name = file.rsplit('/').next().unwrap_or(file);
            format!(
                "the bundled `{file}` is part of som and cannot be edited: copy it, add it \
                 there and name the copy in the scenario, `[catalogues] {key} = \"my-{name}\"`"
            )
        }
        None => format!("add it to `{catalogue}`"),
    }
}

/// The 98 Danish municipalities (code, name, region), `datasets/reference/municipalities.csv`.
pub const MUNICIPALITIES: (&str, &str) = (
    "builtin:datasets/reference/municipalities.csv",
    include_str!("../../../datasets/reference/municipalities.csv"),
);

/// Municipality codes of [`MUNICIPALITIES`].
pub fn municipality_codes() -> Vec<u16> {
    MUNICIPALITIES
        .1
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.trim().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bundled_catalogue_is_copied_not_edited() {
        let b = super::where_to_add(super::PRICE_INDEX.0, "price_index");
        assert_eq!(
            b,
            "the bundled `models/catalogues/price-index-dk.toml` is part of som and cannot be \
             edited: copy it, add it there and name the copy in the scenario, \
             `[catalogues] price_index = \"my-price-index-dk.toml\"`"
        );
        assert_eq!(
            super::where_to_add("catalogues/kl-pl.toml", "price_index"),
            "add it to `catalogues/kl-pl.toml`"
        );
    }
}
