//! Image references: every parser either refuses or gives a reference whose text parses back
//! to the same reference (parse → display → parse), in each of its forms.
//!
//! Input: one reference; an optional second line is a `familiar_match` pattern.
#![no_main]

use ferry_image::reference::{AnyReference, Digest, Reference, familiar_match, validate_tag};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (s, pattern) = ferry_fuzz::first_line(input);

    if let Ok(r) = Reference::parse(s) {
        let shown = r.to_string();
        assert_eq!(shown, s, "Parse keeps the text as written");
        assert_eq!(Reference::parse(&shown).as_ref(), Ok(&r));
        assert_eq!(
            r.name(),
            Reference::from_name(&r.name()).expect("its name").name()
        );
        if let Some(tag) = r.tag() {
            validate_tag(tag).expect("a parsed tag is valid");
        }
    }
    if let Ok(r) = Reference::parse_normalized(s) {
        // As upstream, a first component with `.` or `:` that is no valid host is read as a
        // path, so the domain may be empty; the forms below still parse back.
        let canonical = r.to_string();
        assert_eq!(
            Reference::parse_named(&canonical).as_ref(),
            Ok(&r),
            "the canonical form {canonical:?} parses back"
        );
        let familiar = r.familiar_string();
        // As upstream, `docker.io/a.b/c` is familiar `a.b/c`, which names the registry `a.b`:
        // the familiar form parses back only when its first component cannot be a host.
        let first = familiar.split('/').next().unwrap_or_default();
        // And as upstream, `docker.io/<64 hex>` is a name while its familiar form, 64 hex
        // digits alone, is refused as an image id ("cannot specify 64-byte hexadecimal strings").
        let image_id = familiar.len() == 64 && familiar.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let ambiguous = image_id
            || (r.domain() == "docker.io"
                && familiar.contains('/')
                && (first.contains(['.', ':']) || first == "localhost"));
        assert!(
            ambiguous || Reference::parse_normalized(&familiar).as_ref() == Ok(&r),
            "the familiar form {familiar:?} of {r:?} parses back"
        );
        let docker = Reference::parse_docker_ref(s).expect("normalised, so a docker ref");
        assert!(docker.tag().is_some() || docker.digest().is_some());
        assert_eq!(docker.name(), r.name());
    }
    match Reference::parse_any(s) {
        Ok(any) => {
            let shown = any.to_string();
            let again = Reference::parse_any(&shown).expect("its text parses again");
            match (&any, &again) {
                (AnyReference::Digest(a), AnyReference::Digest(b)) => assert_eq!(a, b),
                (AnyReference::Named(a), AnyReference::Named(b)) => assert_eq!(a, b),
                _ => panic!("{s:?} and {shown:?} parse to different kinds"),
            }
            if !pattern.is_empty() {
                let _ = familiar_match(pattern, &any);
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    if let Ok(d) = Digest::parse(s) {
        assert_eq!(Digest::parse(&d.to_string()).as_ref(), Ok(&d));
    }
});
