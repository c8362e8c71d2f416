//! Benchmarks of a probabilistic run without file output: draws of θ, flows and per-draw
//! metrics as arrays, and the summaries; and the sensitivity analysis. Scenario:
//! `models/youth-mental-health.toml` (15 years, 10 departments, 27 uncertain inputs, two
//! correlations); and `models/families-one-plan.toml` with and without its `[budget]` section,
//! for the budget view over the draws.

use criterion::{Criterion, criterion_group, criterion_main};
use engine::montecarlo::{McOptions, simulate};
use engine::summary::{reducers, summarise_draws};
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
                    let d = simulate(black_box(&model), &opts, &reducers(&model));
                    black_box(summarise_draws(&model, &d, &opts))
                })
            },
        );
    }
    group.bench_function("tornado and switching values", |b| {
        b.iter(|| black_box(engine::sensitivity::analyse(&model, (0.05, 0.95), &[])))
    });
    // The budget view over the draws: the same scenario with and without `[budget]` (its 31
    // illustrative assumptions drawn, three pairs correlated).
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/families-one-plan.toml");
    let text = std::fs::read_to_string(&p).expect("bundled scenario");
    // The section runs from `[budget]` to `[sources]`.
    let (head, rest) = text.split_once("\n[budget]").expect("a [budget] section");
    let without = format!(
        "{head}\n{}",
        &rest[rest.find("[sources]").unwrap_or(rest.len())..]
    );
    for (label, text) in [
        ("with [budget]", text.clone()),
        ("without [budget]", without),
    ] {
        let src = engine::source::Source::new(p.to_string_lossy(), text);
        let loaded = engine::io::load_scenario_source(src, p.parent().unwrap()).unwrap();
        let model = loaded.compile().unwrap();
        assert_eq!(model.budget.is_some(), label == "with [budget]");
        let opts = McOptions {
            draws: 10_000,
            ..Default::default()
        };
        group.bench_function(format!("families-one-plan {label}, 10000 draws"), |b| {
            b.iter(|| {
                let d = simulate(black_box(&model), &opts, &reducers(&model));
                black_box(summarise_draws(&model, &d, &opts))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, montecarlo);
criterion_main!(benches);
