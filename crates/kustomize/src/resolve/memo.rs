//! Record and replay: what resolving an overlay asked of its source, so that an image bump
//! redoes only the overlay's `images` step.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::builder::{TopCapture, validate_here};
use super::images::apply_images;
use super::options::ResolveOptions;
use super::order::{assemble, end_of_build, resolution};
use super::resolution::Unrendered;
use super::resolution::{Resolution, ResolveError};
use super::resource::Res;
use crate::model::{Kustomization, SortOptions};
use crate::source::{FileKind, FileSource, ParseCache};
use crate::validate::{self, Finding};

/// The last resolution of each `(root, overlay)` an [`OverlayResolver`](super::OverlayResolver)
/// resolved.
pub(super) type Memos = std::collections::HashMap<(PathBuf, PathBuf), Memo>;

/// What resolving an overlay asked of its source and built, to redo it without building when
/// the next source answers every question the same way except for the overlay's own
/// kustomization file, whose text differs only in image values (an image bump).
///
/// Resolution is a function of the source's answers (YAML parsing through [`ParseCache`] is a
/// function of the text). A kustomization whose parse differs only in `images` makes every step
/// of the overlay's build before its `images` step do the same, so that state is reused and
/// only the `images` step (and the check of the kustomization's fields) runs again.
#[derive(Debug)]
pub(super) struct Memo {
    /// Every question asked of the source, in order, with its answer.
    log: Vec<(Question, PathBuf, Answer)>,
    /// The overlay's kustomization text and parse (the newest seen).
    text: String,
    kustomization: Arc<Kustomization>,
    top: TopCapture,
    /// Every finding of the resolution.
    findings: Vec<Finding>,
    /// The end of the build done once on the resources before the `images` step, when the
    /// two commute (see [`Finished`]); computed at the first replay (`Some(None)`: they do not).
    finished: Option<Option<Finished>>,
}

/// The overlay's resources before its `images` step, taken through the end of the build
/// ([`end_of_build`]: content-hash names, name references, local configuration dropped, output
/// order), with what it could not render exactly.
///
/// The `images` step and the end of the build commute when the step sets only the built-in
/// container image fields (no `configurations:` image paths, no image `transformers:`): the
/// end of the build neither reads nor writes those fields, and no object it hashes holds
/// containers. Fields kustomize shares never run through containers, so what diverges is the
/// same before and after the step. An image bump then costs a copy of these resources and the
/// step itself.
#[derive(Debug)]
struct Finished {
    resources: Vec<Res>,
    /// Shared fields that diverged, then the end of the build's problems.
    unrendered: Vec<Unrendered>,
}

impl Finished {
    /// The end of the build of `top`'s resources, when it commutes with the `images` step.
    fn of(top: &TopCapture, options: Option<&SortOptions>) -> Option<Finished> {
        let commutes = top.image_paths.is_empty()
            && top.plugin_images.is_empty()
            && top.acc.iter().all(|r| {
                !(r.needs_hash && r.doc.maybe_containers() && holds_containers(r.doc.view()))
                    && r.shared
                        .iter()
                        .flat_map(|s| &s.pointers)
                        .all(|p| !p.contains("ontainers"))
            });
        if !commutes {
            return None;
        }
        let mut resources = top.acc.clone();
        let mut unrendered: Vec<Unrendered> = resources.iter().filter_map(Res::diverged).collect();
        unrendered.extend(end_of_build(&mut resources, options));
        Some(Finished {
            resources,
            unrendered,
        })
    }
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
///
/// `edited`: `source` answers as the source of the last resolution of this overlay did, but
/// for the file `edited` (the caller knows; nothing else is asked again when that file is the
/// overlay's kustomization file).
pub(super) fn validate_remembering(
    source: &dyn FileSource,
    edited: Option<&Path>,
    cache: &ParseCache,
    memos: &mut Memos,
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let key = (root.to_path_buf(), overlay.to_path_buf());
    if let Some(memo) = memos.get_mut(&key) {
        let replayed = match edited {
            Some(file) if file == memo.top.file => source
                .read(file)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| replay_text(memo, text, cache)),
            _ => replay(memo, source, cache),
        };
        if let Some(resolution) = replayed {
            return Ok(resolution);
        }
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
                finished: None,
            },
        );
    }
    result
}

/// Whether `value` has a `containers` or `initContainers` key at any depth.
fn holds_containers(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(o) => o
            .iter()
            .any(|(k, v)| k == "containers" || k == "initContainers" || holds_containers(v)),
        serde_json::Value::Array(a) => a.iter().any(holds_containers),
        _ => false,
    }
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
    replay_text(memo, text?, cache)
}

/// The resolution from `memo` when the overlay's kustomization file now reads `text` and every
/// other answer of the source is the recorded one: `None` unless `text` differs from the
/// recorded text only in image values.
fn replay_text(memo: &mut Memo, text: String, cache: &ParseCache) -> Option<Resolution> {
    let file = memo.top.file.as_path();
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
    let sort = kustomization.sort_options.as_ref();
    let finished = memo.finished.get_or_insert_with(|| Finished::of(top, sort));
    let resolution = if let Some(finished) = finished {
        let mut resources = finished.resources.clone();
        apply_images(cache, &kustomization, &mut resources, &[], &[]);
        let mut unrendered = top.unrendered.clone();
        unrendered.extend_from_slice(&finished.unrendered);
        assemble(resources, findings, unrendered, true)
    } else {
        let mut acc = top.acc.clone();
        apply_images(
            cache,
            &kustomization,
            &mut acc,
            &top.image_paths,
            &top.plugin_images,
        );
        resolution(acc, findings, sort, top.unrendered.clone(), true)
    };
    memo.text = text;
    memo.kustomization = kustomization;
    memo.top.checks = checks;
    memo.findings.clone_from(&resolution.findings);
    Some(resolution)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io;

    use proptest::prelude::*;

    use super::*;
    use crate::model;
    use crate::resolve::{OverlayResolver, validate_overlay_in};

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
        /// A generated ConfigMap (a content-hash name) that the backend's containers name.
        generator: bool,
        /// Labels with selectors (fields kustomize shares).
        labels: bool,
    }

    fn files(s: &State) -> Files {
        let mut f = BTreeMap::new();
        let deployment = |name: &str, image: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  \
                 selector:\n    matchLabels:\n      app: {name}\n  \
                 template:\n    spec:\n      containers:\n        - name: {name}\n          \
                 image: {image}\n          envFrom:\n            - configMapRef:\n                \
                 name: app-config\n"
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
        if s.generator {
            k.push_str("configMapGenerator:\n  - name: app-config\n    literals:\n      - A=b\n");
        }
        if s.labels {
            k.push_str("labels:\n  - pairs:\n      team: a\n    includeSelectors: true\n");
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
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(
                    backend_tag,
                    frontend,
                    namespace,
                    base_tag,
                    patch,
                    comment,
                    broken,
                    generator,
                    labels,
                )| State {
                    backend_tag,
                    frontend,
                    namespace,
                    base_tag,
                    patch,
                    comment,
                    broken,
                    generator,
                    labels,
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
            return Err(format!("resources {:?} != {:?}", a.resources, b.resources));
        }
        if a.generated != b.generated {
            return Err(format!("generated {:?} != {:?}", a.generated, b.generated));
        }
        if a.unrendered != b.unrendered {
            return Err(format!(
                "unrendered {:?} != {:?}",
                a.unrendered, b.unrendered
            ));
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Edits of the last source (an image bump sends only the new kustomization file)
        /// resolve as a fresh full resolution of each state does.
        #[test]
        fn edits_resolve_as_full_resolutions(states in history()) {
            let mut resolver = OverlayResolver::new().unwrap();
            let file = Path::new(OVERLAY).join("kustomization.yaml");
            let mut last: Option<BTreeMap<String, Vec<u8>>> = None;
            for s in &states {
                let Files(now) = files(s);
                let full = validate_overlay_in(
                    &Files(now.clone()),
                    &ParseCache::new(),
                    Path::new(ROOT),
                    Path::new(OVERLAY),
                )
                .unwrap();
                let only_kustomization = last.as_ref().is_some_and(|before| {
                    before.keys().eq(now.keys())
                        && before
                            .iter()
                            .all(|(k, v)| k == "overlays/dev/kustomization.yaml" || now[k] == *v)
                });
                let remembered = if only_kustomization {
                    let bytes = now["overlays/dev/kustomization.yaml"].clone();
                    resolver
                        .submit_edit(Path::new(ROOT), Path::new(OVERLAY), &file, bytes)
                        .unwrap();
                    resolver.next_result().unwrap()
                } else {
                    resolver.validate(Box::new(Files(now.clone())), Path::new(ROOT), Path::new(OVERLAY))
                }
                .unwrap();
                if let Err(e) = same(&remembered, &full) {
                    prop_assert!(false, "{s:?}: {e}");
                }
                last = Some(now);
            }
        }
    }

    #[test]
    fn an_edit_without_an_earlier_source_is_an_error() {
        let mut resolver = OverlayResolver::new().unwrap();
        let file = Path::new(OVERLAY).join("kustomization.yaml");
        resolver
            .submit_edit(
                Path::new(ROOT),
                Path::new(OVERLAY),
                &file,
                b"resources: []\n".to_vec(),
            )
            .unwrap();
        let err = resolver.next_result().unwrap().unwrap_err();
        assert!(err.to_string().contains("no source"), "{err}");
    }

    fn run_here(s: &State, cache: &ParseCache, memos: &mut Memos) -> Resolution {
        validate_remembering(
            &files(s),
            None,
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
            generator: true,
            labels: true,
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
