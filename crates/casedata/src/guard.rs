//! The third-party readers (polars' Parquet and CSV readers, calamine's Excel reader) can panic
//! on a damaged file: an index out of range deep in a decoder, found by fuzzing. [`guarded`]
//! runs one and turns a panic into a read error that names the file; the panic's own message,
//! which may quote the file's bytes, is never shown: the panic hook stays silent for a panic in
//! the thread of a guarded read or in polars' own worker threads while one is under way, and
//! passes every other panic to the hook it replaced.

use som_core::error::{Error, Result};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Guarded reads under way, in any thread.
static UNDER_WAY: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread is in a guarded read.
    static GUARDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a panic on this thread belongs to a guarded read: the read's own thread, or one of
/// polars' worker threads (named `polars-…`) while a guarded read is under way.
fn silent() -> bool {
    GUARDING.with(|g| g.get())
        || (UNDER_WAY.load(Ordering::SeqCst) > 0
            && std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("polars")))
}

fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !silent() {
                previous(info);
            }
        }));
    });
}

/// Run `read` (a third-party reader on `path`); a panic becomes an error saying the file is
/// damaged or not of its kind (`what`: "a Parquet file").
pub fn guarded<T>(path: &Path, what: &str, read: impl FnOnce() -> Result<T>) -> Result<T> {
    install_hook();
    UNDER_WAY.fetch_add(1, Ordering::SeqCst);
    let outer = GUARDING.with(|g| g.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    GUARDING.with(|g| g.set(outer));
    UNDER_WAY.fetch_sub(1, Ordering::SeqCst);
    r.unwrap_or_else(|_| {
        Err(Error::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a readable {what}: its contents are damaged or not of that kind"),
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_reader_is_a_read_error_naming_the_file() {
        let r: Result<()> = guarded(Path::new("x.parquet"), "Parquet file", || {
            let v: Vec<u8> = Vec::new();
            let _ = v[3];
            Ok(())
        });
        let m = r.unwrap_err().to_string();
        assert!(
            m.contains("x.parquet") && m.contains("not a readable Parquet file"),
            "{m}"
        );
        assert_eq!(guarded(Path::new("y"), "file", || Ok(5)).unwrap(), 5);
    }
}
