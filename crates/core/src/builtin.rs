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
