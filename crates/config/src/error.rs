//! Errors: where in `ferry.toml` something is wrong, and what.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// A problem at one place in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The file, as it was given to [`crate::Config::load`] or [`crate::Config::from_str`].
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Dotted path of the offending key, e.g. `environment[1].soak`; `None` for syntax errors
    /// that belong to no key.
    pub field: Option<String>,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid configuration.
    #[error("{0}")]
    Invalid(Diagnostic),
    /// The file is not read at all: not a regular file, or too large.
    #[error("{}: refused: {reason}", path.display())]
    Refused {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// `ferry.toml` is wrong or cannot be read: bad input (exit 2).
impl ferry_error::Classify for ConfigError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::BadInput
    }
}

impl ConfigError {
    /// The place of the problem, when it is inside the file.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            ConfigError::Invalid(d) => Some(d),
            ConfigError::Read { .. } | ConfigError::Refused { .. } => None,
        }
    }
}

/// Turns byte offsets into diagnostics for one file.
pub(crate) struct Source<'a> {
    pub text: &'a str,
    pub path: &'a Path,
    /// Byte offsets where lines start, built on first use, so that placing many values costs
    /// a binary search each, not a scan of the text.
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Source<'a> {
    /// The text of `path`.
    pub fn new(text: &'a str, path: &'a Path) -> Self {
        Self {
            text,
            path,
            line_starts: std::cell::OnceCell::new(),
        }
    }

    /// 1-based line and character column of a byte offset.
    fn line_column(&self, at: usize) -> (usize, usize) {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let mut at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let line = starts.partition_point(|&s| s <= at);
        let start = starts[line - 1];
        (line, self.text[start..at].chars().count() + 1)
    }

    /// A diagnostic at byte offset `at`.
    pub fn at(&self, at: usize, field: Option<String>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.line_column(at);
        Diagnostic {
            path: self.path.to_path_buf(),
            line,
            column,
            field,
            message: message.into(),
        }
    }

    /// A diagnostic for a `toml` error: its span gives the place, the document gives the key.
    pub fn toml_error(&self, err: &toml::de::Error) -> Diagnostic {
        let span = err.span().unwrap_or(0..0);
        let field = DeTable::parse(self.text)
            .ok()
            .map(|doc| key_path(doc.get_ref(), &span))
            .filter(|path| !path.is_empty());
        let mut message = err.message().trim().replace('\n', "; ");
        if message == "duplicate key"
            && let Some(key) = self.text.get(span.clone())
            && !key.contains('\n')
        {
            message = format!("duplicate key `{key}`");
        }
        if field.is_none() && DeTable::parse(self.text).is_err() {
            message = format!("invalid TOML: {message}");
        }
        self.at(span.start, field, message)
    }
}

/// 1-based line and character column of a byte offset, by scanning (the reference for the index).
#[cfg(test)]
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The dotted key path (`environment[1].monitor.http[0].url`) of the innermost key or value whose
/// span holds `span`.
fn key_path(table: &DeTable<'_>, span: &Range<usize>) -> String {
    search_table(table, span, "").unwrap_or_default()
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end.max(outer.start + 1)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Depth first: a key or scalar that holds the span wins over the table or array around it
/// (the spans of array-of-tables entries do not always cover their keys).
fn search_table(table: &DeTable<'_>, span: &Range<usize>, path: &str) -> Option<String> {
    for (key, value) in table.iter() {
        let here = join(path, key.get_ref());
        if contains(&key.span(), span) {
            return Some(here);
        }
        if let Some(found) = search_value(value.get_ref(), span, &here) {
            return Some(found);
        }
        if contains(&value.span(), span) {
            return Some(here);
        }
    }
    None
}

fn search_value(value: &DeValue<'_>, span: &Range<usize>, path: &str) -> Option<String> {
    match value {
        DeValue::Table(table) => search_table(table, span, path),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let here = format!("{path}[{i}]");
            search_value(item.get_ref(), span, &here)
                .or_else(|| contains(&item.span(), span).then_some(here))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        let src = Source::new(text, Path::new("f"));
        for at in [0, 6, text.find('"').unwrap(), 10_000, 8] {
            assert_eq!(src.line_column(at), line_column(text, at), "{at}");
        }
        assert_eq!(src.line_column(0), (1, 1));
        assert_eq!(src.line_column(6), (2, 1));
        assert_eq!(src.line_column(text.find('"').unwrap()), (2, 6));
        assert_eq!(src.line_column(10_000), (3, 1));
    }
}
