//! The Python package `som` (pysom/): built into a wheel with maturin (pinned in
//! `pysom/requirements.txt`, debug profile, sharing this build's target directory), installed
//! into a virtual environment under the target directory, and tested with pytest — its tests in
//! `pysom/tests` and the examples in its docstrings. Fails when pytest fails.

mod common;
mod pywheel;
use common::*;
use std::process::Command;

#[test]
fn python_package_tests_pass() {
    let venv = pywheel::venv(
        "pysom-venv",
        "pysom/requirements.txt",
        "for the Python package's tests",
    );
    pywheel::install(&venv);
    let site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .map(|e| e.unwrap().path().join("site-packages/som"))
        .find(|p| p.is_dir())
        .expect("som installed");
    let o = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--doctest-modules",
        ])
        .arg(root().join("pysom/tests"))
        .arg(&site)
        .env("SOM_BIN", env!("CARGO_BIN_EXE_som"))
        .env("SOM_TEST_SCRATCH", scratch("pysom"))
        .env("MPLBACKEND", "Agg")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "pytest failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let said = stdout(&o);
    assert!(said.contains(" passed"), "{said}");
}
