//! Progress bars while users wait: drawn on standard error when it is a terminal (here a
//! pseudo-terminal made by util-linux `script`), absent when it is piped or `--quiet` is given,
//! and the results the same bytes either way.

mod common;
use common::*;
use std::path::Path;

/// Run `som args` under a pseudo-terminal from the repository root; returns what the terminal
/// showed (standard output and error together, as a terminal shows them).
fn in_terminal(args: &[&str]) -> String {
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_som"))
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let o = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .output()
        .expect("util-linux `script` runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn same_files(a: &Path, b: &Path, names: &[&str]) {
    for n in names {
        assert!(
            std::fs::read(a.join(n)).unwrap() == std::fs::read(b.join(n)).unwrap(),
            "{n} differs with and without progress bars"
        );
    }
}

#[test]
fn monte_carlo_shows_a_bar_in_a_terminal_and_nothing_when_piped() {
    let dir = scratch("progress-run");
    let (tty, piped, quiet) = (dir.join("tty"), dir.join("piped"), dir.join("quiet"));
    let args = |out: &Path| -> Vec<String> {
        [
            "run",
            "models/youth-mental-health.toml",
            "--out",
            out.to_str().unwrap(),
            "--no-charts",
            "--draws",
            "20000",
        ]
        .map(str::to_string)
        .to_vec()
    };
    let a = args(&tty);
    let shown = in_terminal(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        shown.contains("Monte Carlo [") && shown.contains("/20,000 draws"),
        "no bar in a terminal:\n{shown}"
    );
    // Piped: standard error holds nothing (no bar, no escape codes).
    let b = args(&piped);
    let o = som(&b.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success());
    assert_eq!(stderr(&o), "", "piped standard error");
    assert!(!stdout(&o).contains("Monte Carlo ["));
    // --quiet in a terminal: no bar.
    let mut c = vec!["--quiet".to_string()];
    c.extend(args(&quiet));
    let shown = in_terminal(&c.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!shown.contains("Monte Carlo ["), "{shown}");
    same_files(
        &tty,
        &piped,
        &["summary.json", "ledger.csv", "report.xlsx", "summary.md"],
    );
    same_files(&tty, &quiet, &["summary.json", "ledger.csv"]);
}

#[test]
fn estimation_shows_its_bootstrap_in_a_terminal() {
    let dir = scratch("progress-estimate");
    let (tty, piped) = (dir.join("tty"), dir.join("piped"));
    let study = "models/studies/synthetic-all-segments.toml";
    let shown = in_terminal(&["estimate", study, "--out", tty.to_str().unwrap()]);
    assert!(
        shown.contains("bootstrap replicates"),
        "no bar in a terminal:\n{shown}"
    );
    let o = som(&["estimate", study, "--out", piped.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "piped standard error");
    same_files(&tty, &piped, &["estimates.json", "effects.csv"]);
}
