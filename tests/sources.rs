//! What users read is true: the bundled models and catalogues cite only what a reader can find.
//!
//! Every `*.toml` under `models/` is read line by line, comments and strings alike (a `source` is
//! shown in the report's table of assumptions, a description at the top of the report, a comment
//! to whoever opens the file), and the test fails, naming file and line, where the text points
//! to a file outside the repository:
//!
//! - a path with `../` that leaves the repository or names nothing in it (`#:schema
//!   ../docs/scenario.schema.json` and `file = "../datasets/…"` are in the repository and pass);
//! - the developers' background files, which are not part of som: `seeds/`, `reference/README`,
//!   `shared/`, "reference sheet", or a `*.txt` file name;
//! - an absolute path (`/…`, `~/…`).
//!
//! A source names the public document instead: publisher or author, title, year, and the section
//! or table where known. Every `source = "…"` must also say something: an empty source is a figure
//! without one.

use std::path::{Component, Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.toml` file under `dir`, recursively, in name order.
fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// Names of the developers' background files (compared in lower case).
const OUTSIDE: [&str; 4] = ["seeds/", "reference/readme", "shared/", "reference sheet"];

/// A character that ends a path-like word in prose, TOML strings and comments.
fn separator(c: char) -> bool {
    c.is_whitespace() || "\"'`(),;[]{}<>".contains(c)
}

/// `rel` taken from the folder `dir`, with `..` resolved by name (nothing needs to exist).
fn resolve(dir: &Path, rel: &str) -> PathBuf {
    let mut p = dir.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => {
                p.pop();
            }
            Component::Normal(x) => p.push(x),
            _ => {}
        }
    }
    p
}

/// What is wrong in `text`, the contents of `file`: one `line: problem` a finding.
fn problems(file: &Path, text: &str) -> Vec<String> {
    let repo = root();
    let dir = file.parent().unwrap();
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let lower = line.to_lowercase();
        for name in OUTSIDE {
            if lower.contains(name) {
                found.push(format!(
                    "{n}: names `{name}`, a file that is not part of som: {}",
                    line.trim()
                ));
            }
        }
        for word in line.split(separator) {
            let word = word.trim_end_matches(['.', ',', ':', ';', '!', '?']);
            if word.is_empty() {
                continue;
            }
            if word.contains("../") {
                let target = resolve(dir, word);
                if !target.starts_with(&repo) || !target.exists() {
                    found.push(format!("{n}: `{word}` is not a path inside the repository"));
                }
            }
            let absolute = word.starts_with("~/")
                || word.strip_prefix('/').is_some_and(|r| {
                    r.starts_with(|c: char| c.is_alphanumeric() || "._~".contains(c))
                });
            if absolute {
                found.push(format!("{n}: `{word}` is an absolute path"));
            }
            if word.len() > 4 && word.to_lowercase().ends_with(".txt") {
                found.push(format!(
                    "{n}: `{word}` names a text file that is not part of som"
                ));
            }
        }
    }
    found.extend(empty_sources(text));
    found
}

/// `source = …` keys whose string is empty or blank, by line.
fn empty_sources(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, key) in text.match_indices("source") {
        // `line_source`, `discount_source`, `sources` are other keys or words.
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            continue;
        }
        let rest = text[at + key.len()..].trim_start_matches([' ', '\t']);
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        let content = if let Some(r) = rest.strip_prefix("\"\"\"") {
            r.split("\"\"\"").next().unwrap_or("")
        } else if let Some(r) = rest.strip_prefix("'''") {
            r.split("'''").next().unwrap_or("")
        } else if let Some(r) = rest.strip_prefix('"') {
            basic_string(r)
        } else if let Some(r) = rest.strip_prefix('\'') {
            r.split(['\'', '\n']).next().unwrap_or("")
        } else {
            continue;
        };
        if content.trim().is_empty() {
            let line = text[..at].matches('\n').count() + 1;
            found.push(format!(
                "{line}: `source` is empty: a figure without a source"
            ));
        }
    }
    found
}

/// The contents of a basic string, `s` starting after its opening quote, up to its closing quote.
fn basic_string(s: &str) -> &str {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' || c == '\n' {
            return &s[..i];
        }
    }
    s
}

#[test]
fn bundled_models_cite_only_what_a_reader_can_find() {
    let mut files = Vec::new();
    toml_files(&root().join("models"), &mut files);
    for f in [
        "models/families-one-plan.toml",
        "models/catalogues/prices-dk.toml",
        "models/examples/gmca-worked-example.toml",
    ] {
        assert!(files.iter().any(|p| p.ends_with(f)), "{f} not read");
    }
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.strip_prefix(root()).unwrap().display().to_string();
        found.extend(
            problems(f, &text)
                .into_iter()
                .map(|p| format!("{name}:{p}")),
        );
    }
    assert!(
        found.is_empty(),
        "sources a reader cannot find; cite the public document instead (publisher or author, \
         title, year, section or table):\n{}",
        found.join("\n")
    );
}

/// The check itself: what the bundled files once said is caught, and what they say now is not.
#[test]
fn the_check_catches_pointers_to_files_outside_the_repository() {
    let file = root().join("models/example.toml");
    let bad = [
        "# 1 July 2018 (seeds/002); coordination levels 1–3 (Billund, seeds/003).",
        "reference = \"reference/README.md: som's reference sheet (discounting)\"",
        "# (../shared/reference/README.md, \"A worked cost-benefit calculation\").",
        "x = { value = 6, source = \"scale from seeds/003_7361935c51e98c42.txt: Substans\" }",
        "x = { value = 1, source = \"notes in 003_7361935c51e98c42.txt\" }",
        "x = { value = 1, source = \"assumption: not in ../shared/reference\" }",
        "x = { value = 1, source = \"see ../../elsewhere/figures.csv\" }",
        "x = { value = 1, source = \"/work/notes/figures.csv\" }",
        "x = { value = 1, source = \"\" }",
        "x = { value = 1, source = \"  \" }",
        "x = { value = 1, source = '' }",
    ];
    for line in bad {
        assert!(!problems(&file, line).is_empty(), "not caught: {line}");
    }
    let good = [
        "#:schema ../docs/scenario.schema.json",
        "file = \"../datasets/synthetic-small-estimates/estimates.json\"",
        "x = { value = 1, source = \"Finansministeriet, 'Dokumentationsnotat – den \
         samfundsøkonomiske diskonteringsrente', 7 January 2021\" }",
        "x = { value = 1, source = \"as in models/examples/gmca-worked-example.toml; ±1/3; \
         830,000 kr./year; Greater Manchester / HM Treasury\" }",
        "discount_source = \"\"",
        "[sources]",
    ];
    for line in good {
        assert_eq!(problems(&file, line), Vec::<String>::new(), "{line}");
    }
}
