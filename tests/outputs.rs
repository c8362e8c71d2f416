//! What `som run` writes: the four files, whole, reproducible, with hashes that match; the
//! bundled models and the documented examples validate; the committed JSON Schema is current.

mod common;
use common::*;
use std::path::PathBuf;

const FILES: &[&str] = &[
    "summary.json",
    "ledger.parquet",
    "ledger.csv",
    "manifest.json",
];

fn sha256_hex(bytes: &[u8]) -> String {
    engine::source::Source::new("x", String::from_utf8_lossy(bytes)).sha256()
}

#[test]
fn run_writes_four_files_reproducibly_and_leaves_inputs_alone() {
    let scenario = "models/examples/gmca-worked-example.toml";
    let before = std::fs::read(root().join(scenario)).unwrap();
    let a = scratch("outputs-a");
    let b = scratch("outputs-b").join("nested");
    for out in [&a, &b] {
        let o = som(&["run", scenario, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for f in FILES {
        assert!(a.join(f).is_file(), "{f} missing");
        if *f != "manifest.json" {
            assert_eq!(
                std::fs::read(a.join(f)).unwrap(),
                std::fs::read(b.join(f)).unwrap(),
                "{f} differs between two runs"
            );
        }
    }
    assert_eq!(std::fs::read(root().join(scenario)).unwrap(), before);
    // The manifest records the inputs' hashes and every output's hash.
    let m = read_json(&a.join("manifest.json"));
    assert_eq!(m["som_version"], env!("CARGO_PKG_VERSION"));
    let inputs = m["inputs"].as_array().unwrap();
    let sc = inputs.iter().find(|i| i["role"] == "scenario").unwrap();
    assert_eq!(sc["sha256"], sha256_hex(&before));
    assert_eq!(inputs.len(), 5);
    for o in m["outputs"].as_array().unwrap() {
        let f = o["file"].as_str().unwrap();
        let bytes = std::fs::read(a.join(f)).unwrap();
        assert_eq!(o["bytes"], bytes.len());
    }
    // The summary carries the same provenance.
    let s = read_json(&a.join("summary.json"));
    assert_eq!(s["provenance"]["inputs"], m["inputs"]);
    assert!(s["provenance"]["seed"].is_null());
    // The CSV ledger has the documented columns.
    let csv = std::fs::read_to_string(a.join("ledger.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(header, engine::ledger::COLUMNS.join(","));
    // Parquet magic bytes at both ends.
    let pq = std::fs::read(a.join("ledger.parquet")).unwrap();
    assert_eq!(&pq[..4], b"PAR1");
    assert_eq!(&pq[pq.len() - 4..], b"PAR1");
}

#[test]
fn json_flag_prints_the_summary() {
    let out = scratch("outputs-json");
    let o = som(&[
        "run",
        "models/examples/gmca-worked-example.toml",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v, read_json(&out.join("summary.json")));
}

#[test]
fn every_bundled_model_validates_and_runs() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected at least four bundled models, found {files:?}"
    );
    files.push("models/examples/gmca-worked-example.toml".into());
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let o = som(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in &files {
        let s = std::fs::read_to_string(root().join(f)).unwrap();
        // Each bundled model cites a source for its figures.
        assert!(s.contains("source"), "{f} cites no source");
    }
}

/// The ledger's present values of the public actors add up to minus the total NPV, for every
/// bundled model and example (the ledger frame is built apart from the metrics).
#[test]
fn ledger_present_values_of_public_actors_add_up_to_minus_the_npv() {
    let mut paths: Vec<PathBuf> = ["models", "models/examples"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root().join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml") && !p.ends_with("gmca-departments.toml")
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 9, "{paths:?}");
    for p in paths {
        let run = engine::run(&engine::load_scenario(&p).unwrap()).unwrap();
        let df = engine::ledger::ledger(
            &run.model,
            run.flows.view(),
            run.flows_pv.as_ref().map(|v| v.view()),
        )
        .unwrap();
        let pv = df.column("present_value").unwrap().f64().unwrap();
        let public = df.column("public").unwrap().bool().unwrap();
        let sum: f64 = (0..df.height())
            .filter(|&i| public.get(i) == Some(true))
            .map(|i| pv.get(i).unwrap())
            .sum();
        let npv = run.summary.results.total.metrics.npv;
        let tol = 1e-9 * (1.0 + npv.abs() + sum.abs());
        assert!(
            (sum + npv).abs() <= tol,
            "{}: {} vs {npv}",
            p.display(),
            -sum
        );
    }
}

#[test]
fn demo_runs_every_bundled_model() {
    let out = scratch("outputs-demo");
    let o = som(&["demo", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = std::fs::read_dir(&out).unwrap().count();
    assert!(runs >= 5, "{runs} runs");
    for run in ["gmca-worked-example", "synthetic-estimated"] {
        assert!(out.join(run).join("summary.json").is_file(), "{run}");
    }
    // Every model's folder holds the reports and the charts; the Danish models are compared.
    for entry in std::fs::read_dir(&out).unwrap() {
        let dir = entry.unwrap().path();
        if dir.ends_with("comparison") {
            continue;
        }
        for f in [
            "report.html",
            "summary.md",
            "report.xlsx",
            "charts/costs_and_gains_by_year.png",
            "charts/cumulative_net_pv.svg",
        ] {
            assert!(dir.join(f).is_file(), "{}: no {f}", dir.display());
        }
    }
    let cmp = out.join("comparison");
    for f in [
        "comparison.html",
        "comparison.md",
        "comparison.csv",
        "comparison.json",
        "charts/scenario_comparison.png",
        "charts/scenario_comparison.svg",
    ] {
        assert!(cmp.join(f).is_file(), "comparison: no {f}");
    }
}

#[test]
fn committed_json_schema_is_current() {
    let o = som(&["schema"]);
    assert!(o.status.success());
    let generated: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let committed = read_json(&root().join("docs/scenario.schema.json"));
    assert_eq!(
        generated, committed,
        "docs/scenario.schema.json is stale: run `cargo run -- schema > docs/scenario.schema.json`"
    );
}

/// Validate every fenced block marked `toml scenario` in a document; returns how many.
fn validate_examples(doc_path: &str) -> usize {
    let doc = std::fs::read_to_string(root().join(doc_path)).unwrap();
    let dir = scratch(&format!("examples-{}", doc_path.replace('/', "-")));
    let mut n = 0;
    let mut block: Option<String> = None;
    for line in doc.lines() {
        match &mut block {
            None if line.trim() == "```toml scenario" => block = Some(String::new()),
            Some(b) if line.trim() == "```" => {
                let file = dir.join(format!("example-{n}.toml"));
                std::fs::write(&file, &b).unwrap();
                let o = som(&["validate", file.to_str().unwrap()]);
                assert!(
                    o.status.success(),
                    "{doc_path}, example {n}:\n{b}\n{}",
                    stderr(&o)
                );
                n += 1;
                block = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    n
}

#[test]
fn documented_examples_validate() {
    let n = validate_examples("docs/scenario-format.md");
    assert!(
        n >= 3,
        "expected at least three complete examples, found {n}"
    );
    assert_eq!(validate_examples("README.md"), 1);
}

/// A cohort still in the intervention at the horizon is computed, and every output says what is
/// cut: the terminal, summary.json, summary.md, the report and the workbook's overview.
#[test]
fn a_cohort_past_the_horizon_is_said_in_every_output() {
    let dir = scratch("late-cohort");
    let text = "name = \"Late cohort\"\nprice_year = 2025\nfirst_year = 2025\nhorizon = 10\n\n\
                [[cohort]]\nstart = 2025\nparticipants = 40\n\n[[cohort]]\nstart = 2033\n\
                participants = 20\n\n[intervention]\nduration = 3\ndepartment = \"born_familie\"\n\n\
                [[intervention.cost]]\nname = \"Coordinator\"\namount = 60000\n\n[success]\n\
                net = 0.10\n\n[[consequence]]\nname = \"Fewer placements\"\n\
                item = \"plejefamilie\"\nunits = -0.5\n";
    let file = dir.join("late.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let o = som(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = "field `cohort[1].start`: the cohort starting in 2033 is in the intervention until \
                2035, past the horizon's last year 2034: its 1 year(s) from 2035 on";
    assert!(stdout(&o).contains(want), "{}", stdout(&o));
    let s = read_json(&out.join("summary.json"));
    let w = s["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "only the late cohort: {w:?}");
    assert!(w[0].as_str().unwrap().contains(":11:9: "), "{w:?}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("> **Warning:**") && md.contains(want), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("class=\"warn\"") && html.contains(&want.replace('\'', "&#39;")));
    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(out.join("report.xlsx")).unwrap();
    let overview = wb.worksheet_range("Overview").unwrap();
    assert!(
        overview
            .used_cells()
            .any(|(_, _, c)| c.to_string().contains(want)),
        "the overview states the warning"
    );
    // Within the horizon: nothing to say.
    let o = som(&[
        "run",
        "models/families-one-plan.toml",
        "--json",
        "--out",
        dir.join("ok").to_str().unwrap(),
        "--no-charts",
        "--no-workbook",
    ]);
    assert!(o.status.success());
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["warnings"], serde_json::json!([]));
}
