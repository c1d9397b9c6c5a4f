//! Byte-range operations on the text: changing, adding and removing keys and entries.

use serde_saphyr::granit_parser::ScalarStyle;

use super::scalar::render;
use super::tree::{Coll, FIELDS, Images, Node, Scalar, colon_after};
use super::{EditError, EditErrorKind};
use crate::images::ImageEntry;

#[derive(Debug)]
pub(super) struct Op {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: String,
}

impl Op {
    pub(super) fn insert(at: usize, text: String) -> Op {
        Op {
            start: at,
            end: at,
            text,
        }
    }
}

pub(super) fn apply_ops(text: &str, mut ops: Vec<Op>) -> Result<String, EditError> {
    ops.sort_by_key(|op| (op.start, op.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut cursor = 0;
    for op in ops {
        if op.start < cursor {
            return Err(EditError::new(
                EditErrorKind::Verification,
                "internal error: overlapping edits; nothing was changed",
            ));
        }
        out.push_str(&text[cursor..op.start]);
        out.push_str(&op.text);
        cursor = op.end;
    }
    out.push_str(&text[cursor..]);
    Ok(out)
}

fn newline(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The byte after the newline that ends the line containing `pos`.
fn line_end(text: &str, pos: usize) -> Option<usize> {
    text[pos..].find('\n').map(|i| pos + i + 1)
}

/// Deletes whole lines from the line of `from` to the line of `to` (inclusive).
fn delete_lines(text: &str, from: usize, to: usize) -> Op {
    let start = line_start(text, from);
    match line_end(text, to) {
        Some(end) => Op {
            start,
            end,
            text: String::new(),
        },
        // The last line has no newline: take the newline before it instead.
        None => {
            let mut s = start;
            if s > 0 {
                s -= 1;
                if s > 0 && text.as_bytes()[s - 1] == b'\r' {
                    s -= 1;
                }
            }
            Op {
                start: s,
                end: text.len(),
                text: String::new(),
            }
        }
    }
}

/// Inserts lines after the line that contains `pos`.
fn insert_lines_after(text: &str, pos: usize, lines: &[String]) -> Op {
    let nl = newline(text);
    match line_end(text, pos) {
        Some(at) => Op::insert(at, lines.iter().map(|l| format!("{l}{nl}")).collect()),
        None => Op::insert(
            text.len(),
            lines.iter().map(|l| format!("{nl}{l}")).collect(),
        ),
    }
}

/// The `-` that introduces a block sequence item starting at `item_start`.
fn dash_before(text: &str, item_start: usize) -> Option<usize> {
    let before = &text[..item_start];
    let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n']);
    trimmed.ends_with('-').then(|| trimmed.len() - 1)
}

fn only_spaces(s: &str) -> bool {
    s.chars().all(|c| c == ' ')
}

fn unsupported_at(line: usize, col: usize, message: &str) -> EditError {
    EditError::new(EditErrorKind::Unsupported, message).at(line, col + 1)
}

fn entry_fields(entry: &ImageEntry) -> Vec<(&'static str, &str)> {
    let mut fields = vec![("name", entry.name.as_str())];
    for (key, value) in [
        ("newName", &entry.new_name),
        ("newTag", &entry.new_tag),
        ("digest", &entry.digest),
    ] {
        if let Some(v) = value {
            fields.push((key, v.as_str()));
        }
    }
    fields
}

fn flow_entry(entry: &ImageEntry) -> String {
    let fields: Vec<String> = entry_fields(entry)
        .into_iter()
        .map(|(k, v)| format!("{k}: {}", render(v, ScalarStyle::Plain)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// Block lines for a new entry: `{indent}-{gap}name: ...` then keys at `indent + 1 + gap`.
fn block_entry(entry: &ImageEntry, indent: usize, key_offset: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let gap = " ".repeat(key_offset.max(2) - 1);
    let keys = " ".repeat(indent + key_offset.max(2));
    entry_fields(entry)
        .into_iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let v = render(v, ScalarStyle::Plain);
            if i == 0 {
                format!("{pad}-{gap}{k}: {v}")
            } else {
                format!("{keys}{k}: {v}")
            }
        })
        .collect()
}

/// Operations that turn an existing entry into `want`.
pub(super) fn entry_ops(
    text: &str,
    map: &Coll<(Scalar, Node)>,
    want: &ImageEntry,
    ops: &mut Vec<Op>,
) -> Result<(), EditError> {
    let mut additions = Vec::new();
    let mut removed = Vec::new();
    for (field, want_value) in [
        ("newName", &want.new_name),
        ("newTag", &want.new_tag),
        ("digest", &want.digest),
    ] {
        let index = map.items.iter().position(|(k, _)| k.value == field);
        match (index, want_value) {
            (Some(i), Some(w)) => {
                let Node::Scalar(v) = &map.items[i].1 else {
                    return Err(shape_error());
                };
                if !v.is_null() && &v.value == w {
                    continue;
                }
                if v.start == v.end {
                    ops.push(Op::insert(
                        v.start,
                        format!(" {}", render(w, ScalarStyle::Plain)),
                    ));
                } else {
                    ops.push(Op {
                        start: v.start,
                        end: v.end,
                        text: render(w, v.style),
                    });
                }
            }
            (Some(i), None) => removed.push(i),
            (None, Some(w)) => additions.push((field, w.as_str())),
            (None, None) => {}
        }
    }
    removed.sort_unstable();
    remove_keys(text, map, &removed, ops)?;
    if additions.is_empty() {
        return Ok(());
    }
    // A new key goes before the first remaining key that comes after it in the order
    // name, newName, newTag, digest; otherwise after the entry's last key.
    let rank = |key: &str| {
        FIELDS
            .iter()
            .position(|f| *f == key)
            .unwrap_or(FIELDS.len())
    };
    let removed = |key: &str| match key {
        "newName" => want.new_name.is_none(),
        "newTag" => want.new_tag.is_none(),
        "digest" => want.digest.is_none(),
        _ => false,
    };
    let nl = newline(text);
    let mut trailing = Vec::new();
    for (k, v) in additions {
        let value = render(v, ScalarStyle::Plain);
        let anchor = map
            .items
            .iter()
            .map(|(key, _)| key)
            .find(|key| rank(&key.value) > rank(k) && !removed(&key.value));
        match anchor {
            Some(anchor) if map.flow => {
                ops.push(Op::insert(anchor.start, format!("{k}: {value}, ")))
            }
            Some(anchor) => ops.push(Op::insert(
                anchor.start,
                format!("{k}: {value}{nl}{}", " ".repeat(anchor.col)),
            )),
            None => trailing.push((k, value)),
        }
    }
    if trailing.is_empty() {
        return Ok(());
    }
    let last_end = map.items.last().map_or(map.start, |(_, v)| v.end());
    if map.flow {
        let text: String = trailing
            .iter()
            .map(|(k, v)| format!(", {k}: {v}"))
            .collect();
        ops.push(Op::insert(last_end, text));
    } else {
        let indent = " ".repeat(map.items.first().map_or(map.col, |(k, _)| k.col));
        let lines: Vec<String> = trailing
            .iter()
            .map(|(k, v)| format!("{indent}{k}: {v}"))
            .collect();
        ops.push(insert_lines_after(text, last_end, &lines));
    }
    Ok(())
}

fn shape_error() -> EditError {
    EditError::new(
        EditErrorKind::Verification,
        "internal error: unexpected node shape; nothing was changed",
    )
}

/// Operations that delete the keys at `removed` (ascending indices) from an entry. Consecutive
/// removed keys are deleted as one range so the operations never overlap.
fn remove_keys(
    text: &str,
    map: &Coll<(Scalar, Node)>,
    removed: &[usize],
    ops: &mut Vec<Op>,
) -> Result<(), EditError> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &i in removed {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => runs.push((i, i)),
        }
    }
    for (first, last) in runs {
        let (key, _) = &map.items[first];
        let last_value = &map.items[last].1;
        let next_key = map.items.get(last + 1).map(|(k, _)| k.start);
        let dash_line = !only_spaces(&text[line_start(text, key.start)..key.start]);
        if first == 0 && (map.flow || dash_line) {
            // Pull the next remaining key up to where the first removed key starts.
            let end = next_key.ok_or_else(|| {
                unsupported_at(key.line, key.col, "cannot remove every key of an entry")
            })?;
            ops.push(Op {
                start: key.start,
                end,
                text: String::new(),
            });
        } else if map.flow {
            ops.push(Op {
                start: map.items[first - 1].1.end(),
                end: last_value.end(),
                text: String::new(),
            });
        } else {
            ops.push(delete_lines(text, key.start, last_value.end()));
        }
    }
    Ok(())
}

/// Indentation offset of block lists in this file (`key:` column to `-` column), 0 when unknown.
fn list_offset(text: &str, root: &Coll<(Scalar, Node)>) -> usize {
    for (key, value) in &root.items {
        if let Node::Seq(seq) = value
            && !seq.flow
            && let Some(first) = seq.items.first()
            && let Some(dash) = dash_before(text, first.start())
        {
            let col = dash - line_start(text, dash);
            return col.saturating_sub(key.col);
        }
    }
    0
}

/// Operations that append `want` as a new entry.
pub(super) fn append_ops(
    text: &str,
    images: &Images<'_>,
    want: &ImageEntry,
    ops: &mut Vec<Op>,
) -> Result<(), EditError> {
    let nl = newline(text);
    let Some(root) = images.root else {
        // No document, or an empty one: write the images list at the end.
        let mut lines = vec!["images:".to_owned()];
        lines.extend(block_entry(want, 0, 2));
        let body: String = lines.iter().map(|l| format!("{l}{nl}")).collect();
        let prefix = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            nl
        };
        ops.push(Op::insert(text.len(), format!("{prefix}{body}")));
        return Ok(());
    };
    match (images.key, images.value) {
        (None, _) => {
            if root.flow {
                let text_ = format!("images: [{}]", flow_entry(want));
                match root.items.last() {
                    Some((_, v)) => ops.push(Op::insert(v.end(), format!(", {text_}"))),
                    None => ops.push(Op::insert(root.start + 1, text_)),
                }
                return Ok(());
            }
            let key_col = root.items.first().map_or(0, |(k, _)| k.col);
            let mut lines = vec![format!("{}images:", " ".repeat(key_col))];
            lines.extend(block_entry(want, key_col + list_offset(text, root), 2));
            let end = root.items.last().map_or(root.start, |(_, v)| v.end());
            ops.push(insert_lines_after(text, end, &lines));
        }
        (Some(key), Some(Node::Scalar(null))) => {
            if root.flow {
                let body = format!("[{}]", flow_entry(want));
                if null.start == null.end {
                    ops.push(Op::insert(null.start, format!(" {body}")));
                } else {
                    ops.push(Op {
                        start: null.start,
                        end: null.end,
                        text: body,
                    });
                }
                return Ok(());
            }
            if null.start != null.end {
                // `images: ~` or `images: null`: drop the null, keep the key and any comment.
                let after_colon = colon_after(text, key.end).unwrap_or(key.end);
                ops.push(Op {
                    start: after_colon,
                    end: null.end,
                    text: String::new(),
                });
            }
            let lines = block_entry(want, key.col + list_offset(text, root), 2);
            ops.push(insert_lines_after(text, null.end.max(key.end), &lines));
        }
        (Some(_), Some(Node::Seq(seq))) if seq.flow => match seq.items.last() {
            Some(last) => ops.push(Op::insert(last.end(), format!(", {}", flow_entry(want)))),
            None => ops.push(Op::insert(seq.start + 1, flow_entry(want))),
        },
        (Some(key), Some(Node::Seq(seq))) => {
            let first = seq.items.first().ok_or_else(|| {
                unsupported_at(key.line, key.col, "an empty block list cannot be extended")
            })?;
            let dash = dash_before(text, first.start()).ok_or_else(|| {
                unsupported_at(seq.line, seq.col, "cannot find the `-` of the first entry")
            })?;
            let dash_col = dash - line_start(text, dash);
            let last_end = seq.items.last().map_or(seq.start, Node::end);
            let lines = match first {
                Node::Map(m) if m.flow => {
                    vec![format!("{}- {}", " ".repeat(dash_col), flow_entry(want))]
                }
                Node::Map(m) => {
                    let first_key = m.items.first().map(|(k, _)| k);
                    let offset = match first_key {
                        Some(k) if line_start(text, k.start) == line_start(text, dash) => {
                            k.col - dash_col
                        }
                        _ => 2,
                    };
                    block_entry(want, dash_col, offset)
                }
                _ => block_entry(want, dash_col, 2),
            };
            ops.push(insert_lines_after(text, last_end, &lines));
        }
        _ => return Err(shape_error()),
    }
    Ok(())
}

/// Operations that delete entry `index` of the images list.
pub(super) fn remove_ops(
    text: &str,
    images: &Images<'_>,
    index: usize,
    ops: &mut Vec<Op>,
) -> Result<(), EditError> {
    let (Some(key), Some(Node::Seq(seq))) = (images.key, images.value) else {
        return Err(shape_error());
    };
    let item = &seq.items[index];
    if seq.flow {
        let n = seq.items.len();
        let (start, end) = if n == 1 {
            (item.start(), item.end())
        } else if index == 0 {
            (item.start(), seq.items[1].start())
        } else {
            (seq.items[index - 1].end(), item.end())
        };
        ops.push(Op {
            start,
            end,
            text: String::new(),
        });
        return Ok(());
    }
    let dash = dash_before(text, item.start()).ok_or_else(|| {
        let (line, col) = item.position();
        unsupported_at(line, col - 1, "cannot find the `-` of this entry")
    })?;
    if !only_spaces(&text[line_start(text, dash)..dash]) {
        return Err(unsupported_at(
            key.line,
            key.col,
            "the list must start on its own line",
        ));
    }
    ops.push(delete_lines(text, dash, item.end()));
    if seq.items.len() == 1 {
        // The list becomes empty: write `images: []` rather than leaving a null.
        let after_colon = colon_after(text, key.end).unwrap_or(key.end);
        ops.push(Op::insert(after_colon, " []".to_owned()));
    }
    Ok(())
}
