//! `som estimate` on synthetic data with known true effects: the intervals cover the truth, the
//! naive comparison is biased and matching removes most of it, the thread count changes
//! nothing, bad studies get clear errors, and small cells are suppressed.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const STUDY: &str = "models/studies/synthetic-all-segments.toml";

/// Generate a synthetic municipality with `som synth`.
fn synth(name: &str, seed: u64) -> PathBuf {
    let out = scratch(name);
    let o = som(&[
        "synth",
        "--out",
        out.to_str().unwrap(),
        "--municipality",
        "751",
        "--persons",
        "3000",
        "--from",
        "2016",
        "--to",
        "2025",
        "--seed",
        &seed.to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn estimate(study: &str, cases: &Path, out: &Path, threads: usize) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args([
            "estimate",
            study,
            cases.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("RAYON_NUM_THREADS", threads.to_string())
        .current_dir(root())
        .output()
        .expect("the som binary runs")
}

/// Effects of years since start ≥ 0 paired with the true ATT of all segments.
fn paired(estimates: &Value, truth: &Value) -> Vec<(String, i64, Value, f64)> {
    let att = truth["att"].as_array().unwrap();
    estimates["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["year_since_start"].as_i64().unwrap() >= 0 && !r["suppressed"].as_bool().unwrap()
        })
        .filter_map(|r| {
            let d = r["department"].as_str().unwrap();
            let k = r["year_since_start"].as_i64().unwrap();
            let t = att.iter().find(|a| {
                a["segment"] == "all" && a["department"] == d && a["year_since_start"] == k
            })?;
            Some((d.to_string(), k, r.clone(), t["effect"].as_f64().unwrap()))
        })
        .collect()
}

#[test]
fn intervals_cover_the_truth_and_matching_removes_the_naive_bias() {
    let mut covered = 0;
    let mut cells = 0;
    let (mut naive_err, mut matched_err) = (0.0, 0.0);
    for seed in [101u64, 202, 303] {
        let data = synth(&format!("est-cover-{seed}"), seed);
        let out = scratch(&format!("est-cover-{seed}-out"));
        let o = estimate(STUDY, &data, &out, 2);
        assert!(o.status.success(), "{}", stderr(&o));
        let e = read_json(&out.join("estimates.json"));
        let truth = read_json(&data.join("truth.json"));
        let pairs = paired(&e, &truth);
        assert!(pairs.len() >= 30, "only {} cells compared", pairs.len());
        for (d, k, r, t) in &pairs {
            let (lo, hi) = (r["low"].as_f64().unwrap(), r["high"].as_f64().unwrap());
            cells += 1;
            if lo <= *t && *t <= hi {
                covered += 1;
            } else {
                eprintln!("seed {seed}: {d} year {k}: truth {t:.0} outside [{lo:.0}, {hi:.0}]");
            }
            if d == "total" {
                naive_err += (r["naive"].as_f64().unwrap() - t).abs();
                matched_err += (r["estimate"].as_f64().unwrap() - t).abs();
            }
        }
    }
    let share = covered as f64 / cells as f64;
    assert!(
        share >= 0.85,
        "95 % intervals covered the truth in {covered} of {cells} department-years ({share:.2})"
    );
    // The naive comparison is off by more than the effect itself; matching removes most of it.
    assert!(
        matched_err < 0.25 * naive_err,
        "mean absolute error of the total: matched {matched_err:.0}, naive {naive_err:.0}"
    );
}

#[test]
fn the_bundled_study_recovers_the_bundled_truth_and_reports_balance() {
    let out = scratch("est-bundled");
    let o = som(&["estimate", STUDY, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Balance: largest |standardised mean difference|"),
        "{text}"
    );
    let e = read_json(&out.join("estimates.json"));
    let truth = read_json(&root().join("datasets/synthetic-small/truth.json"));
    for (d, k, r, t) in paired(&e, &truth) {
        if d == "total" {
            let (lo, hi) = (r["low"].as_f64().unwrap(), r["high"].as_f64().unwrap());
            assert!(
                lo <= t && t <= hi,
                "total year {k}: {t} outside [{lo}, {hi}]"
            );
        }
    }
    // Balance: poor before matching, good after.
    let bal = e["balance"].as_array().unwrap();
    let worst = |key: &str| {
        bal.iter()
            .map(|b| b[key].as_f64().unwrap().abs())
            .fold(0.0, f64::max)
    };
    assert!(worst("smd_before") > 0.5, "{}", worst("smd_before"));
    assert!(
        worst("smd_after") < 0.25 * worst("smd_before"),
        "{} after, {} before",
        worst("smd_after"),
        worst("smd_before")
    );
    // Where balance stays poor, the run says so.
    let poor = bal.iter().any(|b| b["poor"] == true);
    let warned = e["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("poor balance"));
    assert_eq!(poor, warned);
    // Baseline: both paths, with the persons behind every value.
    let base = e["baseline"].as_array().unwrap();
    assert!(base.iter().any(|b| b["group"] == "comparison"));
    assert!(
        base.iter()
            .all(|b| b["suppressed"].as_bool().unwrap() || b["persons"].as_u64().unwrap() >= 5)
    );
    // Transitions from the states table, with probabilities that sum to one per origin.
    let tr = e["transitions"].as_array().unwrap();
    assert!(!tr.is_empty());
    let mut sums = std::collections::BTreeMap::<(String, i64, String), f64>::new();
    for t in tr.iter().filter(|t| !t["suppressed"].as_bool().unwrap()) {
        *sums
            .entry((
                t["group"].as_str().unwrap().into(),
                t["year_since_start"].as_i64().unwrap(),
                t["from"].as_str().unwrap().into(),
            ))
            .or_default() += t["probability"].as_f64().unwrap();
    }
    assert!(sums.values().all(|s| *s <= 1.0 + 1e-9));
    // Secondary suppression: no origin row and no destination column of a table (group ×
    // year) has exactly one suppressed cell beside published ones (it would be the line's
    // remainder). (suppressed, cells) per line:
    let mut lines =
        std::collections::BTreeMap::<(String, i64, bool, String), (usize, usize)>::new();
    for t in tr {
        for (column, state) in [(false, "from"), (true, "to")] {
            let key = (
                t["group"].as_str().unwrap().into(),
                t["year_since_start"].as_i64().unwrap(),
                column,
                t[state].as_str().unwrap().into(),
            );
            let e = lines.entry(key).or_default();
            e.0 += t["suppressed"].as_bool().unwrap() as usize;
            e.1 += 1;
        }
    }
    assert!(lines.values().all(|&(h, n)| h != 1 || n == 1), "{lines:?}");
    assert!(
        lines.values().any(|&(h, n)| h >= 2 && h < n),
        "some line has small cells"
    );
    for f in [
        "estimates.json",
        "effects.csv",
        "baseline.csv",
        "balance.csv",
        "transitions.csv",
        "bootstrap.parquet",
        "manifest.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let m = read_json(&out.join("manifest.json"));
    let roles: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"study") && roles.contains(&"services"),
        "{roles:?}"
    );
}

#[test]
fn one_thread_and_two_threads_give_identical_estimates() {
    let data = root().join("datasets/synthetic-small");
    let a = scratch("est-threads-1");
    let b = scratch("est-threads-2");
    for (out, n) in [(&a, 1), (&b, 2)] {
        let o = estimate(STUDY, &data, out, n);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for f in ["estimates.json", "effects.csv", "bootstrap.parquet"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
}

/// Write a variant of the bundled study with `edit` applied to its text.
fn variant(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = scratch(name);
    let text = std::fs::read_to_string(root().join(STUDY))
        .unwrap()
        .replace(
            "cases = \"../../datasets/synthetic-small\"",
            &format!(
                "cases = {:?}",
                root().join("datasets/synthetic-small").to_str().unwrap()
            ),
        );
    let p = dir.join("study.toml");
    std::fs::write(&p, edit(text)).unwrap();
    p
}

fn fails_with(study: &Path, needles: &[&str]) {
    let out = study.parent().unwrap().join("out");
    let o = som(&[
        "estimate",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in:\n{err}");
    }
    assert!(!out.exists(), "nothing is written on error");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_studies_get_clear_errors() {
    // No participant matches the filter.
    let s = variant("est-bad-filter", |t| {
        t.replace(
            "[period]",
            "[target]\nsegments = [\"pensioners\"]\n\n[period]",
        )
    });
    fails_with(&s, &["target", "no participant matches the target filter"]);
    // A pre-period longer than the data.
    let s = variant("est-bad-pre", |t| {
        t.replace("pre_years = 2", "pre_years = 10")
    });
    fails_with(
        &s,
        &[
            "period.pre_years",
            "132 months",
            "2016-01 to 2025-12 (120 months)",
        ],
    );
    // An unknown department.
    let s = variant("est-bad-dept", |t| {
        t.replace(
            "[period]",
            "[outcomes]\ndepartments = [\"born_famile\"]\n\n[period]",
        )
    });
    fails_with(
        &s,
        &["outcomes.departments[0]", "born_famile", "born_familie"],
    );
    // Too few persons: say so rather than report noise.
    let s = variant("est-bad-few", |t| {
        t.replace(
            "[period]",
            "[participants]\nstart = { from = \"2019-01\", to = \"2019-02\" }\n\n[period]",
        )
    });
    fails_with(&s, &["too few persons", "eligible participants"]);
    // Unknown keys and impossible settings.
    let s = variant("est-bad-keys", |t| {
        t.replace("neighbours = 3", "neighbors = 3")
    });
    fails_with(&s, &["neighbors"]);
    let s = variant("est-bad-values", |t| {
        t.replace("neighbours = 3", "neighbours = 3\ncaliper = -1")
            .replace(
                "exact = [\"segment\", \"age\"]",
                "exact = [\"segmnt\", \"age\"]",
            )
    });
    fails_with(&s, &["matching.caliper", "matching.exact[0]", "segment"]);
}

#[test]
fn small_cells_are_suppressed_everywhere() {
    // Year 6 since start has about a dozen participants observed; with a threshold of 20 it is
    // suppressed in the effects, the baseline and the bootstrap replicates.
    let s = variant("est-suppress", |t| {
        t.replace("post_years = 5", "post_years = 7")
            .replace("[period]", "disclosure_threshold = 20\n\n[period]")
    });
    let out = s.parent().unwrap().join("out");
    let o = som(&[
        "estimate",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = read_json(&out.join("estimates.json"));
    let year6: Vec<&Value> = e["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["year_since_start"] == 6)
        .collect();
    assert!(!year6.is_empty());
    for r in year6 {
        assert_eq!(r["suppressed"], true);
        assert!(r["estimate"].is_null() && r["participants"].is_null() && r["low"].is_null());
    }
    for b in e["baseline"].as_array().unwrap() {
        if b["year_since_start"] == 6 {
            assert_eq!(b["suppressed"], true);
            assert!(b["mean"].is_null());
        }
    }
    let csv = std::fs::read_to_string(out.join("effects.csv")).unwrap();
    assert!(csv.lines().any(|l| l.contains(",6,,,,,,,true")), "{csv}");
}

#[test]
fn documented_studies_parse() {
    let doc = std::fs::read_to_string(root().join("docs/estimation.md")).unwrap();
    let mut block: Option<String> = None;
    let mut n = 0;
    for line in doc.lines() {
        match &mut block {
            None if line.trim() == "```toml study" => block = Some(String::new()),
            None => {}
            Some(b) if line.trim() == "```" => {
                let src = engine::source::Source::new("docs/estimation.md", b.clone());
                if let Err(e) = engine::estimate::Study::parse(&src) {
                    panic!("a documented study does not parse: {e:?}\n{b}");
                }
                n += 1;
                block = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
        }
    }
    assert!(n >= 2, "{n} documented studies");
    // The first documented study is the bundled one.
    let bundled = std::fs::read_to_string(root().join(STUDY)).unwrap();
    assert!(bundled.contains("baseline = { from = \"2016-01\", years = 2 }"));
}

const ESTIMATED: &str = "models/examples/synthetic-estimated.toml";

/// The bundled estimates' effect per participant of a department, years 0, 1, …
fn bundled_effects(dept: &str) -> Vec<f64> {
    let e = read_json(&root().join("datasets/synthetic-small-estimates/estimates.json"));
    let mut v: Vec<(i64, f64)> = e["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["department"] == dept && r["year_since_start"].as_i64().unwrap() >= 0)
        .map(|r| {
            (
                r["year_since_start"].as_i64().unwrap(),
                r["estimate"].as_f64().unwrap(),
            )
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v.into_iter().map(|x| x.1).collect()
}

/// A variant of the estimated scenario, written beside the bundled estimates' path.
fn scenario_variant(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = scratch(name);
    let text = std::fs::read_to_string(root().join(ESTIMATED))
        .unwrap()
        .replace(
            "file = \"../../datasets/synthetic-small-estimates/estimates.json\"",
            &format!(
                "file = {:?}",
                root()
                    .join("datasets/synthetic-small-estimates/estimates.json")
                    .to_str()
                    .unwrap()
            ),
        );
    let p = dir.join("scenario.toml");
    std::fs::write(&p, edit(text)).unwrap();
    p
}

#[test]
fn a_scenario_takes_its_consequences_from_the_estimates() {
    // One cohort of 10, no discounting, a horizon past the estimated years: the benefit of
    // Children and families is exactly −10 × the sum of the estimated effects, whatever the
    // success rate (the estimates are averages over all participants).
    let undiscounted = |rate: &str| {
        scenario_variant(&format!("handoff-{rate}"), |t| {
            let t = t
                .replace("schedule = \"dk-fm-2021\"", "schedule = \"none\"")
                .replace("horizon = 8", "horizon = 12")
                .replace("net = { value = 0.6,", &format!("net = {{ value = {rate},"));
            // Keep the first cohort only, with 10 participants.
            let first = t.find("[[cohort]]\nstart = 2027").unwrap();
            let end = t.find("[intervention]").unwrap();
            format!("{}{}", &t[..first], &t[end..]).replace(
                "participants = { value = 60,",
                "participants = { value = 10,",
            )
        })
    };
    let expected = -10.0 * bundled_effects("born_familie").iter().sum::<f64>();
    assert!(expected > 0.0);
    for rate in ["0.1", "0.9"] {
        let s = undiscounted(rate);
        let out = s.parent().unwrap().join("out");
        let o = som(&[
            "run",
            s.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--draws",
            "0",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let sum = read_json(&out.join("summary.json"));
        let dept = sum["by_department"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == "born_familie")
            .unwrap()
            .clone();
        let got = dept["benefit_pv"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-6 * expected,
            "success {rate}: benefit {got}, expected {expected}"
        );
        // The estimates file and its replicates are inputs of the run.
        let m = read_json(&out.join("manifest.json"));
        let roles: Vec<&str> = m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["role"].as_str().unwrap())
            .collect();
        assert!(roles.contains(&"estimates") && roles.contains(&"estimates_bootstrap"));
    }
}

#[test]
fn monte_carlo_draws_the_estimates_jointly() {
    let out = scratch("handoff-mc");
    let o = som(&[
        "run",
        ESTIMATED,
        "--out",
        out.to_str().unwrap(),
        "--draws",
        "4000",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let det = s["total"]["npv"].as_f64().unwrap();
    let u = &s["uncertainty"]["total"]["npv"];
    let (mean, sd) = (u["mean"].as_f64().unwrap(), u["sd"].as_f64().unwrap());
    // Linear in the effects: the mean of the draws is the NPV at the mean replicate, which is
    // near the point estimate (a bootstrap mean is not exactly the estimate).
    assert!(
        (mean - det).abs() < 0.1 * sd,
        "mean {mean}, deterministic {det}, sd {sd}"
    );
    let inputs = s["uncertainty"]["uncertain_inputs"].as_array().unwrap();
    assert!(
        inputs.iter().any(|i| i == "consequence[0].estimated[1]"),
        "{inputs:?}"
    );
}

#[test]
fn estimated_consequences_get_clear_errors() {
    let s = scenario_variant("handoff-bad-dept", |t| {
        t.replace("estimated = \"skole\"", "estimated = \"skolen\"")
    });
    let o = som(&["validate", s.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("consequence[1].estimated") && e.contains("`skole`"),
        "{e}"
    );

    let s = scenario_variant("handoff-bad-amount", |t| {
        t.replace(
            "estimated = \"skole\"",
            "estimated = \"skole\"\namount = 1000",
        )
    });
    let o = som(&["validate", s.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("consequence[1].amount"),
        "{}",
        stderr(&o)
    );

    let s = scenario_variant("handoff-no-file", |t| {
        let a = t.find("[estimates]").unwrap();
        let b = t.find("[discounting]").unwrap();
        format!("{}{}", &t[..a], &t[b..])
    });
    let o = som(&["validate", s.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("needs an estimates file"),
        "{}",
        stderr(&o)
    );

    let s = scenario_variant("handoff-missing", |t| {
        t.replace(
            "synthetic-small-estimates/estimates.json",
            "nowhere/estimates.json",
        )
    });
    let o = som(&["validate", s.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("nowhere/estimates.json"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bundled_estimates_are_in_step_with_the_estimator() {
    let out = scratch("est-bundled-again");
    let o = som(&["estimate", STUDY, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["estimates.json", "effects.csv", "bootstrap.parquet"] {
        assert!(
            std::fs::read(out.join(f)).unwrap()
                == std::fs::read(root().join("datasets/synthetic-small-estimates").join(f))
                    .unwrap(),
            "datasets/synthetic-small-estimates/{f} is out of date: regenerate it with \
             `som estimate {STUDY} --out datasets/synthetic-small-estimates`"
        );
    }
}

#[test]
fn services_without_months_are_refused_for_estimation() {
    let dir = scratch("est-years-only");
    std::fs::write(
        dir.join("persons.csv"),
        "person_id,municipality,birth_year,sex,segment,participant,start_date\n\
         a1,751,1980,F,adult,1,2020-03-01\n\
         a2,751,1982,M,adult,0,\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("services.csv"),
        "person_id,year,code,amount\na1,2019,5.38.45,1000\na2,2021,5.38.45,2000\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = som(&[
        "estimate",
        STUDY,
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("services.csv") && e.contains("month of every service row"),
        "{e}"
    );
    assert!(!out.exists());
}
