//! The notebooks in `notebooks/` run top to bottom on bundled data (executed headless with
//! nbclient, against the `som` binary of this build), and the repository keeps them without
//! outputs. The Python packages they need are pinned in `notebooks/requirements.txt` and
//! installed here, once, into a virtual environment under the target directory.

mod common;
mod pywheel;
use common::*;
use std::process::Command;

#[test]
fn notebooks_run_top_to_bottom() {
    let venv = pywheel::venv(
        "notebook-venv",
        "notebooks/requirements.txt",
        "to run the notebooks",
    );
    // The notebooks use the Python package `som` where it is the natural way.
    pywheel::install(&venv);
    let py = venv.join("bin/python");
    let out = scratch("notebooks");
    let o = Command::new(py)
        .arg(root().join("notebooks/run.py"))
        .env("SOM_BIN", env!("CARGO_BIN_EXE_som"))
        .env("SOM_NOTEBOOK_OUT", &out)
        .env("MPLBACKEND", "Agg")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "a notebook failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let said = stdout(&o);
    for nb in [
        "01-first-scenario.ipynb",
        "02-estimate-and-feed.ipynb",
        "03-compare-municipalities.ipynb",
    ] {
        assert!(said.contains(&format!("ok: {nb}")), "{said}");
    }
    // What they drew and wrote is there.
    for f in [
        "first-scenario-by-year.png",
        "first-scenario-success.png",
        "estimates-vs-truth.png",
        "municipalities-forest.png",
        "municipalities/municipalities.csv",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
}

#[test]
fn notebooks_are_kept_without_outputs() {
    let mut n = 0;
    for e in std::fs::read_dir(root().join("notebooks")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "ipynb") {
            continue;
        }
        n += 1;
        let nb = read_json(&p);
        for (i, c) in nb["cells"].as_array().unwrap().iter().enumerate() {
            if c["cell_type"] == "code" {
                assert!(
                    c["outputs"].as_array().is_none_or(|o| o.is_empty()),
                    "{}: cell {i} keeps outputs; clear them before committing",
                    p.display()
                );
                assert!(c["execution_count"].is_null(), "{}: cell {i}", p.display());
            }
        }
    }
    assert!(n >= 3, "{n} notebooks");
}
