//! Benchmarks of probabilistic state-transition (Markov) runs, sampling included: θ drawn from
//! per-draw streams (Dirichlet rows as gamma draws, a log-normal relative risk, gamma state
//! costs), the unit traces of both arms advanced for a chunk of draws at once, flows booked
//! into the ledger cells, per-draw metrics, and the summaries with the acceptability curve.
//! Scenarios: `benches/peers/markov_4state.toml` (4 states, 20 cycles) and
//! `benches/peers/markov_10state.toml` (10 states, 60 cycles), read by the NumPy peer too.

use criterion::{Criterion, criterion_group, criterion_main};
use engine::montecarlo::{McOptions, simulate};
use engine::summary::{reducers, summarise_draws};
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
                b.iter(|| black_box(simulate(black_box(&model), &opts, &reducers(&model))))
            });
            group.bench_function(
                format!("{label}, {draws} draws: sample + simulate + summaries"),
                |b| {
                    b.iter(|| {
                        let d = simulate(black_box(&model), &opts, &reducers(&model));
                        let s = summarise_draws(&model, &d, &opts);
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
    // Monthly cycles (the 4-state model run for 240 months): every cycle of a year discounted
    // with the year's factor, against each month at its own point (the flows booked twice).
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/markov_4state.toml");
    let text = std::fs::read_to_string(&p).expect("benchmark scenario");
    for at in ["year", "end"] {
        let monthly = text
            .replace(
                "cycle = \"year\"\ncycles = 20",
                "cycle = \"month\"\ncycles = 240",
            )
            .replace(
                "[states.timing]\n",
                &format!("[states.timing]\ndiscount = \"{at}\"\n"),
            );
        assert!(
            monthly.contains("cycles = 240"),
            "the benchmark model changed"
        );
        let src = engine::source::Source::new(p.to_string_lossy(), monthly);
        let loaded = engine::io::load_scenario_source(src, p.parent().unwrap()).unwrap();
        let model = loaded.compile().unwrap();
        let opts = McOptions {
            draws: 10_000,
            ..Default::default()
        };
        group.bench_function(
            format!(
                "4 states × 240 monthly cycles, discount = {at}, 10000 draws: sample + simulate"
            ),
            |b| b.iter(|| black_box(simulate(black_box(&model), &opts, &reducers(&model)))),
        );
    }
    group.finish();
}

criterion_group!(benches, markov);
criterion_main!(benches);
