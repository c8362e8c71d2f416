//! Benchmark of the municipality comparison after the data are loaded: every one of the 98
//! municipalities with a price level of its own, localised, compiled, run at base values and
//! over 10,000 draws from the same seed, the spread's one-difference runs, ranks and regions.
//! Scenario: `models/examples/synthetic-estimated.toml` (effects from the bundled estimates,
//! 1,000 bootstrap replicates drawn jointly).

use criterion::{Criterion, criterion_group, criterion_main};
use engine::municipalities::{Local, Options, compare, list};
use std::hint::black_box;
use std::path::Path;

fn municipalities(c: &mut Criterion) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/examples/synthetic-estimated.toml");
    let loaded = engine::load_scenario(&p).expect("bundled scenario loads");
    let locals: Vec<Local> = list::bundled()
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            e.price_factor = 0.9 + 0.2 * (i as f64 / 97.0);
            Local::from_entry(e)
        })
        .collect();
    let opts = Options {
        mc: engine::montecarlo::McOptions {
            draws: 10_000,
            ..Default::default()
        },
        threshold: 5,
        reference_population: None,
    };
    let mut group = c.benchmark_group("municipalities");
    group.sample_size(10);
    group.bench_function("98 municipalities x 10,000 draws", |b| {
        b.iter(|| black_box(compare(black_box(&loaded), &locals, &opts, None).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, municipalities);
criterion_main!(benches);
