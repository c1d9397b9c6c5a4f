//! distribution/reference conformance (`image/reference.jsonl`) and extra reference tests.

use ferry_image::reference::{
    self, AnyReference, Digest, Reference, ReferenceError, familiar_match, grammar,
    validate_digest, validate_tag,
};
use ferry_test_support::conformance_cases;
use serde_json::Value;

/// Cases whose expectation Ferry deliberately inverts, with the reason (also in
/// docs/image-references.md).
const INVERTED: &[(&str, &str)] = &[(
    "TestReferenceParse/15",
    "Ferry registers sha512 (as v0.6.0 and real registry clients do); upstream HEAD's test binary \
     does not link crypto/sha512",
)];

/// The upstream error variable a Ferry error corresponds to.
fn upstream_name(err: &ReferenceError) -> &'static str {
    match err {
        ReferenceError::NameEmpty => "ErrNameEmpty",
        ReferenceError::InvalidFormat { .. } => "ErrReferenceInvalidFormat",
        ReferenceError::NameContainsUppercase { .. } => "ErrNameContainsUppercase",
        ReferenceError::NameTooLong { .. } => "ErrNameTooLong",
        ReferenceError::NameNotCanonical { .. } => "ErrNameNotCanonical",
        ReferenceError::NameIsIdentifier { .. } => "(identifier as name)",
        ReferenceError::TagInvalidFormat { .. } => "ErrTagInvalidFormat",
        ReferenceError::DigestInvalidFormat { .. } => "ErrDigestInvalidFormat",
        ReferenceError::DigestInvalidLength { .. } => "ErrDigestInvalidLength",
        ReferenceError::DigestUnsupported { .. } => "ErrDigestUnsupported",
        ReferenceError::InvalidPattern { .. } => "ErrBadPattern",
    }
}

fn str_field<'a>(case: &'a Value, key: &str) -> Option<&'a str> {
    case.get(key).and_then(Value::as_str)
}

/// Checks an optional expected string field against an actual value; JSON `null` means "none".
fn check_opt(case: &Value, key: &str, actual: Option<&str>, id: &str) {
    if let Some(expected) = case.get(key) {
        assert_eq!(actual, expected.as_str(), "{id}: {key}");
    }
}

fn check_str(case: &Value, key: &str, actual: &str, id: &str) {
    if let Some(expected) = str_field(case, key) {
        assert_eq!(actual, expected, "{id}: {key}");
    }
}

/// Asserts the outcome of one call against the case: success fields, or the error class and
/// message prefix.
fn check_result(case: &Value, id: &str, result: Result<Reference, ReferenceError>, valid: bool) {
    match result {
        Ok(r) => {
            assert!(valid, "{id}: expected an error, got {r}");
            check_str(case, "string", &r.to_string(), id);
            check_str(case, "normalized", &r.to_string(), id);
            check_str(case, "domain", r.domain(), id);
            check_str(case, "path", r.path(), id);
            check_str(case, "familiar", &r.familiar_name(), id);
            check_str(case, "familiar_string", &r.familiar_string(), id);
            if case["fn"] != "WithTag" && case["fn"] != "WithDigest" {
                check_str(case, "name", &r.name(), id);
                check_opt(case, "tag", r.tag(), id);
                check_opt(case, "digest", r.digest(), id);
            }
            if let Some(tagged) = case.get("is_tagged").and_then(Value::as_bool) {
                assert_eq!(r.tag().is_some(), tagged, "{id}: is_tagged");
            }
            if let Some(canonical) = case.get("is_canonical").and_then(Value::as_bool) {
                assert_eq!(r.digest().is_some(), canonical, "{id}: is_canonical");
            }
        }
        Err(e) => {
            assert!(!valid, "{id}: unexpected error: {e}");
            if let Some(expected) = str_field(case, "error") {
                assert_eq!(upstream_name(&e), expected, "{id}: error class ({e})");
            }
            if let Some(message) = str_field(case, "error_message") {
                assert!(
                    e.to_string().starts_with(message),
                    "{id}: message {e:?} should start with {message:?}"
                );
            }
        }
    }
}

fn capture_strings(re: &regex::Regex, input: &str) -> Option<Vec<String>> {
    re.captures(input).map(|caps| {
        caps.iter()
            .skip(1)
            .map(|m| m.map_or(String::new(), |m| m.as_str().to_owned()))
            .collect()
    })
}

#[test]
fn reference_conformance() {
    let cases = conformance_cases("image/reference.jsonl");
    assert_eq!(cases.len(), 337, "case count changed");
    let mut checked = 0;
    for case in &cases {
        let id = str_field(case, "id").expect("id");
        let input = str_field(case, "input").expect("input");
        let mut valid = case["valid"].as_bool().expect("valid");
        if INVERTED.iter().any(|(inverted, _)| *inverted == id) {
            valid = !valid;
        }
        let name_fn = str_field(case, "name_parsed_with").unwrap_or("WithName");
        let base = |name: &str| match name_fn {
            "ParseNormalizedNamed" => Reference::parse_normalized(name),
            _ => Reference::from_name(name),
        };
        match str_field(case, "fn").expect("fn") {
            "Parse" => check_result(case, id, Reference::parse(input), valid),
            "Field.UnmarshalJSON" => {
                let json = serde_json::to_string(input).unwrap();
                let parsed = serde_json::from_str::<Reference>(&json);
                if let Ok(r) = &parsed {
                    assert_eq!(serde_json::to_string(r).unwrap(), json, "{id}: round trip");
                }
                let parsed = parsed.map_err(|_| Reference::parse(input).unwrap_err());
                check_result(case, id, parsed, valid);
            }
            "WithName" => check_result(case, id, Reference::from_name(input), valid),
            "ParseNamed" => check_result(case, id, Reference::parse_named(input), valid),
            "ParseNormalizedNamed" => {
                check_result(case, id, Reference::parse_normalized(input), valid)
            }
            "ParseDockerRef" => {
                let result = Reference::parse_docker_ref(input);
                if let Ok(r) = &result {
                    let again = Reference::parse(&r.to_string()).expect("normalized must parse");
                    assert_eq!(
                        &again, r,
                        "{id}: normalized re-parses to the same reference"
                    );
                }
                check_result(case, id, result, valid);
            }
            "WithTag" => {
                let named = base(str_field(case, "name").unwrap()).expect("name parses");
                let named = match str_field(case, "first_with_digest") {
                    Some(d) => named.with_digest(d).expect("first digest"),
                    None => named,
                };
                let result = named.with_tag(str_field(case, "tag").unwrap());
                if let Ok(r) = &result {
                    check_opt(case, "tag", r.tag(), id);
                }
                check_result(case, id, result, valid);
            }
            "WithDigest" => {
                let named = base(str_field(case, "name").unwrap()).expect("name parses");
                let named = match str_field(case, "first_with_tag") {
                    Some(t) => named.with_tag(t).expect("first tag"),
                    None => named,
                };
                let result = named.with_digest(str_field(case, "digest").unwrap());
                if let Ok(r) = &result {
                    check_opt(case, "digest", r.digest(), id);
                }
                check_result(case, id, result, valid);
            }
            "ParseAnyReference" => {
                let any = Reference::parse_any(input);
                assert_eq!(any.is_ok(), valid, "{id}: {any:?}");
                let any = any.unwrap();
                check_str(case, "normalized", &any.to_string(), id);
                match (str_field(case, "reference_type").unwrap(), &any) {
                    ("digest_only", AnyReference::Digest(_)) => {}
                    ("same_as_Parse(normalized)", AnyReference::Named(r)) => {
                        let normalized = str_field(case, "normalized").unwrap();
                        assert_eq!(&Reference::parse(normalized).unwrap(), r, "{id}");
                    }
                    (kind, other) => panic!("{id}: expected {kind}, got {other:?}"),
                }
            }
            "FamiliarMatch" => {
                let reference = Reference::parse_any(input).expect("reference parses");
                let pattern = str_field(case, "pattern").unwrap();
                let result = familiar_match(pattern, &reference);
                assert_eq!(result.is_ok(), valid, "{id}: {result:?}");
                if let (Ok(matched), Some(expected)) = (result, case.get("matched")) {
                    assert_eq!(Some(matched), expected.as_bool(), "{id}");
                }
            }
            regexp => {
                let re = match regexp {
                    "regexp:^domainAndPort$" => grammar::anchored_domain_and_port(),
                    "regexp:anchoredNameRegexp" => grammar::anchored_name(),
                    "regexp:referenceRegexp" => grammar::reference(),
                    "regexp:anchoredIdentifierRegexp" => grammar::anchored_identifier(),
                    other => panic!("{id}: unknown fn {other}"),
                };
                let subs = capture_strings(re, input);
                assert_eq!(subs.is_some(), valid, "{id}: {regexp} on {input:?}");
                if let (Some(subs), Some(expected)) = (subs, case.get("subs")) {
                    let expected: Vec<String> = serde_json::from_value(expected.clone()).unwrap();
                    assert_eq!(&subs[..expected.len()], &expected[..], "{id}: subs");
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, cases.len());
}

#[test]
fn strict_parse_keeps_the_input() {
    let r = Reference::parse("nginx").unwrap();
    assert_eq!(r.domain(), "");
    assert_eq!(r.path(), "nginx");
    assert_eq!(r.name(), "nginx");
    assert_eq!(r.tag(), None);
    assert_eq!(r.to_string(), "nginx");
    let r: Reference = "localhost:5000/team/app:1.0@sha256:0000000000000000000000000000000000000000000000000000000000000000"
        .parse()
        .unwrap();
    assert_eq!(r.domain(), "localhost:5000");
    assert_eq!(r.path(), "team/app");
    assert_eq!(r.tag(), Some("1.0"));
    assert_eq!(
        r.digest(),
        Some("sha256:0000000000000000000000000000000000000000000000000000000000000000")
    );
}

#[test]
fn normalisation_and_familiar_form() {
    let r = Reference::parse_normalized("index.docker.io/nginx:1.27").unwrap();
    assert_eq!(r.to_string(), "docker.io/library/nginx:1.27");
    assert_eq!(r.familiar_name(), "nginx");
    assert_eq!(r.familiar_string(), "nginx:1.27");
    let r = Reference::parse_normalized("ghcr.io/acme/api").unwrap();
    assert_eq!(r.familiar_string(), "ghcr.io/acme/api");
    assert_eq!(r.with_default_tag().to_string(), "ghcr.io/acme/api:latest");
}

/// Found by the `image_reference` fuzz target: upstream refuses 64 hex digits only as the whole
/// input, so `docker.io/<64 hex>` is a name whose familiar form does not parse back.
#[test]
fn a_docker_io_name_of_64_hex_digits_is_a_name_but_its_familiar_form_is_an_id() {
    let hex = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
    let r = Reference::parse_normalized(&format!("docker.io/{hex}"))
        .expect("upstream checks only the whole input for an image id");
    assert_eq!(r.to_string(), format!("docker.io/library/{hex}"));
    assert_eq!(r.familiar_string(), hex);
    assert!(matches!(
        Reference::parse_normalized(hex),
        Err(ReferenceError::NameIsIdentifier { .. })
    ));
    assert!(matches!(
        Reference::parse_any(hex),
        Ok(AnyReference::Digest(_))
    ));
}

#[test]
fn tag_and_digest_edits() {
    let r = Reference::parse_normalized("acme/api:old").unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    let r = r.with_tag("new").unwrap().with_digest(&digest).unwrap();
    assert_eq!(r.to_string(), format!("docker.io/acme/api:new@{digest}"));
    assert_eq!(r.name_only().to_string(), "docker.io/acme/api");
    assert!(matches!(
        r.clone().with_tag("-bad"),
        Err(ReferenceError::TagInvalidFormat { .. })
    ));
    assert!(matches!(
        r.with_digest("nodigest"),
        Err(ReferenceError::DigestInvalidFormat { .. })
    ));
}

#[test]
fn tags_are_validated() {
    for good in ["latest", "v1.2.3", "1.0-rc.1", "_x", "A", &"a".repeat(128)] {
        assert_eq!(validate_tag(good), Ok(()), "{good}");
    }
    for bad in ["", ".x", "-x", "a:b", "a/b", "é", "a+b", &"a".repeat(129)] {
        let err = validate_tag(bad).unwrap_err();
        assert!(err.to_string().starts_with("invalid tag format"), "{err}");
    }
}

#[test]
fn digests_are_validated() {
    let hex64 = "0123456789abcdef".repeat(4);
    assert_eq!(validate_digest(&format!("sha256:{hex64}")), Ok(()));
    assert_eq!(
        validate_digest(&format!("sha384:{}", "ab".repeat(48))),
        Ok(())
    );
    assert_eq!(
        validate_digest(&format!("sha512:{}", "ab".repeat(64))),
        Ok(())
    );
    let d = Digest::parse(&format!("sha256:{hex64}")).unwrap();
    assert_eq!(d.algorithm(), "sha256");
    assert_eq!(d.encoded(), hex64);

    let upper = format!("sha256:{}", hex64.to_uppercase());
    assert!(matches!(
        validate_digest(&upper),
        Err(ReferenceError::DigestInvalidFormat { .. })
    ));
    let err = validate_digest("sha256:abc").unwrap_err();
    assert!(matches!(
        err,
        ReferenceError::DigestInvalidLength {
            expected: 64,
            actual: 3,
            ..
        }
    ));
    assert!(
        err.to_string().contains("sha256 needs 64 hex characters"),
        "{err}"
    );
    assert!(matches!(
        validate_digest(&format!("md5:{hex64}")),
        Err(ReferenceError::DigestUnsupported { .. })
    ));
    for bad in ["", "sha256", ":abc", "sha256:", "Sha256:abc"] {
        assert!(
            matches!(
                validate_digest(bad),
                Err(ReferenceError::DigestInvalidFormat { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn errors_name_the_input() {
    let err = Reference::parse("Acme/API:1").unwrap_err();
    assert!(err.to_string().contains("Acme/API:1"), "{err}");
    let err = Reference::parse("a b").unwrap_err();
    assert!(err.to_string().contains("\"a b\""), "{err}");
    let err = Reference::parse_named("nginx").unwrap_err();
    assert!(err.to_string().contains("docker.io/library/nginx"), "{err}");
}

#[test]
fn unicode_word_characters_are_not_tag_characters() {
    assert!(Reference::parse("repo:tag\u{e9}").is_err());
    assert!(Reference::parse("repo:\u{663}").is_err());
    assert_eq!(reference::NAME_MAX_LEN, 255);
}

#[test]
fn serde_uses_the_strict_parser() {
    let r: Reference = serde_json::from_str("\"ghcr.io/acme/api:1\"").unwrap();
    assert_eq!(serde_json::to_string(&r).unwrap(), "\"ghcr.io/acme/api:1\"");
    assert!(serde_json::from_str::<Reference>("\"UPPER\"").is_err());
}

mod properties {
    use ferry_image::reference::Reference;
    use proptest::prelude::*;

    fn reference_text() -> impl Strategy<Value = String> {
        let domain = prop::sample::select(vec![
            "",
            "docker.io/",
            "index.docker.io/",
            "ghcr.io/",
            "localhost:5000/",
            "[::1]:5000/",
            "Registry.Example.com/",
        ]);
        let component = "[a-z0-9]{1,5}((\\.|_|__|-+)[a-z0-9]{1,5})?";
        let path = prop::collection::vec(component, 1..4).prop_map(|c| c.join("/"));
        let tag = prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}");
        let digest = prop::option::of("[a-f0-9]{64}");
        (domain, path, tag, digest).prop_map(|(domain, path, tag, digest)| {
            let mut s = format!("{domain}{path}");
            if let Some(tag) = tag {
                s.push(':');
                s.push_str(&tag);
            }
            if let Some(digest) = digest {
                s.push_str("@sha256:");
                s.push_str(&digest);
            }
            s
        })
    }

    proptest! {
        /// Strict parsing keeps the text: Display gives the input back.
        #[test]
        fn strict_parse_round_trips(text in reference_text()) {
            let reference = Reference::parse(&text).unwrap();
            prop_assert_eq!(reference.to_string(), text);
        }

        /// Normalising is idempotent and the familiar form normalises back to the same reference.
        #[test]
        fn normalisation_round_trips(text in reference_text()) {
            let normalized = Reference::parse_normalized(&text).unwrap();
            prop_assert!(!normalized.domain().is_empty());
            let canonical = normalized.to_string();
            prop_assert_eq!(&Reference::parse(&canonical).unwrap(), &normalized);
            prop_assert_eq!(&Reference::parse_named(&canonical).unwrap(), &normalized);
            // As upstream, `docker.io/a.b/c` is familiar `a.b/c`, which reads back as the
            // registry `a.b`: only check names whose familiar form is unambiguous.
            let familiar = normalized.familiar_name();
            let first = familiar.split('/').next().unwrap();
            prop_assume!(normalized.domain() != "docker.io" || !first.contains('.'));
            prop_assert_eq!(
                &Reference::parse_normalized(&normalized.familiar_string()).unwrap(),
                &normalized
            );
        }

        /// Parsing never panics, whatever the input.
        #[test]
        fn parse_never_panics(text in "\\PC{0,80}") {
            let _ = Reference::parse(&text);
            let _ = Reference::parse_normalized(&text);
            let _ = Reference::parse_any(&text);
        }
    }
}

#[test]
fn invalid_format_errors_say_which_part_is_wrong() {
    let cases = [
        ("https://ghcr.io/acme/api", "URL scheme"),
        ("ghcr.io/acme/api:bad~tag", "the tag \"bad~tag\""),
        ("ghcr.io/acme/api@sha256:xyz", "the digest \"sha256:xyz\""),
        (
            "bad_host.com:8080/app",
            "the registry host \"bad_host.com:8080\"",
        ),
        ("ghcr.io/acme/-api", "the path component \"-api\""),
        ("ghcr.io/acme//api", "empty component"),
        ("acme/", "empty component"),
        ("[::1]:5000", "without a repository path"),
        (":tag", "the repository name is missing"),
        ("aa/asdf$$^/aa", "the path component \"asdf$$^\""),
    ];
    for (input, expected) in cases {
        let err = Reference::parse(input).unwrap_err();
        assert!(
            matches!(err, ReferenceError::InvalidFormat { .. }),
            "{input}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with("invalid reference format: "),
            "{message}"
        );
        assert!(message.contains(expected), "{input}: {message}");
    }
    let err = Reference::from_name("ghcr.io/acme/api:1").unwrap_err();
    assert!(err.to_string().contains("has no tag or digest"), "{err}");
}
