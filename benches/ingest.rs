//! Benchmark of case-data ingest: read, validate and aggregate the bundled synthetic
//! municipality (3,000 persons, ~420,000 service rows, 360,000 state rows) to the panel and the
//! data-quality report. Whole-command figures at 10 M and 100 M rows, beside DuckDB and polars,
//! are in BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use engine::casedata::read::{ReadOptions, TableReader, locate};
use engine::casedata::{self, Options, Reference, Tables};
use std::hint::black_box;
use std::path::PathBuf;

fn ingest(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/synthetic-small");
    let located = locate(&[dir]).expect("bundled data set");
    let cat = engine::catalogue::Catalogues::builtin().unwrap();
    let municipalities = engine::builtin::municipality_codes();
    let reference = Reference {
        municipalities: &municipalities,
        departments: &cat.departments.0,
        prices: &cat.prices.0,
    };
    let opts = Options::default();
    let mut group = c.benchmark_group("ingest");
    group.sample_size(20);
    group.bench_function("synthetic-small: persons + services + states", |b| {
        b.iter(|| {
            let read = ReadOptions::default();
            let mut p = TableReader::open(&located.persons, &read, "persons").unwrap();
            let mut s = TableReader::open(&located.services, &read, "services").unwrap();
            let mut st = located
                .states
                .as_ref()
                .map(|x| TableReader::open(x, &read, "states").unwrap());
            let data = casedata::ingest(
                Tables {
                    persons: &mut p,
                    services: &mut s,
                    states: st.as_mut(),
                },
                &reference,
                &opts,
            )
            .unwrap();
            black_box(casedata::summaries(&data, &opts))
        })
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
