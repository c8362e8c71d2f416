//! The fuzz harnesses of som's readers: each takes any bytes, feeds them to one reader the way
//! a user's file reaches it, and must return — an error is the expected answer to nonsense, a
//! panic, a hang or an unbounded allocation is a finding. The same functions are driven by
//! `tests/fuzz.rs` (a bounded run of every target in the test command, with structure-aware
//! mutations of the bundled files, and every saved finding replayed) and by the
//! coverage-guided long runs under `fuzz/` (libFuzzer, `docs/fuzzing.md`).
//!
//! Targets, by the reader they reach:
//! - [`scenario`]: scenario TOML → parse → compile against the bundled catalogues → a
//!   deterministic run, every figure checked finite;
//! - [`catalogue`]: the five catalogues (the first byte picks which) → parse and validate;
//! - [`study`]: a study file (`som-study/1`) → parse and check;
//! - [`estimates`]: `estimates.json` and, after a `\0`, `bootstrap.parquet` → the hand-off;
//! - [`csv`], [`parquet`], [`xlsx`]: a case-data table (the first byte picks persons or
//!   services, the other table a small valid one) → read, validated, ingested with monthly
//!   amounts, as `som check` and `som estimate` do.

use som_core::catalogue::Catalogues;
use som_core::source::Source;
use std::path::PathBuf;

/// A harness: any bytes in, nothing out.
pub type Harness = fn(&[u8]);

/// The fuzz targets, by name.
pub const TARGETS: &[(&str, Harness)] = &[
    ("scenario", scenario),
    ("catalogue", catalogue),
    ("study", study),
    ("estimates", estimates),
    ("csv", csv),
    ("parquet", parquet),
    ("xlsx", xlsx),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Scenario text through compile and a deterministic run.
pub fn scenario(data: &[u8]) {
    let source = Source::new("fuzz.toml", text(data));
    let Ok(scenario) = source.parse::<som_core::scenario::Scenario>() else {
        return;
    };
    let Ok(catalogues) = Catalogues::builtin() else {
        return;
    };
    let mut catalogues = catalogues;
    if scenario.budget.is_some()
        && let Ok(refusion) = som_core::catalogue::refusion::RefusionCatalogue::builtin()
    {
        catalogues.refusion = Some(refusion);
    }
    let loaded = som_core::Loaded {
        scenario,
        source,
        catalogues,
        estimates: None,
    };
    if loaded.compile().is_ok() {
        // A run at base values: every figure finite, or an error (never a panic). A result
        // that overflowed is caught before it is written, but an input that gets that far is
        // a gap in the domain checks, and a finding.
        if let Err(e) = som_core::run(&loaded) {
            let message = e.to_string();
            assert!(
                !message.contains("is not a finite number"),
                "a compiled scenario overflowed: {message}"
            );
        }
    }
}

/// One of the catalogues; the first byte picks which.
pub fn catalogue(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let s = |(name, text): (&str, &str)| Source::new(name, text);
    let fuzzed = Source::new("fuzz-catalogue.toml", text(rest));
    use som_core::builtin::{DEPARTMENTS, DISCOUNT, PRICE_INDEX, PRICES};
    let _ = match which % 5 {
        0 => Catalogues::parse(fuzzed, s(PRICE_INDEX), s(DISCOUNT), s(DEPARTMENTS)).map(|_| ()),
        1 => Catalogues::parse(s(PRICES), fuzzed, s(DISCOUNT), s(DEPARTMENTS)).map(|_| ()),
        2 => Catalogues::parse(s(PRICES), s(PRICE_INDEX), fuzzed, s(DEPARTMENTS)).map(|_| ()),
        3 => Catalogues::parse(s(PRICES), s(PRICE_INDEX), s(DISCOUNT), fuzzed).map(|_| ()),
        _ => fuzzed
            .parse::<som_core::catalogue::refusion::RefusionCatalogue>()
            .map_err(|d| som_core::Error::Invalid(vec![d]))
            .and_then(|c| c.validate(&fuzzed)),
    };
}

/// A study file.
pub fn study(data: &[u8]) {
    let source = Source::new("fuzz-study.toml", text(data));
    let _ = som_casedata::estimate::Study::parse(&source);
}

/// `estimates.json`, then after the first `\0` the bytes of `bootstrap.parquet`.
pub fn estimates(data: &[u8]) {
    let (json, boot) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let replicates = match boot {
        Some(b) => match som_casedata::estimate::handoff::read_bootstrap("fuzz".into(), b) {
            Ok(r) => Some(r),
            Err(_) => return,
        },
        None => None,
    };
    let source = Source::new("fuzz-estimates.json", text(json));
    let _ = som_core::estimates::Estimated::parse(source, replicates);
}

/// A small valid persons table: twelve persons, six of them participants.
pub const PERSONS_CSV: &str =
    "person_id,municipality,birth_year,sex,segment,coordination_level,participant,start_date
P000,751,1980,F,family,1,1,2021-03-15
P001,751,1981,M,family,2,1,2021-03-15
P002,751,1982,F,family,3,1,2021-04-01
P003,751,1983,M,adult,1,1,2021-04-01
P004,751,1984,F,adult,2,1,2021-05-01
P005,751,1985,M,adult,3,1,2021-05-01
P006,751,1986,F,family,1,0,
P007,751,1987,M,family,2,0,
P008,751,1988,F,family,3,0,
P009,751,1989,M,adult,1,0,
P010,751,1990,F,adult,2,0,
P011,751,1991,M,adult,3,0,
";

/// A small valid services table for [`PERSONS_CSV`].
pub fn services_csv() -> String {
    let mut s = String::from("person_id,period,function,units,amount\n");
    for i in 0..12 {
        for year in 2019..=2022 {
            s += &format!("P{i:03},{year}-03,5.28.22,1,39166.67\n");
            s += &format!("P{i:03},{year}-09,5.57.73,1,12326\n");
        }
    }
    s
}

/// A folder of its own for this thread (the readers take paths).
fn folder() -> PathBuf {
    thread_local! {
        static DIR: PathBuf = {
            let id = format!("{:?}", std::thread::current().id());
            let id: String = id.chars().filter(char::is_ascii_digit).collect();
            let d = std::env::temp_dir().join(format!("som-fuzz-{}-{id}", std::process::id()));
            let _ = std::fs::create_dir_all(&d);
            d
        };
    }
    DIR.with(Clone::clone)
}

/// A case-data table in format `ext`: the first byte picks whether the bytes are the persons
/// or the services table; the other is a small valid CSV. Read, validated and ingested with
/// monthly amounts, then prepared for estimation.
fn table(data: &[u8], ext: &str) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let dir = folder();
    for e in ["csv", "parquet", "xlsx"] {
        let _ = std::fs::remove_file(dir.join(format!("persons.{e}")));
        let _ = std::fs::remove_file(dir.join(format!("services.{e}")));
    }
    let (fuzzed, other, other_text) = if which % 2 == 0 {
        ("persons", "services", services_csv())
    } else {
        ("services", "persons", PERSONS_CSV.to_string())
    };
    if std::fs::write(dir.join(format!("{fuzzed}.{ext}")), rest).is_err()
        || std::fs::write(dir.join(format!("{other}.csv")), other_text).is_err()
    {
        return;
    }
    let spec = som_casedata::cases::CaseSpec {
        cases: vec![dir],
        disclosure_threshold: som_casedata::MIN_DISCLOSURE_THRESHOLD,
        ..Default::default()
    };
    let _ = som_casedata::cases::prepare(&spec);
}

/// A CSV table (any encoding, separator, quoting).
pub fn csv(data: &[u8]) {
    table(data, "csv");
}

/// A Parquet table.
pub fn parquet(data: &[u8]) {
    table(data, "parquet");
}

/// An Excel workbook (`.xlsx`).
pub fn xlsx(data: &[u8]) {
    table(data, "xlsx");
}
