//! The workbook prints well: `report.xlsx` converted to PDF by LibreOffice (headless, as a
//! finance department would print it) puts the overview on one page, never prints a table
//! column on a page apart from its row labels, and keeps the whole workbook to a few pages.
//! LibreOffice (`libreoffice-calc-nogui`) and poppler's `pdftotext` are installed when missing,
//! as `.ci/run` does up front.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// `soffice` and `pdftotext`, installed with apt-get when missing.
fn tools() -> (PathBuf, PathBuf) {
    let soffice = PathBuf::from("/usr/bin/soffice");
    let pdftotext = PathBuf::from("/usr/bin/pdftotext");
    if !soffice.exists() || !pdftotext.exists() {
        let status = std::process::Command::new("sh")
            .args([
                "-c",
                "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                 --no-install-recommends libreoffice-calc-nogui poppler-utils) >/dev/null 2>&1",
            ])
            .status();
        assert!(
            status.is_ok_and(|s| s.success()) && soffice.exists() && pdftotext.exists(),
            "LibreOffice and pdftotext are needed for this test and could not be installed: run \
             `apt-get install libreoffice-calc-nogui poppler-utils` as root"
        );
    }
    (soffice, pdftotext)
}

/// The workbook of `model` (run with `args`) as PDF, one text per printed page.
fn printed(model: &str, name: &str, args: &[&str]) -> Vec<String> {
    let (soffice, pdftotext) = tools();
    let dir = scratch(&format!("print-{name}"));
    let out = dir.join("run");
    let mut all = vec!["run", model, "--out", out.to_str().unwrap(), "--no-charts"];
    all.extend_from_slice(args);
    let o = som(&all);
    assert!(o.status.success(), "{model}: {}", stderr(&o));
    // A profile of its own, so that conversions in parallel tests do not share a lock.
    let profile = format!("-env:UserInstallation=file://{}", dir.join("lo").display());
    let o = std::process::Command::new(&soffice)
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            dir.to_str().unwrap(),
            out.join("report.xlsx").to_str().unwrap(),
        ])
        .output()
        .expect("soffice runs");
    let pdf = dir.join("report.pdf");
    assert!(
        pdf.exists(),
        "LibreOffice wrote no PDF: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    pages(&pdftotext, &pdf)
}

fn pages(pdftotext: &Path, pdf: &Path) -> Vec<String> {
    let o = std::process::Command::new(pdftotext)
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs");
    assert!(o.status.success());
    // pdftotext ends every page with a form feed.
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let mut p: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if p.last().is_some_and(|l| l.trim().is_empty()) {
        p.pop();
    }
    p
}

/// The sheet a printed page belongs to: the page footer names it between som's version and
/// the page number.
fn sheet_of<'a>(page: &str, sheets: &[&'a str]) -> &'a str {
    let foot = page.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    let middle: Vec<&str> = foot
        .split("  ")
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    sheets
        .iter()
        .find(|s| middle.contains(s))
        .copied()
        .unwrap_or_else(|| panic!("a page without a sheet's name in its footer: {foot:?}"))
}

/// Check the printed workbook: the overview on one page; on every page of a sheet with a
/// repeated header, the label column's header and the last column's header both (so no column
/// is printed apart from its row labels); the page footer's page numbers.
fn check(pages: &[String], sheets: &[(&str, &str, &str)], overview: &str, most: usize) {
    let names: Vec<&str> = sheets.iter().map(|s| s.0).chain([overview]).collect();
    let of: Vec<&str> = pages.iter().map(|p| sheet_of(p, &names)).collect();
    assert_eq!(
        of.first(),
        Some(&overview),
        "the workbook starts with the overview"
    );
    assert_eq!(
        of.iter().filter(|s| **s == overview).count(),
        1,
        "the overview prints on one page; the pages are {of:?}"
    );
    assert!(
        pages.len() <= most,
        "{} pages printed (at most {most} expected): {of:?}",
        pages.len()
    );
    for (i, (page, sheet)) in pages.iter().zip(&of).enumerate() {
        if let Some((_, first, last)) = sheets.iter().find(|s| s.0 == *sheet) {
            for word in [first, last] {
                assert!(
                    page.contains(word),
                    "page {} ({sheet}) lacks the column header `{word}`: a column printed \
                     apart from its row labels?\n{page}",
                    i + 1
                );
            }
        }
        let number = format!("{} {} {} {}", "Page", i + 1, "of", pages.len());
        let da = format!("Side {} af {}", i + 1, pages.len());
        assert!(
            page.contains(&number) || page.contains(&da),
            "page {} has no page number in its footer",
            i + 1
        );
    }
}

#[test]
fn the_workbook_prints_on_few_pages_with_the_overview_on_one() {
    // A success-rate model with a budget view and draws: the widest tables som writes.
    let p = printed(
        "models/families-one-plan.toml",
        "families",
        &["--draws", "200"],
    );
    let sheets = [
        ("Budget", "Department", "Sum"),
        ("Who pays who gains", "Paying", "Row sum"),
        ("Flows", "Year", "Cumulative"),
        ("Assumptions", "Input", "Source"),
        ("Summary", "Metric", "Payback year"),
    ];
    check(&p, &sheets, "Overview", 12);
    let overview = &p[0];
    for want in [
        "Net present value (kr.)",
        "By department",
        "NPV + a net gain, − a net cost",
        "expenditure + (red), saving − (blue)",
        "Probability that the NPV is positive",
    ] {
        assert!(
            overview.contains(want),
            "the overview lacks {want:?}:\n{overview}"
        );
    }
    // The value of information closes the Summary sheet.
    assert!(
        p.iter().any(|page| page.contains("EVPI: every input")),
        "no value of information printed"
    );
}

#[test]
fn a_state_transition_workbook_prints_in_danish_with_its_own_metrics() {
    let p = printed(
        "models/children-out-of-home-care.toml",
        "states-da",
        &["--draws", "100", "--lang", "da"],
    );
    let sheets = [
        ("Budget", "Budgetvisning", "Budgetvisning"),
        ("Hvem betaler", "Betaler", "Rækkesum"),
        ("Strømme", "År", "Akk."),
        ("Forudsætninger", "Input", "Kilde"),
        ("Resumé", "Mål", "Tilbagebetalingsår"),
    ];
    check(&p, &sheets, "Overblik", 12);
    let overview = &p[0];
    assert!(
        overview.contains("Omkostning pr. ekstra enhed"),
        "{overview}"
    );
    assert!(!overview.contains("Gevinst pr. krone"), "{overview}");
}
