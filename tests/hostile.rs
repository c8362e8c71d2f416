//! Hostile and malformed input, one test per class of failure a corpus of such inputs found,
//! and one per example: each gets a clear error that names the file, the row or line and the
//! field (or the command-line option) — never a panic, a hang, an unbounded allocation or a
//! personal value echoed — and writes nothing.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const GOOD: &str = r#"name = "hostile input test"
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

/// Run `som` with a time bound; a run that does not end within it is killed and fails the test.
fn som_within(args: &[&str], seconds: u64) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(seconds) {
            let _ = child.kill();
            panic!("som {args:?} did not end within {seconds} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The run failed with exit code 1, no panic, and stderr holds every one of `words`.
fn failed(o: &std::process::Output, words: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in words {
        assert!(err.contains(w), "expected `{w}` in\n{err}");
    }
    err
}

/// A clap error: exit code 2, the option named, the message given.
fn refused_option(o: &std::process::Output, option: &str, words: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(option), "expected `{option}` in\n{err}");
    assert!(err.contains(words), "expected `{words}` in\n{err}");
    assert!(!err.contains("unexpected argument"), "{err}");
}

fn scenario(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("s.toml");
    std::fs::write(&p, text).unwrap();
    p
}

// ---------------------------------------------------------------- 1. numbers

#[test]
fn class_1_huge_and_non_finite_numbers_are_refused_where_they_are_read() {
    let dir = scratch("hostile-numbers");
    for (case, from, to, field) in [
        (
            "amount",
            "amount = 40000",
            "amount = 1e308",
            "intervention.cost[0].amount",
        ),
        (
            "participants",
            "participants = 20",
            "participants = 1e308",
            "cohort[0].participants",
        ),
        (
            "units",
            "units = -0.1",
            "units = -1e16",
            "consequence[0].units",
        ),
        ("nan", "net = 0.2", "net = nan", "success.net"),
    ] {
        let p = scenario(&dir, &GOOD.replace(from, to));
        let out = dir.join(format!("out-{case}"));
        let o = som_within(
            &["run", p.to_str().unwrap(), "--out", out.to_str().unwrap()],
            60,
        );
        let err = failed(&o, &["s.toml:", &format!("`{field}`")]);
        assert!(
            err.contains("10^15") || err.contains("finite"),
            "{case}: {err}"
        );
        assert!(!out.exists());
        // `som validate` says the same.
        let v = som_within(&["validate", p.to_str().unwrap()], 60);
        failed(&v, &[&format!("`{field}`")]);
    }
}

#[test]
fn class_1_a_distribution_whose_draws_would_overflow_is_refused() {
    let dir = scratch("hostile-dist");
    let text = GOOD.replace(
        "amount = 40000",
        "amount = { value = 40000, dist = \"lognormal\", mean = 40000, sd = 1e300 }",
    );
    let p = scenario(&dir, &text);
    let o = som_within(&["validate", p.to_str().unwrap()], 60);
    let err = failed(&o, &["`intervention.cost[0].amount`"]);
    assert!(err.contains("10^15") || err.contains("finite"), "{err}");
}

#[test]
fn class_1_catalogue_price_nan_and_index_rate_minus_one_are_refused() {
    let dir = scratch("hostile-catalogues");
    let prices = std::fs::read_to_string(root().join("models/catalogues/prices-dk.toml")).unwrap();
    // The first price of the catalogue, made NaN.
    let at = prices.find("price = {").unwrap();
    let end = prices[at..].find('}').unwrap() + at;
    let bad_prices = format!(
        "{}price = {{ kommune = nan {}",
        &prices[..at],
        &prices[end..]
    );
    std::fs::write(dir.join("prices.toml"), bad_prices).unwrap();
    let index =
        std::fs::read_to_string(root().join("models/catalogues/price-index-dk.toml")).unwrap();
    let at = index.find("rate = 0.").unwrap();
    let bad_index = format!(
        "{}rate = -1{}",
        &index[..at],
        &index[at + "rate = 0.0xx".len()..]
    );
    std::fs::write(dir.join("index.toml"), bad_index).unwrap();
    let text = GOOD.replace(
        "[[cohort]]",
        "[catalogues]\nprices = \"prices.toml\"\nprice_index = \"index.toml\"\n\n[[cohort]]",
    );
    let p = scenario(&dir, &text);
    let o = som_within(&["validate", p.to_str().unwrap()], 60);
    let err = failed(
        &o,
        &[
            "prices.toml:",
            "price.kommune`",
            "finite",
            "index.toml:",
            "yearly rate above −0.5",
        ],
    );
    assert!(err.contains("rate["), "{err}");
}

#[test]
fn class_1_reference_population_must_be_a_positive_finite_number() {
    for (value, words) in [("NaN", "finite"), ("-5", "above 0"), ("inf", "finite")] {
        let o = som_within(
            &[
                "municipalities",
                "models/families-one-plan.toml",
                &format!("--reference-population={value}"),
                "--out",
                scratch("hostile-refpop").join("out").to_str().unwrap(),
            ],
            60,
        );
        refused_option(&o, "--reference-population", words);
        assert!(!stderr(&o).contains("cohort[0]"));
    }
}

// ---------------------------------------------------------------- 2. paths

#[test]
fn class_2_paths_that_are_not_regular_files_are_refused_at_once() {
    let dir = scratch("hostile-paths");
    // A device as the scenario, and as a catalogue.
    let o = som_within(&["validate", "/dev/urandom"], 20);
    failed(&o, &["/dev/urandom", "is a device"]);
    let text = GOOD.replace(
        "[[cohort]]",
        "[catalogues]\nprices = \"/dev/zero\"\n\n[[cohort]]",
    );
    let p = scenario(&dir, &text);
    let o = som_within(&["validate", p.to_str().unwrap()], 20);
    failed(&o, &["/dev/zero", "is a device; expected a text input"]);
    // A named pipe nobody writes to: refused, not waited on.
    let fifo = dir.join("pipe.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let o = som_within(&["validate", fifo.to_str().unwrap()], 20);
        failed(&o, &["pipe.toml", "is a named pipe"]);
    }
    // A directory.
    let o = som_within(&["validate", dir.to_str().unwrap()], 20);
    failed(&o, &["is a directory"]);
}

#[test]
fn class_2_a_loop_of_symbolic_links_is_said_as_such() {
    let dir = scratch("hostile-symlinks");
    let (a, b) = (dir.join("a.toml"), dir.join("b.toml"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let o = som_within(&["validate", a.to_str().unwrap()], 20);
    let err = failed(&o, &["a.toml", "symbolic links form a loop"]);
    assert!(!err.contains("No such file"), "{err}");
}

// ---------------------------------------------------------------- 3. work

#[test]
fn class_3_draws_are_bounded_up_front_with_the_memory_they_would_need() {
    let o = som_within(
        &[
            "run",
            "models/youth-mental-health.toml",
            "--draws",
            "1000000000000",
        ],
        20,
    );
    refused_option(&o, "--draws", "from 0 to 10,000,000");
    let o = som_within(
        &["run", "models/youth-mental-health.toml", "--draws", "-1"],
        20,
    );
    refused_option(&o, "--draws", "from 0 to 10,000,000");
    // Within the count, but more than the memory a run may keep.
    let out = scratch("hostile-draws").join("out");
    let o = som_within(
        &[
            "run",
            "models/youth-mental-health.toml",
            "--draws",
            "10000000",
            "--out",
            out.to_str().unwrap(),
        ],
        60,
    );
    failed(&o, &["`--draws`", "GiB", "at most", "draws fit"]);
    assert!(!out.exists());
}

// ---------------------------------------------------------------- 4. Excel

#[test]
fn class_4_excel_bombs_are_refused_before_they_are_unpacked() {
    let dir = scratch("hostile-excel");
    let headers: Vec<String> = ["person_id", "municipality", "birth_year", "sex", "segment"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // A shared-string table that announces far more strings than it holds (the reader would
    // reserve room for all of them).
    let book = dir.join("announce.xlsx");
    common::xlsx(
        &book,
        "persons",
        std::slice::from_ref(&headers),
        Some(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="999999999999" uniqueCount="999999999999"><si><t>a</t></si></sst>"#,
        ),
    );
    let o = som_within(&["check", book.to_str().unwrap()], 30);
    failed(&o, &["announce.xlsx", "announces more strings"]);
    // A part that unpacks beyond the cap (300 MiB of one repeated character, a 0.3 MB file).
    let book = dir.join("bomb.xlsx");
    let big = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{}</t></si></sst>"#,
        "A".repeat(300 << 20)
    );
    common::xlsx(&book, "persons", std::slice::from_ref(&headers), Some(&big));
    drop(big);
    assert!(std::fs::metadata(&book).unwrap().len() < 2 << 20);
    let o = som_within(&["check", book.to_str().unwrap()], 30);
    failed(&o, &["bomb.xlsx", "sharedStrings.xml", "unpacks to"]);
    // A cell longer than Excel allows, in a persons table given as a workbook.
    let long = dir.join("long");
    std::fs::create_dir_all(&long).unwrap();
    let mut row = vec!["x".to_string(); 5];
    row[4] = "B".repeat(40_000);
    common::xlsx(
        &long.join("persons.xlsx"),
        "persons",
        &[headers.clone(), row],
        None,
    );
    std::fs::write(long.join("services.csv"), services_csv()).unwrap();
    let o = som_within(&["check", long.to_str().unwrap()], 30);
    failed(&o, &["persons.xlsx", "row 1", "32767 characters"]);
    // The old binary format is named, not guessed at.
    std::fs::write(long.join("persons.xlsx"), b"").unwrap();
    std::fs::remove_file(long.join("persons.xlsx")).unwrap();
    std::fs::write(long.join("persons.xls"), b"not really").unwrap();
    let o = som_within(&["check", long.to_str().unwrap()], 30);
    failed(&o, &["persons.xls", "save this one as .xlsx"]);
}

// ---------------------------------------------------------------- 5. personal data

const CPR_A: &str = "010180-1234";
const CPR_B: &str = "1502851234";

fn persons_csv(segment_of: impl Fn(usize) -> String) -> String {
    let mut s = String::from(
        "person_id,municipality,birth_year,sex,segment,coordination_level,participant,start_date\n",
    );
    for i in 0..12 {
        let part = i < 6;
        s += &format!(
            "P{i:03},751,{},F,{},1,{},{}\n",
            1980 + i,
            segment_of(i),
            if part { "1" } else { "0" },
            if part { "2021-03-15" } else { "" }
        );
    }
    s
}

fn services_csv() -> String {
    let mut s = String::from("person_id,period,function,units,amount\n");
    for i in 0..12 {
        for year in 2019..=2022 {
            s += &format!("P{i:03},{year}-03,5.28.22,1,39166.67\n");
        }
    }
    s
}

fn cases(name: &str, persons: &str, services: &str) -> PathBuf {
    let dir = scratch(&format!("hostile-{name}"));
    std::fs::write(dir.join("persons.csv"), persons).unwrap();
    std::fs::write(dir.join("services.csv"), services).unwrap();
    dir
}

#[test]
fn class_5_a_csv_parse_error_quotes_no_row() {
    // An unclosed quote: the parser's own message would echo the rest of the file.
    let mut persons = persons_csv(|_| "family".into());
    persons = persons.replacen("P003,751", "\"P003,751", 1);
    persons += &format!("{CPR_A},751,1980,F,family,1,0,\n{CPR_B},751,1980,F,family,1,0,\n");
    let dir = cases("csv-quote", &persons, &services_csv());
    let o = som_within(&["check", dir.to_str().unwrap()], 30);
    let err = failed(&o, &["persons.csv", "row 4", "never closed"]);
    assert!(!err.contains(CPR_A) && !err.contains(CPR_B), "{err}");
    assert!(!err.contains("P004"), "{err}");
}

#[test]
fn class_5_cpr_numbers_in_a_category_are_refused_and_rare_labels_are_not_shown() {
    // A CPR number typed into `segment`: an error at its row, the value not shown.
    let persons = persons_csv(|i| {
        if i == 3 {
            CPR_A.into()
        } else {
            "family".into()
        }
    });
    let dir = cases("cpr-segment", &persons, &services_csv());
    let o = som_within(&["check", dir.to_str().unwrap()], 30);
    let err = failed(
        &o,
        &["persons.csv row 4, column `segment`", "like a CPR number"],
    );
    assert!(!err.contains(CPR_A) && !err.contains("0101801234"), "{err}");
    // A label held by one person: counted in the other categories, never named.
    let persons = persons_csv(|i| {
        if i == 3 {
            "Jensen family".into()
        } else {
            "family".into()
        }
    });
    let dir = cases("rare-segment", &persons, &services_csv());
    let out = dir.join("out");
    let o = som_within(
        &[
            "check",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        30,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = stdout(&o);
    let quality = std::fs::read_to_string(out.join("quality.json")).unwrap();
    for text in [&printed, &quality] {
        assert!(!text.contains("Jensen"), "{text}");
    }
    assert!(quality.contains("other categories"), "{quality}");
}

#[test]
fn class_5_no_message_quotes_a_cpr_like_value() {
    // A CPR number in a date column and in an amount column.
    let persons = persons_csv(|_| "family".into()).replace("2021-03-15", CPR_A);
    let services = services_csv().replacen("39166.67", CPR_A, 1);
    let dir = cases("cpr-values", &persons, &services);
    let o = som_within(&["check", dir.to_str().unwrap()], 30);
    let err = failed(&o, &["start_date", "CPR"]);
    assert!(!err.contains(CPR_A) && !err.contains("0101801234"), "{err}");
}

// ---------------------------------------------------------------- 6. ordinary files

#[test]
fn class_6_parquet_dates_and_timestamps_are_read_and_their_range_checked() {
    use polars::prelude::*;
    use polars_io::parquet::write::ParquetWriter;
    let dir = scratch("hostile-date32");
    let n = 12;
    let days = |y: i32| (y - 1970) * 365 + (y - 1969) / 4;
    let start: Vec<Option<i32>> = (0..n).map(|i| (i < 6).then(|| days(2021) + 73)).collect();
    let mut persons = df!(
        "person_id" => (0..n).map(|i| format!("P{i:03}")).collect::<Vec<_>>(),
        "municipality" => vec![751i64; n],
        "birth_year" => (0..n).map(|i| 1980 + i as i64).collect::<Vec<_>>(),
        "sex" => vec!["F"; n],
        "segment" => vec!["family"; n],
        "participant" => (0..n).map(|i| i < 6).collect::<Vec<_>>(),
        "start_date" => start,
    )
    .unwrap();
    persons
        .apply("start_date", |c| c.cast(&DataType::Date).unwrap())
        .unwrap();
    let periods: Vec<i64> = (0..n)
        .flat_map(|_| (2019..=2022).map(|y| (days(y) as i64 + 60) * 86_400_000))
        .collect();
    let mut services = df!(
        "person_id" => (0..n).flat_map(|i| vec![format!("P{i:03}"); 4]).collect::<Vec<_>>(),
        "period" => periods,
        "function" => vec!["5.28.22"; n * 4],
        "units" => vec![1.0; n * 4],
        "amount" => vec![39166.67; n * 4],
    )
    .unwrap();
    services
        .apply("period", |c| {
            c.cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .unwrap()
        })
        .unwrap();
    let write = |name: &str, df: &mut DataFrame| {
        let f = std::fs::File::create(dir.join(name)).unwrap();
        ParquetWriter::new(f).finish(df).unwrap();
    };
    write("persons.parquet", &mut persons);
    write("services.parquet", &mut services);
    let o = som_within(&["check", dir.to_str().unwrap(), "--json"], 60);
    assert!(o.status.success(), "{}", stderr(&o));
    // A date far outside any period is a located error, not a panic.
    let mut far = persons.clone();
    far.apply("start_date", |_| {
        let v: Vec<Option<i32>> = (0..n).map(|i| (i < 6).then_some(2_000_000)).collect();
        Column::new("start_date".into(), v)
            .cast(&DataType::Date)
            .unwrap()
    })
    .unwrap();
    write("persons.parquet", &mut far);
    let o = som_within(&["check", dir.to_str().unwrap()], 60);
    failed(&o, &["persons.parquet row 1, column `start_date`"]);
    // An amount of +inf in a typed column.
    let mut inf = services.clone();
    inf.apply("amount", |_| {
        let mut v = vec![39166.67; n * 4];
        v[5] = f64::INFINITY;
        Column::new("amount".into(), v)
    })
    .unwrap();
    write("persons.parquet", &mut persons);
    write("services.parquet", &mut inf);
    let o = som_within(&["check", dir.to_str().unwrap()], 60);
    failed(&o, &["services.parquet row 6, column `amount`", "inf"]);
}

#[test]
fn class_6_utf16_csv_is_decoded() {
    let persons = persons_csv(|_| "family".into());
    let mut utf16 = vec![0xFF, 0xFE];
    for u in persons.replace(',', "\t").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let dir = cases("utf16", "", &services_csv());
    std::fs::write(dir.join("persons.csv"), utf16).unwrap();
    let o = som_within(&["check", dir.to_str().unwrap(), "--json"], 30);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("utf-16le"), "{}", stdout(&o));
}

// ---------------------------------------------------------------- 7. messages

#[test]
fn class_7_ragged_rows_are_named_by_row_and_counts_in_our_words() {
    let persons = persons_csv(|_| "family".into()).replacen("P004,751", "P004,751,extra", 1);
    let dir = cases("ragged", &persons, &services_csv());
    let o = som_within(&["check", dir.to_str().unwrap()], 30);
    let err = failed(
        &o,
        &["persons.csv", "row 5", "expected 8 fields", "found 9"],
    );
    for polars_advice in ["truncate_ragged_lines", "infer_schema_length"] {
        assert!(!err.contains(polars_advice), "{err}");
    }
}

#[test]
fn class_7_command_line_errors_name_the_option_never_an_empty_file() {
    let dir = cases("cli", &persons_csv(|_| "family".into()), &services_csv());
    let o = som_within(
        &[
            "check",
            dir.to_str().unwrap(),
            "--disclosure-threshold",
            "2",
        ],
        30,
    );
    let err = failed(&o, &["command line", "--disclosure-threshold"]);
    assert!(!err.contains("error: : "), "{err}");
    let o = som_within(
        &[
            "pseudonymize",
            dir.join("persons.csv").to_str().unwrap(),
            "--out",
            dir.join("p").to_str().unwrap(),
            "--key-file",
            "/dev/null",
        ],
        30,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("error: : "), "{}", stderr(&o));
    // som estimate with a study that names no case data.
    let study = std::fs::read_to_string(root().join("models/studies/synthetic-all-segments.toml"))
        .unwrap()
        .replace("cases = \"../../datasets/synthetic-small\"\n", "");
    let s = dir.join("study.toml");
    std::fs::write(&s, study).unwrap();
    let o = som_within(&["estimate", s.to_str().unwrap()], 30);
    let err = failed(&o, &["study.toml", "field `cases`", "on the command line"]);
    assert!(!err.contains("error: : "), "{err}");
}

#[test]
fn class_7_a_scenario_named_dots_writes_to_results_run_and_leaves_nothing_on_failure() {
    let dir = scratch("hostile-dots");
    std::fs::write(dir.join("...toml"), GOOD.replace("net = 0.2", "net = 2")).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(["run", "...toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    failed(&o, &["...toml", "success.net"]);
    assert!(
        !dir.join("results").exists(),
        "an empty folder was left behind"
    );
    std::fs::write(dir.join("...toml"), GOOD).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(["run", "...toml", "--draws", "0", "--no-charts"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.join("results/run/summary.json").exists());
}

// ---------------------------------------------------------------- 8. silence

#[test]
fn class_8_empty_lists_and_odd_ids_get_a_word() {
    let dir = scratch("hostile-silence");
    // profile = [] would make the effect 0 in every year.
    let p = scenario(&dir, &format!("{GOOD}\n[persistence]\nprofile = []\n"));
    let o = som_within(&["validate", p.to_str().unwrap()], 30);
    failed(&o, &["`persistence.profile`", "is empty"]);
    // A state name with a space, against the documentation.
    let states = std::fs::read_to_string(root().join("models/children-out-of-home-care.toml"))
        .unwrap()
        .replacen("\"foster\"", "\"foster care\"", 1)
        .replace("\"../", &format!("\"{}/", root().display()));
    let p = dir.join("states.toml");
    std::fs::write(&p, states).unwrap();
    let o = som_within(&["validate", p.to_str().unwrap()], 30);
    failed(&o, &["`states.names[1]`", "cannot be a state name"]);
    // A municipality code with a leading zero is not read as another number silently.
    let persons = persons_csv(|_| "family".into()).replace(",751,", ",0751,");
    let d = cases("leading-zero", &persons, &services_csv());
    let o = som_within(&["check", d.to_str().unwrap()], 30);
    failed(
        &o,
        &[
            "column `municipality`",
            "\"0751\"",
            "without the leading zero (751)",
        ],
    );
    // covariates = [] would match on nothing.
    let study = std::fs::read_to_string(root().join("models/studies/synthetic-all-segments.toml"))
        .unwrap()
        .replace(
            "covariates = [\"pre_costs\", \"age\", \"sex\", \"coordination_level\", \"segment\"]",
            "covariates = []",
        )
        .replace(
            "../../datasets/synthetic-small",
            root().join("datasets/synthetic-small").to_str().unwrap(),
        );
    assert!(study.contains("covariates = []"));
    let s = dir.join("study.toml");
    std::fs::write(&s, study).unwrap();
    let o = som_within(
        &["estimate", s.to_str().unwrap(), "--replicates", "100"],
        60,
    );
    failed(&o, &["`matching.covariates`", "is empty"]);
}

#[test]
fn class_8_summary_md_escapes_html_from_a_scenario() {
    let dir = scratch("hostile-html");
    let p = scenario(
        &dir,
        &GOOD.replace(
            "name = \"hostile input test\"",
            "name = \"<img src=x onerror=alert(1)> & co\"",
        ),
    );
    let out = dir.join("out");
    let o = som_within(
        &[
            "run",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-charts",
            "--no-workbook",
        ],
        60,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(!md.contains("<img"), "{md}");
    assert!(
        md.contains("&lt;img src=x onerror=alert(1)&gt; &amp; co"),
        "{md}"
    );
}
