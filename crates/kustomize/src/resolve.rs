//! Overlay image resolution: which workloads an overlay renders and which images they run, the way
//! `kustomize build` (v5.5) would render them, without the kustomize binary.
//!
//! Resources, bases and components are followed recursively; namespace, name prefix and suffix,
//! deleting and image-changing patches and the images transformer are applied. Other transformers
//! (labels, annotations, replicas, replacements, generators) are parsed and checked but not applied,
//! because they cannot change a container image.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::images::ImageEntry;
use crate::model::{
    self, COMPONENT_API_VERSION, KUSTOMIZATION_API_VERSION, KUSTOMIZATION_FILE_NAMES,
    Kustomization, Patch, Selector, Spanned,
};
use crate::source::{FileSource, FsSource, ParseCache};
use crate::transform;
use crate::validate::{self, Finding, Severity};

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

/// Resolves the workloads of `overlay`; any error finding makes it fail.
///
/// `root` is the repository root: no resource may live outside it.
pub fn resolve_overlay(root: &Path, overlay: &Path) -> Result<Resolution, ResolveError> {
    let resolution = validate_overlay(root, overlay)?;
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
    validate_overlay_in(&FsSource, &ParseCache::new(), root, overlay)
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
    // Deeply nested resource files need a deep stack while they are parsed.
    let io = |source| ResolveError::Io {
        path: overlay.to_path_buf(),
        source,
    };
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("ferry-kustomize".into())
            .stack_size(model::PARSER_STACK_BYTES)
            .spawn_scoped(s, || validate_here(source, cache, root, overlay))
            .map_err(io)?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// A source with the paths to resolve in it, sent to an [`OverlayResolver`].
type Job = (Box<dyn FileSource + Send>, PathBuf, PathBuf);

/// What a job of an [`OverlayResolver`] gave: its result, or the panic it raised.
type Outcome = std::thread::Result<Result<Resolution, ResolveError>>;

/// Resolves many overlays in a row on one thread with a deep stack (the YAML parser needs it),
/// sharing a [`ParseCache`]: cheaper than [`validate_overlay_in`]'s thread per resolution.
#[derive(Debug)]
pub struct OverlayResolver {
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    outcomes: std::sync::mpsc::Receiver<Outcome>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl OverlayResolver {
    /// Starts the resolver thread.
    pub fn new() -> std::io::Result<Self> {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let (outbox, outcomes) = std::sync::mpsc::channel::<Outcome>();
        let worker = std::thread::Builder::new()
            .name("ferry-kustomize".into())
            .stack_size(model::PARSER_STACK_BYTES)
            .spawn(move || {
                let cache = ParseCache::new();
                for (source, root, overlay) in inbox {
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        validate_here(source.as_ref(), &cache, &root, &overlay)
                    }));
                    if outbox.send(outcome).is_err() {
                        break;
                    }
                }
            })?;
        Ok(OverlayResolver {
            jobs: Some(jobs),
            outcomes,
            worker: Some(worker),
        })
    }

    /// Like [`validate_overlay_in`], on the resolver's thread and cache.
    pub fn validate(
        &mut self,
        source: Box<dyn FileSource + Send>,
        root: &Path,
        overlay: &Path,
    ) -> Result<Resolution, ResolveError> {
        let gone = || ResolveError::Io {
            path: overlay.to_path_buf(),
            source: std::io::Error::other("the resolver thread is gone"),
        };
        let jobs = self.jobs.as_ref().ok_or_else(gone)?;
        jobs.send((source, root.to_path_buf(), overlay.to_path_buf()))
            .map_err(|_| gone())?;
        match self.outcomes.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(gone()),
        }
    }
}

impl Drop for OverlayResolver {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Resolves on the current thread, which must have [`model::PARSER_STACK_BYTES`] of stack.
fn validate_here(
    source: &dyn FileSource,
    cache: &ParseCache,
    root: &Path,
    overlay: &Path,
) -> Result<Resolution, ResolveError> {
    let canon = |p: &Path| {
        source.canonicalize(p).map_err(|source| ResolveError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let root = canon(root)?;
    let mut dir = canon(overlay)?;
    // A kustomization file names its directory.
    if source.is_file(&dir)
        && let Some(parent) = dir.parent()
        && dir
            .file_name()
            .is_some_and(|n| KUSTOMIZATION_FILE_NAMES.iter().any(|k| n == *k))
    {
        dir = parent.to_path_buf();
    }
    let shown = overlay.display().to_string();
    let mut b = Builder {
        src: source,
        cache,
        root,
        findings: Vec::new(),
        stack: Vec::new(),
    };
    let origin = Origin {
        file: dir.clone(),
        line: 0,
        column: 0,
    };
    let resources = if b.inside_root(&dir, &origin, &shown) {
        b.build_dir(&dir, Expect::Kustomization, &origin)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let workloads = resources.iter().filter_map(Res::workload).collect();
    Ok(Resolution {
        workloads,
        findings: b.findings,
        resources: resources.into_iter().map(|r| r.doc).collect(),
    })
}

/// Where a problem was found.
#[derive(Debug, Clone)]
struct Origin {
    file: PathBuf,
    line: u64,
    column: u64,
}

impl Origin {
    fn at<T>(file: &Path, s: &Spanned<T>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: s.referenced.line(),
            column: s.referenced.column(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PluginRole {
    Generator,
    Transformer,
    Validator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Kustomization,
    Component,
}

/// A resource being built, with the ids (namespace, name) it had before renames.
#[derive(Debug, Clone)]
struct Res {
    doc: Value,
    history: Vec<(String, String)>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Kinds that have no namespace (kustomize's built-in list of cluster-scoped kinds).
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "FlowSchema",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

impl Res {
    fn new(doc: Value) -> Self {
        let mut r = Self {
            doc,
            history: Vec::new(),
        };
        r.history.push(r.id());
        r
    }
    fn kind(&self) -> &str {
        str_at(&self.doc, &["kind"])
    }
    fn api_version(&self) -> &str {
        str_at(&self.doc, &["apiVersion"])
    }
    fn group(&self) -> &str {
        group_of(self.api_version())
    }
    fn name(&self) -> &str {
        str_at(&self.doc, &["metadata", "name"])
    }
    fn namespace(&self) -> &str {
        str_at(&self.doc, &["metadata", "namespace"])
    }
    fn id(&self) -> (String, String) {
        (
            norm_ns(self.namespace()).to_string(),
            self.name().to_string(),
        )
    }
    fn cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.contains(&self.kind())
    }
    fn describe(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }
    fn set_meta(&mut self, key: &str, value: &str) {
        if !self.doc.get("metadata").is_some_and(Value::is_object) {
            self.doc["metadata"] = Value::Object(Default::default());
        }
        self.doc["metadata"][key] = Value::String(value.to_string());
        let id = self.id();
        if !self.history.contains(&id) {
            self.history.push(id);
        }
    }
    fn set_meta_entry(&mut self, map: &str, key: &str, value: &str) {
        if !self.doc.get("metadata").is_some_and(Value::is_object) {
            self.doc["metadata"] = Value::Object(Default::default());
        }
        let meta = &mut self.doc["metadata"];
        if !meta.get(map).is_some_and(Value::is_object) {
            meta[map] = Value::Object(Default::default());
        }
        meta[map][key] = Value::String(value.to_string());
    }
    fn matches_id(&self, kind: &str, group: &str, name: &str, namespace: &str) -> bool {
        self.kind() == kind
            && (group.is_empty() || self.group() == group)
            && self
                .history
                .iter()
                .any(|(ns, n)| n == name && ns == norm_ns(namespace))
    }
    fn workload(&self) -> Option<Workload> {
        if self.kind() == "CustomResourceDefinition" {
            return None;
        }
        let containers = transform::containers_of(&self.doc);
        if containers.is_empty() {
            return None;
        }
        let ns = self.namespace();
        Some(Workload {
            api_version: self.api_version().to_string(),
            kind: self.kind().to_string(),
            namespace: (!ns.is_empty()).then(|| ns.to_string()),
            name: self.name().to_string(),
            containers: containers
                .into_iter()
                .map(|(name, image, init)| Container { name, image, init })
                .collect(),
        })
    }
}

fn norm_ns(ns: &str) -> &str {
    if ns == "default" { "" } else { ns }
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// Whether a resource entry names a remote location (git URL, HTTP URL).
pub fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| entry.starts_with(h))
}

struct Builder<'a> {
    src: &'a dyn FileSource,
    cache: &'a ParseCache,
    root: PathBuf,
    findings: Vec<Finding>,
    stack: Vec<PathBuf>,
}

impl Builder<'_> {
    fn push(&mut self, severity: Severity, at: &Origin, message: String) {
        self.findings.push(Finding {
            severity,
            file: at.file.clone(),
            line: at.line,
            column: at.column,
            message,
        });
    }

    fn error(&mut self, at: &Origin, message: String) {
        self.push(Severity::Error, at, message);
    }

    fn inside_root(&mut self, canonical: &Path, at: &Origin, entry: &str) -> bool {
        if canonical.starts_with(&self.root) {
            return true;
        }
        self.error(
            at,
            format!(
                "`{entry}` resolves to {}, outside the repository root {} (through `..` or a \
                 symlink); keep every file of the overlay inside the repository",
                canonical.display(),
                self.root.display()
            ),
        );
        false
    }

    /// Resolves a local path entry relative to `dir`; reports a missing or escaping path.
    fn local_path(&mut self, dir: &Path, at: &Origin, entry: &str, what: &str) -> Option<PathBuf> {
        if is_remote(entry) {
            self.error(
                at,
                format!(
                    "remote resources are not supported: `{entry}`; vendor the files into the \
                     repository and list their local path"
                ),
            );
            return None;
        }
        let joined = dir.join(entry);
        if !self.src.exists_no_follow(&joined) {
            self.error(
                at,
                format!("{what} `{entry}` not found: check the path or remove the entry"),
            );
            return None;
        }
        match self.src.canonicalize(&joined) {
            Ok(p) => self.inside_root(&p, at, entry).then_some(p),
            Err(e) => {
                self.error(at, format!("{what} `{entry}` cannot be opened: {e}"));
                None
            }
        }
    }

    fn load(&mut self, dir: &Path, at: &Origin) -> Option<(PathBuf, Arc<Kustomization>)> {
        let found: Vec<PathBuf> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| self.src.is_file(p))
            .collect();
        let file = match found.as_slice() {
            [] => {
                self.error(
                    at,
                    format!(
                        "{} has no kustomization.yaml; add one or list the resource files \
                         instead of the directory",
                        dir.display()
                    ),
                );
                return None;
            }
            [one] => one.clone(),
            [first, ..] => {
                self.error(
                    &Origin {
                        file: first.clone(),
                        line: 0,
                        column: 0,
                    },
                    format!(
                        "{} holds more than one kustomization file; keep only kustomization.yaml",
                        dir.display()
                    ),
                );
                return None;
            }
        };
        let text = match self.read_text(&file) {
            Ok(t) => t,
            Err(e) => {
                self.error(
                    &Origin {
                        file,
                        line: 0,
                        column: 0,
                    },
                    e,
                );
                return None;
            }
        };
        match self.cache.kustomization(&text) {
            Ok(k) => Some((file, k)),
            Err(e) => {
                let hint = yaml_hint(&e.message);
                self.error(
                    &Origin {
                        file,
                        line: e.line,
                        column: e.column,
                    },
                    format!("{}{hint}", e.message),
                );
                None
            }
        }
    }

    /// Builds a kustomization directory on its own (a resource or base).
    fn build_dir(&mut self, dir: &Path, expect: Expect, at: &Origin) -> Option<Vec<Res>> {
        if let Some(pos) = self.stack.iter().position(|d| d == dir) {
            let chain: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&dir.to_path_buf()))
                .map(|d| self.display(d))
                .collect();
            self.error(
                at,
                format!(
                    "cycle: {}; remove one of these references",
                    chain.join(" -> ")
                ),
            );
            return None;
        }
        let (file, k) = self.load(dir, at)?;
        if !self.check_kind(&file, &k, expect, at) {
            return None;
        }
        self.stack.push(dir.to_path_buf());
        let out = self.accumulate(dir, &file, &k, Vec::new());
        self.stack.pop();
        Some(out)
    }

    fn read_text(&self, path: &Path) -> Result<String, String> {
        let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
        let len = self.src.file_size(path).map_err(cannot)?;
        if len > model::MAX_YAML_BYTES as u64 {
            return Err(format!(
                "{} is {len} bytes, larger than the {} byte limit; split it into smaller files",
                path.display(),
                model::MAX_YAML_BYTES
            ));
        }
        let bytes = self.src.read(path).map_err(cannot)?;
        String::from_utf8(bytes).map_err(|_| {
            cannot(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })
    }

    fn display(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
    }

    fn check_kind(&mut self, file: &Path, k: &Kustomization, expect: Expect, at: &Origin) -> bool {
        let kind = k
            .kind
            .as_ref()
            .map_or("Kustomization", |s| s.value.as_str());
        let here = |s: &Option<Spanned<String>>| {
            s.as_ref().map_or(
                Origin {
                    file: file.to_path_buf(),
                    line: 1,
                    column: 1,
                },
                |s| Origin::at(file, s),
            )
        };
        match kind {
            "Kustomization" | "Component" => {}
            other => {
                self.error(
                    &here(&k.kind),
                    format!("unknown kind `{other}`; use `Kustomization` or `Component`"),
                );
                return false;
            }
        }
        if let Some(api) = &k.api_version {
            let want = if kind == "Component" {
                COMPONENT_API_VERSION
            } else {
                KUSTOMIZATION_API_VERSION
            };
            if api.value != want {
                self.error(
                    &Origin::at(file, api),
                    format!(
                        "apiVersion `{}` does not fit kind `{kind}`; use `{want}`",
                        api.value
                    ),
                );
            }
        }
        match (expect, kind) {
            (Expect::Kustomization, "Component") => {
                self.error(
                    at,
                    format!(
                        "{} is a Component, used here as a resource; list it under `components:`",
                        self.display(file.parent().unwrap_or(file))
                    ),
                );
                false
            }
            (Expect::Component, "Kustomization") => {
                self.error(
                    at,
                    format!(
                        "{} is a Kustomization, used here as a component; list it under \
                         `resources:` or make it `kind: Component`",
                        self.display(file.parent().unwrap_or(file))
                    ),
                );
                false
            }
            _ => true,
        }
    }

    fn add(&mut self, acc: &mut Vec<Res>, new: Vec<Res>, at: &Origin) {
        for r in new {
            let key = |x: &Res| (x.group().to_string(), x.kind().to_string(), x.id());
            let k = key(&r);
            if acc.iter().any(|x| key(x) == k) {
                self.error(
                    at,
                    format!(
                        "{} is included twice (kustomize refuses an already registered id); \
                         remove one of the entries that bring it in",
                        r.describe()
                    ),
                );
                continue;
            }
            acc.push(r);
        }
    }

    /// Runs one kustomization (or component) over `acc` and returns the new accumulation.
    fn accumulate(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
        mut acc: Vec<Res>,
    ) -> Vec<Res> {
        validate::check_fields(file, k, &mut self.findings);

        let bases = k
            .bases
            .as_ref()
            .map(|b| b.value.as_slice())
            .unwrap_or_default();
        for entry in k.resources.iter().flatten().chain(bases) {
            let at = Origin::at(file, entry);
            let Some(path) = self.local_path(dir, &at, &entry.value, "resource") else {
                continue;
            };
            let new = if self.src.is_dir(&path) {
                self.build_dir(&path, Expect::Kustomization, &at)
                    .unwrap_or_default()
            } else {
                self.read_resources(&path, &at)
            };
            self.add(&mut acc, new, &at);
        }
        for entry in k.crds.iter().flatten() {
            let at = Origin::at(file, entry);
            self.local_path(dir, &at, &entry.value, "CRD file");
        }
        self.check_generators(dir, file, k);
        for entry in k.components.iter().flatten() {
            let at = Origin::at(file, entry);
            let Some(cdir) = self.local_path(dir, &at, &entry.value, "component") else {
                continue;
            };
            if !self.src.is_dir(&cdir) {
                self.error(
                    &at,
                    format!(
                        "component `{}` is a file; a component is a directory with a \
                         kustomization.yaml of `kind: Component`",
                        entry.value
                    ),
                );
                continue;
            }
            if self.stack.contains(&cdir) {
                self.build_dir(&cdir, Expect::Component, &at);
                continue;
            }
            let Some((cfile, ck)) = self.load(&cdir, &at) else {
                continue;
            };
            if !self.check_kind(&cfile, &ck, Expect::Component, &at) {
                continue;
            }
            self.stack.push(cdir.clone());
            acc = self.accumulate(&cdir, &cfile, &ck, acc);
            self.stack.pop();
        }
        let mut image_paths: Vec<(Option<String>, String)> = Vec::new();
        for entry in k.configurations.iter().flatten() {
            let at = Origin::at(file, entry);
            if let Some(path) = self.local_path(dir, &at, &entry.value, "configuration file") {
                image_paths.extend(self.image_field_specs(&path, &at));
            }
        }
        let mut plugin_images = Vec::new();
        for (list, role) in [
            (&k.generators, PluginRole::Generator),
            (&k.transformers, PluginRole::Transformer),
            (&k.validators, PluginRole::Validator),
        ] {
            for entry in list.iter().flatten() {
                plugin_images.extend(self.plugin_config(dir, file, entry, role));
            }
        }
        for r in k.replacements.iter().flatten() {
            let at = Origin::at(file, r);
            let targets = match &r.value.path {
                Some(p) => match self.local_path(dir, &at, p, "replacements file") {
                    Some(path) => self.read_text(&path).unwrap_or_default(),
                    None => continue,
                },
                None => serde_json::to_string(&r.value.targets).unwrap_or_default(),
            };
            if targets.contains("image") {
                self.push(
                    Severity::Warning,
                    &at,
                    "this replacement writes an image field, which Ferry does not apply: the \
                     listed images may differ from what kustomize renders; prefer an `images` \
                     entry"
                        .into(),
                );
            }
        }
        let charts = k.helm_charts.as_ref().is_some_and(|c| !c.is_empty())
            || k.helm_chart_inflation_generator
                .as_ref()
                .is_some_and(|c| !c.is_empty());
        if charts {
            let at = Origin {
                file: file.to_path_buf(),
                line: 0,
                column: 0,
            };
            self.push(
                Severity::Warning,
                &at,
                "Ferry does not inflate Helm charts: workloads from `helmCharts` are not listed"
                    .into(),
            );
        }

        // Transformers, in kustomize's built-in order.
        if let Some(list) = &k.patches_strategic_merge {
            for entry in &list.value {
                let at = Origin::at(file, entry);
                let Some((origin, text)) = self.patch_text(dir, &at, &entry.value) else {
                    continue;
                };
                self.apply_smp_text(&mut acc, &origin, &text, None, &at);
            }
        }
        for p in k.patches.iter().flatten() {
            self.apply_patch(dir, file, p, &mut acc, false);
        }
        if let Some(ns) = &k.namespace {
            for r in &mut acc {
                if r.kind() == "Namespace" {
                    // kustomize renames Namespace objects to the target namespace.
                    r.set_meta("name", &ns.value);
                } else if !r.cluster_scoped() {
                    r.set_meta("namespace", &ns.value);
                }
            }
        }
        let prefix = k.name_prefix.as_ref().map_or("", |s| s.value.as_str());
        let suffix = k.name_suffix.as_ref().map_or("", |s| s.value.as_str());
        if !prefix.is_empty() || !suffix.is_empty() {
            for r in acc
                .iter_mut()
                .filter(|r| !matches!(r.kind(), "CustomResourceDefinition" | "Namespace"))
            {
                let name = format!("{prefix}{}{suffix}", r.name());
                r.set_meta("name", &name);
            }
        }
        // Labels and annotations on metadata only: later patch targets select by them.
        let labels = k
            .common_labels
            .iter()
            .flat_map(|l| l.value.iter())
            .chain(k.labels.iter().flatten().flat_map(|l| l.pairs.iter()));
        for (key, value) in labels {
            acc.iter_mut()
                .for_each(|r| r.set_meta_entry("labels", key, value));
        }
        for (key, value) in k.common_annotations.iter().flatten() {
            acc.iter_mut()
                .for_each(|r| r.set_meta_entry("annotations", key, value));
        }
        if let Some(list) = &k.patches_json6902 {
            for p in &list.value {
                self.apply_patch(dir, file, p, &mut acc, true);
            }
        }
        for entry in k.images.iter().flatten() {
            let Ok(matcher) = self.cache.image_matcher(&entry.value.name) else {
                continue; // reported by validate::check_fields
            };
            for r in &mut acc {
                let paths: Vec<&str> = image_paths
                    .iter()
                    .filter(|(kind, _)| kind.as_deref().is_none_or(|k| k == r.kind()))
                    .map(|(_, p)| p.as_str())
                    .collect();
                transform::apply_image_entry(&mut r.doc, &entry.value, &matcher, true, &paths);
            }
        }
        // `transformers:` run after the built-in ones.
        for (entry, paths) in &plugin_images {
            let Ok(matcher) = self.cache.image_matcher(&entry.name) else {
                continue;
            };
            let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
            for r in &mut acc {
                transform::apply_image_entry(&mut r.doc, entry, &matcher, true, &paths);
            }
        }
        acc
    }

    /// Checks a generator, transformer or validator configuration (a file or inline YAML).
    /// Returns the images entries of `ImageTagTransformer` configurations, with their field
    /// specs; warns about configurations Ferry does not run that can change workloads.
    fn plugin_config(
        &mut self,
        dir: &Path,
        file: &Path,
        entry: &Spanned<String>,
        role: PluginRole,
    ) -> Vec<(ImageEntry, Vec<String>)> {
        let at = Origin::at(file, entry);
        let text = if entry.value.contains('\n') {
            entry.value.clone()
        } else {
            let Some(path) = self.local_path(dir, &at, &entry.value, "plugin configuration") else {
                return Vec::new();
            };
            if self.src.is_dir(&path) {
                self.push(
                    Severity::Warning,
                    &at,
                    "Ferry does not build plugin configuration directories: workloads or images \
                     they produce are not reflected"
                        .into(),
                );
                return Vec::new();
            }
            match self.read_text(&path) {
                Ok(t) => t,
                Err(e) => {
                    self.error(&at, e);
                    return Vec::new();
                }
            }
        };
        let Some(docs) = self.parse_patch(&at, &text) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for doc in docs.iter() {
            let kind = str_at(doc, &["kind"]).to_string();
            match (role, kind.as_str()) {
                (PluginRole::Transformer, "ImageTagTransformer") => {
                    match serde_json::from_value::<ImageEntry>(doc["imageTag"].clone()) {
                        Ok(e) => {
                            let paths = doc["fieldSpecs"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|f| f["path"].as_str().map(String::from))
                                .collect();
                            out.push((e, paths));
                        }
                        Err(err) => self.error(
                            &at,
                            format!("ImageTagTransformer `imageTag` is invalid: {err}"),
                        ),
                    }
                }
                (PluginRole::Validator, _)
                | (PluginRole::Generator, "ConfigMapGenerator" | "SecretGenerator")
                | (
                    PluginRole::Transformer,
                    "LabelTransformer"
                    | "AnnotationsTransformer"
                    | "ReplicaCountTransformer"
                    | "HashTransformer"
                    | "SortOrderTransformer",
                ) => {}
                _ => self.push(
                    Severity::Warning,
                    &at,
                    format!(
                        "Ferry does not run `{kind}` configurations: workloads or images they \
                         change are not reflected"
                    ),
                ),
            }
        }
        out
    }

    fn check_generators(&mut self, dir: &Path, file: &Path, k: &Kustomization) {
        for g in k
            .config_map_generator
            .iter()
            .flatten()
            .chain(k.secret_generator.iter().flatten())
        {
            let at = Origin::at(file, g);
            let files = g.value.files.iter().flatten().map(|f| {
                f.split_once('=')
                    .map_or(f.as_str(), |(_, path)| path)
                    .to_string()
            });
            let envs = g.value.envs.iter().flatten().chain(&g.value.env).cloned();
            for path in files.chain(envs).collect::<Vec<_>>() {
                self.local_path(dir, &at, &path, "generator file");
            }
            if g.value.name.as_deref().unwrap_or_default().is_empty() {
                self.error(&at, "generator without `name`; give it a name".into());
            }
        }
    }

    /// The `images` field specs of a transformer configuration file: `(kind, path)`.
    fn image_field_specs(&mut self, path: &Path, at: &Origin) -> Vec<(Option<String>, String)> {
        let docs = match self.read_text(path).and_then(|t| {
            self.cache
                .resource_documents(&t)
                .map_err(|e| format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message))
        }) {
            Ok(d) => d,
            Err(e) => {
                self.error(at, e);
                return Vec::new();
            }
        };
        docs.iter()
            .filter_map(|d| d.get("images").and_then(Value::as_array))
            .flatten()
            .filter_map(|spec| {
                let p = spec.get("path")?.as_str()?.to_string();
                let kind = spec.get("kind").and_then(Value::as_str).map(String::from);
                Some((kind, p))
            })
            .collect()
    }

    fn read_resources(&mut self, path: &Path, at: &Origin) -> Vec<Res> {
        let text = match self.read_text(path) {
            Ok(t) => t,
            Err(e) => {
                self.error(at, e);
                return Vec::new();
            }
        };
        let docs = match self.cache.resource_documents(&text) {
            Ok(d) => d,
            Err(e) => {
                let hint = yaml_hint(&e.message);
                self.error(
                    &Origin {
                        file: path.to_path_buf(),
                        line: e.line,
                        column: e.column,
                    },
                    format!("{}{hint}", e.message),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for doc in docs.iter() {
            let items = if doc.get("kind").and_then(Value::as_str) == Some("List")
                || str_at(doc, &["kind"]).ends_with("List") && doc.get("items").is_some()
            {
                doc.get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            } else {
                vec![doc.clone()]
            };
            for item in items {
                let here = Origin {
                    file: path.to_path_buf(),
                    line: 0,
                    column: 0,
                };
                if !item.is_object() {
                    self.error(&here, "a resource document must be a mapping".into());
                    continue;
                }
                let r = Res::new(item);
                if r.kind().is_empty() || r.name().is_empty() {
                    self.error(
                        &here,
                        format!(
                            "a resource without `kind` or `metadata.name` ({}); every object \
                             needs both",
                            r.describe()
                        ),
                    );
                    continue;
                }
                out.push(r);
            }
        }
        out
    }

    /// The text of a patch entry that is a file path or inline YAML, with the file it came from.
    fn patch_text(&mut self, dir: &Path, at: &Origin, entry: &str) -> Option<(Origin, String)> {
        if entry.contains('\n') {
            return Some((at.clone(), entry.to_string()));
        }
        let path = self.local_path(dir, at, entry, "patch file")?;
        match self.read_text(&path) {
            Ok(t) => Some((
                Origin {
                    file: path,
                    line: 0,
                    column: 0,
                },
                t,
            )),
            Err(e) => {
                self.error(at, e);
                None
            }
        }
    }

    fn parse_patch(&mut self, origin: &Origin, text: &str) -> Option<Arc<Vec<Value>>> {
        match self.cache.resource_documents(text) {
            Ok(d) => Some(d),
            Err(e) => {
                // Inline patches: offset the position by the entry's own.
                let (line, column) = if origin.line > 0 {
                    (origin.line + e.line.saturating_sub(1), origin.column)
                } else {
                    (e.line, e.column)
                };
                self.error(
                    &Origin {
                        file: origin.file.clone(),
                        line,
                        column,
                    },
                    format!("patch is not valid YAML: {}", e.message),
                );
                None
            }
        }
    }

    /// Applies strategic-merge patch documents; `targets` overrides each patch's own id.
    fn apply_smp_text(
        &mut self,
        acc: &mut Vec<Res>,
        origin: &Origin,
        text: &str,
        targets: Option<&[usize]>,
        at: &Origin,
    ) {
        let Some(docs) = self.parse_patch(origin, text) else {
            return;
        };
        for patch in docs.iter() {
            let selected: Vec<usize> = match targets {
                Some(t) => t.to_vec(),
                None => {
                    let kind = str_at(patch, &["kind"]);
                    let name = str_at(patch, &["metadata", "name"]);
                    let ns = str_at(patch, &["metadata", "namespace"]);
                    let group = group_of(str_at(patch, &["apiVersion"]));
                    if kind.is_empty() || name.is_empty() {
                        self.error(
                            origin,
                            "a strategic-merge patch needs `kind` and `metadata.name` (or give \
                             the patch a `target`)"
                                .into(),
                        );
                        continue;
                    }
                    let found: Vec<usize> = acc
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.matches_id(kind, group, name, ns))
                        .map(|(i, _)| i)
                        .collect();
                    if found.is_empty() {
                        self.error(
                            at,
                            format!(
                                "patch target {kind}/{name} not found among the resources; fix \
                                 the patch's kind/name or remove the patch"
                            ),
                        );
                        continue;
                    }
                    found
                }
            };
            if patch.get("$patch").and_then(Value::as_str) == Some("delete") {
                let mut i = 0;
                acc.retain(|_| {
                    let keep = !selected.contains(&i);
                    i += 1;
                    keep
                });
                continue;
            }
            for &i in &selected {
                let mut patch = patch.clone();
                if let Some(meta) = patch.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.shift_remove("name");
                    meta.shift_remove("namespace");
                }
                transform::strategic_merge(&mut acc[i].doc, &patch);
            }
        }
    }

    fn select(&mut self, acc: &[Res], sel: &Selector, at: &Origin) -> Option<Vec<usize>> {
        let regex = |p: &Option<String>, this: &mut Self| -> Option<Option<regex::Regex>> {
            match p {
                None => Some(None),
                Some(p) => match this.cache.whole_match_regex(p) {
                    Ok(r) => Some(Some(r)),
                    Err(e) => {
                        this.error(
                            at,
                            format!("target pattern `{p}` is not a valid regular expression: {e}"),
                        );
                        None
                    }
                },
            }
        };
        let name = regex(&sel.name, self)?;
        let namespace = regex(&sel.namespace, self)?;
        let labels = |r: &Res, key: &str, selector: &Option<String>| {
            selector.as_deref().is_none_or(|s| {
                s.split(',').filter(|c| !c.trim().is_empty()).all(|c| {
                    let meta = r.doc.get("metadata").and_then(|m| m.get(key));
                    match c.split_once("!=") {
                        Some((k, v)) => {
                            meta.and_then(|m| m.get(k.trim())).and_then(Value::as_str)
                                != Some(v.trim())
                        }
                        None => match c.split_once('=') {
                            Some((k, v)) => {
                                meta.and_then(|m| m.get(k.trim().trim_end_matches('=')))
                                    .and_then(Value::as_str)
                                    == Some(v.trim())
                            }
                            None => meta.and_then(|m| m.get(c.trim())).is_some(),
                        },
                    }
                })
            })
        };
        Some(
            acc.iter()
                .enumerate()
                .filter(|(_, r)| {
                    let version = r.api_version().rsplit('/').next().unwrap_or_default();
                    sel.kind.as_deref().is_none_or(|k| k == r.kind())
                        && sel.group.as_deref().is_none_or(|g| g == r.group())
                        && sel.version.as_deref().is_none_or(|v| v == version)
                        && name.as_ref().is_none_or(|re| {
                            re.is_match(r.name()) || r.history.iter().any(|(_, n)| re.is_match(n))
                        })
                        && namespace.as_ref().is_none_or(|re| {
                            re.is_match(r.namespace())
                                || r.history.iter().any(|(ns, _)| re.is_match(ns))
                        })
                        && labels(r, "labels", &sel.label_selector)
                        && labels(r, "annotations", &sel.annotation_selector)
                })
                .map(|(i, _)| i)
                .collect(),
        )
    }

    fn apply_patch(
        &mut self,
        dir: &Path,
        file: &Path,
        p: &Spanned<Patch>,
        acc: &mut Vec<Res>,
        legacy_json6902: bool,
    ) {
        let at = Origin::at(file, p);
        let (origin, text) = match (&p.value.path, &p.value.patch) {
            (Some(_), Some(_)) => {
                self.error(&at, "a patch has both `path` and `patch`; keep one".into());
                return;
            }
            (None, None) => {
                self.error(&at, "a patch needs `path` or `patch`".into());
                return;
            }
            (Some(path), None) => {
                let Some(full) = self.local_path(dir, &at, path, "patch file") else {
                    return;
                };
                match self.read_text(&full) {
                    Ok(t) => (
                        Origin {
                            file: full,
                            line: 0,
                            column: 0,
                        },
                        t,
                    ),
                    Err(e) => {
                        self.error(&at, e);
                        return;
                    }
                }
            }
            (None, Some(inline)) => (at.clone(), inline.clone()),
        };
        let targets = match &p.value.target {
            Some(sel) => match self.select(acc, sel, &at) {
                Some(t) => Some(t),
                None => return,
            },
            None if legacy_json6902 => {
                self.error(&at, "a `patchesJson6902` entry needs a `target`".into());
                return;
            }
            None => None,
        };
        let Some(docs) = self.parse_patch(&origin, &text) else {
            return;
        };
        let is_json6902 = legacy_json6902 || matches!(docs.as_slice(), [Value::Array(_)]);
        if !is_json6902 {
            self.apply_smp_text(acc, &origin, &text, targets.as_deref(), &at);
            return;
        }
        let Some(targets) = targets else {
            self.error(&at, "a JSON 6902 patch needs a `target`; add one".into());
            return;
        };
        let ops = match docs.as_slice() {
            [Value::Array(ops)] => ops.clone(),
            _ => {
                self.error(
                    &origin,
                    "a JSON 6902 patch must be a list of operations".into(),
                );
                return;
            }
        };
        let mut seen = HashSet::new();
        for i in targets {
            if let Err(e) = transform::apply_json6902(&mut acc[i].doc, &ops)
                && seen.insert(e.to_string())
            {
                let what = acc[i].describe();
                self.error(
                    &at,
                    format!("JSON 6902 patch on {what} fails: {e}; fix the operation's path"),
                );
            }
        }
    }
}

fn yaml_hint(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("tab") {
        "; indent with spaces, not tabs"
    } else if m.contains("duplicate") {
        "; remove the repeated key"
    } else if m.contains("unknown field") && !m.contains("did you mean") {
        "; remove the field or fix its spelling"
    } else if m.contains("must be quoted") {
        "; quote it so it stays a string (e.g. `newTag: \"1.10\"`)"
    } else if m.contains("invalid type") {
        "; quote values that must be strings (e.g. `newTag: \"1.10\"`)"
    } else {
        ""
    }
}
