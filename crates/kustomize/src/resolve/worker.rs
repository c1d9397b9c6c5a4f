//! [`OverlayResolver`]: one thread with a deep stack that resolves many overlays in a row,
//! sharing a parse cache and remembering the last resolution of each overlay.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::memo::{Memos, validate_remembering};
use super::options::ResolveOptions;
use super::resolution::{ResolveError, Resolved};
use crate::model;
use crate::source::{FileSource, ParseCache};

/// What an [`OverlayResolver`] is asked to resolve: the overlay `(root, overlay)` in a new
/// source, or in the last source it had for that overlay with one file's bytes replaced.
enum Job {
    Source(Box<dyn FileSource + Send>, PathBuf, PathBuf),
    Edit {
        root: PathBuf,
        overlay: PathBuf,
        file: PathBuf,
        bytes: Vec<u8>,
    },
}

/// The last source of an overlay, with the files edited since.
struct Kept {
    base: Box<dyn FileSource + Send>,
    edits: Vec<(PathBuf, Vec<u8>)>,
}

impl Kept {
    fn edited(&self, path: &Path) -> Option<&[u8]> {
        self.edits
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.as_slice())
    }
}

impl FileSource for Kept {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self.edited(path) {
            Some(bytes) => Ok(bytes.to_vec()),
            None => self.base.read(path),
        }
    }

    fn file_size(&self, path: &Path) -> std::io::Result<u64> {
        match self.edited(path) {
            Some(bytes) => Ok(bytes.len() as u64),
            None => self.base.file_size(path),
        }
    }

    fn kind(&self, path: &Path) -> Option<crate::source::FileKind> {
        self.base.kind(path)
    }

    fn exists_no_follow(&self, path: &Path) -> bool {
        self.base.exists_no_follow(path)
    }

    fn is_symlink(&self, path: &Path) -> bool {
        self.base.is_symlink(path)
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        self.base.canonicalize(path)
    }

    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
        self.base.list_dir(path)
    }
}

/// How an [`OverlayResolver`] turns a resolution into what it hands back.
type Summary<T> = Arc<dyn Fn(Resolved) -> T + Send + Sync>;

/// Resolves many overlays in a row on one thread with a deep stack (the YAML parser needs it),
/// sharing a [`ParseCache`]: cheaper than [`validate_overlay_in`](crate::validate_overlay_in)'s thread per resolution.
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
                let mut kept: std::collections::HashMap<(PathBuf, PathBuf), Kept> =
                    std::collections::HashMap::new();
                for job in inbox {
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let (root, overlay, edited) = match job {
                            Job::Source(source, root, overlay) => {
                                let key = (root.clone(), overlay.clone());
                                let fresh = Kept {
                                    base: source,
                                    edits: Vec::new(),
                                };
                                kept.insert(key, fresh);
                                (root, overlay, None)
                            }
                            Job::Edit {
                                root,
                                overlay,
                                file,
                                bytes,
                            } => {
                                let key = (root.clone(), overlay.clone());
                                let Some(source) = kept.get_mut(&key) else {
                                    return on_worker(Err(ResolveError::Io {
                                        path: overlay,
                                        source: std::io::Error::other(
                                            "an edit of an overlay the resolver has no source of",
                                        ),
                                    }));
                                };
                                source.edits.retain(|(p, _)| *p != file);
                                source.edits.push((file.clone(), bytes));
                                (root, overlay, Some(file))
                            }
                        };
                        let source = &kept[&(root.clone(), overlay.clone())];
                        let resolved = validate_remembering(
                            source,
                            edited.as_deref(),
                            &cache,
                            &mut memos,
                            &root,
                            &overlay,
                            &options,
                        );
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

    /// Like [`validate_overlay_in`](crate::validate_overlay_in), on the resolver's thread and cache, summarised. Results
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

    /// Like [`validate`](Self::validate), in the last source of `overlay` with `file` now
    /// holding `bytes` (see [`submit_edit`](Self::submit_edit)).
    pub fn validate_edit(&mut self, root: &Path, overlay: &Path, file: &Path, bytes: Vec<u8>) -> T {
        while self.next_result().is_some() {}
        if let Err(e) = self.submit_edit(root, overlay, file, bytes) {
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
            .send(Job::Source(
                source,
                root.to_path_buf(),
                overlay.to_path_buf(),
            ))
            .map_err(|_| gone(overlay))?;
        self.pending.push_back(overlay.to_path_buf());
        Ok(())
    }

    /// Queues a resolution of `overlay` in the source of the last job for it (this one's
    /// [`submit`](Self::submit)) with `file` now holding `bytes`: an image bump costs no new
    /// source, and when `file` is the overlay's kustomization file nothing else is read again.
    /// Without an earlier job for `overlay`, its result is an error.
    pub fn submit_edit(
        &mut self,
        root: &Path,
        overlay: &Path,
        file: &Path,
        bytes: Vec<u8>,
    ) -> Result<(), ResolveError> {
        self.jobs
            .send(Job::Edit {
                root: root.to_path_buf(),
                overlay: overlay.to_path_buf(),
                file: file.to_path_buf(),
                bytes,
            })
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
