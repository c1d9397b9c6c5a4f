//! One YAML document as a tree of values that know where they are written (line and column),
//! for crates that must inspect YAML without parsing it themselves (`ferry-lint` reads GitHub
//! Actions workflows through [`parse_located`]).
//!
//! Plain scalars are typed by the YAML 1.2 core schema (`on` and `yes` stay strings, as GitHub
//! reads them); quoted scalars are strings. Aliases are expanded (within the node budget);
//! duplicate keys and non-scalar keys are refused.
//!
//! ```
//! use ferry_kustomize::located::parse_located;
//!
//! let doc = parse_located("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n", "ci.yml")
//!     .unwrap()
//!     .expect("one document");
//! let job = doc.get("jobs").and_then(|jobs| jobs.get("test")).unwrap();
//! assert_eq!((job.line, job.column), (4, 5));
//! assert_eq!(job.get("runs-on").and_then(|v| v.as_str()), Some("ubuntu-latest"));
//! let (key, _) = doc.entries().next().unwrap();
//! assert_eq!((key.as_str(), key.line), (Some("on"), 1));
//! ```

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span, StrInput};

use crate::documents::DocumentsError;

/// The most values (scalars and collections, aliases expanded) one document may hold.
pub const MAX_LOCATED_NODES: usize = 200_000;

/// The deepest nesting of collections accepted.
pub const MAX_LOCATED_DEPTH: usize = 128;

/// A value and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The value.
    pub value: Value,
    /// 1-based line of the value's first character (of the alias, for an expanded alias).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// A YAML value with located children.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false` (plain).
    Bool(bool),
    /// An integer or a float (plain), as written.
    Number(String),
    /// Any other scalar.
    String(String),
    /// A sequence.
    Seq(Vec<Located>),
    /// A mapping: keys (scalars) and values in file order.
    Map(Vec<(Located, Located)>),
}

impl Located {
    /// The value of `key` when this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Located> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value of `key` when this is a mapping holding it.
    pub fn entry(&self, key: &str) -> Option<(&Located, &Located)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The entries of a mapping (none for anything else).
    pub fn entries(&self) -> impl Iterator<Item = (&Located, &Located)> {
        let entries: &[(Located, Located)] = match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        };
        entries.iter().map(|(k, v)| (k, v))
    }

    /// The items of a sequence (none for anything else).
    pub fn items(&self) -> &[Located] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The text of a string, or of a number as written.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Located::size).sum(),
            Value::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
            _ => 0,
        }
    }
}

/// Parses the one YAML document of `text` into a located tree; `None` when the text holds no
/// document (empty or only comments). `origin` names the text in errors, which give line and
/// column ([`DocumentsError::Invalid`]). More than one document, texts larger than
/// [`crate::model::MAX_YAML_BYTES`], more than [`MAX_LOCATED_NODES`] values or nesting deeper
/// than [`MAX_LOCATED_DEPTH`] are refused.
pub fn parse_located(text: &str, origin: &str) -> Result<Option<Located>, DocumentsError> {
    let fail = |line: usize, column: usize, message: String| DocumentsError::Invalid {
        origin: origin.to_string(),
        line: line as u64,
        column: column as u64,
        message,
    };
    if text.len() > crate::model::MAX_YAML_BYTES {
        return Err(fail(
            0,
            0,
            format!(
                "larger than the {} MiB limit",
                crate::model::MAX_YAML_BYTES / (1024 * 1024)
            ),
        ));
    }
    let mut options = Options::default();
    options.set_emit_comments(false);
    let mut reader = Reader {
        parser: Parser::new_from_str_with_options(text, options),
        anchors: HashMap::new(),
        nodes: 0,
    };
    let mut root = None;
    loop {
        let (event, span) = reader.next().map_err(|(l, c, m)| fail(l, c, m))?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Comment(..) => {}
            Event::StreamEnd => return Ok(root),
            Event::DocumentStart(..) => {
                if root.is_some() {
                    let (line, column) = position(&span);
                    return Err(fail(
                        line,
                        column,
                        "more than one YAML document; this file must hold one".into(),
                    ));
                }
                let (event, span) = reader.next().map_err(|(l, c, m)| fail(l, c, m))?;
                root = Some(
                    reader
                        .node(event, span, 0)
                        .map_err(|(l, c, m)| fail(l, c, m))?,
                );
            }
            other => {
                let (line, column) = position(&span);
                return Err(fail(line, column, format!("unexpected {other:?}")));
            }
        }
    }
}

/// An error's line, column and message, before the origin is added.
type Failure = (usize, usize, String);

struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    /// Anchored values by anchor id, for aliases.
    anchors: HashMap<usize, Located>,
    nodes: usize,
}

fn position(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Failure> {
        match self.parser.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err((
                e.marker().line(),
                e.marker().col() + 1,
                format!("invalid YAML: {}", e.info()),
            )),
            None => Err((0, 0, "invalid YAML: unexpected end of input".into())),
        }
    }

    fn count(&mut self, n: usize, (line, column): (usize, usize)) -> Result<(), Failure> {
        self.nodes += n;
        if self.nodes > MAX_LOCATED_NODES {
            return Err((
                line,
                column,
                format!("more than {MAX_LOCATED_NODES} values (aliases expanded)"),
            ));
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Located, Failure> {
        let (line, column) = position(&span);
        if depth > MAX_LOCATED_DEPTH {
            return Err((
                line,
                column,
                format!("collections nested deeper than {MAX_LOCATED_DEPTH} levels"),
            ));
        }
        let located = |value| Located {
            value,
            line,
            column,
        };
        let (node, anchor) = match event {
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err((line, column, "an alias to an unknown anchor".into()));
                };
                let mut copy = target.clone();
                self.count(copy.size(), (line, column))?;
                copy.line = line;
                copy.column = column;
                return Ok(copy);
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, (line, column))?;
                let value = if style == ScalarStyle::Plain && tag.is_none() {
                    plain(&text)
                } else {
                    Value::String(text.into_owned())
                };
                (located(value), anchor)
            }
            Event::SequenceStart(_, anchor, _) => {
                self.count(1, (line, column))?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span, depth + 1)?);
                }
                (located(Value::Seq(items)), anchor)
            }
            Event::MappingStart(_, anchor, _) => {
                self.count(1, (line, column))?;
                let mut entries: Vec<(Located, Located)> = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span, depth + 1)?;
                    let name = match &key.value {
                        Value::String(s) | Value::Number(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => "null".into(),
                        _ => {
                            return Err((
                                key.line,
                                key.column,
                                "a mapping key that is not a scalar".into(),
                            ));
                        }
                    };
                    if let Some((first, _)) =
                        entries.iter().find(|(k, _)| k.as_str() == Some(&name))
                    {
                        return Err((
                            key.line,
                            key.column,
                            format!(
                                "duplicate key `{name}` (first on line {}); remove one",
                                first.line
                            ),
                        ));
                    }
                    let key = Located {
                        value: Value::String(name),
                        ..key
                    };
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, depth + 1)?;
                    entries.push((key, value));
                }
                (located(Value::Map(entries)), anchor)
            }
            other => return Err((line, column, format!("invalid YAML: unexpected {other:?}"))),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

/// The core schema's type of a plain scalar.
fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ if is_number(text) => Value::Number(text.to_string()),
        _ => Value::String(text.to_string()),
    }
}

fn is_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if unsigned.is_empty() {
        return false;
    }
    let hex_or_octal = |digits: Option<&str>, radix| {
        digits.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(radix)))
    };
    if hex_or_octal(text.strip_prefix("0x"), 16) || hex_or_octal(text.strip_prefix("0o"), 8) {
        return true;
    }
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    // [0-9]* ( \. [0-9]* )? ( [eE] [-+]? [0-9]+ )?, with at least one digit before the exponent.
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Located {
        parse_located(text, "t.yml")
            .expect("valid YAML")
            .expect("a document")
    }

    #[test]
    fn types_plain_scalars_by_the_core_schema_and_keeps_quoted_ones_strings() {
        let doc = parse(
            "on: push\na: true\nb: 'true'\nc: 1.5\nd: ~\ne: yes\nf: 0x1F\ng: 1e3\nh: 1.2.3\ni:\n",
        );
        let get = |k: &str| doc.get(k).expect(k).value.clone();
        assert_eq!(get("on"), Value::String("push".into()));
        assert_eq!(get("a"), Value::Bool(true));
        assert_eq!(get("b"), Value::String("true".into()));
        assert_eq!(get("c"), Value::Number("1.5".into()));
        assert_eq!(get("d"), Value::Null);
        assert_eq!(get("e"), Value::String("yes".into()));
        assert_eq!(get("f"), Value::Number("0x1F".into()));
        assert_eq!(get("g"), Value::Number("1e3".into()));
        assert_eq!(get("h"), Value::String("1.2.3".into()));
        assert_eq!(get("i"), Value::Null);
    }

    #[test]
    fn locates_keys_values_and_items() {
        let doc =
            parse("# head\njobs:\n  build:\n    steps:\n      - run: make\n        name: m\n");
        let (key, jobs) = doc.entry("jobs").expect("jobs");
        assert_eq!((key.line, key.column), (2, 1));
        let steps = jobs
            .get("build")
            .and_then(|b| b.get("steps"))
            .expect("steps");
        let step = &steps.items()[0];
        assert_eq!((step.line, step.column), (5, 9));
        let (run_key, run) = step.entry("run").expect("run");
        assert_eq!((run_key.line, run_key.column, run.column), (5, 9, 14));
        assert_eq!(run.as_str(), Some("make"));
    }

    #[test]
    fn expands_aliases_at_the_alias_and_counts_them() {
        let doc = parse("a: &x {k: v}\nb: *x\n");
        let b = doc.get("b").expect("b");
        assert_eq!(b.get("k").and_then(Located::as_str), Some("v"));
        assert_eq!((b.line, b.column), (2, 4));
        // A billion laughs stops at the node budget.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let err = parse_located(&text, "bomb.yml").unwrap_err().to_string();
        assert!(err.starts_with("bomb.yml:"), "{err}");
        assert!(err.contains("more than 200000 values"), "{err}");
    }

    #[test]
    fn refuses_duplicate_keys_more_documents_and_bad_yaml_with_positions() {
        let err = parse_located("a: 1\nb: 2\na: 3\n", "d.yml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.yml:3:1: duplicate key `a` (first on line 1); remove one"
        );
        let err = parse_located("a: 1\n---\nb: 2\n", "m.yml").unwrap_err();
        assert!(
            err.to_string().starts_with("m.yml:2:1: more than one"),
            "{err}"
        );
        let err = parse_located("a: [1\n", "b.yml").unwrap_err();
        assert!(err.to_string().starts_with("b.yml:"), "{err}");
        assert!(
            parse_located("# only a comment\n", "e.yml")
                .unwrap()
                .is_none()
        );
        assert!(parse_located("", "e.yml").unwrap().is_none());
    }

    #[test]
    fn refuses_deep_nesting() {
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = parse_located(&text, "deep.yml").unwrap_err().to_string();
        assert!(err.contains("deeper than 128"), "{err}");
    }
}
