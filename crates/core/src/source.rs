//! Input texts with their names, and locating a field path inside a TOML text.
//!
//! Validation works on plain deserialised types (so that the JSON Schema can be generated from
//! them); when it finds a problem it names the field by its path, and [`Source::locate`] finds the
//! line and column of that path in the original text.

use crate::error::Diagnostic;
use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A field path such as `cohort[1].participants`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    /// This path extended by a key.
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        FieldPath(v)
    }
    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        FieldPath(v)
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for s in &self.0 {
            match s {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// An input text and the name it is known by (a path as the user gave it, or `builtin:…`).
#[derive(Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
    /// The span of every value by field path, made at the first diagnostic: a
    /// file with many problems is parsed for them once, not once a problem.
    spans: std::sync::OnceLock<Option<std::collections::HashMap<Vec<Seg>, std::ops::Range<usize>>>>,
    /// Diagnostics located by parsing the text again, for a text too large for the map.
    located: std::sync::atomic::AtomicUsize,
}

impl Clone for Source {
    fn clone(&self) -> Self {
        Source::new(self.name.clone(), self.text.clone())
    }
}

/// The largest text whose spans are kept in a map (its entries take several times the text).
const SPAN_MAP_BYTES: usize = 4 << 20;
/// Diagnostics of a larger text located each by a parse of their own; the rest go unlocated.
const LOCATED_BY_PARSE: usize = 20;

/// The span of every value of `table` and below, by field path.
fn spans_of(
    table: &DeTable<'_>,
    path: &FieldPath,
    out: &mut std::collections::HashMap<Vec<Seg>, std::ops::Range<usize>>,
) {
    for (key, v) in table.iter() {
        value_spans(v, &path.key(key.get_ref().as_ref()), out);
    }
}

fn value_spans(
    v: &toml::Spanned<DeValue<'_>>,
    path: &FieldPath,
    out: &mut std::collections::HashMap<Vec<Seg>, std::ops::Range<usize>>,
) {
    out.insert(path.0.clone(), v.span());
    match v.get_ref() {
        DeValue::Table(t) => spans_of(t, path, out),
        DeValue::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                value_spans(x, &path.index(i), out);
            }
        }
        _ => {}
    }
}

/// The span of the value at `path` (or of its nearest existing ancestor), by parsing `text`.
fn locate_by_parse(text: &str, path: &FieldPath) -> Option<std::ops::Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut span = None;
    let mut table: Option<&DeTable> = Some(root.get_ref());
    let mut array: Option<&[toml::Spanned<DeValue>]> = None;
    for seg in &path.0 {
        let next = match (seg, table, array) {
            (Seg::Key(k), Some(t), _) => t
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == k.as_str())
                .map(|(_, v)| v),
            (Seg::Index(i), _, Some(a)) => a.get(*i),
            _ => None,
        };
        let Some(v) = next else { break };
        span = Some(v.span());
        table = None;
        array = None;
        match v.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(a.as_ref()),
            _ => {}
        }
    }
    span
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
            spans: std::sync::OnceLock::new(),
            located: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// SHA-256 of the text, hex encoded, for the manifest.
    pub fn sha256(&self) -> String {
        hex(&Sha256::digest(self.text.as_bytes()))
    }

    /// 1-based (line, column) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// The byte range of the value at `path`, or of the nearest ancestor that exists.
    pub fn locate(&self, path: &FieldPath) -> Option<std::ops::Range<usize>> {
        if self.text.len() > SPAN_MAP_BYTES {
            let n = self
                .located
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return (n < LOCATED_BY_PARSE)
                .then(|| locate_by_parse(&self.text, path))
                .flatten();
        }
        let spans = self
            .spans
            .get_or_init(|| {
                let root = DeTable::parse(&self.text).ok()?;
                let mut out = std::collections::HashMap::new();
                spans_of(root.get_ref(), &FieldPath::root(), &mut out);
                Some(out)
            })
            .as_ref()?;
        (0..=path.0.len())
            .rev()
            .find_map(|k| spans.get(&path.0[..k]))
            .cloned()
    }

    /// A diagnostic for the field at `path`, located in this text.
    pub fn diag(&self, path: &FieldPath, message: impl Into<String>) -> Diagnostic {
        let (line, column) = match self.locate(path) {
            Some(r) => {
                let (l, c) = self.line_col(r.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Diagnostic {
            file: self.name.clone(),
            line,
            column,
            field: path.to_string(),
            row: None,
            message: message.into(),
        }
    }

    /// Deserialise the text, turning a parse or type error into a located diagnostic.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        let de = toml::Deserializer::parse(&self.text).map_err(|e| self.toml_diag(&e, ""))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." { String::new() } else { field };
            self.toml_diag(e.inner(), &field)
        })
    }

    fn toml_diag(&self, e: &toml::de::Error, field: &str) -> Diagnostic {
        let (line, column) = match e.span() {
            Some(r) => {
                let (l, c) = self.line_col(r.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Diagnostic {
            file: self.name.clone(),
            line,
            column,
            field: field.to_string(),
            row: None,
            message: e.message().trim().to_string(),
        }
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_paths() {
        let src = Source::new(
            "x.toml",
            "name = \"a\"\n\n[[cohort]]\nstart = 2024\n\n[[cohort]]\nstart = 2025\nparticipants = -3\n",
        );
        let p = FieldPath::root().key("cohort").index(1).key("participants");
        let r = src.locate(&p).unwrap();
        assert_eq!(src.line_col(r.start), (8, 16));
        assert_eq!(p.to_string(), "cohort[1].participants");
        // A missing leaf falls back to its parent table.
        let p = FieldPath::root().key("cohort").index(0).key("participants");
        let r = src.locate(&p).unwrap();
        assert_eq!(src.line_col(r.start).0, 3);
    }

    #[test]
    fn line_col_counts_characters() {
        let src = Source::new("x", "a\næøå = 1");
        assert_eq!(src.line_col(src.text.find('=').unwrap()), (2, 5));
    }
}
