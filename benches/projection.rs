//! Benchmarks of the projection hot path: one deterministic run of a scenario end to end
//! (compile, evaluate, metrics), and the evaluation of a chunk of draws as arrays, which every
//! Monte Carlo run repeats.

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use std::hint::black_box;
use std::path::Path;

fn scenario() -> engine::Loaded {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/families-one-plan.toml");
    let p = if p.exists() {
        p
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/examples/gmca-worked-example.toml")
    };
    engine::load_scenario(&p).expect("bundled scenario loads")
}

fn projection(c: &mut Criterion) {
    let loaded = scenario();
    c.bench_function("deterministic run (compile + evaluate + metrics)", |b| {
        b.iter(|| black_box(engine::run(black_box(&loaded)).unwrap()))
    });
    let model = loaded.compile().unwrap();
    let base = model.base_theta();
    let p = model.params.len();
    // 10,000 draws with every input moved by up to ±10 %, deterministic pattern.
    let theta = Array2::from_shape_fn((10_000, p), |(d, j)| {
        base[[0, j]] * (1.0 + 0.1 * (((d * 7919 + j * 104_729) % 2001) as f64 / 1000.0 - 1.0))
    });
    let mut group = c.benchmark_group("evaluate");
    group.sample_size(20);
    group.bench_function("10,000 draws, flows only", |b| {
        b.iter(|| black_box(model.evaluate(black_box(theta.view()))))
    });
    group.bench_function("10,000 draws, flows + metrics per draw", |b| {
        b.iter(|| {
            let f = model.evaluate(theta.view());
            let mut npv = 0.0;
            for d in 0..theta.nrows() {
                let r = engine::metrics::compute(
                    &model,
                    f.draw(d),
                    f.draw_pv(d),
                    f.participants[d],
                    f.outcomes[d],
                );
                npv += r.total.metrics.npv;
            }
            black_box(npv)
        })
    });
    // As the Monte Carlo path does it, on one thread: chunks of montecarlo::CHUNK draws, with
    // the working memory reused from chunk to chunk.
    let chunk = engine::montecarlo::CHUNK;
    group.bench_function(
        format!("10,000 draws, flows + metrics as array reductions, chunks of {chunk}"),
        |b| {
            let mut flows = engine::evaluate::Flows::default();
            let mut scratch = engine::metrics::BatchScratch::default();
            b.iter(|| {
                let mut npv = 0.0;
                for start in (0..theta.nrows()).step_by(chunk) {
                    let end = (start + chunk).min(theta.nrows());
                    let rows = theta.slice(ndarray::s![start..end, ..]);
                    model.evaluate_into(rows, &mut flows);
                    let m = engine::metrics::batch_with(&model, &flows, rows, &mut scratch);
                    npv += m.total.npv[0];
                }
                black_box(npv)
            })
        },
    );
    group.finish();
}

criterion_group!(benches, projection);
criterion_main!(benches);
