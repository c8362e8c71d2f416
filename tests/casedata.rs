//! Case data end to end: `som check` reads Danish CSV exports, names file, row and column of
//! every problem, refuses CPR numbers unless pseudonymising, and writes aggregates only.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// A valid small data set in the Danish Excel style: `;`, decimal comma, DD-MM-YYYY, Danish
/// headers. Twelve persons, six of them participants; services 2019–2022.
fn persons_csv(ids: &[String]) -> String {
    let mut s = String::from(
        "person_id;kommune;fødselsår;køn;målgruppe;koordineringsniveau;deltager;startdato\n",
    );
    for (i, id) in ids.iter().enumerate() {
        let part = i < 6;
        s += &format!(
            "{id};751;{};{};family;{};{};{}\n",
            1980 + i,
            if i % 2 == 0 { "K" } else { "M" },
            1 + i % 3,
            if part { "ja" } else { "nej" },
            if part { "15-03-2021" } else { "" }
        );
    }
    s
}

fn services_csv(ids: &[String]) -> String {
    let mut s = String::from("person_id;periode;funktion;antal;beløb\n");
    for id in ids {
        for year in 2019..=2022 {
            s += &format!("{id};{year}-03;5.28.22;1;39.166,67\n");
            s += &format!("{id};{year}-06;5.57.73;1;12.326,00\n");
            s += &format!("{id};{year}-09;psykiatri_saerlig_plads_dogn;2;8.330,00\n");
        }
    }
    s
}

fn ids() -> Vec<String> {
    (1..=12).map(|i| format!("B{i:04}")).collect()
}

fn dataset(name: &str, persons: &str, services: &str) -> PathBuf {
    let dir = scratch(&format!("casedata-{name}"));
    std::fs::write(dir.join("persons.csv"), persons).unwrap();
    std::fs::write(dir.join("services.csv"), services).unwrap();
    std::fs::write(
        dir.join("dataset.toml"),
        "name = \"test\"\nperiod = { from = \"2019-01\", to = \"2022-12\" }\npersons = \"persons.csv\"\nservices = \"services.csv\"\n",
    )
    .unwrap();
    dir
}

fn check(dir: &Path, extra: &[&str]) -> std::process::Output {
    let out = dir.join("out");
    let mut args = vec![
        "check",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    som(&args)
}

/// Run `som check` on a broken data set and check the message names file, row and column.
fn expect_problem(name: &str, persons: &str, services: &str, located: &str, words: &str) {
    let dir = dataset(name, persons, services);
    let o = check(&dir, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(
        err.contains(located),
        "{name}: expected `{located}` in\n{err}"
    );
    assert!(err.contains(words), "{name}: expected `{words}` in\n{err}");
    assert!(
        !dir.join("out").exists(),
        "{name}: output written despite errors"
    );
}

#[test]
fn a_danish_csv_export_is_read_and_reported() {
    let dir = dataset("good", &persons_csv(&ids()), &services_csv(&ids()));
    let o = check(&dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("separator \";\""), "{text}");
    assert!(text.contains("decimal comma"), "{text}");
    assert!(
        text.contains("Persons: 12 (6 participants, 6 non-participants)"),
        "{text}"
    );
    let q = read_json(&dir.join("out/quality.json"));
    assert_eq!(q["services"]["rows"], 144);
    let depts: Vec<&str> = q["services"]["by_department"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["department"].as_str().unwrap())
        .collect();
    assert_eq!(depts, ["born_familie", "beskaeftigelse", "sundhed"]);
    // 12 persons × 4 years × 39,166.67 on foster care.
    let born = &q["services"]["by_department"][0];
    assert!((born["amount"].as_f64().unwrap() - 12.0 * 4.0 * 39_166.67).abs() < 1e-6);
    // The group summary: six participants in 2021, each with one foster-care month.
    let by_year = std::fs::read_to_string(dir.join("out/by-year.csv")).unwrap();
    assert!(
        by_year.contains("participants,born_familie,2021,6,6,235000.02"),
        "{by_year}"
    );
}

#[test]
fn windows_1252_files_are_decoded() {
    let persons: Vec<u8> = persons_csv(&ids())
        .chars()
        .map(|c| match c {
            'ø' => 0xF8,
            'å' => 0xE5,
            c => c as u8,
        })
        .collect();
    let dir = scratch("casedata-cp1252");
    std::fs::write(dir.join("persons.csv"), persons).unwrap();
    std::fs::write(dir.join("services.csv"), services_csv(&ids())).unwrap();
    let o = som(&["check", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("windows-1252"), "{}", stdout(&o));
}

#[test]
fn missing_column_suggests_the_closest_header() {
    let services = services_csv(&ids()).replacen("beløb", "amont", 1);
    expect_problem(
        "missing-column",
        &persons_csv(&ids()),
        &services,
        "services.csv row 0, column `amount`",
        "did you mean `amont`",
    );
}

#[test]
fn wrong_type() {
    let services = services_csv(&ids()).replacen(";1;39.166,67", ";tre;39.166,67", 1);
    expect_problem(
        "wrong-type",
        &persons_csv(&ids()),
        &services,
        "services.csv row 1, column `units`",
        "expected a number, found \"tre\"",
    );
}

#[test]
fn unparseable_date() {
    let persons = persons_csv(&ids()).replacen("15-03-2021", "31-02-2021", 1);
    expect_problem(
        "date",
        &persons,
        &services_csv(&ids()),
        "persons.csv row 1, column `start_date`",
        "expected a date",
    );
}

#[test]
fn negative_amount_unless_refund() {
    let services = services_csv(&ids()).replacen(";12.326,00", ";-12.326,00", 1);
    expect_problem(
        "negative",
        &persons_csv(&ids()),
        &services,
        "services.csv row 2, column `amount`",
        "is negative",
    );
    // Marked as a refund, the same row is fine.
    let services = services_csv(&ids())
        .replacen("beløb\n", "beløb;refusion\n", 1)
        .replace(";39.166,67\n", ";39.166,67;nej\n")
        .replace(";12.326,00\n", ";-12.326,00;ja\n")
        .replace(";8.330,00\n", ";8.330,00;nej\n");
    let dir = dataset("refund", &persons_csv(&ids()), &services);
    let o = check(&dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn period_outside_the_declared_range() {
    let services = services_csv(&ids()).replacen("2019-03", "2018-03", 1);
    expect_problem(
        "period",
        &persons_csv(&ids()),
        &services,
        "services.csv row 1, column `period`",
        "outside the declared period 2019-01–2022-12",
    );
}

#[test]
fn service_for_an_unknown_person() {
    let services = services_csv(&ids()) + "X9999;2020-01;5.28.22;1;100,00\n";
    expect_problem(
        "unknown-person",
        &persons_csv(&ids()),
        &services,
        "services.csv row 145, column `person_id`",
        "\"X9999\" is not in persons",
    );
}

#[test]
fn duplicate_person_ids() {
    let mut list = ids();
    list[7] = list[2].clone();
    expect_problem(
        "duplicate",
        &persons_csv(&list),
        &services_csv(&ids()[..2]),
        "persons.csv row 8, column `person_id`",
        "\"B0003\" also on row 3",
    );
}

#[test]
fn unknown_service_code() {
    let services = services_csv(&ids()).replacen("5.57.73", "9.99.99", 1);
    expect_problem(
        "code",
        &persons_csv(&ids()),
        &services,
        "services.csv row 2, column `code`",
        "unknown code \"9.99.99\"",
    );
}

#[test]
fn problems_are_collected_not_only_the_first() {
    let services = services_csv(&ids())
        .replacen("5.57.73", "9.99.99", 1)
        .replacen(";tre", ";x", 1)
        .replacen("2019-03", "2018-03", 1);
    let dir = dataset("several", &persons_csv(&ids()), &services);
    let o = check(&dir, &[]);
    let err = stderr(&o);
    assert!(
        err.contains("column `code`") && err.contains("column `period`"),
        "{err}"
    );
}

fn cpr_ids() -> Vec<String> {
    (1..=12)
        .map(|i| format!("{:02}0385-{:04}", i, 1000 + i))
        .collect()
}

#[test]
fn cpr_numbers_are_refused_and_never_echoed() {
    let dir = dataset("cpr", &persons_csv(&cpr_ids()), &services_csv(&cpr_ids()));
    let o = check(&dir, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("persons.csv row 1, column `person_id`: looks like a CPR number"),
        "{err}"
    );
    assert!(err.contains("12 ids in all look like CPR numbers"), "{err}");
    for id in cpr_ids() {
        assert!(
            !err.contains(&id) && !err.contains(&id.replace('-', "")),
            "{err}"
        );
    }
}

const KEY: &str = "a secret key of the municipality";

fn som_with_key(args: &[&str], key: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(args)
        .env("SOM_PSEUDONYM_KEY", key)
        .current_dir(root())
        .output()
        .unwrap()
}

fn all_output_text(dir: &Path) -> String {
    let mut s = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        s += &String::from_utf8_lossy(&std::fs::read(&p).unwrap());
    }
    s
}

#[test]
fn pseudonymize_accepts_cpr_numbers_and_never_writes_the_key() {
    let dir = dataset(
        "cpr-pseudo",
        &persons_csv(&cpr_ids()),
        &services_csv(&cpr_ids()),
    );
    let out = dir.join("out");
    let o = som_with_key(
        &[
            "check",
            dir.to_str().unwrap(),
            "--pseudonymize",
            "--out",
            out.to_str().unwrap(),
        ],
        KEY,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let written = all_output_text(&out) + &stdout(&o);
    assert!(!written.contains(KEY));
    for id in cpr_ids() {
        assert!(!written.contains(&id) && !written.contains(&id.replace('-', "")));
    }
    // Without a key, --pseudonymize is refused.
    let o = som_with_key(&["check", dir.to_str().unwrap(), "--pseudonymize"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("SOM_PSEUDONYM_KEY"));
}

#[test]
fn pseudonyms_are_stable_under_a_key_and_differ_between_keys() {
    let dir = dataset(
        "pseudo",
        &persons_csv(&cpr_ids()),
        &services_csv(&cpr_ids()),
    );
    let run = |key: &str, name: &str| {
        let out = dir.join(name);
        let o = som_with_key(
            &[
                "pseudonymize",
                dir.join("persons.csv").to_str().unwrap(),
                dir.join("services.csv").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            key,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    let a = run(KEY, "a");
    let b = run(KEY, "b");
    let c = run("another key, also long enough", "c");
    let read = |d: &Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    assert_eq!(read(&a, "persons.csv"), read(&b, "persons.csv"));
    assert_eq!(read(&a, "services.csv"), read(&b, "services.csv"));
    assert_ne!(read(&a, "persons.csv"), read(&c, "persons.csv"));
    for d in [&a, &c] {
        let text = all_output_text(d);
        assert!(!text.contains(KEY));
        for id in cpr_ids() {
            assert!(!text.contains(&id) && !text.contains(&id.replace('-', "")));
        }
    }
    // The pseudonymised tables join: som check reads them without a key.
    std::fs::write(
        a.join("dataset.toml"),
        "name = \"p\"\npersons = \"persons.csv\"\nservices = \"services.csv\"\n",
    )
    .unwrap();
    let o = som(&["check", a.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn the_disclosure_threshold_can_only_be_raised() {
    let dir = dataset("threshold", &persons_csv(&ids()), &services_csv(&ids()));
    let o = check(&dir, &["--disclosure-threshold", "3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("never set below 5"), "{}", stderr(&o));
    // Raised to 7, the groups of six are suppressed.
    let o = check(&dir, &["--disclosure-threshold", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let by_year = std::fs::read_to_string(dir.join("out/by-year.csv")).unwrap();
    for line in by_year.lines().skip(1) {
        assert!(line.ends_with("true"), "not suppressed: {line}");
    }
}

#[test]
fn an_excel_workbook_with_a_sheet_per_table_is_read() {
    // tests/fixtures/cases.xlsx: sheets `persons` and `services`, Danish headers, real Excel
    // dates and numbers (made with openpyxl).
    let o = som(&["check", "tests/fixtures/cases.xlsx"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("xlsx, sheet \"persons\""), "{text}");
    assert!(
        text.contains("Persons: 12 (6 participants, 6 non-participants)"),
        "{text}"
    );
    assert!(
        text.contains("Services: 36 rows, 2020-05 to 2022-05"),
        "{text}"
    );
    assert!(text.contains("voksen_social"), "{text}");
}

#[test]
fn states_are_checked_like_services() {
    let dir = dataset("states", &persons_csv(&ids()), &services_csv(&ids()));
    let mut states = String::from("person_id;periode;tilstand\n");
    for id in ids() {
        states += &format!("{id};2021-01;job\n{id};2021-02;benefits\n");
    }
    std::fs::write(dir.join("states.csv"), &states).unwrap();
    std::fs::write(
        dir.join("dataset.toml"),
        "name = \"test\"\nperiod = { from = \"2019-01\", to = \"2022-12\" }\npersons = \"persons.csv\"\nservices = \"services.csv\"\nstates = \"states.csv\"\n",
    )
    .unwrap();
    let o = check(&dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("States: 24 rows; persons ever in: job 12, benefits 12"),
        "{}",
        stdout(&o)
    );
    // A second state for the same month, and a state for a person not in persons.
    states += "B0001;2021-01;education\nZ0001;2021-01;job\n";
    std::fs::write(dir.join("states.csv"), &states).unwrap();
    let o = check(&dir, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("states.csv row 25, column `period`: a second state"),
        "{err}"
    );
    assert!(
        err.contains("states.csv row 26, column `person_id`: \"Z0001\" is not in persons"),
        "{err}"
    );
}
