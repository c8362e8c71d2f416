//! `som municipalities`: one scenario over many municipalities, each with its own overrides and,
//! with case data and a study, its own estimated effects.

use crate::cmd_check::CaseArgs;
use crate::progress::Bar;
use engine::Error;
use engine::municipalities;
use engine::progress::Progress;
use std::path::PathBuf;
use std::sync::Arc;

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
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::positive)]
    pub reference_population: Option<f64>,
    /// Municipality whose case data the scenario's cohort sizes describe (default: the median
    /// municipality of the case data).
    #[arg(long)]
    pub reference: Option<u16>,
    /// Output directory; default results/municipalities.
    #[arg(short, long, default_value = "results/municipalities")]
    pub out: PathBuf,
    /// Monte Carlo draws per municipality (default 10,000; 0 for base values only).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true, value_parser = crate::args::draws)]
    pub draws: usize,
    /// Seed of the draws, the same for every municipality.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bootstrap replicates of each municipality's estimates (default: the study's).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::replicates)]
    pub replicates: Option<usize>,
    /// Also write every municipality's total NPV draw by draw (draws.parquet), for regional sums
    /// made elsewhere.
    #[arg(long)]
    pub keep_draws: bool,
    /// Years within which the payback probability is counted.
    #[arg(long, default_value_t = 4, allow_negative_numbers = true, value_parser = crate::args::years)]
    pub payback_within: u32,
    /// Language of the table, the page and the charts: da or en.
    #[arg(long, default_value = "en", value_name = "da|en")]
    pub lang: engine::report::Lang,
}

/// Run the comparison; returns the Markdown table.
pub fn run(args: &MunicipalitiesArgs) -> Result<String, Error> {
    let mut case = crate::cmd_check::spec(&args.case)?;
    if args.case.cases.is_empty() {
        case.cases.clear();
    }
    let spec = municipalities::national::Spec {
        scenario: args.scenario.clone(),
        case,
        study: args.study.clone(),
        list: args.list.clone(),
        only: args.only.clone(),
        reference_population: args.reference_population,
        reference: args.reference,
        draws: args.draws,
        seed: args.seed,
        replicates: args.replicates,
        payback_within: args.payback_within,
    };
    let reading = Bar::spinner("reading the scenario and the municipalities");
    let mut plan = municipalities::national::plan(&spec)?;
    drop(reading);
    let n = plan.locals.len();
    if plan.study.is_some() {
        let counter = Arc::new(Progress::new());
        let _bar = Bar::counting(
            "reading case data, estimating",
            n,
            "municipalities",
            counter.clone(),
        );
        municipalities::national::estimate_all_counted(&mut plan, &counter)?;
    }
    let counter = Arc::new(Progress::new());
    let bar = Bar::counting("running", n, "municipalities", counter.clone());
    let cmp = municipalities::compare_counted(
        &plan.base,
        &plan.locals,
        &plan.options,
        plan.reference,
        &counter,
    )?;
    drop(bar);
    let _writing = Bar::spinner("writing the outputs");
    let manifest = municipalities::national::manifest(&plan, args.lang);
    let files =
        engine::report::outputs::municipality_files(&cmp, args.lang, args.keep_draws, manifest)?;
    engine::write_outputs(&args.out, &files)?;
    Ok(engine::report::municipalities::markdown(&cmp, args.lang))
}
