//! The image's labels: the OCI labels `ferry tag` computes (`org.opencontainers.image.source`,
//! `revision`, `version`, `created`, `title`, `url`, …) through `ferry-image`'s metadata code,
//! in process, plus labels of the caller's own.

use std::collections::BTreeMap;

use ferry_image::meta::{Context, Inputs, Meta, MetaError, Options, RepoInfo};
use jiff::Timestamp;

/// The label `--version` overrides.
pub const VERSION_LABEL: &str = "org.opencontainers.image.version";

/// What the labels are computed from.
#[derive(Debug, Clone)]
pub struct LabelInputs {
    /// The build's context (event, commit, ref, commit date), as `ferry tag` gathers it.
    pub context: Context,
    /// The repository (name, web URL, licence).
    pub repo: RepoInfo,
    /// The build time (`created`).
    pub now: Timestamp,
    /// `key=value` labels of the caller's (expressions such as `{{sha}}` allowed, as in
    /// `ferry tag --labels`); they win over the computed ones.
    pub extra: Vec<String>,
    /// A version for `org.opencontainers.image.version`, instead of the one the default tag
    /// rules give (the branch or tag name).
    pub version: Option<String>,
}

/// The labels with metadata-action's rules (the default tag rules give the version), and the
/// warnings of the computation.
pub fn oci_labels(
    inputs: &LabelInputs,
) -> Result<(BTreeMap<String, String>, Vec<String>), MetaError> {
    let meta = Meta::compute(
        &Inputs {
            labels: inputs.extra.clone(),
            ..Inputs::default()
        },
        &inputs.context,
        &inputs.repo,
        Options::at(inputs.now),
    )?;
    let mut labels: BTreeMap<String, String> = meta
        .labels
        .iter()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if let Some(version) = &inputs.version {
        labels.insert(VERSION_LABEL.to_owned(), version.clone());
    }
    Ok((labels, meta.warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tag_push_labels_source_revision_version_and_created() {
        let now: Timestamp = "2026-12-01T10:00:00Z".parse().expect("time");
        let inputs = LabelInputs {
            context: Context {
                event_name: "push".into(),
                sha: "860c1904a1ce19322e91ac35af1ab07466440c37".into(),
                git_ref: "refs/tags/v1.5.0".into(),
                payload: json!({}),
                commit_date: now,
            },
            repo: RepoInfo {
                name: "backend".into(),
                html_url: "https://github.com/acme/backend".into(),
                ..RepoInfo::default()
            },
            now,
            extra: vec!["team=payments".into()],
            version: None,
        };
        let (labels, _) = oci_labels(&inputs).expect("labels");
        assert_eq!(
            labels["org.opencontainers.image.source"],
            "https://github.com/acme/backend"
        );
        assert_eq!(
            labels["org.opencontainers.image.revision"],
            "860c1904a1ce19322e91ac35af1ab07466440c37"
        );
        assert_eq!(labels[VERSION_LABEL], "v1.5.0");
        assert_eq!(
            labels["org.opencontainers.image.created"],
            "2026-12-01T10:00:00.000Z"
        );
        assert_eq!(labels["team"], "payments");
        let (labels, _) = oci_labels(&LabelInputs {
            version: Some("1.5.0".into()),
            ..inputs
        })
        .expect("labels");
        assert_eq!(labels[VERSION_LABEL], "1.5.0");
    }
}
