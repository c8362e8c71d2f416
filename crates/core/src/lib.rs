//! som's core: scenario text in, results out. It does no I/O and knows no output format; it
//! never prints and never exits the process.
//!
//! The modules in data-flow order, each step importing only its own and earlier steps
//! (`crates/layers.toml`, checked by `tests/layers.rs`):
//!
//! 1. **diagnostics and numbers**: [`error`] (typed errors, located diagnostics and the hints
//!    they carry), [`source`] (an input text and how to find a field path in it), [`progress`],
//!    [`stats`], [`special`], [`domain`] (where every number read may lie), [`finite`]
//!    (every number of a result checked before it is written), [`lang`],
//!    [`builtin`] (the bundled catalogues, compiled in);
//! 2. **inputs**: [`dist`], [`param`], [`correlation`], [`scenario`] (with the `[budget]` and
//!    `[states]` sections), [`catalogue`] (with the refusion rules), [`discount`],
//!    [`estimates`] (the hand-off from `som estimate`), [`loaded`] (a scenario as read);
//! 3. **compile**: [`compile`] checks a scenario against its catalogues and compiles it into
//!    the [`model`] (with its [`markov`] cohorts and the [`budget::plan`]);
//! 4. **simulate**: [`evaluate`] (θ → flows), [`markov::sim`], [`metrics`], [`montecarlo`]
//!    (handed its reducers), [`sensitivity`];
//! 5. **summarise**: [`uncertainty`], [`budget`] (the view), [`markov::results`], [`labels`],
//!    [`summary`] (a run end to end: [`Run`] and [`Summary`]), [`municipalities`] (one
//!    scenario over many municipalities).

pub mod domain;
pub mod error;
pub mod finite;
pub mod lang;
pub mod progress;
pub mod source;
pub mod special;
pub mod stats;

pub mod builtin;
pub mod catalogue;
pub mod correlation;
pub mod discount;
pub mod dist;
pub mod estimates;
pub mod loaded;
pub mod param;
pub mod scenario;

pub mod compile;
pub mod markov;
pub mod model;

pub mod evaluate;
pub mod metrics;
pub mod montecarlo;
pub mod sensitivity;

pub mod budget;
pub mod labels;
pub mod municipalities;
pub mod summary;
pub mod uncertainty;
pub mod voi;

pub use error::{Diagnostic, Error, Result};
pub use loaded::Loaded;
pub use summary::{Run, SensitivityOptions, Summary, run, run_full, run_with};

/// The JSON Schema of scenario format v1, for editors.
pub fn scenario_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(scenario::Scenario)).unwrap_or_default()
}
