//! Property tests of the state-transition form: rows sum to 1 and the cohort mass is conserved
//! in every cycle; doubling every cohort doubles every flow; a relative risk of 1 makes the
//! arms identical.

use proptest::prelude::*;
use som_core::catalogue::Catalogues;
use som_core::compile::compile;
use som_core::model::{Arm, Model};
use som_core::scenario::Scenario;
use som_core::source::Source;

#[derive(Debug, Clone)]
struct Spec {
    /// Rows of weights (normalised to probabilities), zeros kept as structural zeros.
    rows: Vec<Vec<f64>>,
    rr: f64,
    hr: bool,
    effect_cycles: u32,
    cycles: u32,
    cohorts: Vec<(u32, f64)>,
    costs: Vec<f64>,
    correction: usize,
    per_year: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..6).prop_flat_map(|s| {
        (
            prop::collection::vec(prop::collection::vec(0.0..1.0f64, s), s),
            0.0..1.0f64,
            any::<bool>(),
            1u32..5,
            1u32..30,
            prop::collection::vec((0u32..6, 0.5..200.0f64), 1..4),
            prop::collection::vec(-5000.0..50_000.0f64, s),
            0usize..5,
            0usize..3,
        )
            .prop_map(
                |(rows, rr, hr, effect_cycles, cycles, cohorts, costs, correction, per_year)| {
                    Spec {
                        rows,
                        rr,
                        hr,
                        effect_cycles,
                        cycles,
                        cohorts,
                        costs,
                        correction,
                        per_year,
                    }
                },
            )
    })
}

fn text(sp: &Spec, scale: f64, rr: Option<f64>) -> String {
    let s = sp.rows.len();
    let names: Vec<String> = (0..s).map(|i| format!("s{i}")).collect();
    // A horizon that holds every cohort's cycles and a correction's last trace point (a shorter
    // one is an error: it would cut the model without a word).
    let per_year = [1, 4, 12][sp.per_year];
    let last_start = sp.cohorts.iter().map(|c| c.0).max().unwrap_or(0);
    let horizon = last_start + sp.cycles.div_ceil(per_year) + 1;
    let mut t = format!(
        "name = \"prop\"\nprice_year = 2025\nfirst_year = 2025\nhorizon = {horizon}\n\
         [discounting]\nrate = 0.03\n",
    );
    for &(start, n) in &sp.cohorts {
        t += &format!(
            "[[cohort]]\nstart = {}\nparticipants = {}\n",
            2025 + start,
            n * scale
        );
    }
    let cycle = ["year", "quarter", "month"][sp.per_year];
    let correction = [
        "none",
        "half-cycle",
        "trapezoid",
        "simpson",
        "simpson-darth",
    ][sp.correction];
    t += &format!(
        "[states]\nnames = {names:?}\ncycle = \"{cycle}\"\ncycles = {}\ninitial = {{ s0 = 1 }}\n\
         [states.timing]\ncorrection = \"{correction}\"\n\
         [states.arm.baseline]\n[[states.arm.baseline.matrix]]\n",
        sp.cycles
    );
    for (i, row) in sp.rows.iter().enumerate() {
        let sum: f64 = row.iter().sum::<f64>().max(1e-9);
        let mut p: Vec<f64> = row.iter().map(|x| x / sum).collect();
        if row.iter().sum::<f64>() <= 1e-9 {
            p = vec![0.0; s];
            p[i] = 1.0;
        }
        // The diagonal as the exact complement so that the row sums to 1 as written.
        let off: f64 = p
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|x| x.1)
            .sum();
        p[i] = 1.0 - off;
        let cells: Vec<String> = p.iter().map(|x| format!("{x:e}")).collect();
        t += &format!("rows.s{i} = [{}]\n", cells.join(", "));
    }
    t += "[states.arm.intervention]\n";
    let rr = rr.unwrap_or(sp.rr);
    t += &format!(
        "[[states.effect]]\ntransitions = [\"* -> *\"]\n{} = {rr}\ncycles = {}\n",
        if sp.hr { "hr" } else { "rr" },
        sp.effect_cycles
    );
    for (i, c) in sp.costs.iter().enumerate() {
        t += &format!(
            "[[states.cost]]\nname = \"c{i}\"\nstate = \"s{i}\"\namount = {c}\ndepartment = \"born_familie\"\n"
        );
    }
    t += "[[states.outcome]]\nname = \"years in s0\"\nvalues = { s0 = 1 }\n";
    t
}

/// The same model with Dirichlet rows (counts) and an uncertain relative risk that can push a
/// row over 1 in a draw.
fn uncertain_text(sp: &Spec) -> String {
    let t = text(sp, 1.0, None);
    let mut out = String::new();
    for line in t.lines() {
        if let Some(rest) = line.strip_prefix("rows.") {
            let (name, cells) = rest.split_once(" = ").unwrap();
            let v: Vec<f64> = cells
                .trim_matches(|c| c == '[' || c == ']')
                .split(", ")
                .map(|x| x.parse::<f64>().unwrap())
                .collect();
            let counts: Vec<String> = v
                .iter()
                .map(|x| format!("{:.0}", (x * 200.0).round()))
                .collect();
            let mut counts = counts;
            if counts.iter().all(|c| c == "0") {
                let i: usize = name[1..].parse().unwrap();
                counts[i] = "1".into();
            }
            out += &format!("rows.{name} = [{}]\n", counts.join(", "));
        } else if line.starts_with("[[states.arm.baseline.matrix]]") {
            out += line;
            out += "\nform = \"counts\"\n";
        } else if line.starts_with("rr = ") || line.starts_with("hr = ") {
            out += &format!(
                "{} = {{ dist = \"lognormal\", low = 0.3, high = 1.0 }}\n",
                &line[..2]
            );
        } else {
            out += line;
            out += "\n";
        }
    }
    out
}

fn model(text: &str) -> Model {
    let src = Source::new("prop.toml", text);
    let sc: Scenario = src.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    let cat = Catalogues::builtin().unwrap();
    compile(&sc, &src, &cat).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rows_sum_to_one_and_mass_is_conserved(sp in spec()) {
        let m = model(&text(&sp, 1.0, None));
        let mk = m.markov.as_ref().unwrap();
        let theta = m.base_theta();
        let tt = theta.t().as_standard_layout().into_owned();
        let (mut probs, mut tmp) = (Vec::new(), Vec::new());
        mk.probabilities(&tt, &mut probs, &mut tmp, None);
        let mut off = 0;
        for reg in &mk.regimes {
            for i in 0..mk.n_states() {
                let sum: f64 = reg.nonzeros.iter().enumerate()
                    .filter(|(_, nz)| nz.0 == i)
                    .map(|(q, _)| probs[off + q])
                    .sum();
                prop_assert!((sum - 1.0).abs() < 1e-12, "row {i} sums to {sum}");
                for (q, nz) in reg.nonzeros.iter().enumerate() {
                    prop_assert!(probs[off + q] >= 0.0, "{nz:?} negative");
                }
            }
            off += reg.nonzeros.len();
        }
        let f = m.evaluate(theta.view());
        let s = mk.n_states();
        let pts = mk.cycles + 1;
        for a in 0..2 {
            for p in 0..pts {
                let mass: f64 = (0..s).map(|st| f.markov.trace[(a * pts + p) * s + st]).sum();
                prop_assert!((mass - 1.0).abs() < 1e-12, "arm {a}, point {p}: {mass}");
            }
        }
    }

    #[test]
    fn doubling_every_cohort_doubles_every_flow(sp in spec()) {
        let m1 = model(&text(&sp, 1.0, None));
        let m2 = model(&text(&sp, 2.0, None));
        let f1 = m1.evaluate(m1.base_theta().view());
        let f2 = m2.evaluate(m2.base_theta().view());
        prop_assert_eq!(f1.values.dim(), f2.values.dim());
        for (a, b) in f1.values.iter().zip(f2.values.iter()) {
            prop_assert!((2.0 * a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} {b}");
        }
        for (a, b) in f1.pv().iter().zip(f2.pv().iter()) {
            prop_assert!((2.0 * a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} {b}");
        }
        for (a, b) in f1.markov.outcomes.iter().zip(&f2.markov.outcomes) {
            prop_assert!((2.0 * a - b).abs() <= 1e-12 * a.abs().max(1.0));
        }
    }

    #[test]
    fn discounting_later_in_the_cycle_never_raises_a_present_value(sp in spec()) {
        // What falls in a year does not depend on where in the cycle it is discounted; its
        // present value shrinks (in size) from the cycle's start to its middle to its end.
        let with = |at: &str| {
            let t = text(&sp, 1.0, None)
                .replace("[states.timing]\n", &format!("[states.timing]\ndiscount = \"{at}\"\n"));
            let m = model(&t);
            let f = m.evaluate(m.base_theta().view());
            (f.values.clone(), f.pv().clone(), f.markov.outcomes.clone())
        };
        let (v0, p0, o0) = with("start");
        let (v1, p1, o1) = with("mid");
        let (v2, p2, o2) = with("end");
        let (v3, _, _) = with("year");
        for (((a, b), c), d) in v0.iter().zip(&v1).zip(&v2).zip(&v3) {
            let tol = 1e-9 * a.abs().max(1.0);
            prop_assert!((a - b).abs() <= tol && (a - c).abs() <= tol && (a - d).abs() <= tol);
        }
        for ((a, b), c) in p0.iter().zip(&p1).zip(&p2) {
            let tol = 1e-9 * a.abs().max(1.0);
            prop_assert!(a.abs() + tol >= b.abs() && b.abs() + tol >= c.abs(), "{a} {b} {c}");
            prop_assert!(a * b >= 0.0 && b * c >= 0.0);
        }
        for ((a, b), c) in o0.iter().zip(&o1).zip(&o2) {
            prop_assert!(*a + 1e-12 >= *b && *b + 1e-12 >= *c, "{a} {b} {c}");
        }
    }

    #[test]
    fn a_relative_risk_of_one_makes_the_arms_identical(sp in spec()) {
        let m = model(&text(&sp, 1.0, Some(1.0)));
        let f = m.evaluate(m.base_theta().view());
        let h = m.horizon();
        for (c, cell) in m.cells.iter().enumerate() {
            if cell.arm != Arm::Intervention {
                continue;
            }
            let twin = m.cells.iter().position(|x| {
                x.arm == Arm::Baseline && x.item == cell.item && x.department == cell.department
                    && x.actor == cell.actor && x.component == cell.component
            }).unwrap();
            for t in 0..h {
                prop_assert_eq!(f.values[[c, t, 0]], f.values[[twin, t, 0]]);
            }
        }
        let o = &f.markov.outcomes;
        prop_assert_eq!(o[0], o[1]);
        prop_assert_eq!(f.outcomes[0], 0.0);
    }

    #[test]
    fn drawn_rows_sum_to_one_and_mass_is_conserved(sp in spec(), seed in 0u64..1000) {
        let m = model(&uncertain_text(&sp));
        let mk = m.markov.as_ref().unwrap();
        let n = 16;
        let theta = som_core::montecarlo::sample_theta(&m, seed, 0, n);
        let tt = theta.t().as_standard_layout().into_owned();
        let (mut probs, mut tmp) = (Vec::new(), Vec::new());
        mk.probabilities(&tt, &mut probs, &mut tmp, None);
        let mut off = 0;
        for reg in &mk.regimes {
            for i in 0..mk.n_states() {
                for d in 0..n {
                    let sum: f64 = reg.nonzeros.iter().enumerate()
                        .filter(|(_, nz)| nz.0 == i)
                        .map(|(q, _)| probs[(off + q) * n + d])
                        .sum();
                    prop_assert!((sum - 1.0).abs() < 1e-12, "row {i}, draw {d}: {sum}");
                }
            }
            off += reg.nonzeros.len();
        }
        prop_assert!(probs.iter().all(|&p| (0.0..=1.0).contains(&p)));
        let f = m.evaluate(theta.view());
        let s = mk.n_states();
        let pts = mk.cycles + 1;
        for a in 0..2 {
            for p in 0..pts {
                for d in 0..n {
                    let mass: f64 = (0..s)
                        .map(|st| f.markov.trace[((a * pts + p) * s + st) * n + d])
                        .sum();
                    prop_assert!((mass - 1.0).abs() < 1e-12, "arm {a}, point {p}, draw {d}: {mass}");
                }
            }
        }
    }
}

/// A discount rate that is itself an input: each draw discounts every quarter at its own rate,
/// costs and outcomes alike. By hand: cost 400 a year in `well` of the intervention arm, well →
/// dead with p = ½ a quarter, 8 quarters, discounted mid-quarter: NPV = −Σ_k 100·½^k·(1 +
/// r)^−(k + ½)/4, and life-years Σ_k ¼·½^k·(1 + r)^−(k + ½)/4.
#[test]
fn a_drawn_rate_discounts_each_cycle_at_the_draws_rate() {
    let m = model(
        r#"name = "drawn rate"
price_year = 2025
first_year = 2025
horizon = 2
[discounting]
rate = { value = 0.1, dist = "uniform", min = 0.0, max = 0.2 }
[[cohort]]
start = 2025
participants = 1
[states]
names = ["well", "dead"]
cycle = "quarter"
cycles = 8
initial = { well = 1 }
[states.timing]
discount = "mid"
[states.arm.baseline]
[[states.arm.baseline.matrix]]
rows.well = { dead = 0.5 }
rows.dead = {}
[states.arm.intervention]
[[states.cost]]
name = "care"
state = "well"
arm = "intervention"
amount = 400
actor = "region"
[[states.outcome]]
name = "life-years"
values = { well = 1 }
"#,
    );
    let slot = m.discount_rate.expect("the rate is an input");
    let rates = [0.0, 0.05, 0.1, 0.15];
    let mut theta = ndarray::Array2::zeros((rates.len(), m.params.len()));
    for (d, &r) in rates.iter().enumerate() {
        theta.row_mut(d).assign(&m.base_theta().row(0));
        theta[[d, slot]] = r;
    }
    let f = m.evaluate(theta.view());
    let draws = som_core::metrics::batch(&m, &f, theta.view());
    let n = rates.len();
    for (d, &r) in rates.iter().enumerate() {
        let factor = |k: i32| (1.0 + r).powf(-(k as f64 + 0.5) / 4.0);
        let cost: f64 = (0..8).map(|k| 100.0 * 0.5f64.powi(k) * factor(k)).sum();
        let ly: f64 = (0..8).map(|k| 0.25 * 0.5f64.powi(k) * factor(k)).sum();
        let npv = draws.total.npv[d];
        assert!((npv + cost).abs() < 1e-9, "rate {r}: {npv} vs {}", -cost);
        // Outcomes `[arm][outcome][draw]`: the intervention arm's life-years.
        let got = f.markov.outcomes[n + d];
        assert!((got - ly).abs() < 1e-12, "rate {r}: {got} vs {ly}");
    }
    // The base draw (r = 0.1, the base value) is what the deterministic run reports.
    let base = m.evaluate(m.base_theta().view());
    let r = som_core::metrics::compute(
        &m,
        base.draw(0),
        base.draw_pv(0),
        base.participants[0],
        base.outcomes[0],
    );
    assert!((r.total.metrics.npv - draws.total.npv[2]).abs() < 1e-9);
}
