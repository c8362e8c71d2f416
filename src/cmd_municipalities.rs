//! `som municipalities`: one scenario over many municipalities, each with its own overrides and,
//! with case data and a study, its own estimated effects.

use crate::cmd_check::{CaseArgs, invalid};
use engine::Error;
use engine::estimate::{self, Study};
use engine::municipalities::{self, Local, list};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct MunicipalitiesArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Case data covering the municipalities (with --study: each municipality's effects and
    /// cohort size come from its own data).
    #[command(flatten)]
    pub case: CaseArgs,
    /// Study file (som-study/1) estimating the effects; its target filter is narrowed to each
    /// municipality in turn.
    #[arg(long)]
    pub study: Option<PathBuf>,
    /// The municipalities, with their overrides (CSV: code, name, region, price_factor,
    /// participants, population, departments); default: all 98.
    #[arg(long)]
    pub list: Option<PathBuf>,
    /// Only these municipality codes (comma-separated), e.g. --only 101,751.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<u16>,
    /// Population the scenario's cohorts are sized for (scales municipalities given a
    /// population in the list).
    #[arg(long)]
    pub reference_population: Option<f64>,
    /// Municipality whose case data the scenario's cohort sizes describe (default: the median
    /// municipality of the case data).
    #[arg(long)]
    pub reference: Option<u16>,
    /// Output directory; default results/municipalities.
    #[arg(short, long, default_value = "results/municipalities")]
    pub out: PathBuf,
    /// Monte Carlo draws per municipality (default 10,000; 0 for base values only).
    #[arg(long, default_value_t = 10_000)]
    pub draws: usize,
    /// Seed of the draws, the same for every municipality.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bootstrap replicates of each municipality's estimates (default: the study's).
    #[arg(long)]
    pub replicates: Option<usize>,
    /// Also write every municipality's total NPV draw by draw (draws.parquet), for regional sums
    /// made elsewhere.
    #[arg(long)]
    pub keep_draws: bool,
    /// Years within which the payback probability is counted.
    #[arg(long, default_value_t = 4)]
    pub payback_within: u32,
    /// Language of the table, the page and the charts: da or en.
    #[arg(long, default_value = "en", value_name = "da|en")]
    pub lang: engine::report::Lang,
}

/// What the case data gave for one municipality.
enum Est {
    NoPersons,
    TooFew,
    Got(Box<engine::estimate::handoff::Estimated>, usize, f64),
}

/// Run the comparison; returns the Markdown table.
pub fn run(args: &MunicipalitiesArgs) -> Result<String, Error> {
    let clock = std::time::Instant::now();
    let base = engine::load_scenario(&args.scenario)?;
    base.compile()?;
    let known = list::bundled()?;
    let (mut entries, list_src) = match &args.list {
        Some(p) => {
            let src = engine::io::read_source(p)?;
            (list::parse(&src, &known)?, Some(src))
        }
        None => (known.clone(), None),
    };
    if !args.only.is_empty() {
        for c in &args.only {
            if !entries.iter().any(|e| e.code == *c) {
                return Err(invalid(
                    "--only",
                    format!("municipality {c} is not in the list of municipalities"),
                ));
            }
        }
        entries.retain(|e| args.only.contains(&e.code));
    }
    if args.reference_population.is_none()
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
    let list_dir = args
        .list
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let mut locals: Vec<Local> = Vec::with_capacity(entries.len());
    for e in entries {
        let mut l = Local::from_entry(e);
        if let Some(file) = &l.entry.departments {
            let src = engine::io::read_source(&list_dir.join(file))?;
            let c = &base.catalogues;
            let cat = engine::catalogue::Catalogues::parse(
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
        inputs.push(engine::summary::InputHash {
            role: "municipalities".into(),
            path: src.name.clone(),
            sha256: src.sha256(),
        });
    }
    let mut threshold = args.case.disclosure_threshold;
    // Each municipality's own effects, from its own case data.
    if let Some(study_path) = &args.study {
        let src = engine::io::read_source(study_path)?;
        let mut study = Study::parse(&src)?;
        if let Some(b) = args.replicates {
            study.bootstrap.replicates = b;
        }
        let mut case = args.case.clone();
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
        let prepared = crate::cmd_estimate::prepare(&case)?;
        tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "case data read");
        let input = prepared.input();
        let estimated: Vec<Result<Est, Error>> = locals
            .par_iter()
            .map(|l| {
                let code = l.entry.code;
                let mut s = study.clone();
                s.target.municipalities = Some(vec![code]);
                if !input.persons.municipality.contains(&code) {
                    return Ok(Est::NoPersons);
                }
                match estimate::estimate(&input, &s, &src) {
                    Ok((e, d)) => {
                        let files = estimate::output::files(&e, &d)?;
                        let get =
                            |n: &str| files.iter().find(|(f, _)| f == n).map(|(_, b)| b.clone());
                        let json = get(estimate::output::ESTIMATES_JSON).unwrap_or_default();
                        let boot = get(estimate::output::BOOTSTRAP_PARQUET);
                        let name = format!("{}#municipality={code}", src.name);
                        let est = engine::estimate::handoff::Estimated::parse(
                            engine::source::Source::new(
                                name.clone(),
                                String::from_utf8_lossy(&json).into_owned(),
                            ),
                            boot.map(|b| (format!("{name}/bootstrap"), b)),
                        )?;
                        let persons = e.sample.participants_matched.unwrap_or(0);
                        let in_target = e.sample.participants_in_target.unwrap_or(0) as f64;
                        Ok(Est::Got(Box::new(est), persons, in_target))
                    }
                    // Too few participants or comparisons here: shown as such, never fatal.
                    Err(Error::Invalid(_)) => Ok(Est::TooFew),
                    Err(e) => Err(e),
                }
            })
            .collect();
        for (l, r) in locals.iter_mut().zip(estimated) {
            match r? {
                Est::NoPersons => {
                    l.skip = Some("no persons of this municipality in the case data".into());
                }
                Est::Got(est, persons, in_target) => {
                    l.estimates = Some(*est);
                    l.persons = Some(persons);
                    l.data_participants = Some(in_target);
                }
                Est::TooFew => {
                    l.skip = Some(format!(
                        "too few participants or comparison persons in the case data to \
                         estimate effects (each group needs at least {threshold})"
                    ));
                }
            }
        }
        inputs.extend(prepared.inputs.iter().cloned());
        inputs.push(engine::summary::InputHash {
            role: "study".into(),
            path: src.name.clone(),
            sha256: src.sha256(),
        });
        tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "estimated");
    }
    let opts = municipalities::Options {
        mc: engine::montecarlo::McOptions {
            draws: args.draws,
            seed: args.seed,
            payback_within: args.payback_within,
            ..Default::default()
        },
        threshold,
        reference_population: args.reference_population,
    };
    let sim = std::time::Instant::now();
    let cmp = municipalities::compare(&base, &locals, &opts, args.reference)?;
    tracing::debug!(
        seconds = sim.elapsed().as_secs_f64(),
        municipalities = locals.len(),
        "simulated"
    );
    let manifest = serde_json::json!({
        "format": "som-manifest/1",
        "som_version": engine::summary::VERSION,
        "command": "municipalities",
        "seed": args.seed,
        "draws": args.draws,
        "disclosure_threshold": threshold,
        "lang": args.lang,
        "municipalities": locals.iter().map(|l| l.entry.code).collect::<Vec<_>>(),
        "inputs": inputs,
    });
    let files = municipalities::output::files(&cmp, args.lang, args.keep_draws, manifest)?;
    engine::write_outputs(&args.out, &files)?;
    Ok(cmp.markdown(args.lang))
}
