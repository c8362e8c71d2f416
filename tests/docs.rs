//! The outputs quoted in the README and in `docs/` are real: every block marked by a `check`
//! comment is produced again here, by running `som` on the files the document shows, and must
//! match. A change in what som prints fails this test until the document follows.
//!
//! The marks are HTML comments, invisible where the Markdown is read:
//!
//! ```text
//! <!-- file: family.toml -->          the next fenced block is the file family.toml
//! <!-- check
//! use family.toml                     copy a file shown earlier into the scratch folder
//! use family.toml as other.toml       … under another name
//! edit family.toml: OLD => NEW        replace OLD (once, exactly) by NEW in that copy
//! run som validate family.toml        the command whose output the next block quotes
//! show out/ledger.csv                 then a file the commands wrote
//! excerpt                             the block's lines appear in the output in this order
//! -->                                 ("…" lines stand for lines left out; a line ending
//!                                      in "…" for a printed line that starts with the rest)
//! ```
//!
//! A `console` block carries its commands itself, on `$ ` lines. Commands run in a scratch
//! folder where `models/` and `datasets/` are the repository's. The output compared is standard
//! output followed by standard error, trailing spaces removed.
//!
//! `SOM_DOCS_UPDATE=1 cargo test --test docs` writes the real outputs into the documents (exact
//! blocks only) instead of failing: read the difference before you commit it.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

const DOCUMENTS: &[&str] = &[
    "README.md",
    "docs/scenario-format.md",
    "docs/case-data.md",
    "docs/estimation.md",
    "docs/municipalities.md",
    "docs/python.md",
    "docs/scale-out.md",
    "docs/fuzzing.md",
];

#[derive(Default, Debug)]
struct Check {
    uses: Vec<(String, String)>,
    edits: Vec<(String, String, String)>,
    runs: Vec<Vec<String>>,
    shows: Vec<String>,
    excerpt: bool,
}

/// A fenced block: its first and last body line (0-based, exclusive end) and its info string.
struct Block {
    body: std::ops::Range<usize>,
    info: String,
}

fn block_at(lines: &[&str], i: usize) -> Option<Block> {
    let info = lines.get(i)?.strip_prefix("```")?.trim().to_string();
    let end = (i + 1..lines.len()).find(|&j| lines[j].trim_end() == "```")?;
    Some(Block {
        body: i + 1..end,
        info,
    })
}

/// The index of the next fence at or after `i`, over blank lines only.
fn next_fence(lines: &[&str], mut i: usize, doc: &str) -> usize {
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    assert!(
        i < lines.len() && lines[i].starts_with("```"),
        "{doc}:{}: a `file` or `check` mark must be followed by a fenced block",
        i + 1
    );
    i
}

fn parse_check(text: &str, doc: &str, line: usize) -> Check {
    let mut c = Check::default();
    for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let at = || format!("{doc}:{line}: check statement `{l}`");
        if let Some(rest) = l.strip_prefix("use ") {
            let (from, to) = match rest.split_once(" as ") {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (rest.trim(), rest.trim()),
            };
            c.uses.push((from.to_string(), to.to_string()));
        } else if let Some(rest) = l.strip_prefix("edit ") {
            let (file, change) = rest.split_once(": ").unwrap_or_else(|| panic!("{}", at()));
            let (old, new) = change
                .split_once(" => ")
                .unwrap_or_else(|| panic!("{}", at()));
            c.edits
                .push((file.to_string(), unescape(old), unescape(new)));
        } else if let Some(rest) = l.strip_prefix("run ") {
            c.runs.push(words(rest));
        } else if let Some(rest) = l.strip_prefix("show ") {
            c.shows.push(rest.trim().to_string());
        } else if l == "excerpt" {
            c.excerpt = true;
        } else {
            panic!("{}: not understood", at());
        }
    }
    c
}

/// `\n` in an edit stands for a line break.
fn unescape(s: &str) -> String {
    s.replace("\\n", "\n")
}

/// A command line split on spaces; a 'quoted part' stays one word.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in s.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            _ => {
                cur.push(ch);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn run_in(dir: &Path, argv: &[String], doc: &str, line: usize) -> String {
    assert_eq!(
        argv.first().map(String::as_str),
        Some("som"),
        "{doc}:{line}: a checked command starts with `som`"
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_som"))
        .args(&argv[1..])
        .current_dir(dir)
        .env_remove("SOM_PSEUDONYM_KEY")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .expect("the som binary runs");
    let mut text = stdout(&o);
    text.push_str(&stderr(&o));
    tidy(&text)
}

fn tidy(text: &str) -> String {
    let mut s: String = text
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    while s.ends_with('\n') {
        s.pop();
    }
    s.trim_start_matches('\n').to_string()
}

fn scratch_for(doc: &str, line: usize) -> std::path::PathBuf {
    let d = scratch(&format!("docs-{}-{line}", doc.replace('/', "-")));
    for shared in ["models", "datasets"] {
        std::os::unix::fs::symlink(root().join(shared), d.join(shared)).unwrap();
    }
    d
}

/// Whether `want`'s lines appear in `got` in order; a line of "…" stands for any lines.
fn is_excerpt(want: &str, got: &str) -> bool {
    let got: Vec<&str> = got.lines().collect();
    let mut at = 0;
    for w in want.lines().map(str::trim_end) {
        if w.trim() == "…" || w.trim().is_empty() {
            continue;
        }
        // A quoted line cut short with "…" matches a printed line that starts with the rest.
        let fits = |g: &&str| match w.strip_suffix('…') {
            Some(head) => g.starts_with(head),
            None => *g == w,
        };
        match got[at..].iter().position(fits) {
            Some(k) => at += k + 1,
            None => return false,
        }
    }
    true
}

struct Outcome {
    checked: usize,
    failures: Vec<String>,
}

fn check_document(doc: &str, update: bool) -> Outcome {
    let path = root().join(doc);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    // Replacements of block bodies, applied at the end in update mode.
    let mut replace: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut out = Outcome {
        checked: 0,
        failures: Vec::new(),
    };
    // First the files the document shows, so that a check may quote an error before the file.
    for (i, l) in lines.iter().enumerate() {
        if let Some(name) = l
            .trim()
            .strip_prefix("<!-- file:")
            .and_then(|r| r.strip_suffix("-->"))
        {
            let f = next_fence(&lines, i + 1, doc);
            let b = block_at(&lines, f).unwrap();
            let mut body = lines[b.body.clone()].join("\n");
            body.push('\n');
            let name = name.trim().to_string();
            assert!(
                files.insert(name.clone(), body).is_none(),
                "{doc}:{}: a second file `{name}`",
                i + 1
            );
        }
    }
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if let Some(rest) = l.strip_prefix("<!-- check") {
            let start = i;
            let mut spec = rest.to_string();
            while !spec.contains("-->") {
                i += 1;
                assert!(i < lines.len(), "{doc}:{}: unclosed check", start + 1);
                spec.push('\n');
                spec.push_str(lines[i]);
            }
            let spec = spec.split("-->").next().unwrap();
            let c = parse_check(spec, doc, start + 1);
            let f = next_fence(&lines, i + 1, doc);
            let b = block_at(&lines, f).unwrap();
            let dir = scratch_for(doc, start + 1);
            for (from, to) in &c.uses {
                let body = files.get(from).cloned().unwrap_or_else(|| {
                    std::fs::read_to_string(root().join(from)).unwrap_or_else(|_| {
                        panic!("{doc}:{}: no file `{from}` shown before", start + 1)
                    })
                });
                std::fs::write(dir.join(to), body).unwrap();
            }
            for (file, old, new) in &c.edits {
                let p = dir.join(file);
                let body = std::fs::read_to_string(&p).unwrap();
                assert_eq!(
                    body.matches(old.as_str()).count(),
                    1,
                    "{doc}:{}: `{old}` must occur once in {file}",
                    start + 1
                );
                std::fs::write(&p, body.replacen(old.as_str(), new, 1)).unwrap();
            }
            let want = tidy(&lines[b.body.clone()].join("\n"));
            let got = if b.info == "console" {
                assert!(
                    c.runs.is_empty(),
                    "{doc}:{}: a console block carries its commands",
                    start + 1
                );
                let mut parts = Vec::new();
                for (k, l) in lines[b.body.clone()].iter().enumerate() {
                    if let Some(cmd) = l.strip_prefix("$ ") {
                        let output = run_in(&dir, &words(cmd), doc, b.body.start + k + 1);
                        parts.push(format!("$ {cmd}\n{output}"));
                    }
                }
                assert!(
                    !parts.is_empty(),
                    "{doc}:{}: a console block without `$ ` lines",
                    start + 1
                );
                parts.join("\n\n")
            } else {
                assert!(
                    !c.runs.is_empty(),
                    "{doc}:{}: a check without `run`",
                    start + 1
                );
                c.runs
                    .iter()
                    .map(|r| run_in(&dir, r, doc, start + 1))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let mut got = got;
            for f in &c.shows {
                let body = std::fs::read_to_string(dir.join(f))
                    .unwrap_or_else(|e| panic!("{doc}:{}: cannot read {f}: {e}", start + 1));
                got.push('\n');
                got.push_str(&tidy(&body));
            }
            let same = if c.excerpt {
                is_excerpt(&want, &got)
            } else {
                want == got
            };
            out.checked += 1;
            if !same {
                if update && !c.excerpt {
                    replace.push((b.body.clone(), got));
                } else {
                    out.failures.push(format!(
                        "{doc}:{}: the quoted output differs from what som prints{}.\n--- quoted\n{want}\n--- printed\n{got}\n",
                        b.body.start,
                        if c.excerpt { " (an excerpt: every quoted line must be printed, in order)" } else { "" }
                    ));
                }
            }
            i = b.body.end + 1;
            continue;
        }
        i += 1;
    }
    if !replace.is_empty() {
        let mut new: Vec<String> = Vec::new();
        let mut at = 0;
        for (range, got) in &replace {
            new.extend(lines[at..range.start].iter().map(|s| s.to_string()));
            new.extend(got.lines().map(str::to_string));
            at = range.end;
        }
        new.extend(lines[at..].iter().map(|s| s.to_string()));
        let mut body = new.join("\n");
        body.push('\n');
        std::fs::write(&path, body).unwrap();
        eprintln!("{doc}: {} block(s) rewritten", replace.len());
    }
    out
}

#[test]
fn documented_outputs_are_what_som_prints() {
    let update = std::env::var_os("SOM_DOCS_UPDATE").is_some();
    let mut checked = 0;
    let mut failures = Vec::new();
    for doc in DOCUMENTS {
        let o = check_document(doc, update);
        checked += o.checked;
        failures.extend(o.failures);
    }
    assert!(
        failures.is_empty(),
        "{}\n{} of {checked} quoted outputs differ; `SOM_DOCS_UPDATE=1 cargo test --test docs` rewrites the exact ones",
        failures.join("\n"),
        failures.len()
    );
    assert!(checked >= 12, "only {checked} outputs are checked");
}

#[test]
fn excerpts_match_in_order() {
    let got = "a\nb\nc\nd";
    assert!(is_excerpt("a\n…\nc", got));
    assert!(is_excerpt("b\nd", got));
    assert!(!is_excerpt("c\nb", got));
    assert!(!is_excerpt("a\nx", got));
    assert!(is_excerpt("error: x…", "error: x, y and z"));
    assert!(!is_excerpt("error: y…", "error: x, y and z"));
}

#[test]
fn command_words_keep_quoted_parts() {
    assert_eq!(
        words("som run 'my file.toml' --out x"),
        vec!["som", "run", "my file.toml", "--out", "x"]
    );
}
