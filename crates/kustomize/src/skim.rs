//! A fast first pass over resource files: documents split, each one's `apiVersion`, `kind` and
//! `metadata` decoded, the rest of its text left for later, so that objects no patch or
//! transformer touches are never fully decoded (the CRDs of a large install are megabytes).
//!
//! The pass accepts only a conservative subset of block YAML that it checks completely: block
//! mappings with plain keys, block sequences, plain, single- and double-quoted scalars on one
//! line, literal and folded block scalars, `[]` and `{}`, comments and blank lines; no anchors,
//! aliases, tags, directives, tabs outside block scalars or carriage returns. Every text it
//! accepts is valid YAML that [`crate::model`]'s parser reads without error; anything else
//! makes it decline the whole file ([`skim`] returns `None`), and the caller parses it fully,
//! as before. The property and corpus tests check that acceptance implies a successful full
//! parse with the same head, and a weight no lower than the full parse's.

use std::collections::HashSet;
use std::ops::Range;

use serde_json::Value;

use crate::model;

/// One document of a file the pass accepted.
#[derive(Debug, Clone)]
pub(crate) struct SkimDoc {
    /// The document's bytes in the file (its lines, without the `---` line before it).
    pub(crate) range: Range<usize>,
    /// The root keys `apiVersion`, `kind` and `metadata`, decoded exactly as the full document
    /// decodes them (an empty mapping when it has none of them).
    pub(crate) head: Value,
    /// At least the document's [`crate::resolve`] weight (bytes of keys and strings, 8 per
    /// node): what the run's limits are charged before the document is decoded.
    pub(crate) weight: usize,
    /// Whether the text holds `containers` or `initContainers` (false: the decoded document has
    /// no such key at any depth).
    pub(crate) maybe_containers: bool,
    /// Whether the root mapping has an `items` key (a `List` is expanded from the full value).
    pub(crate) has_items: bool,
}

/// Nesting the pass follows; deeper documents are left to the full parser (whose limit is
/// [`model::MAX_RESOURCE_DEPTH`]).
const MAX_FRAMES: usize = 60;
/// Most nodes the pass counts in a file: the full parser refuses more than 250,000.
const MAX_NODES: usize = 200_000;
/// Most documents in a file the pass accepts (the full parser allows 10,000).
const MAX_DOCS: usize = 1_000;
/// Longest plain key accepted (YAML bounds simple keys at 1,024 characters).
const MAX_KEY: usize = 200;

/// The documents of `text`, or `None` when the text is outside the subset the pass checks (the
/// caller then parses it fully). Documents without content (comments only) are skipped, as the
/// full parse skips them.
pub(crate) fn skim(text: &str) -> Option<Vec<SkimDoc>> {
    if text.len() > model::MAX_YAML_BYTES
        || !text.ends_with('\n')
        || text.starts_with('\u{feff}')
        || text.contains('\r')
    {
        return None;
    }
    let mut docs = Vec::new();
    let mut scan = Scan::new(0);
    let mut nodes = 0usize;
    let mut separators = 0usize;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let line = &line[..line.len() - 1];
        if scan.in_block(line)? {
            continue;
        }
        if let Some(after) = line.strip_prefix("---") {
            if after.bytes().any(|b| b != b' ') {
                return None;
            }
            separators += 1;
            if separators > MAX_DOCS {
                return None;
            }
            nodes += scan.nodes;
            docs.extend(scan.finish(text, start)?);
            scan = Scan::new(offset);
            continue;
        }
        if line.starts_with("...") || line.starts_with('%') {
            return None;
        }
        scan.line(line, start)?;
        if docs.len() > MAX_DOCS || nodes + scan.nodes > MAX_NODES {
            return None;
        }
    }
    nodes += scan.nodes;
    docs.extend(scan.finish(text, text.len())?);
    (docs.len() <= MAX_DOCS && nodes <= MAX_NODES).then_some(docs)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// One open collection: its indentation, and for mappings the keys seen.
struct Frame<'a> {
    indent: usize,
    kind: Kind,
    /// A sequence written at its key's own indentation (`key:` then `- item` below it).
    compact: bool,
    keys: HashSet<&'a str>,
}

/// A value left open at the end of a line (`key:` or `-`): a nested collection may follow.
#[derive(Clone, Copy)]
struct Pending {
    /// The column of the key or dash: the nested collection must be indented more.
    column: usize,
    /// Whether a sequence at the key's own column may follow (after a key, not a dash).
    from_key: bool,
}

/// A block scalar being read.
struct Block {
    /// The column of its key: content must be indented more.
    parent: usize,
    content: Option<usize>,
    /// The most spaces of the blank lines before its first content line.
    leading_blank: usize,
}

/// The state of one document.
struct Scan<'a> {
    start: usize,
    frames: Vec<Frame<'a>>,
    pending: Option<Pending>,
    block: Option<Block>,
    /// After a plain scalar: lines indented more than this column continue it.
    plain: Option<usize>,
    /// Inside a quoted scalar (its quote) that goes on over lines indented more than the column.
    quoted: Option<(u8, usize)>,
    weight: usize,
    nodes: usize,
    /// Root keys `apiVersion`, `kind`, `metadata`: where each one's lines start, and the start
    /// of the root key after it.
    head: Vec<Range<usize>>,
    open_head: Option<usize>,
    has_items: bool,
    content: bool,
}

impl<'a> Scan<'a> {
    fn new(start: usize) -> Self {
        Scan {
            start,
            frames: Vec::new(),
            pending: None,
            block: None,
            plain: None,
            quoted: None,
            weight: 8,
            nodes: 1,
            head: Vec::new(),
            open_head: None,
            has_items: false,
            content: false,
        }
    }

    /// Reads `line` as block scalar content when one is open: `Some(true)` when it was content
    /// (or a blank line inside it), `Some(false)` when the scalar ended before it, `None` when
    /// the text leaves the subset.
    fn in_block(&mut self, line: &str) -> Option<bool> {
        let Some(block) = self.block.as_mut() else {
            return Some(false);
        };
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent == line.len() {
            if block.content.is_none() {
                block.leading_blank = block.leading_blank.max(indent);
            }
            self.weight += line.len() + 1;
            return Some(true);
        }
        let content = match block.content {
            Some(c) => c,
            None if indent > block.parent => {
                if block.leading_blank > indent {
                    return None;
                }
                block.content = Some(indent);
                indent
            }
            None => usize::MAX,
        };
        if indent >= content {
            if !line.chars().all(|c| c == '\t' || printable(c)) {
                return None;
            }
            self.weight += line.len() + 1;
            return Some(true);
        }
        self.block = None;
        Some(false)
    }

    fn line(&mut self, line: &'a str, start: usize) -> Option<()> {
        if let Some((quote, column)) = self.quoted.take() {
            return self.quoted_line(line, quote, column);
        }
        let rest = line.trim_start_matches(' ');
        if rest.is_empty() {
            return Some(());
        }
        if rest.starts_with('#') {
            // A comment ends a plain scalar.
            self.plain = None;
            return rest
                .chars()
                .all(|c| c == '\t' || printable(c))
                .then_some(());
        }
        if !rest.chars().all(printable) {
            return None;
        }
        let indent = line.len() - rest.len();
        if let Some(column) = self.plain.take()
            && indent > column
        {
            // A continuation line of a multi-line plain scalar.
            continuation_ok(rest)?;
            self.weight += rest.len() + 1;
            self.plain = Some(column);
            return Some(());
        }
        self.content = true;
        if rest == "-" || rest.starts_with("- ") {
            self.place(indent, Kind::Seq)?;
            self.nodes += 1;
            self.weight += 8;
            let item = rest[1..].trim_start_matches(' ');
            let column = line.len() - item.len();
            if item.is_empty() || item.starts_with('#') {
                self.pending = Some(Pending {
                    column: indent,
                    from_key: false,
                });
                return Some(());
            }
            if let Some((key, value)) = split_key(item).ok()? {
                self.push(column, Kind::Map, false)?;
                return self.key(column, key, value);
            }
            return self.scalar(item, indent);
        }
        let Some((key, value)) = split_key(rest).ok()? else {
            // A scalar on the line below its key (`key:` then the value, indented).
            let pending = self.pending.take()?;
            return (indent > pending.column)
                .then_some(())
                .and_then(|()| self.scalar(rest, pending.column));
        };
        if indent == 0 {
            self.root_key(key, start);
        }
        self.place(indent, Kind::Map)?;
        self.key(indent, key, value)
    }

    /// Records where root keys start, for the head.
    fn root_key(&mut self, key: &str, start: usize) {
        if let Some(open) = self.open_head.take() {
            self.head.push(open..start);
        }
        match key {
            "apiVersion" | "kind" | "metadata" => self.open_head = Some(start),
            "items" => self.has_items = true,
            _ => {}
        }
    }

    /// Puts a line at `indent` that continues a `kind` collection: a nested one after an open
    /// value, or a sibling in an enclosing one.
    fn place(&mut self, indent: usize, kind: Kind) -> Option<()> {
        if let Some(p) = self.pending.take()
            && (indent > p.column || (p.from_key && kind == Kind::Seq && indent == p.column))
        {
            return self.push(indent, kind, indent == p.column);
        }
        if self.frames.is_empty() {
            return (indent == 0 && kind == Kind::Map).then(|| {
                self.frames.push(Frame {
                    indent: 0,
                    kind,
                    compact: false,
                    keys: HashSet::new(),
                });
            });
        }
        while let Some(top) = self.frames.last() {
            let pop = top.indent > indent
                || (top.indent == indent
                    && top.kind == Kind::Seq
                    && top.compact
                    && kind == Kind::Map);
            if !pop {
                break;
            }
            self.frames.pop();
        }
        let top = self.frames.last()?;
        (top.indent == indent && top.kind == kind).then_some(())
    }

    fn push(&mut self, indent: usize, kind: Kind, compact: bool) -> Option<()> {
        if self.frames.len() >= MAX_FRAMES {
            return None;
        }
        self.frames.push(Frame {
            indent,
            kind,
            compact,
            keys: HashSet::new(),
        });
        Some(())
    }

    /// A key of the mapping on top of the stack at `column`, with the rest of its line.
    fn key(&mut self, column: usize, key: &'a str, value: &str) -> Option<()> {
        let top = self.frames.last_mut()?;
        if top.kind != Kind::Map || top.indent != column || !top.keys.insert(key) {
            return None;
        }
        self.nodes += 2;
        self.weight += key.len() + 8;
        let value = value.trim_start_matches(' ');
        if value.is_empty() || value.starts_with('#') {
            self.pending = Some(Pending {
                column,
                from_key: true,
            });
            return Some(());
        }
        let (head, comment) = split_comment(value);
        if matches!(head, "|" | "|-" | "|+" | ">" | ">-" | ">+") && comment_ok(comment) {
            self.nodes += 1;
            self.weight += 8;
            self.block = Some(Block {
                parent: column,
                content: None,
                leading_blank: 0,
            });
            return Some(());
        }
        self.scalar(value, column)
    }

    /// A scalar value (plain, quoted, or an empty flow collection) of a key or dash at
    /// `column`: a plain one may go on over lines indented more.
    fn scalar(&mut self, value: &str, column: usize) -> Option<()> {
        self.nodes += 1;
        let len = match value.as_bytes()[0] {
            quote @ (b'"' | b'\'') => {
                let (len, closed) = quoted(&value[1..], quote)?;
                if !closed {
                    self.quoted = Some((quote, column));
                }
                len
            }
            _ => {
                let (plain, comment) = split_comment(value);
                if !comment_ok(comment) {
                    return None;
                }
                if plain == "[]" || plain == "{}" {
                    0
                } else {
                    plain_ok(plain)?;
                    if comment.is_empty() {
                        self.plain = Some(column);
                    }
                    plain.len()
                }
            }
        };
        self.weight += len + 8;
        Some(())
    }

    /// A line inside a quoted scalar that `column` opened: blank, or indented more than the
    /// column.
    fn quoted_line(&mut self, line: &str, quote: u8, column: usize) -> Option<()> {
        let rest = line.trim_start_matches(' ');
        if !rest.is_empty() && line.len() - rest.len() <= column {
            return None;
        }
        if !rest.chars().all(printable) {
            return None;
        }
        let (len, closed) = quoted(rest, quote)?;
        self.weight += len + 1;
        if !closed {
            self.quoted = Some((quote, column));
        }
        Some(())
    }

    /// The document as read, once its last line is seen (`end` is where it ends in `text`).
    fn finish(mut self, text: &str, end: usize) -> Option<Option<SkimDoc>> {
        if self.quoted.is_some() {
            return None;
        }
        if !self.content {
            return Some(None);
        }
        if let Some(open) = self.open_head.take() {
            self.head.push(open..end);
        }
        let body = &text[self.start..end];
        let head = if self.head.is_empty() {
            Value::Object(serde_json::Map::new())
        } else {
            let head_text: String = self.head.iter().map(|r| &text[r.clone()]).collect();
            match model::parse_resource_documents(&head_text)
                .ok()?
                .as_mut_slice()
            {
                [one] if one.is_object() => std::mem::take(one),
                _ => return None,
            }
        };
        Some(Some(SkimDoc {
            range: self.start..end,
            head,
            weight: self.weight,
            maybe_containers: body.contains("ontainers"),
            has_items: self.has_items,
        }))
    }
}

/// Whether `c` may appear in the subset's text (YAML's printable characters but tab, without the
/// line and paragraph separators, NEL and the byte order mark).
fn printable(c: char) -> bool {
    match c {
        ' '..='~' => true,
        '\u{a0}'..='\u{d7ff}' => !matches!(c, '\u{2028}' | '\u{2029}'),
        '\u{e000}'..='\u{fffd}' => c != '\u{feff}',
        '\u{10000}'..='\u{10ffff}' => true,
        _ => false,
    }
}

/// `KEY: value` (or `KEY:`) with a plain key of the subset: `Ok(Some((key, value)))`;
/// `Ok(None)` when the text holds no `: ` and does not end with `:` (a scalar); `Err` when it
/// does but the key is outside the subset.
fn split_key(text: &str) -> Result<Option<(&str, &str)>, ()> {
    let colon = text
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| matches!(text.as_bytes().get(i + 1), None | Some(b' ')));
    let Some(colon) = colon else {
        return Ok(None);
    };
    let key = &text[..colon];
    let key = match key.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => quoted_key(key, q).ok_or(())?,
        _ if plain_key(key) => key,
        _ => return Err(()),
    };
    Ok(Some((key, &text[colon + 1..])))
}

/// A key the subset accepts: a letter, `_` or `$`, then letters, digits and `_.-/$`, not one
/// of the words YAML may read as a boolean or null.
fn plain_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$');
    let words = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"];
    first_ok
        && key.len() <= MAX_KEY
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-/$".contains(&b))
        && !words.iter().any(|w| key.eq_ignore_ascii_case(w))
}

/// The text of a quoted key without escapes (`"a.b/c"`, `'x'`): what it decodes to.
fn quoted_key(key: &str, quote: u8) -> Option<&str> {
    let inner = key
        .strip_prefix(quote as char)?
        .strip_suffix(quote as char)?;
    let plain = !inner.is_empty()
        && inner.len() <= MAX_KEY
        && inner
            .chars()
            .all(|c| printable(c) && c != '\\' && c != '"' && c != '\'');
    plain.then_some(inner)
}

/// A plain scalar's text (comment removed, trailing spaces kept out): checked against YAML's
/// rules for its first character, `: ` and a final `:`.
fn plain_ok(plain: &str) -> Option<()> {
    let first = plain.chars().next()?;
    let second = plain[first.len_utf8()..].chars().next();
    let indicator = matches!(
        first,
        ',' | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    );
    let needs_more = matches!(first, '-' | '?' | ':');
    if indicator || (needs_more && second.is_none_or(|c| c == ' ')) {
        return None;
    }
    // Non-finite floats are refused by the full parser's policy.
    let unsigned = plain.trim_start_matches(['+', '-']).to_ascii_lowercase();
    let non_finite = ["inf", "nan", "infinity"]
        .iter()
        .any(|w| unsigned == *w || unsigned.strip_prefix('.') == Some(*w));
    (!non_finite && !plain.contains(": ") && !plain.ends_with(':')).then_some(())
}

/// A continuation line of a plain scalar (without its indentation): not a comment, no `: ` or
/// ` #` in it, not ending with `:`.
fn continuation_ok(text: &str) -> Option<()> {
    (!text.starts_with('#') && !text.contains(": ") && !text.contains(" #") && !text.ends_with(':'))
        .then_some(())
}

/// `value` cut before a comment (` #`), trailing spaces removed: the text and the comment.
fn split_comment(value: &str) -> (&str, &str) {
    let end = value.find(" #").unwrap_or(value.len());
    (value[..end].trim_end_matches(' '), &value[end..])
}

fn comment_ok(rest: &str) -> bool {
    let rest = rest.trim_start_matches(' ');
    rest.is_empty() || rest.starts_with('#')
}

/// The part of a quoted scalar on one line (after the opening quote on its first line): its
/// raw length (no shorter than what it decodes to) and whether the scalar closes on the line
/// (then only a comment may follow). Double-quoted text may hold only simple escapes, and no
/// escaped line break.
fn quoted(text: &str, quote: u8) -> Option<(usize, bool)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\\' if quote == b'"' => {
                if !matches!(
                    bytes.get(i + 1),
                    Some(b'\\' | b'"' | b'n' | b't' | b'r' | b'/' | b'0')
                ) {
                    return None;
                }
                i += 2;
            }
            b if b == quote => return comment_ok(&text[i + 1..]).then_some((i, true)),
            _ => i += 1,
        }
    }
    Some((bytes.len(), false))
}

/// A file the pass accepted: its text, its documents, and each one's full value once decoded.
#[derive(Debug)]
pub(crate) struct Skimmed {
    text: std::sync::Arc<str>,
    docs: Vec<SkimDoc>,
    decoded: Vec<std::sync::OnceLock<Value>>,
}

impl Skimmed {
    /// `text` skimmed; `None` when the pass declines it.
    pub(crate) fn new(text: &str) -> Option<Self> {
        let docs = skim(text)?;
        Some(Skimmed {
            text: text.into(),
            decoded: docs.iter().map(|_| std::sync::OnceLock::new()).collect(),
            docs,
        })
    }

    /// The documents, in file order.
    pub(crate) fn docs(&self) -> &[SkimDoc] {
        &self.docs
    }

    /// The text of document `i`.
    pub(crate) fn text(&self, i: usize) -> &str {
        &self.text[self.docs[i].range.clone()]
    }

    /// Document `i` fully decoded (once; call on a thread with
    /// [`model::PARSER_STACK_BYTES`] of stack).
    pub(crate) fn decoded(&self, i: usize) -> &Value {
        self.decoded[i].get_or_init(|| {
            let range = self.docs[i].range.clone();
            if let Ok(mut one) = model::parse_resource_documents(&self.text[range])
                && one.len() == 1
            {
                return one.swap_remove(0);
            }
            // The pass accepted the text, so the document parses on its own; should it not,
            // the whole file is parsed (the same document, read in its context).
            debug_assert!(false, "a skimmed document does not parse alone");
            model::parse_resource_documents(&self.text)
                .ok()
                .and_then(|mut docs| (i < docs.len()).then(|| docs.swap_remove(i)))
                .unwrap_or(Value::Null)
        })
    }
}
