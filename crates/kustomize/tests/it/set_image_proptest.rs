//! Property tests: random valid kustomizations in many layouts and random SPECs. The entries
//! after an edit equal the model's prediction, the text around the images list is untouched, and
//! the same edit a second time changes nothing.

use ferry_kustomize::{FieldEdit, ImageEdit, ImageEntry, ImageSpec, read_images, set_images};
use proptest::prelude::*;

const NAMES: [&str; 5] = [
    "app",
    "web",
    "registry.example.com/acme/db",
    "localhost:5000/cache",
    "worker",
];
const NEW_NAMES: [&str; 4] = [
    "mirror.example.com/app",
    "reg:5000/team/web",
    "other",
    "ghcr.io/acme/x",
];
const TAGS: [&str; 12] = [
    "1.4.0",
    "1.10",
    "2",
    "latest",
    "v1",
    "yes",
    "on",
    "1e3",
    "2024-01-15",
    "0x1F",
    "dev-01",
    "3f2a9c1",
];
const DIGESTS: [&str; 2] = [
    "sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3",
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
];

#[derive(Debug, Clone)]
struct Layout {
    flow: bool,
    flow_items: bool,
    indent: usize,
    quote: u8,
    comments: bool,
    crlf: bool,
    images_key: u8, // 0 absent, 1 present, 2 `images:` null
    name_last: bool,
}

fn entry_strategy() -> impl Strategy<Value = ImageEntry> {
    (
        prop::sample::select(NAMES.to_vec()),
        prop::option::of(prop::sample::select(NEW_NAMES.to_vec())),
        prop::option::of(prop::sample::select(TAGS.to_vec())),
        prop::option::of(prop::sample::select(DIGESTS.to_vec())),
    )
        .prop_map(|(name, new_name, new_tag, digest)| ImageEntry {
            name: name.into(),
            new_name: new_name.map(Into::into),
            new_tag: new_tag.map(Into::into),
            digest: digest.map(Into::into),
            tag_suffix: None,
        })
}

fn field_strategy(values: &'static [&'static str]) -> impl Strategy<Value = FieldEdit> {
    prop_oneof![
        prop::sample::select(values.to_vec()).prop_map(|v| FieldEdit::Set(v.into())),
        Just(FieldEdit::Keep),
        Just(FieldEdit::Unset),
    ]
}

fn edit_strategy() -> impl Strategy<Value = ImageEdit> {
    let set = (
        prop::sample::select(NAMES.to_vec()),
        field_strategy(&NEW_NAMES),
        field_strategy(&TAGS),
        field_strategy(&DIGESTS),
    )
        .prop_filter_map(
            "a SPEC needs a tag, digest or new name",
            |(name, new_name, new_tag, digest)| {
                let spec = ImageSpec {
                    name: name.into(),
                    new_name,
                    new_tag,
                    digest,
                };
                // Go through the text form, as a user would.
                ImageSpec::parse(&spec.to_string()).ok().map(ImageEdit::Set)
            },
        );
    prop_oneof![
        4 => set,
        1 => prop::sample::select(NAMES.to_vec()).prop_map(|n| ImageEdit::Remove(n.into())),
    ]
}

fn layout_strategy() -> impl Strategy<Value = Layout> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec![0usize, 2, 4]),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        0u8..3,
        any::<bool>(),
    )
        .prop_map(
            |(flow, flow_items, indent, quote, comments, crlf, images_key, name_last)| Layout {
                flow,
                flow_items,
                indent,
                quote,
                comments,
                crlf,
                images_key,
                name_last,
            },
        )
}

fn scalar(value: &str, quote: u8) -> String {
    match quote {
        1 => format!("\"{value}\""),
        2 => format!("'{value}'"),
        // Plain only when it reads back as a string.
        _ if ferry_kustomize::edit::needs_quotes(value) => format!("\"{value}\""),
        _ => value.to_owned(),
    }
}

/// The entry's keys, `name` first or (with `name_last`) in reverse order.
fn fields(e: &ImageEntry, quote: u8, name_last: bool) -> Vec<(&'static str, String)> {
    let mut out = vec![("name", scalar(&e.name, quote))];
    for (k, v) in [
        ("newName", &e.new_name),
        ("newTag", &e.new_tag),
        ("digest", &e.digest),
    ] {
        if let Some(v) = v {
            out.push((k, scalar(v, quote)));
        }
    }
    if name_last {
        out.reverse();
    }
    out
}

/// `(prefix, images block, suffix)`.
fn render(entries: &[ImageEntry], l: &Layout) -> (String, String, String) {
    let nl = if l.crlf { "\r\n" } else { "\n" };
    let pad = " ".repeat(l.indent);
    let prefix = format!("# overlay{nl}resources:{nl}{pad}- ../../base{nl}namespace: dev{nl}");
    let suffix = format!("patches:{nl}{pad}- path: patch.yaml # keep{nl}");
    let comment = if l.comments { " # note" } else { "" };
    let block = match l.images_key {
        0 => String::new(),
        _ if entries.is_empty() && l.images_key == 2 => format!("images:{comment}{nl}"),
        _ if entries.is_empty() => format!("images: []{comment}{nl}"),
        _ if l.flow => {
            let items: Vec<String> = entries
                .iter()
                .map(|e| {
                    format!(
                        "{{{}}}",
                        fields(e, l.quote, l.name_last)
                            .iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect();
            format!("images: [{}]{comment}{nl}", items.join(", "))
        }
        _ => {
            let mut out = format!("images:{comment}{nl}");
            for e in entries {
                let f = fields(e, l.quote, l.name_last);
                if l.flow_items {
                    let inner: Vec<String> = f.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    out.push_str(&format!("{pad}- {{{}}}{comment}{nl}", inner.join(", ")));
                } else {
                    for (i, (k, v)) in f.iter().enumerate() {
                        let lead = if i == 0 {
                            format!("{pad}- ")
                        } else {
                            format!("{pad}  ")
                        };
                        out.push_str(&format!("{lead}{k}: {v}{comment}{nl}"));
                    }
                }
            }
            out
        }
    };
    (prefix, block, suffix)
}

/// The documented meaning: each name ends as the fold of its edits (starting from its entry in
/// the file); existing entries stay in place or disappear; new names are appended in the order
/// they are first mentioned.
fn model(before: &[ImageEntry], edits: &[ImageEdit]) -> Vec<ImageEntry> {
    let name_of = |e: &ImageEdit| match e {
        ImageEdit::Set(spec) => spec.name.clone(),
        ImageEdit::Remove(name) => name.clone(),
    };
    let fold = |name: &str| {
        let mut entry = before.iter().find(|e| e.name == name).cloned();
        for edit in edits.iter().filter(|e| name_of(e) == name) {
            entry = match edit {
                ImageEdit::Set(spec) => Some(spec.resolve(entry.as_ref())),
                ImageEdit::Remove(_) => None,
            };
        }
        entry
    };
    let mut out: Vec<ImageEntry> = before.iter().filter_map(|e| fold(&e.name)).collect();
    for edit in edits {
        let name = name_of(edit);
        if !before.iter().any(|e| e.name == name) && !out.iter().any(|e| e.name == name) {
            out.extend(fold(&name));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn edit_matches_model_and_is_idempotent(
        raw in prop::collection::vec(entry_strategy(), 0..5),
        layout in layout_strategy(),
        edits in prop::collection::vec(edit_strategy(), 1..4),
    ) {
        let mut entries: Vec<ImageEntry> = Vec::new();
        for e in raw {
            if !entries.iter().any(|x| x.name == e.name) {
                entries.push(e);
            }
        }
        if layout.images_key == 0 {
            entries.clear();
        }
        let (prefix, block, suffix) = render(&entries, &layout);
        let text = format!("{prefix}{block}{suffix}");
        prop_assert_eq!(read_images(&text).unwrap(), entries.clone());

        let expected = model(&entries, &edits);
        let outcome = set_images(&text, &edits).unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(&outcome.after, &expected, "text:\n{}\n->\n{}", text, outcome.text);
        prop_assert_eq!(read_images(&outcome.text).unwrap(), expected);
        prop_assert!(outcome.text.starts_with(&prefix), "prefix changed:\n{}", outcome.text);
        if layout.images_key != 0 {
            prop_assert!(outcome.text.ends_with(&suffix), "suffix changed:\n{}", outcome.text);
        } else {
            prop_assert!(outcome.text.starts_with(&text), "the original text must stay a prefix");
        }
        if layout.crlf {
            prop_assert!(!outcome.text.replace("\r\n", "").contains('\n'), "LF in a CRLF file");
        }
        let again = set_images(&outcome.text, &edits).unwrap();
        prop_assert!(!again.changed, "second run changed:\n{}\n->\n{}", outcome.text, again.text);
    }
}

/// Golden inputs, damaged at random: an edit either fails with an error or produces a text that
/// reads back with the intended entry; it never panics.
fn damaged_strategy() -> impl Strategy<Value = String> {
    let dir = ferry_test_support::fixtures_dir().join("set-image");
    let mut inputs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    inputs.sort();
    (
        prop::sample::select(inputs),
        any::<prop::sample::Index>(),
        0usize..8,
        prop::sample::select(vec![
            "",
            " ",
            "\t",
            "\n",
            "\r\n",
            "-",
            ":",
            "[",
            "]",
            "{",
            "}",
            "#",
            "&a ",
            "*a",
            "'",
            "\"",
            "---\n",
            "images:",
            "- name: app\n",
            "\u{feff}",
            "é",
            "!!int ",
        ]),
    )
        .prop_map(|(text, at, len, insert)| {
            let mut at = at.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + len).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}{insert}{}", &text[..at], &text[end..])
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn damaged_input_never_panics(text in damaged_strategy(), edit in edit_strategy()) {
        if let Ok(outcome) = set_images(&text, std::slice::from_ref(&edit)) {
            let after = read_images(&outcome.text).unwrap();
            prop_assert_eq!(&after, &outcome.after);
            let name = match &edit {
                ImageEdit::Set(spec) => &spec.name,
                ImageEdit::Remove(name) => name,
            };
            let want = model(&outcome.before, std::slice::from_ref(&edit));
            prop_assert_eq!(after.iter().find(|e| &e.name == name), want.iter().find(|e| &e.name == name));
        }
    }
}
