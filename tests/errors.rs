//! Bad scenarios get an error that names the file, the line and the field, exit non-zero,
//! write nothing and never panic.

mod common;
use common::*;

const GOOD: &str = r#"name = "bad input test"
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
"#;

/// Write `text` as a scenario, run `som run` on it, and check the diagnostic.
fn expect_error(case: &str, text: &str, line: usize, field: &str, words: &str) {
    let dir = scratch(&format!("errors-{case}"));
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
        err.contains(&format!("`{field}`")),
        "{case}: expected field {field} in\n{err}"
    );
    assert!(err.contains(words), "{case}: expected '{words}' in\n{err}");
    assert!(!out.exists(), "{case}: output written despite the error");
    // `som validate` reports the same.
    let v = som(&["validate", file.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(1), "{case}");
    assert!(stderr(&v).contains(&located), "{case}");
}

#[test]
fn good_scenario_runs() {
    let dir = scratch("errors-good");
    let file = dir.join("good.toml");
    std::fs::write(&file, GOOD).unwrap();
    let o = som(&["validate", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn unknown_field() {
    let text = GOOD.replace("horizon = 5", "horizon = 5\nhorizn = 6");
    expect_error("unknown-field", &text, 5, "horizn", "unknown field");
}

#[test]
fn wrong_type() {
    let text = GOOD.replace("participants = 20", "participants = \"twenty\"");
    expect_error(
        "wrong-type",
        &text,
        8,
        "cohort[0].participants",
        "expected a number",
    );
}

#[test]
fn negative_participants() {
    let text = GOOD.replace("participants = 20", "participants = -3");
    expect_error(
        "negative",
        &text,
        8,
        "cohort[0].participants",
        "must be 0 or more",
    );
}

#[test]
fn success_rate_above_one() {
    let text = GOOD.replace("net = 0.2", "net = 1.2");
    expect_error("rate", &text, 19, "success.net", "between 0 and 1");
}

#[test]
fn unknown_item_suggests_the_closest() {
    let text = GOOD.replace("\"plejefamilie\"", "\"plejefamilei\"");
    expect_error(
        "item",
        &text,
        23,
        "consequence[0].item",
        "did you mean `plejefamilie`",
    );
}

#[test]
fn unknown_department() {
    let text = GOOD.replace("department = \"born_familie\"", "department = \"born\"");
    expect_error(
        "department",
        &text,
        12,
        "intervention.department",
        "unknown department `born`",
    );
}

#[test]
fn horizon_zero() {
    let text = GOOD.replace("horizon = 5", "horizon = 0");
    expect_error("horizon", &text, 4, "horizon", "between 1 and");
}

#[test]
fn missing_price_for_a_year() {
    // The bundled price index stops at 2025: a 2030 price year cannot be reached.
    let text = GOOD.replace("price_year = 2025", "price_year = 2030");
    expect_error(
        "price-year",
        &text,
        23,
        "consequence[0].item",
        "missing price for a year",
    );
    // The bundled index cannot be edited: the message says how to supply one's own.
    expect_error(
        "price-year-own-index",
        &text,
        23,
        "consequence[0].item",
        "is part of som and cannot be edited: copy it, add it there and name the copy in the \
         scenario, `[catalogues] price_index = \"my-price-index-dk.toml\"`",
    );
}

#[test]
fn cohort_outside_the_projection() {
    let text = GOOD.replace("start = 2026", "start = 2040");
    expect_error(
        "cohort",
        &text,
        7,
        "cohort[0].start",
        "outside the projection",
    );
}

#[test]
fn several_problems_are_all_reported() {
    let text = GOOD
        .replace("participants = 20", "participants = -3")
        .replace("net = 0.2", "net = 1.2");
    let dir = scratch("errors-several");
    let file = dir.join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let o = som(&["validate", file.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(
        err.contains("cohort[0].participants") && err.contains("success.net"),
        "{err}"
    );
    assert!(err.contains("2 problems found"), "{err}");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let o = som(&["run", "no/such/scenario.toml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("no/such/scenario.toml") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn a_foreign_output_directory_is_not_replaced() {
    let dir = scratch("errors-foreign-out");
    let file = dir.join("good.toml");
    std::fs::write(&file, GOOD).unwrap();
    let out = dir.join("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = som(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a som output directory"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}
