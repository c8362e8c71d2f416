//! Property tests of the projection: invariants that must hold for any valid scenario.

use proptest::prelude::*;
use som_core::catalogue::Catalogues;
use som_core::compile::compile;
use som_core::metrics::compute;
use som_core::model::Model;
use som_core::scenario::Scenario;
use som_core::source::Source;

const DEPTS: &[&str] = &[
    "born_familie",
    "skole",
    "voksen_social",
    "beskaeftigelse",
    "sundhed",
    "region",
    "stat",
];
const ITEMS: &[&str] = &["plejefamilie", "kontanthjaelp_uden_born", "institution"];

#[derive(Debug, Clone)]
struct Spec {
    horizon: u32,
    duration: u32,
    cohorts: Vec<(u32, f64)>,
    costs: Vec<(f64, usize, bool)>,
    replaces: Vec<(f64, usize)>,
    startup: Option<(u32, f64, usize)>,
    success: (u8, f64, f64),
    consequences: Vec<(bool, f64, usize)>,
    persistence: (u8, f64),
    timing: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (3u32..25, 1u32..4).prop_flat_map(|(horizon, duration)| {
        (
            Just(horizon),
            Just(duration),
            prop::collection::vec((0..horizon, 0.0..500.0f64), 1..4),
            prop::collection::vec((0.0..80_000.0f64, 0..DEPTS.len(), any::<bool>()), 1..4),
            prop::collection::vec((0.0..40_000.0f64, 0..DEPTS.len()), 0..3),
            prop::option::of((0..horizon, 0.0..1e6f64, 0..DEPTS.len())),
            (0u8..3, 0.0..1.0f64, 0.0..1.0f64),
            prop::collection::vec((any::<bool>(), -2.0..0.5f64, 0..DEPTS.len()), 1..5),
            (0u8..4, 0.01..0.99f64),
            0u8..3,
        )
            .prop_map(
                |(
                    horizon,
                    duration,
                    cohorts,
                    costs,
                    replaces,
                    startup,
                    success,
                    consequences,
                    persistence,
                    timing,
                )| Spec {
                    horizon,
                    duration,
                    cohorts,
                    costs,
                    replaces,
                    startup,
                    success,
                    consequences,
                    persistence,
                    timing,
                },
            )
    })
}

fn toml_of(s: &Spec, cohort_scale: f64, success_scale: f64) -> String {
    let first = 2026;
    let mut t = format!(
        "name = \"prop\"\nprice_year = 2025\nfirst_year = {first}\nhorizon = {}\n",
        s.horizon
    );
    t += &format!(
        "[discounting]\ntiming = \"{}\"\n",
        ["start", "mid", "end"][s.timing as usize]
    );
    match s.persistence.0 {
        0 => t += "[persistence]\n",
        1 => t += &format!("[persistence]\ndecay = {}\n", s.persistence.1),
        2 => {
            t += &format!(
                "[persistence]\nhalf_life = {}\nphase_in = [0.5]\n",
                1.0 + 5.0 * s.persistence.1
            )
        }
        _ => {
            t += &format!(
                "[persistence]\nprofile = [1.0, {}, 0.2]\nyears = 2\n",
                s.persistence.1
            )
        }
    }
    for &(start, n) in &s.cohorts {
        t += &format!(
            "[[cohort]]\nstart = {}\nparticipants = {}\n",
            first + start as i32,
            n * cohort_scale
        );
    }
    t += &format!(
        "[intervention]\nduration = {}\ndepartment = \"born_familie\"\n",
        s.duration
    );
    for (i, &(a, d, per_participant)) in s.costs.iter().enumerate() {
        t += &format!(
            "[[intervention.cost]]\nname = \"c{i}\"\namount = {a}\ndepartment = \"{}\"\nper = \"{}\"\n",
            DEPTS[d],
            if per_participant {
                "participant"
            } else {
                "year"
            }
        );
    }
    for (i, &(a, d)) in s.replaces.iter().enumerate() {
        t += &format!(
            "[[intervention.replaces]]\nname = \"r{i}\"\namount = {a}\ndepartment = \"{}\"\n",
            DEPTS[d]
        );
    }
    if let Some((y, a, d)) = s.startup {
        t += &format!(
            "[[intervention.startup]]\nname = \"s\"\nyear = {}\namount = {a}\ndepartment = \"{}\"\n",
            first + y as i32,
            DEPTS[d]
        );
    }
    let (form, a, b) = s.success;
    let (a, b) = (a * success_scale, b * success_scale);
    t += &match form {
        0 => format!("[success]\nnet = {a}\n"),
        1 => format!("[success]\nwith = {a}\nwithout = {}\n", a * b),
        _ => format!("[success]\nrate = {a}\ndeadweight = {b}\n"),
    };
    for (i, &(priced, x, d)) in s.consequences.iter().enumerate() {
        if priced {
            t += &format!(
                "[[consequence]]\nname = \"k{i}\"\nitem = \"{}\"\nunits = {x}\n",
                ITEMS[d % ITEMS.len()]
            );
        } else {
            t += &format!(
                "[[consequence]]\nname = \"k{i}\"\namount = {}\ndepartment = \"{}\"\n",
                x * 100_000.0,
                DEPTS[d]
            );
        }
    }
    t
}

fn model(text: &str) -> Model {
    let src = Source::new("prop.toml", text);
    let sc: Scenario = src.parse().unwrap_or_else(|d| panic!("{d}\n{text}"));
    let cat = Catalogues::builtin().unwrap();
    compile(&sc, &src, &cat).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn sums_by_department_and_by_actor_equal_totals(s in spec()) {
        let m = model(&toml_of(&s, 1.0, 1.0));
        let f = m.evaluate(m.base_theta().view());
        let r = compute(&m, f.draw(0), f.draw_pv(0), f.participants[0], f.outcomes[0]);
        // The total is the public sector's: sum the groups of public actors.
        let public = |actor: &str| m.actors.iter().any(|a| a.id == actor && a.public);
        let actors: Vec<_> = r.by_actor.iter().filter(|g| public(&g.id)).collect();
        let depts: Vec<_> = r
            .by_department
            .iter()
            .filter(|g| public(g.actor.as_deref().unwrap()))
            .collect();
        for groups in [&actors, &depts] {
            let cost: f64 = groups.iter().map(|g| g.metrics.cost_pv).sum();
            let benefit: f64 = groups.iter().map(|g| g.metrics.benefit_pv).sum();
            prop_assert!(close(cost, r.total.metrics.cost_pv));
            prop_assert!(close(benefit, r.total.metrics.benefit_pv));
            for t in 0..m.horizon() {
                let net: f64 = groups.iter().map(|g| g.years[t].net).sum();
                prop_assert!(close(net, r.total.years[t].net));
            }
        }
        // Who pays who gains hands out exactly the gains.
        let w = &r.who_pays_who_gains;
        if !w.investing.is_empty() {
            let handed: f64 = w.matrix.iter().flatten().sum();
            let gains: f64 = w.gain.iter().sum();
            prop_assert!(close(handed, gains));
        }
    }

    #[test]
    fn doubling_every_cohort_doubles_every_flow(mut s in spec()) {
        s.startup = None; // a start-up cost is not per participant
        let one = model(&toml_of(&s, 1.0, 1.0));
        let two = model(&toml_of(&s, 2.0, 1.0));
        let a = one.evaluate(one.base_theta().view());
        let b = two.evaluate(two.base_theta().view());
        prop_assert_eq!(a.values.shape(), b.values.shape());
        for (x, y) in a.values.iter().zip(b.values.iter()) {
            prop_assert!(close(2.0 * x, *y));
        }
        prop_assert!(close(2.0 * a.outcomes[0], b.outcomes[0]));
    }

    #[test]
    fn zero_success_leaves_only_the_net_intervention_costs(s in spec()) {
        let m = model(&toml_of(&s, 1.0, 0.0));
        let f = m.evaluate(m.base_theta().view());
        let r = compute(&m, f.draw(0), f.draw_pv(0), f.participants[0], f.outcomes[0]);
        prop_assert_eq!(r.total.metrics.benefit_pv, 0.0);
        prop_assert_eq!(r.net_outcomes, 0.0);
        prop_assert!(close(r.total.metrics.npv, -r.total.metrics.cost_pv));
        // What remains is exactly costs + start-up − replaced services.
        let full = model(&toml_of(&s, 1.0, 1.0));
        let g = full.evaluate(full.base_theta().view());
        let r2 = compute(&full, g.draw(0), g.draw_pv(0), g.participants[0], g.outcomes[0]);
        prop_assert!(close(r.total.metrics.cost_pv, r2.total.metrics.cost_pv));
    }

    /// The Monte Carlo path's metrics, reduced over a whole batch of draws at once, are exactly
    /// those of `compute` draw by draw — with a constant discount rate that moves too.
    #[test]
    fn batch_metrics_equal_compute_draw_by_draw(s in spec(), with_rate in any::<bool>()) {
        let mut text = toml_of(&s, 1.0, 1.0);
        if with_rate {
            text = text.replace("[discounting]\n", "[discounting]\nrate = 0.035\n");
        }
        let m = model(&text);
        let base = m.base_theta();
        let p = m.params.len();
        // 7 draws, every input moved by a deterministic ±20 % pattern (shares kept within 0–1).
        let theta = ndarray::Array2::from_shape_fn((7, p), |(d, j)| {
            let v = base[[0, j]] * (1.0 + 0.2 * (((d * 31 + j * 17) % 11) as f64 / 5.0 - 1.0));
            if m.params[j].name.starts_with("success") { v.clamp(0.0, 1.0) } else { v }
        });
        let f = m.evaluate(theta.view());
        let b = som_core::metrics::batch(&m, &f, theta.view());
        for d in 0..7 {
            let df = match m.discount_rate {
                Some(j) => m.discount_at(theta[[d, j]]),
                None => m.discount.clone(),
            };
            let r = som_core::metrics::compute_with(&m, &df, f.draw(d), f.draw_pv(d), f.participants[d], f.outcomes[d]);
            let groups = std::iter::once((&r.total, &b.total))
                .chain(r.by_actor.iter().zip(&b.by_actor))
                .chain(r.by_department.iter().zip(&b.by_department));
            prop_assert_eq!(r.by_actor.len(), b.by_actor.len());
            prop_assert_eq!(r.by_department.len(), b.by_department.len());
            for (g, bg) in groups {
                let m = &g.metrics;
                prop_assert_eq!(&g.id, &bg.id);
                prop_assert_eq!(m.npv, bg.npv[d]);
                prop_assert_eq!(m.cost_pv, bg.cost_pv[d]);
                prop_assert_eq!(m.benefit_pv, bg.benefit_pv[d]);
                prop_assert_eq!(m.bcr.unwrap_or(f64::NAN).to_bits(), bg.bcr[d].to_bits());
                let year = match (m.payback_status, m.payback_year) {
                    (som_core::metrics::PaybackStatus::PaysBack, Some(y)) => y as f64,
                    _ => f64::NAN,
                };
                prop_assert_eq!(year.to_bits(), bg.payback_year[d].to_bits());
            }
            prop_assert_eq!(r.participants, b.participants[d]);
            prop_assert_eq!(r.net_outcomes, b.net_outcomes[d]);
        }
    }

    #[test]
    fn discount_factors_fall_with_time_for_positive_rates(rate in 0.0001..0.2f64, h in 2u32..150) {
        for timing in [som_core::scenario::Timing::Start, som_core::scenario::Timing::Mid, som_core::scenario::Timing::End] {
            let f = som_core::discount::factors(&|_| rate, h, timing);
            for w in f.windows(2) {
                prop_assert!(w[1] < w[0]);
            }
        }
    }
}
