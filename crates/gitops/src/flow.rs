//! The deploy flow `ferry-pr open` and `ferry-promote` share: the change computed on the synced
//! base first (the preview: a refused deploy touches nothing on the forge), its change request,
//! then the change opened through the forge, recomputed on every base the forge hands the
//! planner (a moved base is planned again from scratch).
//!
//! [`deploy`] is that flow for any [`DeployPlanner`]; [`open_deploy`] is `ferry-pr open`
//! (sync, ledger, holds, the planner of the requested images, then [`deploy`]);
//! [`promote()`] is `ferry-promote` (the gates' facts gathered and checked, then [`deploy`] of
//! the allowed plan); [`mark_verified`] records a verification by hand.

use std::path::{Path, PathBuf};

use ferry_config::{Config, UnknownEnvironment};
use ferry_image::registry::RegistryClient;
use gix::ObjectId;

use crate::deploy::{ChangeSettings, DeployError, DeployPlan, DeployPlanner, ImageRequest};
use crate::forge::{Base, ChangeRequest, Forge, ForgeError, Opened};
use crate::gates::{PromotionPlan, Refused};
use crate::plan::{AppRepository, CommitOrder, NoRepository};
use crate::promote::{self, Marked, PromoteError, PromoteRequest};
use ferry_git::{GitError, Repo};
use ferry_ledger::from_config::{LoadError, LoadRequest, load_ledger};
use ferry_ledger::ledger::{LedgerError, LedgerOptions};
use ferry_ledger::verify::{VerificationRecord, VerifyError, deployment_to_verify};

/// Why a deploy was not opened.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The deploy is refused or cannot be planned on the synced base.
    #[error("{0}")]
    Plan(#[from] DeployError),
    /// The forge failed while opening the change.
    #[error("{0}")]
    Forge(#[from] ForgeError),
    /// The forge could not be synced.
    #[error("cannot sync with the forge")]
    Sync(#[source] ForgeError),
    /// The holds could not be read.
    #[error("cannot read holds")]
    Holds(#[source] ForgeError),
    /// The application repository (`--app-repo`) cannot be opened.
    #[error("--app-repo {}", path.display())]
    AppRepo {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: GitError,
    },
    /// The config or the repository cannot be loaded.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// The ledger cannot answer.
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// A promotion's facts cannot be gathered, or a verification cannot be recorded.
    #[error("{0}")]
    Promote(#[from] PromoteError),
    /// The environment cannot be verified.
    #[error("{0}")]
    Verify(#[from] VerifyError),
    /// The target of a promotion is not configured.
    #[error("--to {name}: {unknown}", name = .0.name, unknown = .0)]
    UnknownTarget(UnknownEnvironment),
    /// The target of a promotion has no upstream to promote from.
    #[error("--to {name}: {name} has no upstream in {}; pass --from ENV", config.display())]
    NoUpstream {
        /// The target.
        name: String,
        /// The config file.
        config: PathBuf,
    },
}

/// The inner error's kind; a target environment the configuration does not know or cannot
/// reach, and an application repository that cannot be opened, are usage errors.
impl ferry_error::Classify for FlowError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            FlowError::Plan(e) => e.error_kind(),
            FlowError::Forge(e) | FlowError::Sync(e) | FlowError::Holds(e) => e.error_kind(),
            FlowError::Load(e) => e.error_kind(),
            FlowError::Ledger(e) => e.error_kind(),
            FlowError::Promote(e) => e.error_kind(),
            FlowError::Verify(e) => e.error_kind(),
            FlowError::AppRepo { .. }
            | FlowError::UnknownTarget(_)
            | FlowError::NoUpstream { .. } => ErrorKind::Usage,
        }
    }
}

/// What a deploy planned and did.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// The plan on the synced base.
    pub preview: DeployPlan,
    /// The change request, as opened or as it would be.
    pub request: ChangeRequest,
    /// The forge's answer, when the change was opened.
    pub opened: Option<Opened>,
    /// The plan of the last attempt (the preview when nothing was opened).
    pub last: DeployPlan,
}

/// Plans `planner`'s deploy on `base` (the synced base), builds its change request with
/// `settings` and, when `open`, opens it through `forge`.
pub async fn deploy<F: Forge>(
    forge: &F,
    planner: &mut DeployPlanner<'_>,
    base: ObjectId,
    settings: &ChangeSettings,
    open: bool,
) -> Result<Deployed, FlowError> {
    let preview = planner.compute(&Base::new(base, forge.repo()))?;
    let request = planner.change_request(&preview, settings);
    let opened = if open {
        Some(forge.open_change(&request, planner).await?)
    } else {
        None
    };
    let last = match &opened {
        Some(_) => planner.last().unwrap_or(&preview).clone(),
        None => preview.clone(),
    };
    Ok(Deployed {
        preview,
        request,
        opened,
        last,
    })
}

/// How a deploy's change is proposed, as flags override the config.
#[derive(Debug, Clone, Default)]
pub struct Proposal {
    /// Set an image older than the one running.
    pub allow_downgrade: bool,
    /// A local clone of the application repository, to order commit-sha tags by ancestry.
    pub app_repo: Option<PathBuf>,
    /// Merge at once / enable auto-merge (`Some(true)`), leave for review (`Some(false)`), or
    /// as the environment's `auto-merge` says (`None`).
    pub auto_merge: Option<bool>,
    /// Plan only: open nothing.
    pub dry_run: bool,
}

impl Proposal {
    fn settings(&self, mut settings: ChangeSettings) -> ChangeSettings {
        if let Some(auto_merge) = self.auto_merge {
            settings.auto_merge = auto_merge;
        }
        settings
    }
}

/// The application repository of `path`, opened.
fn app_repo(path: Option<&Path>) -> Result<Option<Repo>, FlowError> {
    path.map(|p| {
        Repo::open(p).map_err(|source| FlowError::AppRepo {
            path: p.to_owned(),
            source,
        })
    })
    .transpose()
}

/// `ferry-pr open`: sets `images` in `env` through `forge` (see [`deploy`]), at most
/// `max_attempts` times on a moving base. `repo_dir` is the local repository when the forge's
/// has no work tree.
pub async fn open_deploy<F: Forge>(
    forge: &F,
    config: &Config,
    env: &str,
    images: Vec<ImageRequest>,
    proposal: &Proposal,
    max_attempts: u32,
    repo_dir: &Path,
) -> Result<Deployed, FlowError> {
    if config.environment(env).is_none() {
        // load_ledger names the known environments.
        load_ledger(
            config,
            &LoadRequest {
                only: Some(env.to_owned()),
                ..LoadRequest::default()
            },
        )?;
    }
    let app_repo = app_repo(proposal.app_repo.as_deref())?;
    let app_order = app_repo.as_ref().map(AppRepository::new);
    let order: &dyn CommitOrder = match &app_order {
        Some(o) => o,
        None => &NoRepository,
    };
    let base = forge.sync().await.map_err(FlowError::Sync)?;
    let workdir = forge
        .repo()
        .workdir()
        .map_or_else(|| repo_dir.to_path_buf(), Path::to_path_buf);
    let loaded = load_ledger(
        config,
        &LoadRequest {
            repo: Some(workdir),
            base: Some(base.to_string()),
            only: Some(env.to_owned()),
            options: LedgerOptions::newest(1),
        },
    )?;
    let overlay = loaded.ledger.environment(env)?.overlay.clone();
    let holds = forge.holds().await.map_err(FlowError::Holds)?;
    let mut planner = DeployPlanner::new(
        env.to_owned(),
        overlay,
        images,
        proposal.allow_downgrade,
        holds,
        order,
    )
    .with_resolve_options(ferry_ledger::from_config::resolve_options(config))
    // The ledger just built on the synced base: planning there does not build it again.
    .with_ledger(&loaded.ledger);
    let mut settings = proposal.settings(ChangeSettings::from_config(config, env));
    settings.max_attempts = max_attempts;
    deploy(forge, &mut planner, base, &settings, !proposal.dry_run).await
}

/// What a promotion came to.
#[derive(Debug, Clone)]
pub enum Promotion {
    /// A gate refused; `inconclusive` when only the registry could not be asked (an outage,
    /// not a bad image).
    Refused {
        /// The refusals.
        refused: Refused,
        /// Whether the refusal is the registry's outage.
        inconclusive: bool,
    },
    /// The gates allowed the plan; the change is opened unless it is a no-op or a dry run.
    Allowed {
        /// What is promoted.
        plan: PromotionPlan,
        /// The deploy that carries it out.
        deployed: Deployed,
    },
}

/// The upstream of `to` in the config: where a promotion to `to` comes from by default.
pub fn upstream_of(config: &Config, to: &str) -> Result<String, FlowError> {
    let env = config
        .require_environment(to)
        .map_err(FlowError::UnknownTarget)?;
    env.upstream.clone().ok_or_else(|| FlowError::NoUpstream {
        name: to.to_owned(),
        config: config.path.clone(),
    })
}

/// `ferry-promote`: gathers the facts of the promotion gates through `forge` and `registry`,
/// checks them and, when they allow it, deploys the plan (nothing is opened for a no-op or a
/// dry run).
pub async fn promote<F: Forge>(
    forge: &F,
    config: &Config,
    request: &PromoteRequest,
    registry: &RegistryClient,
    proposal: &Proposal,
) -> Result<Promotion, FlowError> {
    let gathered = promote::gather(forge, config, request, registry).await?;
    let plan = match gathered.check() {
        Ok(plan) => plan,
        Err(refused) => {
            let inconclusive = gathered.registry_inconclusive(&refused);
            return Ok(Promotion::Refused {
                refused,
                inconclusive,
            });
        }
    };
    let app_repo = app_repo(proposal.app_repo.as_deref())?;
    let app_order = app_repo.as_ref().map(AppRepository::new);
    let order: &dyn CommitOrder = match &app_order {
        Some(o) => o,
        None => &NoRepository,
    };
    let mut planner = gathered.planner(&plan, proposal.allow_downgrade, order)?;
    let settings = proposal.settings(gathered.settings(config));
    let open = !(plan.is_noop() || proposal.dry_run);
    let deployed = deploy(forge, &mut planner, gathered.synced.base, &settings, open).await?;
    Ok(Promotion::Allowed { plan, deployed })
}

/// Records that `env` was verified running what it runs now, through `forge`; with `dry_run`,
/// the record it would write. `evidence` is JSON, or text stored as a string.
pub async fn mark_verified<F: Forge>(
    forge: &F,
    config: &Config,
    env: &str,
    evidence: &str,
    now: jiff::Timestamp,
    dry_run: bool,
) -> Result<Marked, FlowError> {
    let synced = promote::sync_ledger(forge, config).await?;
    let evidence = serde_json::from_str(evidence)
        .unwrap_or_else(|_| serde_json::Value::String(evidence.to_owned()));
    if dry_run {
        let d = deployment_to_verify(&synced.loaded.ledger, env, None)?;
        return Ok(Marked {
            commit: d.commit.clone(),
            record: VerificationRecord::new(env, now, d.images.clone(), evidence),
        });
    }
    Ok(promote::mark_verified(forge, &synced.loaded.ledger, env, evidence, now).await?)
}
