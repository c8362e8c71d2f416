//! A bounded fuzz run of every reader in the test command, and every saved finding replayed.
//!
//! Each target of `som_fuzz::TARGETS` runs for `SOM_FUZZ_SECONDS` seconds (default 30) on
//! inputs made from the bundled files by structure-aware mutations: numbers swapped for the
//! values that break readers (NaN, infinities, 1e308, −1, huge integers), lines deleted,
//! duplicated and spliced between files, sections and fields added, quotes, separators and
//! bytes changed. An input fails the run when its reader panics, takes longer than
//! `SOM_FUZZ_SLOW_MS` (default 2,000 ms in a test build), or asks for one allocation over
//! 2 GiB; failing inputs are written to `target/fuzz-findings/<target>/` (and, to keep them,
//! copied to `fuzz/regressions/<target>/`, which the last test replays). Mutations are
//! seeded (`SOM_FUZZ_SEED`, default fixed), so a run is repeatable.
//!
//! The coverage-guided long runs (libFuzzer) drive the same harnesses: `docs/fuzzing.md`.

mod common;
use common::root;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One allocation larger than this is a finding: no reader should ask for it on a small input.
const ALLOC_CAP: usize = 2 << 30;

/// Refuses (and so aborts the process on) any single allocation over [`ALLOC_CAP`], after
/// saying which input asked for it.
struct Capped;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > ALLOC_CAP {
            LARGEST.store(layout.size(), Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > ALLOC_CAP {
            LARGEST.store(new_size, Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Capped = Capped;

/// A small, seeded generator (SplitMix64): the run repeats for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Numbers and words that have broken readers, or might.
const NUMBERS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "+inf",
    "1e308",
    "-1e308",
    "1e16",
    "-1",
    "0",
    "-0",
    "1",
    "2",
    "0.5",
    "1e-320",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "65536",
    "4294967296",
    "1e15",
    "999999999999",
    "NaN",
    "Infinity",
    "1.7976931348623157e308",
];
const WORDS: &[&str] = &[
    "\"\"",
    "\"010180-1234\"",
    "\"1502851234\"",
    "\"a b\"",
    "\"<script>\"",
    "[]",
    "{}",
    "\"../../etc/passwd\"",
    "\"/dev/zero\"",
    "true",
    "\"nan\"",
    "\"0751\"",
    "\"x\\u0000y\"",
];
const LINES: &[&str] = &[
    "[budget]\nyears = 3",
    "[persistence]\nprofile = []",
    "[[correlation]]\ninputs = [\"success.net\", \"success.net\"]\nrho = 0.5",
    "[sensitivity]\nswitching = [\"nope\"]",
    "horizon = 200",
    "horizon = 0",
    "first_year = -2147483648",
    "[discounting]\nrate = -1",
    "[[cohort]]\nstart = 2026\nparticipants = 1e308",
    "[estimates]\nfile = \"/dev/zero\"",
    "[catalogues]\nprices = \"/dev/zero\"",
    "covariates = []",
    "exact = []",
    "replicates = 0",
    "\"unclosed,quote",
    "010180-1234;751;1980;F;family;1;1;2021-03-15",
    "P000,751,1980,F,family,1,1,99-99-9999",
    "P000,1900-01,5.28.22,1,1e308",
    "P000,2100-12,5.28.22,1,-inf",
];

/// A structure-aware mutation of `seed` (text when it is text), with `others` to splice from.
fn mutate(rng: &mut Rng, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let text = std::str::from_utf8(seed).ok();
    let rounds = 1 + rng.below(4);
    let mut out = seed.to_vec();
    for _ in 0..rounds {
        out = match (text.is_some(), rng.below(10)) {
            (true, 0..=2) => replace_token(rng, &out),
            (true, 3) => line_edit(rng, &out, others),
            (true, 4) => {
                let mut v = out.clone();
                let at = line_start(rng, &v);
                let l = rng.pick(LINES);
                v.splice(at..at, format!("{l}\n").into_bytes());
                v
            }
            (_, 5) => {
                // Splice: a stretch of another input.
                let o = rng.pick(others);
                if o.is_empty() {
                    out
                } else {
                    let (a, b) = (rng.below(o.len()), rng.below(o.len()));
                    let (a, b) = (a.min(b), a.max(b).min(a + 4096));
                    let mut v = out.clone();
                    let at = rng.below(v.len() + 1);
                    v.splice(at..at, o[a..b].iter().copied());
                    v
                }
            }
            (_, 6) if !out.is_empty() => {
                let mut v = out.clone();
                let (a, b) = (rng.below(v.len()), rng.below(v.len()));
                let (a, b) = (a.min(b), a.max(b).min(a + 64));
                v.drain(a..b);
                v
            }
            (_, 7) if !out.is_empty() => {
                let mut v = out.clone();
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(v.len());
                    v[i] = match rng.below(4) {
                        0 => v[i] ^ (1 << rng.below(8)),
                        1 => *rng.pick(&[0u8, 0xFF, b'"', b',', b';', b'\n', b'\t', 0x7F, b'0']),
                        _ => rng.next() as u8,
                    };
                }
                v
            }
            (_, 8) if !out.is_empty() => {
                // A stretch repeated (larger inputs, repeated rows and sections).
                let mut v = out.clone();
                let (a, b) = (rng.below(v.len()), rng.below(v.len()));
                let (a, b) = (a.min(b), a.max(b).min(a + 512));
                let piece = v[a..b].to_vec();
                for _ in 0..1 + rng.below(16) {
                    v.splice(b..b, piece.iter().copied());
                }
                v
            }
            _ => {
                let mut v = out.clone();
                let at = rng.below(v.len() + 1);
                let junk: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
                v.splice(at..at, junk);
                v
            }
        };
        if out.len() > 1 << 20 {
            out.truncate(1 << 20);
        }
    }
    out
}

fn line_start(rng: &mut Rng, v: &[u8]) -> usize {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            v.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    *rng.pick(&starts)
}

/// A number or a quoted string of the text, replaced by a value that breaks readers.
fn replace_token(rng: &mut Rng, v: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(v).into_owned();
    let bytes = s.as_bytes();
    // Token starts: a digit after a non-alphanumeric byte, or a quote.
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| {
            (bytes[i].is_ascii_digit() || bytes[i] == b'-')
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'.')
                || bytes[i] == b'"'
        })
        .collect();
    if starts.is_empty() {
        return v.to_vec();
    }
    let a = *rng.pick(&starts);
    let end = if bytes[a] == b'"' {
        s[a + 1..].find('"').map_or(s.len(), |k| a + k + 2)
    } else {
        a + s[a..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')))
            .unwrap_or(s.len() - a)
    };
    let with = if rng.below(3) == 0 {
        rng.pick(WORDS).to_string()
    } else {
        rng.pick(NUMBERS).to_string()
    };
    format!("{}{with}{}", &s[..a], &s[end..]).into_bytes()
}

/// A line deleted, duplicated, or taken from another input.
fn line_edit(rng: &mut Rng, v: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let s = String::from_utf8_lossy(v);
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return v.to_vec();
    }
    let i = rng.below(lines.len());
    match rng.below(3) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            for _ in 0..1 + rng.below(3) {
                lines.insert(i, l.clone());
            }
        }
        _ => {
            let o = String::from_utf8_lossy(rng.pick(others).as_slice()).into_owned();
            let ol: Vec<&str> = o.lines().collect();
            if !ol.is_empty() {
                lines.insert(i, ol[rng.below(ol.len())].to_string());
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn tomls(dir: &str) -> Vec<Vec<u8>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v.iter().map(|p| read(p)).collect()
}

/// A table as Parquet bytes, from CSV text.
fn parquet_of(csv: &str) -> Vec<u8> {
    use polars_io::SerReader;
    use polars_io::parquet::write::ParquetWriter;
    let mut df = polars_io::csv::read::CsvReadOptions::default()
        .with_has_header(true)
        .into_reader_with_file_handle(std::io::Cursor::new(csv.as_bytes().to_vec()))
        .finish()
        .unwrap();
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(&mut df).unwrap();
    out
}

/// The seeds of a target: the bundled files it reads, each with its selector byte where the
/// target has one.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let with = |b: u8, v: Vec<u8>| {
        let mut out = vec![b];
        out.extend(v);
        out
    };
    let persons = som_fuzz::PERSONS_CSV.to_string();
    let services = som_fuzz::services_csv();
    match target {
        "scenario" => {
            let mut v = tomls("models");
            v.extend(tomls("models/examples"));
            v
        }
        "catalogue" => [
            "prices-dk",
            "price-index-dk",
            "discount-schedules",
            "departments-dk",
            "refusion-dk",
        ]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            with(
                i as u8,
                read(&root().join(format!("models/catalogues/{n}.toml"))),
            )
        })
        .collect(),
        "study" => tomls("models/studies"),
        "estimates" => {
            let d = root().join("datasets/synthetic-small-estimates");
            let mut both = read(&d.join("estimates.json"));
            both.push(0);
            both.extend(read(&d.join("bootstrap.parquet")));
            vec![read(&d.join("estimates.json")), both]
        }
        "csv" => vec![
            with(0, persons.clone().into_bytes()),
            with(1, services.clone().into_bytes()),
            with(0, persons.replace(',', ";").into_bytes()),
            with(1, services.replace(',', ";").replace('.', ",").into_bytes()),
        ],
        "parquet" => vec![
            with(0, parquet_of(&persons)),
            with(1, parquet_of(&services)),
        ],
        "xlsx" => {
            let dir = std::env::temp_dir().join(format!("som-fuzz-seeds-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let rows = |t: &str| -> Vec<Vec<String>> {
                t.lines()
                    .map(|l| l.split(',').map(str::to_string).collect())
                    .collect()
            };
            let mut out = Vec::new();
            for (b, t) in [(0u8, &persons), (1, &services)] {
                let p = dir.join(format!("seed{b}.xlsx"));
                common::xlsx(&p, "persons", &rows(t), None);
                out.push(with(b, read(&p)));
            }
            out
        }
        other => panic!("no seeds for {other}"),
    }
}

fn findings_dir(target: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("../fuzz-findings")
        .join(target);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Run `target` for the time budget; the findings, if any, in the panic message.
fn run(name: &str) {
    let target = som_fuzz::TARGETS
        .iter()
        .find(|t| t.0 == name)
        .map(|t| t.1)
        .unwrap();
    let seconds = env_or("SOM_FUZZ_SECONDS", 30);
    let slow = Duration::from_millis(env_or("SOM_FUZZ_SLOW_MS", 2_000));
    let mut rng = Rng(env_or("SOM_FUZZ_SEED", 0x5eed)
        ^ name.len() as u64
        ^ (name.as_bytes()[0] as u64) << 32);
    let seeds = seeds(name);
    let out = findings_dir(name);
    // The input under way, so that one that aborts the process is not lost.
    let current = out.join("current");
    static SILENT: std::sync::Once = std::sync::Once::new();
    SILENT.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let start = Instant::now();
    let (mut runs, mut findings) = (0u64, Vec::new());
    // A watchdog: an input still running after a minute is a hang; the process is stopped,
    // the input kept in `current`.
    let busy = std::sync::Arc::new(AtomicU64::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let (busy, done) = (busy.clone(), done.clone());
        let (current, name) = (current.clone(), name.to_string());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let since = busy.load(Ordering::Relaxed);
                let now = start.elapsed().as_millis() as u64 + 1;
                if since > 0 && now.saturating_sub(since) > 60_000 {
                    eprintln!(
                        "fuzz {name}: an input has run for over 60 s (a hang); it is in {}",
                        current.display()
                    );
                    std::process::abort();
                }
            }
        })
    };
    // Every seed as it is, then mutations until the budget is spent.
    let mut i = 0usize;
    while start.elapsed() < Duration::from_secs(seconds) || i < seeds.len() {
        let input = if i < seeds.len() {
            seeds[i].clone()
        } else {
            let s = rng.pick(&seeds).clone();
            mutate(&mut rng, &s, &seeds)
        };
        i += 1;
        let _ = std::fs::write(&current, &input);
        let t0 = Instant::now();
        busy.store(start.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        let outcome = std::panic::catch_unwind(|| target(&input));
        busy.store(0, Ordering::Relaxed);
        let took = t0.elapsed();
        runs += 1;
        let why = match outcome {
            Err(_) => Some("panic"),
            Ok(()) if took > slow => Some("slow"),
            Ok(()) => None,
        };
        if let Some(why) = why {
            let hash = som_core::source::Source::new("x", String::from_utf8_lossy(&input)).sha256();
            let file = out.join(format!("{why}-{}", &hash[..16]));
            std::fs::write(&file, &input).unwrap();
            findings.push(format!(
                "{why} ({} ms): {}",
                took.as_millis(),
                file.display()
            ));
            if findings.len() >= 10 {
                break;
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    let _ = std::fs::remove_file(&current);
    println!(
        "fuzz {name}: {runs} inputs in {:.1} s ({:.0}/s), {} findings, largest refused allocation {} bytes",
        start.elapsed().as_secs_f64(),
        runs as f64 / start.elapsed().as_secs_f64(),
        findings.len(),
        LARGEST.load(Ordering::Relaxed)
    );
    assert!(findings.is_empty(), "fuzz {name}: {}", findings.join("\n"));
    assert!(runs >= seeds.len() as u64);
}

#[test]
fn fuzz_scenario() {
    run("scenario");
}

#[test]
fn fuzz_catalogue() {
    run("catalogue");
}

#[test]
fn fuzz_study() {
    run("study");
}

#[test]
fn fuzz_estimates() {
    run("estimates");
}

#[test]
fn fuzz_csv() {
    run("csv");
}

#[test]
fn fuzz_parquet() {
    run("parquet");
}

#[test]
fn fuzz_xlsx() {
    run("xlsx");
}

/// Every finding kept in `fuzz/regressions/<target>/` runs without a panic, fast.
#[test]
fn saved_findings_stay_fixed() {
    let mut replayed = 0;
    for (name, target) in som_fuzz::TARGETS {
        let dir = root().join("fuzz/regressions").join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let input = read(&p);
            let t0 = Instant::now();
            let r = std::panic::catch_unwind(|| target(&input));
            assert!(r.is_ok(), "{} panics", p.display());
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "{} takes {:?}",
                p.display(),
                t0.elapsed()
            );
            replayed += 1;
        }
    }
    println!("{replayed} saved findings replayed");
}

/// The mutations are what they say: numbers replaced, lines edited, seeded.
#[test]
fn mutations_are_seeded_and_structure_aware() {
    let seed = b"a = 1\nb = \"x\"\n[c]\nd = 2.5\n".to_vec();
    let mut r1 = Rng(7);
    let mut r2 = Rng(7);
    let a: Vec<Vec<u8>> = (0..50)
        .map(|_| mutate(&mut r1, &seed, std::slice::from_ref(&seed)))
        .collect();
    let b: Vec<Vec<u8>> = (0..50)
        .map(|_| mutate(&mut r2, &seed, std::slice::from_ref(&seed)))
        .collect();
    assert_eq!(a, b);
    assert!(a.iter().any(|m| m != &seed));
    let mut r = Rng(1);
    let swapped: Vec<String> = (0..200)
        .map(|_| String::from_utf8_lossy(&replace_token(&mut r, &seed)).into_owned())
        .collect();
    assert!(
        swapped
            .iter()
            .any(|s| s.contains("nan") || s.contains("1e308"))
    );
}

/// Run one input with its panic shown: `SOM_FUZZ_REPLAY=<target>:<file> cargo test --test fuzz
/// replay -- --ignored --nocapture`.
#[test]
#[ignore]
fn replay() {
    let spec = std::env::var("SOM_FUZZ_REPLAY").expect("SOM_FUZZ_REPLAY=<target>:<file>");
    let (name, file) = spec.split_once(':').unwrap();
    let target = som_fuzz::TARGETS
        .iter()
        .find(|t| t.0 == name)
        .map(|t| t.1)
        .unwrap();
    let input = read(Path::new(file));
    let t0 = Instant::now();
    target(&input);
    println!("{name}: {} bytes, {:?}", input.len(), t0.elapsed());
}

/// Write every target's seeds to `$SOM_FUZZ_CORPUS/<target>/` (the long runs' corpus:
/// `.ci/fuzz-long`), or to a scratch folder: every target gets seeds, written as made.
#[test]
fn write_seeds() {
    let dir = std::env::var("SOM_FUZZ_CORPUS").map_or_else(
        |_| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-seeds"),
        PathBuf::from,
    );
    for (name, _) in som_fuzz::TARGETS {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        let made = seeds(name);
        assert!(!made.is_empty(), "no seeds for target {name}");
        for (i, s) in made.iter().enumerate() {
            let f = d.join(format!("seed-{i}"));
            std::fs::write(&f, s).unwrap();
            assert_eq!(&std::fs::read(&f).unwrap(), s, "{}", f.display());
        }
    }
}
