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
    let (_, df) = engine::casedata::read::read_whole(
        &out.join("draws.parquet"),
        &engine::casedata::read::ReadOptions::default(),
        "",
    )
    .unwrap();
    assert_eq!(df.height(), 1500);
    assert!(stdout(&o).contains("P(NPV > 0)"), "{}", stdout(&o));
}

#[test]
fn cumulative_band_by_year_ends_at_the_npv_interval() {
    let f = write("band", UNCERTAIN);
    let out = f.parent().unwrap().join("out");
    let o = run_mc(&f, &out, &["--draws", "2000"], "2");
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&out.join("summary.json"));
    let band = s["uncertainty"]["total_cumulative_net_pv"]
        .as_array()
        .unwrap();
    let years = s["total"]["years"].as_array().unwrap();
    assert_eq!(band.len(), years.len());
    for (b, y) in band.iter().zip(years) {
        assert_eq!(b["year"], y["year"]);
        assert_eq!(b["calendar_year"], y["calendar_year"]);
        assert_eq!(b["defined"], 2000);
        let (low, median, high) = (
            b["low"].as_f64().unwrap(),
            b["median"].as_f64().unwrap(),
            b["high"].as_f64().unwrap(),
        );
        assert!(low <= median && median <= high, "{b}");
    }
    // The last year's cumulative net PV is each draw's NPV, summed in another order.
    let last = band.last().unwrap();
    let npv = &s["uncertainty"]["total"]["npv"];
    for k in ["mean", "median", "low", "high"] {
        let (a, b) = (last[k].as_f64().unwrap(), npv[k].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{k}: {a} vs {b}");
    }
    // Year 0 holds only the intervention's first costs: below zero in every draw.
    assert!(band[0]["high"].as_f64().unwrap() < 0.0);
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

/// UNCERTAIN with a second, normally distributed consequence.
fn with_second_consequence() -> String {
    format!(
        "{UNCERTAIN}
[[consequence]]
name = \"Fewer school support hours\"
amount = {{ dist = \"normal\", mean = -20000, sd = 4000 }}
department = \"skole\"
"
    )
}

fn draws_table(file: &Path, out: &Path, draws: &str) -> polars::prelude::DataFrame {
    let o = run_mc(file, out, &["--draws", draws, "--keep-draws"], "2");
    assert!(o.status.success(), "{}", stderr(&o));
    engine::casedata::read::read_whole(
        &out.join("draws.parquet"),
        &engine::casedata::read::ReadOptions::default(),
        "",
    )
    .unwrap()
    .1
}

fn column(df: &polars::prelude::DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap_or_else(|_| panic!("no column {name}"))
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Ranks 0..n (the inputs here are continuous: no ties).
fn ranks(a: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..a.len()).collect();
    idx.sort_by(|&i, &j| a[i].total_cmp(&a[j]));
    let mut r = vec![0.0; a.len()];
    for (rank, &i) in idx.iter().enumerate() {
        r[i] = rank as f64;
    }
    r
}

/// Two-sample Kolmogorov–Smirnov statistic.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            i += 1;
        } else {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

#[test]
fn correlated_inputs_have_their_correlation_and_keep_their_distributions() {
    let independent = with_second_consequence();
    let correlated = format!(
        "{independent}
[[correlation]]
inputs = [\"consequence[0].units\", \"consequence[1].amount\"]
rho = 0.7

[[correlation]]
inputs = [\"success.with\", \"cohort[0].participants\"]
rho = -0.6
source = \"illustrative\"
"
    );
    let fi = write("corr-independent", &independent);
    let fc = write("corr-correlated", &correlated);
    let n = "20000";
    let di = draws_table(&fi, &fi.parent().unwrap().join("out"), n);
    let dc = draws_table(&fc, &fc.parent().unwrap().join("out"), n);
    let units = "input:consequence[0].units";
    let amount = "input:consequence[1].amount";
    let with = "input:success.with";
    let people = "input:cohort[0].participants";
    // Two normals: the Pearson correlation is rho (standard error (1 − ρ²)/√n ≈ 0.004).
    let r = pearson(&column(&dc, units), &column(&dc, amount));
    assert!((r - 0.7).abs() < 0.02, "Pearson {r}, expected 0.7");
    // A beta and a gamma: the rank correlation is (6/π)·asin(ρ/2).
    let rs = pearson(&ranks(&column(&dc, with)), &ranks(&column(&dc, people)));
    let expected = 6.0 / std::f64::consts::PI * (-0.3f64).asin();
    assert!(
        (rs - expected).abs() < 0.02,
        "Spearman {rs}, expected {expected}"
    );
    // Without the correlation they are independent.
    let r0 = pearson(&column(&di, units), &column(&di, amount));
    assert!(r0.abs() < 0.03, "{r0}");
    // Each correlated input keeps its distribution: the copula draws and the independent draws
    // of the same input are one distribution (two-sample KS at the 0.1 % level: 1.95·√(2/n)).
    let crit = 1.95 * (2.0 / 20000.0f64).sqrt();
    for c in [units, amount, with, people] {
        let d = ks(&column(&dc, c), &column(&di, c));
        assert!(d < crit, "{c}: KS {d} ≥ {crit}");
    }
    // The beta's mean and sd, against its parameters (mean 0.30, sd 0.05).
    let w = column(&dc, with);
    let m = w.iter().sum::<f64>() / w.len() as f64;
    let sd = (w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (w.len() - 1) as f64).sqrt();
    assert!(
        (m - 0.30).abs() < 5.0 * 0.05 / (w.len() as f64).sqrt(),
        "{m}"
    );
    assert!((sd - 0.05).abs() < 0.002, "{sd}");
    // Inputs outside the correlations keep exactly their draws.
    for c in [
        "input:intervention.cost[0].amount",
        "input:persistence.half_life",
    ] {
        assert_eq!(column(&dc, c), column(&di, c), "{c}");
    }
    // The summary records the correlations.
    let s = read_json(&fc.parent().unwrap().join("out").join("summary.json"));
    let corr = &s["uncertainty"]["correlations"];
    assert_eq!(corr[1]["rho"], -0.6);
    assert_eq!(corr[0]["inputs"][1], "consequence[1].amount");
}

#[test]
fn bad_correlations_name_the_field() {
    let cases = [
        (
            "inputs = [\"success.wiht\", \"consequence[0].units\"]\nrho = 0.3",
            "correlation[0].inputs[0]",
            "unknown input `success.wiht` (did you mean `success.with`?)",
        ),
        (
            "inputs = [\"success.without\", \"consequence[0].units\"]\nrho = 0.3",
            "correlation[0].inputs[0]",
            "input `success.without` has no distribution",
        ),
        (
            "inputs = [\"success.with\", \"consequence[0].units\"]\nrho = 1.3",
            "correlation[0].rho",
            "`rho` must be between −1 and 1, got 1.3",
        ),
        (
            "inputs = [\"success.with\"]\nrho = 0.3",
            "correlation[0].inputs",
            "give exactly two inputs to correlate, got 1",
        ),
        (
            "inputs = [\"success.with\", \"success.with\"]\nrho = 0.3",
            "correlation[0].inputs",
            "cannot be correlated with itself",
        ),
        (
            "inputs = [\"success.with\", \"consequence[0].units\"]\nrho = 0.9\n\
             [[correlation]]\ninputs = [\"success.with\", \"persistence.half_life\"]\nrho = 0.9\n\
             [[correlation]]\ninputs = [\"consequence[0].units\", \"persistence.half_life\"]\nrho = -0.9",
            "correlation[",
            "not positive semi-definite",
        ),
        (
            "inputs = [\"success.with\", \"consequence[0].units\"]\nrhoo = 0.3",
            "correlation[0]",
            "unknown field `rhoo`",
        ),
    ];
    for (i, (body, field, msg)) in cases.iter().enumerate() {
        let f = write(
            &format!("badcorr-{i}"),
            &format!("{UNCERTAIN}\n[[correlation]]\n{body}\n"),
        );
        let o = som(&["validate", f.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{body}: {err}");
        assert!(
            err.contains("scenario.toml:") && err.contains(field) && err.contains(msg),
            "{body}: expected `{field}` and `{msg}` in\n{err}"
        );
    }
}

/// Run a scenario text deterministically (`--draws 0`) with extra arguments; the summary.
fn run_text(name: &str, text: &str, args: &[&str]) -> serde_json::Value {
    let f = write(name, text);
    let out = f.parent().unwrap().join("out");
    let mut all = vec!["--draws", "0"];
    all.extend_from_slice(args);
    let o = run_mc(&f, &out, &all, "2");
    assert!(o.status.success(), "{}", stderr(&o));
    read_json(&out.join("summary.json"))
}

fn switching<'a>(s: &'a serde_json::Value, input: &str) -> &'a serde_json::Value {
    s["sensitivity"]["switching_values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["input"] == input)
        .unwrap_or_else(|| panic!("no switching value for {input}: {}", s["sensitivity"]))
}

#[test]
fn switching_values_plugged_back_give_zero_npv() {
    // A constant discount rate, so that its switching value (the internal rate of return) is
    // one of a nonlinear input.
    let text = UNCERTAIN.replace(
        "horizon = 8\n",
        "horizon = 8\n\n[discounting]\nrate = 0.04\n",
    );
    let s = run_text(
        "switch",
        &text,
        &[
            "--switch",
            "discounting.rate",
            "--switch",
            "consequence[0].units",
        ],
    );
    let scale =
        s["total"]["cost_pv"].as_f64().unwrap() + s["total"]["benefit_pv"].as_f64().unwrap();
    // The success rate's comes first, always.
    assert_eq!(
        s["sensitivity"]["switching_values"][0]["input"],
        "success.with"
    );
    let cases = [
        (
            "success.with",
            "with = { dist = \"beta\", mean = 0.30, sd = 0.05 }",
            "with = ",
        ),
        ("discounting.rate", "rate = 0.04", "rate = "),
        (
            "consequence[0].units",
            "units = { dist = \"normal\", mean = -0.5, sd = 0.1 }",
            "units = ",
        ),
    ];
    for (input, line, key) in cases {
        let v = switching(&s, input);
        assert_eq!(v["status"], "found", "{v}");
        let x = v["value"].as_f64().unwrap();
        let base = v["base"].as_f64().unwrap();
        assert!((v["distance"].as_f64().unwrap() - (x - base)).abs() < 1e-15);
        assert!((v["relative_distance"].as_f64().unwrap() - (x - base) / base.abs()).abs() < 1e-12);
        // Rewrite the scenario with the switching value and run the real pipeline.
        assert!(text.contains(line), "{line}");
        let rewritten = text.replace(line, &format!("{key}{x:?}"));
        let r = run_text(
            &format!("switch-back-{}", input.replace(['[', ']', '.'], "-")),
            &rewritten,
            &[],
        );
        let npv = r["total"]["npv"].as_f64().unwrap();
        assert!(
            npv.abs() <= 1e-9 * scale,
            "{input} = {x}: NPV {npv} (scale {scale})"
        );
    }
    // The discount rate's is the internal rate of return: above the rate used, as NPV > 0.
    assert!(switching(&s, "discounting.rate")["value"].as_f64().unwrap() > 0.04);
    // Half-life: the NPV stays positive however short or long the effect lasts.
    let s = run_text(
        "switch-none",
        UNCERTAIN,
        &["--switch", "persistence.half_life"],
    );
    let v = switching(&s, "persistence.half_life");
    assert_eq!(v["status"], "none_in_range");
    assert!(v["value"].is_null());
    assert!(v["searched"][0].as_f64().unwrap() > 0.0);
    assert!(v["npv_at_ends"][0].as_f64().unwrap() > 0.0);
}

#[test]
fn tornado_moves_one_input_at_a_time_to_its_quantiles() {
    let text = format!(
        "{UNCERTAIN}
[[sensitivity.range]]
input = \"success.without\"
low = 0.05
high = 0.15
source = \"illustrative\"
"
    );
    let s = run_text("tornado", &text, &[]);
    let bars = s["sensitivity"]["tornado"].as_array().unwrap();
    // Five uncertain inputs and one given range.
    assert_eq!(bars.len(), 6);
    let swings: Vec<f64> = bars.iter().map(|b| b["swing"].as_f64().unwrap()).collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]), "{swings:?}");
    let with = bars.iter().find(|b| b["input"] == "success.with").unwrap();
    assert_eq!(with["range_from"], "quantiles");
    let beta = engine::dist::Dist::beta(0.3 * 83.0, 0.7 * 83.0).unwrap(); // mean 0.3, sd 0.05
    assert!((with["low"].as_f64().unwrap() - beta.quantile(0.05).unwrap()).abs() < 1e-12);
    assert!((with["high"].as_f64().unwrap() - beta.quantile(0.95).unwrap()).abs() < 1e-12);
    let given = bars
        .iter()
        .find(|b| b["input"] == "success.without")
        .unwrap();
    assert_eq!(given["range_from"], "given");
    assert_eq!(given["low"], 0.05);
    // Each bar's NPV is that of a run with the input set to its low or high value.
    for (b, line, key) in [
        (
            with,
            "with = { dist = \"beta\", mean = 0.30, sd = 0.05 }",
            "with = ",
        ),
        (given, "without = 0.10", "without = "),
    ] {
        for end in ["low", "high"] {
            let x = b[end].as_f64().unwrap();
            let r = run_text(
                &format!("tornado-{}-{end}", key.trim_end_matches(" = ")),
                &text.replace(line, &format!("{key}{x:?}")),
                &[],
            );
            let want = b[format!("npv_{end}")].as_f64().unwrap();
            let got = r["total"]["npv"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs(),
                "{key}{end}: {got} vs {want}"
            );
            let dep = &b["by_department"][0];
            assert_eq!(dep["id"], "born_familie");
            assert_eq!(dep[format!("npv_{end}")], r["by_department"][0]["npv"]);
        }
    }
    // A deterministic scenario has no tornado, but its success rate's switching value.
    let out = scratch("mc-tornado-fixed");
    let o = run_mc(
        &root().join("models/examples/gmca-worked-example.toml"),
        &out,
        &[],
        "2",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let d = read_json(&out.join("summary.json"));
    assert!(d["sensitivity"].get("tornado").is_none());
    assert_eq!(
        d["sensitivity"]["switching_values"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn bad_sensitivity_inputs_name_the_field() {
    let cases = [
        (
            "[[sensitivity.range]]\ninput = \"success.wihtout\"\nlow = 0\nhigh = 1",
            "sensitivity.range[0].input",
            "unknown input `success.wihtout` (did you mean `success.without`?)",
        ),
        (
            "[[sensitivity.range]]\ninput = \"success.without\"\nlow = 0.2\nhigh = 0.1",
            "sensitivity.range[0].high",
            "`low` (0.2) must be below `high` (0.1)",
        ),
        (
            "[[sensitivity.range]]\ninput = \"success.without\"\nlow = 0.1\nhigh = 1.5",
            "sensitivity.range[0].high",
            "must be a share between 0 and 1",
        ),
        (
            "[sensitivity]\nswitching = [\"persistence.halflife\"]",
            "sensitivity.switching[0]",
            "unknown input `persistence.halflife` (did you mean `persistence.half_life`?)",
        ),
    ];
    for (i, (body, field, msg)) in cases.iter().enumerate() {
        let f = write(&format!("badsens-{i}"), &format!("{UNCERTAIN}\n{body}\n"));
        let o = som(&["validate", f.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{body}: {err}");
        assert!(
            err.contains("scenario.toml:") && err.contains(field) && err.contains(msg),
            "{body}: expected `{field}` and `{msg}` in\n{err}"
        );
    }
    // An unknown input on the command line names the option.
    let f = write("badsens-cli", UNCERTAIN);
    let o = run_mc(
        &f,
        &f.parent().unwrap().join("out"),
        &["--draws", "0", "--switch", "sucess.with"],
        "2",
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("--switch") && err.contains("did you mean `success.with`"),
        "{err}"
    );
}

/// The value of information of a run: EVPI, and the EVPPI of every uncertain input by the
/// regression method, none above the EVPI, the same whatever the thread count; with too few
/// draws for the regression, a note that says how many it needs.
#[test]
fn value_of_information_names_the_inputs_worth_knowing_first() {
    let file = write("voi", UNCERTAIN);
    let dir = scratch("mc-voi-out");
    let o1 = run_mc(
        &file,
        &dir.join("a"),
        &["--draws", "4000", "--no-charts", "--no-workbook"],
        "1",
    );
    let o2 = run_mc(
        &file,
        &dir.join("b"),
        &["--draws", "4000", "--no-charts", "--no-workbook"],
        "2",
    );
    assert!(
        o1.status.success() && o2.status.success(),
        "{}",
        stderr(&o1)
    );
    let s = read_json(&dir.join("a/summary.json"));
    let v = &s["uncertainty"]["value_of_information"];
    assert_eq!(
        v,
        &read_json(&dir.join("b/summary.json"))["uncertainty"]["value_of_information"]
    );
    assert!(
        v["method"]
            .as_str()
            .unwrap()
            .contains("Strong, Oakley & Brennan 2014")
    );
    let evpi = v["evpi"].as_f64().unwrap();
    assert_eq!(evpi, s["uncertainty"]["evpi"].as_f64().unwrap());
    let inputs = v["inputs"].as_array().unwrap();
    let uncertain = s["uncertainty"]["uncertain_inputs"].as_array().unwrap();
    assert_eq!(
        inputs.len(),
        uncertain.len(),
        "one EVPPI per uncertain input"
    );
    let values: Vec<f64> = inputs
        .iter()
        .map(|e| e["value"].as_f64().unwrap())
        .collect();
    assert!(
        values.iter().all(|&x| (0.0..=evpi).contains(&x)),
        "{values:?} vs EVPI {evpi}"
    );
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {values:?}"
    );
    assert!(stdout(&o1).contains("Value of knowing an input before deciding to invest"));
    // Too few draws for the regression: no estimates, and a note with the number needed.
    let o = run_mc(
        &file,
        &dir.join("c"),
        &["--draws", "300", "--no-charts", "--no-workbook"],
        "2",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&dir.join("c/summary.json"));
    let v = &s["uncertainty"]["value_of_information"];
    assert_eq!(v["inputs"].as_array().unwrap().len(), 0);
    assert_eq!(
        v["note"],
        "EVPPI needs at least 500 draws for its regression; this run has 300"
    );
}

/// A named group's joint EVPPI: reported with its inputs, never below a member's or above the
/// EVPI; too few draws for its regression, or a fixed input in it, is an error naming the field.
#[test]
fn evppi_groups_are_checked_and_reported() {
    let group = "\n[[sensitivity.group]]\nname = \"Effect and cost\"\n\
                 inputs = [\"success.with\", \"intervention.cost[0].amount\"]\n";
    let file = write("voi-group", &format!("{UNCERTAIN}{group}"));
    let dir = scratch("mc-voi-group-out");
    let o = run_mc(
        &file,
        &dir.join("a"),
        &["--draws", "3000", "--no-charts", "--no-workbook"],
        "2",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&dir.join("a/summary.json"));
    let v = &s["uncertainty"]["value_of_information"];
    let g = &v["groups"][0];
    assert_eq!(g["name"], "Effect and cost");
    assert_eq!(
        g["inputs"],
        serde_json::json!(["success.with", "intervention.cost[0].amount"])
    );
    let value = g["value"].as_f64().unwrap();
    let of = |name: &str| {
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["input"] == name)
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    assert!(value >= of("success.with") && value >= of("intervention.cost[0].amount"));
    assert!(value <= v["evpi"].as_f64().unwrap());
    assert!(
        stdout(&o).contains("group Effect and cost (2 inputs)"),
        "{}",
        stdout(&o)
    );
    // Too few draws: an error at the group, with the draws needed.
    let o = run_mc(
        &file,
        &dir.join("b"),
        &["--draws", "200", "--no-charts"],
        "2",
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("field `sensitivity.group[0]`")
            && e.contains("needs at least 500 draws")
            && e.contains("--draws 500"),
        "{e}"
    );
    // A fixed input in a group.
    let fixed = group.replace("intervention.cost[0].amount", "success.without");
    let file = write("voi-group-fixed", &format!("{UNCERTAIN}{fixed}"));
    let o = som(&["validate", file.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("field `sensitivity.group[0].inputs[1]`") && e.contains("is fixed"),
        "{e}"
    );
}

/// Two-way sensitivity: the grid's NPV is what a run with those two values gives, the threshold
/// line meets the one-way switching value at the base value, and bad grids are errors at their
/// field.
#[test]
fn two_way_grid_and_its_threshold_line() {
    let base = "name = \"Two-way\"\nprice_year = 2025\nfirst_year = 2025\nhorizon = 10\n\n\
                [[cohort]]\nstart = 2025\nparticipants = 40\n\n[intervention]\nduration = 2\n\
                department = \"born_familie\"\n\n[[intervention.cost]]\nname = \"Coordinator\"\n\
                amount = AMOUNT\n\n[success]\nnet = NET\n\n[[consequence]]\n\
                name = \"Fewer placements\"\nitem = \"plejefamilie\"\nunits = -0.5\n";
    let grid = "\n[[sensitivity.range]]\ninput = \"success.net\"\nlow = 0.02\nhigh = 0.2\n\n\
                [[sensitivity.range]]\ninput = \"intervention.cost[0].amount\"\nlow = 30000\n\
                high = 120000\n\n[[sensitivity.two_way]]\n\
                inputs = [\"intervention.cost[0].amount\", \"success.net\"]\nsteps = 11\n";
    let text = |amount: &str, net: &str, extra: &str| {
        format!(
            "{}{extra}",
            base.replace("AMOUNT", amount).replace("NET", net)
        )
    };
    let file = write("two-way", &text("60000", "0.10", grid));
    let dir = scratch("mc-two-way-out");
    let o = run_mc(
        &file,
        &dir.join("a"),
        &["--no-charts", "--no-workbook"],
        "2",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Two-way sensitivity: Coordinator: amount × "));
    let s = read_json(&dir.join("a/summary.json"));
    let t = &s["sensitivity"]["two_way"][0];
    assert_eq!(
        t["inputs"],
        serde_json::json!(["intervention.cost[0].amount", "success.net"])
    );
    let x: Vec<f64> = t["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let y: Vec<f64> = t["y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!((x.len(), y.len()), (11, 11));
    assert_eq!((x[0], x[10], y[0], y[10]), (30000.0, 120000.0, 0.02, 0.2));
    // A grid point is the run with those two values: x[3] = 57,000, y[7] = 0.146.
    let point = write("two-way-point", &text("57000", "0.146", ""));
    let o = run_mc(
        &point,
        &dir.join("p"),
        &["--no-charts", "--no-workbook"],
        "2",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let run_npv = read_json(&dir.join("p/summary.json"))["total"]["npv"]
        .as_f64()
        .unwrap();
    let grid_npv = t["npv"][3][7].as_f64().unwrap();
    assert!(
        (grid_npv - run_npv).abs() <= 1e-6 * run_npv.abs(),
        "{grid_npv} vs {run_npv}"
    );
    // NPV is linear in both inputs here: the threshold at x = 66,000 is the net success rate
    // that the one-way switching value gives at 60,000, scaled by 66/60.
    let switching = s["sensitivity"]["switching_values"][0]["value"]
        .as_f64()
        .unwrap();
    let at = t["threshold"][4].as_f64().unwrap();
    assert!(
        (at - switching * 66.0 / 60.0).abs() < 1e-9,
        "{at} vs {switching}"
    );
    // Bad grids.
    for (bad, field, words) in [
        (
            grid.replace("steps = 11", "steps = 2"),
            "sensitivity.two_way[0].steps",
            "3 to 101",
        ),
        (
            grid.replace(", \"success.net\"]", "]"),
            "sensitivity.two_way[0].inputs",
            "two inputs, got 1",
        ),
        (
            grid.replace("\"success.net\"]", "\"consequence[0].units\"]"),
            "sensitivity.two_way[0].inputs[1]",
            "no range to vary it over",
        ),
    ] {
        let f = write("two-way-bad", &text("60000", "0.10", &bad));
        let o = som(&["validate", f.to_str().unwrap()]);
        assert!(!o.status.success());
        let e = stderr(&o);
        assert!(
            e.contains(&format!("field `{field}`")) && e.contains(words),
            "{e}"
        );
    }
}

/// The value of information over the population a decision covers: the run's per participant,
/// times the participants a year, summed over the discounted years the decision holds.
#[test]
fn value_of_information_over_the_decision_population() {
    let pop = "\n[sensitivity.population]\nper_year = 40\nyears = 3\nsource = \"our forecast\"\n";
    let file = write("voi-pop", &format!("{UNCERTAIN}{pop}"));
    let dir = scratch("mc-voi-pop-out");
    let o = run_mc(
        &file,
        &dir.join("a"),
        &["--draws", "2000", "--no-charts", "--no-workbook"],
        "2",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&dir.join("a/summary.json"));
    let v = &s["uncertainty"]["value_of_information"];
    let p = &v["population"];
    let scale = p["scale"].as_f64().unwrap();
    // 40 a year over about 80 participants in the run (a gamma cohort of mean 40 and 40 more),
    // for three years discounted at 3.5 % from year 0 (dk-fm-2021, year 0 undiscounted).
    let annuity = 1.0 + 1.0 / 1.035 + 1.0 / 1.035f64.powi(2);
    assert!(
        (scale / (0.5 * annuity) - 1.0).abs() < 0.05,
        "scale {scale}"
    );
    let evpi = v["evpi"].as_f64().unwrap();
    assert!((p["evpi"].as_f64().unwrap() - evpi * scale).abs() <= 1e-9 * evpi.abs().max(1.0));
    assert_eq!(
        p["inputs"].as_array().unwrap().len(),
        v["inputs"].as_array().unwrap().len()
    );
    assert!(stdout(&o).contains("over the population the decision covers (40 a year for 3 years)"));
    // Years beyond the horizon, or no participants a year, are errors at the field.
    for (bad, field) in [
        (
            pop.replace("years = 3", "years = 9"),
            "sensitivity.population.years",
        ),
        (
            pop.replace("per_year = 40", "per_year = 0"),
            "sensitivity.population.per_year",
        ),
    ] {
        let f = write("voi-pop-bad", &format!("{UNCERTAIN}{bad}"));
        let o = som(&["validate", f.to_str().unwrap()]);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains(&format!("field `{field}`")),
            "{}",
            stderr(&o)
        );
    }
}
