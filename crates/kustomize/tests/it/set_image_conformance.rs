//! `kustomize edit set image` conformance (`kustomize/setimage.jsonl`): Ferry must produce the
//! same entries. kustomize re-sorts the list and writes keys alphabetically; Ferry keeps the
//! file's order, so entries are compared by meaning (sorted by name), not by layout.

use ferry_kustomize::{ImageEdit, ImageEntry, ImageSpec, read_images, set_images};
use serde_json::Value;

fn entry(value: &Value) -> ImageEntry {
    serde_json::from_value(value.clone()).expect("expected_images entry")
}

#[test]
fn setimage_cases() {
    let cases = ferry_test_support::conformance_cases("kustomize/setimage.jsonl");
    assert_eq!(cases.len(), 25);
    let mut checked = 0;
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let args: Vec<&str> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let input = case["input"].as_str().unwrap();
        if case["expected_error"].as_bool().unwrap() {
            match case["error_kind"].as_str().unwrap() {
                // No SPEC at all: the binary refuses it ("no image specified", exit 2); tested in
                // bins/ferry-set-image/tests/it/set_image_cli.rs. At the library level an empty
                // edit list is a no-op.
                "no_args" => {
                    assert!(args.is_empty(), "{id}");
                    let outcome = set_images(input, &[]).unwrap();
                    assert!(!outcome.changed, "{id}");
                }
                "invalid_args" => {
                    assert!(
                        args.iter().any(|a| ImageSpec::parse(a).is_err()),
                        "{id}: some argument of {args:?} must be rejected"
                    );
                }
                other => panic!("{id}: unknown error kind {other}"),
            }
            checked += 1;
            continue;
        }
        let edits: Vec<ImageEdit> = args
            .iter()
            .map(|a| ImageEdit::Set(ImageSpec::parse(a).unwrap_or_else(|e| panic!("{id}: {e}"))))
            .collect();
        let outcome = set_images(input, &edits).unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut got = outcome.after.clone();
        got.sort_by(|a, b| a.name.cmp(&b.name));
        let want: Vec<ImageEntry> = case["expected_images"]
            .as_array()
            .unwrap()
            .iter()
            .map(entry)
            .collect();
        assert_eq!(got, want, "{id}: entries\n{}", outcome.text);
        // The written text reads back as strings (numeric-looking tags are quoted).
        assert_eq!(
            read_images(&outcome.text).unwrap(),
            outcome.after,
            "{id}: re-read"
        );
        for e in &want {
            if let Some(tag) = &e.new_tag
                && tag
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e'))
            {
                assert!(
                    outcome.text.contains(&format!("newTag: \"{tag}\"")),
                    "{id}: `{tag}` must be quoted:\n{}",
                    outcome.text
                );
            }
        }
        // Everything after the images list (case 12: a patchesJson6902 block) is kept verbatim,
        // and so is everything before it.
        if let Some(at) = input.find("patchesJson6902:") {
            assert!(
                outcome.text.ends_with(&input[at..]),
                "{id}: tail changed:\n{}",
                outcome.text
            );
        }
        if let Some(at) = input.find("images:") {
            assert!(outcome.text.starts_with(&input[..at]), "{id}: head changed");
        } else {
            assert!(
                outcome.text.starts_with(input),
                "{id}: the input must stay a prefix"
            );
        }
        // Idempotent.
        assert!(
            !set_images(&outcome.text, &edits).unwrap().changed,
            "{id}: second run changed the text"
        );
        checked += 1;
    }
    assert_eq!(checked, 25);
}
