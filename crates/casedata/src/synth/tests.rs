//! Unit tests of the generator.

use super::frame::person_id;
use super::*;

fn small(persons: u64) -> SynthConfig {
    SynthConfig {
        persons,
        ..SynthConfig::default()
    }
}

fn messages(e: Error) -> Vec<String> {
    e.diagnostics().iter().map(|d| d.to_string()).collect()
}

#[test]
fn plan_splits_persons_into_chunks() {
    let plan = Plan::new(&small(2500)).unwrap();
    assert_eq!(plan.jobs.len(), 3);
    assert_eq!(
        plan.jobs.iter().map(|j| u64::from(j.persons)).sum::<u64>(),
        2500
    );
    assert_eq!(plan.jobs[2].first, 2000);
    assert_eq!(plan.jobs[2].chunk, 2);
    assert_eq!(plan.municipalities[0].code, 751);
    assert_eq!(plan.municipalities[0].name, "Aarhus");
}

#[test]
fn the_command_is_canonical() {
    let c = SynthConfig {
        municipalities: vec![851, 101, 851],
        ..small(3000)
    };
    assert_eq!(
        c.command(),
        "som synth --municipality 101 851 --persons 3000 --from 2016 --to 2025 --seed 7"
    );
    let all = SynthConfig {
        all: true,
        ..small(50)
    };
    assert!(all.command().starts_with("som synth --all --persons 50 "));
}

#[test]
fn bad_arguments_are_reported_together() {
    let c = SynthConfig {
        municipalities: vec![751, 999],
        persons: 0,
        from_year: 2024,
        to_year: 2025,
        ..SynthConfig::default()
    };
    let m = messages(Plan::new(&c).unwrap_err());
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(m[0].contains("unknown municipality code 999"), "{m:?}");
    assert!(m[0].contains("--municipality"), "{m:?}");
    assert!(m[1].contains("0 persons"), "{m:?}");
    assert!(m[2].contains("shorter than 3 years"), "{m:?}");
}

#[test]
fn all_municipalities_split_the_total_by_a_synthetic_size() {
    assert_eq!(municipalities().len(), 98);
    let plan = Plan::new(&SynthConfig {
        all: true,
        ..small(100_000)
    })
    .unwrap();
    assert_eq!(plan.municipalities.len(), 98);
    assert_eq!(
        plan.municipalities.iter().map(|m| m.persons).sum::<u64>(),
        100_000
    );
    let max = plan.municipalities.iter().map(|m| m.persons).max().unwrap();
    let min = plan.municipalities.iter().map(|m| m.persons).min().unwrap();
    assert!(max > 5 * min, "sizes should differ: {min}..{max}");
    // Sizes are a pure function of the code.
    assert_eq!(synthetic_size(751), synthetic_size(751));
    // Chunks are numbered within each municipality and cover every person once.
    let mut next = 0;
    for j in &plan.jobs {
        assert_eq!(j.first, next);
        next += u64::from(j.persons);
    }
    assert_eq!(next, 100_000);
}

#[test]
fn every_code_is_known_to_the_department_map_or_the_price_catalogue() {
    let cat = Catalogues::builtin().unwrap();
    let model = Model::new(&cat).unwrap();
    let map = &cat.departments.0;
    for info in model.stream_info() {
        let item = cat.prices.0.items.iter().find(|i| i.id == info.code);
        let dept = match item {
            Some(i) => i
                .department
                .clone()
                .or_else(|| {
                    i.function
                        .as_deref()
                        .and_then(|f| map.department_of_function(f))
                        .map(str::to_string)
                })
                .unwrap(),
            None => map
                .department_of_function(info.code)
                .unwrap_or_else(|| panic!("unknown code {}", info.code))
                .to_string(),
        };
        assert_eq!(dept, info.department, "{}", info.code);
        assert!(info.unit_price > 0.0, "{}", info.code);
    }
    // Prices sit at the reference unit prices.
    let price = |seg: &str, code: &str| {
        model
            .stream_info()
            .into_iter()
            .find(|i| i.segment == seg && i.code == code)
            .map(|i| (i.unit_price, i.price_year))
            .unwrap()
    };
    assert_eq!(price("family", "5.28.22"), (1287.67, 2019)); // 470,000 / 365
    assert_eq!(price("family", "5.28.23"), (3178.08, 2019)); // 1,160,000 / 365
    assert_eq!(price("adult", "5.57.73"), (12326.0, 2024)); // kontanthjælp a month
    assert_eq!(price("debt", "forsorgshjem_dogn"), (1500.0, 2025));
}

#[test]
fn prices_move_with_the_general_pl_index() {
    let model = Model::new(&Catalogues::builtin().unwrap()).unwrap();
    assert_eq!(model.price_factor(2024, 2024), 1.0);
    assert!((model.price_factor(2023, 2024) - 1.04).abs() < 1e-12);
    assert!((model.price_factor(2024, 2023) - 1.0 / 1.04).abs() < 1e-12);
    // Outside the catalogue's years: 2 % a year.
    assert!((model.price_factor(2016, 2017) - 1.02).abs() < 1e-12);
}

#[test]
fn person_ids_are_never_cpr_like() {
    assert_eq!(person_id(0), "S0000001");
    assert_eq!(person_id(999_999), "S1000000");
    assert!(person_id(12_345_678).starts_with('S'));
}

#[test]
fn a_chunk_depends_only_on_seed_municipality_and_chunk_number() {
    let plan = Plan::new(&small(1500)).unwrap();
    let a = generate_chunk(&plan, &plan.jobs[1]);
    let b = generate_chunk(&plan, &plan.jobs[1]);
    assert!(a.services.amount == b.services.amount);
    assert_eq!(a.tally, b.tally);
    // Parallel generation returns the same chunks in job order.
    let par = generate_chunks(&plan, &plan.jobs);
    assert!(par[1].services.amount == a.services.amount);
    assert_eq!(par[0].job, plan.jobs[0]);
    // The same municipality inside a run of several gives the same people (other ids).
    let two = Plan::new(&SynthConfig {
        municipalities: vec![101, 751],
        ..small(100_000)
    })
    .unwrap();
    let job = two
        .jobs
        .iter()
        .find(|j| j.municipality == 751 && j.chunk == 0)
        .unwrap();
    let c = generate_chunk(&two, job);
    let d = generate_chunk(&plan, &plan.jobs[0]);
    assert_eq!(c.job.persons, 1000);
    assert!(c.services.amount == d.services.amount);
    assert_ne!(c.persons.index, d.persons.index);
    // Another seed gives other data.
    let other = Plan::new(&SynthConfig {
        seed: 8,
        ..small(1500)
    })
    .unwrap();
    let e = generate_chunk(&other, &other.jobs[1]);
    assert!(e.services.amount != a.services.amount);
}

#[test]
fn tables_follow_the_case_data_contract() {
    let plan = Plan::new(&small(1000)).unwrap();
    let c = generate_chunk(&plan, &plan.jobs[0]);
    let periods = &plan.time.periods;
    let p = c.persons.frame().unwrap();
    let s = c.services.frame(periods).unwrap();
    let t = c.states.frame(periods).unwrap();
    let names = |df: &polars::prelude::DataFrame| -> Vec<String> {
        df.get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    };
    assert_eq!(
        names(&p),
        [
            "person_id",
            "municipality",
            "birth_year",
            "sex",
            "segment",
            "coordination_level",
            "participant",
            "start_date"
        ]
    );
    assert_eq!(
        names(&s),
        ["person_id", "period", "code", "units", "amount", "refund"]
    );
    assert_eq!(names(&t), ["person_id", "period", "state"]);
    assert_eq!(p.height(), 1000);
    // One state per person and month.
    assert_eq!(t.height(), 1000 * plan.time.months);
    // Start dates for participants only, inside the period, ISO.
    for (part, d) in c.persons.participant.iter().zip(&c.persons.start_date) {
        assert_eq!(*part, d.is_some());
        if let Some(d) = d {
            assert_eq!(d.len(), 10);
            assert!(("2019-01-01"..="2022-12-31").contains(&d.as_str()), "{d}");
        }
    }
    // Amounts: ≥ 0 unless refund; refunds are negative and a small share.
    let mut refunds = 0;
    for ((a, r), u) in c
        .services
        .amount
        .iter()
        .zip(&c.services.refund)
        .zip(&c.services.units)
    {
        if *r {
            assert!(*a <= 0.0);
            refunds += 1;
        } else {
            assert!(*a >= 0.0 && *u > 0.0);
        }
        assert_eq!((*a * 100.0).round() / 100.0, *a, "øre");
    }
    let share = refunds as f64 / c.services.len() as f64;
    assert!(share > 0.0 && share < 0.03, "{share}");
    // Persons sorted by id, services grouped by person and in period order.
    assert!(c.services.person.windows(2).all(|w| w[0] <= w[1]));
    for w in c
        .services
        .person
        .windows(2)
        .zip(c.services.month.windows(2))
    {
        if w.0[0] == w.0[1] {
            assert!(w.1[0] <= w.1[1]);
        }
    }
    assert!(c.states.person.iter().all(|&i| i < 1000));
}

#[test]
fn participants_are_selected_on_observed_pre_period_costs_and_levels() {
    let plan = Plan::new(&small(6000)).unwrap();
    let mut tally = plan.tally();
    for c in generate_chunks(&plan, &plan.jobs) {
        tally.merge(&c.tally);
    }
    let truth = plan.truth(&tally, &[tally.participants()]);
    let share = truth.participants as f64 / truth.persons as f64;
    assert!((0.1..0.35).contains(&share), "{share}");
    for seg in SEGMENTS {
        let g = |part: bool| {
            truth
                .selection
                .groups
                .iter()
                .find(|g| g.segment == seg && g.participant == part)
                .unwrap()
                .clone()
        };
        let (yes, no) = (g(true), g(false));
        assert!(
            yes.mean_baseline_cost > 1.3 * no.mean_baseline_cost,
            "{seg}"
        );
        assert!(yes.share_level_3 > no.share_level_3 + 0.1, "{seg}");
    }
}

#[test]
fn the_realised_effect_follows_the_true_parameters() {
    let plan = Plan::new(&small(12_000)).unwrap();
    let mut tally = plan.tally();
    for c in generate_chunks(&plan, &plan.jobs) {
        tally.merge(&c.tally);
    }
    let truth = plan.truth(&tally, &[tally.participants()]);
    let row = |seg: &str, dept: &str, k: i64| {
        truth
            .att
            .iter()
            .find(|r| r.segment == seg && r.department == dept && r.year_since_start == k)
            .unwrap()
            .clone()
    };
    // Before the start date, observed and counterfactual agree exactly.
    for r in truth.att.iter().filter(|r| r.year_since_start < 0) {
        assert_eq!(r.effect, 0.0, "{r:?}");
        assert_eq!(r.observed, r.counterfactual);
    }
    // Departments without an effect are untouched.
    for r in truth.att.iter().filter(|r| r.segment == "debt") {
        if r.department == "skole" || r.department == "sundhed" {
            assert_eq!(r.effect, 0.0, "{r:?}");
        }
    }
    // The realised relative reduction is near the parameter where the cost base is broad.
    for (seg, dept, k) in [
        ("family", "born_familie", 1),
        ("family", "beskaeftigelse", 2),
        ("adult", "voksen_social", 1),
        ("pupil", "skole", 1),
        ("debt", "voksen_social", 0),
    ] {
        let r = row(seg, dept, k);
        let realised = -r.effect / r.counterfactual;
        let param = truth
            .effects
            .iter()
            .find(|e| e.segment == seg && e.department == dept && e.year_since_start == k as u32)
            .unwrap()
            .relative_reduction;
        assert!(
            (realised - param).abs() < 0.35 * param + 0.02,
            "{seg} {dept} {k}: realised {realised:.3}, parameter {param}"
        );
    }
    // All participants, all departments: a saving in every year after the start.
    for k in 0..3 {
        assert!(row("all", "total", k).effect < 0.0);
    }
}

#[test]
fn write_synth_is_whole_reproducible_and_careful_with_folders() {
    let base = std::env::temp_dir().join(format!("som-synth-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let cfg = small(300);
    let a = base.join("a");
    let b = base.join("b");
    let ra = crate::synth_out::write_synth(&a, &cfg).unwrap();
    crate::synth_out::write_synth(&b, &cfg).unwrap();
    assert_eq!(ra.files.len(), 5);
    for (f, _) in &ra.files {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    // An earlier synth output is replaced whole.
    std::fs::write(a.join("extra.txt"), "x").unwrap();
    crate::synth_out::write_synth(&a, &cfg).unwrap();
    assert!(!a.join("extra.txt").exists());
    // A foreign folder is refused and left alone.
    let foreign = base.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("precious.txt"), "keep").unwrap();
    assert!(crate::synth_out::write_synth(&foreign, &cfg).is_err());
    assert_eq!(
        std::fs::read_to_string(foreign.join("precious.txt")).unwrap(),
        "keep"
    );
    // Bad input writes nothing.
    let bad = base.join("bad");
    let e = crate::synth_out::write_synth(
        &bad,
        &SynthConfig {
            municipalities: vec![42],
            ..cfg
        },
    );
    assert!(e.is_err());
    assert!(!bad.exists());
    // No staging directory is left behind.
    let left: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty());
    std::fs::remove_dir_all(&base).unwrap();
}
