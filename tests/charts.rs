//! The charts `som run` writes: every chart as a real PNG (decoded, sized, not blank) and a
//! well-formed SVG that names the departments; listed in the manifest; reproducible; left out
//! with --no-charts.

mod common;
use common::*;
use std::collections::HashSet;
use std::path::Path;

/// Decode a PNG and check it is an image worth looking at; returns (width, height).
fn check_png(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}: PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "{name}: IHDR first");
    assert!(bytes.len() > 20_000, "{name}: only {} bytes", bytes.len());
    let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width, info.height);
    assert_eq!(w, 1280, "{name}: width");
    assert!((300..=720).contains(&h), "{name}: height {h}");
    assert_eq!(info.color_type, png::ColorType::Rgb, "{name}");
    let pixels: Vec<[u8; 3]> = buf[..(w * h * 3) as usize]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let colours: HashSet<[u8; 3]> = pixels.iter().copied().collect();
    assert!(colours.len() > 50, "{name}: {} colours", colours.len());
    let inked = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    let share = inked as f64 / pixels.len() as f64;
    assert!(
        (0.02..0.9).contains(&share),
        "{name}: {share} of pixels inked"
    );
    // Text is drawn: dark, anti-aliased pixels (grey levels between ink and white) exist in
    // the title band at the top left.
    let title_band = (10..40)
        .flat_map(|y| (24..400).map(move |x| (y * w + x) as usize))
        .filter(|&i| pixels[i][0] < 128)
        .count();
    assert!(
        title_band > 200,
        "{name}: no title text ({title_band} dark pixels)"
    );
    (w, h)
}

/// Check an SVG is well formed (every tag closed in order, text escaped) and return the text
/// of its `<text>` elements.
fn check_svg(path: &Path) -> Vec<String> {
    let s = std::fs::read_to_string(path).unwrap();
    let name = path.display();
    assert!(s.starts_with("<svg "), "{name}: starts with <svg");
    assert!(s.trim_end().ends_with("</svg>"), "{name}: ends with </svg>");
    let mut stack: Vec<String> = Vec::new();
    let mut texts = Vec::new();
    let mut rest = s.as_str();
    while let Some(open) = rest.find('<') {
        let content = &rest[..open];
        assert!(!content.contains('>'), "{name}: stray > in {content:?}");
        for (i, _) in content.match_indices('&') {
            let entity = &content[i..content[i..].find(';').map_or(content.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
                "{name}: unescaped & in {content:?}"
            );
        }
        if stack.last().is_some_and(|t| t == "text") && !content.trim().is_empty() {
            texts.push(
                content
                    .trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&"),
            );
        }
        let close = rest[open..].find('>').expect("tag closed") + open;
        let tag = &rest[open + 1..close];
        if let Some(end) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(end.trim()), "{name}: </{end}>");
        } else if !tag.ends_with('/') {
            let tag_name = tag.split_whitespace().next().unwrap_or_default();
            stack.push(tag_name.to_string());
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "{name}: unclosed {stack:?}");
    texts
}

const ALL: &[&str] = &[
    "costs_and_gains_by_year",
    "cumulative_net_pv",
    "who_pays_who_gains",
    "tornado",
    "npv_distribution",
];

fn run_charts(scenario: &str, dir: &str, args: &[&str]) -> std::path::PathBuf {
    let out = scratch(dir);
    let mut all = vec!["run", scenario, "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = som(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn every_chart_is_a_real_png_and_svg_naming_the_departments() {
    // Consequences drawn from bootstrap replicates: draws, a band, a tornado, a distribution.
    let out = run_charts(
        "models/examples/synthetic-estimated.toml",
        "charts-synthetic",
        &["--draws", "2000"],
    );
    let summary = read_json(&out.join("summary.json"));
    let public: Vec<String> = summary["by_department"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["public"] == true)
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert!(public.len() >= 5, "{public:?}");
    let manifest = read_json(&out.join("manifest.json"));
    let listed: HashSet<String> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["file"].as_str().unwrap().to_string())
        .collect();
    for chart in ALL {
        check_png(&out.join(format!("charts/{chart}.png")));
        let texts = check_svg(&out.join(format!("charts/{chart}.svg")));
        assert!(
            texts.iter().any(|t| t.contains("Coordinated intervention")),
            "{chart}: the scenario is named"
        );
        for ext in ["png", "svg"] {
            assert!(
                listed.contains(&format!("charts/{chart}.{ext}")),
                "{chart}.{ext} in manifest"
            );
        }
        if ["costs_and_gains_by_year", "cumulative_net_pv"].contains(chart) {
            for d in &public {
                assert!(texts.iter().any(|t| t == d), "{chart}: no {d} in {texts:?}");
            }
        }
    }
    // The heat map names its paying department and writes a value in every cell.
    let texts = check_svg(&out.join("charts/who_pays_who_gains.svg"));
    assert!(texts.iter().any(|t| t == "Adult social services"));
    let gains = summary["who_pays_who_gains"]["gain"].as_array().unwrap();
    let numbers = texts
        .iter()
        .filter(|t| {
            t.chars()
                .all(|c| c.is_ascii_digit() || ",.\u{2212}".contains(c))
        })
        .count();
    assert!(
        numbers > gains.len(),
        "{numbers} values for {} columns",
        gains.len()
    );
    // The distribution states P(NPV > 0); the band is in the summary it is drawn from.
    let texts = check_svg(&out.join("charts/npv_distribution.svg"));
    assert!(
        texts.iter().any(|t| t.starts_with("P(NPV > 0) = ")),
        "{texts:?}"
    );
    assert_eq!(
        summary["uncertainty"]["total_cumulative_net_pv"]
            .as_array()
            .unwrap()
            .len(),
        summary["scenario"]["horizon"].as_u64().unwrap() as usize
    );
}

#[test]
fn deterministic_runs_draw_the_three_base_charts_and_charts_are_reproducible() {
    let det = ["--draws", "0"];
    let a = run_charts("models/families-one-plan.toml", "charts-families-a", &det);
    let b = run_charts("models/families-one-plan.toml", "charts-families-b", &det);
    let files: Vec<String> = {
        let mut f: Vec<String> = std::fs::read_dir(a.join("charts"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        f.sort();
        f
    };
    assert_eq!(
        files,
        [
            "costs_and_gains_by_year.png",
            "costs_and_gains_by_year.svg",
            "cumulative_net_pv.png",
            "cumulative_net_pv.svg",
            // Its assumptions carry ranges: the tornado needs no draws.
            "tornado.png",
            "tornado.svg",
            "who_pays_who_gains.png",
            "who_pays_who_gains.svg",
        ]
    );
    for f in &files {
        assert_eq!(
            std::fs::read(a.join("charts").join(f)).unwrap(),
            std::fs::read(b.join("charts").join(f)).unwrap(),
            "{f} differs between two runs"
        );
        if f.ends_with(".png") {
            check_png(&a.join("charts").join(f));
        } else {
            check_svg(&a.join("charts").join(f));
        }
    }
    // Draws of a scenario without distributions are all alike: the histogram is one bar, and
    // still a chart.
    let out = run_charts(
        "models/examples/gmca-worked-example.toml",
        "charts-fixed-draws",
        &["--draws", "300"],
    );
    check_png(&out.join("charts/npv_distribution.png"));
    check_svg(&out.join("charts/npv_distribution.svg"));
    assert!(!out.join("charts/tornado.png").exists());
}

#[test]
fn no_charts_writes_none() {
    let out = run_charts(
        "models/examples/gmca-worked-example.toml",
        "charts-none",
        &["--no-charts"],
    );
    assert!(!out.join("charts").exists());
    assert!(out.join("summary.json").is_file());
}

/// The value-of-information chart: drawn after draws where some input is worth knowing first,
/// naming the input most worth it and the EVPI; left out where nothing is (EVPI 0).
#[test]
fn value_of_information_chart_names_what_is_worth_knowing() {
    let out = run_charts(
        "models/children-out-of-home-care.toml",
        "charts-voi",
        &["--draws", "2000"],
    );
    check_png(&out.join("charts/value_of_information.png"));
    let texts = check_svg(&out.join("charts/value_of_information.svg"));
    assert!(
        texts.iter().any(|t| t.starts_with("Effect on home")),
        "the relative risk, by its line's name: {texts:?}"
    );
    assert!(texts.iter().any(|t| t.starts_with("EVPI ")), "{texts:?}");
    let none = run_charts(
        "models/examples/synthetic-estimated.toml",
        "charts-voi-none",
        &["--draws", "600"],
    );
    assert!(!none.join("charts/value_of_information.png").exists());
}
