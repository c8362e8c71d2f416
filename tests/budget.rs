//! The budget view and the Excel workbook: `som run` on a bundled scenario with a `[budget]`
//! section writes `report.xlsx` and `budget.csv`; the workbook's numbers are numeric cells equal
//! to `summary.json`; the workbook is byte-identical across runs; bad `[budget]` input is an
//! error naming file, line and field.

mod common;
use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use common::*;
use std::path::Path;

const SCENARIO: &str = "models/families-one-plan.toml";

fn run(out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "run",
        SCENARIO,
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ];
    args.extend(extra);
    let o = som(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// `som run` prints the budget view: each department's net by budget year and the total's
/// gross, refusion and net, as summary.json has them.
#[test]
fn the_terminal_summary_shows_the_budget_view() {
    let out = scratch("budget-terminal");
    let said = run(&out, &["--draws", "0"]);
    let s = read_json(&out.join("summary.json"));
    let b = &s["budget"];
    let block = said
        .split("Budget view")
        .nth(1)
        .unwrap_or_else(|| panic!("no budget block in\n{said}"));
    let figure = |v: &serde_json::Value| thousands(v.as_f64().unwrap());
    let line = |label: &str| -> Vec<String> {
        let l = block
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` line in\n{block}"));
        l.split_whitespace()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
            .map(String::from)
            .collect()
    };
    let t = &b["total"];
    for (label, key) in [
        ("Total: gross", "gross"),
        ("refusion", "refusion"),
        ("net", "net"),
    ] {
        let mut want: Vec<String> = t["years"]
            .as_array()
            .unwrap()
            .iter()
            .map(|y| figure(&y[key]))
            .collect();
        want.push(figure(&t["sum"][key]));
        assert_eq!(line(label), want, "{label}");
    }
    let header = block.lines().nth(1).unwrap();
    let years: Vec<String> = b["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.to_string())
        .collect();
    let shown: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(shown[..years.len()], years[..], "{header}");
}

fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    wb.worksheet_range(name).unwrap()
}

/// The rows of a sheet as cells.
fn rows(r: &Range<Data>) -> Vec<Vec<Data>> {
    r.rows().map(|row| row.to_vec()).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// A numeric cell's value; panics on text, so a number stored as text fails the test.
fn num(d: &Data) -> f64 {
    match d {
        Data::Float(x) => *x,
        Data::Int(x) => *x as f64,
        other => panic!("expected a number, got {other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn workbook_totals_equal_the_summary_and_are_reproducible() {
    let a = scratch("budget-a");
    let b = scratch("budget-b");
    run(&a, &[]);
    run(&b, &[]);
    let xa = std::fs::read(a.join("report.xlsx")).unwrap();
    assert_eq!(&xa[..2], b"PK", "an xlsx is a zip file");
    assert_eq!(
        xa,
        std::fs::read(b.join("report.xlsx")).unwrap(),
        "report.xlsx differs between two runs"
    );
    assert_eq!(
        std::fs::read(a.join("budget.csv")).unwrap(),
        std::fs::read(b.join("budget.csv")).unwrap()
    );
    let s = read_json(&a.join("summary.json"));
    let m = read_json(&a.join("manifest.json"));
    let listed: Vec<&str> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["file"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"report.xlsx") && listed.contains(&"budget.csv"));
    let roles: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"refusion"), "{roles:?}");
    let path = a.join("report.xlsx");

    // Summary: the NPV and every department's present values.
    let sum = rows(&sheet(&path, "Summary"));
    let find = |label: &str| {
        sum.iter()
            .find(|r| text(&r[0]) == label)
            .unwrap_or_else(|| panic!("no row {label}"))
            .clone()
    };
    let total = &s["total"];
    assert!(close(
        num(&find("NPV (kr.)")[1]),
        total["npv"].as_f64().unwrap()
    ));
    assert!(close(
        num(&find("Cost, present value (kr.)")[1]),
        total["cost_pv"].as_f64().unwrap()
    ));
    for d in s["by_department"].as_array().unwrap() {
        let row = find(d["name"].as_str().unwrap());
        assert!(close(num(&row[2]), d["cost_pv"].as_f64().unwrap()));
        assert!(close(num(&row[3]), d["benefit_pv"].as_f64().unwrap()));
        assert!(close(num(&row[4]), d["npv"].as_f64().unwrap()));
    }

    // Budget: every department and the total, every line, every year and the sum.
    let bud = &s["budget"];
    assert_eq!(bud["years"], serde_json::json!([2026, 2027, 2028, 2029]));
    assert!(!bud["refusion"].as_array().unwrap().is_empty());
    assert!(!bud["keys"].as_array().unwrap().is_empty());
    let brows = rows(&sheet(&path, "Budget"));
    let header = brows
        .iter()
        .find(|r| text(&r[0]) == "Department")
        .expect("a header row");
    assert_eq!(text(&header[2]), "2026 (kr.)");
    let lines = [
        ("Gross", "gross"),
        ("Refusion", "refusion"),
        ("Net (before keys)", "net"),
        ("Distribution keys", "transfer"),
        ("Net after keys", "net_after_keys"),
    ];
    let mut checked = 0;
    for d in bud["departments"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&bud["total"]))
    {
        for (label, key) in lines {
            let row = brows
                .iter()
                .find(|r| text(&r[0]) == d["name"].as_str().unwrap() && text(&r[1]) == label)
                .unwrap_or_else(|| panic!("no budget row {} {label}", d["name"]));
            for (j, y) in d["years"].as_array().unwrap().iter().enumerate() {
                assert!(close(num(&row[2 + j]), y[key].as_f64().unwrap()), "{label}");
                checked += 1;
            }
            assert!(close(num(&row[6]), d["sum"][key].as_f64().unwrap()));
        }
    }
    assert!(checked >= 7 * 5 * 4, "{checked}");
    // The keys keep the total: the municipality's net after keys equals its net.
    assert!(close(
        bud["total"]["sum"]["net_after_keys"].as_f64().unwrap(),
        bud["total"]["sum"]["net"].as_f64().unwrap()
    ));
    // Refusion on the refused lines: the state's part is added to the gross.
    assert!(bud["total"]["sum"]["state_part"].as_f64().unwrap() < 0.0);

    // Flows: the net PV of each department's years sums to its NPV.
    let frows = rows(&sheet(&path, "Flows"));
    for d in s["by_department"].as_array().unwrap() {
        let name = d["name"].as_str().unwrap();
        let pv: f64 = frows
            .iter()
            .filter(|r| text(&r[1]) == name)
            .map(|r| num(&r[7]))
            .sum();
        assert!((pv - d["npv"].as_f64().unwrap()).abs() < 1e-3, "{name}");
        assert!(
            frows
                .iter()
                .filter(|r| text(&r[1]) == name)
                .all(|r| num(&r[0]) >= 2026.0)
        );
    }

    // Who pays who gains: the gain row equals the summary's.
    let wrows = rows(&sheet(&path, "Who pays who gains"));
    let gain = wrows
        .iter()
        .find(|r| text(&r[0]) == "PV gain (kr.)")
        .unwrap();
    for (j, g) in s["who_pays_who_gains"]["gain"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert!(close(num(&gain[2 + j]), g.as_f64().unwrap()));
    }

    // Assumptions: every input with its value and the provenance's hashes.
    let arows = rows(&sheet(&path, "Assumptions"));
    for i in s["inputs"].as_array().unwrap() {
        let row = arows
            .iter()
            .find(|r| text(&r[0]) == i["name"].as_str().unwrap())
            .unwrap_or_else(|| panic!("input {} missing", i["name"]));
        assert!(close(num(&row[1]), i["value"].as_f64().unwrap()));
    }
    for i in s["provenance"]["inputs"].as_array().unwrap() {
        assert!(
            arows
                .iter()
                .any(|r| r.len() > 3 && text(&r[3]) == i["sha256"].as_str().unwrap()),
            "{}",
            i["role"]
        );
    }

    // budget.csv has the documented columns and a row per department × year plus the total.
    let csv = std::fs::read_to_string(a.join("budget.csv")).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        engine::report::tables::BUDGET_CSV_COLUMNS.join(",")
    );
    let n = bud["departments"].as_array().unwrap().len();
    assert_eq!(csv.lines().count(), 1 + (n + 1) * 4);
}

#[test]
fn monte_carlo_intervals_reach_the_summary_sheet_and_no_workbook_skips_it() {
    let out = scratch("budget-mc");
    run(&out, &["--draws", "200", "--seed", "3"]);
    let s = read_json(&out.join("summary.json"));
    let r = rows(&sheet(&out.join("report.xlsx"), "Summary"));
    let npv = r.iter().find(|r| text(&r[0]) == "NPV (kr.)").unwrap();
    let u = &s["uncertainty"]["total"]["npv"];
    assert!(close(num(&npv[2]), u["mean"].as_f64().unwrap()));
    assert!(close(num(&npv[3]), u["low"].as_f64().unwrap()));
    assert!(close(num(&npv[4]), u["high"].as_f64().unwrap()));
    let p = r.iter().find(|r| text(&r[0]) == "P(NPV > 0)").unwrap();
    assert!(close(
        num(&p[1]),
        s["uncertainty"]["total"]["p_npv_positive"]
            .as_f64()
            .unwrap()
    ));

    let skip = scratch("budget-no-workbook");
    run(&skip, &["--no-workbook"]);
    assert!(!skip.join("report.xlsx").exists());
    assert!(skip.join("budget.csv").exists());
}

// ---------------------------------------------------------------- bad input

const GOOD: &str = r#"name = "budget input test"
price_year = 2025
first_year = 2026
horizon = 5

[[cohort]]
start = 2026
participants = 20

[intervention]
duration = 1
department = "born_familie"

[[intervention.cost]]
name = "Coordinator"
amount = 40000

[success]
net = 0.2

[[consequence]]
name = "Fewer placements"
item = "plejefamilie"
units = -0.1

[[consequence]]
name = "Kontanthjælp"
item = "kontanthjaelp_med_born"
units = -0.3

[budget]
years = 4

[[budget.refusion]]
item = "kontanthjaelp_med_born"
rule = "forsorgelsesydelser_2016"
weeks = [1, 52]

[[budget.key]]
from = "beskaeftigelse"
to = "born_familie"
share = 0.5
"#;

/// 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the scenario"))
        + 1
}

/// Run `som run` on `text` and check the diagnostic names `bad.toml:<line>`, the field and
/// `words`, that nothing is written and nothing panics.
fn expect_error(case: &str, text: &str, line: usize, field: &str, words: &str) {
    let dir = scratch(&format!("budget-errors-{case}"));
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
    let located = format!("bad.toml:{line}:");
    assert!(
        err.contains(&located),
        "{case}: expected {located} in\n{err}"
    );
    assert!(
        err.contains(&format!("field `{field}`")),
        "{case}: expected field {field} in\n{err}"
    );
    assert!(err.contains(words), "{case}: expected '{words}' in\n{err}");
    assert!(!out.exists(), "{case}: output written despite the error");
}

#[test]
fn good_budget_scenario_validates() {
    let dir = scratch("budget-good");
    let file = dir.join("good.toml");
    std::fs::write(&file, GOOD).unwrap();
    let o = som(&["validate", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn unknown_department_in_a_key() {
    let t = GOOD.replace("from = \"beskaeftigelse\"", "from = \"beskæftigelse\"");
    let l = line_of(&t, "from = ");
    expect_error(
        "key-dept",
        &t,
        l,
        "budget.key[0].from",
        "unknown department `beskæftigelse` (did you mean `beskaeftigelse`?)",
    );
    // A department of another actor is not the municipality's.
    let t = GOOD.replace("to = \"born_familie\"", "to = \"stat\"");
    let l = line_of(&t, "to = \"stat\"");
    expect_error(
        "key-state",
        &t,
        l,
        "budget.key[0].to",
        "belongs to actor `stat`",
    );
}

#[test]
fn key_share_outside_zero_one() {
    let t = GOOD.replace("share = 0.5", "share = 1.5");
    let l = line_of(&t, "share = 1.5");
    expect_error(
        "key-share",
        &t,
        l,
        "budget.key[0].share",
        "between 0 and 1, got 1.5",
    );
}

#[test]
fn key_shares_from_one_department_over_one() {
    let t = format!(
        "{GOOD}\n[[budget.key]]\nfrom = \"beskaeftigelse\"\nto = \"voksen_social\"\nshare = 0.75\n"
    );
    let l = line_of(&t, "share = 0.75");
    expect_error(
        "key-sum",
        &t,
        l,
        "budget.key[1].share",
        "sum to 1.25 (key[0], key[1]); they can be at most 1",
    );
}

#[test]
fn budget_years_outside_the_horizon() {
    let t = GOOD.replace("years = 4", "years = 4\nfirst_year = 2031");
    let l = line_of(&t, "first_year = 2031");
    expect_error(
        "first-year",
        &t,
        l,
        "budget.first_year",
        "outside the projection 2026–2030",
    );
    let t = GOOD.replace("years = 4", "years = 6");
    let l = line_of(&t, "years = 6");
    expect_error(
        "years",
        &t,
        l,
        "budget.years",
        "beyond the projection's last year 2030",
    );
}

#[test]
fn unknown_refusion_rule() {
    let t = GOOD.replace(
        "rule = \"forsorgelsesydelser_2016\"",
        "rule = \"forsorgelsesydelser\"",
    );
    let l = line_of(&t, "rule = ");
    expect_error(
        "rule",
        &t,
        l,
        "budget.refusion[0].rule",
        "unknown refusion rule `forsorgelsesydelser` (did you mean `forsorgelsesydelser_2016`?)",
    );
}

#[test]
fn bad_weeks_and_missing_case_cost() {
    let t = GOOD.replace("weeks = [1, 52]", "weeks = [30, 4]");
    let l = line_of(&t, "weeks = ");
    expect_error(
        "weeks",
        &t,
        l,
        "budget.refusion[0].weeks",
        "1 ≤ first ≤ last",
    );
    let t = GOOD.replace("weeks = [1, 52]", "weeks = [-1, 52]");
    let l = line_of(&t, "weeks = ");
    expect_error(
        "weeks-negative",
        &t,
        l,
        "budget.refusion[0].weeks[0]",
        "invalid value",
    );
    // A threshold rule on an item priced per day needs the annual cost of a case.
    let t = GOOD
        .replace("item = \"plejefamilie\"", "item = \"opholdssted_dogn\"")
        .replace("item = \"kontanthjaelp_med_born\"\nrule = \"forsorgelsesydelser_2016\"\nweeks = [1, 52]", "item = \"opholdssted_dogn\"\nrule = \"sel_176_2020\"");
    // The second line that names the item: the refusion entry's.
    let l = t
        .lines()
        .enumerate()
        .filter(|(_, x)| x.contains("item = \"opholdssted_dogn\""))
        .nth(1)
        .unwrap()
        .0
        + 1;
    expect_error(
        "case-cost",
        &t,
        l,
        "budget.refusion[0].item",
        "give `case_cost`",
    );
}

#[test]
fn refusion_on_a_line_the_scenario_does_not_have() {
    let t = GOOD.replace(
        "item = \"kontanthjaelp_med_born\"\nrule",
        "item = \"uddannelseshjaelp\"\nrule",
    );
    let l = line_of(&t, "item = \"uddannelseshjaelp\"");
    expect_error(
        "refusion-item",
        &t,
        l,
        "budget.refusion[0].item",
        "no line of the scenario is priced from item `uddannelseshjaelp`",
    );
}

#[test]
fn unknown_price_index_and_unknown_field() {
    let t = GOOD.replace("years = 4", "years = 4\nindex = \"kl_pl\"");
    let l = line_of(&t, "index = ");
    expect_error(
        "index",
        &t,
        l,
        "budget.index",
        "unknown price index `kl_pl`",
    );
    let t = GOOD.replace(
        "years = 4",
        "years = 4\ndepartment_index = { beskaeftigelse = \"budget_pl\", skolen = \"budget_pl\" }",
    );
    let l = line_of(&t, "department_index = ");
    expect_error(
        "department-index",
        &t,
        l,
        "budget.department_index.skolen",
        "unknown department `skolen` (did you mean `skole`?)",
    );
    let t = GOOD.replace("years = 4", "years = 4\nmunicipality = \"komune\"");
    let l = line_of(&t, "municipality = ");
    expect_error(
        "municipality",
        &t,
        l,
        "budget.municipality",
        "unknown actor `komune` (did you mean `kommune`?)",
    );
    let t = GOOD.replace("years = 4", "years = 4\nprice = \"current\"");
    let l = line_of(&t, "price = ");
    expect_error(
        "unknown-field",
        &t,
        l,
        "budget.price",
        "unknown field `price`",
    );
}

#[test]
fn bad_refusion_catalogue_names_its_file_and_line() {
    let dir = scratch("budget-errors-catalogue");
    let cat = dir.join("refusion.toml");
    std::fs::write(
        &cat,
        "name = \"local\"\n\n[[rule]]\nid = \"x\"\nkind = \"spell\"\nsource = \"s\"\nstep = [{ from_week = 1, rate = 1.4 }]\n",
    )
    .unwrap();
    let t = GOOD.replace(
        "[[cohort]]",
        "[catalogues]\nrefusion = \"refusion.toml\"\n\n[[cohort]]",
    );
    let file = dir.join("bad.toml");
    std::fs::write(&file, &t).unwrap();
    let o = som(&["validate", file.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("refusion.toml:7:"), "{err}");
    assert!(err.contains("field `rule[0].step[0].rate`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// With uncertain inputs, the budget view carries intervals over the draws: in summary.json,
/// the terminal, report.html, summary.md and the workbook's Budget sheet.
#[test]
fn budget_view_over_the_draws() {
    let dir = scratch("budget-draws");
    let cat = root().join("models/catalogues");
    let scenario = std::fs::read_to_string(root().join(SCENARIO))
        .unwrap()
        .replace("\"catalogues/", &format!("\"{}/", cat.display()));
    // The bundled scenario's assumptions carry ranges (its success rates are betas).
    assert!(scenario.contains("dist = \"beta\""), "the scenario changed");
    let file = dir.join("uncertain.toml");
    std::fs::write(&file, scenario).unwrap();
    let out = dir.join("out");
    let o = som(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--draws",
        "400",
        "--seed",
        "3",
        "--no-charts",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stdout(&o);
    let s = read_json(&out.join("summary.json"));
    let b = &s["budget"];
    let u = &s["uncertainty"]["budget"];
    assert_eq!(u["years"], b["years"]);
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&u["departments"]), ids(&b["departments"]));
    let sum = &u["total"]["sum"];
    let (low, mean, high) = (
        sum["low"].as_f64().unwrap(),
        sum["mean"].as_f64().unwrap(),
        sum["high"].as_f64().unwrap(),
    );
    assert!(low < mean && mean < high, "{sum}");
    // The budget is linear in the success rate but for the keys: the mean of the draws lies
    // near the figure at the base value, the beta's mean.
    let base = b["total"]["sum"]["net_after_keys"].as_f64().unwrap();
    assert!((mean - base).abs() < 0.1 * (high - low), "{mean} vs {base}");
    let p = u["p_net_saving"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    // Terminal: the total net's quantiles and the probability.
    let low_line = said
        .lines()
        .find(|l| l.trim_start().starts_with("net, 5 %"))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(low_line.trim_end().ends_with(&thousands(low)), "{low_line}");
    assert!(said.contains("% of 400 draws"), "{said}");
    // Report and summary.md.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("is a saving (400 draws)"),
        "the probability sentence"
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("Probability that the municipality's net is a saving over"));
    // Workbook: the section with the mean of the total's sum.
    let r = rows(&sheet(&out.join("report.xlsx"), "Budget"));
    let at = r
        .iter()
        .position(|r| text(&r[0]).starts_with("Net after keys over the Monte Carlo draws"))
        .expect("the section over the draws");
    let total_mean = r[at..]
        .iter()
        .find(|r| text(&r[0]).starts_with("Total") && text(&r[1]) == "Mean")
        .expect("the total's mean");
    let ny = u["years"].as_array().unwrap().len();
    assert!(close(num(&total_mean[2 + ny]), mean), "{total_mean:?}");
}

/// `v` as the terminal writes it: thousands separators, no decimals.
fn thousands(v: f64) -> String {
    let r = v.round() as i64;
    let digits = r.abs().to_string();
    let mut o = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    if r < 0 { format!("-{o}") } else { o }
}
