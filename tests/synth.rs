//! `som synth`: the five files, byte-identical for the same seed whatever the thread count,
//! clear errors that write nothing, and the bundled synthetic dataset in step with the
//! generator.

mod common;
use common::*;
use std::path::Path;
use std::process::Output;

const FILES: [&str; 5] = [
    "dataset.toml",
    "persons.parquet",
    "services.parquet",
    "states.parquet",
    "truth.json",
];

/// Run `som synth …` with a given number of worker threads.
fn synth(args: &[&str], threads: usize) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .arg("synth")
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .current_dir(root())
        .output()
        .expect("the som binary runs")
}

fn same_files(a: &Path, b: &Path) {
    for f in FILES {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        if x != y {
            let at = x.iter().zip(&y).position(|(p, q)| p != q);
            panic!(
                "{f} differs between {} and {} ({} and {} bytes, first difference at byte {})",
                a.display(),
                b.display(),
                x.len(),
                y.len(),
                at.unwrap_or(x.len().min(y.len()))
            );
        }
    }
}

#[test]
fn same_seed_gives_byte_identical_files_whatever_the_thread_count() {
    let a = scratch("synth-a");
    let b = scratch("synth-b").join("nested");
    let args = |out: &Path| -> Vec<String> {
        let out = out.to_str().unwrap();
        [
            "--out",
            out,
            "--municipality",
            "461",
            "--persons",
            "2500",
            "--seed",
            "11",
        ]
        .map(str::to_string)
        .to_vec()
    };
    let (args_a, args_b) = (args(&a), args(&b));
    let oa = synth(&args_a.iter().map(String::as_str).collect::<Vec<_>>(), 1);
    assert!(oa.status.success(), "{}", stderr(&oa));
    let ob = synth(&args_b.iter().map(String::as_str).collect::<Vec<_>>(), 2);
    assert!(ob.status.success(), "{}", stderr(&ob));
    same_files(&a, &b);
    let line = stdout(&oa);
    assert!(
        line.starts_with("synth: 2,500 persons (") && line.contains("5 files"),
        "{line}"
    );

    let toml = std::fs::read_to_string(a.join("dataset.toml")).unwrap();
    let command = "som synth --municipality 461 --persons 2500 --from 2016 --to 2025 --seed 11";
    assert!(toml.contains("municipality = 461\n"), "{toml}");
    assert!(
        toml.contains("period = { from = \"2016-01\", to = \"2025-12\" }"),
        "{toml}"
    );
    assert!(toml.contains("services = \"services.parquet\""), "{toml}");
    assert!(toml.contains(&format!("source = \"{command}\"")), "{toml}");

    let t = read_json(&a.join("truth.json"));
    assert_eq!(t["format"], "som-synth-truth/1");
    assert_eq!(t["command"], command);
    assert_eq!(t["seed"], 11);
    assert_eq!(t["persons"], 2500);
    assert_eq!(t["municipalities"][0]["code"], 461);
    assert_eq!(t["municipalities"][0]["name"], "Odense");
    let participants = t["participants"].as_u64().unwrap();
    assert!((250..900).contains(&participants), "{participants}");
    // The truth has the effect parameters and the realised effect per department and year.
    assert!(!t["effects"].as_array().unwrap().is_empty());
    let att = t["att"].as_array().unwrap();
    let total = |k: i64| {
        att.iter()
            .find(|r| {
                r["segment"] == "all" && r["department"] == "total" && r["year_since_start"] == k
            })
            .unwrap()["effect"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(total(-1), 0.0);
    assert!(total(1) < 0.0);
    // Parquet files, whole.
    for f in ["persons.parquet", "services.parquet", "states.parquet"] {
        let pq = std::fs::read(a.join(f)).unwrap();
        assert_eq!(&pq[..4], b"PAR1", "{f}");
        assert_eq!(&pq[pq.len() - 4..], b"PAR1", "{f}");
    }

    // Another seed gives other data.
    let c = scratch("synth-c");
    let oc = synth(
        &[
            "--out",
            c.to_str().unwrap(),
            "--municipality",
            "461",
            "--persons",
            "2500",
            "--seed",
            "12",
        ],
        2,
    );
    assert!(oc.status.success(), "{}", stderr(&oc));
    assert_ne!(
        std::fs::read(a.join("services.parquet")).unwrap(),
        std::fs::read(c.join("services.parquet")).unwrap()
    );
}

#[test]
fn all_municipalities_share_the_persons_and_the_period_can_be_chosen() {
    let out = scratch("synth-all");
    let o = synth(
        &[
            "--out",
            out.to_str().unwrap(),
            "--all",
            "--persons",
            "600",
            "--from",
            "2018",
            "--to",
            "2023",
        ],
        2,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("in 98 municipalities"),
        "{}",
        stdout(&o)
    );
    let t = read_json(&out.join("truth.json"));
    let ms = t["municipalities"].as_array().unwrap();
    assert_eq!(ms.len(), 98);
    let sum: u64 = ms.iter().map(|m| m["persons"].as_u64().unwrap()).sum();
    assert_eq!(sum, 600);
    assert_eq!(t["period"]["from"], "2018-01");
    assert_eq!(t["period"]["to"], "2023-12");
    let toml = std::fs::read_to_string(out.join("dataset.toml")).unwrap();
    assert!(!toml.contains("municipality ="), "{toml}");
    assert!(
        toml.contains("source = \"som synth --all --persons 600 --from 2018 --to 2023 --seed 7\""),
        "{toml}"
    );
}

#[test]
fn bad_arguments_are_clear_errors_and_write_nothing() {
    let base = scratch("synth-bad");
    let out = base.join("out");
    let cases: [(&[&str], &str); 4] = [
        (&["--municipality", "999"], "unknown municipality code 999"),
        (&["--persons", "0"], "0 persons: expected between 1 and"),
        (&["--from", "2025", "--to", "2024"], "shorter than 3 years"),
        (&["--from", "1200"], "between 1900 and 2100"),
    ];
    for (args, message) in cases {
        let mut all = vec!["--out", out.to_str().unwrap()];
        all.extend_from_slice(args);
        let o = synth(&all, 1);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // Malformed arguments are caught by the argument parser.
    for args in [
        &["--municipality", "abc"][..],
        &["--all", "--municipality", "101"][..],
    ] {
        let mut all = vec!["--out", out.to_str().unwrap()];
        all.extend_from_slice(args);
        let o = synth(&all, 1);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
        assert!(!out.exists());
    }
    // Only staging leftovers would start with a dot: none.
    let left: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_foreign_folder_is_never_replaced_but_an_earlier_synth_output_is() {
    let out = scratch("synth-foreign");
    std::fs::write(out.join("precious.txt"), "keep").unwrap();
    let o = synth(&["--out", out.to_str().unwrap(), "--persons", "50"], 1);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not a som synth output"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("precious.txt")).unwrap(),
        "keep"
    );
    let again = scratch("synth-again");
    for persons in ["60", "40"] {
        let o = synth(&["--out", again.to_str().unwrap(), "--persons", persons], 1);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(read_json(&again.join("truth.json"))["persons"], 40);
}

#[test]
fn the_bundled_synthetic_dataset_is_small_and_matches_its_recorded_command() {
    let dir = root().join("datasets/synthetic-small");
    let toml = std::fs::read_to_string(dir.join("dataset.toml")).unwrap();
    let source = toml
        .lines()
        .find_map(|l| l.strip_prefix("source = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("dataset.toml records its command");
    assert!(source.starts_with("som synth "), "{source}");
    let readme = std::fs::read_to_string(root().join("datasets/README.md")).unwrap();
    assert!(
        readme.contains(source),
        "datasets/README.md should record `{source}`"
    );
    let total: u64 = FILES
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).unwrap().len())
        .sum();
    assert!(total < 10_000_000, "{total} bytes");
    let t = read_json(&dir.join("truth.json"));
    let persons = t["persons"].as_u64().unwrap();
    assert!((2000..=4000).contains(&persons), "{persons}");
    // Regenerating with the recorded command gives the committed files, byte for byte.
    let out = scratch("synth-bundled");
    let mut args: Vec<&str> = source.split_whitespace().skip(2).collect();
    args.extend(["--out", out.to_str().unwrap()]);
    let o = synth(&args, 2);
    assert!(o.status.success(), "{}", stderr(&o));
    same_files(&dir, &out);
}
