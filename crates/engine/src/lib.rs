//! som's facade: what the command line, the Python package and a server call. Scenarios are
//! read from files ([`io`]), runs go end to end, and the national comparison runs from paths
//! and options ([`municipalities::national`]); everything else is re-exported from the crates
//! below, one per layer:
//!
//! - [`som_core`]: scenario text in, results out (no I/O, no output format);
//! - [`som_files`]: the file-system edge (inputs read, outputs written whole or not at all);
//! - [`som_casedata`]: case data read, validated, estimated from, synthesised;
//! - [`som_report`]: outputs as bytes (tables, charts, reports, the workbook).

pub use som_core::{
    Diagnostic, Error, Loaded, Result, Run, SensitivityOptions, Summary, run, run_full, run_with,
    scenario_schema,
};
pub use som_core::{
    budget, builtin, catalogue, compile, correlation, discount, dist, domain, error, estimates,
    evaluate, finite, labels, lang, loaded, markov, metrics, model, montecarlo, param, progress,
    scenario, sensitivity, source, special, stats, summary, uncertainty,
};

pub use som_casedata as casedata;
pub use som_casedata::{estimate, synth};

pub use som_report as report;
pub use som_report::{OutputOptions, charts, ledger, workbook};

pub mod io;
pub use io::load_scenario;
pub use som_files as files;
pub use som_files::write_outputs;

/// One scenario over many municipalities: the comparison ([`som_core::municipalities`]), its
/// files ([`som_report::municipalities`]) and the national run from paths and options
/// ([`national`]).
pub mod municipalities {
    pub use som_core::municipalities::*;
    pub mod national;
}
