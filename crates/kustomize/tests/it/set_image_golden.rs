//! Golden files for image edits: every input under `fixtures/set-image/` is edited, the output
//! is pinned with insta, every line outside the edited entries must be byte-identical to the
//! input, the entries must read back as intended, and the same edit again must change nothing.

use std::collections::BTreeSet;

use ferry_kustomize::{ImageEdit, ImageEntry, ImageSpec, read_images, set_images};

const D: &str = "sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3";
const E: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// `(input file, arguments)`; `-NAME` removes the entry NAME.
fn cases() -> Vec<(&'static str, Vec<String>)> {
    let c = |file: &'static str, args: &[&str]| {
        (
            file,
            args.iter()
                .map(|a| a.replace("{D}", D).replace("{E}", E))
                .collect(),
        )
    };
    vec![
        c("01-block-zero-indent.yaml", &["app:1.4.0"]),
        c(
            "02-block-indented.yaml",
            &["app=registry.example.com/acme/app:1.4.0"],
        ),
        c("03-inline-comments.yaml", &["app:1.4.0"]),
        c(
            "04-double-quoted-tag.yaml",
            &["app=registry.example.com/acme/app:1.4"],
        ),
        c("05-single-quoted-tag.yaml", &["app:2.0"]),
        c("06-numeric-tag-quoted.yaml", &["app:1.10", "web:2"]),
        c("07-bool-like-tags.yaml", &["app:yes", "web:on", "db:1e3"]),
        c("08-flow-list.yaml", &["app:1.4.0"]),
        c(
            "09-flow-list-append.yaml",
            &["web=reg.example.com/web:2.0.0"],
        ),
        c("10-flow-empty.yaml", &["app:1.4.0"]),
        c(
            "11-missing-images.yaml",
            &["app=registry.example.com/acme/app:1.4.0"],
        ),
        c("12-null-images.yaml", &["app:1.4.0"]),
        c("13-tilde-images.yaml", &["app:1.4.0"]),
        c("14-crlf.yaml", &["app:1.4.0", "web:2.0.0"]),
        c("15-bom.yaml", &["app:1.4.0"]),
        c("16-document-markers.yaml", &["app:1.4.0", "web:1.0.0"]),
        c("17-digest-drops-tag.yaml", &["app=*@{D}"]),
        c("18-tag-drops-digest.yaml", &["app:1.0.0"]),
        c(
            "19-registry-port-newname.yaml",
            &["app=localhost:5000/team/app"],
        ),
        c("20-keep-newname-star.yaml", &["app=*:1.4.0"]),
        c("21-keep-tag-star.yaml", &["app=mirror.example.com/app:*"]),
        c("22-keep-digest-star.yaml", &["app=new.example.com/app@*"]),
        c("23-remove-middle.yaml", &["-b"]),
        c("24-remove-only-entry.yaml", &["-a"]),
        c("25-remove-flow.yaml", &["-a", "-c"]),
        c("26-remove-missing.yaml", &["-zzz"]),
        c(
            "27-up-to-date.yaml",
            &["app=registry.example.com/acme/app:1.4.0"],
        ),
        c(
            "28-multiple-edits.yaml",
            &["a=reg/a:1.0.0", "b@{E}", "c:2.0.0", "d:new"],
        ),
        c("29-dash-own-line.yaml", &["app:1.4.0", "x:1.0.0"]),
        c("30-first-key-not-name.yaml", &["app=*@{D}"]),
        c("31-wide-dash.yaml", &["app:1.4.0", "web:2.0.0"]),
        c(
            "32-flow-entries-in-block.yaml",
            &["app=reg/app:1.4.0", "db:16"],
        ),
        c("33-quoted-keys.yaml", &["app:1.4.0"]),
        c(
            "34-comments-around.yaml",
            &["app:1.4.0", "web=*:2.1.0", "db:1.0.0"],
        ),
        c("35-no-final-newline.yaml", &["app:1.4.0", "web:2.0.0"]),
        c("36-images-first-append.yaml", &["web:2.0.0"]),
        c(
            "37-followed-by-json6902.yaml",
            &["image1=foo.bar.foo:8800/foo/image1:foo-bar"],
        ),
        c(
            "38-full-overlay.yaml",
            &["registry.example.com/acme/backend:1.4.0"],
        ),
        c("39-four-space-indent.yaml", &["app:1.4.0", "web:2.0.0"]),
        c("40-empty-newtag.yaml", &["app=*:1.4.0"]),
        c("41-tagged-str.yaml", &["app:1.11"]),
        c("42-registry-port-name.yaml", &["localhost:5000/app:2.0"]),
        c(
            "43-date-and-sha-tags.yaml",
            &["app:2024-01-15", "web:3f2a9c1b0d4e"],
        ),
        c("44-flow-multiline.yaml", &["web:2.1.0", "db:1.0.0"]),
        c("45-root-flow.yaml", &["app:1.4.0"]),
        c("46-comment-only.yaml", &["app:1.4.0"]),
        c("47-empty-file.yaml", &["app=reg/app:1.4.0"]),
        c("48-indented-append-missing.yaml", &["app:1.4.0"]),
        c("49-images-null-flow-root.yaml", &["app:1.4.0"]),
        c("50-remove-and-add.yaml", &["-old", "new:3.0.0"]),
        c("51-flow-remove-several.yaml", &["db:2.0"]),
        c("52-dash-line-remove-run.yaml", &["a=reg/a"]),
    ]
}

fn edits(args: &[String]) -> Vec<ImageEdit> {
    args.iter()
        .map(|a| match a.strip_prefix('-') {
            Some(name) => ImageEdit::Remove(name.to_owned()),
            None => ImageEdit::Set(ImageSpec::parse(a).unwrap()),
        })
        .collect()
}

/// The entries the edits should produce, computed on the model alone.
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

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Input lines an edit of `names` may change: the `images:` key line and the lines of the
/// entries with those names (the whole list when it is in flow style).
fn allowed_lines(input: &str, names: &BTreeSet<String>) -> BTreeSet<usize> {
    let lines: Vec<&str> = input.split_inclusive('\n').collect();
    let mut allowed = BTreeSet::new();
    let is_key = |l: &str| {
        let t = l
            .trim_start_matches('\u{feff}')
            .trim_start_matches(['{', ' ']);
        t.starts_with("images:") || t.starts_with("\"images\":")
    };
    let Some(k) = lines.iter().position(|l| is_key(l)) else {
        // A top-level flow mapping gains `, images: [...]` before its `}` on its last line.
        if input.trim_start().starts_with('{') {
            allowed.insert(lines.len().saturating_sub(1));
        }
        return allowed;
    };
    allowed.insert(k);
    let key_indent = indent(lines[k]);
    let mut region = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(k + 1) {
        let t = line.trim();
        let outside = !t.is_empty()
            && !t.starts_with('#')
            && indent(line) <= key_indent
            && (indent(line) != key_indent || !t.starts_with('-'))
            && !t.starts_with(['{', ']', '['])
            && !lines[k].contains('[');
        if outside {
            break;
        }
        region.push(i);
    }
    if lines[k].contains('[') {
        allowed.extend(region);
        return allowed;
    }
    // Split the region into entries at the `-` lines.
    let mut current: Vec<usize> = Vec::new();
    let mut segments = Vec::new();
    for i in region {
        if lines[i].trim_start().starts_with('-') && !current.is_empty() {
            segments.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    segments.push(current);
    for segment in segments {
        let text: String = segment.iter().map(|&i| lines[i]).collect();
        let text = text.replace(['"', '\''], "");
        let edited = names.iter().any(|n| {
            let needle = format!("name: {n}");
            text.match_indices(&needle).any(|(at, _)| {
                text[at + needle.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| matches!(c, '\n' | '\r' | ' ' | '}' | ','))
            })
        });
        if edited {
            allowed.extend(segment);
        }
    }
    allowed
}

/// Indices of input lines that are not kept verbatim (longest common subsequence of lines).
fn changed_input_lines(input: &str, output: &str) -> BTreeSet<usize> {
    let a: Vec<&str> = input.split_inclusive('\n').collect();
    let b: Vec<&str> = output.split_inclusive('\n').collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut changed) = (0, 0, BTreeSet::new());
    while i < a.len() {
        if j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && lcs[i][j + 1] >= lcs[i + 1][j] {
            j += 1;
        } else {
            changed.insert(i);
            i += 1;
        }
    }
    changed
}

#[test]
fn golden_set_image() {
    let dir = ferry_test_support::fixtures_dir().join("set-image");
    let cases = cases();
    assert!(cases.len() >= 40, "at least 40 golden inputs");
    let mut seen = BTreeSet::new();
    for (file, args) in &cases {
        assert!(seen.insert(*file), "{file} is listed twice");
        let input =
            std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let edits = edits(args);
        let outcome = set_images(&input, &edits).unwrap_or_else(|e| panic!("{file}: {e}"));

        // Meaning: the entries read back as the model says.
        let want = expected(&read_images(&input).unwrap(), &edits);
        assert_eq!(outcome.after, want, "{file}: entries after the edit");
        assert_eq!(read_images(&outcome.text).unwrap(), want, "{file}: re-read");

        // Bytes: only the edited entries' lines (and the images: key line) may change.
        let names: BTreeSet<String> = edits
            .iter()
            .map(|e| match e {
                ImageEdit::Set(s) => s.name.clone(),
                ImageEdit::Remove(n) => n.clone(),
            })
            .collect();
        let allowed = allowed_lines(&input, &names);
        let changed = changed_input_lines(&input, &outcome.text);
        let stray: Vec<usize> = changed.difference(&allowed).map(|i| i + 1).collect();
        assert!(
            stray.is_empty(),
            "{file}: input lines {stray:?} changed outside the edited entries:\n{}",
            outcome.text
        );
        if input.contains("\r\n") {
            assert!(
                !outcome.text.replace("\r\n", "").contains('\n'),
                "{file}: mixed line endings"
            );
        }
        assert_eq!(
            input.starts_with('\u{feff}'),
            outcome.text.starts_with('\u{feff}'),
            "{file}: BOM"
        );

        // Idempotent.
        let again = set_images(&outcome.text, &edits).unwrap();
        assert!(
            !again.changed,
            "{file}: the second run changed the text again"
        );

        // Make carriage returns, BOMs and a missing final newline visible in the snapshot.
        let visible = |t: &str| {
            t.replace('\r', "<CR>").replace('\u{feff}', "<BOM>")
                + if t.ends_with('\n') || t.is_empty() {
                    ""
                } else {
                    "<no final newline>"
                }
        };
        let snapshot = format!(
            "args: {}\nchanged: {}\n--- input\n{}\n--- output\n{}",
            args.join(" "),
            outcome.changed,
            visible(&input),
            visible(&outcome.text)
        );
        insta::assert_snapshot!(file.trim_end_matches(".yaml"), snapshot);
    }
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        on_disk,
        cases.len(),
        "every file in fixtures/set-image has a case"
    );
}
