//! Writing a generated case-data folder (`som synth`): `dataset.toml`, `persons.parquet`,
//! `services.parquet`, `states.parquet` and `truth.json`.
//!
//! Chunks of persons are generated a wave at a time (in parallel) and streamed to the Parquet
//! files in chunk order with polars' batched writer, so memory stays bounded whatever the
//! number of persons. Everything is written into a staging directory beside the target and
//! renamed into place at the end: the folder is written whole or not at all.

use crate::synth::frame::{PersonCols, ServiceCols, StateCols};
use crate::synth::{Plan, SynthConfig, generate_chunks};
use polars::prelude::*;
use polars_io::parquet::write::{BatchedWriter, ParquetWriter};
use som_core::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Name of the file that marks a directory as a `som synth` output.
pub const SYNTH_MARKER: &str = "truth.json";

/// Rows buffered before a row group is written.
const PERSONS_PER_GROUP: usize = 50_000;
const ROWS_PER_GROUP: usize = 400_000;

/// What was written.
#[derive(Debug, Clone)]
pub struct SynthReport {
    pub dir: PathBuf,
    pub command: String,
    pub persons: u64,
    pub participants: u64,
    pub services_rows: u64,
    pub states_rows: u64,
    pub municipalities: usize,
    /// (file name, bytes), in the order written.
    pub files: Vec<(String, u64)>,
}

fn werr(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Generate the data described by `config` and write it to `dir`, whole or not at all.
///
/// An existing `dir` is replaced only if it is empty or holds an earlier `som synth` output
/// (a `truth.json`); anything else is refused.
pub fn write_synth(dir: &Path, config: &SynthConfig) -> Result<SynthReport> {
    let plan = Plan::new(config)?;
    let mut report =
        som_files::write_dir_whole(dir, SYNTH_MARKER, "a som synth output", |staging| {
            write_into(staging, &plan)
        })?;
    report.dir = dir.to_path_buf();
    Ok(report)
}

/// A Parquet file being written batch by batch.
struct Table<'a> {
    path: PathBuf,
    writer: BatchedWriter<&'a mut BufWriter<File>>,
}

impl Table<'_> {
    fn write(&mut self, df: PolarsResult<DataFrame>) -> Result<()> {
        let df = df.map_err(|e| werr(&self.path, e))?;
        self.writer
            .write_batch(&df)
            .map_err(|e| werr(&self.path, e))
    }

    fn finish(self) -> Result<()> {
        self.writer.finish().map_err(|e| werr(&self.path, e))?;
        Ok(())
    }
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(path).map_err(|e| werr(path, e))?,
    ))
}

fn open<'a>(
    path: &Path,
    out: &'a mut BufWriter<File>,
    empty: PolarsResult<DataFrame>,
) -> Result<Table<'a>> {
    let schema = empty.map_err(|e| werr(path, e))?.schema().clone();
    let writer = ParquetWriter::new(out)
        .batched(&schema)
        .map_err(|e| werr(path, e))?;
    Ok(Table {
        path: path.to_path_buf(),
        writer,
    })
}

fn write_into(dir: &Path, plan: &Plan) -> Result<SynthReport> {
    let periods = &plan.time.periods;
    let p_path = dir.join("persons.parquet");
    let s_path = dir.join("services.parquet");
    let t_path = dir.join("states.parquet");
    let mut p_out = create(&p_path)?;
    let mut s_out = create(&s_path)?;
    let mut t_out = create(&t_path)?;
    let mut p_tab = open(&p_path, &mut p_out, PersonCols::default().frame())?;
    let mut s_tab = open(&s_path, &mut s_out, ServiceCols::default().frame(periods))?;
    let mut t_tab = open(&t_path, &mut t_out, StateCols::default().frame(periods))?;

    let mut persons = PersonCols::default();
    let mut services = ServiceCols::default();
    let mut states = StateCols::default();
    let mut tally = plan.tally();
    let mut participants = vec![0u64; plan.municipalities.len()];
    // A wave of chunks is generated in parallel, then written in order; the data do not
    // depend on the wave size.
    let wave = (rayon::current_num_threads() * 2).max(2);
    for jobs in plan.jobs.chunks(wave) {
        for mut c in generate_chunks(plan, jobs) {
            tally.merge(&c.tally);
            if let Some(i) = plan
                .municipalities
                .iter()
                .position(|m| m.code == c.job.municipality)
            {
                participants[i] += c.persons.participant.iter().filter(|&&p| p).count() as u64;
            }
            persons.append(&mut c.persons);
            services.append(&mut c.services);
            states.append(&mut c.states);
            if persons.len() >= PERSONS_PER_GROUP {
                p_tab.write(persons.frame())?;
                persons.clear();
            }
            if services.len() >= ROWS_PER_GROUP {
                s_tab.write(services.frame(periods))?;
                services.clear();
            }
            if states.len() >= ROWS_PER_GROUP {
                t_tab.write(states.frame(periods))?;
                states.clear();
            }
        }
    }
    if !persons.is_empty() {
        p_tab.write(persons.frame())?;
    }
    if !services.is_empty() {
        s_tab.write(services.frame(periods))?;
    }
    if !states.is_empty() {
        t_tab.write(states.frame(periods))?;
    }
    p_tab.finish()?;
    s_tab.finish()?;
    t_tab.finish()?;
    for (path, out) in [(&p_path, p_out), (&s_path, s_out), (&t_path, t_out)] {
        out.into_inner().map_err(|e| werr(path, e.error()))?;
    }

    let truth = plan.truth(&tally, &participants);
    let mut truth_bytes = serde_json::to_vec_pretty(&truth).map_err(|e| werr(dir, e))?;
    truth_bytes.push(b'\n');
    let toml = plan.dataset_toml();
    for (file, bytes) in [
        ("dataset.toml", toml.as_bytes()),
        ("truth.json", truth_bytes.as_slice()),
    ] {
        let p = dir.join(file);
        let mut f = File::create(&p).map_err(|e| werr(&p, e))?;
        f.write_all(bytes).map_err(|e| werr(&p, e))?;
    }
    let mut files = Vec::new();
    for f in [
        "dataset.toml",
        "persons.parquet",
        "services.parquet",
        "states.parquet",
        "truth.json",
    ] {
        let p = dir.join(f);
        let len = std::fs::metadata(&p).map_err(|e| werr(&p, e))?.len();
        files.push((f.to_string(), len));
    }
    Ok(SynthReport {
        dir: dir.to_path_buf(),
        command: plan.config.command(),
        persons: tally.total_persons(),
        participants: tally.participants(),
        services_rows: tally.services_rows,
        states_rows: tally.states_rows,
        municipalities: plan.municipalities.len(),
        files,
    })
}
