//! Build the Python package's wheel with maturin and install it into a virtual environment
//! (shared by tests/python.rs and tests/notebooks.rs).

use super::common::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A virtual environment `name` under the target directory, created and filled from the
/// requirements file `requirements` (relative to the repository) when it is missing or the file
/// has changed since; `why` says what Python is needed for.
pub fn venv(name: &str, requirements: &str, why: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let req = root().join(requirements);
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
        .unwrap_or_else(|_| panic!("python3 is needed {why} (Python 3.10 or later)"));
    assert!(o.status.success(), "python3 -m venv: {}", stderr(&o));
    let o = Command::new(dir.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&req)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "pip install -r {requirements} failed: {}",
        stderr(&o)
    );
    std::fs::write(&stamp, want).unwrap();
    dir
}

/// Build the wheel (debug profile, in this build's target directory: only pyo3 and the
/// extension are compiled on top of what `cargo test` built) and install it.
pub fn install(venv: &Path) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let wheels = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "pysom-wheel-{}",
        venv.file_name().unwrap().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&wheels);
    let o = Command::new(venv.join("bin/maturin"))
        .args(["build", "--profile", "dev", "--quiet", "-m"])
        .arg(root().join("pysom/Cargo.toml"))
        .arg("--out")
        .arg(&wheels)
        .env("CARGO_TARGET_DIR", target)
        .env("VIRTUAL_ENV", venv)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "maturin build failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("a wheel");
    assert!(
        wheel.to_string_lossy().contains("abi3"),
        "one wheel for every Python >= 3.10: {}",
        wheel.display()
    );
    let o = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--force-reinstall",
            "--no-deps",
        ])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(o.status.success(), "pip install wheel: {}", stderr(&o));
}
