//! What a resolution gives: the workloads an overlay renders with their images, every finding,
//! the rendered resources, and why an overlay could not be resolved.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::validate::{Finding, Severity};

/// A rendered workload: an object with `containers` or `initContainers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// `apiVersion` of the object.
    pub api_version: String,
    /// `kind` of the object.
    pub kind: String,
    /// Namespace as kustomize renders it; `None` when none is set.
    pub namespace: Option<String>,
    /// Name as kustomize renders it (with prefixes and suffixes).
    pub name: String,
    /// Containers in document order.
    pub containers: Vec<Container>,
}

/// One container of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    /// Container name.
    pub name: String,
    /// Final image.
    pub image: String,
    /// Whether it is an init container.
    pub init: bool,
}

/// The result of resolving an overlay: workloads and findings (errors and warnings).
///
/// When there are errors, `workloads` holds what could still be resolved.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Resolution {
    /// Workloads in kustomize's resource order (resources, then components' additions).
    pub workloads: Vec<Workload>,
    /// Every finding, in discovery order.
    pub findings: Vec<Finding>,
    /// Every rendered resource, with the transformations Ferry applies (namespace, prefix and
    /// suffix, deleting and image patches, images); labels, generators and other transformers
    /// that cannot change images are not applied.
    #[serde(skip)]
    pub resources: Vec<Value>,
    /// For each resource, its name before kustomize's content-hash suffix when it is a
    /// generated ConfigMap or Secret with one (`app-config` of `app-config-7b9fk2g5dm`).
    #[serde(skip)]
    pub generated: Vec<Option<String>>,
    /// Fields the overlay uses that Ferry does not render exactly (Helm charts, plugins,
    /// `replacements`, …): a rendering is refused while any is listed.
    #[serde(skip)]
    pub unrendered: Vec<Unrendered>,
}

/// A kustomization field Ferry does not render exactly, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unrendered {
    /// The kustomization file.
    pub file: PathBuf,
    /// The field (`helmCharts`, `replacements`, …).
    pub field: String,
    /// Why, in a few words.
    pub reason: String,
}

impl std::fmt::Display for Unrendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: `{}`: {}; Ferry does not render it exactly, so it refuses to render this overlay",
            self.file.display(),
            self.field,
            self.reason
        )
    }
}

impl Resolution {
    /// Whether no finding is an error.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The error findings.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// The warning findings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }
}

/// Why an overlay could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The repository root or the overlay directory cannot be opened.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The overlay has errors (the first one is shown; all are in `findings`).
    #[error("{}", first_error(findings))]
    Invalid {
        /// Every finding, errors and warnings.
        findings: Vec<Finding>,
    },
}

fn first_error(findings: &[Finding]) -> String {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error);
    let count = errors.clone().count();
    match errors.clone().next() {
        Some(first) if count > 1 => format!("{first} (and {} more errors)", count - 1),
        Some(first) => first.to_string(),
        None => String::new(),
    }
}

/// What a resolution gives: the result an [`OverlayResolver`](crate::OverlayResolver) summarises.
pub type Resolved = Result<Resolution, ResolveError>;
