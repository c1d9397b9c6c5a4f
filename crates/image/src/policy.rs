//! Tag policies: pick the newest tag from a list, like Flux's `ImagePolicy`.
//!
//! # API
//!
//! ```
//! use ferry_image::policy::{Policy, TagFilter};
//!
//! // --policy: "semver:RANGE", "semver-pre:RANGE" (pre-releases too), "numerical[:asc|desc]",
//! // "alphabetical[:asc|desc]". `Display` prints the same syntax back.
//! let policy: Policy = "semver:>=1.0 <2".parse().unwrap();
//!
//! // --filter REGEX --extract TEMPLATE, then allow and ignore lists (globs: * ? [...]).
//! let filter = TagFilter::new(Some(r"^v(?P<version>.*)$"), Some("$version"))
//!     .unwrap()
//!     .ignore(["*-debug"])
//!     .unwrap();
//!
//! let tags = ["v1.0.0", "v1.4.2", "v1.5.0-rc.1", "v1.4.3-debug", "v2.0.0", "latest"];
//! let newest = policy.newest(&filter, tags).unwrap();
//! assert_eq!(newest.tag, "v1.4.2");
//! assert_eq!(newest.value, "1.4.2");
//!
//! // Every readable candidate, oldest first (newest last):
//! let sorted = policy.sorted(&filter, tags);
//! assert_eq!(sorted.iter().map(|c| c.tag.as_str()).collect::<Vec<_>>(), ["v1.0.0", "v1.4.2"]);
//! ```
//!
//! - [`Policy`]: how values compare. `Semver { range, include_prerelease }`,
//!   `Numerical { order }`, `Alphabetical { order }`; [`Order::Asc`] (default) picks the highest
//!   value, [`Order::Desc`] the lowest.
//! - [`TagFilter`]: which tags are candidates and what value each contributes. A tag is a
//!   candidate when it matches an `allow` glob (or the list is empty), matches no `ignore` glob,
//!   and matches `pattern` (unanchored, Rust `regex` syntax). Its value is `extract` expanded with
//!   the pattern's captures (`$name`, `${name}`, `$1`; `$$` is a literal `$`; as in Go and Flux,
//!   `$1a` means the group named `1a`, so write `${1}a`), or the whole tag without `extract`.
//! - [`Policy::newest`] returns the newest [`Candidate`] or `None`; [`Policy::sorted`] all of
//!   them, oldest first. Values the policy cannot read (not a version, not a number, outside
//!   the range) are skipped. Ties (`1.0.0` and `v1.0.0`) go to the greater tag text, so the
//!   result does not depend on the order of the input.
//!
//! Semver values: an optional `v`/`V`, then `MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]` (missing parts
//! are 0, as Flux does); build metadata does not affect the order. Numerical values: an optional
//! `-`, digits, optionally `.digits`; compared exactly (no float rounding, so long timestamps
//! work). Alphabetical: byte order.

mod range;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use regex::Regex;
use semver::Version;

pub use range::SemverRange;

use crate::reference::glob::Glob;

/// Why a policy, range, filter or template was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The policy string is not one of the known forms.
    #[error(
        "unknown tag policy {input:?}: expected semver:RANGE, semver-pre:RANGE, \
         numerical[:asc|desc] or alphabetical[:asc|desc]"
    )]
    UnknownPolicy {
        /// The rejected input.
        input: String,
    },
    /// The order is neither `asc` nor `desc`.
    #[error("unknown order {input:?} in tag policy: expected asc or desc")]
    InvalidOrder {
        /// The rejected order.
        input: String,
    },
    /// The semver range does not parse.
    #[error("invalid semver range {range:?}: {reason}")]
    InvalidRange {
        /// The rejected range.
        range: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The filter regex does not compile.
    #[error("invalid tag filter pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The rejected pattern.
        pattern: String,
        /// The regex compiler's message.
        reason: String,
    },
    /// The extract template names a group the pattern does not have.
    #[error(
        "extract template {template:?} refers to group {group:?}, which pattern {pattern:?} does \
         not define"
    )]
    UnknownGroup {
        /// The template.
        template: String,
        /// The missing group.
        group: String,
        /// The pattern.
        pattern: String,
    },
    /// An extract template was given without a pattern.
    #[error("extract template {template:?} needs a filter pattern with capture groups")]
    ExtractWithoutPattern {
        /// The template.
        template: String,
    },
    /// An allow or ignore glob is malformed.
    #[error("invalid {list} glob {glob:?}: {reason}")]
    InvalidGlob {
        /// `allow` or `ignore`.
        list: &'static str,
        /// The rejected glob.
        glob: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A tag policy or filter that does not parse: usage (exit 2).
impl ferry_error::Classify for PolicyError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}

/// Which end of the sorted values is the newest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Order {
    /// Ascending: the highest value is the newest (the default, as in Flux).
    #[default]
    Asc,
    /// Descending: the lowest value is the newest.
    Desc,
}

/// How tag values are compared to find the newest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// The highest semantic version inside `range`.
    Semver {
        /// The allowed versions.
        range: SemverRange,
        /// Whether pre-release versions (`1.2.0-rc.1`) may be chosen.
        include_prerelease: bool,
    },
    /// Values compared as decimal numbers.
    Numerical {
        /// Which end is the newest.
        order: Order,
    },
    /// Values compared as text (byte order).
    Alphabetical {
        /// Which end is the newest.
        order: Order,
    },
}

/// A tag that passed the filter, with the value the policy compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The tag as listed by the registry.
    pub tag: String,
    /// The compared value: the extracted text, or the tag itself.
    pub value: String,
}

/// Which tags are candidates and what value each contributes; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    pattern: Option<Regex>,
    extract: Option<String>,
    allow: Vec<Glob>,
    ignore: Vec<Glob>,
}

impl TagFilter {
    /// A filter with an optional regex `pattern` and an optional `extract` template.
    ///
    /// Fails when the pattern does not compile, when the template names a group the pattern does
    /// not define, or when a template is given without a pattern.
    pub fn new(pattern: Option<&str>, extract: Option<&str>) -> Result<Self, PolicyError> {
        let pattern = pattern
            .map(|p| {
                Regex::new(p).map_err(|e| PolicyError::InvalidPattern {
                    pattern: p.to_owned(),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        if let Some(template) = extract {
            let Some(re) = &pattern else {
                return Err(PolicyError::ExtractWithoutPattern {
                    template: template.to_owned(),
                });
            };
            check_template(template, re)?;
        }
        Ok(Self {
            pattern,
            extract: extract.map(str::to_owned),
            allow: Vec::new(),
            ignore: Vec::new(),
        })
    }

    /// Adds allow globs: when any are given, only tags matching one of them are candidates.
    pub fn allow<I, S>(mut self, globs: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allow.extend(compile_globs("allow", globs)?);
        Ok(self)
    }

    /// Adds ignore globs: tags matching any of them are never candidates.
    pub fn ignore<I, S>(mut self, globs: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.ignore.extend(compile_globs("ignore", globs)?);
        Ok(self)
    }

    /// The candidate for `tag`, or `None` when the filter rejects it.
    pub fn candidate(&self, tag: &str) -> Option<Candidate> {
        if !self.allow.is_empty() && !self.allow.iter().any(|g| g.is_match(tag)) {
            return None;
        }
        if self.ignore.iter().any(|g| g.is_match(tag)) {
            return None;
        }
        let value = match &self.pattern {
            None => tag.to_owned(),
            Some(re) => {
                let caps = re.captures(tag)?;
                match &self.extract {
                    None => tag.to_owned(),
                    Some(template) => {
                        let mut value = String::new();
                        caps.expand(template, &mut value);
                        value
                    }
                }
            }
        };
        Some(Candidate {
            tag: tag.to_owned(),
            value,
        })
    }
}

fn compile_globs<I, S>(list: &'static str, globs: I) -> Result<Vec<Glob>, PolicyError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    globs
        .into_iter()
        .map(|g| {
            Glob::new(g.as_ref()).map_err(|e| PolicyError::InvalidGlob {
                list,
                glob: g.as_ref().to_owned(),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Checks that every group a template refers to exists in `re`.
fn check_template(template: &str, re: &Regex) -> Result<(), PolicyError> {
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            rest = after;
            continue;
        }
        let group = if let Some(braced) = rest.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => {
                    rest = &braced[end + 1..];
                    &braced[..end]
                }
                // No closing brace: the `$` is literal.
                None => continue,
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let group = &rest[..end];
            rest = &rest[end..];
            group
        };
        if group.is_empty() {
            continue;
        }
        let known = match group.parse::<usize>() {
            Ok(index) => index < re.captures_len(),
            Err(_) => re.capture_names().flatten().any(|name| name == group),
        };
        if !known {
            return Err(PolicyError::UnknownGroup {
                template: template.to_owned(),
                group: group.to_owned(),
                pattern: re.as_str().to_owned(),
            });
        }
    }
    Ok(())
}

/// A value the policy can order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Version(Version),
    Number(Decimal),
    Text(String),
}

impl Policy {
    /// The newest candidate among `tags` after `filter`, or `None` when none qualifies.
    pub fn newest<I, S>(&self, filter: &TagFilter, tags: I) -> Option<Candidate>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.keyed(filter, tags)
            .into_iter()
            .max_by(|a, b| self.compare(a, b))
            .map(|(_, candidate)| candidate)
    }

    /// Every candidate the policy can read, sorted oldest first (the newest is last).
    pub fn sorted<I, S>(&self, filter: &TagFilter, tags: I) -> Vec<Candidate>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut keyed = self.keyed(filter, tags);
        keyed.sort_by(|a, b| self.compare(a, b));
        keyed.into_iter().map(|(_, candidate)| candidate).collect()
    }

    /// The key of a value, or `None` when this policy cannot read it or rejects it.
    fn key(&self, value: &str) -> Option<Key> {
        match self {
            Self::Semver {
                range,
                include_prerelease,
            } => {
                let version = parse_version(value)?;
                range
                    .matches(&version, *include_prerelease)
                    .then_some(Key::Version(version))
            }
            Self::Numerical { .. } => Decimal::parse(value).map(Key::Number),
            Self::Alphabetical { .. } => Some(Key::Text(value.to_owned())),
        }
    }

    fn keyed<I, S>(&self, filter: &TagFilter, tags: I) -> Vec<(Key, Candidate)>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        tags.into_iter()
            .filter_map(|tag| filter.candidate(tag.as_ref()))
            .filter_map(|c| Some((self.key(&c.value)?, c)))
            .collect()
    }

    /// Orders oldest to newest; ties go to the greater tag text.
    fn compare(&self, a: &(Key, Candidate), b: &(Key, Candidate)) -> Ordering {
        let by_key = match self {
            Self::Numerical { order: Order::Desc } | Self::Alphabetical { order: Order::Desc } => {
                b.0.cmp(&a.0)
            }
            _ => a.0.cmp(&b.0),
        };
        by_key.then_with(|| a.1.tag.cmp(&b.1.tag))
    }
}

/// Reads a semver value: optional `v`, `MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`.
fn parse_version(value: &str) -> Option<Version> {
    let s = value.strip_prefix(['v', 'V']).unwrap_or(value);
    let core_end = s.find(['-', '+']).unwrap_or(s.len());
    let (core, rest) = s.split_at(core_end);
    let parts = core.split('.').count();
    if parts > 3
        || core
            .split('.')
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts));
    Version::parse(&padded).ok()
}

/// An exact decimal number: sign, integer digits without leading zeros, fraction digits without
/// trailing zeros.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    integer: String,
    fraction: String,
}

impl Decimal {
    fn parse(value: &str) -> Option<Self> {
        let (negative, digits) = match value.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
            return None;
        }
        if digits.contains('.') && fraction.is_empty() {
            return None;
        }
        let integer = integer.trim_start_matches('0').to_owned();
        let fraction = fraction.trim_end_matches('0').to_owned();
        let zero = integer.is_empty() && fraction.is_empty();
        Some(Self {
            negative: negative && !zero,
            integer,
            fraction,
        })
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        self.integer
            .len()
            .cmp(&other.integer.len())
            .then_with(|| self.integer.cmp(&other.integer))
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Policy {
    type Err = PolicyError;

    /// Parses `semver:RANGE`, `semver-pre:RANGE`, `semver` (any release),
    /// `numerical[:asc|desc]` or `alphabetical[:asc|desc]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, arg) = match s.split_once(':') {
            Some((kind, arg)) => (kind.trim(), Some(arg)),
            None => (s.trim(), None),
        };
        let order = |arg: Option<&str>| match arg.map(str::trim) {
            None | Some("asc") => Ok(Order::Asc),
            Some("desc") => Ok(Order::Desc),
            Some(other) => Err(PolicyError::InvalidOrder {
                input: other.to_owned(),
            }),
        };
        match kind {
            "semver" | "semver-pre" => Ok(Self::Semver {
                range: SemverRange::parse(arg.unwrap_or(""))?,
                include_prerelease: kind == "semver-pre",
            }),
            "numerical" => Ok(Self::Numerical { order: order(arg)? }),
            "alphabetical" => Ok(Self::Alphabetical { order: order(arg)? }),
            _ => Err(PolicyError::UnknownPolicy {
                input: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        })
    }
}

impl fmt::Display for Policy {
    /// The string form [`Policy::from_str`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Semver {
                range,
                include_prerelease,
            } => {
                let kind = if *include_prerelease {
                    "semver-pre"
                } else {
                    "semver"
                };
                if range.as_str().is_empty() {
                    f.write_str(kind)
                } else {
                    write!(f, "{kind}:{range}")
                }
            }
            Self::Numerical { order } => write!(f, "numerical:{order}"),
            Self::Alphabetical { order } => write!(f, "alphabetical:{order}"),
        }
    }
}

/// Serialised as its string form (`semver:>=1.0 <2`, `numerical:asc`, ...).
impl serde::Serialize for Policy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialised from its string form with [`Policy::from_str`].
impl<'de> serde::Deserialize<'de> for Policy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
