//! Overlay image resolution: which workloads an overlay renders and which images they run, the way
//! `kustomize build` (v5.5) would render them, without the kustomize binary.
//!
//! Resources, bases and components are followed recursively; namespace, name prefix and suffix,
//! deleting and image-changing patches and the images transformer are applied. Other transformers
//! (labels, annotations, replicas, replacements, generators) are parsed and checked but not applied,
//! because they cannot change a container image.
//!
//! This module is the public API. Inside it: `resolution` (the result types), `worker`
//! ([`OverlayResolver`]'s thread), `memo` (record and replay of an image bump), `builder` (the
//! build of kustomizations, bases and components in kustomize's order), `load` (reading the files
//! a kustomization lists), `resource` (the resource model), `patches`, `plugins` (configurations
//! and plugin configurations), `generate`, `images` (the `images` step), `order` (the output
//! order), `shared` (values kustomize shares between fields, refused when they diverge),
//! `budget` (the per-run limits) and `options`.

use std::path::Path;

use builder::{Mode, validate_here_as};

use crate::model;
use crate::source::{FileSource, FsSource, ParseCache};

mod budget;
mod builder;
mod doc;
mod fieldspec;
mod fieldspecs;
mod finish;
mod generate;
mod images;
mod load;
mod memo;
mod options;
mod order;
mod patches;
mod plugins;
mod resolution;
mod resource;
mod shared;
mod transformers;
mod unsupported;
mod worker;

pub use budget::{MAX_BUILDS, MAX_EXPANDED_BYTES, MAX_NESTING, MAX_OBJECTS};
pub use load::is_remote;
pub use options::{LoadRestrictor, ResolveOptions};
pub use resolution::{Container, Resolution, ResolveError, Resolved, Unrendered, Workload};
pub use worker::OverlayResolver;

/// Resolves the workloads of `overlay`; any error finding makes it fail.
///
/// `root` is the repository root: no resource may live outside it.
pub fn resolve_overlay(root: &Path, overlay: &Path) -> Result<Resolution, ResolveError> {
    resolve_overlay_with(root, overlay, &ResolveOptions::default())
}

/// Like [`resolve_overlay`], with `options` (the load restrictor).
pub fn resolve_overlay_with(
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let resolution = validate_overlay_with(root, overlay, options)?;
    if resolution.is_valid() {
        Ok(resolution)
    } else {
        Err(ResolveError::Invalid {
            findings: resolution.findings,
        })
    }
}

/// Resolves and validates `overlay` (a directory, or its kustomization file) below repository root
/// `root`, collecting every finding.
///
/// Fails only when `root` or `overlay` cannot be opened; all problems inside the overlay are
/// findings. Finding paths are absolute (canonical).
pub fn validate_overlay(root: &Path, overlay: &Path) -> Result<Resolution, ResolveError> {
    validate_overlay_with(root, overlay, &ResolveOptions::default())
}

/// Like [`validate_overlay`], with `options` (the load restrictor).
pub fn validate_overlay_with(
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    validate_overlay_in_with(&FsSource, &ParseCache::new(), root, overlay, options)
}

/// Like [`validate_overlay`], reading every file through `source` (paths are absolute in the
/// source's terms) and parsing YAML through `cache`, which may be shared by many resolutions.
///
/// Runs on a new thread with a deep stack; for many resolutions in a row,
/// [`OverlayResolver`] keeps one such thread.
pub fn validate_overlay_in(
    source: &dyn FileSource,
    cache: &ParseCache,
    root: &Path,
    overlay: &Path,
) -> Result<Resolution, ResolveError> {
    validate_overlay_in_with(source, cache, root, overlay, &ResolveOptions::default())
}

/// Like [`validate_overlay_in`], with `options` (the load restrictor).
pub fn validate_overlay_in_with(
    source: &dyn FileSource,
    cache: &ParseCache,
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    on_parser_thread(source, cache, (root, overlay), options, Mode::ALL)
}

/// Like [`validate_overlay_with`], for callers that need only the workloads and findings
/// (`ferry-validate`): [`Resolution::resources`] is left empty, so that objects no patch or
/// transformer touches are never fully decoded (their files are skimmed: split into documents,
/// each one's `apiVersion`, `kind` and `metadata` read, the whole text checked). Workloads and
/// findings are those of [`validate_overlay_with`].
pub fn check_overlay_with(
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let mode = Mode {
        lazy: true,
        resources: false,
    };
    on_parser_thread(
        &FsSource,
        &ParseCache::new(),
        (root, overlay),
        options,
        mode,
    )
}

/// Resolves on a new thread with a deep stack (deeply nested resource files need one while
/// they are parsed).
fn on_parser_thread(
    source: &dyn FileSource,
    cache: &ParseCache,
    (root, overlay): (&Path, &Path),
    options: &ResolveOptions,
    mode: Mode,
) -> Result<Resolution, ResolveError> {
    let io = |source| ResolveError::Io {
        path: overlay.to_path_buf(),
        source,
    };
    with_parser_stack(|| validate_here_as(source, cache, (root, overlay), options, false, mode).0)
        .map_err(io)?
}

/// Runs `work` on a new thread with the deep stack the YAML parser needs (deeply nested
/// resource files), and waits for it.
pub(crate) fn with_parser_stack<T: Send>(work: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("ferry-kustomize".into())
            .stack_size(model::PARSER_STACK_BYTES)
            .spawn_scoped(s, work)?;
        Ok(handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// [`validate_overlay_in_with`] on the calling thread, which must have the parser's deep stack
/// ([`with_parser_stack`]).
pub(crate) fn validate_on_this_thread(
    source: &dyn FileSource,
    cache: &ParseCache,
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    validate_here_as(source, cache, (root, overlay), options, false, Mode::ALL).0
}
