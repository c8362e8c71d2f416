//! Benchmarks of a probabilistic run without file output: draws of θ, flows and per-draw
//! metrics as arrays, and the summaries; and the sensitivity analysis. Scenario:
//! `models/youth-mental-health.toml` (15 years, 10 departments, 27 uncertain inputs, two
//! correlations).

use criterion::{Criterion, criterion_group, criterion_main};
use engine::montecarlo::{McOptions, simulate, summarise};
use std::hint::black_box;
use std::path::Path;

fn montecarlo(c: &mut Criterion) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/youth-mental-health.toml");
    let loaded = engine::load_scenario(&p).expect("bundled scenario loads");
    let model =
        engine::compile::compile(&loaded.scenario, &loaded.source, &loaded.catalogues).unwrap();
    let mut group = c.benchmark_group("monte carlo");
    group.sample_size(10);
    for draws in [10_000, 100_000] {
        let opts = McOptions {
            draws,
            ..Default::default()
        };
        group.bench_function(
            format!("{draws} draws: sample, evaluate, metrics, summary"),
            |b| {
                b.iter(|| {
                    let d = simulate(black_box(&model), &opts);
                    black_box(summarise(&model, &d, &opts))
                })
            },
        );
    }
    group.bench_function("tornado and switching values", |b| {
        b.iter(|| black_box(engine::sensitivity::analyse(&model, (0.05, 0.95), &[])))
    });
    group.finish();
}

criterion_group!(benches, montecarlo);
criterion_main!(benches);
