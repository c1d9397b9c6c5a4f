//! Properties of the images transformer: the result has exactly the parts each rule promises, and
//! applying an entry a second time changes nothing.

use ferry_kustomize::ImageEntry;
use ferry_kustomize::transform::{ImageMatcher, split_image, update_image};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    (
        prop::option::of(prop_oneof![
            Just("registry.example.com/".to_string()),
            Just("localhost:5000/".to_string()),
        ]),
        "[a-z][a-z0-9]{0,6}(/[a-z][a-z0-9-]{0,6}){0,2}",
    )
        .prop_map(|(host, path)| format!("{}{path}", host.unwrap_or_default()))
}

fn tag() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}"
}

fn digest() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}"))
}

proptest! {
    #[test]
    fn rules_and_idempotence(
        name in name(),
        old_tag in prop::option::of(tag()),
        old_digest in prop::option::of(digest()),
        new_name in prop::option::of(name()),
        new_tag in prop::option::of(tag()),
        new_digest in prop::option::of(digest()),
    ) {
        let mut image = name.clone();
        if let Some(t) = &old_tag { image.push(':'); image.push_str(t); }
        if let Some(d) = &old_digest { image.push('@'); image.push_str(d); }
        prop_assert_eq!(split_image(&image), (
            name.as_str(),
            old_tag.as_deref().unwrap_or(""),
            old_digest.as_deref().unwrap_or(""),
        ));
        let entry = ImageEntry {
            name: regex::escape(&name),
            new_name: new_name.clone(),
            new_tag: new_tag.clone(),
            digest: new_digest.clone(),
            tag_suffix: None,
        };
        let matcher = ImageMatcher::new(&entry.name).unwrap();
        prop_assert!(matcher.is_match(&image));
        let out = update_image(&image, &entry);
        let (n, t, d) = split_image(&out);
        prop_assert_eq!(n, new_name.as_deref().unwrap_or(&name));
        let (want_tag, want_digest) = match (&new_tag, &new_digest) {
            (None, None) => (old_tag.as_deref(), old_digest.as_deref()),
            (t, d) => (t.as_deref(), d.as_deref()),
        };
        prop_assert_eq!(t, want_tag.unwrap_or(""));
        prop_assert_eq!(d, want_digest.unwrap_or(""));
        let same_name = ImageEntry { name: regex::escape(n), ..entry.clone() };
        prop_assert_eq!(update_image(&out, &same_name), out.clone());
    }
}
