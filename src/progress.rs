//! Progress on standard error while a user waits: a bar that follows one of the engine's
//! counters (`engine::progress::Progress`: draws, bootstrap replicates, municipalities), or a
//! spinner for work that has no counter (reading case data, writing the outputs).
//!
//! Nothing is drawn when standard error is not a terminal (a pipe, a file, CI) or `--quiet` is
//! given. The engine only counts, so the results are the same bytes with or without a bar.

use engine::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

static QUIET: AtomicBool = AtomicBool::new(false);

/// No bars at all (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether bars are drawn: standard error is a terminal and `--quiet` was not given.
fn drawn() -> bool {
    !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// How often a bar looks at its counter.
const POLL: Duration = Duration::from_millis(100);

/// A bar or spinner on standard error until it is dropped (then it is cleared).
pub struct Bar {
    bar: Option<ProgressBar>,
    stop: Arc<AtomicBool>,
    poll: Option<JoinHandle<()>>,
}

impl Bar {
    /// A bar under `label` that follows `counter` up to `total` units of `unit` ("draws").
    pub fn counting(label: &str, total: usize, unit: &str, counter: Arc<Progress>) -> Bar {
        let stop = Arc::new(AtomicBool::new(false));
        if !drawn() || total == 0 {
            return Bar {
                bar: None,
                stop,
                poll: None,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit}, {{elapsed}} (about \
                 {{eta}} left)"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        let (b, s) = (bar.clone(), stop.clone());
        let poll = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                b.set_position(counter.done() as u64);
                std::thread::sleep(POLL);
            }
        });
        Bar {
            bar: Some(bar),
            stop,
            poll: Some(poll),
        }
    }

    /// A spinner under `label`, for work without a counter.
    pub fn spinner(label: &str) -> Bar {
        let stop = Arc::new(AtomicBool::new(false));
        if !drawn() {
            return Bar {
                bar: None,
                stop,
                poll: None,
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar {
            bar: Some(bar),
            stop,
            poll: None,
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(p) = self.poll.take() {
            let _ = p.join();
        }
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
