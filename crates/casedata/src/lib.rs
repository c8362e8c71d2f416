//! som's case data: the municipality's own person-level records, read, validated and kept in
//! memory only. What leaves this crate is aggregates, with groups below the disclosure
//! threshold suppressed; an id that looks like a CPR number is never echoed.
//!
//! The modules in data-flow order (`crates/layers.toml`):
//!
//! 1. **read**: [`read`] (CSV, Parquet and Excel files as polars batches), [`parse`] (numbers,
//!    dates, periods), [`cpr`] (CPR recognition, keyed pseudonyms), [`fxhash`], [`frame`];
//! 2. **validate**: [`contract`] (the tables, options, persons, `ingest`), [`services`] (the
//!    hot path over the services and states tables), [`panel`], [`monthly`], [`report`] (the
//!    data-quality report), [`cases`] (case data named by paths and options);
//! 3. **estimate**: [`estimate`] (the study, matching, difference in differences, bootstrap,
//!    transitions, the files of an estimation, the replicates read back);
//! 4. **synthesise**: [`synth`] (the generator of synthetic municipalities with known effects)
//!    and [`synth_out`] (its folder, written whole).

pub mod cpr;
pub mod frame;
pub mod fxhash;
pub mod guard;
pub mod parse;
pub mod read;

pub mod cases;
pub mod contract;
pub mod ingest;
pub mod monthly;
pub mod panel;
pub mod report;
pub mod services;

pub mod estimate;

pub mod synth;
pub mod synth_out;

pub use contract::*;
pub use ingest::{CaseData, group_frame, ingest, summaries};
pub use read::{DatasetSpec, Period, PeriodSpec};
