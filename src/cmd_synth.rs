//! `som synth`: generate a synthetic case-data folder with known true effects.

use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `som synth`.
#[derive(Args, Debug, Clone)]
pub struct SynthArgs {
    /// Output folder: dataset.toml, persons.parquet, services.parquet, states.parquet and
    /// truth.json. Replaced whole if it holds an earlier `som synth` output.
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// Municipality code(s) from datasets/reference/municipalities.csv; default 751 (Aarhus).
    #[arg(
        short,
        long = "municipality",
        value_name = "CODE",
        num_args = 1..,
        conflicts_with = "all"
    )]
    pub municipality: Vec<u32>,
    /// All 98 municipalities; the persons are split by a synthetic size per municipality.
    #[arg(long)]
    pub all: bool,
    /// Total number of persons (split across municipalities).
    #[arg(short = 'n', long, value_name = "N", default_value_t = 3000)]
    pub persons: u64,
    /// First calendar year of the period.
    #[arg(long, value_name = "YYYY", default_value_t = 2016)]
    pub from: i32,
    /// Last calendar year of the period.
    #[arg(long, value_name = "YYYY", default_value_t = 2025)]
    pub to: i32,
    /// Seed of the random streams: the same seed and arguments give byte-identical files.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Generate and write the data; print a one-line summary.
pub fn run(args: &SynthArgs) -> Result<(), engine::Error> {
    let started = Instant::now();
    let config = engine::synth::SynthConfig {
        seed: args.seed,
        municipalities: args.municipality.clone(),
        all: args.all,
        persons: args.persons,
        from_year: args.from,
        to_year: args.to,
    };
    tracing::debug!(command = %config.command(), "generating");
    let working = crate::progress::Bar::spinner("generating and writing synthetic case data");
    let r = engine::casedata::synth_out::write_synth(&args.out, &config)?;
    drop(working);
    let bytes: u64 = r.files.iter().map(|(_, b)| b).sum();
    println!(
        "synth: {} persons ({} participants) in {} municipalit{}, {} service rows, {} state rows; \
         {} files ({:.1} MB) in {} ({:.1} s)",
        thousands(r.persons),
        thousands(r.participants),
        r.municipalities,
        if r.municipalities == 1 { "y" } else { "ies" },
        thousands(r.services_rows),
        thousands(r.states_rows),
        r.files.len(),
        bytes as f64 / 1e6,
        r.dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
