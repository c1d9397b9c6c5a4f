//! The image edit (`set_images`): either a refusal, or the edited text reads back as exactly
//! the intended entries, the rest of the document means the same, every byte outside the
//! `images:` list (and inside it, every entry not edited) is unchanged, and the same edit again
//! changes nothing.
//!
//! Input: the first line holds the edits, separated by spaces (`NAME:TAG`, `NAME=NEW:TAG@DIGEST`
//! … as `ferry-set-image` takes them; `-NAME` removes NAME); the rest is the kustomization.
#![no_main]

use ferry_kustomize::edit::image_spans;
use ferry_kustomize::{ImageEdit, ImageEntry, ImageSpec, read_images, set_images};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (args, text) = ferry_fuzz::first_line(input);
    let edits: Vec<ImageEdit> = args
        .split(' ')
        .filter(|a| !a.is_empty())
        .take(8)
        .filter_map(|a| match a.strip_prefix('-') {
            Some(name) => Some(ImageEdit::Remove(name.to_owned())),
            None => ImageSpec::parse(a).ok().map(ImageEdit::Set),
        })
        .collect();
    check(text, &edits);
});

fn check(text: &str, edits: &[ImageEdit]) {
    let outcome = match set_images(text, edits) {
        Ok(outcome) => outcome,
        Err(error) => {
            // A refusal points into the input.
            if let Some(line) = error.line {
                // YAML breaks lines at CR, LF and CRLF.
                let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
                assert!(
                    line >= 1 && line <= lines,
                    "refusal at line {line} of a {lines}-line input: {error}"
                );
            }
            return;
        }
    };
    let before = read_images(text).expect("an edited text had readable images");
    assert_eq!(outcome.before, before, "entries before");

    // Meaning: the entries are the intended ones, in the intended order.
    let want = expected(&before, edits);
    assert_eq!(outcome.after, want, "entries after");
    assert_eq!(
        read_images(&outcome.text).expect("the edited text reads back"),
        want,
        "entries read back from:\n{}",
        outcome.text
    );
    assert_eq!(outcome.changed, outcome.text != text);
    // The rest of the document means what it meant (when it reads as JSON at all: YAML allows
    // keys JSON does not, such as `~`).
    if outcome.changed
        && let Some(rest) = without_images(text)
    {
        assert_eq!(
            Some(rest),
            without_images(&outcome.text),
            "the edit changed more than images:\n{}",
            outcome.text
        );
    }

    // Bytes.
    if outcome.changed {
        check_bytes(text, &outcome.text, edits);
    }
    if text.contains("\r\n") && !text.replace("\r\n", "").contains('\n') {
        assert!(
            !outcome.text.replace("\r\n", "").contains('\n'),
            "mixed line endings:\n{:?}",
            outcome.text
        );
    }
    assert_eq!(
        text.starts_with('\u{feff}'),
        outcome.text.starts_with('\u{feff}'),
        "byte order mark"
    );

    // Idempotent.
    let again = set_images(&outcome.text, edits).expect("the same edit on its own result");
    assert!(
        !again.changed,
        "a second run changed the text again:\n{}\n->\n{}",
        outcome.text, again.text
    );
}

/// The entries the edits should give, computed on the model alone.
fn expected(before: &[ImageEntry], edits: &[ImageEdit]) -> Vec<ImageEntry> {
    let mut entries = before.to_vec();
    for edit in edits {
        match edit {
            ImageEdit::Set(spec) => match entries.iter().position(|e| e.name == spec.name) {
                Some(i) => entries[i] = spec.resolve(Some(&entries[i])),
                None => entries.push(spec.resolve(None)),
            },
            ImageEdit::Remove(name) => entries.retain(|e| &e.name != name),
        }
    }
    entries
}

/// The document without its `images` key, as JSON (an empty document reads as `{}`); `None`
/// when the text does not read as JSON.
fn without_images(text: &str) -> Option<Value> {
    let docs = ferry_kustomize::model::parse_documents(text).ok()?;
    assert!(docs.len() <= 1, "an edited text holds one document");
    let mut doc = docs
        .into_iter()
        .next()
        .unwrap_or(Value::Object(Default::default()));
    match &mut doc {
        Value::Object(map) => {
            map.remove("images");
        }
        Value::Null => doc = Value::Object(Default::default()),
        _ => {}
    }
    Some(doc)
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

/// Only the `images:` list's lines may change, and inside it only the edited entries.
fn check_bytes(text: &str, edited: &str, edits: &[ImageEdit]) {
    let before = image_spans(text).expect("an edited text has spans");
    let after = image_spans(edited).expect("the edited text has spans");
    match &before.list {
        Some(list) => {
            let (head, tail) = (
                &text[..line_start(text, list.start)],
                &text[line_end(text, list.end.max(list.start))..],
            );
            assert!(
                edited.starts_with(head) && edited.ends_with(tail),
                "bytes outside the images list changed:\n{text}\n->\n{edited}"
            );
        }
        None => {
            // Only an insertion: the input is a prefix and a suffix of the result.
            let prefix = common_prefix(text, edited);
            let suffix = common_suffix(&text[prefix..], &edited[prefix..]);
            assert!(
                prefix + suffix == text.len(),
                "adding an images list changed other bytes:\n{text}\n->\n{edited}"
            );
        }
    }
    let touched = |name: &str| {
        edits.iter().any(|e| match e {
            ImageEdit::Set(spec) => spec.name == name,
            ImageEdit::Remove(n) => n == name,
        })
    };
    for (name, span) in before.entries.iter().filter(|(n, _)| !touched(n)) {
        let (_, new_span) = after
            .entries
            .iter()
            .find(|(n, _)| n == name)
            .expect("an entry not edited stays");
        assert_eq!(
            &text[span.clone()],
            &edited[new_span.clone()],
            "entry `{name}` was not edited but its bytes changed"
        );
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (0..=n).rev().find(|&i| a.is_char_boundary(i)).unwrap_or(0)
}

fn common_suffix(a: &str, b: &str) -> usize {
    let n = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (0..=n)
        .rev()
        .find(|&i| a.is_char_boundary(a.len() - i))
        .unwrap_or(0)
}
