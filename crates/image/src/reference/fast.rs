//! A hand-written check of plain references, tags and names, so that the common case needs no
//! regular expression (compiling the grammar's is a tenth of a short process): it accepts only
//! what the grammar's expressions match, with the same parts, and answers `None` for anything
//! else, which the caller then reads with the expressions. A proptest checks both agree.

/// `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`: one path component of a repository.
pub(crate) fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__` or `-`+, between alphanumerics.
        let start = i;
        match b[i] {
            b'.' => i += 1,
            b'_' => i += if b.get(i + 1) == Some(&b'_') { 2 } else { 1 },
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == start || !b.get(i).is_some_and(|&c| alnum(c)) {
            return false;
        }
    }
    true
}

/// A domain of the grammar without IPv6: `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
/// joined by `.`, then an optional `:` and digits.
fn is_domain_and_port(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit())) {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
        })
}

/// Exactly the grammar's tag: a word character, then up to 127 word characters, `.` or `-`.
pub(crate) fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// `sha256:` and 64 lowercase hex digits (a digest the grammar matches).
fn is_sha256(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    })
}

/// A name split as the grammar's anchored name expression splits it: `(domain, path)`, the
/// domain empty when there is none; `None` when the check cannot tell.
pub(crate) fn split_name(name: &str) -> Option<(&str, &str)> {
    if let Some((first, rest)) = name.split_once('/')
        && is_domain_and_port(first)
        && rest.split('/').all(is_path_component)
    {
        return Some((first, rest));
    }
    name.split('/').all(is_path_component).then_some(("", name))
}

/// The parts of a reference as the grammar's reference expression reads them: `(name, tag,
/// digest)`; `None` when the check cannot tell (then the expression decides).
pub(crate) fn split_reference(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) if is_sha256(d) => (r, Some(d)),
        Some(_) => return None,
        None => (s, None),
    };
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) {
        return None;
    }
    split_name(name)?;
    Some((name, tag, digest))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::reference::grammar;

    fn text() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "a",
            "b1",
            "acme",
            "app",
            "x",
            "A",
            "0",
            "-",
            "--",
            "_",
            "__",
            ".",
            "/",
            ":",
            "@",
            "5000",
            "localhost",
            "registry.example.com",
            "my-app",
            "v1.2.3",
            "latest",
            "sha256:",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "[::1]",
            "é",
        ]);
        prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The check accepts only what the expressions match, with the same parts.
        #[test]
        fn the_hand_check_agrees_with_the_grammar(s in text()) {
            prop_assert_eq!(is_tag(&s), grammar::anchored_tag().is_match(&s));
            prop_assert_eq!(is_path_component(&s), grammar::anchored_path_component().is_match(&s));
            if let Some((domain, path)) = split_name(&s) {
                let caps = grammar::anchored_name().captures(&s);
                prop_assert!(caps.is_some(), "{s}");
                let caps = caps.expect("checked");
                prop_assert_eq!(caps.get(1).map_or("", |m| m.as_str()), domain);
                prop_assert_eq!(&caps[2], path);
            }
            if let Some((name, tag, digest)) = split_reference(&s) {
                let caps = grammar::reference().captures(&s);
                prop_assert!(caps.is_some(), "{s}");
                let caps = caps.expect("checked");
                prop_assert_eq!(&caps[1], name);
                prop_assert_eq!(caps.get(2).map(|m| m.as_str()), tag);
                prop_assert_eq!(caps.get(3).map(|m| m.as_str()), digest);
            }
        }
    }

    #[test]
    fn plain_references_take_the_fast_path() {
        assert_eq!(
            split_reference("registry.example.com:5000/acme/app:1.2.3"),
            Some(("registry.example.com:5000/acme/app", Some("1.2.3"), None))
        );
        assert_eq!(split_name("acme/app"), Some(("acme", "app")));
        assert_eq!(split_name("my_org/app"), Some(("", "my_org/app")));
        assert!(split_reference("acme/App").is_none());
        assert!(is_tag("v1.0_rc-1") && !is_tag("-x") && !is_tag(""));
    }
}
