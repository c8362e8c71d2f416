//! `som municipalities`: one scenario over many municipalities — identical tables on 1 and 2
//! threads, suppression of municipalities with too few persons, overrides that change what they
//! should, all 98 by default, and bad lists named by file, line and field.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Synthetic case data of four municipalities (generated once per test run).
fn four() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("municipalities-syn4");
        if !d.join("dataset.toml").is_file() {
            let _ = std::fs::remove_dir_all(&d);
            let o = som(&[
                "synth",
                "--out",
                d.to_str().unwrap(),
                "--municipality",
                "101",
                "--municipality",
                "751",
                "--municipality",
                "461",
                "--municipality",
                "825",
                "--persons",
                "6000",
                "--from",
                "2016",
                "--to",
                "2025",
                "--seed",
                "5",
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
        }
        d
    })
}

fn run_local(out: &Path, extra: &[&str], threads: &str) -> std::process::Output {
    let mut args = vec![
        "municipalities",
        "models/examples/synthetic-estimated.toml",
        four().to_str().unwrap(),
        "--study",
        "models/studies/synthetic-all-segments.toml",
        "--replicates",
        "200",
        "--draws",
        "500",
        "--reference",
        "751",
        "--only",
        "101,751,461,825",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(&args)
        .env("RAYON_NUM_THREADS", threads)
        .current_dir(root())
        .output()
        .unwrap()
}

fn rows(out: &Path) -> Vec<serde_json::Value> {
    read_json(&out.join("municipalities.json"))["rows"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn same_seed_gives_the_same_table_on_one_and_two_threads() {
    let (a, b) = (scratch("muni-threads-1"), scratch("muni-threads-2"));
    let oa = run_local(&a, &[], "1");
    assert!(oa.status.success(), "{}", stderr(&oa));
    let ob = run_local(&b, &[], "2");
    assert!(ob.status.success(), "{}", stderr(&ob));
    for f in [
        "municipalities.csv",
        "municipalities.json",
        "regions.csv",
        "municipalities.md",
        "charts/municipalities_forest.png",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
    // Effects from each municipality's own data: their figures differ.
    let r = rows(&a);
    let ok: Vec<&serde_json::Value> = r.iter().filter(|x| x["status"] == "ok").collect();
    assert!(ok.len() >= 2, "{r:#?}");
    assert!(ok.iter().all(|x| x["effects_from"] == "case data"));
    assert_ne!(ok[0]["npv_per_participant"], ok[1]["npv_per_participant"]);
    // Ranked by NPV per participant, highest first.
    let per: Vec<f64> = ok
        .iter()
        .map(|x| x["npv_per_participant"].as_f64().unwrap())
        .collect();
    let mut ranked: Vec<(u64, f64)> = ok
        .iter()
        .map(|x| {
            (
                x["rank"].as_u64().unwrap(),
                x["npv_per_participant"].as_f64().unwrap(),
            )
        })
        .collect();
    ranked.sort_by_key(|x| x.0);
    assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1), "{per:?}");
}

#[test]
fn a_municipality_with_too_few_persons_is_suppressed() {
    // Learn the persons behind each municipality at the lowest threshold, then raise the
    // threshold above the smallest.
    let first = scratch("muni-suppress-5");
    let o = run_local(&first, &[], "2");
    assert!(o.status.success(), "{}", stderr(&o));
    let mut persons: Vec<(u64, u64)> = rows(&first)
        .iter()
        .filter(|x| x["status"] == "ok")
        .map(|x| (x["code"].as_u64().unwrap(), x["persons"].as_u64().unwrap()))
        .collect();
    persons.sort_by_key(|p| p.1);
    assert!(persons.len() >= 2, "{persons:?}");
    let (small, n) = persons[0];
    let threshold = (n + 1).to_string();
    let out = scratch("muni-suppress");
    let o = run_local(&out, &["--disclosure-threshold", &threshold], "2");
    assert!(o.status.success(), "{}", stderr(&o));
    let r = rows(&out);
    let row = r.iter().find(|x| x["code"] == small).unwrap();
    assert_eq!(row["status"], "suppressed", "{row:#}");
    for k in [
        "persons",
        "npv",
        "npv_low",
        "npv_per_participant",
        "bcr",
        "p_npv_positive",
        "rank",
        "participants",
    ] {
        assert!(row[k].is_null(), "suppressed row shows {k}: {row:#}");
    }
    // Nowhere a figure: the CSV row is blank past its name and status, the Markdown says
    // suppressed, and the region leaves it out.
    let csv = std::fs::read_to_string(out.join("municipalities.csv")).unwrap();
    let line = csv
        .lines()
        .find(|l| l.split(',').nth(1) == Some(&small.to_string()))
        .unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    assert_eq!(cells[4], "suppressed");
    assert!(
        cells[5..]
            .iter()
            .enumerate()
            .all(|(i, c)| c.is_empty() || [2, 3, 4].contains(&i)), // size_from, effects_from, price_factor
        "{line}"
    );
    let md = std::fs::read_to_string(out.join("municipalities.md")).unwrap();
    let md_line = md
        .lines()
        .find(|l| l.contains(&format!("({small})")))
        .unwrap();
    assert!(
        md_line.contains("*suppressed*") && !md_line.contains("kr."),
        "{md_line}"
    );
    let region = row["region"].as_str().unwrap();
    let regions = read_json(&out.join("municipalities.json"))["regions"].clone();
    let reg = regions
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["region"] == region)
        .unwrap();
    assert!(reg["left_out"].as_u64().unwrap() >= 1);
    assert!(
        md.contains("fewer than") && md.contains("suppressed"),
        "the note says why"
    );
}

#[test]
fn all_98_by_default_and_overrides_change_what_they_should() {
    let out = scratch("muni-98");
    let o = som(&[
        "municipalities",
        "models/families-one-plan.toml",
        "--draws",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = rows(&out);
    assert_eq!(r.len(), 98);
    let regions = read_json(&out.join("municipalities.json"))["regions"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(regions, 5);
    // No overrides: every municipality has the scenario's own figures, and the spread is nil.
    let single = scratch("muni-98-single");
    let s = som(&[
        "run",
        "models/families-one-plan.toml",
        "--out",
        single.to_str().unwrap(),
        "--no-charts",
    ]);
    assert!(s.status.success());
    let npv = read_json(&single.join("summary.json"))["total"]["npv"].clone();
    assert!(r.iter().all(|x| x["npv"] == npv));
    let png = std::fs::read(out.join("charts/municipalities_forest.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // A list with a price level and a cohort size: prices move the NPV per participant, the
    // cohort size the total only (this scenario is linear in its participants).
    let dir = scratch("muni-list");
    let list = dir.join("list.csv");
    std::fs::write(
        &list,
        "code,price_factor,participants\n101,1.2,\n751,1,300\n147,,\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = som(&[
        "municipalities",
        "models/families-one-plan.toml",
        "--list",
        list.to_str().unwrap(),
        "--draws",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = rows(&out);
    let get = |code: u64| r.iter().find(|x| x["code"] == code).unwrap().clone();
    let (kbh, aarhus, frb) = (get(101), get(751), get(147));
    let per = |x: &serde_json::Value| x["npv_per_participant"].as_f64().unwrap();
    let tot = |x: &serde_json::Value| x["npv"].as_f64().unwrap();
    assert_ne!(
        per(&kbh),
        per(&frb),
        "a price level of 1.2 changes the result"
    );
    assert_eq!(aarhus["participants"].as_f64(), Some(300.0));
    let scenario_participants = frb["participants"].as_f64().unwrap();
    assert_eq!(scenario_participants * 2.0, 300.0);
    // Twice the cohort: more than the total NPV (start-up costs are paid once), but the same
    // price level: the NPV per participant moves only by the start-up costs spread thinner.
    assert!(
        tot(&aarhus) > tot(&frb),
        "{} vs {}",
        tot(&aarhus),
        tot(&frb)
    );
    assert!(per(&aarhus) > per(&frb));
    assert_eq!(aarhus["size_from"], "participants");
    assert_eq!(frb["size_from"], "scenario");
    assert_eq!(frb["name"], "Frederiksberg");
    let md = std::fs::read_to_string(out.join("municipalities.md")).unwrap();
    assert!(md.contains("Prices") && md.contains("Cohort size"));
    let spread = read_json(&out.join("municipalities.json"))["spread"].clone();
    let per_participant = &spread[0];
    assert_eq!(per_participant["measure"], "npv_per_participant");
    assert!(
        per_participant["prices"][1].as_f64().unwrap() > 0.99,
        "{spread:#}"
    );
}

#[test]
fn bad_lists_are_named_by_file_line_and_field() {
    let dir = scratch("muni-bad");
    let list = dir.join("list.csv");
    std::fs::write(&list, "code,price_factor\n751,1\n9999,1\n101,zero\n").unwrap();
    let o = som(&[
        "municipalities",
        "models/families-one-plan.toml",
        "--list",
        list.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("list.csv"), "{e}");
    assert!(
        e.contains("row 2, column `code`") && e.contains("9999"),
        "{e}"
    );
    assert!(
        e.contains("row 3, column `price_factor`") && e.contains("zero"),
        "{e}"
    );
    assert!(!dir.join("out").exists());
    let o = som(&[
        "municipalities",
        "models/families-one-plan.toml",
        "--only",
        "999",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("999"));
}

#[test]
fn documented_list_runs() {
    let doc = std::fs::read_to_string(root().join("docs/municipalities.md")).unwrap();
    let block = doc
        .split("```csv municipalities\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("docs/municipalities.md has a ```csv municipalities block");
    let dir = scratch("muni-doc");
    let list = dir.join("list.csv");
    std::fs::write(&list, block).unwrap();
    let out = dir.join("out");
    let o = som(&[
        "municipalities",
        "models/families-one-plan.toml",
        "--list",
        list.to_str().unwrap(),
        "--draws",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows(&out).len(), block.lines().count() - 1);
}

/// Quantile by linear interpolation between order statistics (type 7).
fn type7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[test]
fn regions_are_sums_of_their_municipalities_draw_by_draw() {
    let dir = scratch("muni-draws");
    let list = dir.join("list.csv");
    // Two in Hovedstaden at different price levels, one in Midtjylland.
    std::fs::write(&list, "code,price_factor\n101,1.1\n147,0.9\n751,1\n").unwrap();
    let out = dir.join("out");
    let o = som(&[
        "municipalities",
        "models/youth-mental-health.toml",
        "--list",
        list.to_str().unwrap(),
        "--draws",
        "400",
        "--keep-draws",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    use polars::prelude::{ParquetReader, SerReader};
    let file = std::fs::File::open(out.join("draws.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 400);
    let col = |n: &str| -> Vec<f64> {
        df.column(n)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect()
    };
    let (a, b) = (col("npv_101"), col("npv_147"));
    let mut sum: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    let p = sum.iter().filter(|v| **v > 0.0).count() as f64 / 400.0;
    sum.sort_by(f64::total_cmp);
    let regions = read_json(&out.join("municipalities.json"))["regions"].clone();
    let h = regions
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "Hovedstaden")
        .unwrap()
        .clone();
    assert_eq!(h["municipalities"], 2);
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * y.abs().max(1.0);
    assert!(
        close(h["npv_low"].as_f64().unwrap(), type7(&sum, 0.05)),
        "{h:#}"
    );
    assert!(
        close(h["npv_high"].as_f64().unwrap(), type7(&sum, 0.95)),
        "{h:#}"
    );
    assert!(close(h["p_npv_positive"].as_f64().unwrap(), p));
    // The same draws of the national inputs everywhere: municipalities that differ only in price
    // level move together, draw by draw.
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / n;
    let sd = |v: &[f64], m: f64| (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt();
    let corr = cov / (sd(&a, ma) * sd(&b, mb));
    assert!(corr > 0.9, "correlation {corr}");
}
