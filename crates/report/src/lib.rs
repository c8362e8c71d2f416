//! som's outputs as bytes: pure functions from results (a [`som_core::Run`], a comparison of
//! runs or of municipalities) to the bytes of every file. Nothing here reads or writes a file,
//! prints, or depends on anything but its arguments.
//!
//! The modules in data-flow order (`crates/layers.toml`):
//!
//! 1. **format**: [`format`] (languages, number formats, names by language);
//! 2. **tables**: [`ledger`] (the ledger frame), [`tables`] (`budget.csv`,
//!    `markov_trace.csv`), [`compare`] (several runs side by side), [`municipalities`] (the
//!    comparison of municipalities as CSV, Markdown and HTML);
//! 3. **charts**: [`charts`] (PNG and SVG);
//! 4. **pages**: [`html`] (`report.html`), [`markdown`] (`summary.md`), [`markov`] (their
//!    state-transition section), [`workbook`] (`report.xlsx`);
//! 5. **files**: [`outputs`] (every file of a run, a comparison or a national comparison, with
//!    `manifest.json` last).

pub mod format;

pub mod compare;
pub mod ledger;
pub mod municipalities;
pub mod tables;

pub mod charts;

pub mod html;
pub mod markdown;
pub mod markov;
pub mod workbook;

pub mod outputs;

pub use format::*;
pub use outputs::OutputOptions;
