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
use crate::source::{FileKind, FileSource, FsSource, ParseCache};
use crate::transform;
use crate::validate::{self, Finding, Severity};

mod budget;
mod generate;
mod options;
mod order;

use budget::RunBudget;
pub use budget::{MAX_BUILDS, MAX_EXPANDED_BYTES, MAX_NESTING, MAX_OBJECTS};
pub use options::{LoadRestrictor, ResolveOptions};

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
    // Deeply nested resource files need a deep stack while they are parsed.
    let io = |source| ResolveError::Io {
        path: overlay.to_path_buf(),
        source,
    };
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("ferry-kustomize".into())
            .stack_size(model::PARSER_STACK_BYTES)
            .spawn_scoped(s, || {
                validate_here(source, cache, root, overlay, options, false).0
            })
            .map_err(io)?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// A source with the paths to resolve in it, sent to an [`OverlayResolver`].
type Job = (Box<dyn FileSource + Send>, PathBuf, PathBuf);

/// What a resolution gives: the result an [`OverlayResolver`] summarises.
pub type Resolved = Result<Resolution, ResolveError>;

/// How an [`OverlayResolver`] turns a resolution into what it hands back.
type Summary<T> = Arc<dyn Fn(Resolved) -> T + Send + Sync>;

/// Resolves many overlays in a row on one thread with a deep stack (the YAML parser needs it),
/// sharing a [`ParseCache`]: cheaper than [`validate_overlay_in`]'s thread per resolution.
///
/// It remembers the last resolution of each overlay: when the next source answers every
/// question the resolver asks as the previous one did, except that the overlay's own
/// kustomization file differs only in image values (an image bump), only the overlay's
/// `images` step runs again, on the resources it had before that step. The result is the same
/// as a full resolution.
///
/// `T` is what each job hands back: the [`Resolved`] itself ([`OverlayResolver::new`]), or a
/// summary computed on the resolver thread ([`OverlayResolver::with_summary`]), so that a
/// caller that keeps little of a resolution neither waits for it to be summarised nor frees
/// its many allocations on another thread.
///
/// Dropping it closes the job queue: the thread frees its caches and ends on its own, without
/// holding up the caller (nothing it does after the last result is observable).
pub struct OverlayResolver<T = Resolved> {
    jobs: std::sync::mpsc::Sender<Job>,
    outcomes: std::sync::mpsc::Receiver<std::thread::Result<T>>,
    /// The overlays submitted whose results were not taken yet, oldest first.
    pending: std::collections::VecDeque<PathBuf>,
    summary: Summary<T>,
}

impl<T> std::fmt::Debug for OverlayResolver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OverlayResolver")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl OverlayResolver {
    /// Starts the resolver thread; each job hands back its whole result.
    pub fn new() -> std::io::Result<Self> {
        OverlayResolver::with_summary(|resolved| resolved)
    }
}

impl<T: Send + 'static> OverlayResolver<T> {
    /// Starts the resolver thread; each job hands back `summary` of its result, computed (and
    /// the result dropped) on the resolver thread.
    pub fn with_summary(
        summary: impl Fn(Resolved) -> T + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        Self::with_summary_and_options(summary, ResolveOptions::default())
    }

    /// Like [`with_summary`](Self::with_summary), resolving every overlay with `options`.
    pub fn with_summary_and_options(
        summary: impl Fn(Resolved) -> T + Send + Sync + 'static,
        options: ResolveOptions,
    ) -> std::io::Result<Self> {
        let summary: Summary<T> = Arc::new(summary);
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let (outbox, outcomes) = std::sync::mpsc::channel::<std::thread::Result<T>>();
        let on_worker = Arc::clone(&summary);
        // Detached: it ends when the job queue closes.
        std::thread::Builder::new()
            .name("ferry-kustomize".into())
            .stack_size(model::PARSER_STACK_BYTES)
            .spawn(move || {
                let cache = ParseCache::new();
                let mut memos = Memos::default();
                for (source, root, overlay) in inbox {
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let resolved = validate_remembering(
                            source.as_ref(),
                            &cache,
                            &mut memos,
                            &root,
                            &overlay,
                            &options,
                        );
                        drop(source);
                        on_worker(resolved)
                    }));
                    if outcome.is_err() {
                        // A memo may be half updated.
                        memos.clear();
                    }
                    if outbox.send(outcome).is_err() {
                        break;
                    }
                }
            })?;
        Ok(OverlayResolver {
            jobs,
            outcomes,
            pending: std::collections::VecDeque::new(),
            summary,
        })
    }

    /// Like [`validate_overlay_in`], on the resolver's thread and cache, summarised. Results
    /// of earlier [`submit`](Self::submit)s not taken yet are dropped.
    pub fn validate(
        &mut self,
        source: Box<dyn FileSource + Send>,
        root: &Path,
        overlay: &Path,
    ) -> T {
        while self.next_result().is_some() {}
        if let Err(e) = self.submit(source, root, overlay) {
            return (self.summary)(Err(e));
        }
        self.next_result()
            .unwrap_or_else(|| (self.summary)(Err(gone(overlay))))
    }

    /// Queues a resolution, like [`validate`](Self::validate) but without waiting: the resolver
    /// works while the caller prepares the next sources. Results come from
    /// [`next_result`](Self::next_result) in the order of submission.
    pub fn submit(
        &mut self,
        source: Box<dyn FileSource + Send>,
        root: &Path,
        overlay: &Path,
    ) -> Result<(), ResolveError> {
        self.jobs
            .send((source, root.to_path_buf(), overlay.to_path_buf()))
            .map_err(|_| gone(overlay))?;
        self.pending.push_back(overlay.to_path_buf());
        Ok(())
    }

    /// The (summarised) result of the oldest submitted resolution not taken yet, waiting for
    /// it; `None` when every result was taken.
    pub fn next_result(&mut self) -> Option<T> {
        let overlay = self.pending.pop_front()?;
        Some(match self.outcomes.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => (self.summary)(Err(gone(&overlay))),
        })
    }
}

fn gone(overlay: &Path) -> ResolveError {
    ResolveError::Io {
        path: overlay.to_path_buf(),
        source: std::io::Error::other("the resolver thread is gone"),
    }
}

/// Resolves on the current thread, which must have [`model::PARSER_STACK_BYTES`] of stack;
/// with `capture`, also returns the overlay's own state before its `images` step.
fn validate_here(
    source: &dyn FileSource,
    cache: &ParseCache,
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
    capture: bool,
) -> (Result<Resolution, ResolveError>, Option<TopCapture>) {
    let mut captured = None;
    let result = validate_capturing(
        source,
        cache,
        (root, overlay),
        options,
        capture,
        &mut captured,
    );
    (result, captured)
}

fn validate_capturing(
    source: &dyn FileSource,
    cache: &ParseCache,
    (root, overlay): (&Path, &Path),
    options: &ResolveOptions,
    capture: bool,
    captured: &mut Option<TopCapture>,
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
        capture,
        captured: None,
        options: options.clone(),
        top_sort: None,
        budget: RunBudget::default(),
        built: std::collections::HashMap::new(),
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
    *captured = b.captured.take();
    let sort = b.top_sort.flatten();
    Ok(resolution(resources, b.findings, sort.as_ref()))
}

/// The result, with the resources in the output order of the overlay's `sortOptions`
/// (kustomize's legacy order by default).
fn resolution(
    mut resources: Vec<Res>,
    findings: Vec<Finding>,
    sort: Option<&model::SortOptions>,
) -> Resolution {
    order::sort(&mut resources, sort);
    Resolution {
        workloads: resources.iter().filter_map(Res::workload).collect(),
        findings,
        resources: resources.into_iter().map(|r| r.doc).collect(),
    }
}

/// The last resolution of each `(root, overlay)` an [`OverlayResolver`] resolved.
type Memos = std::collections::HashMap<(PathBuf, PathBuf), Memo>;

/// What resolving an overlay asked of its source and built, to redo it without building when
/// the next source answers every question the same way except for the overlay's own
/// kustomization file, whose text differs only in image values (an image bump).
///
/// Resolution is a function of the source's answers (YAML parsing through [`ParseCache`] is a
/// function of the text). A kustomization whose parse differs only in `images` makes every step
/// of the overlay's build before its `images` step do the same, so that state is reused and
/// only the `images` step (and the check of the kustomization's fields) runs again.
#[derive(Debug)]
struct Memo {
    /// Every question asked of the source, in order, with its answer.
    log: Vec<(Question, PathBuf, Answer)>,
    /// The overlay's kustomization text and parse (the newest seen).
    text: String,
    kustomization: Arc<Kustomization>,
    top: TopCapture,
    /// Every finding of the resolution.
    findings: Vec<Finding>,
}

/// The overlay's own kustomization, captured just before its `images` step.
#[derive(Debug, Clone)]
struct TopCapture {
    /// The kustomization file.
    file: PathBuf,
    /// The resources before the `images` step.
    acc: Vec<Res>,
    image_paths: Vec<(Option<String>, String)>,
    plugin_images: Vec<(ImageEntry, Vec<String>)>,
    /// Where the findings of [`validate::check_fields`] on the file sit.
    checks: std::ops::Range<usize>,
}

/// A question the resolver asks a [`FileSource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    Read,
    FileSize,
    Kind,
    ExistsNoFollow,
    IsSymlink,
    Canonicalize,
    ListDir,
}

/// An I/O error as the resolver sees it: its kind and message.
type Failure = (std::io::ErrorKind, String);

fn failure(e: &std::io::Error) -> Failure {
    (e.kind(), e.to_string())
}

/// The answer to a [`Question`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Bytes(Result<Vec<u8>, Failure>),
    Size(Result<u64, Failure>),
    Kind(Option<FileKind>),
    Flag(bool),
    Path(Result<PathBuf, Failure>),
    Names(Result<Vec<String>, Failure>),
}

fn ask(source: &dyn FileSource, question: Question, path: &Path) -> Answer {
    match question {
        Question::Read => Answer::Bytes(source.read(path).map_err(|e| failure(&e))),
        Question::FileSize => Answer::Size(source.file_size(path).map_err(|e| failure(&e))),
        Question::Kind => Answer::Kind(source.kind(path)),
        Question::ExistsNoFollow => Answer::Flag(source.exists_no_follow(path)),
        Question::IsSymlink => Answer::Flag(source.is_symlink(path)),
        Question::Canonicalize => Answer::Path(source.canonicalize(path).map_err(|e| failure(&e))),
        Question::ListDir => Answer::Names(source.list_dir(path).map_err(|e| failure(&e))),
    }
}

/// A [`FileSource`] that logs every question and answer.
struct Recorder<'a> {
    inner: &'a dyn FileSource,
    log: std::sync::Mutex<Vec<(Question, PathBuf, Answer)>>,
}

impl Recorder<'_> {
    fn note(&self, question: Question, path: &Path, answer: Answer) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push((
            question,
            path.to_path_buf(),
            answer,
        ));
    }
}

impl FileSource for Recorder<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let r = self.inner.read(path);
        self.note(
            Question::Read,
            path,
            Answer::Bytes(r.as_ref().map(Vec::clone).map_err(failure)),
        );
        r
    }

    fn file_size(&self, path: &Path) -> std::io::Result<u64> {
        let r = self.inner.file_size(path);
        let answer = Answer::Size(r.as_ref().map(|n| *n).map_err(failure));
        self.note(Question::FileSize, path, answer);
        r
    }

    fn kind(&self, path: &Path) -> Option<FileKind> {
        let r = self.inner.kind(path);
        self.note(Question::Kind, path, Answer::Kind(r));
        r
    }

    fn exists_no_follow(&self, path: &Path) -> bool {
        let r = self.inner.exists_no_follow(path);
        self.note(Question::ExistsNoFollow, path, Answer::Flag(r));
        r
    }

    fn is_symlink(&self, path: &Path) -> bool {
        let r = self.inner.is_symlink(path);
        self.note(Question::IsSymlink, path, Answer::Flag(r));
        r
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        let r = self.inner.canonicalize(path);
        let answer = Answer::Path(r.as_ref().map(PathBuf::clone).map_err(failure));
        self.note(Question::Canonicalize, path, answer);
        r
    }

    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
        let r = self.inner.list_dir(path);
        let answer = Answer::Names(r.as_ref().map(Vec::clone).map_err(failure));
        self.note(Question::ListDir, path, answer);
        r
    }
}

/// Resolves like [`validate_here`], redoing only the overlay's `images` step when the last
/// resolution of the same overlay allows it (see [`Memo`]).
fn validate_remembering(
    source: &dyn FileSource,
    cache: &ParseCache,
    memos: &mut Memos,
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let key = (root.to_path_buf(), overlay.to_path_buf());
    if let Some(memo) = memos.get_mut(&key)
        && let Some(resolution) = replay(memo, source, cache)
    {
        return Ok(resolution);
    }
    let recorder = Recorder {
        inner: source,
        log: std::sync::Mutex::new(Vec::new()),
    };
    let (result, top) = validate_here(&recorder, cache, root, overlay, options, true);
    let log = recorder.log.into_inner().unwrap_or_else(|e| e.into_inner());
    memos.remove(&key);
    if let (Ok(resolution), Some(top)) = (&result, top)
        && let Some((text, kustomization)) = first_read(&log, &top.file)
            .and_then(|text| Some((text.to_string(), cache.kustomization(text).ok()?)))
    {
        memos.insert(
            key,
            Memo {
                log,
                text,
                kustomization,
                top,
                findings: resolution.findings.clone(),
            },
        );
    }
    result
}

/// The text of the first read of `file` in `log`.
fn first_read<'l>(log: &'l [(Question, PathBuf, Answer)], file: &Path) -> Option<&'l str> {
    log.iter().find_map(|(q, p, a)| match (q, a) {
        (Question::Read, Answer::Bytes(Ok(bytes))) if p == file => std::str::from_utf8(bytes).ok(),
        _ => None,
    })
}

/// The resolution of `source` from `memo`, when every question but the load of the overlay's
/// kustomization file has the recorded answer and that file's text differs from the recorded one
/// only in image values; `None` otherwise (resolve in full).
fn replay(memo: &mut Memo, source: &dyn FileSource, cache: &ParseCache) -> Option<Resolution> {
    let file = memo.top.file.as_path();
    let (mut size_asked, mut text) = (false, None);
    for (question, path, answer) in &memo.log {
        if path == file {
            // The load of the overlay's kustomization file: its size, then its bytes.
            match question {
                Question::FileSize if !size_asked => {
                    size_asked = true;
                    continue;
                }
                Question::Read if text.is_none() => {
                    let bytes = source.read(path).ok()?;
                    let len = source.file_size(path).ok()?;
                    if len != bytes.len() as u64 {
                        return None;
                    }
                    text = Some(String::from_utf8(bytes).ok()?);
                    continue;
                }
                _ => {}
            }
        }
        if ask(source, *question, path) != *answer {
            return None;
        }
    }
    let text = text?;
    let kustomization = if text == memo.text {
        Arc::clone(&memo.kustomization)
    } else {
        Arc::new(crate::source::with_image_values(
            &memo.text,
            &memo.kustomization,
            &text,
        )?)
    };
    let top = &memo.top;
    let mut findings = memo.findings[..top.checks.start].to_vec();
    validate::check_fields(file, &kustomization, &mut findings);
    let checks = top.checks.start..findings.len();
    findings.extend_from_slice(&memo.findings[top.checks.end..]);
    let mut acc = top.acc.clone();
    apply_images(
        cache,
        &kustomization,
        &mut acc,
        &top.image_paths,
        &top.plugin_images,
    );
    let resolution = resolution(acc, findings, kustomization.sort_options.as_ref());
    memo.text = text;
    memo.kustomization = kustomization;
    memo.top.checks = checks;
    memo.findings.clone_from(&resolution.findings);
    Some(resolution)
}

/// The `images` step of a kustomization: its `images` entries, then `ImageTagTransformer`
/// configurations of `transformers:`.
fn apply_images(
    cache: &ParseCache,
    k: &Kustomization,
    acc: &mut [Res],
    image_paths: &[(Option<String>, String)],
    plugin_images: &[(ImageEntry, Vec<String>)],
) {
    for entry in k.images.iter().flatten() {
        let matcher = cache.image_matcher(&entry.value.name);
        let Ok(matcher) = matcher.as_ref() else {
            continue; // reported by validate::check_fields
        };
        for r in acc.iter_mut() {
            // kustomize's default field specs, then those of `configurations:`.
            let mut paths: Vec<&str> = transform::DEFAULT_IMAGE_PATHS.to_vec();
            let configured = image_paths
                .iter()
                .filter(|(kind, _)| kind.as_deref().is_none_or(|k| k == r.kind()))
                .map(|(_, p)| p.as_str());
            for p in configured {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
            transform::apply_image_entry(&mut r.doc, &entry.value, matcher, true, &paths);
        }
    }
    // `transformers:` run after the built-in ones.
    for (entry, paths) in plugin_images {
        let matcher = cache.image_matcher(&entry.name);
        let Ok(matcher) = matcher.as_ref() else {
            continue;
        };
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        for r in acc.iter_mut() {
            transform::apply_image_entry(&mut r.doc, entry, matcher, true, &paths);
        }
    }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The namespace and name the resource was read with.
    fn original(&self) -> &(String, String) {
        &self.history[0]
    }
    /// A namespace as kustomize's selectors see it: `default` when empty, a placeholder for
    /// cluster-scoped kinds.
    fn effective_namespace<'a>(&self, ns: &'a str) -> &'a str {
        if self.cluster_scoped() {
            "_non_namespaceable_"
        } else if ns.is_empty() {
            "default"
        } else {
            ns
        }
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
    /// Whether a strategic-merge patch's own id names this resource: the same group, version and
    /// kind, and any name and namespace the resource had (kustomize's "any id" match).
    fn matches_id(&self, kind: &str, api_version: &str, name: &str, namespace: &str) -> bool {
        self.kind() == kind
            && self.api_version() == api_version
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

/// The id kustomize registers a resource under: two resources with the same one conflict.
type ResKey = (String, String, (String, String));

/// kustomize's id of a registered resource: apiVersion (group and version: `v1` and `v2` of a
/// kind are different objects), kind, namespace and name.
fn registered_id(x: &Res) -> ResKey {
    (x.api_version().to_string(), x.kind().to_string(), x.id())
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
    /// Whether to capture the overlay's own state before its `images` step.
    capture: bool,
    captured: Option<TopCapture>,
    options: ResolveOptions,
    /// The overlay's own `sortOptions`, once its kustomization is loaded.
    top_sort: Option<Option<model::SortOptions>>,
    /// What is left of this run's limits.
    budget: RunBudget,
    /// Directories built so far and what they gave: a base listed many times is built once.
    built: std::collections::HashMap<(PathBuf, Expect), Option<Vec<Res>>>,
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
            Ok(p) => {
                (self.inside_root(&p, at, entry) && self.loadable(dir, &p, at, entry)).then_some(p)
            }
            Err(e) => {
                self.error(at, format!("{what} `{entry}` cannot be opened: {e}"));
                None
            }
        }
    }

    /// Whether the load restrictor lets the kustomization in `dir` read `path` (canonical):
    /// kustomize's default reads files only in or below the kustomization's directory;
    /// directories (bases, components) may be anywhere.
    fn loadable(&mut self, dir: &Path, path: &Path, at: &Origin, entry: &str) -> bool {
        if self.options.load_restrictor == LoadRestrictor::None
            || path.starts_with(dir)
            || self.src.is_dir(path)
        {
            return true;
        }
        self.error(
            at,
            format!(
                "`{entry}` is the file {}, not in or below the kustomization's directory {}: \
                 kustomize's default load restrictor (LoadRestrictionsRootOnly) refuses it, \
                 as Argo CD does by default; move the file below the kustomization (or make \
                 its directory a kustomization and list that), or set `[kustomize] \
                 load-restrictor = \"none\"` in ferry.toml when Argo CD runs kustomize with \
                 `--load-restrictor LoadRestrictionsNone`",
                self.display(path),
                self.display(dir),
            ),
        );
        false
    }

    fn load(&mut self, dir: &Path, at: &Origin) -> Option<(PathBuf, Arc<Kustomization>)> {
        let found: Vec<PathBuf> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| self.src.is_file(p))
            .collect();
        if found.is_empty()
            && let Some(special) = KUSTOMIZATION_FILE_NAMES
                .iter()
                .map(|n| dir.join(n))
                .find(|p| self.src.exists_no_follow(p) && self.src.kind(p).is_none())
        {
            self.error(
                at,
                format!(
                    "{} is not a regular file (a device, FIFO, socket or dangling link); make it \
                     a regular file",
                    special.display()
                ),
            );
            return None;
        }
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
        // The file itself may be a symbolic link: where it leads must be inside the root too.
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let file = match self.src.canonicalize(&file) {
            Ok(real) if real.starts_with(&self.root) => file,
            Ok(real) => {
                self.inside_root(&real, at, name.as_deref().unwrap_or_default());
                return None;
            }
            Err(e) => {
                self.error(at, format!("{} cannot be opened: {e}", file.display()));
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
        if let Err(e) = self.budget.bytes(text.len()) {
            self.error(at, e);
            return None;
        }
        match self.cache.kustomization(&text) {
            Ok(k) if k.is_empty() => {
                self.error(
                    &Origin {
                        file,
                        line: 0,
                        column: 0,
                    },
                    "the kustomization is empty (nothing but `apiVersion` and `kind`); kustomize \
                     refuses it (\"kustomization.yaml is empty\"): add its resources, or remove \
                     the entry that lists this directory"
                        .into(),
                );
                None
            }
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
        let key = (dir.to_path_buf(), expect);
        if let Some(done) = self.built.get(&key) {
            // Each copy of a shared base counts against the run's limits.
            let done = done.clone();
            let docs: Vec<&Value> = done.iter().flatten().map(|r| &r.doc).collect();
            let charged = self
                .budget
                .bytes(
                    docs.iter()
                        .map(|d| budget::weight(std::slice::from_ref(*d)))
                        .sum(),
                )
                .and_then(|()| self.budget.objects(docs.len()));
            if let Err(e) = charged {
                self.error(at, e);
                return None;
            }
            return done;
        }
        if self.budget.exhausted {
            return None;
        }
        if let Err(e) = self.budget.build() {
            self.error(at, e);
            return None;
        }
        let out = self.build_dir_once(dir, expect, at);
        self.built.insert(key, out.clone());
        out
    }

    fn build_dir_once(&mut self, dir: &Path, expect: Expect, at: &Origin) -> Option<Vec<Res>> {
        let (file, k) = self.load(dir, at)?;
        if !self.check_kind(&file, &k, expect, at) || !self.nesting_allowed(at) {
            return None;
        }
        self.stack.push(dir.to_path_buf());
        let out = self.accumulate(dir, &file, &k, Vec::new());
        self.stack.pop();
        Some(out)
    }

    /// Whether one more level of kustomizations may be entered (see [`MAX_NESTING`]); false
    /// (with an error, once) past the limit.
    fn nesting_allowed(&mut self, at: &Origin) -> bool {
        if self.stack.len() < MAX_NESTING {
            return true;
        }
        if !self.budget.exhausted {
            self.budget.exhausted = true;
            self.error(
                at,
                format!(
                    "kustomizations are nested more than {MAX_NESTING} levels deep (bases of \
                     bases, or components); flatten the chain"
                ),
            );
        }
        false
    }

    /// Counts bytes copied into resources against the run's limits; false (with an error) past
    /// them.
    fn charge_bytes(&mut self, n: usize, at: &Origin) -> bool {
        if n == 0 {
            return true;
        }
        match self.budget.bytes(n) {
            Ok(()) => true,
            Err(e) => {
                self.error(at, e);
                false
            }
        }
    }

    /// Counts parsed documents against the run's limits; false (with an error) past them.
    fn charge(&mut self, docs: &[Value], at: &Origin) -> bool {
        let charged = self
            .budget
            .bytes(budget::weight(docs))
            .and_then(|()| self.budget.objects(docs.len()));
        match charged {
            Ok(()) => true,
            Err(e) => {
                self.error(at, e);
                false
            }
        }
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

    /// Adds resources to `acc`, refusing ids already registered; `seen` holds the ids of `acc`
    /// (a set, so that many resources are added in linear time).
    fn add(&mut self, acc: &mut Vec<Res>, seen: &mut HashSet<ResKey>, new: Vec<Res>, at: &Origin) {
        for r in new {
            if !seen.insert(registered_id(&r)) {
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
        let top = self.capture && self.stack.len() == 1 && self.captured.is_none();
        if self.stack.len() == 1 && self.top_sort.is_none() {
            self.top_sort = Some(self.sort_options(file, k));
        }
        let checks_start = self.findings.len();
        validate::check_fields(file, k, &mut self.findings);
        let checks = checks_start..self.findings.len();

        let bases = k
            .bases
            .as_ref()
            .map(|b| b.value.as_slice())
            .unwrap_or_default();
        let mut seen: HashSet<ResKey> = acc.iter().map(registered_id).collect();
        for entry in k.resources.iter().flatten().chain(bases) {
            if self.budget.exhausted {
                break;
            }
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
            self.add(&mut acc, &mut seen, new, &at);
        }
        for entry in k.crds.iter().flatten() {
            let at = Origin::at(file, entry);
            self.local_path(dir, &at, &entry.value, "CRD file");
        }
        self.check_openapi(dir, file, k);
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
            if let Err(e) = self.budget.build() {
                self.error(&at, e);
                break;
            }
            if !self.nesting_allowed(&at) {
                break;
            }
            self.stack.push(cdir.clone());
            acc = self.accumulate(&cdir, &cfile, &ck, acc);
            self.stack.pop();
        }
        // Generators run after resources and components, before the transformers.
        self.generate(dir, file, k, &mut acc);
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
        // Names, labels and annotations are copied into every resource.
        let meta: usize = [&k.namespace, &k.name_prefix, &k.name_suffix]
            .into_iter()
            .flatten()
            .map(|s| s.value.len())
            .chain(
                k.common_labels
                    .iter()
                    .flat_map(|l| l.value.iter().map(|(a, b)| a.len() + b.len())),
            )
            .chain(
                k.labels
                    .iter()
                    .flatten()
                    .flat_map(|l| l.pairs.iter().map(|(a, b)| a.len() + b.len())),
            )
            .chain(
                k.common_annotations
                    .iter()
                    .flatten()
                    .map(|(a, b)| a.len() + b.len()),
            )
            .sum();
        let whole = Origin {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        };
        if !self.charge_bytes(meta.saturating_mul(acc.len()), &whole) {
            return acc;
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
        if top {
            self.captured = Some(TopCapture {
                file: file.to_path_buf(),
                acc: acc.clone(),
                image_paths: image_paths.clone(),
                plugin_images: plugin_images.clone(),
                checks,
            });
        }
        apply_images(self.cache, k, &mut acc, &image_paths, &plugin_images);
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

    /// `openapi.path`: a local schema file (checked like any file the kustomization reads); a
    /// remote one is refused like a remote resource.
    fn check_openapi(&mut self, dir: &Path, file: &Path, k: &Kustomization) {
        let Some(path) = k.openapi.as_ref().and_then(|o| o.get("path")) else {
            return;
        };
        let at = Origin {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        };
        if is_remote(path) {
            self.error(
                &at,
                format!(
                    "remote `openapi.path` is not supported: `{path}`; vendor the schema into the \
                     repository and give its local path"
                ),
            );
        } else if let Some(schema) = self.local_path(dir, &at, path, "openapi schema file")
            && !self.src.is_file(&schema)
        {
            self.error(
                &at,
                format!("openapi schema file `{path}` is not a regular file; name a file"),
            );
        }
    }

    /// The `images` field specs of a transformer configuration file: `(kind, path)`.
    fn image_field_specs(&mut self, path: &Path, at: &Origin) -> Vec<(Option<String>, String)> {
        let docs = match self.read_text(path).and_then(|t| {
            self.cache
                .resource_documents(&t)
                .map_err(|e| format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message))
        }) {
            Ok(d) if !self.charge(&d, at) => return Vec::new(),
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
            Ok(d) if !self.charge(&d, at) => return Vec::new(),
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
            Ok(d) => self.charge(&d, origin).then_some(d),
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
                    let api_version = str_at(patch, &["apiVersion"]);
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
                        .filter(|(_, r)| r.matches_id(kind, api_version, name, ns))
                        .map(|(i, _)| i)
                        .collect();
                    if found.is_empty() {
                        self.error(
                            at,
                            format!(
                                "patch target {kind}/{name} (apiVersion `{api_version}`) not \
                                 found among the resources; fix the patch's apiVersion, kind or \
                                 name, or remove the patch"
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
                let api_version = acc[i].api_version().to_string();
                transform::strategic_merge(&mut acc[i].doc, &patch, &api_version);
            }
        }
    }

    fn select(&mut self, acc: &[Res], sel: &Selector, at: &Origin) -> Option<Vec<usize>> {
        let regex = |p: &Option<String>,
                     this: &mut Self|
         -> Option<Option<crate::source::Compiled<regex::Regex>>> {
            match p {
                None => Some(None),
                Some(p) => {
                    let compiled = this.cache.whole_match_regex(p);
                    if let Err(e) = compiled.as_ref() {
                        this.error(
                            at,
                            format!("target pattern `{p}` is not a valid regular expression: {e}"),
                        );
                        return None;
                    }
                    Some(Some(compiled))
                }
            }
        };
        let name = regex(&sel.name, self)?;
        let namespace = regex(&sel.namespace, self)?;
        let name = name.as_deref().and_then(|r| r.as_ref().ok());
        let namespace = namespace.as_deref().and_then(|r| r.as_ref().ok());
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
                        // kustomize's selection: the original or the current name and
                        // namespace, never one the resource had at a level in between.
                        && name
                            .as_ref()
                            .is_none_or(|re| re.is_match(r.name()) || re.is_match(&r.original().1))
                        && namespace.as_ref().is_none_or(|re| {
                            re.is_match(r.effective_namespace(r.namespace()))
                                || re.is_match(r.effective_namespace(&r.original().0))
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
        // A patch copied into many targets counts once per target.
        let copies = targets.as_ref().map_or(0, |t| t.len().saturating_sub(1));
        if !self.charge_bytes(budget::weight(&docs).saturating_mul(copies), &at) {
            return;
        }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io;

    use proptest::prelude::*;

    use super::*;

    const ROOT: &str = "/repo";
    const OVERLAY: &str = "/repo/overlays/dev";

    /// Files in memory below [`ROOT`] (no symbolic links).
    struct Files(BTreeMap<String, Vec<u8>>);

    impl Files {
        fn rel(path: &Path) -> io::Result<String> {
            let mut parts: Vec<String> = Vec::new();
            for c in path.components() {
                match c {
                    std::path::Component::Normal(n) => parts.push(n.to_string_lossy().into()),
                    std::path::Component::ParentDir => {
                        parts.pop();
                    }
                    _ => {}
                }
            }
            let full = format!("/{}", parts.join("/"));
            match full.strip_prefix(ROOT) {
                Some("") => Ok(String::new()),
                Some(rest) if rest.starts_with('/') => Ok(rest[1..].to_string()),
                _ => Err(io::Error::new(io::ErrorKind::PermissionDenied, full)),
            }
        }

        fn is_dir_rel(&self, rel: &str) -> bool {
            rel.is_empty() || self.0.keys().any(|k| k.starts_with(&format!("{rel}/")))
        }
    }

    impl FileSource for Files {
        fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
            self.0
                .get(&Self::rel(path)?)
                .cloned()
                .ok_or_else(|| io::ErrorKind::NotFound.into())
        }
        fn file_size(&self, path: &Path) -> io::Result<u64> {
            self.read(path).map(|b| b.len() as u64)
        }
        fn kind(&self, path: &Path) -> Option<FileKind> {
            let rel = Self::rel(path).ok()?;
            if self.0.contains_key(&rel) {
                Some(FileKind::File)
            } else if self.is_dir_rel(&rel) {
                Some(FileKind::Dir)
            } else {
                None
            }
        }
        fn exists_no_follow(&self, path: &Path) -> bool {
            self.kind(path).is_some()
        }
        fn is_symlink(&self, _: &Path) -> bool {
            false
        }
        fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
            let rel = Self::rel(path)?;
            if self.kind(path).is_none() {
                return Err(io::ErrorKind::NotFound.into());
            }
            Ok(Path::new(ROOT).join(rel))
        }
        fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
            let rel = Self::rel(path)?;
            let prefix = if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            };
            let mut names: Vec<String> = self
                .0
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
                .collect();
            names.dedup();
            Ok(names)
        }
    }

    /// One state of a generated repository.
    #[derive(Debug, Clone)]
    struct State {
        backend_tag: &'static str,
        frontend: Option<&'static str>,
        namespace: bool,
        base_tag: &'static str,
        patch: bool,
        comment: bool,
        broken: bool,
    }

    fn files(s: &State) -> Files {
        let mut f = BTreeMap::new();
        let deployment = |name: &str, image: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  \
                 template:\n    spec:\n      containers:\n        - name: {name}\n          \
                 image: {image}\n"
            )
        };
        f.insert(
            "base/backend.yaml".into(),
            deployment("backend", &format!("acme/backend:{}", s.base_tag)).into_bytes(),
        );
        f.insert(
            "base/frontend.yaml".into(),
            deployment("frontend", "acme/frontend:1.0").into_bytes(),
        );
        f.insert(
            "base/kustomization.yaml".into(),
            "resources:\n  - backend.yaml\n  - frontend.yaml\n".into(),
        );
        f.insert(
            "overlays/dev/patch.yaml".into(),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\nspec:\n  \
             template:\n    spec:\n      containers:\n        - name: frontend\n          \
             image: acme/frontend:patched\n"
                .into(),
        );
        let mut k = String::from("resources:\n  - ../../base\n");
        if s.namespace {
            k.push_str("namespace: acme-dev\n");
        }
        if s.patch {
            k.push_str("patches:\n  - path: patch.yaml\n");
        }
        k.push_str("images:\n  - name: acme/backend\n");
        let comment = if s.comment { " # bumped" } else { "" };
        k.push_str(&format!("    newTag: {}{comment}\n", s.backend_tag));
        if let Some(tag) = s.frontend {
            k.push_str(&format!("  - name: acme/frontend\n    newTag: {tag}\n"));
        }
        if s.broken {
            k.push_str("resources: [\n");
        }
        f.insert("overlays/dev/kustomization.yaml".into(), k.into_bytes());
        Files(f)
    }

    fn state() -> impl Strategy<Value = State> {
        // Mostly valid tags (an image bump is redone from the memo), some that do not parse
        // or do not validate.
        let tags = || {
            prop_oneof![
                8 => prop::sample::select(vec![
                    "1.2.3", "2.0.0-rc.1", "v3", "\"1.10\"", "\"2.0\"", "x:y", "sha256", "4.5.6",
                ]),
                2 => prop::sample::select(vec!["1.0", "1.10", "bad tag", "true", "-x"]),
            ]
        };
        (
            tags(),
            prop::option::of(tags()),
            any::<bool>(),
            prop::sample::select(vec!["1.0", "1.1"]),
            any::<bool>(),
            any::<bool>(),
            prop::bool::weighted(0.1),
        )
            .prop_map(
                |(backend_tag, frontend, namespace, base_tag, patch, comment, broken)| State {
                    backend_tag,
                    frontend,
                    namespace,
                    base_tag,
                    patch,
                    comment,
                    broken,
                },
            )
    }

    /// A history: a first state, then mostly image bumps of the one before, sometimes any
    /// other change.
    fn history() -> impl Strategy<Value = Vec<State>> {
        (
            state(),
            prop::collection::vec((prop::bool::weighted(0.7), state()), 1..12),
        )
            .prop_map(|(first, steps)| {
                let mut out = vec![first];
                for (bump, next) in steps {
                    let last = out.last().cloned().unwrap_or_else(|| next.clone());
                    out.push(if bump {
                        State {
                            backend_tag: next.backend_tag,
                            frontend: last.frontend.map(|_| next.frontend.unwrap_or("9.9.9")),
                            ..last
                        }
                    } else {
                        next
                    });
                }
                out
            })
    }

    fn same(a: &Resolution, b: &Resolution) -> Result<(), String> {
        if a.workloads != b.workloads {
            return Err(format!("workloads {:?} != {:?}", a.workloads, b.workloads));
        }
        if a.findings != b.findings {
            return Err(format!("findings {:?} != {:?}", a.findings, b.findings));
        }
        if a.resources != b.resources {
            return Err("resources differ".into());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Resolving a history on one resolver (which redoes only the `images` step after an
        /// image bump) gives what a fresh full resolution of each state gives.
        #[test]
        fn remembered_resolutions_equal_full_ones(states in history()) {
            let mut resolver = OverlayResolver::new().unwrap();
            for s in &states {
                let full = validate_overlay_in(
                    &files(s),
                    &ParseCache::new(),
                    Path::new(ROOT),
                    Path::new(OVERLAY),
                )
                .unwrap();
                let remembered = resolver
                    .validate(Box::new(files(s)), Path::new(ROOT), Path::new(OVERLAY))
                    .unwrap();
                if let Err(e) = same(&remembered, &full) {
                    prop_assert!(false, "{s:?}: {e}");
                }
            }
        }
    }

    fn run_here(s: &State, cache: &ParseCache, memos: &mut Memos) -> Resolution {
        validate_remembering(
            &files(s),
            cache,
            memos,
            Path::new(ROOT),
            Path::new(OVERLAY),
            &ResolveOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn an_image_bump_replays_and_other_changes_resolve_in_full() {
        let first = State {
            backend_tag: "1.2.3",
            frontend: Some("1.2.3"),
            namespace: true,
            base_tag: "1.0",
            patch: true,
            comment: true,
            broken: false,
        };
        // Runs on a thread with the parser's stack, like the resolver.
        std::thread::Builder::new()
            .stack_size(model::PARSER_STACK_BYTES)
            .spawn(move || {
                let cache = ParseCache::new();
                let mut memos = Memos::default();
                let key = (PathBuf::from(ROOT), PathBuf::from(OVERLAY));
                run_here(&first, &cache, &mut memos);
                let bump = State {
                    backend_tag: "1.4.0",
                    ..first.clone()
                };
                let memo = memos.get_mut(&key).expect("a memo after a full resolution");
                let replayed = replay(memo, &files(&bump), &cache).expect("an image bump replays");
                assert_eq!(
                    replayed.workloads[0].containers[0].image,
                    "acme/backend:1.4.0"
                );
                let full = validate_overlay_in(
                    &files(&bump),
                    &ParseCache::new(),
                    Path::new(ROOT),
                    Path::new(OVERLAY),
                )
                .unwrap();
                same(&replayed, &full).unwrap();
                // An invalid tag replays too, and reports what a full resolution reports.
                let bad = State {
                    backend_tag: "bad tag",
                    ..first.clone()
                };
                let memo = memos.get_mut(&key).unwrap();
                let replayed = replay(memo, &files(&bad), &cache);
                let full = validate_overlay_in(
                    &files(&bad),
                    &ParseCache::new(),
                    Path::new(ROOT),
                    Path::new(OVERLAY),
                )
                .unwrap();
                if let Some(replayed) = replayed {
                    same(&replayed, &full).unwrap();
                }
                // A change outside the overlay's kustomization file, or of another field.
                for other in [
                    State {
                        base_tag: "1.1",
                        ..first.clone()
                    },
                    State {
                        namespace: false,
                        ..first.clone()
                    },
                ] {
                    let memo = memos.get_mut(&key).unwrap();
                    assert!(replay(memo, &files(&other), &cache).is_none(), "{other:?}");
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
