//! Shell-style patterns over slash-separated names, with the rules of Go's `path.Match`:
//! `*` matches any run of characters except `/`, `?` one character except `/`, `[...]` a class
//! (`[^...]` negated, `a-z` ranges, `\` escapes) and `\c` the character `c`.

use regex::Regex;

use super::ReferenceError;

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Glob(Regex);

impl Glob {
    /// Compiles `pattern`; a malformed pattern is [`ReferenceError::InvalidPattern`].
    pub(crate) fn new(pattern: &str) -> Result<Self, ReferenceError> {
        compile(pattern).map(Self)
    }

    /// Whether `name` matches the whole pattern.
    pub(crate) fn is_match(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// Whether `name` matches the whole of `pattern`; a malformed pattern is an error even when the
/// name would not match anyway.
pub(crate) fn path_match(pattern: &str, name: &str) -> Result<bool, ReferenceError> {
    Ok(Glob::new(pattern)?.is_match(name))
}

fn compile(pattern: &str) -> Result<Regex, ReferenceError> {
    let bad = |reason: &str| ReferenceError::InvalidPattern {
        pattern: pattern.to_owned(),
        reason: reason.to_owned(),
    };
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '\\' => {
                let escaped = chars.next().ok_or_else(|| bad("ends with a lone `\\`"))?;
                push_literal(&mut re, escaped);
            }
            '[' => {
                let negated = chars.next_if_eq(&'^').is_some();
                let mut ranges: Vec<(char, char)> = Vec::new();
                let mut empty = true;
                loop {
                    let c = chars.next().ok_or_else(|| bad("unterminated `[`"))?;
                    if c == ']' && !empty {
                        break;
                    }
                    empty = false;
                    let lo = class_char(c, &mut chars).ok_or_else(|| bad("bad character class"))?;
                    let hi = if chars.next_if_eq(&'-').is_some() {
                        let c = chars.next().ok_or_else(|| bad("unterminated `[`"))?;
                        class_char(c, &mut chars).ok_or_else(|| bad("bad character range"))?
                    } else {
                        lo
                    };
                    if lo <= hi {
                        ranges.push((lo, hi));
                    }
                }
                push_class(&mut re, negated, &ranges);
            }
            c => push_literal(&mut re, c),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| bad(&e.to_string()))
}

/// One endpoint of a class range; `-` and `]` must be escaped there.
fn class_char(c: char, rest: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    match c {
        '-' | ']' => None,
        '\\' => rest.next(),
        c => Some(c),
    }
}

fn push_literal(re: &mut String, c: char) {
    re.push_str(&format!("\\x{{{:x}}}", u32::from(c)));
}

fn push_class(re: &mut String, negated: bool, ranges: &[(char, char)]) {
    if ranges.is_empty() {
        // Only inverted ranges such as `[z-a]`: nothing matches, so the negation matches anything.
        re.push_str(if negated { "(?s:.)" } else { "[a&&b]" });
        return;
    }
    re.push_str(if negated { "[^" } else { "[" });
    for &(lo, hi) in ranges {
        re.push_str(&format!(
            "\\x{{{:x}}}-\\x{{{:x}}}",
            u32::from(lo),
            u32::from(hi)
        ));
    }
    re.push(']');
}

#[cfg(test)]
mod tests {
    use super::path_match;

    #[test]
    fn stars_do_not_cross_slashes() {
        assert!(path_match("foo/*/baz", "foo/c/baz").unwrap());
        assert!(!path_match("foo/*", "foo/c/baz").unwrap());
        assert!(path_match("*", "abc").unwrap());
        assert!(!path_match("*", "a/b").unwrap());
    }

    #[test]
    fn classes_and_escapes() {
        assert!(path_match("ba[rz]", "baz").unwrap());
        assert!(!path_match("ba[^rz]", "baz").unwrap());
        assert!(path_match("ba[a-c]", "bab").unwrap());
        assert!(path_match("a\\*", "a*").unwrap());
        assert!(!path_match("a\\*", "ab").unwrap());
        assert!(path_match("a?c", "abc").unwrap());
        assert!(!path_match("a?c", "a/c").unwrap());
        assert!(!path_match("[z-a]", "m").unwrap());
        assert!(path_match("[^z-a]", "m").unwrap());
        assert!(path_match("a.b", "a.b").unwrap());
        assert!(!path_match("a.b", "axb").unwrap());
    }

    #[test]
    fn malformed_patterns_are_errors() {
        for pattern in ["[-x]", "[]", "[a-]", "[abc", "ab\\", "[]a]"] {
            assert!(path_match(pattern, "zzz").is_err(), "{pattern}");
        }
    }
}
