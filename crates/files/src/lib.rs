//! The file-system edge of som: every input file is read here, as text named by its path for
//! the diagnostics, and every set of outputs is written here, whole or not at all — staged in a
//! sibling directory and moved into place in one rename. Inputs are only ever read.

use som_core::error::{Error, Result};
use som_core::source::Source;
use som_core::summary::MANIFEST;
use std::path::{Path, PathBuf};

/// Read a text file, naming it in the error.
pub fn read_source(path: &Path) -> Result<Source> {
    let bytes = std::fs::read(path).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not valid UTF-8 (byte {}); save the file as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        ),
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    Ok(Source::new(path.display().to_string(), text))
}

/// Write `files` (name, bytes; a name may have a subfolder, `charts/x.png`) into `dir` whole or
/// not at all.
///
/// An existing `dir` is replaced only if it is empty or holds an earlier som output (a
/// `manifest.json`); anything else is refused, so a wrong `--out` never deletes a user's files.
pub fn write_outputs(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    write_dir_whole(dir, MANIFEST, "a som output directory", |staging| {
        for (file, bytes) in files {
            let p = staging.join(file);
            // A file in a subfolder (charts/…): the folder first.
            if let Some(dir) = p.parent().filter(|d| *d != staging) {
                std::fs::create_dir_all(dir).map_err(|e| Error::Write {
                    path: dir.to_path_buf(),
                    message: e.to_string(),
                })?;
            }
            std::fs::write(&p, bytes).map_err(|e| Error::Write {
                path: p.clone(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    })
}

/// Fill a directory whole or not at all: `fill` writes into a staging directory beside `dir`,
/// which is then renamed into place (an earlier `dir` is moved aside first and removed after).
/// An existing `dir` is replaced only if it is empty or holds `marker` — a file that only som's
/// own output of this kind (`what`) has; anything else is refused.
pub fn write_dir_whole<T>(
    dir: &Path,
    marker: &str,
    what: &str,
    fill: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let werr = |path: &Path, e: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Error::Write {
                path: dir.to_path_buf(),
                message: "exists and is not a directory; choose another --out".into(),
            });
        }
        let empty = std::fs::read_dir(dir)
            .map_err(|e| werr(dir, e))?
            .next()
            .is_none();
        if !empty && !dir.join(marker).exists() {
            return Err(Error::Write {
                path: dir.to_path_buf(),
                message: format!(
                    "exists, is not empty and is not {what} (no {marker}); choose another --out"
                ),
            });
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| werr(&parent, e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| {
        std::fs::create_dir(&staging).map_err(|e| werr(&staging, e))?;
        let value = fill(&staging)?;
        if dir.exists() {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(dir, &old).map_err(|e| werr(dir, e))?;
            if let Err(e) = std::fs::rename(&staging, dir) {
                let _ = std::fs::rename(&old, dir);
                return Err(werr(dir, e));
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&staging, dir).map_err(|e| werr(dir, e))?;
        }
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_replace_a_foreign_directory() {
        let base = std::env::temp_dir().join(format!("som-io-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let out = base.join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("precious.txt"), "keep").unwrap();
        let files = vec![("a.txt".to_string(), b"x".to_vec())];
        assert!(write_outputs(&out, &files).is_err());
        assert_eq!(
            std::fs::read_to_string(out.join("precious.txt")).unwrap(),
            "keep"
        );
        // A som output directory is replaced whole.
        let out2 = base.join("out2");
        let files2 = vec![
            (MANIFEST.to_string(), b"{}".to_vec()),
            ("b.txt".to_string(), b"y".to_vec()),
        ];
        write_outputs(&out2, &files2).unwrap();
        write_outputs(&out2, &[(MANIFEST.to_string(), b"{}".to_vec())]).unwrap();
        assert!(!out2.join("b.txt").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
