//! The file-system edge of som: every input file is opened here, and every set of outputs is
//! written here.
//!
//! **Inputs** are only ever read. Each path must name a regular file (a symbolic link is
//! followed; a directory, a named pipe, a device or a socket is refused, so `/dev/zero` or a
//! pipe can neither exhaust memory nor block), of at most the size its kind allows ([`Cap`]);
//! what is read is bounded by the same cap, should the file grow while it is read. Every error
//! names the file and says what is expected.
//!
//! **Outputs** are written whole or not at all: staged in a sibling directory and moved into
//! place in one rename.

use som_core::error::{Error, Result};
use som_core::source::Source;
use som_core::summary::MANIFEST;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest input of a kind, in bytes. Inputs are read as a whole (text, Excel, CSV) or in
/// slices (Parquet); the caps keep a wrong path or a hostile file from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    /// What the file is, for the message: "a scenario or catalogue", "a CSV table", …
    pub what: &'static str,
    pub bytes: u64,
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// A scenario, a catalogue, a study, a list of municipalities, `dataset.toml` or
/// `estimates.json`: text written by hand or by som, far below this.
pub const TEXT: Cap = Cap {
    what: "a text input (scenario, catalogue, study, list, estimates)",
    bytes: 64 * MIB,
};
/// A key file of `som pseudonymize` and `--key-file`.
pub const KEY: Cap = Cap {
    what: "a key file",
    bytes: 64 * 1024,
};
/// A case-data table as CSV, read whole into memory before it is parsed.
pub const CSV: Cap = Cap {
    what: "a CSV table",
    bytes: 8 * GIB,
};
/// A case-data table as an Excel workbook (zipped XML: what it unpacks to is capped again by
/// the Excel reader).
pub const EXCEL: Cap = Cap {
    what: "an Excel workbook",
    bytes: 256 * MIB,
};
/// The bootstrap replicates beside an estimates file (`bootstrap.parquet`), read whole.
pub const BOOTSTRAP: Cap = Cap {
    what: "bootstrap replicates",
    bytes: 2 * GIB,
};
/// A case-data table as Parquet, read in slices of row groups.
pub const PARQUET: Cap = Cap {
    what: "a Parquet table",
    bytes: 64 * GIB,
};

fn read_error(path: &Path, kind: std::io::ErrorKind, message: String) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(kind, message),
    }
}

/// What a file-system error means for an input, in words: a loop of symbolic links is said as
/// such (not "no such file").
fn io_error(path: &Path, e: std::io::Error) -> Error {
    const ELOOP: i32 = 40;
    if e.raw_os_error() == Some(ELOOP) {
        return read_error(
            path,
            e.kind(),
            "its symbolic links form a loop; expected a regular file".into(),
        );
    }
    Error::Read {
        path: path.to_path_buf(),
        source: e,
    }
}

/// Check that `path` is a regular file of at most `cap` bytes; its size.
pub fn check_input(path: &Path, cap: Cap) -> Result<u64> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let is = if kind.is_dir() {
            "a directory"
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileTypeExt;
                if kind.is_fifo() {
                    "a named pipe"
                } else if kind.is_char_device() || kind.is_block_device() {
                    "a device"
                } else if kind.is_socket() {
                    "a socket"
                } else {
                    "not a regular file"
                }
            }
            #[cfg(not(unix))]
            {
                "not a regular file"
            }
        };
        return Err(read_error(
            path,
            std::io::ErrorKind::InvalidInput,
            format!("is {is}; expected {}, a regular file", cap.what),
        ));
    }
    if meta.len() > cap.bytes {
        return Err(too_big(path, cap));
    }
    Ok(meta.len())
}

fn too_big(path: &Path, cap: Cap) -> Error {
    read_error(
        path,
        std::io::ErrorKind::InvalidData,
        format!(
            "is larger than som reads as {} ({} at most)",
            cap.what,
            size(cap.bytes)
        ),
    )
}

/// A size in the largest binary unit that divides it: `64 KiB`, `8 GiB`.
fn size(n: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (1024, "KiB")] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{} {name}", n / unit);
        }
    }
    format!("{n} bytes")
}

/// Open an input after [`check_input`]; reads through the handle should stay within the cap
/// (`Read::take`), as [`read_bytes`] does.
pub fn open_input(path: &Path, cap: Cap) -> Result<std::fs::File> {
    check_input(path, cap)?;
    std::fs::File::open(path).map_err(|e| io_error(path, e))
}

/// Read an input whole: a regular file of at most `cap` bytes, read no further than the cap.
pub fn read_bytes(path: &Path, cap: Cap) -> Result<Vec<u8>> {
    let size = check_input(path, cap)?;
    let f = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let mut bytes = Vec::with_capacity(size as usize);
    f.take(cap.bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > cap.bytes {
        return Err(too_big(path, cap));
    }
    Ok(bytes)
}

/// Read a text input (UTF-8, a byte-order mark dropped), naming it in every error.
pub fn read_source(path: &Path) -> Result<Source> {
    let bytes = read_bytes(path, TEXT)?;
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
    // The folders made for the output, outermost first, removed again if nothing is written.
    let made: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
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
        // Only folders left empty: a folder that holds anything stays.
        for m in &made {
            let _ = std::fs::remove_dir(m);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_must_be_regular_files_within_their_cap() {
        let base = std::env::temp_dir().join(format!("som-files-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let msg = |r: Result<Vec<u8>>| r.unwrap_err().to_string();
        // A device, a directory, a missing file.
        let m = msg(read_bytes(Path::new("/dev/zero"), TEXT));
        assert!(m.contains("/dev/zero") && m.contains("is a device"), "{m}");
        let m = msg(read_bytes(&base, TEXT));
        assert!(m.contains("is a directory; expected a text input"), "{m}");
        assert!(msg(read_bytes(&base.join("none.toml"), TEXT)).contains("none.toml"));
        // Over the cap: the message names the cap.
        let big = base.join("big.txt");
        std::fs::write(&big, vec![b'x'; 70 * 1024]).unwrap();
        let m = msg(read_bytes(&big, KEY));
        assert!(m.contains("(64 KiB at most)"), "{m}");
        assert_eq!(read_bytes(&big, TEXT).unwrap().len(), 70 * 1024);
        // A loop of symbolic links is said as such.
        #[cfg(unix)]
        {
            let (a, b) = (base.join("a.toml"), base.join("b.toml"));
            std::os::unix::fs::symlink(&b, &a).unwrap();
            std::os::unix::fs::symlink(&a, &b).unwrap();
            let m = msg(read_bytes(&a, TEXT));
            assert!(m.contains("symbolic links form a loop"), "{m}");
        }
        std::fs::remove_dir_all(&base).unwrap();
    }

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
