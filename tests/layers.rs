//! The layers hold, as `crates/layers.toml` declares them and ARCHITECTURE.md draws them:
//!
//! - no crate depends (dependencies, dev- and build-dependencies) on a crate above it;
//! - inside a crate, no module imports a module of a later step, but for the exceptions listed
//!   with their reason (each named in ARCHITECTURE.md, none unused);
//! - every source file of a crate is placed in one step, so a new file must be placed;
//! - what a crate must not do (`forbid`: the core opens no file and prints nothing) is absent
//!   from its source;
//! - ARCHITECTURE.md states every crate's invariant sentence as the manifest does.
//!
//! Imports are read from the source as the compiler resolves them: `crate::a::b` paths, `use
//! crate::{a, b::c}` groups and `super::` paths, resolved to the longest module-file prefix;
//! `#[cfg(test)]` modules and comments are left out.

mod common;
use common::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn layers() -> toml::Table {
    let text = std::fs::read_to_string(root().join("crates/layers.toml")).unwrap();
    text.parse().expect("crates/layers.toml parses")
}

fn crates(l: &toml::Table) -> Vec<String> {
    l["crates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn strings(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a file is: `a/b.rs` and `a/b/mod.rs` are `a/b`; `lib.rs` and `main.rs` are `lib`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    if parts.is_empty() {
        "lib".into()
    } else {
        parts.join("/")
    }
}

/// The source without comments and without `#[cfg(test)]` modules written inline.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        // A comment starts at `//` at the line's start or after a blank (not `://` in a URL).
        let cut = line
            .match_indices("//")
            .find(|(i, _)| *i == 0 || line[..*i].ends_with(char::is_whitespace))
            .map_or(line.len(), |(i, _)| i);
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    // Drop every `#[cfg(test)] mod name { … }` with its balanced braces.
    let mut s = out;
    while let Some(at) = s.find("#[cfg(test)]") {
        let rest = &s[at..];
        let Some(brace) = rest.find(['{', ';']) else {
            break;
        };
        if !rest[..brace].contains("mod ") || rest.as_bytes()[brace] == b';' {
            // An attribute on something else, or `mod tests;` (a file of its own, placed in
            // `tests`): drop the attribute only.
            s.replace_range(at..at + "#[cfg(test)]".len(), "");
            continue;
        }
        let mut depth = 0usize;
        let mut end = s.len();
        for (i, ch) in s[at + brace..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = at + brace + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        s.replace_range(at..end, "");
    }
    s
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The path segments after `prefix::` at every occurrence of `prefix` as a whole word.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        if code[..i].ends_with(is_ident) {
            continue;
        }
        let mut rest = &code[i + prefix.len()..];
        if let Some(body) = rest.strip_prefix("::{") {
            // A group: `crate::{a, b::c, d::{E, F}}`, its top-level items.
            let mut depth = 0i32;
            let mut item = String::new();
            for ch in body.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(segments(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            out.push(segments(&item));
            continue;
        }
        let mut segs = Vec::new();
        while let Some(r) = rest.strip_prefix("::") {
            let name: String = r.chars().take_while(|&c| is_ident(c)).collect();
            if name.is_empty() {
                break;
            }
            rest = &r[name.len()..];
            segs.push(name);
        }
        out.push(segs);
    }
    out
}

fn segments(item: &str) -> Vec<String> {
    item.split("::")
        .map(|s| s.trim().chars().take_while(|&c| is_ident(c)).collect())
        .take_while(|s: &String| !s.is_empty())
        .collect()
}

/// The module a path names: its longest prefix that is a module file.
fn resolve(modules: &BTreeSet<String>, segs: &[String]) -> Option<String> {
    (1..=segs.len())
        .rev()
        .map(|k| segs[..k].join("/"))
        .find(|m| modules.contains(m))
}

/// A crate's modules, what each imports of its own crate, and each one's code.
struct Imports {
    modules: BTreeSet<String>,
    edges: BTreeMap<String, BTreeSet<String>>,
    code: BTreeMap<String, String>,
}

/// What each module imports of its own crate: module → (imported module).
fn imports(src: &Path) -> Imports {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut code = BTreeMap::new();
    let mut modules = BTreeSet::new();
    for f in &files {
        let m = module_of(src, f);
        modules.insert(m.clone());
        let text = std::fs::read_to_string(f).unwrap();
        let is_mod_rs = f.file_name().is_some_and(|n| n == "mod.rs");
        code.insert(m, (code_of(&text), is_mod_rs));
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut raw = BTreeMap::new();
    for (m, (c, _)) in &code {
        let mut to = BTreeSet::new();
        for segs in paths_after(c, "crate") {
            to.extend(resolve(&modules, &segs));
        }
        // `super::x` from `a/b` is `a/x`; from the root's children, `x`.
        let parent: Vec<String> = m.split('/').map(String::from).collect();
        let parent = &parent[..parent.len().saturating_sub(1)];
        for segs in paths_after(c, "super") {
            let mut full = parent.to_vec();
            full.extend(segs);
            to.extend(resolve(&modules, &full));
        }
        to.remove(m);
        to.remove("lib");
        edges.insert(m.clone(), to);
        raw.insert(m.clone(), c.clone());
    }
    Imports {
        modules,
        edges,
        code: raw,
    }
}

#[test]
fn no_crate_depends_on_one_above_it() {
    let l = layers();
    let order = crates(&l);
    // Package names by manifest path, to resolve workspace dependencies however they are named.
    let ws: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let ws_deps = ws["workspace"]["dependencies"].as_table().unwrap();
    let package_at = |path: &str| -> String {
        let t: toml::Table = std::fs::read_to_string(root().join(path).join("Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
        t["package"]["name"].as_str().unwrap().to_string()
    };
    let mut checked = 0;
    for (i, name) in order.iter().enumerate() {
        let path = l[name]["path"].as_str().unwrap();
        let manifest: toml::Table = std::fs::read_to_string(root().join(path).join("Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some(name.as_str()));
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            let Some(deps) = manifest.get(section).and_then(|d| d.as_table()) else {
                continue;
            };
            for (key, spec) in deps {
                let local = spec.get("path").and_then(|p| p.as_str()).map(|p| {
                    let at = Path::new(path).join(p);
                    package_at(&at.to_string_lossy())
                });
                let workspace = spec
                    .get("workspace")
                    .and_then(|w| w.as_bool())
                    .filter(|&w| w)
                    .and_then(|_| ws_deps.get(key))
                    .and_then(|d| d.get("path"))
                    .and_then(|p| p.as_str())
                    .map(package_at);
                let Some(dep) = local.or(workspace) else {
                    continue;
                };
                let j = order
                    .iter()
                    .position(|c| *c == dep)
                    .unwrap_or_else(|| panic!("{dep} is not in crates/layers.toml"));
                assert!(
                    j < i,
                    "{name} depends on {dep} ({section}), which is not below it in crates/layers.toml"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 10,
        "only {checked} dependencies between crates found"
    );
}

#[test]
fn no_module_imports_a_later_step_and_every_file_is_placed() {
    let l = layers();
    let mut problems = Vec::new();
    let mut edges_checked = 0;
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for name in crates(&l) {
        let spec = &l[&name];
        let src = root().join(spec["path"].as_str().unwrap()).join("src");
        let Imports {
            modules,
            edges,
            code,
        } = imports(&src);
        let mut step = BTreeMap::new();
        for (i, s) in spec["steps"].as_array().unwrap().iter().enumerate() {
            for m in strings(Some(s)).into_iter().skip(1) {
                assert!(
                    step.insert(m.clone(), i).is_none(),
                    "{name}: `{m}` is placed twice"
                );
            }
        }
        let tests: BTreeSet<String> = strings(spec.get("tests")).into_iter().collect();
        for m in &modules {
            if m != "lib" && !step.contains_key(m) && !tests.contains(m) {
                problems.push(format!("{name}: `{m}` is in no step of crates/layers.toml"));
            }
        }
        for m in step.keys() {
            if !modules.contains(m) {
                problems.push(format!("{name}: `{m}` in crates/layers.toml is no file"));
            }
        }
        let mut exceptions = BTreeMap::new();
        for e in spec
            .get("exceptions")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            let from = e["from"].as_str().unwrap().to_string();
            let to = e["to"].as_str().unwrap().to_string();
            assert!(!e["why"].as_str().unwrap().is_empty());
            let named = format!("`{from}` → `{to}`");
            if !architecture.contains(&named) {
                problems.push(format!(
                    "ARCHITECTURE.md does not name the exception {named}"
                ));
            }
            exceptions.insert((from, to), false);
        }
        for (m, to) in &edges {
            let Some(&sm) = step.get(m) else { continue };
            for t in to {
                let Some(&st) = step.get(t) else { continue };
                edges_checked += 1;
                if st > sm {
                    match exceptions.get_mut(&(m.clone(), t.clone())) {
                        Some(used) => *used = true,
                        None => problems.push(format!(
                            "{name}: `{m}` imports `{t}`, a later step (list it as an \
                             exception with its reason, or move it)"
                        )),
                    }
                }
            }
        }
        for ((from, to), used) in exceptions {
            if !used {
                problems.push(format!(
                    "{name}: the exception `{from}` → `{to}` is not used"
                ));
            }
        }
        for pattern in strings(spec.get("forbid")) {
            for (m, c) in &code {
                if c.contains(&pattern) {
                    problems.push(format!("{name}: `{m}` has `{pattern}`, forbidden in it"));
                }
            }
        }
        let invariant = spec["invariant"].as_str().unwrap();
        if !architecture.contains(invariant) {
            problems.push(format!(
                "ARCHITECTURE.md does not state {name}'s invariant: {invariant:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(edges_checked > 100, "only {edges_checked} imports checked");
}

/// The reader of imports sees what the compiler sees: a test module's imports do not count, a
/// group is split into its items, and `super` resolves against the parent module.
#[test]
fn imports_are_read_as_the_compiler_resolves_them() {
    let code = code_of(
        "use crate::{a, b::c, d::{E, F}};\n// use crate::z;\nlet u = \"http://crate::y\";\n\
         fn f() { crate::x::g() }\n#[cfg(test)]\nmod tests {\n    use crate::t;\n}\n",
    );
    let mut found: Vec<String> = paths_after(&code, "crate")
        .into_iter()
        .map(|s| s.join("::"))
        .collect();
    found.sort();
    assert_eq!(found, ["a", "b::c", "d", "x::g", "y"]);
    let modules: BTreeSet<String> = ["a", "b", "x"].iter().map(|s| s.to_string()).collect();
    let segs: Vec<String> = ["b", "c", "D"].iter().map(|s| s.to_string()).collect();
    assert_eq!(resolve(&modules, &segs).as_deref(), Some("b"));
}
