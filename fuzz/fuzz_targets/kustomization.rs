//! The kustomization model: parsing never panics, errors point into the input, the editor and
//! the model agree on the `images:` entries, and the parse cache's image-bump shortcut gives
//! what a full parse gives.
#![no_main]

use ferry_kustomize::ParseCache;
use ferry_kustomize::model::{parse_documents, parse_kustomization};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_documents(text);
    let _ = ferry_kustomize::documents::parse_documents(text, "fuzz.yaml");
    let parsed = parse_kustomization(text);
    if let Err(error) = &parsed {
        let _ = error.to_string();
    }
    if let (Ok(k), Ok(edited)) = (&parsed, ferry_kustomize::read_images(text)) {
        let model: Vec<_> = k.images.iter().flatten().map(|e| e.value.clone()).collect();
        assert_eq!(
            model, edited,
            "the model and the editor read different images"
        );
    }

    // The cache parses a text that differs only in image values through a shortcut.
    let bumped = bump_image_values(text);
    if bumped != text {
        let cache = ParseCache::new();
        let first = cache.kustomization(text);
        assert_eq!(
            first
                .as_ref()
                .map(|k| format!("{k:?}"))
                .map_err(|e| e.to_string()),
            parsed
                .as_ref()
                .map(|k| format!("{k:?}"))
                .map_err(|e| e.to_string()),
            "the cache's first parse differs from a plain parse"
        );
        let fast = cache.kustomization(&bumped);
        let full = parse_kustomization(&bumped);
        assert_eq!(
            fast.as_ref()
                .map(|k| format!("{k:?}"))
                .map_err(|e| e.to_string()),
            full.as_ref()
                .map(|k| format!("{k:?}"))
                .map_err(|e| e.to_string()),
            "the cached parse of a bumped text differs from a full parse of\n{bumped}"
        );
    }
});

/// `text` with the values of `newTag:`, `newName:` and `digest:` lines changed, each character
/// to the next one of its class (digits stay digits, letters letters), so positions stay put.
fn bump_image_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches(' ');
        let body = body.strip_prefix("- ").unwrap_or(body);
        let key = ferry_kustomize::source::IMAGE_VALUE_KEYS
            .iter()
            .find(|k| body.strip_prefix(**k).is_some_and(|r| r.starts_with(": ")));
        let Some(key) = key else {
            out.push_str(line);
            continue;
        };
        let at = line.len() - body.len() + key.len() + 2;
        out.push_str(&line[..at]);
        let mut in_comment = false;
        for c in line[at..].chars() {
            in_comment |= c == '#';
            out.push(if in_comment { c } else { next_of_class(c) });
        }
    }
    out
}

fn next_of_class(c: char) -> char {
    match c {
        '9' => '0',
        'z' => 'a',
        'Z' => 'A',
        '0'..='8' | 'a'..='y' | 'A'..='Y' => (c as u8 + 1) as char,
        other => other,
    }
}
