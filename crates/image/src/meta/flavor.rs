//! The `flavor` input.

use super::MetaError;
use super::fields::{csv_fields, split_field};

/// When to add the `latest` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Latest {
    /// Only for tags whose type implies it (a final semver/pep440 release, a git tag, a match).
    #[default]
    Auto,
    /// Always.
    True,
    /// Never.
    False,
}

impl Latest {
    /// The value used for a tag whose type suggests `auto_value` under `latest=auto`.
    pub(crate) fn resolve(self, auto_value: bool) -> bool {
        match self {
            Latest::Auto => auto_value,
            Latest::True => true,
            Latest::False => false,
        }
    }
}

/// The parsed `flavor` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Flavor {
    /// `latest=auto|true|false`.
    pub latest: Latest,
    /// Global prefix for every tag that sets none.
    pub prefix: String,
    /// Whether the prefix also applies to `latest`.
    pub prefix_latest: bool,
    /// Global suffix for every tag that sets none.
    pub suffix: String,
    /// Whether the suffix also applies to `latest`.
    pub suffix_latest: bool,
}

/// Parses the `flavor` input (one entry per line).
pub fn parse_flavor(lines: &[String]) -> Result<Flavor, MetaError> {
    let mut flavor = Flavor::default();
    for line in lines {
        let bad = |reason: String| MetaError::Flavor {
            line: line.clone(),
            reason,
        };
        let mut onlatest_for = "";
        for field in csv_fields(line).map_err(bad)? {
            let Ok((key, value)) = split_field(&field) else {
                return Err(bad(format!("{field:?} is not key=value")));
            };
            match key.to_lowercase().as_str() {
                "latest" => {
                    flavor.latest = match value {
                        "auto" => Latest::Auto,
                        "true" => Latest::True,
                        "false" => Latest::False,
                        _ => return Err(bad("latest must be auto, true or false".into())),
                    }
                }
                "prefix" => {
                    flavor.prefix = value.to_string();
                    onlatest_for = "prefix";
                }
                "suffix" => {
                    flavor.suffix = value.to_string();
                    onlatest_for = "suffix";
                }
                "onlatest" => {
                    let on = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad("onlatest must be true or false".into())),
                    };
                    match onlatest_for {
                        "prefix" => flavor.prefix_latest = on,
                        "suffix" => flavor.suffix_latest = on,
                        _ => {}
                    }
                }
                other => return Err(bad(format!("unknown flavor entry {other:?}"))),
            }
        }
    }
    Ok(flavor)
}
