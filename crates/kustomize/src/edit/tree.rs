//! The YAML syntax tree with byte ranges, and the `images:` list read from it.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle};

use super::scalar::core_schema_non_string;
use super::{EditError, EditErrorKind, MAX_DEPTH, MAX_INPUT_BYTES, MAX_NODES, invalid};
use crate::images::ImageEntry;

#[derive(Debug)]
pub(super) struct Scalar {
    pub(super) value: String,
    pub(super) style: ScalarStyle,
    pub(super) tagged: bool,
    /// Tagged with something other than `!!str` (a local `!x` or another core tag).
    pub(super) other_tag: bool,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) line: usize,
    pub(super) col: usize,
}

impl Scalar {
    pub(super) fn is_null(&self) -> bool {
        !self.tagged
            && self.style == ScalarStyle::Plain
            && (self.start == self.end
                || matches!(self.value.as_str(), "~" | "null" | "Null" | "NULL"))
    }
}

#[derive(Debug)]
pub(super) struct Coll<T> {
    pub(super) flow: bool,
    /// Flow: the `[` or `{`; block: the first content byte.
    pub(super) start: usize,
    /// Flow: after the `]` or `}`; block: not meaningful.
    pub(super) end: usize,
    pub(super) line: usize,
    pub(super) col: usize,
    pub(super) items: Vec<T>,
}

#[derive(Debug)]
pub(super) enum Node {
    Scalar(Scalar),
    Seq(Coll<Node>),
    Map(Coll<(Scalar, Node)>),
}

impl Node {
    pub(super) fn start(&self) -> usize {
        match self {
            Node::Scalar(s) => s.start,
            Node::Seq(c) => c.start,
            Node::Map(c) => c.start,
        }
    }

    /// The byte after the last byte of the node's content.
    pub(super) fn end(&self) -> usize {
        match self {
            Node::Scalar(s) => s.end,
            Node::Seq(c) if c.flow => c.end,
            Node::Map(c) if c.flow => c.end,
            Node::Seq(c) => c.items.last().map_or(c.start, Node::end),
            Node::Map(c) => c.items.last().map_or(c.start, |(_, v)| v.end()),
        }
    }

    pub(super) fn position(&self) -> (usize, usize) {
        match self {
            Node::Scalar(s) => (s.line, s.col + 1),
            Node::Seq(c) => (c.line, c.col + 1),
            Node::Map(c) => (c.line, c.col + 1),
        }
    }
}

pub(super) struct Doc {
    pub(super) root: Option<Node>,
}

struct Reader<'a> {
    text: &'a str,
    parser: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    /// Nodes read so far (see [`MAX_NODES`]).
    nodes: usize,
}

fn range(span: &Span) -> (usize, usize) {
    span.byte_range().map_or((0, 0), |r| (r.start, r.end))
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), EditError> {
        match self.parser.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err(EditError::new(
                EditErrorKind::Yaml,
                format!("invalid YAML: {}", e.info()),
            )
            .at(e.marker().line(), e.marker().col() + 1)),
            None => Err(EditError::new(
                EditErrorKind::Yaml,
                "invalid YAML: unexpected end of input",
            )),
        }
    }

    /// The next event that is not a comment.
    fn next_content(&mut self) -> Result<(Event<'a>, Span), EditError> {
        loop {
            let (event, span) = self.next()?;
            if !matches!(event, Event::Comment(..)) {
                return Ok((event, span));
            }
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, EditError> {
        let (start, end) = range(&span);
        let (line, col) = (span.start.line(), span.start.col());
        let anchored = || {
            EditError::new(
                EditErrorKind::Unsupported,
                "anchors and aliases are not supported in a kustomization Ferry edits; write the values out",
            )
            .at(line, col + 1)
        };
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(EditError::new(
                EditErrorKind::TooLarge,
                format!(
                    "the file is too large to edit: more than {MAX_NODES} YAML values (about \
                     30,000 `images` entries); split it into smaller kustomizations"
                ),
            )
            .at(line, col + 1));
        }
        if depth > MAX_DEPTH {
            return Err(EditError::new(
                EditErrorKind::TooDeep,
                format!("collections are nested deeper than {MAX_DEPTH} levels"),
            )
            .at(line, col + 1));
        }
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 {
                    return Err(anchored());
                }
                Ok(Node::Scalar(Scalar {
                    value: value.into_owned(),
                    style,
                    tagged: tag.is_some(),
                    other_tag: tag
                        .as_ref()
                        .is_some_and(|t| t.handle() != "tag:yaml.org,2002:" || t.suffix() != "str"),
                    start,
                    end,
                    line,
                    col,
                }))
            }
            Event::SequenceStart(style, anchor, _) => {
                if anchor != 0 {
                    return Err(anchored());
                }
                let mut coll = Coll {
                    flow: style == StructureStyle::Flow,
                    start,
                    end,
                    line,
                    col,
                    items: Vec::new(),
                };
                loop {
                    let (event, span) = self.next_content()?;
                    if matches!(event, Event::SequenceEnd) {
                        coll.end = range(&span).1;
                        return Ok(Node::Seq(coll));
                    }
                    coll.items.push(self.node(event, span, depth + 1)?);
                }
            }
            Event::MappingStart(style, anchor, _) => {
                if anchor != 0 {
                    return Err(anchored());
                }
                let mut coll = Coll {
                    flow: style == StructureStyle::Flow,
                    start,
                    end,
                    line,
                    col,
                    items: Vec::new(),
                };
                // Keys seen so far, to their index: finding a repeated key stays linear.
                let mut keys: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                loop {
                    let (event, span) = self.next_content()?;
                    if matches!(event, Event::MappingEnd) {
                        coll.end = range(&span).1;
                        return Ok(Node::Map(coll));
                    }
                    let key = match self.node(event, span, depth + 1)? {
                        Node::Scalar(s) => s,
                        other => {
                            let (l, c) = other.position();
                            return Err(EditError::new(
                                EditErrorKind::Unsupported,
                                "a mapping key that is not a scalar is not supported",
                            )
                            .at(l, c));
                        }
                    };
                    if let Some((first, _)) = keys.get(&key.value).map(|&i| &coll.items[i]) {
                        return Err(EditError::new(
                            EditErrorKind::Invalid,
                            format!(
                                "duplicate key `{}` (first defined on line {}); remove one of them",
                                key.value, first.line
                            ),
                        )
                        .at(key.line, key.col + 1));
                    }
                    let (event, span) = self.next_content()?;
                    let mut value = self.node(event, span, depth + 1)?;
                    if let Node::Scalar(s) = &mut value
                        && s.start == s.end
                    {
                        // An empty value: place it right after the key's `:`.
                        let after = colon_after(self.text, key.end).unwrap_or(key.end);
                        s.start = after;
                        s.end = after;
                    }
                    keys.insert(key.value.clone(), coll.items.len());
                    coll.items.push((key, value));
                }
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => Err(anchored()),
            other => Err(EditError::new(
                EditErrorKind::Yaml,
                format!("invalid YAML: unexpected {other:?}"),
            )
            .at(line, col + 1)),
        }
    }
}

/// The byte after the `:` that follows a mapping key ending at `key_end`.
pub(super) fn colon_after(text: &str, key_end: usize) -> Option<usize> {
    let rest = text.get(key_end..)?;
    let offset = rest.find(':')?;
    rest[..offset]
        .chars()
        .all(|c| c == ' ' || c == '"' || c == '\'')
        .then_some(key_end + offset + 1)
}

pub(super) fn parse_doc(text: &str) -> Result<Doc, EditError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(EditError::too_large(text.len()));
    }
    // YAML also breaks lines at a lone CR; the editor places lines by LF, so it refuses them.
    if let Some(at) = text
        .bytes()
        .enumerate()
        .find(|&(i, b)| b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n'))
        .map(|(i, _)| i)
    {
        let before = &text[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        return Err(EditError::new(
            EditErrorKind::Unsupported,
            "a carriage return (CR) without a line feed; write the file with LF or CRLF line endings",
        )
        .at(
            before.matches('\n').count() + 1,
            before[line_start..].chars().count() + 1,
        ));
    }
    // Comments are skipped: without their events, any number of them in a row is fine.
    let mut options = serde_saphyr::granit_parser::Options::default();
    options.set_emit_comments(false);
    let mut reader = Reader {
        text,
        parser: Parser::new_from_str_with_options(text, options),
        nodes: 0,
    };
    let mut root = None;
    let mut documents = 0;
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamStart | Event::Comment(..) => {}
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(EditError::new(
                        EditErrorKind::Unsupported,
                        "a kustomization holds one YAML document; this file has more",
                    )
                    .at(span.start.line(), span.start.col() + 1));
                }
                let (event, span) = reader.next_content()?;
                root = Some(reader.node(event, span, 0)?);
                loop {
                    let (event, _) = reader.next()?;
                    match event {
                        Event::DocumentEnd => break,
                        Event::Comment(..) => {}
                        other => {
                            return Err(EditError::new(
                                EditErrorKind::Yaml,
                                format!("invalid YAML: unexpected {other:?}"),
                            ));
                        }
                    }
                }
            }
            other => {
                return Err(EditError::new(
                    EditErrorKind::Yaml,
                    format!("invalid YAML: unexpected {other:?}"),
                ));
            }
        }
    }
    Ok(Doc { root })
}

// ---------------------------------------------------------------------------------------------
// The images list

pub(super) const FIELDS: [&str; 5] = ["name", "newName", "newTag", "digest", "tagSuffix"];

pub(super) struct EntryRef<'d> {
    pub(super) map: &'d Coll<(Scalar, Node)>,
    pub(super) entry: ImageEntry,
}

pub(super) struct Images<'d> {
    pub(super) root: Option<&'d Coll<(Scalar, Node)>>,
    pub(super) key: Option<&'d Scalar>,
    pub(super) value: Option<&'d Node>,
    pub(super) entries: Vec<EntryRef<'d>>,
}

pub(super) fn images_of(doc: &Doc) -> Result<Images<'_>, EditError> {
    let root = match &doc.root {
        None => None,
        Some(Node::Scalar(s)) if s.is_null() && s.start == s.end => None,
        Some(Node::Scalar(s)) if s.is_null() => {
            return Err(EditError::new(
                EditErrorKind::Invalid,
                format!(
                    "the file holds only `{}` (null); a kustomization is a mapping: write \
                     `key: value` lines such as `resources:`",
                    s.value
                ),
            )
            .at(s.line, s.col + 1));
        }
        Some(Node::Map(m)) => Some(m),
        Some(other) => {
            let (line, col) = other.position();
            return Err(EditError::new(
                EditErrorKind::Invalid,
                "a kustomization must be a mapping (`key: value` lines) at the top level",
            )
            .at(line, col));
        }
    };
    let mut images = Images {
        root,
        key: None,
        value: None,
        entries: Vec::new(),
    };
    let Some((key, value)) = root.and_then(|m| m.items.iter().find(|(k, _)| k.value == "images"))
    else {
        return Ok(images);
    };
    images.key = Some(key);
    images.value = Some(value);
    let items = match value {
        Node::Scalar(s) if s.is_null() => return Ok(images),
        Node::Seq(seq) => &seq.items,
        other => {
            let (line, col) = other.position();
            return Err(EditError::new(
                EditErrorKind::Invalid,
                "must be a list of entries (`- name: ...`)",
            )
            .at(line, col)
            .field("images"));
        }
    };
    // Entry names seen so far, to their index: finding a repeated name stays linear.
    let mut names: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let Node::Map(map) = item else {
            let (line, col) = item.position();
            return Err(EditError::new(
                EditErrorKind::Invalid,
                "must be a mapping with `name` and `newName`, `newTag` or `digest`",
            )
            .at(line, col)
            .field(format!("images[{i}]")));
        };
        let mut entry = ImageEntry::default();
        for (k, v) in &map.items {
            let path = format!("images[{i}].{}", k.value);
            if !FIELDS.contains(&k.value.as_str()) {
                return Err(invalid(
                    k,
                    &format!("images[{i}]"),
                    format!(
                        "unknown field `{}`; an images entry has name, newName, newTag, digest and tagSuffix",
                        k.value
                    ),
                ));
            }
            let Node::Scalar(s) = v else {
                let (line, col) = v.position();
                return Err(EditError::new(EditErrorKind::Invalid, "must be a string")
                    .at(line, col)
                    .field(path));
            };
            if matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded) || s.line != k.line {
                return Err(EditError::new(
                    EditErrorKind::Unsupported,
                    "a value spanning several lines is not supported here; write it on the key's line",
                )
                .at(k.line, k.col + 1)
                .field(path));
            }
            if s.other_tag {
                return Err(EditError::new(
                    EditErrorKind::Unsupported,
                    "a tag other than `!!str` is not supported here; remove it and quote the value",
                )
                .at(s.line, s.col + 1)
                .field(path));
            }
            if s.is_null() {
                continue;
            }
            if !s.tagged
                && s.style == ScalarStyle::Plain
                && let Some(kind) = core_schema_non_string(&s.value)
            {
                return Err(invalid(
                    s,
                    &path,
                    format!(
                        "`{}` is read as a {kind}, not a string; quote it: \"{}\"",
                        s.value, s.value
                    ),
                ));
            }
            let value = Some(s.value.clone());
            match k.value.as_str() {
                "name" => entry.name = s.value.clone(),
                "newName" => entry.new_name = value,
                "newTag" => entry.new_tag = value,
                "tagSuffix" => entry.tag_suffix = value,
                _ => entry.digest = value,
            }
        }
        if entry.name.is_empty() {
            let (line, col) = item.position();
            return Err(EditError::new(EditErrorKind::Invalid, "missing `name`")
                .at(line, col)
                .field(format!("images[{i}]")));
        }
        if let Some(&first) = names.get(entry.name.as_str()) {
            let first: &EntryRef<'_> = &images.entries[first];
            let (line, col) = item.position();
            return Err(EditError::new(
                EditErrorKind::Invalid,
                format!(
                    "a second entry for `{}` (the first is on line {}); keep only one",
                    entry.name, first.map.line
                ),
            )
            .at(line, col)
            .field(format!("images[{i}]")));
        }
        names.insert(entry.name.clone(), images.entries.len());
        images.entries.push(EntryRef { map, entry });
    }
    Ok(images)
}
