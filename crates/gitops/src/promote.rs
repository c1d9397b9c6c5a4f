//! Promotions: gathering the facts the gates decide on, and the change that carries out an
//! allowed promotion.
//!
//! [`gather`] syncs the forge, builds the ledger of the synced base, reads the source's last
//! verification from the records the forge holds (the remote's notes as the sync fetched them
//! for plain git, never records only the local repository has; commit statuses on GitHub), looks every image of the source up in its registry, reads the holds and
//! takes the soak time and the clock. [`Gathered::check`] hands the facts to
//! [`crate::gates::check_promotion`]; [`Gathered::planner`] turns the allowed plan into a
//! [`DeployPlanner`] setting the target's overlay to the promoted images.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ferry_config::{Config, ForgeKind, UnknownEnvironment};
use ferry_image::reference::Reference;
use ferry_image::registry::{ImageRef, RegistryClient, RegistryError};
use gix::ObjectId;
use serde::Serialize;

use crate::deploy::{ChangeSettings, DeployError, DeployPlanner, ImageRequest};
use crate::forge::git::REMOTE_NOTES_REF;
use crate::forge::{Forge, ForgeError};
use crate::gates::{
    Hold, PromotionFacts, PromotionPlan, Refused, RegistryFact, Rule, SourceState, TargetState,
    check_promotion,
};
use crate::plan::CommitOrder;
use ferry_ledger::from_config::{LoadError, LoadRequest, Loaded, load_ledger};
use ferry_ledger::ledger::{Ledger, LedgerError};
use ferry_ledger::verify::VerifiedSet;
use ferry_ledger::verify::{NOTES_REF, VerificationRecord, VerifyError, deployment_to_verify};

/// Why a promotion's facts cannot be gathered, or a verification cannot be recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PromoteError {
    /// An environment is not configured.
    #[error(transparent)]
    UnknownEnvironment(#[from] UnknownEnvironment),
    /// Source and target are the same environment.
    #[error("cannot promote {0} into itself")]
    SameEnvironment(String),
    /// The forge's repository has no working tree to place `ferry.toml`'s overlays in.
    #[error("the forge's repository has no working tree; run from a clone")]
    Bare,
    /// The forge failed (sync, holds, verifications).
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The ledger cannot be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The ledger cannot answer.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The environment cannot be verified.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// The forge says its own kind; an unknown environment or a promotion into itself is a usage
/// error; anything else keeps the promotion from being planned: bad input.
impl ferry_error::Classify for PromoteError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            PromoteError::Forge(f) => f.error_kind(),
            PromoteError::UnknownEnvironment(_)
            | PromoteError::SameEnvironment(_)
            | PromoteError::Load(LoadError::UnknownEnvironment(_))
            | PromoteError::Ledger(LedgerError::UnknownEnvironment(_)) => ErrorKind::Usage,
            _ => ErrorKind::BadInput,
        }
    }
}

/// The synced base and the ledger of every configured environment on it.
#[derive(Debug)]
pub struct Synced {
    /// The base branch's head after the sync.
    pub base: ObjectId,
    /// The repository (opened from the forge's working tree) and the ledger.
    pub loaded: Loaded,
}

/// Syncs `forge` and builds the ledger of every environment of `config` on the synced base.
pub async fn sync_ledger<F: Forge>(forge: &F, config: &Config) -> Result<Synced, PromoteError> {
    let base = forge.sync().await?;
    let workdir = forge.repo().workdir().ok_or(PromoteError::Bare)?;
    let loaded = load_ledger(
        config,
        &LoadRequest {
            repo: Some(workdir.to_path_buf()),
            base: Some(base.to_string()),
            ..LoadRequest::default()
        },
    )?;
    Ok(Synced { base, loaded })
}

fn environment<'c>(
    config: &'c Config,
    name: &str,
) -> Result<&'c ferry_config::Environment, PromoteError> {
    Ok(config.require_environment(name)?)
}

/// What a promotion asks.
#[derive(Debug, Clone)]
pub struct PromoteRequest {
    /// Source environment.
    pub from: String,
    /// Target environment.
    pub to: String,
    /// Soak time overriding the target's `soak` from `ferry.toml`.
    pub soak: Option<Duration>,
    /// The current time.
    pub now: jiff::Timestamp,
}

/// Every fact a promotion is decided on, owned.
#[derive(Debug)]
pub struct Gathered {
    /// The synced base and ledger.
    pub synced: Synced,
    /// What the source runs and since when (`None`: no deployment).
    pub source: Option<SourceState>,
    /// Source name.
    pub source_env: String,
    /// What the target is and runs.
    pub target: TargetState,
    /// The target's overlay directory (repository path).
    pub target_overlay: String,
    /// The source's last verification, from the records the forge holds.
    pub verification: Option<VerifiedSet>,
    /// Where `verification` was read, in words.
    pub verification_source: String,
    /// A record of the source that only the local repository has (plain git): it does not
    /// count.
    pub unpublished: Option<VerifiedSet>,
    /// Registry look-ups by image.
    pub registry: BTreeMap<String, RegistryFact>,
    /// Every hold.
    pub holds: Vec<Hold>,
    /// The soak time applied.
    pub soak: Duration,
    /// The clock.
    pub now: jiff::Timestamp,
    /// How overlays are resolved (`ferry.toml`'s `[kustomize]`).
    pub resolve: ferry_kustomize::ResolveOptions,
}

impl Gathered {
    /// The facts, borrowed, for [`check_promotion`].
    pub fn facts(&self) -> PromotionFacts<'_> {
        PromotionFacts {
            source: self.source.as_ref(),
            source_env: &self.source_env,
            target: &self.target,
            verification: self.verification.as_ref(),
            verification_source: &self.verification_source,
            unpublished: self.unpublished.as_ref(),
            registry: &self.registry,
            holds: &self.holds,
            soak: self.soak,
            now: self.now,
        }
    }

    /// Applies every gate.
    pub fn check(&self) -> Result<PromotionPlan, Refused> {
        check_promotion(&self.facts())
    }

    /// Whether `refused` only says that the registry could not be asked (unreachable, a name
    /// that does not resolve, a TLS or credential failure): the registry gate is inconclusive,
    /// an external failure, not a refusal. False when any other rule refused, or a look-up
    /// found an image missing or at another digest than the one pinned.
    pub fn registry_inconclusive(&self, refused: &Refused) -> bool {
        let definite = |(image, fact): (&String, &RegistryFact)| match fact {
            RegistryFact::NotFound => true,
            RegistryFact::LookupFailed { .. } => false,
            RegistryFact::Found { digest } => Reference::parse(image)
                .ok()
                .and_then(|r| r.digest().map(str::to_owned))
                .is_some_and(|pinned| pinned != *digest),
        };
        refused.refusals.iter().all(|r| r.rule == Rule::Registry)
            && self
                .registry
                .values()
                .any(|f| matches!(f, RegistryFact::LookupFailed { .. }))
            && !self.registry.iter().any(definite)
    }

    /// The planner that sets the target's overlay to `plan`'s images on any base (with the
    /// no-downgrade guard against what the target runs there, and the holds), its deploy
    /// branch keyed by `workload/container`. An image of the plan that is not a reference is
    /// [`DeployError::Image`].
    pub fn planner<'a>(
        &self,
        plan: &PromotionPlan,
        allow_downgrade: bool,
        order: &'a dyn CommitOrder,
    ) -> Result<DeployPlanner<'a>, DeployError> {
        let requests = plan
            .updates()
            .map_err(DeployError::Image)?
            .into_iter()
            .map(ImageRequest::from)
            .collect();
        let source = self
            .source
            .as_ref()
            .map_or(String::new(), |s| s.commit.chars().take(12).collect());
        Ok(DeployPlanner::new(
            plan.to.clone(),
            self.target_overlay.clone(),
            requests,
            allow_downgrade,
            self.holds.clone(),
            order,
        )
        .with_branch_key(plan.images.clone())
        .with_title(promotion_title(plan, &source))
        .with_resolve_options(self.resolve.clone())
        // The gates' ledger of the synced base: planning there does not build it again.
        .with_ledger(&self.synced.loaded.ledger))
    }

    /// The change settings for the target (its `auto-merge`, the `[forge]` table).
    pub fn settings(&self, config: &Config) -> ChangeSettings {
        ChangeSettings::from_config(config, &self.target.env)
    }
}

/// `staging: promote from dev (abc123def456): backend 1.4.0, frontend 1.4.0`.
fn promotion_title(plan: &PromotionPlan, source_commit: &str) -> String {
    let mut versions: BTreeSet<String> = BTreeSet::new();
    for change in &plan.changes {
        if let Some(to) = &change.to
            && let Ok(r) = Reference::parse(to)
        {
            let name = r.path().rsplit('/').next().unwrap_or(r.path()).to_owned();
            let version = r
                .tag()
                .map(str::to_owned)
                .or_else(|| r.digest().map(|d| d.chars().take(19).collect()))
                .unwrap_or_default();
            versions.insert(format!("{name} {version}"));
        }
    }
    let what = versions.into_iter().collect::<Vec<_>>().join(", ");
    format!(
        "{}: promote from {} ({source_commit}): {what}",
        plan.to, plan.from
    )
}

/// Gathers the facts of promoting `request.from` → `request.to`: syncs the forge, builds the
/// ledger, reads the verification, looks the source's images up with `registry`, reads holds.
pub async fn gather<F: Forge>(
    forge: &F,
    config: &Config,
    request: &PromoteRequest,
    registry: &RegistryClient,
) -> Result<Gathered, PromoteError> {
    environment(config, &request.from)?;
    let target_env = environment(config, &request.to)?;
    if request.from == request.to {
        return Err(PromoteError::SameEnvironment(request.from.clone()));
    }
    let synced = sync_ledger(forge, config).await?;
    let ledger = &synced.loaded.ledger;
    let source_ledger = ledger.environment(&request.from)?;
    let target_ledger = ledger.environment(&request.to)?;
    let source = SourceState::from_ledger(source_ledger);
    let target = TargetState::from_ledger(target_ledger, target_env.upstream.as_deref());
    // The records the forge holds, never ones only this machine has.
    let (verification, verification_source, unpublished) = match forge.kind() {
        ForgeKind::Git => {
            let repo = &synced.loaded.repo;
            let remote = ledger.last_verified_before_in(
                repo,
                REMOTE_NOTES_REF,
                &request.from,
                synced.base,
            )?;
            let local = ledger.last_verified_before(repo, &request.from, synced.base)?;
            let unpublished = local.filter(|l| {
                remote.as_ref().is_none_or(|r| {
                    r.record != l.record && r.record.verified_at() <= l.record.verified_at()
                })
            });
            let source =
                format!("the remote's {NOTES_REF} (fetched into {REMOTE_NOTES_REF} by the sync)");
            (remote, source, unpublished)
        }
        _ => (
            forge_verification(forge, ledger, &request.from, synced.base).await?,
            format!(
                "the commit statuses ferry/verified/{} on GitHub",
                request.from
            ),
            None,
        ),
    };
    let images: BTreeSet<&str> = source
        .iter()
        .flat_map(|s| s.images.values().map(String::as_str))
        .collect();
    let registry = registry_facts(registry, images).await;
    let holds = forge.holds().await?;
    Ok(Gathered {
        source,
        source_env: request.from.clone(),
        target_overlay: target_ledger.overlay.clone(),
        target,
        verification,
        verification_source,
        unpublished,
        registry,
        holds,
        soak: request.soak.unwrap_or(target_env.soak),
        now: request.now,
        resolve: ferry_ledger::from_config::resolve_options(config),
        synced,
    })
}

/// The source's newest verification from the forge: the records on the commit of its current
/// deployment, else on the base tip.
async fn forge_verification<F: Forge>(
    forge: &F,
    ledger: &Ledger,
    env: &str,
    base: ObjectId,
) -> Result<Option<VerifiedSet>, PromoteError> {
    let Some(current) = ledger.environment(env)?.current() else {
        return Ok(None);
    };
    let mut commits = vec![current.id()];
    if base != current.id() {
        commits.push(base);
    }
    for commit in commits {
        let mut records = forge.verifications(commit, env).await?;
        records.retain(|r| r.env == env);
        records.sort_by_key(VerificationRecord::verified_at);
        if let Some(record) = records.pop() {
            let ran = match ledger.deployed_at(env, commit) {
                Ok(d) => d.map(|d| &d.images),
                Err(LedgerError::Truncated(_)) => None,
                Err(e) => return Err(e.into()),
            };
            return Ok(Some(VerifiedSet {
                commit: commit.to_string(),
                matches_ledger: ran == Some(&record.images),
                record,
            }));
        }
    }
    Ok(None)
}

/// Looks each image up in its registry: by tag when it has one (so a moved tag shows against
/// a pinned digest), otherwise by digest.
pub async fn registry_facts<'i>(
    client: &RegistryClient,
    images: impl IntoIterator<Item = &'i str>,
) -> BTreeMap<String, RegistryFact> {
    let mut out = BTreeMap::new();
    for image in images {
        out.insert(image.to_owned(), lookup(client, image).await);
    }
    out
}

async fn lookup(client: &RegistryClient, image: &str) -> RegistryFact {
    let reference = match Reference::parse_normalized(image) {
        Ok(r) => r,
        Err(e) => {
            return RegistryFact::LookupFailed {
                error: format!("not an image reference: {e}"),
            };
        }
    };
    let mut target = ImageRef::from(&reference);
    if target.tag.is_some() {
        target.digest = None;
    }
    match client.head_digest(&target).await {
        Ok(digest) => RegistryFact::Found { digest },
        Err(RegistryError::NotFound { .. } | RegistryError::PlatformNotFound { .. }) => {
            RegistryFact::NotFound
        }
        Err(e) => RegistryFact::LookupFailed {
            error: e.to_string(),
        },
    }
}

/// A verification written by [`mark_verified`].
#[derive(Debug, Clone, Serialize)]
pub struct Marked {
    /// The commit the record is attached to (the deployment's, hex).
    pub commit: String,
    /// The record.
    pub record: VerificationRecord,
}

/// Records that `env` was verified running what it runs now (its current deployment, which
/// must render), through the forge (a note pushed for plain git, a commit status on GitHub).
pub async fn mark_verified<F: Forge>(
    forge: &F,
    ledger: &Ledger,
    env: &str,
    evidence: serde_json::Value,
    now: jiff::Timestamp,
) -> Result<Marked, PromoteError> {
    let deployment = deployment_to_verify(ledger, env, None)?;
    let now = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    let record = VerificationRecord::new(env, now, deployment.images.clone(), evidence);
    forge.record_verification(deployment.id(), &record).await?;
    Ok(Marked {
        commit: deployment.commit.clone(),
        record,
    })
}
