//! `som`: the command line of the socioeconomic investment engine.
//!
//! The binary parses arguments, calls the engine and renders; it computes nothing itself.

mod args;
mod cmd_check;
mod cmd_estimate;
mod cmd_municipalities;
mod cmd_pseudonymize;
mod cmd_synth;
mod progress;
mod render;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "som",
    version,
    about = "Socioeconomic investment analysis: what an intervention costs, what it returns, to which department and actor, and when"
)]
struct Cli {
    /// Log progress to standard error.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Draw no progress bars (they are drawn on standard error only when it is a terminal).
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario: write summary.json, ledger.parquet, ledger.csv, budget.csv (with a
    /// [budget] section), the workbook report.xlsx, manifest.json and the charts
    /// (charts/*.png, charts/*.svg).
    Run {
        /// Scenario file (TOML, format som-scenario/1).
        scenario: PathBuf,
        /// Output directory; default results/<scenario file stem>. Replaced whole if it holds
        /// an earlier som output.
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Print the summary as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Monte Carlo draws over the inputs given as distributions (default 10,000 when the
        /// scenario has any; 0 for a deterministic run only).
        #[arg(long, allow_negative_numbers = true, value_parser = args::draws)]
        draws: Option<usize>,
        /// Seed of the draws: the same seed gives the same numbers whatever the thread count.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write every draw's metrics to draws.parquet.
        #[arg(long)]
        keep_draws: bool,
        /// Years within which the payback probability is counted (default 4: the budget year
        /// and three overslagsår).
        #[arg(long, default_value_t = 4, allow_negative_numbers = true, value_parser = args::years)]
        payback_within: u32,
        /// Also report the switching value (where the total NPV is 0) of this input, by field
        /// path (e.g. `persistence.half_life`); repeatable. The success rate's is always
        /// reported.
        #[arg(long = "switch", value_name = "INPUT")]
        switch: Vec<String>,
        /// Do not draw the charts (charts/*.png and charts/*.svg).
        #[arg(long)]
        no_charts: bool,
        /// Do not write the Excel workbook (report.xlsx).
        #[arg(long)]
        no_workbook: bool,
        /// Language of the HTML report and the Markdown summary: da or en.
        #[arg(long, default_value = "en", value_name = "da|en")]
        lang: engine::report::Lang,
    },
    /// Compare scenarios side by side: one table (comparison.md, .csv, .json, .html) and one
    /// chart (charts/scenario_comparison.png|svg).
    Compare {
        /// Scenario files (two or more).
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        /// Output directory; default results/comparison.
        #[arg(short, long, default_value = "results/comparison")]
        out: PathBuf,
        /// Monte Carlo draws of each scenario with uncertain inputs (default 10,000; 0 for
        /// deterministic runs only).
        #[arg(long, allow_negative_numbers = true, value_parser = args::draws)]
        draws: Option<usize>,
        /// Seed of the draws (each scenario is drawn from this seed).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Language of the table and the page: da or en.
        #[arg(long, default_value = "en", value_name = "da|en")]
        lang: engine::report::Lang,
    },
    /// Check scenario files without running them.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Run every bundled model in models/ and write the results under one folder.
    Demo {
        /// Output folder; default results/demo.
        #[arg(short, long, default_value = "results/demo")]
        out: PathBuf,
        /// Language of the reports: da or en.
        #[arg(long, default_value = "en", value_name = "da|en")]
        lang: engine::report::Lang,
    },
    /// Print the JSON Schema of the scenario format (for editors).
    Schema,
    /// Generate synthetic case data with known true effects (persons, services, states, truth.json).
    Synth(cmd_synth::SynthArgs),
    /// Check case data against the contract and print a data-quality report (aggregates only;
    /// small groups suppressed; CPR-like ids refused unless --pseudonymize).
    Check(cmd_check::CheckArgs),
    /// Estimate effects from case data: matched comparison, difference-in-differences by
    /// department and year since start, bootstrap intervals (aggregates only).
    Estimate(cmd_estimate::EstimateArgs),
    /// Run one scenario over many municipalities (all 98 or a list), each with its own prices,
    /// department map, cohort size and, with case data and a study, its own estimated effects;
    /// ranked table, regions, forest plot and where the differences come from.
    Municipalities(cmd_municipalities::MunicipalitiesArgs),
    /// Write copies of case-data tables with person ids replaced by keyed pseudonyms.
    Pseudonymize(cmd_pseudonymize::PseudonymizeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    progress::set_quiet(cli.quiet);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(if cli.verbose {
            tracing::Level::DEBUG
        } else {
            tracing::Level::WARN
        })
        .with_target(false)
        .init();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            render::error(&e);
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cmd: Command) -> Result<(), engine::Error> {
    match cmd {
        Command::Run {
            scenario,
            out,
            json,
            draws,
            seed,
            keep_draws,
            payback_within,
            switch,
            no_charts,
            lang,
            no_workbook,
        } => {
            let out = out.unwrap_or_else(|| default_out(&scenario));
            let mc = RunOptions {
                draws,
                seed,
                keep_draws,
                payback_within,
                switch,
                charts: !no_charts,
                lang,
                workbook: !no_workbook,
            };
            let run = run_to(&scenario, &out, &mc)?;
            if json {
                emit(&serde_json::to_string_pretty(&run.summary).unwrap_or_default());
            } else {
                emit(&render::summary(&run));
                emit(&format!("Results written to {}", out.display()));
            }
            Ok(())
        }
        Command::Validate { scenarios } => {
            let mut errors = Vec::new();
            for path in &scenarios {
                match engine::load_scenario(path).and_then(|l| l.compile().map(|m| (l, m))) {
                    Ok((_, m)) => {
                        emit(&format!(
                            "ok: {} ({}; {} inputs, {} ledger lines, {} years)",
                            path.display(),
                            m.name,
                            m.params.len(),
                            m.cells.len(),
                            m.horizon()
                        ));
                        for w in &m.warnings {
                            emit(&format!("warning: {w}"));
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
            match errors.len() {
                0 => Ok(()),
                1 => Err(errors.remove(0)),
                _ => Err(engine::Error::Invalid(
                    errors
                        .into_iter()
                        .flat_map(|e| match e {
                            engine::Error::Invalid(d) => d,
                            other => vec![engine::Diagnostic::general(other.to_string())],
                        })
                        .collect(),
                )),
            }
        }
        Command::Demo { out, lang } => {
            let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
            let mut files: Vec<PathBuf> = std::fs::read_dir(&models)
                .map_err(|e| engine::Error::Read {
                    path: models.clone(),
                    source: e,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            files.push(models.join("examples").join("gmca-worked-example.toml"));
            // Consequences estimated from the bundled synthetic municipality's case data.
            files.push(models.join("examples").join("synthetic-estimated.toml"));
            let mut rows = Vec::new();
            for f in &files {
                let stem = f
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                let dir = out.join(&stem);
                let o = RunOptions {
                    lang,
                    ..RunOptions::default()
                };
                let run = run_to(f, &dir, &o)?;
                rows.push((stem, dir, run));
            }
            // The Danish bundled models side by side (the worked example is in pounds).
            let danish: Vec<(String, &engine::Run)> = files
                .iter()
                .zip(&rows)
                .filter(|(_, (_, _, run))| run.summary.scenario.currency == "kr.")
                .map(|(f, (_, _, run))| (display_rel(f), run))
                .collect();
            if danish.len() >= 2 {
                let cmp = engine::report::outputs::comparison_files(&danish, lang)?;
                engine::write_outputs(&out.join("comparison"), &cmp)?;
            }
            if let Some((_, _, first)) = rows.first() {
                emit(&render::summary(first));
            }
            emit(&format!("\n{}", render::overview(&rows)));
            emit(&format!("Results written to {}", out.display()));
            Ok(())
        }
        Command::Compare {
            scenarios,
            out,
            draws,
            seed,
            lang,
        } => {
            let o = RunOptions {
                draws,
                seed,
                lang,
                ..RunOptions::default()
            };
            emit(&compare(&scenarios, &out, &o)?);
            emit(&format!("Results written to {}", out.display()));
            Ok(())
        }
        Command::Municipalities(args) => {
            emit(&cmd_municipalities::run(&args)?);
            emit(&format!("Results written to {}", args.out.display()));
            Ok(())
        }
        Command::Synth(args) => cmd_synth::run(&args),
        Command::Pseudonymize(args) => {
            emit(&cmd_pseudonymize::run(&args)?);
            Ok(())
        }
        Command::Estimate(args) => {
            emit(&cmd_estimate::run(&args)?);
            Ok(())
        }
        Command::Check(args) => {
            emit(&cmd_check::run(&args)?);
            Ok(())
        }
        Command::Schema => {
            emit(&serde_json::to_string_pretty(&engine::scenario_schema()).unwrap_or_default());
            Ok(())
        }
    }
}

/// Print a line to standard output; a closed pipe (`som schema | head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// A bundled file's path relative to the repository (as a user would type it).
fn display_rel(p: &Path) -> String {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(p)
        .display()
        .to_string()
}

/// `results/<the scenario's file stem>`; `results/run` where the stem names no folder of its
/// own (`...toml` has the stem `..`).
fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .filter(|s| !s.is_empty() && s.chars().any(|c| c != '.'))
        .unwrap_or_else(|| "run".into());
    PathBuf::from("results").join(stem)
}

/// Options of `som run` beyond the scenario and the output folder.
struct RunOptions {
    draws: Option<usize>,
    seed: u64,
    keep_draws: bool,
    payback_within: u32,
    switch: Vec<String>,
    charts: bool,
    lang: engine::report::Lang,
    workbook: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            draws: None,
            seed: 1,
            keep_draws: false,
            payback_within: 4,
            switch: Vec::new(),
            charts: true,
            lang: engine::report::Lang::En,
            workbook: true,
        }
    }
}

/// Load and run a scenario (with draws where asked for, or by default where it has uncertain
/// inputs); returns the run and the number of draws.
fn run_scenario(scenario: &Path, o: &RunOptions) -> Result<(engine::Run, usize), engine::Error> {
    tracing::debug!(scenario = %scenario.display(), "loading");
    let reading = progress::Bar::spinner(&format!("reading {}", scenario.display()));
    let loaded = engine::load_scenario(scenario)?;
    let uncertain = loaded.compile()?.params.iter().any(|p| p.dist.is_some());
    drop(reading);
    // Draw when asked to, or by default when the scenario has uncertain inputs.
    let draws = o.draws.unwrap_or(if uncertain {
        engine::montecarlo::McOptions::default().draws
    } else {
        0
    });
    // The engine counts the draws as they finish; the bar only looks (the numbers are the
    // same with or without it).
    let counter = std::sync::Arc::new(engine::progress::Progress::new());
    let mc = engine::montecarlo::McOptions {
        draws,
        seed: o.seed,
        payback_within: o.payback_within,
        progress: Some(counter.clone()),
        ..Default::default()
    };
    let sens = engine::SensitivityOptions {
        switch: o.switch.clone(),
    };
    let bar = progress::Bar::counting(
        &format!("{}: Monte Carlo", scenario.display()),
        draws,
        "draws",
        counter,
    );
    let run = engine::run_full(&loaded, (draws > 0).then_some(&mc), &sens)?;
    drop(bar);
    Ok((run, draws))
}

fn run_to(scenario: &Path, out: &Path, o: &RunOptions) -> Result<engine::Run, engine::Error> {
    let (run, draws) = run_scenario(scenario, o)?;
    let options = serde_json::json!({
        "command": "run",
        "scenario": scenario.display().to_string(),
        "out": out.display().to_string(),
        "draws": draws,
        "seed": (draws > 0).then_some(o.seed),
        "payback_within": o.payback_within,
        "keep_draws": o.keep_draws,
        "switch": o.switch,
        "charts": o.charts,
        "lang": o.lang,
        "workbook": o.workbook,
    });
    let outputs = engine::OutputOptions {
        keep_draws: o.keep_draws,
        charts: o.charts,
        reports: true,
        workbook: o.workbook,
        lang: o.lang,
    };
    let writing = progress::Bar::spinner("writing the outputs");
    let files = engine::report::outputs::run_files(&run, options, &outputs)?;
    engine::write_outputs(out, &files)?;
    drop(writing);
    tracing::debug!(out = %out.display(), "written");
    Ok(run)
}

/// Run every scenario and write their comparison to `out`; returns the Markdown table.
fn compare(scenarios: &[PathBuf], out: &Path, o: &RunOptions) -> Result<String, engine::Error> {
    let mut runs = Vec::with_capacity(scenarios.len());
    let mut errors = Vec::new();
    for path in scenarios {
        match run_scenario(path, o) {
            Ok((run, _)) => runs.push((path.display().to_string(), run)),
            Err(engine::Error::Invalid(d)) => errors.extend(d),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(engine::Error::Invalid(errors));
    }
    let refs: Vec<(String, &engine::Run)> = runs.iter().map(|(p, r)| (p.clone(), r)).collect();
    let files = engine::report::outputs::comparison_files(&refs, o.lang)?;
    engine::write_outputs(out, &files)?;
    let md = files
        .iter()
        .find(|(f, _)| f == "comparison.md")
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    Ok(md)
}
