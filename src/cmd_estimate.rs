//! `som estimate`: run a study on case data — matched comparison, difference-in-differences
//! effects per department and year since start with bootstrap intervals, baseline and
//! transitions. Aggregates only.

use crate::cmd_check::{CaseArgs, invalid};
use crate::render::thousands;
use engine::Error;
use engine::estimate::{self, Estimates, Study};
use std::fmt::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct EstimateArgs {
    /// Study file (TOML, format som-study/1; see docs/estimation.md).
    pub study: PathBuf,
    #[command(flatten)]
    pub case: CaseArgs,
    /// Write estimates.json, effects.csv, baseline.csv, balance.csv, transitions.csv,
    /// bootstrap.parquet and manifest.json here.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Print estimates.json instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Bootstrap replicates (overrides the study's `bootstrap.replicates`).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::replicates)]
    pub replicates: Option<usize>,
    /// Bootstrap seed (overrides the study's `bootstrap.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
}

pub fn run(args: &EstimateArgs) -> Result<String, Error> {
    let src = engine::files::read_source(&args.study)?;
    let mut study = Study::parse(&src)?;
    if let Some(b) = args.replicates {
        study.bootstrap.replicates = b;
    }
    if let Some(s) = args.seed {
        study.bootstrap.seed = s;
    }
    if let Some(b) = args.replicates
        && !(100..=100_000).contains(&b)
    {
        return Err(invalid(
            "--replicates",
            format!("is {b}; expected 100 to 100,000 (1,000 is usual)"),
        ));
    }
    let mut case = args.case.clone();
    if case.cases.is_empty() {
        match &study.cases {
            Some(c) => {
                let base = args.study.parent().unwrap_or(std::path::Path::new("."));
                case.cases = vec![base.join(c)];
            }
            None => {
                return Err(Error::Invalid(vec![src.diag(
                    &engine::source::FieldPath::root().key("cases"),
                    "name the case data: `cases = \"folder\"` in the study file, or on the \
                     command line after the study",
                )]));
            }
        }
    }
    case.disclosure_threshold = case.disclosure_threshold.max(study.disclosure_threshold);
    study.disclosure_threshold = case.disclosure_threshold;
    let clock = std::time::Instant::now();
    let reading = crate::progress::Bar::spinner("reading case data");
    let mut prepared = prepare(&case)?;
    drop(reading);
    let input = prepared.input();
    let counter = std::sync::Arc::new(engine::progress::Progress::new());
    let bar = crate::progress::Bar::counting(
        "estimating",
        study.bootstrap.replicates,
        "bootstrap replicates",
        counter.clone(),
    );
    let (estimates, draws) = estimate::estimate_counted(&input, &study, &src, &counter)?;
    drop(bar);
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "estimated");
    let mut inputs = std::mem::take(&mut prepared.inputs);
    inputs.push(engine::loaded::InputHash {
        role: "study".into(),
        path: src.name.clone(),
        sha256: src.sha256(),
    });
    if let Some(out) = &args.out {
        let mut files = estimate::output::files(&estimates, &draws)?;
        let manifest = serde_json::json!({
            "format": "som-manifest/1",
            "som_version": engine::summary::VERSION,
            "command": "estimate",
            "disclosure_threshold": study.disclosure_threshold,
            "pseudonymised": case.pseudonymize,
            "bootstrap": { "replicates": study.bootstrap.replicates, "seed": study.bootstrap.seed },
            "matching_seed": study.matching.seed,
            "inputs": inputs,
            "outputs": engine::summary::output_hashes(&files),
        });
        files.push((
            engine::summary::MANIFEST.to_string(),
            serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
        ));
        engine::write_outputs(out, &files)?;
    }
    if args.json {
        return Ok(serde_json::to_string_pretty(&estimates).unwrap_or_default());
    }
    let mut text = render(&estimates);
    if let Some(out) = &args.out {
        let _ = write!(text, "\nEstimates written to {}", out.display());
    }
    Ok(text)
}

/// The estimates as text: sample, balance, effects by department and year, warnings.
pub fn render(e: &Estimates) -> String {
    let mut s = String::new();
    let n = &e.sample;
    let c = |v: Option<usize>| {
        v.map(|x| thousands(x as f64))
            .unwrap_or_else(|| format!("<{}", e.disclosure_threshold))
    };
    let _ = writeln!(s, "Study: {}", e.study);
    let _ = writeln!(
        s,
        "Observed {} to {}; {} persons, {} participants ({} in the target group, {} eligible, \
         {} matched, {} without a match); pool {} non-participants, {} used as comparisons",
        e.conventions.observed_period.0,
        e.conventions.observed_period.1,
        c(n.persons),
        c(n.participants_in_data),
        c(n.participants_in_target),
        c(n.participants_eligible),
        c(n.participants_matched),
        c(n.participants_unmatched),
        c(n.pool),
        c(n.comparison_persons),
    );
    let worst = |f: fn(&estimate::BalanceRow) -> f64| {
        e.balance.iter().map(|b| f(b).abs()).fold(0.0f64, f64::max)
    };
    let _ = writeln!(
        s,
        "Balance: largest |standardised mean difference| {:.2} before matching, {:.2} after \
         ({} covariates)",
        worst(|b| b.smd_before),
        worst(|b| b.smd_after),
        e.balance.len()
    );
    let _ = writeln!(
        s,
        "\nEffect per participant and year, kr. (difference-in-differences; {:.0} % bootstrap \
         interval, {} replicates); naive = participants minus all non-participants",
        100.0 * e.bootstrap.level,
        e.bootstrap.replicates
    );
    let _ = writeln!(
        s,
        "{:<16} {:>4} {:>6} {:>12} {:>26} {:>12}",
        "department", "year", "n", "effect", "interval", "naive"
    );
    for r in e.effects.iter().filter(|r| r.year_since_start >= 0) {
        if r.suppressed {
            let _ = writeln!(
                s,
                "{:<16} {:>4} {:>6}",
                r.department,
                r.year_since_start,
                format!("<{}", e.disclosure_threshold)
            );
            continue;
        }
        let f = |v: Option<f64>| v.map(thousands).unwrap_or_default();
        let _ = writeln!(
            s,
            "{:<16} {:>4} {:>6} {:>12} {:>26} {:>12}",
            r.department,
            r.year_since_start,
            r.participants.unwrap_or(0),
            f(r.estimate),
            format!("[{}, {}]", f(r.low), f(r.high)),
            f(r.naive)
        );
    }
    for w in &e.warnings {
        let _ = writeln!(s, "\nwarning: {w}");
    }
    s
}

pub use engine::casedata::cases::Prepared;

/// Read case data with the monthly amounts kept and build the 12-month windows estimation
/// reads; refuses data without months.
pub fn prepare(case: &CaseArgs) -> Result<Prepared, Error> {
    engine::casedata::cases::prepare(&crate::cmd_check::spec(case)?)
}
