//! The reports `som run` writes (report.html, summary.md) and `som compare`: content equal to
//! summary.json in the language's number format, self-contained HTML, and the HTML opened in
//! headless Chromium with no console message, no network request and a screenshot that is not
//! blank.

mod common;
use common::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A whole amount formatted independently of the engine: Danish `1.234.567`, English
/// `1,234,567`, true minus sign.
fn grouped(v: f64, sep: char) -> String {
    let r = v.round();
    let digits = format!("{}", r.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    if r < 0.0 {
        format!("\u{2212}{out}")
    } else {
        out
    }
}

fn run_report(name: &str, scenario: &str, extra: &[&str]) -> PathBuf {
    let out = scratch(name);
    let mut args = vec!["run", scenario, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = som(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

/// Every `src=` and `href=` attribute value of an HTML text.
fn references(html: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\"", "src='", "href='"] {
        let quote = attr.chars().last().unwrap();
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find(quote).unwrap_or(rest.len());
            refs.push(rest[..end].to_string());
        }
    }
    refs
}

#[test]
fn danish_report_states_the_summary_in_danish_numbers() {
    let out = run_report(
        "report-da",
        "models/youth-mental-health.toml",
        &["--lang", "da", "--draws", "2000", "--seed", "7"],
    );
    let s = read_json(&out.join("summary.json"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"da\">"));
    assert!(html.trim_end().ends_with("</html>"));
    // The headline NPV, the investment and every public department's NPV, in Danish format.
    let total = &s["total"];
    for key in ["npv", "cost_pv", "benefit_pv"] {
        let v = total[key].as_f64().unwrap();
        let text = format!("{} kr.", grouped(v, '.'));
        assert!(html.contains(&text), "report.html lacks {key} = {text}");
    }
    for d in s["by_department"].as_array().unwrap() {
        if d["public"].as_bool() == Some(true) {
            let text = grouped(d["npv"].as_f64().unwrap(), '.');
            assert!(
                html.contains(&format!(">{text}<")),
                "lacks NPV {text} of {}",
                d["id"]
            );
        }
    }
    // Danish department names and words, the Monte Carlo interval and probability.
    for word in [
        "Børn og Familie",
        "Nettonutidsværdi",
        "Hvem betaler, hvem får gevinsten",
        "90 %-interval",
        "Forudsætninger og deres kilder",
    ] {
        assert!(html.contains(word), "report.html lacks “{word}”");
    }
    let u = &s["uncertainty"]["total"];
    let (lo, hi) = (
        u["npv"]["low"].as_f64().unwrap(),
        u["npv"]["high"].as_f64().unwrap(),
    );
    assert!(html.contains(&format!("[{}; {}]", grouped(lo, '.'), grouped(hi, '.'))));
    let p = u["p_npv_positive"].as_f64().unwrap() * 100.0;
    assert!(html.contains(&format!("{} %", format!("{p:.1}").replace('.', ","))));
    // Every input's source is stated.
    for input in s["inputs"].as_array().unwrap() {
        if let Some(src) = input["source"].as_str() {
            let escaped = src
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert!(html.contains(&escaped), "source not shown: {src}");
        }
    }
    // Self-contained: every chart inline, nothing referenced outside the file, and a policy
    // that forbids requests.
    let refs = references(&html);
    assert!(refs.len() >= 5, "{} references", refs.len());
    for r in &refs {
        assert!(
            r.starts_with("data:image/png;base64,"),
            "external reference {r}"
        );
    }
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.contains("<script"));
    // The input hashes of the manifest are in the report.
    for i in s["provenance"]["inputs"].as_array().unwrap() {
        assert!(html.contains(i["sha256"].as_str().unwrap()));
    }
    let manifest = read_json(&out.join("manifest.json"));
    let listed: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["file"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"report.html") && listed.contains(&"summary.md"));

    // The charts speak Danish too: titles, department names, and numbers with decimal commas.
    let svg = std::fs::read_to_string(out.join("charts/cumulative_net_pv.svg")).unwrap();
    assert!(svg.contains("Akkumuleret nettonutidsværdi og tilbagebetaling"));
    assert!(svg.contains("mio. kr., 2025-priser"));
    assert!(svg.contains("Børn og Familie"));
    let svg = std::fs::read_to_string(out.join("charts/tornado.svg")).unwrap();
    assert!(
        svg.contains("Succesrate med indsatsen"),
        "tornado labels in Danish"
    );
    let npv_m = total["npv"].as_f64().unwrap() / 1e6;
    let base = format!("Basis {:.1}", npv_m)
        .replace('-', "\u{2212}")
        .replace('.', ",");
    assert!(svg.contains(&base), "tornado lacks “{base}”");
    let svg = std::fs::read_to_string(out.join("charts/npv_distribution.svg")).unwrap();
    assert!(
        svg.contains("P(NNV &gt; 0)") || svg.contains("P(NNV > 0)"),
        "NPV chart in Danish"
    );

    // The workbook speaks Danish too: sheet names, labels and department names; its NPV is the
    // summary's.
    {
        use calamine::{Data, Reader, Xlsx, open_workbook};
        let mut wb: Xlsx<_> = open_workbook(out.join("report.xlsx")).unwrap();
        assert_eq!(
            wb.sheet_names(),
            [
                "Overblik",
                "Resumé",
                "Budget",
                "Hvem betaler",
                "Strømme",
                "Forudsætninger"
            ]
        );
        let r = wb.worksheet_range("Resumé").unwrap();
        let cells: Vec<&Data> = r.used_cells().map(|(_, _, c)| c).collect();
        let has = |t: &str| cells.iter().any(|c| matches!(c, Data::String(x) if x == t));
        assert!(
            has("NNV (kr.)")
                && has("Børn og Familie")
                && has(
                    "Pr. forvaltning (nutidsværdier; omkostning og gevinst +, NNV = gevinst − omkostning)"
                )
        );
        let npv = total["npv"].as_f64().unwrap();
        assert!(
            cells
                .iter()
                .any(|c| matches!(c, Data::Float(x) if (x - npv).abs() < 1e-6 * npv.abs())),
            "the workbook's NPV"
        );
    }

    // The Markdown summary: the same figures, a table that pastes.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.starts_with("## "));
    let npv = total["npv"].as_f64().unwrap();
    assert!(md.contains(&format!("{} kr.", grouped(npv, '.'))));
    assert!(md.contains("| Forvaltning | Investering | Gevinster | NNV | Tilbagebetaling |"));
    assert!(md.contains("**Offentlig sektor i alt**"));
    assert!(md.contains("10.000") || md.contains("2.000 træk"));
}

#[test]
fn english_report_is_the_default_and_uses_english_numbers() {
    let out = run_report("report-en", "models/families-one-plan.toml", &[]);
    let s = read_json(&out.join("summary.json"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    let npv = s["total"]["npv"].as_f64().unwrap();
    assert!(html.contains(&format!("{} kr.", grouped(npv, ','))));
    assert!(html.contains("Children and families"));
    // Its illustrative assumptions carry ranges: the default run draws them.
    assert!(html.contains("intervals and probabilities come from the Monte Carlo draws"));
    assert!(!html.contains("Every input is fixed"));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains(&format!("{} kr.", grouped(npv, ','))));
    assert!(md.contains("10,000 draws"), "{md}");
    // Without draws the report says so, and does not call the uncertain inputs fixed.
    let none = run_report(
        "report-en-no-draws",
        "models/families-one-plan.toml",
        &["--draws", "0"],
    );
    let html = std::fs::read_to_string(none.join("report.html")).unwrap();
    assert!(html.contains("This run made no Monte Carlo draws"));
    assert!(!html.contains("Every input is fixed"));
    let md = std::fs::read_to_string(none.join("summary.md")).unwrap();
    assert!(md.contains("deterministic run"));
    // The budget view of the scenario's [budget] section: gross, refusion, net, after keys.
    let b = &s["budget"];
    assert!(b.is_object(), "families-one-plan has a [budget] section");
    assert!(html.contains("Budget view") && html.contains("Net after keys"));
    for k in ["gross", "refusion", "net", "net_after_keys"] {
        let v = b["total"]["sum"][k].as_f64().unwrap();
        assert!(
            html.contains(&format!(">{}<", grouped(v, ','))),
            "budget {k} {v}"
        );
    }
    assert!(md.contains("Budget view, municipality"));
    for y in b["total"]["years"].as_array().unwrap() {
        let v = y["net_after_keys"].as_f64().unwrap();
        assert!(md.contains(&grouped(v, ',')), "budget year {y}");
    }
    // Same inputs, same bytes.
    let again = run_report("report-en-again", "models/families-one-plan.toml", &[]);
    for f in ["report.html", "summary.md"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
}

#[test]
fn report_without_charts_says_so() {
    let out = run_report(
        "report-nocharts",
        "models/families-one-plan.toml",
        &["--no-charts"],
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("--no-charts"));
    assert!(references(&html).is_empty());
}

#[test]
fn unknown_language_is_a_clear_error() {
    let o = som(&["run", "models/families-one-plan.toml", "--lang", "fr"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("unknown language `fr`") && e.contains("`da` or `en`"),
        "{e}"
    );
}

#[test]
fn compare_puts_scenarios_side_by_side() {
    let out = scratch("compare");
    let models = [
        "models/families-one-plan.toml",
        "models/adults-cross-team.toml",
        "models/youth-mental-health.toml",
    ];
    let mut args = vec!["compare"];
    args.extend(models);
    args.extend([
        "--out",
        out.to_str().unwrap(),
        "--draws",
        "1000",
        "--lang",
        "da",
    ]);
    let o = som(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    // The printed table is the Markdown file.
    let md = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(stdout(&o).contains(md.trim_end()));
    // Each row equals the scenario run on its own with the same options.
    let cmp = read_json(&out.join("comparison.json"));
    let rows = cmp["scenarios"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    for (m, row) in models.iter().zip(rows) {
        let single = run_report(
            &format!(
                "compare-single-{}",
                Path::new(m).file_stem().unwrap().to_string_lossy()
            ),
            m,
            &["--draws", "1000", "--no-charts"],
        );
        let s = read_json(&single.join("summary.json"));
        assert_eq!(row["file"].as_str(), Some(*m));
        assert_eq!(row["npv"], s["total"]["npv"], "{m}");
        assert_eq!(row["cost_pv"], s["total"]["cost_pv"], "{m}");
        if let Some(u) = s.get("uncertainty") {
            assert_eq!(row["npv_low"], u["total"]["npv"]["low"], "{m}");
            assert_eq!(row["p_npv_positive"], u["total"]["p_npv_positive"], "{m}");
        } else {
            assert!(row["npv_low"].is_null());
        }
        // Department NPVs sum to the public total.
        let deps = cmp["departments"].as_array().unwrap();
        let sum: f64 = row["department_npv"]
            .as_array()
            .unwrap()
            .iter()
            .zip(deps)
            .filter(|(_, d)| d["public"].as_bool() == Some(true))
            .filter_map(|(v, _)| v.as_f64())
            .sum();
        let npv = row["npv"].as_f64().unwrap();
        assert!(
            (sum - npv).abs() < 1e-6 * npv.abs().max(1.0),
            "{m}: {sum} vs {npv}"
        );
        let name = s["scenario"]["name"].as_str().unwrap();
        assert!(md.contains(name), "{name}");
        assert!(md.contains(&grouped(npv, '.')), "{m}: NPV not in the table");
    }
    // Different horizons are noted, in Danish.
    assert!(md.contains("forskellige tidshorisonter"), "{md}");
    // The chart and the page.
    let png = std::fs::read(out.join("charts/scenario_comparison.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 20_000);
    let svg = std::fs::read_to_string(out.join("charts/scenario_comparison.svg")).unwrap();
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    assert!(
        svg.contains("Scenarier sammenlignet"),
        "the chart in Danish"
    );
    let html = std::fs::read_to_string(out.join("comparison.html")).unwrap();
    for r in references(&html) {
        assert!(r.starts_with("data:image/png;base64,"), "{r}");
    }
    assert!(
        read_json(&out.join("manifest.json"))["scenarios"]
            .as_array()
            .unwrap()
            .len()
            == 3
    );
}

#[test]
fn compare_reports_every_bad_scenario() {
    let dir = scratch("compare-bad");
    let bad = dir.join("bad.toml");
    let text = std::fs::read_to_string(root().join("models/families-one-plan.toml"))
        .unwrap()
        .replacen("horizon = ", "horizon = -", 1);
    std::fs::write(&bad, text).unwrap();
    let o = som(&[
        "compare",
        "models/adults-cross-team.toml",
        bad.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("bad.toml") && e.contains("horizon"), "{e}");
    assert!(!dir.join("out").exists(), "nothing is written on error");
    // One scenario is not a comparison.
    let o = som(&["compare", "models/adults-cross-team.toml"]);
    assert!(!o.status.success());
}

// ---- headless Chromium ----

/// The Chromium binary, installed with apt-get when it is missing (the test setup the README's
/// test command relies on; `.ci/run` installs it too).
fn chromium() -> PathBuf {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    let status = std::process::Command::new("sh")
        .args([
            "-c",
            "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1",
        ])
        .status();
    assert!(
        status.is_ok_and(|s| s.success()) && Path::new("/usr/bin/chromium").exists(),
        "headless Chromium is needed for this test and could not be installed: run \
         `apt-get install chromium` as root"
    );
    PathBuf::from("/usr/bin/chromium")
}

/// What a page did in headless Chromium.
struct Visit {
    /// Console messages (Chromium logs every one, errors and policy violations included).
    console: Vec<String>,
    /// URLs the page requested other than `file:` and `data:` ones.
    requests: Vec<String>,
    /// The screenshot: width, height, RGBA pixels.
    shot: (u32, u32, Vec<u8>),
}

fn visit(page: &Path, work: &Path) -> Visit {
    let profile = work.join("profile");
    let netlog = work.join("netlog.json");
    let shot = work.join("screenshot.png");
    let o = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium failed: {}", stderr(&o));
    let console = stderr(&o)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    // The page's own requests carry an initiator; the browser's background ones are marked
    // "not an origin".
    let log = read_json(&netlog);
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64();
    let mut requests = Vec::new();
    for e in log["events"].as_array().into_iter().flatten() {
        let p = &e["params"];
        let (Some(url), Some(initiator)) = (p["url"].as_str(), p["initiator"].as_str()) else {
            continue;
        };
        if e["type"].as_u64() == start
            && initiator != "not an origin"
            && !url.starts_with("file:")
            && !url.starts_with("data:")
        {
            requests.push(url.to_string());
        }
    }
    let bytes = std::fs::read(&shot).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let rgba: Vec<u8> = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .flat_map(|p| [p[0], p[1 % channels], p[2 % channels], 255])
        .collect();
    Visit {
        console,
        requests,
        shot: (info.width, info.height, rgba),
    }
}

/// Share of pixels that are not white, and the number of distinct colours.
fn ink(shot: &(u32, u32, Vec<u8>)) -> (f64, usize) {
    let px: Vec<[u8; 4]> = shot
        .2
        .chunks_exact(4)
        .map(|p| [p[0], p[1], p[2], p[3]])
        .collect();
    let inked = px.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let colours: HashSet<[u8; 4]> = px.iter().copied().collect();
    (inked as f64 / px.len().max(1) as f64, colours.len())
}

#[test]
fn html_reports_open_in_headless_chromium() {
    let work = scratch("chromium");
    // The check itself catches what it must: a page that fetches an image and breaks its own
    // content policy gives a request and a console message.
    let control = work.join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>control</title></head>\
         <body><p>control</p><img src=\"http://example.invalid/x.png\">\
         <script>console.error('control error')</script></body></html>",
    )
    .unwrap();
    let c = visit(&control, &work.join("control"));
    assert!(
        c.requests.iter().any(|u| u.contains("example.invalid")),
        "the network check sees no request: {:?}",
        c.requests
    );
    assert!(
        c.console.iter().any(|l| l.contains("control error")),
        "the console check sees nothing: {:?}",
        c.console
    );

    let out = run_report(
        "chromium-report",
        "models/youth-mental-health.toml",
        &["--lang", "da", "--draws", "1000"],
    );
    let cmp = scratch("chromium-compare");
    let o = som(&[
        "compare",
        "models/families-one-plan.toml",
        "models/pupils-absence.toml",
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (page, name) in [
        (out.join("report.html"), "report"),
        (cmp.join("comparison.html"), "comparison"),
    ] {
        let v = visit(&page, &work.join(name));
        assert!(
            v.console.is_empty(),
            "{name}: console messages {:?}",
            v.console
        );
        assert!(
            v.requests.is_empty(),
            "{name}: network requests {:?}",
            v.requests
        );
        let (w, h, _) = v.shot;
        assert!(w >= 1000 && h >= 1000, "{name}: screenshot {w}×{h}");
        let (share, colours) = ink(&v.shot);
        assert!(
            share > 0.05,
            "{name}: screenshot nearly blank ({share} inked)"
        );
        assert!(colours > 100, "{name}: screenshot has {colours} colours");
    }
}
