//! GitHub's filter patterns (`branches`, `paths`) and whether a trigger starts its workflow for
//! a change.

use regex::Regex;

use crate::workflow::Trigger;

/// Whether the GitHub filter `pattern` matches `text`: `*` any characters but `/`, `**` any
/// characters, `?` one character but `/`, `+` one or more of the character before, `[…]` a
/// class; everything else literally.
pub fn matches(pattern: &str, text: &str) -> bool {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '+' => re.push('+'),
            '[' => {
                let mut class = String::from("[");
                for c in chars.by_ref() {
                    if c == '\\' {
                        class.push_str("\\\\");
                        continue;
                    }
                    class.push(c);
                    if c == ']' {
                        break;
                    }
                }
                re.push_str(&class);
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).is_ok_and(|r| r.is_match(text))
}

/// Whether a list with `!` negations admits `text`: the last pattern that matches decides.
fn admitted(patterns: &[String], text: &str) -> bool {
    let mut admitted = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if matches(negated, text) => admitted = false,
            None if matches(pattern, text) => admitted = true,
            _ => {}
        }
    }
    admitted
}

/// Whether `trigger` starts its workflow for a push to, or a pull request into, `branch` that
/// changes only `file`.
pub fn starts(trigger: &Trigger, branch: &str, file: &str) -> bool {
    if trigger.event == "push" && trigger.tags.is_some() && trigger.branches.is_none() {
        return false;
    }
    if let Some(branches) = &trigger.branches
        && !admitted(branches, branch)
    {
        return false;
    }
    if let Some(ignored) = &trigger.branches_ignore
        && ignored.iter().any(|p| matches(p, branch))
    {
        return false;
    }
    if let Some(paths) = &trigger.paths
        && !admitted(paths, file)
    {
        return false;
    }
    if let Some(ignored) = &trigger.paths_ignore
        && ignored.iter().any(|p| matches(p, file))
    {
        return false;
    }
    true
}

/// A path a pattern admits (`src/**` → `src/x`, `**/*.go` → `x/x.go`), to try other filters
/// with; `None` for a negation.
pub fn sample(pattern: &str) -> Option<String> {
    if pattern.starts_with('!') {
        return None;
    }
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                out.push('x');
            }
            '?' => out.push('x'),
            '+' => {}
            '[' => {
                let first = chars.next().unwrap_or('x');
                out.push(if first == '!' || first == '^' {
                    'x'
                } else {
                    first
                });
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    if out.ends_with('/') || out.is_empty() {
        out.push('x');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pos::Pos;

    #[test]
    fn matches_like_github() {
        assert!(matches("src/**", "src/a/b.rs"));
        assert!(!matches("src/*", "src/a/b.rs"));
        assert!(matches("**/*.go", "main.go"));
        assert!(matches("**/*.go", "a/b/main.go"));
        assert!(matches(
            "infra/k8s/overlays/**",
            "infra/k8s/overlays/dev/kustomization.yaml"
        ));
        assert!(matches("release/v[0-9]", "release/v1"));
        assert!(matches("main", "main") && !matches("main", "maintenance"));
        assert!(matches("feature/*", "feature/x") && !matches("feature/*", "feature/x/y"));
        assert!(matches("a.b", "a.b") && !matches("a.b", "axb"));
    }

    #[test]
    fn negations_and_filters_decide_like_github() {
        let list = |p: &[&str]| Some(p.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let mut t = Trigger {
            event: "pull_request".into(),
            at: Pos { line: 1, column: 1 },
            branches: list(&["main"]),
            branches_ignore: None,
            tags: None,
            paths: list(&["**", "!infra/**"]),
            paths_ignore: None,
            filter_at: Pos { line: 1, column: 1 },
        };
        assert!(starts(&t, "main", "src/a.rs"));
        assert!(!starts(
            &t,
            "main",
            "infra/k8s/overlays/dev/kustomization.yaml"
        ));
        assert!(!starts(&t, "develop", "src/a.rs"));
        t.paths = None;
        t.paths_ignore = list(&["docs/**"]);
        assert!(starts(&t, "main", "src/a.rs") && !starts(&t, "main", "docs/a.md"));
        t.event = "push".into();
        t.branches = None;
        t.tags = list(&["v*"]);
        assert!(!starts(&t, "main", "src/a.rs"));
    }

    #[test]
    fn samples_paths_a_pattern_admits() {
        for pattern in ["src/**", "**/*.go", "app/[abc]*.py", "Dockerfile", "lib/"] {
            let sample = sample(pattern).unwrap();
            assert!(
                matches(pattern, &sample) || pattern.ends_with('/'),
                "{pattern} {sample}"
            );
        }
        assert_eq!(sample("!docs/**"), None);
    }
}
