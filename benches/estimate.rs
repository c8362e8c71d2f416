//! Benchmark of estimation (`som estimate` after ingest): propensity score, matching,
//! difference-in-differences and a 1,000-replicate bootstrap on the bundled synthetic
//! municipality (3,000 persons, 619 participants). Whole-command figures at 500,000 and
//! 1,000,000 persons, beside a hand-written DuckDB + NumPy peer, are in BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use engine::casedata::monthly::month_index;
use engine::casedata::read::{ReadOptions, TableReader, locate};
use engine::casedata::{self, Options, Reference, Tables};
use engine::estimate::{self, Input, Study};
use std::hint::black_box;
use std::path::PathBuf;

fn estimation(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let located = locate(&[root.join("datasets/synthetic-small")]).expect("bundled data set");
    let cat = engine::catalogue::Catalogues::builtin().unwrap();
    let municipalities = engine::builtin::municipality_codes();
    let reference = Reference {
        municipalities: &municipalities,
        departments: &cat.departments.0,
        prices: &cat.prices.0,
    };
    let period = ((2016, 1), (2025, 12));
    let opts = Options {
        monthly: true,
        period: Some(period),
        ..Options::default()
    };
    let read = ReadOptions::default();
    let mut p = TableReader::open(&located.persons, &read, "persons").unwrap();
    let mut s = TableReader::open(&located.services, &read, "services").unwrap();
    let mut st = located
        .states
        .as_ref()
        .map(|x| TableReader::open(x, &read, "states").unwrap());
    let mut data = casedata::ingest(
        Tables {
            persons: &mut p,
            services: &mut s,
            states: st.as_mut(),
        },
        &reference,
        &opts,
    )
    .unwrap();
    let windows = data
        .monthly
        .take()
        .unwrap()
        .into_windows(month_index(2016, 1), month_index(2025, 12));
    let src = engine::files::read_source(&root.join("models/studies/synthetic-all-segments.toml"))
        .unwrap();
    let study = Study::parse(&src).unwrap();
    let departments = data.panel.departments.clone();
    let input = Input {
        persons: &data.persons,
        windows: &windows,
        states: data.states.as_ref(),
        departments: &departments,
    };
    let mut group = c.benchmark_group("estimate");
    group.sample_size(10);
    group.bench_function(
        "synthetic-small: match + DiD + 1,000 bootstrap replicates",
        |b| b.iter(|| black_box(estimate::estimate(&input, &study, &src).unwrap())),
    );
    group.finish();
}

criterion_group!(benches, estimation);
criterion_main!(benches);
