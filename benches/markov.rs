//! Benchmarks of probabilistic state-transition (Markov) runs, sampling included: θ drawn from
//! per-draw streams (Dirichlet rows as gamma draws, a log-normal relative risk, gamma state
//! costs), the unit traces of both arms advanced for a chunk of draws at once, flows booked
//! into the ledger cells, per-draw metrics, and the summaries with the acceptability curve.
//! Scenarios: `benches/peers/markov_4state.toml` (4 states, 20 cycles) and
//! `benches/peers/markov_10state.toml` (10 states, 60 cycles), read by the NumPy peer too.

use criterion::{Criterion, criterion_group, criterion_main};
use engine::montecarlo::{McOptions, simulate, summarise};
use std::hint::black_box;
use std::path::Path;

fn markov(c: &mut Criterion) {
    let mut group = c.benchmark_group("markov psa");
    group.sample_size(10);
    for (file, label, counts) in [
        (
            "markov_4state.toml",
            "4 states × 20 cycles",
            &[10_000, 100_000][..],
        ),
        (
            "markov_10state.toml",
            "10 states × 60 cycles",
            &[10_000][..],
        ),
    ] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/peers")
            .join(file);
        let loaded = engine::load_scenario(&p).expect("benchmark scenario loads");
        let model = loaded.compile().unwrap();
        for &draws in counts {
            let opts = McOptions {
                draws,
                ..Default::default()
            };
            group.bench_function(format!("{label}, {draws} draws: sample + simulate"), |b| {
                b.iter(|| black_box(simulate(black_box(&model), &opts)))
            });
            group.bench_function(
                format!("{label}, {draws} draws: sample + simulate + summaries"),
                |b| {
                    b.iter(|| {
                        let d = simulate(black_box(&model), &opts);
                        let s = summarise(&model, &d, &opts);
                        let f = model.evaluate(model.base_theta().view());
                        let r =
                            engine::markov::results::report(&model, &f).expect("a markov model");
                        black_box((
                            s,
                            engine::markov::results::uncertainty(&model, &d, opts.interval, &r),
                        ))
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, markov);
criterion_main!(benches);
