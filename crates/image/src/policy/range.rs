//! Semver range constraints in the syntax Flux users write (`>=1.0 <2`, `^1.2 || ~2.0`, `1.x`,
//! `1.0 - 2.0`), evaluated with the `semver` crate.

use std::fmt;
use std::str::FromStr;

use semver::{BuildMetadata, Comparator, Op, Prerelease, Version, VersionReq};

use super::PolicyError;

/// A semver range: alternatives joined by `||`, each a set of comparators that must all hold.
///
/// Comparators are separated by spaces or commas. A bare version means `=` (not Cargo's `^`),
/// `A - B` means `>=A, <=B`, `*`/`x` are wildcards, and a leading `v` on a version is ignored.
/// An empty range matches every version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemverRange {
    text: String,
    alternatives: Vec<VersionReq>,
}

impl SemverRange {
    /// Parses a range; see the type documentation for the syntax.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let invalid = |reason: String| PolicyError::InvalidRange {
            range: text.to_owned(),
            reason,
        };
        let mut alternatives = Vec::new();
        for alternative in text.split("||") {
            let comparators = comparators(alternative).map_err(&invalid)?;
            if comparators.is_empty() && text.contains("||") {
                return Err(invalid("an alternative around `||` is empty".to_owned()));
            }
            let req = if comparators.is_empty() {
                VersionReq::STAR
            } else {
                VersionReq::parse(&comparators.join(", ")).map_err(|e| invalid(e.to_string()))?
            };
            alternatives.push(req);
        }
        Ok(Self {
            text: text.trim().to_owned(),
            alternatives,
        })
    }

    /// Whether `version` is in the range.
    ///
    /// Without `include_prerelease`, Cargo's rule applies: a pre-release matches only when a
    /// comparator names the same `major.minor.patch` with a pre-release (`>=1.0.0-rc.1`). With
    /// it, pre-releases are compared in plain semver order; a partial version such as `1.2` in a
    /// bound stands for all of `1.2.x` including pre-releases, while a full version is exact
    /// (`>=1.2.0` excludes `1.2.0-rc.1`, `>=1.2` includes it).
    pub fn matches(&self, version: &Version, include_prerelease: bool) -> bool {
        if !include_prerelease || version.pre.is_empty() {
            return self.alternatives.iter().any(|req| req.matches(version));
        }
        let version = Version {
            build: BuildMetadata::EMPTY,
            ..version.clone()
        };
        self.alternatives.iter().any(|req| {
            req.comparators
                .iter()
                .all(|c| comparator_matches(c, &version))
        })
    }

    /// The range as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Splits one alternative into comparators the `semver` crate reads.
fn comparators(alternative: &str) -> Result<Vec<String>, String> {
    let tokens: Vec<&str> = alternative
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        if tokens.get(i + 1) == Some(&"-") {
            let upper = tokens
                .get(i + 2)
                .ok_or_else(|| format!("hyphen range `{token} -` has no upper bound"))?;
            out.push(format!(">={}", strip_v(token)));
            out.push(format!("<={}", strip_v(upper)));
            i += 3;
            continue;
        }
        let (op, version) = if is_operator(token) {
            let version = tokens
                .get(i + 1)
                .ok_or_else(|| format!("operator `{token}` has no version"))?;
            i += 2;
            (token, *version)
        } else {
            i += 1;
            let split = token
                .find(|c: char| !matches!(c, '<' | '>' | '=' | '~' | '^'))
                .unwrap_or(token.len());
            token.split_at(split)
        };
        if op == "!=" || version.starts_with('!') {
            return Err("`!=` is not supported; use an ignore list".to_owned());
        }
        if !is_operator(op) && !op.is_empty() {
            return Err(format!("unknown operator `{op}`"));
        }
        let version = strip_v(version);
        if version.is_empty() {
            return Err(format!("operator `{op}` has no version"));
        }
        let op = match op {
            "" if version.starts_with(['*', 'x', 'X']) => "",
            "" | "==" => "=",
            "~>" => "~",
            op => op,
        };
        out.push(format!("{op}{version}"));
    }
    Ok(out)
}

fn is_operator(token: &str) -> bool {
    matches!(
        token,
        "=" | "==" | ">" | ">=" | "<" | "<=" | "~" | "~>" | "^" | "!="
    )
}

fn strip_v(version: &str) -> &str {
    match version.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => version,
    }
}

fn zero_pre() -> Prerelease {
    Prerelease::new("0").expect("0 is a valid pre-release")
}

fn version(major: u64, minor: u64, patch: u64, pre: Prerelease) -> Version {
    Version {
        major,
        minor,
        patch,
        pre,
        build: BuildMetadata::EMPTY,
    }
}

/// Evaluates one comparator in plain semver order (pre-releases not gated).
fn comparator_matches(c: &Comparator, v: &Version) -> bool {
    let full = c.minor.is_some() && c.patch.is_some();
    let exact = version(
        c.major,
        c.minor.unwrap_or(0),
        c.patch.unwrap_or(0),
        c.pre.clone(),
    );
    // The smallest version with the comparator's prefix, and the first one past it.
    let prefix_low = version(c.major, c.minor.unwrap_or(0), 0, zero_pre());
    let prefix_high = match c.minor {
        None => version(c.major + 1, 0, 0, zero_pre()),
        Some(minor) => version(c.major, minor + 1, 0, zero_pre()),
    };
    let low = if full { &exact } else { &prefix_low };
    match c.op {
        Op::Exact | Op::Wildcard if full => *v == exact,
        Op::Exact | Op::Wildcard => prefix_low <= *v && *v < prefix_high,
        Op::Greater if full => *v > exact,
        Op::Greater => *v >= prefix_high,
        Op::GreaterEq => v >= low,
        Op::Less if full => *v < exact,
        Op::Less => *v < prefix_low,
        Op::LessEq if full => *v <= exact,
        Op::LessEq => *v < prefix_high,
        Op::Tilde => {
            let high = match c.minor {
                None => version(c.major + 1, 0, 0, zero_pre()),
                Some(minor) => version(c.major, minor + 1, 0, zero_pre()),
            };
            low <= v && *v < high
        }
        Op::Caret => {
            let high = match (c.major, c.minor, c.patch) {
                (0, None, _) => version(1, 0, 0, zero_pre()),
                (0, Some(0), None) => version(0, 1, 0, zero_pre()),
                (0, Some(0), Some(patch)) => version(0, 0, patch + 1, zero_pre()),
                (0, Some(minor), _) => version(0, minor + 1, 0, zero_pre()),
                (major, _, _) => version(major + 1, 0, 0, zero_pre()),
            };
            low <= v && *v < high
        }
        _ => c.matches(v),
    }
}

impl fmt::Display for SemverRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for SemverRange {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
