//! A comparison as `som municipalities` runs it, from paths and options: the list of
//! municipalities, each one's estimation on its own case data, the runs and the merge. The
//! steps are public so that they can run elsewhere (the Python package's Dask runner runs
//! [`estimate_one`] and [`som_core::municipalities::run_one`] on workers and [`som_core::municipalities::merge`] at the end) with the
//! same numbers.

use rayon::prelude::*;
use som_casedata::cases::{CaseSpec, invalid};
use som_casedata::estimate::{self, Input, Study};
use som_core::error::{Error, Result};
use som_core::loaded::InputHash;
use som_core::loaded::Loaded;
use som_core::municipalities::{Local, list};
use som_core::source::Source;
use std::path::{Path, PathBuf};

/// Everything a comparison is run from.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub scenario: PathBuf,
    /// Case data (empty `cases`: none, or the study's `cases`).
    pub case: CaseSpec,
    pub study: Option<PathBuf>,
    pub list: Option<PathBuf>,
    pub only: Vec<u16>,
    pub reference_population: Option<f64>,
    pub reference: Option<u16>,
    pub draws: usize,
    pub seed: u64,
    pub replicates: Option<usize>,
    pub payback_within: u32,
}

/// A comparison ready to run: the scenario, the municipalities (their own department maps
/// read), the study and the options. Reading it reads no case data.
#[derive(Debug, Clone)]
pub struct Plan {
    pub base: Loaded,
    pub locals: Vec<Local>,
    /// The study, its file, and the case data it runs on.
    pub study: Option<(Study, Source, CaseSpec)>,
    pub options: som_core::municipalities::Options,
    pub reference: Option<u16>,
    pub inputs: Vec<InputHash>,
}

/// Read the scenario, the list and the study, and check the options.
pub fn plan(spec: &Spec) -> Result<Plan> {
    // The options, checked here for every caller (the command line checks them as it reads
    // them too; the Python package passes them as given).
    let mut bad = Vec::new();
    if let Some(msg) = spec
        .reference_population
        .and_then(|p| som_core::domain::Domain::Positive.check(p))
    {
        bad.push(som_core::Diagnostic::option("--reference-population", msg));
    }
    if let Some(b) = spec.replicates.filter(|b| !(100..=100_000).contains(b)) {
        bad.push(som_core::Diagnostic::option(
            "--replicates",
            format!("is {b}; expected 100 to 100,000"),
        ));
    }
    if spec.payback_within > 200 {
        bad.push(som_core::Diagnostic::option(
            "--payback-within",
            format!("is {}; expected 0 to 200 years", spec.payback_within),
        ));
    }
    if !bad.is_empty() {
        return Err(Error::Invalid(bad));
    }
    let base = crate::io::load_scenario(&spec.scenario)?;
    base.compile()?;
    let known = list::bundled()?;
    let (mut entries, list_src) = match &spec.list {
        Some(p) => {
            let src = som_files::read_source(p)?;
            (list::parse(&src, &known)?, Some(src))
        }
        None => (known.clone(), None),
    };
    if !spec.only.is_empty() {
        for c in &spec.only {
            if !entries.iter().any(|e| e.code == *c) {
                return Err(invalid(
                    "--only",
                    format!("municipality {c} is not in the list of municipalities"),
                ));
            }
        }
        entries.retain(|e| spec.only.contains(&e.code));
    }
    if spec.reference_population.is_none()
        && let Some(e) = entries.iter().find(|e| e.population.is_some())
    {
        return Err(invalid(
            "--reference-population",
            format!(
                "the list gives a population (municipality {}, line {}): say which population \
                 the scenario's cohorts are sized for with --reference-population",
                e.code, e.line
            ),
        ));
    }
    // Department maps of their own, read and checked up front.
    let list_dir = spec
        .list
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let mut locals: Vec<Local> = Vec::with_capacity(entries.len());
    for e in entries {
        let mut l = Local::from_entry(e);
        if let Some(file) = &l.entry.departments {
            let src = som_files::read_source(&list_dir.join(file))?;
            let c = &base.catalogues;
            let cat = som_core::catalogue::Catalogues::parse(
                c.prices.1.clone(),
                c.price_index.1.clone(),
                c.discount.1.clone(),
                src,
            )?;
            l.departments = Some(cat.departments);
        }
        locals.push(l);
    }
    let mut inputs = base.inputs();
    if let Some(src) = &list_src {
        inputs.push(InputHash {
            role: "municipalities".into(),
            path: src.name.clone(),
            sha256: src.sha256(),
        });
    }
    let mut threshold = spec.case.disclosure_threshold;
    let mut study_out = None;
    if let Some(study_path) = &spec.study {
        let src = som_files::read_source(study_path)?;
        let mut study = Study::parse(&src)?;
        if let Some(b) = spec.replicates {
            study.bootstrap.replicates = b;
        }
        let mut case = spec.case.clone();
        if case.cases.is_empty() {
            match &study.cases {
                Some(c) => {
                    case.cases = vec![study_path.parent().unwrap_or(Path::new(".")).join(c)];
                }
                None => {
                    return Err(invalid(
                        "cases",
                        "name the case data after the scenario, or `cases = \"folder\"` in the \
                         study file"
                            .into(),
                    ));
                }
            }
        }
        threshold = threshold.max(study.disclosure_threshold);
        case.disclosure_threshold = threshold;
        study.disclosure_threshold = threshold;
        study_out = Some((study, src, case));
    }
    // Every municipality's NPV draws are kept for the regions and draws.parquet, beside the
    // draws of the runs under way (one a thread).
    let model = base.compile()?;
    let kept = (spec.draws as u64).saturating_mul(8 * locals.len() as u64);
    let running = (spec.draws as u64)
        .saturating_mul(som_core::montecarlo::bytes_per_draw(&model, &[]))
        .saturating_mul(rayon::current_num_threads() as u64);
    let limit = som_core::montecarlo::MAX_DRAWS_BYTES;
    if kept.saturating_add(running) > limit {
        return Err(Error::Invalid(vec![som_core::Diagnostic::option(
            "--draws",
            format!(
                "{} draws of {} municipalities would take about {:.1} GiB of memory; at most \
                 {} GiB is allowed — ask for fewer draws or fewer municipalities (--only)",
                spec.draws,
                locals.len(),
                (kept + running) as f64 / (1u64 << 30) as f64,
                limit >> 30
            ),
        )]));
    }
    Ok(Plan {
        base,
        locals,
        study: study_out,
        options: som_core::municipalities::Options {
            mc: som_core::montecarlo::McOptions {
                draws: spec.draws,
                seed: spec.seed,
                payback_within: spec.payback_within,
                ..Default::default()
            },
            threshold,
            reference_population: spec.reference_population,
        },
        reference: spec.reference,
        inputs,
    })
}

/// What a municipality's own case data gave.
#[derive(Debug, Clone)]
pub enum Est {
    /// No person of the municipality in the case data.
    NoPersons,
    /// Too few participants or comparison persons to estimate.
    TooFew,
    /// Its estimates (aggregates only: `estimates.json` and the bootstrap replicates), the
    /// persons behind them and its participants in the target group.
    Got {
        json: Vec<u8>,
        bootstrap: Option<Vec<u8>>,
        persons: usize,
        in_target: f64,
    },
}

/// Estimate the study's effects on one municipality's persons (its target filter narrowed to
/// the municipality). `input` may hold the national case data or that municipality's part.
pub fn estimate_one(input: &Input, study: &Study, src: &Source, code: u16) -> Result<Est> {
    let mut s = study.clone();
    s.target.municipalities = Some(vec![code]);
    if !input.persons.municipality.contains(&code) {
        return Ok(Est::NoPersons);
    }
    // The municipality's persons only, as if its case data were all there is: its estimates
    // are then the same from the national data as from its own partition (the matching's
    // random streams follow the persons' rows).
    let rows: Vec<u32> = (0..input.persons.len() as u32)
        .filter(|&i| input.persons.municipality[i as usize] == code)
        .collect();
    let persons = input.persons.subset(&rows);
    let windows = input.windows.subset(&rows);
    let own = Input {
        persons: &persons,
        windows: &windows,
        states: None,
        departments: input.departments,
    };
    match estimate::estimate(&own, &s, src) {
        Ok((e, d)) => {
            let files = estimate::output::files(&e, &d)?;
            let get = |n: &str| files.iter().find(|(f, _)| f == n).map(|(_, b)| b.clone());
            Ok(Est::Got {
                json: get(estimate::output::ESTIMATES_JSON).unwrap_or_default(),
                bootstrap: get(estimate::output::BOOTSTRAP_PARQUET),
                persons: e.sample.participants_matched.unwrap_or(0),
                in_target: e.sample.participants_in_target.unwrap_or(0) as f64,
            })
        }
        // Too few participants or comparisons here: shown as such, never fatal.
        Err(Error::Invalid(_)) => Ok(Est::TooFew),
        Err(e) => Err(e),
    }
}

/// Take a municipality's estimation into its [`Local`].
pub fn apply(l: &mut Local, est: Est, src: &Source, threshold: usize) -> Result<()> {
    let code = l.entry.code;
    match est {
        Est::NoPersons => {
            l.skip = Some("no persons of this municipality in the case data".into());
        }
        Est::TooFew => {
            l.skip = Some(format!(
                "too few participants or comparison persons in the case data to estimate \
                 effects (each group needs at least {threshold})"
            ));
        }
        Est::Got {
            json,
            bootstrap,
            persons,
            in_target,
        } => {
            let name = format!("{}#municipality={code}", src.name);
            let replicates = bootstrap
                .map(|b| {
                    som_casedata::estimate::handoff::read_bootstrap(format!("{name}/bootstrap"), &b)
                })
                .transpose()?;
            let est = som_core::estimates::Estimated::parse(
                Source::new(name.clone(), String::from_utf8_lossy(&json).into_owned()),
                replicates,
            )?;
            l.estimates = Some(est);
            l.persons = Some(persons);
            l.data_participants = Some(in_target);
        }
    }
    Ok(())
}

/// Estimate every municipality of the plan from its case data (read once), in parallel.
pub fn estimate_all(plan: &mut Plan) -> Result<()> {
    estimate_all_counted(plan, &som_core::progress::Progress::new())
}

/// [`estimate_all`], counting the municipalities estimated in `progress` as they finish; a stop
/// asked for through it skips the municipalities not yet started and returns an error.
pub fn estimate_all_counted(
    plan: &mut Plan,
    progress: &som_core::progress::Progress,
) -> Result<()> {
    let Some((study, src, case)) = plan.study.clone() else {
        return Ok(());
    };
    let clock = std::time::Instant::now();
    let prepared = som_casedata::cases::prepare(&case)?;
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "case data read");
    // Transitions between states are not handed to a scenario: leave the states table out,
    // or every municipality's estimation would scan all of it.
    let input = Input {
        states: None,
        ..prepared.input()
    };
    let estimated: Vec<Result<Est>> = plan
        .locals
        .par_iter()
        .map(|l| {
            progress.check()?;
            let t0 = std::time::Instant::now();
            let r = estimate_one(&input, &study, &src, l.entry.code);
            progress.add(1);
            tracing::debug!(
                code = l.entry.code,
                seconds = t0.elapsed().as_secs_f64(),
                "municipality estimated"
            );
            r
        })
        .collect();
    progress.check()?;
    let threshold = plan.options.threshold;
    for (l, r) in plan.locals.iter_mut().zip(estimated) {
        apply(l, r?, &src, threshold)?;
    }
    record_inputs(plan, prepared.inputs.iter().cloned());
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "estimated");
    Ok(())
}

/// Add the inputs of the estimation to the plan's (for its manifest): every case-data file
/// read, with the SHA-256 computed while reading it (`io::cases::load_cases`), then the study.
/// On one machine these are the national data's files; on a cluster, every municipality's
/// partition files as its worker read them, in the order of the list. Without a study there is
/// nothing to add.
pub fn record_inputs(plan: &mut Plan, case_files: impl IntoIterator<Item = InputHash>) {
    let Some((_, src, _)) = &plan.study else {
        return;
    };
    let study = InputHash {
        role: "study".into(),
        path: src.name.clone(),
        sha256: src.sha256(),
    };
    plan.inputs.extend(case_files);
    plan.inputs.push(study);
}

/// The manifest of a comparison's output folder.
pub fn manifest(plan: &Plan, lang: som_report::Lang) -> serde_json::Value {
    serde_json::json!({
        "format": "som-manifest/1",
        "som_version": som_core::summary::VERSION,
        "command": "municipalities",
        "seed": plan.options.mc.seed,
        "draws": plan.options.mc.draws,
        "disclosure_threshold": plan.options.threshold,
        "lang": lang,
        "municipalities": plan.locals.iter().map(|l| l.entry.code).collect::<Vec<_>>(),
        "inputs": plan.inputs,
    })
}

/// The whole comparison on one machine: plan, estimate, run, merge.
pub fn run(spec: &Spec) -> Result<(Plan, som_core::municipalities::Comparison)> {
    let mut plan = plan(spec)?;
    estimate_all(&mut plan)?;
    let sim = std::time::Instant::now();
    let cmp =
        som_core::municipalities::compare(&plan.base, &plan.locals, &plan.options, plan.reference)?;
    tracing::debug!(
        seconds = sim.elapsed().as_secs_f64(),
        municipalities = plan.locals.len(),
        "simulated"
    );
    Ok((plan, cmp))
}
