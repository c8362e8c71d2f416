//! The Python package `som` (pysom/): built into a wheel with maturin (pinned in
//! `pysom/requirements.txt`, debug profile, sharing this build's target directory), installed
//! into a virtual environment under the target directory, and tested with pytest — its tests in
//! `pysom/tests` and the examples in its docstrings. Fails when pytest fails.

mod common;
mod pywheel;
use common::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The virtual environment, created and filled from the requirements file when it is missing
/// or the file has changed since.
fn venv() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pysom-venv");
    let req = root().join("pysom/requirements.txt");
    let want = format!("{:x}", Sha256::digest(std::fs::read(&req).unwrap()));
    let stamp = dir.join("requirements.sha256");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .output()
        .expect("python3 is needed for the Python package's tests (Python 3.10 or later)");
    assert!(o.status.success(), "python3 -m venv: {}", stderr(&o));
    let o = Command::new(dir.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&req)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "pip install -r pysom/requirements.txt failed: {}",
        stderr(&o)
    );
    std::fs::write(&stamp, want).unwrap();
    dir
}

#[test]
fn python_package_tests_pass() {
    let venv = venv();
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
