//! Personal data stays in: every command that writes output, run on the bundled synthetic
//! municipality, writes no person id and no unsuppressed group smaller than the disclosure
//! threshold.
//!
//! `som synth` is left out on purpose: it generates synthetic persons, and its output is
//! person-level by design. `som pseudonymize` writes person-level rows too, but with every id
//! replaced by a keyed pseudonym; the test checks that none of the original ids survives.

mod common;
use common::*;
use engine::casedata::read::{ReadOptions, read_whole};
use std::path::{Path, PathBuf};

const BUNDLED: &str = "datasets/synthetic-small";
const THRESHOLD: u64 = 5;

fn person_ids() -> Vec<String> {
    let (_, df) = read_whole(
        &root().join(BUNDLED).join("persons.parquet"),
        &ReadOptions::default(),
        "",
    )
    .unwrap();
    let ids = engine::casedata::text_values(&df, "person_id");
    ids.into_iter().flatten().collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// No output file contains any of the ids (as bytes; Parquet stores short strings verbatim).
/// Every window of each id length is looked up once, so a file is read once whatever the
/// number of ids.
fn assert_no_ids(dir: &Path, ids: &[String]) {
    let mut by_len: std::collections::BTreeMap<usize, std::collections::HashSet<&[u8]>> =
        Default::default();
    for id in ids {
        by_len.entry(id.len()).or_default().insert(id.as_bytes());
    }
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap();
        for (len, set) in &by_len {
            if let Some(w) = bytes.windows(*len).find(|w| set.contains(w)) {
                panic!(
                    "{} contains the person id {}",
                    f.display(),
                    String::from_utf8_lossy(w)
                );
            }
        }
    }
}

/// Every count of persons in a JSON document is 0 or at least the threshold.
fn assert_json_counts(v: &serde_json::Value, path: &str) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if ["persons", "users", "participants", "non_participants"].contains(&k.as_str())
                    && let Some(n) = x.as_u64()
                {
                    assert!(n == 0 || n >= THRESHOLD, "{path}.{k} = {n}");
                }
                assert_json_counts(x, &format!("{path}.{k}"));
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                assert_json_counts(x, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

/// Every unsuppressed row of a group summary stands on at least the threshold of persons.
fn assert_csv_groups(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (persons, users, suppressed) = (col("persons"), col("users"), col("suppressed"));
    let mut shown = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f[suppressed] == "true" {
            assert!(
                f[persons].is_empty(),
                "suppressed row shows figures: {line}"
            );
            continue;
        }
        shown += 1;
        let p: u64 = f[persons].parse().unwrap();
        let u: u64 = f[users].parse().unwrap();
        assert!(p >= THRESHOLD, "{}: {line}", path.display());
        assert!(u == 0 || u >= THRESHOLD, "{}: {line}", path.display());
    }
    assert!(shown > 0, "{}: every row suppressed", path.display());
}

#[test]
fn no_output_holds_a_person_id_or_a_small_group() {
    let ids = person_ids();
    assert!(ids.len() > 100);
    let out = scratch("privacy");
    // The check finds an id anywhere in a file.
    let canary = out.join("canary");
    std::fs::create_dir_all(&canary).unwrap();
    std::fs::write(
        canary.join("x.csv"),
        format!("a,b\n1,{}z\n", ids[ids.len() / 2]),
    )
    .unwrap();
    assert!(std::panic::catch_unwind(|| assert_no_ids(&canary, &ids)).is_err());

    // som check --out
    let check = out.join("check");
    let o = som(&["check", BUNDLED, "--out", check.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_no_ids(&check, &ids);
    assert_json_counts(&read_json(&check.join("quality.json")), "quality");
    assert_csv_groups(&check.join("by-year.csv"));
    assert_csv_groups(&check.join("by-relative-year.csv"));
    let printed = stdout(&o);
    assert!(ids.iter().all(|id| !printed.contains(id.as_str())));

    // som check --json prints the same report, no ids
    let o = som(&["check", BUNDLED, "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_json_counts(&v, "quality");
    assert!(ids.iter().all(|id| !stdout(&o).contains(id.as_str())));

    // som estimate --out: aggregates only, small cells suppressed, and --json the same
    let est = out.join("estimate");
    let o = som(&[
        "estimate",
        "models/studies/synthetic-all-segments.toml",
        "--out",
        est.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_no_ids(&est, &ids);
    assert_json_counts(&read_json(&est.join("estimates.json")), "estimates");
    assert!(ids.iter().all(|id| !stdout(&o).contains(id.as_str())));

    // som municipalities with case data: aggregates only, every count of persons at least the
    // threshold, a municipality without data shown without figures
    let muni = out.join("municipalities");
    let o = som(&[
        "municipalities",
        "models/examples/synthetic-estimated.toml",
        BUNDLED,
        "--study",
        "models/studies/synthetic-all-segments.toml",
        "--only",
        "751,101",
        "--draws",
        "200",
        "--replicates",
        "100",
        "--keep-draws",
        "--out",
        muni.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_no_ids(&muni, &ids);
    let m = read_json(&muni.join("municipalities.json"));
    assert_json_counts(&m, "municipalities");
    let rows = m["rows"].as_array().unwrap();
    let kbh = rows.iter().find(|r| r["code"] == 101).unwrap();
    assert_ne!(kbh["status"], "ok");
    assert!(kbh["npv"].is_null() && kbh["persons"].is_null());
    assert!(ids.iter().all(|id| !stdout(&o).contains(id.as_str())));

    // som run and som demo read no case data; their outputs hold no ids either
    let demo = out.join("demo");
    let o = som(&["demo", "--out", demo.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_no_ids(&demo, &ids);

    // som pseudonymize: person-level by design, but none of the original ids survives
    let pseudo = out.join("pseudo");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args([
            "pseudonymize",
            &format!("{BUNDLED}/persons.parquet"),
            &format!("{BUNDLED}/services.parquet"),
            "--out",
            pseudo.to_str().unwrap(),
        ])
        .env("SOM_PSEUDONYM_KEY", "privacy test key, long enough")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_no_ids(&pseudo, &ids);
}
