//! The `tags` input: one tag rule per line.

use std::collections::BTreeMap;

use super::MetaError;
use super::fields::{csv_fields, split_field};

/// The kind of a tag rule (`type=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagType {
    /// `type=schedule`: only on scheduled runs; `pattern` defaults to `nightly`.
    Schedule,
    /// `type=semver`: a semantic version from the git tag or `value`.
    Semver,
    /// `type=pep440`: a Python PEP 440 version from the git tag or `value`.
    Pep440,
    /// `type=match`: a regular expression group from the git tag or `value`.
    Match,
    /// `type=edge`: `edge` on pushes to a given branch (the default branch by default).
    Edge,
    /// `type=ref`: the branch, git tag or pull request number.
    Ref,
    /// `type=raw`: a literal value (with expressions).
    Raw,
    /// `type=sha`: the commit sha, short or long.
    Sha,
}

impl TagType {
    fn parse(s: &str) -> Option<TagType> {
        Some(match s {
            "schedule" => TagType::Schedule,
            "semver" => TagType::Semver,
            "pep440" => TagType::Pep440,
            "match" => TagType::Match,
            "edge" => TagType::Edge,
            "ref" => TagType::Ref,
            "raw" => TagType::Raw,
            "sha" => TagType::Sha,
            _ => return None,
        })
    }

    /// The priority a rule of this type gets when it sets none.
    pub fn default_priority(self) -> i64 {
        match self {
            TagType::Schedule => 1000,
            TagType::Semver | TagType::Pep440 => 900,
            TagType::Match => 800,
            TagType::Edge => 700,
            TagType::Ref => 600,
            TagType::Raw => 200,
            TagType::Sha => 100,
        }
    }
}

/// One parsed tag rule: its type and all attributes, defaults filled in (as strings, like the
/// action keeps them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TagRule {
    /// `type=`.
    #[serde(rename = "type")]
    pub kind: TagType,
    /// Every attribute, including defaults (`priority`, `enable`, `pattern`, ...).
    pub attrs: BTreeMap<String, String>,
}

impl TagRule {
    /// An attribute, or `""` when absent.
    pub fn attr(&self, key: &str) -> &str {
        self.attrs.get(key).map_or("", String::as_str)
    }

    /// The numeric priority.
    pub fn priority(&self) -> f64 {
        self.attr("priority").parse().unwrap_or(0.0)
    }
}

/// The rules used when the `tags` input is empty.
pub const DEFAULT_TAGS: [&str; 4] = [
    "type=schedule",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
];

/// Parses the `tags` input and sorts the rules by priority, highest first (stable). An empty input
/// means [`DEFAULT_TAGS`].
pub fn parse_tags(lines: &[String]) -> Result<Vec<TagRule>, MetaError> {
    let mut rules = if lines.is_empty() {
        DEFAULT_TAGS
            .iter()
            .map(|l| parse_tag(l))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        lines
            .iter()
            .map(|l| parse_tag(l))
            .collect::<Result<Vec<_>, _>>()?
    };
    rules.sort_by(|a, b| b.priority().total_cmp(&a.priority()));
    Ok(rules)
}

/// Parses one tag rule line.
pub fn parse_tag(line: &str) -> Result<TagRule, MetaError> {
    let bad = |reason: &str| MetaError::Tag {
        line: line.to_string(),
        reason: reason.to_string(),
    };
    let mut kind = None;
    let mut attrs = BTreeMap::new();
    for field in csv_fields(line).map_err(|r| bad(&r))? {
        let (key, value) = match split_field(&field) {
            Ok((k, v)) => (k.to_lowercase(), v.to_string()),
            Err(bare) => {
                attrs.insert("value".to_string(), bare.to_string());
                continue;
            }
        };
        if key == "type" {
            kind = Some(
                TagType::parse(&value)
                    .ok_or_else(|| bad(&format!("unknown tag type {value:?}")))?,
            );
        } else {
            attrs.insert(key, value);
        }
    }
    let kind = kind.unwrap_or(TagType::Raw);
    fn default(attrs: &mut BTreeMap<String, String>, k: &str, v: &str) {
        attrs.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    match kind {
        TagType::Schedule => default(&mut attrs, "pattern", "nightly"),
        TagType::Semver | TagType::Pep440 => {
            if !attrs.contains_key("pattern") {
                return Err(bad("missing pattern attribute"));
            }
            default(&mut attrs, "value", "");
            default(&mut attrs, "match", "");
        }
        TagType::Match => {
            if !attrs.contains_key("pattern") {
                return Err(bad("missing pattern attribute"));
            }
            default(&mut attrs, "group", "0");
            default(&mut attrs, "value", "");
            if !is_js_number(&attrs["group"]) {
                return Err(bad("group must be a number"));
            }
        }
        TagType::Edge => default(&mut attrs, "branch", ""),
        TagType::Ref => match attrs.get("event").map(String::as_str) {
            None => return Err(bad("missing event attribute")),
            Some("branch" | "tag") => {}
            Some("pr") => default(&mut attrs, "prefix", "pr-"),
            Some(_) => return Err(bad("event must be branch, tag or pr")),
        },
        TagType::Raw => {
            if !attrs.contains_key("value") {
                return Err(bad("missing value attribute"));
            }
        }
        TagType::Sha => {
            default(&mut attrs, "prefix", "sha-");
            default(&mut attrs, "format", "short");
            if !matches!(attrs["format"].as_str(), "short" | "long") {
                return Err(bad("format must be short or long"));
            }
        }
    }
    attrs
        .entry("enable".to_string())
        .or_insert_with(|| "true".to_string());
    let priority = attrs
        .entry("priority".to_string())
        .or_insert_with(|| kind.default_priority().to_string());
    if !is_js_number(priority) {
        return Err(bad("priority must be a number"));
    }
    Ok(TagRule { kind, attrs })
}

/// Whether `+s` is a number in JavaScript (empty counts as 0).
fn is_js_number(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.parse::<f64>().is_ok_and(f64::is_finite)
        || t.strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}
