//! State-transition (Markov) cohorts end to end: published models reproduced to their published
//! precision by documented conventions, hand-checked conventions, the two scenario forms
//! agreeing where they overlap, bad input, and reproducibility whatever the thread count.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn write(name: &str, text: &str) -> PathBuf {
    let dir = scratch(&format!("markov-{name}"));
    let f = dir.join("scenario.toml");
    std::fs::write(&f, text).unwrap();
    f
}

/// Run `som run` on `file` (deterministic unless `args` ask for draws) and read summary.json.
fn run(file: &Path, name: &str, args: &[&str]) -> serde_json::Value {
    let out = scratch(&format!("markov-out-{name}"));
    let out = out.join("run");
    let mut all = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ];
    if !args.contains(&"--draws") {
        all.extend(["--draws", "0"]);
    }
    all.extend_from_slice(args);
    let o = som(&all);
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    read_json(&out.join("summary.json"))
}

fn arm<'a>(s: &'a serde_json::Value, arm: &str) -> &'a serde_json::Value {
    s["markov"]["arms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["arm"] == arm)
        .unwrap()
}

fn cost(s: &serde_json::Value, a: &str) -> f64 {
    arm(s, a)["cost_pv"].as_f64().unwrap()
}

fn outcome(s: &serde_json::Value, a: &str, key: &str) -> f64 {
    arm(s, a)["outcomes"][0][key].as_f64().unwrap()
}

fn icer(s: &serde_json::Value) -> f64 {
    s["markov"]["comparisons"][0]["cost_per_additional_unit"]
        .as_f64()
        .unwrap()
}

/// `x` rounded to `digits` decimals equals the published figure.
fn published(x: f64, figure: f64, digits: i32) {
    let f = 10f64.powi(digits);
    assert_eq!(
        (x * f).round() / f,
        figure,
        "{x} does not round to {figure}"
    );
}

/// Chancellor et al. (1997), as worked in Briggs, Claxton & Sculpher, "Decision Modelling for
/// Health Economic Evaluation" (2006), ch. 2 / exercise 2.5, and Drummond et al., "Methods for
/// the Economic Evaluation of Health Care Programmes": monotherapy £44,663 and 7.991
/// life-years, combination £50,602 and 8.937 life-years, £6,276 per life-year gained.
/// Settings: transitions at the start of a cycle, no correction, discounting at cycle end.
#[test]
fn chancellor_hiv_model_reproduces_the_published_figures() {
    let s = run(
        &root().join("models/examples/hiv-chancellor-1997.toml"),
        "chancellor",
        &[],
    );
    published(cost(&s, "baseline"), 44_663.0, 0);
    published(outcome(&s, "baseline", "undiscounted"), 7.991, 3);
    published(cost(&s, "intervention"), 50_602.0, 0);
    published(outcome(&s, "intervention", "undiscounted"), 8.937, 3);
    published(icer(&s), 6_276.0, 0);
    assert_eq!(
        s["markov"]["comparisons"][0]["dominance"],
        "more_costly_more_effective"
    );
    // The ledger is the same one: total NPV = −(incremental cost).
    let npv = s["total"]["npv"].as_f64().unwrap();
    assert!((npv + cost(&s, "intervention") - cost(&s, "baseline")).abs() < 1e-6);
}

/// The same model with the half-cycle correction on life-years only, as in the solution
/// spreadsheet of Briggs et al. exercise 2.5 (figures as checked by rdecision's
/// tests/testthat/test-model-AZT.R): 8.475 and 9.42 life-years, costs unchanged.
#[test]
fn chancellor_with_half_cycle_correction_on_life_years() {
    let text = std::fs::read_to_string(root().join("models/examples/hiv-chancellor-1997.toml"))
        .unwrap()
        .replace(
            "correction = \"none\"",
            "correction = \"half-cycle\"\ncorrection_applies_to = \"outcomes\"",
        )
        .replace(
            "departments = \"gmca-departments.toml\"",
            &format!(
                "departments = {:?}",
                root().join("models/examples/gmca-departments.toml")
            ),
        );
    let dir = scratch("markov-chancellor-hcc");
    let f = dir.join("scenario.toml");
    std::fs::write(&f, &text).unwrap();
    let s = run(&f, "chancellor-hcc", &[]);
    published(outcome(&s, "baseline", "undiscounted"), 8.475, 3);
    published(outcome(&s, "intervention", "undiscounted"), 9.42, 2);
    published(cost(&s, "baseline"), 44_663.0, 0);
    published(cost(&s, "intervention"), 50_602.0, 0);
    let w = &s["markov"]["conventions"]["outcome_weights"];
    assert_eq!(w[0], 0.5);
    assert_eq!(w[20], 0.5);
    assert_eq!(s["markov"]["conventions"]["cost_weights"][0], 0.0);
}

/// The Sick-Sicker model of Alarid-Escudero et al., "An Introductory Tutorial on Cohort
/// State-Transition Models in R Using a Cost-Effectiveness Analysis Example", Medical Decision
/// Making 2023;43(1):3–20, table 5: SoC $151,580 / 20.711 QALYs, A $284,805 / 21.499,
/// B $259,100 / 22.184, AB $378,875 / 23.137; ICER B vs SoC $72,988, AB vs B $125,764.
/// Settings: rates, transitions conditional on surviving, darthtools' Simpson 1/3 weights.
fn sick_sicker(baseline: &str, intervention: &str) -> String {
    let mut t = String::from(
        r#"name = "Sick-Sicker"
currency = "$"
price_year = 2023
first_year = 2025
horizon = 76
[discounting]
rate = 0.03
timing = "start"
[[cohort]]
start = 2025
participants = 1
[states]
names = ["H", "S1", "S2", "D"]
cycle = "year"
cycles = 75
initial = { H = 1.0 }
[states.timing]
correction = "simpson-darth"
[states.arm.baseline]
[[states.arm.baseline.matrix]]
form = "rates"
conditional_on = "D"
rows.H = { S1 = 0.15, D = 0.002 }
rows.S1 = { H = 0.5, S2 = 0.105, D = 0.006 }
rows.S2 = { D = 0.02 }
rows.D = {}
[states.arm.intervention]
[[states.cost]]
name = "H"
state = "H"
amount = 2000
actor = "region"
[[states.cost]]
name = "S1"
state = "S1"
amount = 4000
actor = "region"
[[states.cost]]
name = "S2"
state = "S2"
amount = 15000
actor = "region"
"#,
    );
    let mut qaly_int = String::new();
    let mut qaly_base = "S1 = 0.75".to_string();
    for (arm, strategy) in [("baseline", baseline), ("intervention", intervention)] {
        if strategy.contains('B') {
            t += &format!(
                "[[states.effect]]\narm = \"{arm}\"\ntransitions = [\"S1 -> S2\"]\nhr = 0.6\n"
            );
        }
        for (tr, c) in [("A", 12000), ("B", 13000)] {
            if strategy.contains(tr) {
                for st in ["S1", "S2"] {
                    t += &format!(
                        "[[states.cost]]\nname = \"{tr} {st} {arm}\"\nstate = \"{st}\"\narm = \
                         \"{arm}\"\nkind = \"intervention\"\namount = {c}\nactor = \"region\"\n"
                    );
                }
            }
        }
        if strategy.contains('A') {
            if arm == "baseline" {
                qaly_base = "S1 = 0.95".into();
            } else {
                qaly_int = "intervention = { S1 = 0.95 }\n".into();
            }
        }
    }
    if baseline.contains('A') && !intervention.contains('A') {
        qaly_int = "intervention = { S1 = 0.75 }\n".into();
    }
    t += &format!(
        "[[states.outcome]]\nname = \"QALYs\"\nvalues = {{ H = 1.0, {qaly_base}, S2 = 0.5 }}\n{qaly_int}"
    );
    t
}

#[test]
fn darth_sick_sicker_reproduces_the_published_table() {
    let soc_b = run(
        &write("ss-soc-b", &sick_sicker("SoC", "B")),
        "ss-soc-b",
        &[],
    );
    published(cost(&soc_b, "baseline"), 151_580.0, 0);
    published(outcome(&soc_b, "baseline", "discounted"), 20.711, 3);
    published(cost(&soc_b, "intervention"), 259_100.0, 0);
    published(outcome(&soc_b, "intervention", "discounted"), 22.184, 3);
    published(icer(&soc_b), 72_988.0, 0);
    let soc_a = run(
        &write("ss-soc-a", &sick_sicker("SoC", "A")),
        "ss-soc-a",
        &[],
    );
    published(cost(&soc_a, "intervention"), 284_805.0, 0);
    published(outcome(&soc_a, "intervention", "discounted"), 21.499, 3);
    let b_ab = run(&write("ss-b-ab", &sick_sicker("B", "AB")), "ss-b-ab", &[]);
    published(cost(&b_ab, "intervention"), 378_875.0, 0);
    published(outcome(&b_ab, "intervention", "discounted"), 23.137, 3);
    published(icer(&b_ab), 125_764.0, 0);
    // The bundled example is the SoC vs B comparison.
    let bundled = run(
        &root().join("models/examples/sick-sicker-darth-2023.toml"),
        "ss-bundled",
        &[],
    );
    published(icer(&bundled), 72_988.0, 0);
    let w = bundled["markov"]["conventions"]["outcome_weights"]
        .as_array()
        .unwrap();
    assert_eq!(w.len(), 76);
    assert!((w[1].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-15);
}

/// The published model cut short by one year (horizon 75 for 75 cycles and the Simpson
/// correction's 76th trace point gave an ICER of 73,056 without a word): an error on `horizon`
/// that says what would be cut and the horizon that holds the model.
#[test]
fn a_horizon_that_cuts_the_cycles_is_an_error() {
    let text = std::fs::read_to_string(root().join("models/examples/sick-sicker-darth-2023.toml"))
        .unwrap();
    assert!(
        text.contains("\nhorizon = 76\n"),
        "the bundled example changed"
    );
    // The department map beside it, by its full path.
    let deps = root().join("models/examples/gmca-departments.toml");
    let text = text.replace(
        "\"gmca-departments.toml\"",
        &format!("{:?}", deps.to_str().unwrap()),
    );
    let short = text.replace("\nhorizon = 76\n", "\nhorizon = 75\n");
    expect_error(
        "horizon-short",
        &short,
        line_of(&short, "horizon = 75"),
        "horizon",
        &[
            "75 yearly cycles",
            "`simpson-darth` correction",
            "76 years",
            "cut its last 1 year(s)",
            "`horizon = 76`",
        ],
    );
    // A longer horizon leaves the published figures as they are.
    let later = text.replace("\nhorizon = 76\n", "\nhorizon = 77\n");
    let ok = run(&write("horizon-long", &later), "horizon-long", &[]);
    published(icer(&ok), 72_988.0, 0);
}

/// A two-state cohort (well → dead with probability ½ a cycle, 3 cycles), value 1 a year in
/// `well`, cost 100 a year: every convention against the trace 1, ½, ¼, ⅛ by hand.
fn two_state(timing: &str, extra: &str) -> String {
    format!(
        r#"name = "two states"
price_year = 2025
first_year = 2025
horizon = 4
{extra}
[[cohort]]
start = 2025
participants = 1
[states]
names = ["well", "dead"]
cycles = 3
initial = {{ well = 1 }}
[states.timing]
{timing}
[states.arm.baseline]
[[states.arm.baseline.matrix]]
rows.well = {{ dead = 0.5 }}
rows.dead = {{}}
[states.arm.intervention]
[[states.cost]]
name = "care"
state = "well"
amount = 100
actor = "region"
[[states.outcome]]
name = "life-years"
values = {{ well = 1 }}
"#
    )
}

#[test]
fn conventions_give_the_hand_checked_figures() {
    let undiscounted = "[discounting]\nrate = 0.0";
    for (name, timing, ly) in [
        ("end", "transitions = \"end\"", 1.75),
        ("start", "transitions = \"start\"", 0.875),
        (
            "start-initial",
            "transitions = \"start\"\ncount_initial = true",
            1.875,
        ),
        ("half", "correction = \"half-cycle\"", 1.3125),
        ("trapezoid", "correction = \"trapezoid\"", 1.3125),
        // K = 3 is odd: Simpson's 3/8 rule, 3/8·1 + 9/8·½ + 9/8·¼ + 3/8·⅛.
        ("simpson", "correction = \"simpson\"", 1.265625),
        // darthtools: ⅓, ⅔, 4⁄3, ⅓.
        (
            "darth",
            "correction = \"simpson-darth\"",
            1.0 / 3.0 + 1.0 / 3.0 + 1.0 / 3.0 + 1.0 / 24.0,
        ),
    ] {
        let s = run(
            &write(name, &two_state(timing, undiscounted)),
            &format!("conv-{name}"),
            &[],
        );
        let got = outcome(&s, "baseline", "undiscounted");
        assert!((got - ly).abs() < 1e-12, "{name}: {got} vs {ly}");
        assert!((cost(&s, "baseline") - 100.0 * ly).abs() < 1e-9, "{name}");
    }
    // Discounting at 10 % at the end of each yearly cycle: 100/1.1 + 50/1.1² + 25/1.1³.
    let s = run(
        &write(
            "disc",
            &two_state("", "[discounting]\nrate = 0.1\ntiming = \"end\""),
        ),
        "conv-disc",
        &[],
    );
    let expect = 100.0 / 1.1 + 50.0 / 1.21 + 25.0 / 1.331;
    assert!((cost(&s, "baseline") - expect).abs() < 1e-9);
    // Quarterly cycles from a yearly rate: p = 1 − e^(−r/4), values count ¼ a cycle.
    let text = two_state("", "[discounting]\nrate = 0.0")
        .replace("cycles = 3", "cycle = \"quarter\"\ncycles = 4")
        .replace(
            "rows.well = { dead = 0.5 }",
            "form = \"rates\"\nrows.well = { dead = 0.4 }",
        );
    let s = run(&write("quarter", &text), "conv-quarter", &[]);
    let p = 1.0 - (-0.1f64).exp();
    let expect: f64 = (0..4).map(|k| 0.25 * (1.0 - p).powi(k)).sum();
    assert!((outcome(&s, "baseline", "undiscounted") - expect).abs() < 1e-12);
}

/// Quarterly cycles discounted at each cycle's start, middle or end, or by calendar year:
/// well → dead with p = ½ a quarter, 8 quarters, cost 400 a year in `well` (100 × m_k a
/// cycle), 10 % a year. By hand: Σ_k 100·½^k·1.1^−(k + δ)/4 for δ = 0, ½, 1, and by year
/// 187.5 + 11.71875 / 1.1. The ledger keeps what falls in each calendar year undiscounted, and
/// its present values add up to the exact figure.
#[test]
fn cycle_discounting_gives_the_hand_checked_figures() {
    let quarterly = |timing: &str, discounting: &str| {
        two_state(timing, discounting)
            .replace("horizon = 4", "horizon = 2")
            .replace("cycles = 3", "cycle = \"quarter\"\ncycles = 8")
            .replace("amount = 100", "amount = 400")
    };
    let by_hand = |rate: &dyn Fn(f64) -> f64, delta: f64| -> f64 {
        (0..8)
            .map(|k| 100.0 * 0.5f64.powi(k) * rate((k as f64 + delta) / 4.0))
            .sum()
    };
    let flat = |tau: f64| 1.1f64.powf(-tau);
    let ledger_pv = |name: &str| -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let csv = std::fs::read_to_string(
            scratch_path(&format!("markov-out-{name}")).join("run/ledger.csv"),
        )
        .unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
        let (arm, v, df, pv) = (
            col("arm"),
            col("value"),
            col("discount_factor"),
            col("present_value"),
        );
        let mut out = (Vec::new(), Vec::new(), Vec::new());
        for l in lines {
            let f: Vec<&str> = l.split(',').collect();
            if f[arm] == "baseline" {
                out.0.push(f[v].parse().unwrap());
                out.1.push(f[df].parse().unwrap());
                out.2.push(f[pv].parse().unwrap());
            }
        }
        out
    };
    for (name, timing, delta) in [
        ("q-start", "discount = \"start\"", 0.0),
        ("q-mid", "discount = \"mid\"", 0.5),
        ("q-end", "discount = \"end\"", 1.0),
        // The default: the scenario's timing (`start`) at each cycle.
        ("q-default", "", 0.0),
    ] {
        let s = run(
            &write(name, &quarterly(timing, "[discounting]\nrate = 0.1")),
            name,
            &[],
        );
        let want = by_hand(&flat, delta);
        let got = cost(&s, "baseline");
        assert!((got - want).abs() < 1e-9, "{name}: {got} vs {want}");
        // Life-years (¼ a quarter in `well`) are discounted the same way.
        let ly = outcome(&s, "baseline", "discounted");
        assert!((ly - want / 400.0).abs() < 1e-12, "{name}: {ly}");
        assert_eq!(
            s["markov"]["conventions"]["discount"],
            timing.split('"').nth(1).unwrap_or("start")
        );
        let (value, df, pv) = ledger_pv(name);
        assert_eq!(value, [187.5, 11.71875], "{name}");
        // Baseline rows count −value; their present values add up to −the exact figure.
        assert!(
            (pv.iter().sum::<f64>() + want).abs() < 1e-9,
            "{name}: {pv:?}"
        );
        for i in 0..2 {
            assert!((-value[i] * df[i] - pv[i]).abs() < 1e-9, "{name}: row {i}");
        }
    }
    // The figures quoted in docs/scenario-format.md.
    for (delta, quoted) in [(0.0, 194.7683), (0.5, 192.4617), (1.0, 190.1823)] {
        assert!((by_hand(&flat, delta) - quoted).abs() < 5e-5, "{delta}");
    }
    assert!((187.5 + 11.71875 / 1.1 - 198.1534f64).abs() < 5e-5);
    // By calendar year: every quarter of a year takes the year's factor.
    let s = run(
        &write(
            "q-year",
            &quarterly("discount = \"year\"", "[discounting]\nrate = 0.1"),
        ),
        "q-year",
        &[],
    );
    let want = 187.5 + 11.71875 / 1.1;
    assert!((cost(&s, "baseline") - want).abs() < 1e-9);
    let (_, df, _) = ledger_pv("q-year");
    assert_eq!(df, [1.0, 1.0 / 1.1]);
    // Mid-year timing of the scenario, discounted at the end of each quarter.
    let s = run(
        &write(
            "q-end-mid",
            &quarterly(
                "discount = \"end\"",
                "[discounting]\nrate = 0.1\ntiming = \"mid\"",
            ),
        ),
        "q-end-mid",
        &[],
    );
    assert!((cost(&s, "baseline") - by_hand(&flat, 1.0)).abs() < 1e-9);
    // A schedule whose rate changes between the years (10 % in year 0, 5 % after): a point τ
    // in year 1 is discounted 1/1.1 · 1.05^−(τ − 1).
    let dir = scratch("markov-q-band");
    std::fs::write(
        dir.join("rates.toml"),
        r#"name = "two rates"
[[schedule]]
id = "two-rates"
name = { en = "Two rates" }
source = "test"
band = [{ from = 0, to = 1, rate = 0.10 }, { from = 2, rate = 0.05 }]
"#,
    )
    .unwrap();
    let banded = |tau: f64| {
        if tau <= 1.0 {
            1.1f64.powf(-tau)
        } else {
            1.05f64.powf(-(tau - 1.0)) / 1.1
        }
    };
    for (name, timing, delta) in [
        ("band-start", "start", 0.0),
        ("band-mid", "mid", 0.5),
        ("band-end", "end", 1.0),
    ] {
        let text = quarterly(
            &format!("discount = \"{timing}\""),
            "[catalogues]\ndiscount = \"rates.toml\"\n[discounting]\nschedule = \"two-rates\"",
        );
        let f = dir.join(format!("{name}.toml"));
        std::fs::write(&f, text).unwrap();
        let s = run(&f, name, &[]);
        let want = by_hand(&banded, delta);
        if timing == "mid" {
            assert!((want - 192.6093).abs() < 5e-5, "as quoted in the docs");
        }
        let got = cost(&s, "baseline");
        assert!((got - want).abs() < 1e-9, "{name}: {got} vs {want}");
    }
    // Yearly cycles: discounting at the cycle's start is the year's start, the same numbers.
    let a = run(
        &write("y-default", &two_state("", "[discounting]\nrate = 0.1")),
        "y-default",
        &[],
    );
    let b = run(
        &write(
            "y-year",
            &two_state("discount = \"year\"", "[discounting]\nrate = 0.1"),
        ),
        "y-year",
        &[],
    );
    assert_eq!(a["total"], b["total"]);
}

/// Where the forms overlap they agree: a two-state model (not yet → succeeded, absorbing, in
/// the first cycle only) gives the ledger of the success-rate scenario.
#[test]
fn two_forms_give_the_same_ledger() {
    let common = r#"name = "two forms"
price_year = 2025
first_year = 2025
horizon = 6
[discounting]
rate = 0.035
[[cohort]]
start = 2025
participants = 40
[[cohort]]
start = 2027
participants = 25
"#;
    let success = format!(
        r#"{common}
[intervention]
duration = 1
department = "born_familie"
[[intervention.cost]]
name = "Programme"
amount = 20000
per = "participant"
[success]
with = 0.3
without = 0.1
[[consequence]]
name = "Placement avoided"
amount = -50000
department = "born_familie"
"#
    );
    let markov = format!(
        r#"{common}
[states]
names = ["not_yet", "succeeded"]
initial = {{ not_yet = 1 }}
[states.arm.baseline]
[[states.arm.baseline.matrix]]
to_cycle = 1
rows.not_yet = {{ succeeded = 0.1 }}
rows.succeeded = {{}}
[[states.arm.baseline.matrix]]
from_cycle = 1
rows.not_yet = {{}}
rows.succeeded = {{}}
[states.arm.intervention]
[[states.arm.intervention.matrix]]
to_cycle = 1
rows.not_yet = {{ succeeded = 0.3 }}
rows.succeeded = {{}}
[[states.arm.intervention.matrix]]
from_cycle = 1
rows.not_yet = {{}}
rows.succeeded = {{}}
[[states.cost]]
name = "Programme"
state = "not_yet"
arm = "intervention"
kind = "intervention"
amount = 20000
department = "born_familie"
to_cycle = 1
[[states.cost]]
name = "Placement avoided"
state = "succeeded"
amount = -50000
department = "born_familie"
"#
    );
    let ledger = |text: &str, name: &str| {
        let f = write(name, text);
        let s = run(&f, name, &[]);
        let csv = std::fs::read_to_string(
            scratch_path(&format!("markov-out-{name}")).join("run/ledger.csv"),
        )
        .unwrap();
        (s, csv)
    };
    let (a, la) = ledger(&success, "forms-success");
    let (b, lb) = ledger(&markov, "forms-markov");
    let rows = |csv: &str| -> Vec<(String, f64)> {
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let v = header.iter().position(|h| *h == "value").unwrap();
        let mut out: Vec<(String, f64)> = lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let key: Vec<&str> = f
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != v)
                    .map(|(_, x)| *x)
                    .collect();
                (key.join(","), f[v].parse::<f64>().unwrap())
            })
            .filter(|r| r.1 != 0.0)
            .collect();
        out.sort_by(|x, y| x.0.cmp(&y.0));
        out
    };
    let (ra, rb) = (rows(&la), rows(&lb));
    assert!(ra.len() >= 10, "{la}");
    assert_eq!(ra.len(), rb.len(), "{la}\n---\n{lb}");
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(x.0, y.0);
        assert!((x.1 - y.1).abs() < 1e-9 * x.1.abs().max(1.0), "{x:?} {y:?}");
    }
    let npv = |s: &serde_json::Value| s["total"]["npv"].as_f64().unwrap();
    assert!((npv(&a) - npv(&b)).abs() < 1e-6);
}

fn scratch_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// 1 and 2 threads give byte-identical summaries for the same seed; Dirichlet rows, a
/// log-normal relative risk and gamma costs drawn.
#[test]
fn probabilistic_runs_are_reproducible_whatever_the_thread_count() {
    let text = std::fs::read_to_string(root().join("models/examples/hiv-chancellor-1997.toml"))
        .unwrap()
        .replace(
            "rr = { value = 0.509,",
            "rr = { dist = \"lognormal\", low = 0.365, high = 0.710,",
        )
        .replace(
            "amount = 2756",
            "amount = { dist = \"gamma\", mean = 2756, sd = 400 }",
        )
        .replace(
            "departments = \"gmca-departments.toml\"",
            &format!(
                "departments = {:?}",
                root().join("models/examples/gmca-departments.toml")
            ),
        );
    // The same with quarterly cycles discounted mid-cycle at a drawn rate (flows restated).
    let quarterly = text
        .replace(
            "cycle = \"year\"\ncycles = 20",
            "cycle = \"quarter\"\ncycles = 80",
        )
        .replace(
            "correction = \"none\"",
            "correction = \"none\"\ndiscount = \"mid\"",
        )
        .replace(
            "rate = { value = 0.06,",
            "rate = { value = 0.06, dist = \"uniform\", min = 0.03, max = 0.09,",
        );
    assert_eq!(quarterly.matches("quarter").count(), 1, "the model changed");
    assert!(quarterly.contains("discount = \"mid\"") && quarterly.contains("max = 0.09"));
    let g = write("threads-quarterly", &quarterly);
    let mut outs = Vec::new();
    for (name, file) in [("yearly", &write("threads", &text)), ("quarterly", &g)] {
        let mut sums = Vec::new();
        for threads in ["1", "2"] {
            let out = scratch(&format!("markov-threads-{name}-{threads}")).join("run");
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_som"))
                .args([
                    "run",
                    file.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                    "--draws",
                    "2000",
                    "--seed",
                    "11",
                    "--no-charts",
                ])
                .env("RAYON_NUM_THREADS", threads)
                .current_dir(root())
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
            sums.push(std::fs::read(out.join("summary.json")).unwrap());
        }
        assert!(
            sums[0] == sums[1],
            "{name}: summary differs between 1 and 2 threads"
        );
        outs.push(sums.remove(0));
    }
    let q: serde_json::Value = serde_json::from_slice(&outs[1]).unwrap();
    assert_eq!(q["markov"]["conventions"]["discount"], "mid");
    let s: serde_json::Value = serde_json::from_slice(&outs[0]).unwrap();
    let u = &s["markov"]["uncertainty"][0];
    let curve = u["acceptability"].as_array().unwrap();
    assert_eq!(curve.len(), 51);
    // At 0 per life-year the intervention is worth it only where it saves money (never here);
    // at twice the ICER in most draws.
    assert_eq!(curve[0]["probability"], 0.0);
    assert!(curve[50]["probability"].as_f64().unwrap() > 0.8);
    assert!(curve.iter().all(|p| p["evpi"].as_f64().unwrap() >= 0.0));
    // The Dirichlet rows are uncertain inputs with a gamma per count.
    let inputs = s["uncertainty"]["uncertain_inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i == "states.arm.baseline.matrix[0].rows.A[1]")
    );
    assert!(
        !inputs
            .iter()
            .any(|i| i == "states.arm.baseline.matrix[0].rows.D[3]")
    );
}

const GOOD: &str = r#"name = "bad markov input"
price_year = 2025
first_year = 2025
horizon = 5
[[cohort]]
start = 2025
participants = 10
[states]
names = ["home", "foster", "institution"]
initial = { home = 1 }
[states.arm.baseline]
[[states.arm.baseline.matrix]]
rows.home = [0.8, 0.15, 0.05]
rows.foster = [0.1, 0.85, 0.05]
rows.institution = [0.0, 0.1, 0.9]
[states.arm.intervention]
[[states.effect]]
transitions = ["home -> foster"]
rr = 0.7
[[states.cost]]
name = "Foster care"
state = "foster"
amount = 470000
department = "born_familie"
"#;

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in text"))
        + 1
}

fn expect_error(case: &str, text: &str, line: usize, field: &str, words: &[&str]) {
    let dir = scratch(&format!("markov-bad-{case}"));
    let file = dir.join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let o = som(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{case}: {err}");
    assert!(!err.contains("panicked"), "{case}: {err}");
    assert!(
        err.contains(&format!("bad.toml:{line}:")),
        "{case}: expected line {line} in\n{err}"
    );
    assert!(
        err.contains(&format!("`{field}`")),
        "{case}: expected field {field} in\n{err}"
    );
    for w in words {
        assert!(err.contains(w), "{case}: expected '{w}' in\n{err}");
    }
    assert!(!out.exists(), "{case}: output written despite the error");
}

#[test]
fn good_markov_scenario_runs() {
    let s = run(&write("good", GOOD), "good", &[]);
    assert!(cost(&s, "intervention") < cost(&s, "baseline"));
}

#[test]
fn row_that_does_not_sum_to_one() {
    let t = GOOD.replace("[0.1, 0.85, 0.05]", "[0.1, 0.85, 0.06]");
    expect_error(
        "row-sum",
        &t,
        line_of(&t, "rows.foster"),
        "states.arm.baseline.matrix[0].rows.foster",
        &[
            "row `foster`",
            "arm `baseline`",
            "sums to 1.01",
            "cycles 0–end",
            "1e-6",
        ],
    );
}

#[test]
fn an_empty_age_window_names_the_ages_and_the_exclusive_bound() {
    let t = GOOD
        .replace(
            "initial = { home = 1 }",
            "initial = { home = 1 }\nage_at_entry = 14",
        )
        .replace(
            "[[states.arm.baseline.matrix]]\n",
            "[[states.arm.baseline.matrix]]\nfrom_age = 16\nto_age = 16\n",
        );
    expect_error(
        "empty-age-window",
        &t,
        line_of(&t, "[[states.arm.baseline.matrix]]"),
        "states.arm.baseline.matrix[0]",
        &[
            "the window is empty",
            "`from_age` = 16 to `to_age` = 16 with `age_at_entry` = 14",
            "the upper bound is exclusive",
        ],
    );
}

#[test]
fn a_cost_on_several_states_says_how() {
    let t = GOOD.replace(
        "state = \"foster\"",
        "state = [\"foster\", \"institution\"]",
    );
    expect_error(
        "cost-several-states",
        &t,
        line_of(&t, "state = [\"foster\""),
        "states.cost[0].state",
        &["a cost names one state", "one [[states.cost]] per state"],
    );
}

#[test]
fn negative_probability() {
    let t = GOOD.replace("[0.0, 0.1, 0.9]", "[-0.1, 0.2, 0.9]");
    expect_error(
        "negative-probability",
        &t,
        line_of(&t, "rows.institution"),
        "states.arm.baseline.matrix[0].rows.institution[0]",
        &[
            "row `institution`",
            "arm `baseline`",
            "-0.1",
            "between 0 and 1",
        ],
    );
}

#[test]
fn negative_rate() {
    let t = GOOD
        .replace("initial = {", "cycle = \"year\"\ninitial = {")
        .replace(
            "rows.home = [0.8, 0.15, 0.05]",
            "form = \"rates\"\nrows.home = { foster = -0.2 }",
        );
    expect_error(
        "negative-rate",
        &t,
        line_of(&t, "foster = -0.2"),
        "states.arm.baseline.matrix[0].rows.home.foster",
        &["rate", "-0.2", "arm `baseline`", "0 or more"],
    );
}

#[test]
fn unknown_state() {
    let t = GOOD.replace("state = \"foster\"", "state = \"fostr\"");
    expect_error(
        "unknown-state",
        &t,
        line_of(&t, "fostr"),
        "states.cost[0].state",
        &["unknown state `fostr`", "did you mean `foster`"],
    );
}

#[test]
fn rate_without_a_cycle_length() {
    let t = GOOD.replace(
        "rows.home = [0.8, 0.15, 0.05]",
        "form = \"rates\"\nrows.home = { foster = 0.2 }",
    );
    expect_error(
        "rate-without-cycle",
        &t,
        line_of(&t, "form = \"rates\""),
        "states.arm.baseline.matrix[0].form",
        &["rates", "no cycle length", "arm `baseline`"],
    );
}

#[test]
fn matrix_of_the_wrong_size() {
    let t = GOOD.replace("[0.1, 0.85, 0.05]", "[0.1, 0.9]");
    expect_error(
        "wrong-size",
        &t,
        line_of(&t, "rows.foster"),
        "states.arm.baseline.matrix[0].rows.foster",
        &["2 entries", "3 states", "wrong size"],
    );
}

#[test]
fn missing_arm() {
    let t = GOOD.replace("[states.arm.intervention]\n", "");
    expect_error(
        "missing-arm",
        &t,
        line_of(&t, "[states.arm.baseline]"),
        "states.arm",
        &["arm `intervention` is missing"],
    );
}

#[test]
fn effect_that_pushes_a_row_over_one_is_caught_at_its_cycle() {
    let t = GOOD.replace("rr = 0.7", "rr = 7.0");
    expect_error(
        "effect-over-one",
        &t,
        line_of(&t, "rr = 7.0"),
        "states.effect[0].rr",
        &["row `home`", "arm `intervention`", "cycle 0"],
    );
}

/// The bundled Danish model counts its transitions from the bundled estimates: the first cycle
/// of the baseline trace is the home row, pooled comparison counts of years 0–3 (home → home,
/// placement, education) plus the counts the model adds for institutions.
#[test]
fn danish_model_takes_its_transitions_from_the_estimates() {
    let csv =
        std::fs::read_to_string(root().join("datasets/synthetic-small-estimates/transitions.csv"))
            .unwrap();
    // Pooled counts of the comparison group in years 0–3; a suppressed cell counts an equal
    // share of its row's remainder (the row's total, count ÷ probability of a published cell,
    // less the published counts).
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .filter(|f: &Vec<String>| {
            f[0] == "comparison" && (0..=3).contains(&f[1].parse::<i32>().unwrap())
        })
        .collect();
    let mut total = std::collections::BTreeMap::new();
    let mut published = std::collections::BTreeMap::<(String, String), f64>::new();
    let mut hidden = std::collections::BTreeMap::<(String, String), f64>::new();
    for f in &rows {
        let key = (f[1].clone(), f[2].clone());
        if f[6] == "false" {
            let (n, p): (f64, f64) = (f[4].parse().unwrap(), f[5].parse().unwrap());
            total.entry(key.clone()).or_insert(n / p);
            *published.entry(key).or_default() += n;
        } else {
            *hidden.entry(key).or_default() += 1.0;
        }
    }
    let mut c = std::collections::BTreeMap::new();
    for f in &rows {
        let key = (f[1].clone(), f[2].clone());
        let n = if f[6] == "false" {
            f[4].parse::<f64>().unwrap()
        } else if let Some(t) = total.get(&key) {
            (t - published.get(&key).copied().unwrap_or(0.0)).max(0.0) / hidden[&key]
        } else {
            0.0
        };
        *c.entry((f[2].clone(), f[3].clone())).or_insert(0.0) += n;
    }
    let get = |a: &str, b: &str| {
        c.get(&(a.to_string(), b.to_string()))
            .copied()
            .unwrap_or(0.0)
    };
    let row = get("home", "home") + get("home", "placement") + get("home", "education") + 2.3;
    let s = run(
        &root().join("models/children-out-of-home-care.toml"),
        "danish",
        &[],
    );
    let trace = &s["markov"]["trace"][0];
    let foster = trace[1][1].as_f64().unwrap();
    assert!(
        (foster - get("home", "placement") / row).abs() < 1e-12,
        "{foster}"
    );
    let residential = trace[1][2].as_f64().unwrap();
    assert!((residential - 2.0 / row).abs() < 1e-12);
    // From age 18 (cycle 6 after entry at 12) 60 % a year leave care for independence.
    let ind = |p: usize| trace[p][4].as_f64().unwrap();
    let in_care = |p: usize| 1.0 - ind(p);
    assert!((ind(7) - ind(6) - 0.6 * in_care(6) - 0.0).abs() < 0.05 * in_care(6));
    assert!(ind(6) - ind(5) < 0.1);
    // The intervention lowers placements: fewer years in care.
    let care = &s["markov"]["comparisons"][1];
    assert_eq!(care["better"], "lower");
    assert!(care["gain"].as_f64().unwrap() > 0.0);
    // Costs land on the chart-of-accounts functions' department, by calendar year.
    let ledger =
        std::fs::read_to_string(scratch_path("markov-out-danish").join("run/ledger.csv")).unwrap();
    assert!(ledger.contains("born_familie"));
    assert!(ledger.contains("Anbringelse i plejefamilie"));
}

#[test]
fn estimated_matrix_needs_an_estimates_file() {
    let t = GOOD.replace(
        "rows.home = [0.8, 0.15, 0.05]",
        "form = \"counts\"\nestimated = { map = { home = \"home\" } }\nrows.home = [8, 1, 1]",
    );
    expect_error(
        "estimated-without-file",
        &t,
        line_of(&t, "estimated = "),
        "states.arm.baseline.matrix[0].estimated",
        &["needs an estimates file"],
    );
}

/// A state-transition run draws the occupancy trace besides the charts of the core.
#[test]
fn trace_chart_is_drawn() {
    let out = scratch("markov-chart").join("run");
    let o = som(&[
        "run",
        "models/examples/sick-sicker-darth-2023.toml",
        "--out",
        out.to_str().unwrap(),
        "--draws",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let png = std::fs::read(out.join("charts/markov_trace.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(out.join("charts/markov_trace.svg")).unwrap();
    assert!(svg.contains("State occupancy by cycle"));
    for s in ["H", "S1", "S2", "D"] {
        assert!(
            svg.contains(&format!(">\n{s}\n</text>")),
            "legend entry {s}"
        );
    }
    let csv = std::fs::read_to_string(out.join("markov_trace.csv")).unwrap();
    assert!(
        csv.starts_with("arm,cycle,H,S1,S2,D\nbaseline,0,1,0,0,0\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 2 * 76);
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["markov_weights"]["correction"], "simpson-darth");
    assert_eq!(
        manifest["markov_weights"]["outcome_weights"]
            .as_array()
            .unwrap()
            .len(),
        76
    );
}

/// After draws the acceptability curve is drawn, and draws.parquet keeps each arm's outcomes.
#[test]
fn acceptability_chart_after_draws() {
    let out = scratch("markov-acceptability").join("run");
    let o = som(&[
        "run",
        "models/children-out-of-home-care.toml",
        "--out",
        out.to_str().unwrap(),
        "--draws",
        "300",
        "--keep-draws",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(out.join("charts/acceptability.svg")).unwrap();
    assert!(svg.contains("probability worth it"));
    let s = read_json(&out.join("summary.json"));
    let curve = s["markov"]["uncertainty"][0]["acceptability"]
        .as_array()
        .unwrap();
    let p: Vec<f64> = curve
        .iter()
        .map(|x| x["probability"].as_f64().unwrap())
        .collect();
    // More value per unit never makes an intervention that gains less worth it.
    assert!(p.windows(2).all(|w| w[1] >= w[0]), "{p:?}");
    let draws = std::fs::read(out.join("draws.parquet")).unwrap();
    let text = String::from_utf8_lossy(&draws);
    assert!(text.contains("outcome_intervention:år hjemme eller selvstændig"));
}

/// The reports carry the state-transition section: costs and outcomes per arm and the plain
/// comparison, in the report's language.
#[test]
fn reports_show_the_state_transition_results() {
    let out = scratch("markov-report").join("run");
    let o = som(&[
        "run",
        "models/examples/hiv-chancellor-1997.toml",
        "--out",
        out.to_str().unwrap(),
        "--draws",
        "0",
        "--lang",
        "da",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("### Tilstandsmodel (Markov-kohorter)"), "{md}");
    assert!(md.contains("| Uden indsatsen | £44.663 | 7,991 |"), "{md}");
    assert!(md.contains("| Med indsatsen | £50.602 | 8,937 |"), "{md}");
    assert!(md.contains("£6.276 pr. ekstra enhed"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Tilstandsmodel (Markov-kohorter)</h2>"));
    assert!(html.contains("charts/markov_trace.png"));
}

/// Each form shows the metrics that belong to it (docs/scenario-format.md, 8.1): a `[states]`
/// model has no BCR, ROI or cost per successful outcome in summary.json, the terminal,
/// summary.md, the report or the workbook; a success-rate model has them in all five.
#[test]
fn each_form_shows_its_own_metrics() {
    use calamine::{Reader, Xlsx, open_workbook};
    let cases = [
        ("models/examples/hiv-chancellor-1997.toml", "states", false),
        ("models/families-one-plan.toml", "success_rate", true),
    ];
    for (model, form, ratios) in cases {
        let out = scratch(&format!("markov-form-{form}")).join("run");
        let o = som(&[
            "run",
            model,
            "--out",
            out.to_str().unwrap(),
            "--no-charts",
            "--draws",
            "50",
        ]);
        assert!(o.status.success(), "{model}: {}", stderr(&o));
        let s = read_json(&out.join("summary.json"));
        assert_eq!(s["scenario"]["form"], form);
        for key in ["bcr", "roi"] {
            assert_eq!(!s["total"][key].is_null(), ratios, "{model}: total.{key}");
        }
        assert_eq!(!s["cost_per_outcome"].is_null(), ratios, "{model}");
        let term = stdout(&o);
        let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        let mut wb: Xlsx<_> = open_workbook(out.join("report.xlsx")).unwrap();
        let summary = wb.worksheet_range("Summary").unwrap();
        let labels: Vec<String> = summary
            .rows()
            .filter_map(|r| r.first().map(|c| c.to_string()))
            .collect();
        let shown = [
            ("terminal BCR", term.contains(" BCR ")),
            (
                "terminal cost per outcome",
                term.contains("cost per successful outcome"),
            ),
            ("summary.md BCR", md.contains("Benefit-cost ratio")),
            ("report BCR", html.contains("Benefit-cost ratio")),
            (
                "report per success",
                html.contains("Investment per additional success"),
            ),
            (
                "workbook BCR",
                labels.iter().any(|l| l == "Benefit-cost ratio"),
            ),
            ("workbook ROI", labels.iter().any(|l| l == "ROI")),
            (
                "workbook per outcome",
                labels.iter().any(|l| l == "Cost per net outcome (kr.)"),
            ),
        ];
        for (what, present) in shown {
            assert_eq!(present, ratios, "{model}: {what}");
        }
        // The [states] model's own figure is there instead.
        if !ratios {
            assert!(term.contains("per additional unit"), "{term}");
            assert!(md.contains("State-transition cohorts"), "{md}");
        }
    }
}

/// A [states] model with draws: the EVPPI of every uncertain input along the acceptability
/// curve, never above the EVPI at the same value, the same whatever the thread count.
#[test]
fn evppi_along_the_acceptability_curve() {
    let model = root().join("models/children-out-of-home-care.toml");
    let a = run(&model, "evppi-a", &["--draws", "2000"]);
    let u = &a["markov"]["uncertainty"][0];
    let curve = u["acceptability"].as_array().unwrap();
    let evppi = u["evppi"].as_array().unwrap();
    assert_eq!(
        evppi.len(),
        a["uncertainty"]["uncertain_inputs"]
            .as_array()
            .unwrap()
            .len()
    );
    for e in evppi {
        let values = e["values"].as_array().unwrap();
        assert_eq!(values.len(), curve.len());
        for (v, p) in values.iter().zip(curve) {
            let (v, evpi) = (v.as_f64().unwrap(), p["evpi"].as_f64().unwrap());
            assert!(
                (0.0..=evpi).contains(&v),
                "{}: {v} > EVPI {evpi}",
                e["input"]
            );
        }
    }
    let mid = curve.len() / 2;
    let first = evppi[0]["values"][mid].as_f64().unwrap();
    assert!(first > 0.0, "the effect's relative risk is worth knowing");
    assert_eq!(evppi[0]["input"], "states.effect[0].rr");
}
