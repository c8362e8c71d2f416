//! Helpers shared by the end-to-end tests: run the `som` binary, make scratch directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// Run `som` with `args` from the repository root.
pub fn som(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the som binary runs")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

pub fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}
