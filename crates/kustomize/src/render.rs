//! `kustomize build` output, byte for byte: an overlay rendered by the resolver
//! ([`crate::resolve`]) with every transformer Ferry supports, each object printed as
//! `kubectl kustomize` (kustomize v5.5) prints it.
//!
//! - [`render_overlay`] / [`render_overlay_in`] (any [`FileSource`], e.g. a Git tree): the
//!   [`Rendered`] objects, or a [`RenderError`]; an overlay using a field Ferry does not render
//!   exactly (Helm charts, plugins, `replacements`, `vars`, …) is refused with the field and
//!   the kustomization file ([`RenderError::Unsupported`]), never rendered differently.
//! - [`to_yaml`] / [`stream_to_yaml`]: the YAML emitter (go-yaml v2's, as kustomize's
//!   `sigs.k8s.io/yaml` uses it), in `render/yaml.rs`.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::resolve::{self, ResolveError, ResolveOptions, Unrendered};
use crate::source::{FileSource, FsSource, ParseCache};

mod memo_source;
mod scalars;
mod yaml;

pub use yaml::{key_cmp, stream_to_yaml, to_yaml};

/// One rendered object: its identity, its value and its YAML document as kustomize prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedObject {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, when set.
    pub namespace: Option<String>,
    /// `metadata.name` as rendered (prefixes, suffixes, hash suffixes).
    pub name: String,
    /// For a generated ConfigMap or Secret whose name has kustomize's content-hash suffix, its
    /// name without it (`app-config` of `app-config-7b9fk2g5dm`): what stays when its data
    /// changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// The object.
    pub value: Value,
    /// Its YAML document (no `---` separator; ends with a newline).
    pub yaml: String,
}

impl RenderedObject {
    /// The object for `value` (not generated), with its YAML text.
    pub fn new(value: Value) -> Self {
        let s = |p: &str| value.pointer(p).and_then(Value::as_str).map(String::from);
        Self {
            api_version: s("/apiVersion").unwrap_or_default(),
            kind: s("/kind").unwrap_or_default(),
            namespace: s("/metadata/namespace"),
            name: s("/metadata/name").unwrap_or_default(),
            generated: None,
            yaml: to_yaml(&value),
            value,
        }
    }
}

/// An overlay's rendering: the objects in kustomize's output order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rendered {
    /// The objects, in output order.
    pub objects: Vec<RenderedObject>,
}

impl Rendered {
    /// The full `kustomize build` stream: the documents joined with `---\n`.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for (i, o) in self.objects.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&o.yaml);
        }
        out
    }

    /// The objects' values, in output order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.objects.iter().map(|o| &o.value)
    }
}

/// Why an overlay cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The overlay cannot be opened or has errors.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The overlay uses fields Ferry does not render exactly (the first is shown).
    #[error("{}", unsupported_message(.0))]
    Unsupported(Vec<Unrendered>),
}

fn unsupported_message(items: &[Unrendered]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl RenderError {
    /// The unsupported fields, when that is why rendering failed.
    pub fn unsupported(&self) -> &[Unrendered] {
        match self {
            Self::Unsupported(items) => items,
            Self::Resolve(_) => &[],
        }
    }
}

impl ferry_error::Classify for RenderError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            Self::Resolve(ResolveError::Io { .. }) => ferry_error::ErrorKind::Io,
            Self::Resolve(ResolveError::Invalid { .. }) | Self::Unsupported(_) => {
                ferry_error::ErrorKind::BadInput
            }
        }
    }
}

/// Renders `overlay` (a directory or its kustomization file) below repository root `root`, as
/// `kubectl kustomize overlay` prints it.
pub fn render_overlay(
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Rendered, RenderError> {
    render_overlay_in(&FsSource, &ParseCache::new(), root, overlay, options)
}

/// Like [`render_overlay`], reading every file through `source` (a Git tree, say) and parsing
/// through `cache`.
pub fn render_overlay_in(
    source: &dyn FileSource,
    cache: &ParseCache,
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Rendered, RenderError> {
    let resolution = resolve::validate_overlay_in_with(source, cache, root, overlay, options)?;
    rendered(resolution)
}

/// Renders several overlays, each `(root, overlay)` as in [`render_overlay_in`], in a row on one
/// thread: cheaper than a thread per overlay, and the files the overlays share (their bases)
/// are read and parsed once through `cache`.
pub fn render_overlays_in(
    source: &dyn FileSource,
    cache: &ParseCache,
    overlays: &[(&Path, &Path)],
    options: &ResolveOptions,
) -> Vec<Result<Rendered, RenderError>> {
    // The resolver asks about the shared files many times: each question goes to `source` once.
    let memo = memo_source::MemoSource::new(source);
    let work = || {
        overlays
            .iter()
            .map(|(root, overlay)| {
                rendered(resolve::validate_on_this_thread(
                    &memo, cache, root, overlay, options,
                )?)
            })
            .collect()
    };
    resolve::with_parser_stack(work).unwrap_or_else(|e| {
        let kind = e.kind();
        overlays
            .iter()
            .map(|(_, overlay)| {
                Err(RenderError::Resolve(ResolveError::Io {
                    path: overlay.to_path_buf(),
                    source: std::io::Error::new(kind, e.to_string()),
                }))
            })
            .collect()
    })
}

/// The rendering of a resolution: an error when it has errors or unsupported fields.
pub fn rendered(resolution: resolve::Resolution) -> Result<Rendered, RenderError> {
    if !resolution.is_valid() {
        return Err(ResolveError::Invalid {
            findings: resolution.findings,
        }
        .into());
    }
    if !resolution.unrendered.is_empty() {
        return Err(RenderError::Unsupported(resolution.unrendered));
    }
    let generated = resolution
        .generated
        .into_iter()
        .chain(std::iter::repeat(None));
    Ok(Rendered {
        objects: resolution
            .resources
            .into_iter()
            .zip(generated)
            .map(|(value, generated)| RenderedObject {
                generated,
                ..RenderedObject::new(value)
            })
            .collect(),
    })
}
