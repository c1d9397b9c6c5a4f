//! `.dockerignore`: Docker's pattern rules, as the Docker CLI applies them to a build context.
//!
//! Each line is a pattern; a line starting with `#` is a comment, blank lines are skipped, and
//! `!` makes an exception. A pattern is trimmed, cleaned as Go's `filepath.Clean` cleans it and
//! stripped of a leading `/`, so `/foo`, `./foo` and `foo/` all mean `foo`. A pattern matches a
//! path when it matches the path or one of its parent directories, so `node_modules` excludes
//! everything below it; the last pattern that matches decides, so a later `!` re-includes.
//!
//! The glob is Go's `filepath.Match` plus `**`: `*` and `?` stop at `/`, `[...]` is a character
//! class (negated by `^`), `\` escapes the next character, `**` matches any number of
//! directories (including none). Patterns become regular expressions exactly as moby's
//! `patternmatcher` builds them; no crate implements these rules (`ignore` and `globset` follow
//! `.gitignore`, where `foo` matches at any depth and `[!…]` negates), so this module does.

use regex::Regex;

/// A `.dockerignore` line Docker refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(".dockerignore:{line}: {message}")]
pub struct PatternError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Bad `.dockerignore` patterns are bad input (exit 2).
impl ferry_error::Classify for PatternError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::BadInput
    }
}

/// How one pattern matches, as moby's `patternmatcher` decides it.
#[derive(Debug, Clone)]
enum Matcher {
    /// No wildcard: the path equals the pattern.
    Exact(String),
    /// `dir/**`: the path starts with `dir/`.
    Prefix(String),
    /// `**/name`: the path ends with `/name` or is `name`.
    Suffix(String),
    /// Anything else.
    Regex(Regex),
}

/// One pattern of a `.dockerignore` file.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    exception: bool,
    matcher: Matcher,
}

impl Pattern {
    /// Parses one pattern (`!` for an exception); `line` is for the error.
    fn parse(raw: &str, line: usize) -> Result<Self, PatternError> {
        let error = |message: String| PatternError { line, message };
        let raw = raw.trim();
        let (exception, rest) = match raw.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, raw),
        };
        if rest.is_empty() {
            return Err(error(format!("illegal exclusion pattern {raw:?}")));
        }
        let mut text = clean(rest);
        if text.len() > 1 && text.starts_with('/') {
            text.remove(0);
        }
        check_classes(&text).map_err(error)?;
        let matcher = compile(&text).map_err(error)?;
        Ok(Self {
            text,
            exception,
            matcher,
        })
    }

    /// The cleaned pattern, without `!`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether this is an exception (`!pattern`).
    pub fn is_exception(&self) -> bool {
        self.exception
    }

    fn matches(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact(p) => path == p,
            Matcher::Prefix(p) => path.starts_with(p.as_str()),
            Matcher::Suffix(suffix) => {
                path.ends_with(suffix.as_str())
                    || suffix.strip_prefix('/').is_some_and(|bare| path == bare)
            }
            Matcher::Regex(re) => re.is_match(path),
        }
    }
}

/// The patterns of a `.dockerignore` file.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore` file (a UTF-8 byte order mark is dropped).
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for (index, line) in text.lines().enumerate() {
            // A comment only where the line starts with `#`, before trimming, as Docker reads it.
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            patterns.push(Pattern::parse(line, index + 1)?);
        }
        Ok(Self { patterns })
    }

    /// Adds the exception `!path` at the end (the Docker CLI keeps the Dockerfile and
    /// `.dockerignore` in the context even when a pattern excludes them).
    pub fn keep(&mut self, path: &str) {
        if self.excludes(path) {
            let pattern = Pattern::parse(&format!("!{}", glob_escape(path)), 0)
                .expect("an escaped path is a valid pattern");
            self.patterns.push(pattern);
        }
    }

    /// The patterns, in order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether any pattern is an exception.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether `path` (relative to the context, `/`-separated) is excluded: the last pattern
    /// that matches it or one of its parent directories decides.
    pub fn excludes(&self, path: &str) -> bool {
        let path = clean(path);
        if path == "." {
            return false;
        }
        let parents: Vec<&str> = match path.rfind('/') {
            Some(at) => path[..at].split('/').collect(),
            None => Vec::new(),
        };
        let mut excluded = false;
        for pattern in &self.patterns {
            // An exclusion cannot change an excluded path, nor an exception an included one.
            if pattern.exception != excluded {
                continue;
            }
            let mut matched = pattern.matches(&path);
            if !matched {
                matched = (1..=parents.len()).any(|n| pattern.matches(&parents[..n].join("/")));
            }
            if matched {
                excluded = !pattern.exception;
            }
        }
        excluded
    }

    /// Whether the walk must enter the excluded directory `dir`: an exception pattern names a
    /// path inside it (a pattern starting with `dir/`, as the Docker CLI decides; an exception
    /// with a wildcard in its directories does not open one).
    pub fn may_reinclude_below(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.patterns
            .iter()
            .any(|p| p.exception && format!("{}/", p.text).starts_with(&prefix))
    }
}

/// `path` with the glob characters escaped, so it matches only itself.
fn glob_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `filepath.Clean` for `/`-separated paths: repeated separators, `.` and `..` resolved
/// lexically, no trailing `/`; `.` for an empty result.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Refuses what `filepath.Match` refuses: an unterminated `[`, an empty class, a range that
/// runs backwards, a trailing `\` inside a class.
fn check_classes(pattern: &str) -> Result<(), String> {
    let bad = || format!("syntax error in pattern {pattern:?}");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => {
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                let mut members = 0;
                loop {
                    let Some(c) = chars.next() else {
                        return Err(bad());
                    };
                    let previous = match c {
                        ']' if members > 0 => break,
                        // A class member cannot be a bare `-` or `]` (`getEsc` in Go).
                        '-' | ']' => return Err(bad()),
                        '\\' => chars.next().ok_or_else(bad)?,
                        other => other,
                    };
                    if chars.peek() == Some(&'-') {
                        chars.next();
                        let mut end = chars.next().ok_or_else(bad)?;
                        if end == '-' || end == ']' {
                            return Err(bad());
                        }
                        if end == '\\' {
                            end = chars.next().ok_or_else(bad)?;
                        }
                        if previous > end {
                            return Err(bad());
                        }
                    }
                    members += 1;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The characters escaped in the regular expression: those with a meaning in a regex and none
/// in a `filepath.Match` pattern (moby's `shouldEscape`).
const REGEX_SPECIAL: &[char] = &['.', '+', '(', ')', '|', '{', '}', '$'];

/// Builds the matcher of a cleaned pattern, as moby's `Pattern.compile` does.
fn compile(pattern: &str) -> Result<Matcher, String> {
    #[derive(PartialEq)]
    enum Kind {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut regex = String::from("^");
    let mut kind = Kind::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let first = i == 0;
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                // `**/` is `**`.
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i == chars.len() {
                    // A trailing `**` matches everything below.
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        regex.push_str(".*");
                        kind = Kind::Regex;
                    }
                } else {
                    // Any number of directories, none included.
                    regex.push_str("(.*/)?");
                    kind = Kind::Regex;
                }
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                regex.push_str("[^/]*");
                kind = Kind::Regex;
            }
            '?' => {
                regex.push_str("[^/]");
                kind = Kind::Regex;
            }
            '\\' => match chars.get(i) {
                Some(next) => {
                    regex.push_str(&regex::escape(&next.to_string()));
                    i += 1;
                    kind = Kind::Regex;
                }
                None => regex.push_str("\\\\"),
            },
            '[' | ']' => {
                regex.push(c);
                kind = Kind::Regex;
            }
            c if REGEX_SPECIAL.contains(&c) => {
                regex.push('\\');
                regex.push(c);
            }
            c => regex.push(c),
        }
    }
    Ok(match kind {
        Kind::Exact => Matcher::Exact(pattern.to_owned()),
        Kind::Prefix => Matcher::Prefix(pattern[..pattern.len() - 2].to_owned()),
        Kind::Suffix => Matcher::Suffix(pattern[2..].to_owned()),
        Kind::Regex => {
            regex.push('$');
            Matcher::Regex(
                Regex::new(&regex).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &str, path: &str) -> bool {
        DockerIgnore::parse(patterns).expect("valid").excludes(path)
    }

    #[test]
    fn cleans_like_go() {
        for (input, expected) in [
            ("a//b/./c/", "a/b/c"),
            ("./foo", "foo"),
            ("/foo/", "/foo"),
            ("a/../../b", "../b"),
            ("/../a", "/a"),
            ("", "."),
            ("./", "."),
        ] {
            assert_eq!(clean(input), expected, "{input}");
        }
    }

    #[test]
    fn a_pattern_excludes_a_directory_and_everything_below() {
        assert!(excluded("node_modules", "node_modules"));
        assert!(excluded("node_modules", "node_modules/a/b.js"));
        assert!(!excluded("node_modules", "src/node_modules"));
        assert!(excluded("/tmp/\n", "tmp/x"));
        assert!(excluded("./docs/", "docs/readme.md"));
    }

    #[test]
    fn stars_stop_at_slashes_and_double_stars_do_not() {
        assert!(excluded("*.log", "a.log"));
        assert!(!excluded("*.log", "dir/a.log"));
        assert!(excluded("*/*.log", "dir/a.log"));
        assert!(excluded("**/*.log", "a.log"));
        assert!(excluded("**/*.log", "x/y/a.log"));
        assert!(excluded("**/secret", "secret"));
        assert!(excluded("**/secret", "a/b/secret"));
        assert!(!excluded("**/secret", "a/b/secrets"));
        assert!(excluded("build/**", "build/x/y"));
        assert!(excluded("a/**/z", "a/z"));
        assert!(excluded("a/**/z", "a/b/c/z"));
        assert!(excluded("te?t", "test"));
        assert!(!excluded("te?t", "te/t"));
    }

    #[test]
    fn character_classes_negate_with_a_caret() {
        assert!(excluded("[abc].txt", "b.txt"));
        assert!(!excluded("[^abc].txt", "b.txt"));
        assert!(excluded("[^abc].txt", "d.txt"));
        assert!(excluded("[a-c].txt", "c.txt"));
        // `!` is a member, not a negation (Go's filepath.Match).
        assert!(excluded("[!a].txt", "!.txt"));
        assert!(excluded("[!a].txt", "a.txt"));
        assert!(!excluded("[!a].txt", "b.txt"));
    }

    #[test]
    fn regex_characters_are_literal() {
        assert!(excluded("a.b", "a.b"));
        assert!(!excluded("a.b*", "axb"));
        assert!(excluded("v(1)+{2}$", "v(1)+{2}$"));
        assert!(excluded("\\*star", "*star"));
        assert!(!excluded("\\*star", "xstar"));
    }

    #[test]
    fn the_last_matching_pattern_decides() {
        let rules = "*.md\n!README.md\n";
        assert!(excluded(rules, "CHANGES.md"));
        assert!(!excluded(rules, "README.md"));
        let rules = "*.md\n!README*.md\nREADME-secret.md\n";
        assert!(!excluded(rules, "README-a.md"));
        assert!(excluded(rules, "README-secret.md"));
        // An exception re-includes a file below an excluded directory.
        let rules = "docs\n!docs/keep.txt\n";
        assert!(excluded(rules, "docs/other.txt"));
        assert!(!excluded(rules, "docs/keep.txt"));
    }

    #[test]
    fn comments_blank_lines_and_bad_patterns() {
        let ignore = DockerIgnore::parse("\u{feff}# comment\n\n  \n  spaced  \n").expect("valid");
        assert_eq!(ignore.patterns().len(), 1);
        assert_eq!(ignore.patterns()[0].text(), "spaced");
        // Only a leading `#` is a comment.
        assert_eq!(
            DockerIgnore::parse(" #x").expect("valid").patterns()[0].text(),
            "#x"
        );
        let error = DockerIgnore::parse("a\n!\n").expect_err("bare !");
        assert_eq!(error.line, 2);
        assert!(DockerIgnore::parse("[abc").is_err());
        assert!(DockerIgnore::parse("[z-a]").is_err());
        assert!(DockerIgnore::parse("[]").is_err());
    }

    #[test]
    fn excluded_directories_are_entered_only_for_an_exception_inside() {
        let ignore = DockerIgnore::parse("docs\n!docs/keep.txt\n").expect("valid");
        assert!(ignore.has_exceptions());
        assert!(ignore.may_reinclude_below("docs"));
        assert!(!ignore.may_reinclude_below("other"));
        let wildcard = DockerIgnore::parse("docs\n!*/keep.txt\n").expect("valid");
        assert!(!wildcard.may_reinclude_below("docs"));
    }

    #[test]
    fn kept_files_stay_even_when_excluded() {
        let mut ignore = DockerIgnore::parse("*\n").expect("valid");
        ignore.keep("Dockerfile");
        ignore.keep("build/Docker[file]");
        assert!(!ignore.excludes("Dockerfile"));
        assert!(!ignore.excludes("build/Docker[file]"));
        assert!(ignore.excludes("src"));
    }
}
