//! Monte Carlo runs: reproducible from the seed whatever the thread count, identical to the
//! deterministic run when every input is fixed, and with precise errors for bad distributions.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const UNCERTAIN: &str = r#"name = "Family coordinator with uncertain inputs"
price_year = 2025
first_year = 2026
horizon = 8

[[cohort]]
start = 2026
participants = { dist = "gamma", mean = 40, sd = 8 }

[[cohort]]
start = 2027
participants = 40

[intervention]
duration = 1
department = "born_familie"

[[intervention.cost]]
name = "Coordinator and plan"
amount = { dist = "triangular", min = 35000, mode = 45000, max = 70000 }

[success]
with = { dist = "beta", mean = 0.30, sd = 0.05 }
without = 0.10

[persistence]
half_life = { dist = "uniform", min = 2, max = 6 }

[[consequence]]
name = "Foster-family placement avoided"
item = "plejefamilie"
units = { dist = "normal", mean = -0.5, sd = 0.1 }
"#;

fn write(name: &str, text: &str) -> PathBuf {
    let dir = scratch(&format!("mc-{name}"));
    let f = dir.join("scenario.toml");
    std::fs::write(&f, text).unwrap();
    f
}

fn run_mc(file: &Path, out: &Path, args: &[&str], threads: &str) -> std::process::Output {
    let mut all = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(&all)
        .env("RAYON_NUM_THREADS", threads)
        .current_dir(root())
        .output()
        .unwrap()
}

#[test]
fn draws_are_reproducible_whatever_the_thread_count() {
    let f = write("threads", UNCERTAIN);
    let dir = f.parent().unwrap();
    let a = dir.join("one-thread");
    let b = dir.join("two-threads");
    let c = dir.join("other-seed");
    for (out, threads, seed) in [(&a, "1", "7"), (&b, "2", "7"), (&c, "2", "8")] {
        let o = run_mc(&f, out, &["--draws", "3000", "--seed", seed], threads);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let sa = std::fs::read(a.join("summary.json")).unwrap();
    let sb = std::fs::read(b.join("summary.json")).unwrap();
    assert_eq!(sa, sb, "summary differs between 1 and 2 threads");
    let ua = read_json(&a.join("summary.json"));
    let uc = read_json(&c.join("summary.json"));
    assert_eq!(ua["uncertainty"]["draws"], 3000);
    assert_eq!(ua["provenance"]["seed"], 7);
    assert_ne!(
        ua["uncertainty"]["total"]["npv"]["mean"],
        uc["uncertainty"]["total"]["npv"]["mean"]
    );
    // The five uncertain inputs are named; the probabilities are probabilities.
    assert_eq!(
        ua["uncertainty"]["uncertain_inputs"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let p = ua["uncertainty"]["total"]["p_npv_positive"]
        .as_f64()
        .unwrap();
    assert!((0.0..=1.0).contains(&p));
    let npv = &ua["uncertainty"]["total"]["npv"];
    assert!(npv["low"].as_f64() < npv["median"].as_f64());
    assert!(npv["median"].as_f64() < npv["high"].as_f64());
}

#[test]
fn all_fixed_inputs_give_the_deterministic_numbers() {
    let f = root().join("models/examples/gmca-worked-example.toml");
    let dir = scratch("mc-fixed");
    let plain = dir.join("plain");
    let drawn = dir.join("drawn");
    let o = run_mc(&f, &plain, &[], "2");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_mc(&f, &drawn, &["--draws", "500"], "2");
    assert!(o.status.success(), "{}", stderr(&o));
    // A scenario without distributions draws nothing unless asked to.
    let p = read_json(&plain.join("summary.json"));
    assert!(p.get("uncertainty").is_none());
    assert_eq!(p["provenance"]["draws"], 0);
    // With draws, the base-value results and the ledger are unchanged...
    let d = read_json(&drawn.join("summary.json"));
    assert_eq!(p["total"], d["total"]);
    assert_eq!(
        std::fs::read(plain.join("ledger.csv")).unwrap(),
        std::fs::read(drawn.join("ledger.csv")).unwrap()
    );
    // ...and every draw equals them.
    let npv = &d["uncertainty"]["total"]["npv"];
    let base = p["total"]["npv"].as_f64().unwrap();
    for k in ["mean", "median", "low", "high"] {
        assert!((npv[k].as_f64().unwrap() - base).abs() < 1e-6, "{k}: {npv}");
    }
    assert_eq!(d["uncertainty"]["total"]["p_npv_positive"], 1.0);
    assert_eq!(d["uncertainty"]["evpi"], 0.0);
}

#[test]
fn keep_draws_writes_every_draw() {
    let f = write("keep", UNCERTAIN);
    let out = f.parent().unwrap().join("out");
    let o = run_mc(&f, &out, &["--draws", "1500", "--keep-draws"], "2");
    assert!(o.status.success(), "{}", stderr(&o));
    let pq = std::fs::read(out.join("draws.parquet")).unwrap();
    assert_eq!(&pq[..4], b"PAR1");
    let (_, df) = engine::io::casedata::read_whole(
        &out.join("draws.parquet"),
        &engine::io::casedata::ReadOptions::default(),
        "",
    )
    .unwrap();
    assert_eq!(df.height(), 1500);
    assert!(stdout(&o).contains("P(NPV > 0)"), "{}", stdout(&o));
}

#[test]
fn bad_distributions_name_file_line_and_field() {
    let bad = UNCERTAIN.replace(
        "with = { dist = \"beta\", mean = 0.30, sd = 0.05 }",
        "with = { dist = \"beta\", mean = 1.2, sd = 0.05 }",
    );
    let f = write("beta", &bad);
    let o = som(&["validate", f.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("scenario.toml:23:") && err.contains("success.with"),
        "{err}"
    );
    // A share drawn from a normal distribution could leave 0–1.
    let bad = UNCERTAIN.replace(
        "with = { dist = \"beta\", mean = 0.30, sd = 0.05 }",
        "with = { dist = \"normal\", mean = 0.30, sd = 0.05 }",
    );
    let f = write("share", &bad);
    let o = som(&["validate", f.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`success.with`") && err.contains("a share must stay between 0 and 1"),
        "{err}"
    );
    // Participants drawn from a normal distribution could go below zero.
    let bad = UNCERTAIN.replace(
        "participants = { dist = \"gamma\", mean = 40, sd = 8 }",
        "participants = { dist = \"normal\", mean = 40, sd = 8 }",
    );
    let f = write("negative", &bad);
    let o = som(&["validate", f.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("`cohort[0].participants`"),
        "{}",
        stderr(&o)
    );
}
