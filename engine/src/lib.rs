//! som's engine: scenario files in, ledger and decision metrics out.
//!
//! The data flow is one way: **read** ([`io`]) → **validate and compile** ([`compile`], against
//! [`catalogue`]s) → **evaluate** ([`model`], over a chunk of draws as arrays) → **summarise**
//! ([`metrics`], [`ledger`], [`summary`]). Only [`io`] touches files; nothing here prints or
//! exits the process.

pub mod budget;
pub mod builtin;
pub mod casedata;
pub mod catalogue;
pub mod charts;
pub mod compile;
pub mod correlation;
pub mod discount;
pub mod dist;
pub mod error;
pub mod estimate;
pub mod estimates;
pub mod evaluate;
pub mod io;
pub mod labels;
pub mod lang;
pub mod ledger;
pub mod loaded;
pub mod markov;
pub mod metrics;
pub mod model;
pub mod montecarlo;
pub mod municipalities;
pub mod param;
pub mod progress;
pub mod report;
pub mod scenario;
pub mod sensitivity;
pub mod source;
pub mod special;
pub mod stats;
pub mod summary;
pub mod synth;
pub mod uncertainty;
pub mod workbook;

pub use error::{Diagnostic, Error, Result};
pub use io::{load_scenario, write_outputs};
pub use loaded::Loaded;
pub use report::outputs::OutputOptions;
pub use summary::{Run, SensitivityOptions, Summary, run, run_full, run_with};

/// The JSON Schema of scenario format v1, for editors.
pub fn scenario_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(scenario::Scenario)).unwrap_or_default()
}
