//! Reading a [`History`] the way the binaries do: from the local repository alone
//! ([`read_local`], `--offline`), or through the forge ([`read_forge`]: a sync first, then the
//! forge's holds, open changes and verification records).

use std::collections::BTreeMap;

use ferry_config::Config;
use ferry_git::{ObjectId, Repo};
use ferry_gitops::body::body_images;
use ferry_gitops::forge::{ChangeInfo, ChangeState, Forge};
use ferry_ledger::from_config::{environment_specs, resolve_options};
use ferry_ledger::ledger::{LedgerOptions, build_ledger_with};
use ferry_ledger::verify::NOTES_REF;

use crate::gather::{DeliveryError, gather, local_holds};
use crate::history::{History, OpenChange, first_of_each};

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Whether the caller named the repository (`--repo`): overlay paths are then taken
    /// relative to its top when the config lies outside it.
    pub repo_given: bool,
    /// Ledger options (how many deployments to read).
    pub ledger: LedgerOptions,
}

/// Open changes by environment.
pub type OpenChanges = BTreeMap<String, Vec<OpenChange>>;

/// The history of `config`'s environments at `base`, from the local repository: local
/// verification records and holds ([`local_holds`]).
pub fn read_local(
    repo: &Repo,
    config: &Config,
    base: ObjectId,
    options: &ReadOptions,
) -> Result<History, DeliveryError> {
    let specs = environment_specs(config, repo, options.repo_given)?;
    let ledger_options = options.ledger.clone().with_resolve(resolve_options(config));
    let ledger = build_ledger_with(repo, base, &specs, &ledger_options)?;
    let holds = local_holds(repo)?;
    gather(repo, &ledger, config, NOTES_REF, holds)
}

/// The history through `forge`: a sync (base branch, records and holds brought into the local
/// repository), the ledger at the synced base, the forge's holds, and for each environment's
/// newest deployment the forge's verification records (GitHub keeps them as commit
/// statuses). With `changes`, also the open changes of every environment.
pub async fn read_forge<F: Forge>(
    forge: &F,
    config: &Config,
    options: &ReadOptions,
    changes: bool,
) -> Result<(History, Option<OpenChanges>), DeliveryError> {
    let base = forge.sync().await?;
    let repo = forge.repo();
    let specs = environment_specs(config, repo, options.repo_given)?;
    let ledger_options = options.ledger.clone().with_resolve(resolve_options(config));
    let ledger = build_ledger_with(repo, base, &specs, &ledger_options)?;
    let holds = forge.holds().await?;
    let mut history = gather(repo, &ledger, config, NOTES_REF, holds)?;
    for env in &mut history.environments {
        let Some(current) = env.deployments.last_mut() else {
            continue;
        };
        if current.verified_at.is_some() {
            continue;
        }
        let id = ObjectId::from_hex(current.commit.as_bytes())
            .map_err(|e| DeliveryError::BadCommit(e.to_string()))?;
        current.verified_at = forge
            .verifications(id, &env.name)
            .await?
            .iter()
            .filter(|r| r.images == current.images)
            .filter_map(|r| r.verified_at())
            .min();
    }
    let open = if changes {
        let mut by_env = OpenChanges::new();
        for change in forge.changes(None).await? {
            if change.state != ChangeState::Open {
                continue;
            }
            let Some(env) = change.env.clone() else {
                continue;
            };
            by_env.entry(env).or_default().push(open_change(&change));
        }
        Some(by_env)
    } else {
        None
    };
    Ok((history, open))
}

/// An open change as `ferry status` shows it: the images its body sets, each once (the body
/// has a row per container, and containers share images).
pub fn open_change(change: &ChangeInfo) -> OpenChange {
    OpenChange {
        id: change.id.clone(),
        url: change.url.clone(),
        images: first_of_each(body_images(&change.body)),
        created_at: change.created_at.as_deref().and_then(|t| t.parse().ok()),
        auto_merge: change.auto_merge,
    }
}
