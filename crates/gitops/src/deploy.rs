//! Deploy changes: the planner of an image bump for one environment (`ferry-pr open`), also
//! used to carry out a promotion (`ferry-promote`).
//!
//! A [`DeployPlanner`] holds what was asked (the environment, its overlay and the images to
//! set) and, for each base commit the forge hands it, computes the change from scratch:
//!
//! 1. reads the overlay's kustomization at the base commit;
//! 2. finds what the environment runs there (the newest deployment of the ledger) and which
//!    containers each requested image replaces ([`DeployPlan::changes`]);
//! 3. refuses a downgrade ([`crate::plan::check_downgrades`]) and images the environment is on
//!    hold for ([`Hold::blocked`]);
//! 4. writes the new kustomization text ([`crate::plan::overlay_update`]).
//!
//! Nothing here does network I/O: the forge syncs the repository, the caller passes the holds.

use std::collections::BTreeMap;
use std::sync::Mutex;

use ferry_config::Config;
use ferry_image::reference::Reference;
use ferry_kustomize::model::KUSTOMIZATION_FILE_NAMES;
use serde::Serialize;

use crate::forge::{Base, ChangeRequest, DEFAULT_MAX_ATTEMPTS, Files, PlanError, Planner};
use crate::gates::Hold;
use crate::image_ref::resolve_image_ref;
use ferry_git::GitError;
use ferry_ledger::ledger::{
    EnvironmentSpec, ImageChange, Ledger, LedgerError, LedgerOptions, build_ledger_with,
};
mod pending;

pub use crate::body::{BODY_MARKER, ImageChangeRow, body_env, compare_url, render_body};

use crate::plan::{
    CommitOrder, DowngradeCheck, Downgraded, ImageUpdate, OverlayError, check_downgrades,
    deploy_branch, overlay_update,
};

/// One image a deploy sets: `NAME=REF` as given on the command line, resolved by
/// [`resolve_image_ref`] (or built from typed values with [`ImageRequest::new`]): its key,
/// the repository the overlay addresses and the new image, parsed.
pub type ImageRequest = crate::image_ref::ResolvedImage;

impl ImageRequest {
    /// The overlay update carrying out this request.
    pub fn update(&self) -> ImageUpdate {
        ImageUpdate {
            repository: self.repository.clone(),
            image: self.image.clone(),
        }
    }
}

impl From<ImageUpdate> for ImageRequest {
    /// The request carrying out `update`, keyed by its repository.
    fn from(update: ImageUpdate) -> Self {
        ImageRequest::new(update.repository, update.image)
    }
}

/// Why a deploy cannot be planned or is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// An `--image` argument is not `NAME=REF` with a valid reference.
    #[error("--image {arg}: {reason}")]
    BadImage {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        reason: String,
    },
    /// No image was requested.
    #[error("no image to deploy: pass --image NAME=REF at least once")]
    NoImages,
    /// The same image was asked for twice with different references.
    #[error("--image {name} is given twice: {first} and {second}")]
    Duplicate {
        /// The image's name.
        name: String,
        /// One reference.
        first: String,
        /// The other.
        second: String,
    },
    /// The overlay directory has no kustomization file at the base commit.
    #[error("{overlay} has no kustomization file at {commit}")]
    NoKustomization {
        /// The overlay directory (repository path).
        overlay: String,
        /// The base commit (hex).
        commit: String,
    },
    /// The kustomization is not UTF-8 text.
    #[error("{path} is not UTF-8 text")]
    NotUtf8 {
        /// The kustomization file (repository path).
        path: String,
    },
    /// The kustomization cannot be edited.
    #[error("{path}: {source}")]
    Overlay {
        /// The kustomization file (repository path).
        path: String,
        /// Why.
        #[source]
        source: OverlayError,
    },
    /// An image to set is not a reference with a tag or digest.
    #[error(transparent)]
    Image(OverlayError),
    /// No container of the environment runs a requested image's repository.
    #[error(
        "no workload of {env} runs {repository}; it runs: {}",
        if running.is_empty() { "nothing (no deployment)".to_owned() } else { running.join(", ") }
    )]
    NotRunning {
        /// The environment.
        env: String,
        /// The repository asked for.
        repository: String,
        /// The repositories it runs.
        running: Vec<String>,
    },
    /// The change would lower an image.
    #[error(transparent)]
    Downgraded(#[from] Downgraded),
    /// The environment is on hold for images the change sets.
    #[error("{env} is on hold: {}", .holds.join("; "))]
    Held {
        /// The environment.
        env: String,
        /// One line per hold that blocks: the images, since when, why.
        holds: Vec<String>,
    },
    /// What the environment runs cannot be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Git failed.
    #[error(transparent)]
    Git(#[from] GitError),
}

/// The kind [`DeployError::kind`] names; an unknown environment is a usage error.
impl ferry_error::Classify for DeployError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        if let DeployError::Ledger(LedgerError::UnknownEnvironment(_)) = self {
            return ErrorKind::Usage;
        }
        ErrorKind::from_name(self.kind()).unwrap_or(if self.is_refusal() {
            ErrorKind::Refused
        } else {
            ErrorKind::BadInput
        })
    }
}

impl DeployError {
    /// A stable name for the kind of error, for JSON output: `bad-input`, `downgrade`,
    /// `held`, `git`.
    pub fn kind(&self) -> &'static str {
        match self {
            DeployError::BadImage { .. }
            | DeployError::NoImages
            | DeployError::Duplicate { .. }
            | DeployError::NoKustomization { .. }
            | DeployError::NotUtf8 { .. }
            | DeployError::Overlay { .. }
            | DeployError::Image(_)
            | DeployError::NotRunning { .. } => "bad-input",
            DeployError::Downgraded(_) => "downgrade",
            DeployError::Held { .. } => "held",
            DeployError::Ledger(_) | DeployError::Git(_) => "git",
        }
    }

    /// Whether this is a refusal by a rule (downgrade, hold) rather than bad input or a
    /// failure.
    pub fn is_refusal(&self) -> bool {
        matches!(self, DeployError::Downgraded(_) | DeployError::Held { .. })
    }
}

/// Parses an `--image NAME=REF` argument with [`resolve_image_ref`]: NAME a logical name from
/// `[images]` of `config` or a repository; REF a tag (`2.0.1`), a tag and digest
/// (`2.0.1@sha256:…`), a digest (`sha256:…` or `@sha256:…`), or a full reference of the same
/// repository. A full reference of another repository is refused unless
/// `allow_repository_change` (the overlay then gets a `newName`).
pub fn parse_image_request(
    arg: &str,
    config: &Config,
    allow_repository_change: bool,
) -> Result<ImageRequest, DeployError> {
    let bad = |reason: String| DeployError::BadImage {
        arg: arg.to_owned(),
        reason,
    };
    let (name, reference) = arg
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=REF, e.g. backend=1.4.0".into()))?;
    let (name, reference) = (name.trim(), reference.trim());
    if name.is_empty() || reference.is_empty() {
        return Err(bad("expected NAME=REF, e.g. backend=1.4.0".into()));
    }
    resolve_image_ref(config, name, reference, allow_repository_change)
        .map_err(|e| bad(e.to_string()))
}

/// Parses every `--image` argument and refuses the same image asked twice differently.
pub fn parse_image_requests(
    args: &[String],
    config: &Config,
    allow_repository_change: bool,
) -> Result<Vec<ImageRequest>, DeployError> {
    if args.is_empty() {
        return Err(DeployError::NoImages);
    }
    let mut out: Vec<ImageRequest> = Vec::new();
    for arg in args {
        let request = parse_image_request(arg, config, allow_repository_change)?;
        match out.iter().find(|r| r.name == request.name) {
            Some(r) if r.image == request.image => {}
            Some(r) => {
                return Err(DeployError::Duplicate {
                    name: request.name.clone(),
                    first: r.image.to_string(),
                    second: request.image.to_string(),
                });
            }
            None => out.push(request),
        }
    }
    Ok(out)
}

/// A deploy computed on one base commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployPlan {
    /// The base commit (hex).
    pub base: String,
    /// The kustomization file edited (repository path).
    pub kustomization: String,
    /// Containers whose image changes (running → new), by `workload/container`.
    pub changes: Vec<ImageChange>,
    /// What the no-downgrade guard let through: allowed downgrades and warnings.
    pub check: DowngradeCheck,
    /// The files of the change; empty when the base already has the images.
    #[serde(skip)]
    pub files: Files,
}

impl DeployPlan {
    /// Whether the base already runs the requested images.
    pub fn is_noop(&self) -> bool {
        self.files.is_empty()
    }
}

/// Plans the image bump of one environment on whatever base the forge hands it; implements
/// [`Planner`].
pub struct DeployPlanner<'a> {
    env: String,
    overlay: String,
    requests: Vec<ImageRequest>,
    allow_downgrade: bool,
    holds: Vec<Hold>,
    order: &'a dyn CommitOrder,
    branch_images: BTreeMap<String, String>,
    title: Option<String>,
    last: Option<DeployPlan>,
    resolve: ferry_kustomize::ResolveOptions,
    /// What the environment runs at each commit looked at so far: the ledger is built once
    /// per commit per run, however often the forge asks for a plan.
    runs: Mutex<BTreeMap<gix::ObjectId, BTreeMap<String, String>>>,
}

impl std::fmt::Debug for DeployPlanner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployPlanner")
            .field("env", &self.env)
            .field("overlay", &self.overlay)
            .field("requests", &self.requests)
            .field("allow_downgrade", &self.allow_downgrade)
            .finish_non_exhaustive()
    }
}

impl<'a> DeployPlanner<'a> {
    /// A planner setting `requests` in `env`, whose overlay directory is `overlay`
    /// (repository-relative, as [`crate::Ledger`] environments name it). `holds` are every
    /// hold the forge has (only `env`'s active ones apply); `order` orders commit-sha tags
    /// ([`crate::plan::AppRepository`] or [`crate::plan::NoRepository`]).
    pub fn new(
        env: impl Into<String>,
        overlay: impl Into<String>,
        requests: Vec<ImageRequest>,
        allow_downgrade: bool,
        holds: Vec<Hold>,
        order: &'a dyn CommitOrder,
    ) -> Self {
        let branch_images = requests
            .iter()
            .map(|r| (r.name.clone(), r.image.to_string()))
            .collect();
        let mut unique: Vec<ImageRequest> = Vec::new();
        for r in requests {
            if !unique
                .iter()
                .any(|u| u.repository == r.repository && u.image == r.image)
            {
                unique.push(r);
            }
        }
        DeployPlanner {
            env: env.into(),
            overlay: overlay.into().trim_matches('/').to_owned(),
            requests: unique,
            allow_downgrade,
            holds,
            order,
            branch_images,
            title: None,
            last: None,
            resolve: ferry_kustomize::ResolveOptions::default(),
            runs: Mutex::default(),
        }
    }

    /// Takes what the environment runs at `ledger`'s base from `ledger` (built by the caller
    /// on that base with the same overlay, e.g. to find the overlay or to check gates), so
    /// planning on that base does not build the ledger again. A ledger without the
    /// environment, or with another overlay for it, is not used.
    pub fn with_ledger(self, ledger: &Ledger) -> Self {
        let Ok(env) = ledger.environment(&self.env) else {
            return self;
        };
        let Ok(base) = gix::ObjectId::from_hex(ledger.base.as_bytes()) else {
            return self;
        };
        if env.overlay.trim_matches('/') == self.overlay {
            let images = env.current().map(|d| d.images.clone()).unwrap_or_default();
            self.runs
                .lock()
                .expect("the cache lock is never poisoned")
                .insert(base, images);
        }
        self
    }

    /// What the environment runs at `commit` ([`runs_at`]), built once per commit.
    fn running_at(
        &self,
        repo: &ferry_git::Repo,
        commit: gix::ObjectId,
    ) -> Result<BTreeMap<String, String>, LedgerError> {
        let cached = self
            .runs
            .lock()
            .expect("the cache lock is never poisoned")
            .get(&commit)
            .cloned();
        if let Some(images) = cached {
            return Ok(images);
        }
        let images = runs_at(repo, commit, &self.env, &self.overlay, &self.resolve)?;
        self.runs
            .lock()
            .expect("the cache lock is never poisoned")
            .insert(commit, images.clone());
        Ok(images)
    }

    /// Resolves the overlay with `options` (`ferry.toml`'s `[kustomize]`, see
    /// [`ferry_ledger::from_config::resolve_options`]).
    pub fn with_resolve_options(mut self, options: ferry_kustomize::ResolveOptions) -> Self {
        self.resolve = options;
        self
    }

    /// Keys the deploy branch by `images` instead of the requests' names (a promotion keys
    /// it by `workload/container`).
    pub fn with_branch_key(mut self, images: BTreeMap<String, String>) -> Self {
        self.branch_images = images;
        self
    }

    /// Uses `title` instead of the one made from the requests.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The environment.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The requested images.
    pub fn requests(&self) -> &[ImageRequest] {
        &self.requests
    }

    /// The plan of the last successful [`Planner::plan`] call.
    pub fn last(&self) -> Option<&DeployPlan> {
        self.last.as_ref()
    }

    /// The deploy branch of this content: [`deploy_branch`] keyed by image name (or by what
    /// [`DeployPlanner::with_branch_key`] set).
    pub fn branch(&self, prefix: &str) -> String {
        deploy_branch(prefix, &self.env, &self.branch_images)
    }

    /// The change title, e.g. `dev: backend 2.0.1, frontend 1.4.0`.
    pub fn title(&self) -> String {
        if let Some(title) = &self.title {
            return title.clone();
        }
        let parts: Vec<String> = self
            .requests
            .iter()
            .map(|r| format!("{} {}", r.name, r.version()))
            .collect();
        format!("{}: {}", self.env, parts.join(", "))
    }

    /// The change request for this deploy, with the body's table from `preview` (the plan
    /// on the synced base).
    pub fn change_request(&self, preview: &DeployPlan, settings: &ChangeSettings) -> ChangeRequest {
        let title = self.title();
        let mut message = format!("{title}\n\n");
        for c in &preview.changes {
            message.push_str(&format!("{c}\n"));
        }
        ChangeRequest {
            env: self.env.clone(),
            branch: self.branch(&settings.branch_prefix),
            title,
            body: change_body(
                &self.env,
                &settings.base_branch,
                &preview.changes,
                &settings.sources,
            ),
            message,
            labels: settings.labels.clone(),
            auto_merge: settings.auto_merge,
            max_attempts: settings.max_attempts.max(1),
        }
    }

    /// Computes the change on `base` (see the module documentation).
    pub fn compute(&self, base: &Base<'_>) -> Result<DeployPlan, DeployError> {
        let repo = base.repo;
        let mut found = None;
        for name in KUSTOMIZATION_FILE_NAMES {
            let path = if self.overlay.is_empty() {
                name.to_owned()
            } else {
                format!("{}/{name}", self.overlay)
            };
            if let Some(bytes) = repo.read_file(base.commit, &path)? {
                found = Some((path, bytes));
                break;
            }
        }
        let (path, bytes) = found.ok_or_else(|| DeployError::NoKustomization {
            overlay: self.overlay.clone(),
            commit: base.commit.to_string(),
        })?;
        let text =
            String::from_utf8(bytes).map_err(|_| DeployError::NotUtf8 { path: path.clone() })?;
        let running = self.running_at(repo, base.commit)?;
        let changes = changes_for(&self.env, &running, &self.requests)?;
        let mut check = check_downgrades(&changes, self.order, self.allow_downgrade)?;
        let open = pending::check_open_changes(
            base,
            &|head| self.running_at(repo, head),
            &running,
            &changes,
            self.order,
            self.allow_downgrade,
        )?;
        check.allowed_downgrades.extend(open.allowed_downgrades);
        check.warnings.extend(open.warnings);
        let new_images: BTreeMap<String, String> = changes
            .iter()
            .filter_map(|c| Some((c.container.clone(), c.to.clone()?)))
            .collect();
        let blocking: Vec<String> = self
            .holds
            .iter()
            .filter_map(|h| {
                let blocked = h.blocked(&self.env, &new_images);
                (!blocked.is_empty()).then(|| {
                    format!(
                        "{} held since {}: {} (lift it with `{}`)",
                        if h.images.is_empty() {
                            "every image".to_owned()
                        } else {
                            blocked.join(", ")
                        },
                        h.created_at,
                        h.reason,
                        crate::holds::release_command(h, &blocked)
                    )
                })
            })
            .collect();
        if !blocking.is_empty() {
            return Err(DeployError::Held {
                env: self.env.clone(),
                holds: blocking,
            });
        }
        let updates: Vec<ImageUpdate> = self.requests.iter().map(ImageRequest::update).collect();
        let outcome = overlay_update(&text, &updates).map_err(|source| DeployError::Overlay {
            path: path.clone(),
            source,
        })?;
        let mut files = Files::new();
        if outcome.changed {
            files.insert(path.clone(), outcome.text);
        }
        Ok(DeployPlan {
            base: base.commit.to_string(),
            kustomization: path,
            changes,
            check,
            files,
        })
    }
}

impl Planner for DeployPlanner<'_> {
    fn plan(&mut self, base: &Base<'_>) -> Result<Files, PlanError> {
        let plan = self.compute(base).map_err(|e| Box::new(e) as PlanError)?;
        let files = plan.files.clone();
        self.last = Some(plan);
        Ok(files)
    }
}

/// How a deploy's change is proposed (from `ferry.toml` and flags).
#[derive(Debug, Clone)]
pub struct ChangeSettings {
    /// The base branch (for the body).
    pub base_branch: String,
    /// The deploy branch prefix.
    pub branch_prefix: String,
    /// Labels (GitHub).
    pub labels: Vec<String>,
    /// Merge at once (plain git) or enable auto-merge (GitHub).
    pub auto_merge: bool,
    /// Attempts when the base keeps moving.
    pub max_attempts: u32,
    /// Source repository web addresses by image repository (`[sources]`), for the body's
    /// compare links.
    pub sources: BTreeMap<String, String>,
}

impl ChangeSettings {
    /// Settings from the `[forge]` table of `config` and the environment's `auto-merge`.
    pub fn from_config(config: &Config, env: &str) -> Self {
        ChangeSettings {
            base_branch: config.forge.base_branch.clone(),
            branch_prefix: config.forge.branch_prefix.clone(),
            labels: config.forge.labels.clone(),
            auto_merge: config.environment(env).is_some_and(|e| e.auto_merge),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            sources: config
                .images
                .iter()
                .filter_map(|i| {
                    let repository =
                        repository_of(&i.repository).unwrap_or_else(|| i.repository.clone());
                    Some((repository, i.source.clone()?))
                })
                .collect(),
        }
    }
}

/// The pull request body for `changes` in `env` ([`render_body`]); `sources` (image repository
/// → source repository address) gives the compare links.
pub fn change_body(
    env: &str,
    base_branch: &str,
    changes: &[ImageChange],
    sources: &BTreeMap<String, String>,
) -> String {
    let rows: Vec<ImageChangeRow> = changes
        .iter()
        .filter_map(|c| {
            let (workload, container) = c
                .container
                .rsplit_once('/')
                .unwrap_or((c.container.as_str(), c.container.as_str()));
            Some(ImageChangeRow {
                workload: workload.to_owned(),
                container: container.to_owned(),
                old: c.from.clone(),
                source_repo: c
                    .to
                    .as_deref()
                    .and_then(repository_of)
                    .and_then(|r| sources.get(&r).cloned()),
                new: c.to.clone()?,
            })
        })
        .collect();
    render_body(env, base_branch, &rows)
}

/// What `env` (overlay `overlay`) runs at `commit`: its newest deployment's images by
/// `workload/container` (empty when it has none).
pub fn runs_at(
    repo: &ferry_git::Repo,
    commit: gix::ObjectId,
    env: &str,
    overlay: &str,
    resolve: &ferry_kustomize::ResolveOptions,
) -> Result<BTreeMap<String, String>, LedgerError> {
    let spec = EnvironmentSpec {
        name: env.to_owned(),
        overlay: overlay.to_owned(),
    };
    let options = LedgerOptions::newest(1).with_resolve(resolve.clone());
    let ledger = build_ledger_with(repo, commit, std::slice::from_ref(&spec), &options)?;
    Ok(ledger
        .environment(env)?
        .current()
        .map(|d| d.images.clone())
        .unwrap_or_default())
}

/// The repository of an image as written, after the Docker Hub rules (`None` when it does not
/// parse).
fn repository_of(image: &str) -> Option<String> {
    Reference::parse_normalized(image).ok().map(|r| r.name())
}

/// The container changes `requests` make to what an environment `running`: every container
/// whose repository (Docker Hub names normalised) is a requested one gets its new image.
fn changes_for(
    env: &str,
    running: &BTreeMap<String, String>,
    requests: &[ImageRequest],
) -> Result<Vec<ImageChange>, DeployError> {
    let mut changes = Vec::new();
    for request in requests {
        let wanted = request.repository.normalized_name();
        let image = request.image.to_string();
        let mut matched = false;
        for (container, current) in running {
            if repository_of(current).is_some_and(|r| Some(&r) == wanted.as_ref()) {
                matched = true;
                if *current != image {
                    changes.push(ImageChange {
                        container: container.clone(),
                        from: Some(current.clone()),
                        to: Some(image.clone()),
                    });
                }
            }
        }
        if !matched {
            let mut repos: Vec<String> = running
                .values()
                .map(|i| {
                    Reference::parse(i)
                        .map(|r| r.name())
                        .unwrap_or_else(|_| i.clone())
                })
                .collect();
            repos.sort();
            repos.dedup();
            return Err(DeployError::NotRunning {
                env: env.to_owned(),
                repository: request.repository.to_string(),
                running: repos,
            });
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_str(
            "[images]\nbackend = \"registry.example.com/acme/backend\"\n\n\
             [[environment]]\nname = \"dev\"\noverlay = \"overlays/dev\"\n",
            "/repo/ferry.toml",
        )
        .unwrap()
    }

    #[test]
    fn bodies_link_the_source_compare_of_images_with_a_source() {
        let config = Config::from_str(
            "[images]\nbackend = \"registry.example.com/acme/backend\"\nweb = \"nginx\"\n\n\
             [sources]\nbackend = \"https://github.com/acme/backend\"\n\n\
             [[environment]]\nname = \"dev\"\noverlay = \"overlays/dev\"\n",
            "/repo/ferry.toml",
        )
        .unwrap();
        let settings = ChangeSettings::from_config(&config, "dev");
        let change = |container: &str, from: &str, to: &str| ImageChange {
            container: container.into(),
            from: Some(from.into()),
            to: Some(to.into()),
        };
        let body = change_body(
            "dev",
            "main",
            &[
                change(
                    "backend/backend",
                    "registry.example.com/acme/backend:1.3.3",
                    "registry.example.com/acme/backend:1.4.0",
                ),
                change("web/nginx", "nginx:1.27", "nginx:1.28"),
            ],
            &settings.sources,
        );
        assert!(
            body.contains("[compare](https://github.com/acme/backend/compare/1.3.3...1.4.0)"),
            "{body}"
        );
        assert_eq!(body.matches("[compare]").count(), 1, "{body}");
    }

    #[test]
    fn parses_names_tags_digests_and_full_references() {
        let c = config();
        let digest = format!("sha256:{}", "a".repeat(64));
        let cases: Vec<(String, &str, String)> = vec![
            (
                "backend=2.0.1".into(),
                "backend",
                "registry.example.com/acme/backend:2.0.1".into(),
            ),
            (
                format!("backend=2.0.1@{digest}"),
                "backend",
                format!("registry.example.com/acme/backend:2.0.1@{digest}"),
            ),
            (
                format!("backend={digest}"),
                "backend",
                format!("registry.example.com/acme/backend@{digest}"),
            ),
            (
                format!("backend=@{digest}"),
                "backend",
                format!("registry.example.com/acme/backend@{digest}"),
            ),
            (
                "registry.example.com/acme/backend=2.0.2".into(),
                "backend",
                "registry.example.com/acme/backend:2.0.2".into(),
            ),
            (
                "ghcr.io/acme/worker=ghcr.io/acme/worker2:1.0".into(),
                "ghcr.io/acme/worker",
                "ghcr.io/acme/worker2:1.0".into(),
            ),
        ];
        for (arg, name, image) in &cases {
            let r = parse_image_request(arg, &c, true).unwrap();
            assert_eq!(
                (r.name.as_str(), &r.image.to_string()),
                (*name, image),
                "{arg}"
            );
        }
        let e = parse_image_request("ghcr.io/acme/worker=ghcr.io/acme/worker2:1.0", &c, false)
            .unwrap_err();
        assert!(e.to_string().contains("--allow-repository-change"), "{e}");
        let r = parse_image_request("backend=2.0.1", &c, false).unwrap();
        assert_eq!(
            r.repository.to_string(),
            "registry.example.com/acme/backend"
        );
        assert_eq!(r.version(), "2.0.1");
    }

    #[test]
    fn refuses_bad_arguments_with_the_reason() {
        let c = config();
        for (arg, needle) in [
            ("backend", "expected NAME=REF"),
            ("=1.0", "expected NAME=REF"),
            ("backnd=1.0", "known: backend"),
            ("backend=1.0 beta", "not a tag"),
            ("backend=UPPER:x", "not a tag"),
            ("backend=1.4.0:bad", "registry.example.com/acme/backend"),
        ] {
            let e = parse_image_request(arg, &c, false).unwrap_err();
            assert!(e.to_string().contains(needle), "{arg}: {e}");
            assert_eq!(e.kind(), "bad-input");
        }
        let e = parse_image_requests(&["backend=1.0".into(), "backend=1.1".into()], &c, false)
            .unwrap_err();
        assert!(matches!(e, DeployError::Duplicate { .. }), "{e}");
        assert!(matches!(
            parse_image_requests(&[], &c, false).unwrap_err(),
            DeployError::NoImages
        ));
    }

    #[test]
    fn changes_match_containers_by_repository() {
        let running = BTreeMap::from([
            (
                "api/api".to_owned(),
                "registry.example.com/acme/backend:1.0.0".to_owned(),
            ),
            (
                "api/migrate".to_owned(),
                "registry.example.com/acme/backend:1.0.0".to_owned(),
            ),
            (
                "web/web".to_owned(),
                "registry.example.com/acme/frontend:1.0.0".to_owned(),
            ),
        ]);
        let request = ImageRequest {
            name: "backend".into(),
            repository: "registry.example.com/acme/backend".parse().unwrap(),
            image: "registry.example.com/acme/backend:1.1.0".parse().unwrap(),
        };
        let changes = changes_for("dev", &running, std::slice::from_ref(&request)).unwrap();
        let containers: Vec<&str> = changes.iter().map(|c| c.container.as_str()).collect();
        assert_eq!(containers, ["api/api", "api/migrate"]);
        let missing = ImageRequest {
            repository: "registry.example.com/acme/worker".parse().unwrap(),
            ..request
        };
        let e = changes_for("dev", &running, &[missing]).unwrap_err();
        assert!(e.to_string().contains("acme/frontend"), "{e}");
    }

    #[test]
    fn titles_and_branches_depend_on_content_only() {
        let order = crate::plan::NoRepository;
        let request = |tag: &str| ImageRequest {
            name: "backend".into(),
            repository: "registry.example.com/acme/backend".parse().unwrap(),
            image: format!("registry.example.com/acme/backend:{tag}")
                .parse()
                .unwrap(),
        };
        let a = DeployPlanner::new(
            "dev",
            "o/dev",
            vec![request("2.0.1")],
            false,
            vec![],
            &order,
        );
        let b = DeployPlanner::new(
            "dev",
            "o/dev/",
            vec![request("2.0.1")],
            true,
            vec![],
            &order,
        );
        let c = DeployPlanner::new(
            "dev",
            "o/dev",
            vec![request("2.0.2")],
            false,
            vec![],
            &order,
        );
        assert_eq!(a.branch("deploy/"), b.branch("deploy/"));
        assert_ne!(a.branch("deploy/"), c.branch("deploy/"));
        assert!(a.branch("deploy/").starts_with("deploy/dev-"));
        assert_eq!(a.title(), "dev: backend 2.0.1");
    }
}
