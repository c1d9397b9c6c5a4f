//! `ferry-ledger mark-verified`: a verification record, in the local repository or pushed
//! through the plain-git forge.

use std::io::Write;

use ferry_cli::forge::{Setup, parse_identity};
use ferry_cli::{Context as _, Error, ErrorKind, Format, Result, Runtime, WithKind as _};
use ferry_config::{Config, ForgeKind};
use ferry_git::{ObjectId, Repo, Signature};
use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_ledger::{
    LedgerOptions, NOTES_REF, VerificationRecord, deployment_to_verify, verify_deployment,
};

use crate::{MarkVerified, load, load_config, text};

/// Where a record went.
enum Written {
    /// Pushed to this remote (shown without credentials).
    Pushed(String),
    /// Kept in the local repository; why, and how to publish it.
    Local(String),
}

/// Records that an environment was verified and says where the record went.
pub(crate) fn mark_verified(args: &MarkVerified) -> Result<()> {
    let config = load_config(&args.common)?;
    if config.environment(&args.env).is_none() {
        // The ledger names the known environments.
        load(&args.common, Some(&args.env), &LedgerOptions::newest(1))?;
    }
    let evidence = serde_json::from_str(&args.evidence)
        .unwrap_or_else(|_| serde_json::Value::String(args.evidence.clone()));
    if let Some(remote) = &args.remote {
        ferry_config::check_remote(remote).map_err(|reason| {
            Error::usage(format!(
                "--remote: invalid remote {:?}: {reason}; give a remote name (e.g. \"origin\") \
                 or a URL or path git can push to",
                ferry_cli::redact::redact_url(remote)
            ))
        })?;
    }
    let remote = args
        .remote
        .clone()
        .unwrap_or_else(|| config.forge.git.remote.clone());
    let (target, record, written) = if config.forge.kind == ForgeKind::Git && !args.no_push {
        mark_through_git_forge(args, config, &remote, evidence)?
    } else {
        let (target, record) = mark_locally(args, evidence)?;
        let why = if config.forge.kind == ForgeKind::Git {
            format!(
                "kept in the local {NOTES_REF} only (--no-push): promotion gates read the \
                 remote's records; publish it with `git push {} {NOTES_REF}`",
                ferry_cli::redact::redact_url(&remote)
            )
        } else {
            format!(
                "kept in the local {NOTES_REF} only: with the GitHub forge, promotion gates read \
                 the commit status ferry/verified/{env}; set it with `ferry promote \
                 --mark-verified {env}`",
                env = args.env
            )
        };
        (target, record, Written::Local(why))
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let mut v = serde_json::json!({
                "commit": target.to_string(),
                "record": record,
                "notes_ref": NOTES_REF,
            });
            match &written {
                Written::Pushed(remote) => {
                    v["pushed"] = true.into();
                    v["remote"] = remote.as_str().into();
                }
                Written::Local(why) => {
                    v["pushed"] = false.into();
                    v["note"] = why.as_str().into();
                }
            }
            serde_json::to_writer_pretty(&mut out, &v).with_kind(ErrorKind::Io)?;
            writeln!(out)?;
        }
        Format::Text => {
            writeln!(
                out,
                "{} verified at {} ({}):",
                args.env,
                text::short(&target.to_string()),
                ferry_config::human_time(&record.verified_at)
            )?;
            text::write_images(&mut out, &record.images, "  ")?;
            match &written {
                Written::Pushed(remote) => {
                    writeln!(out, "recorded in {NOTES_REF} and pushed to {remote}")?;
                }
                Written::Local(why) => writeln!(out, "recorded: {why}")?,
            }
        }
    }
    Ok(())
}

/// The identity of the record: `--by`, else the repository's git committer.
fn verifier(args: &MarkVerified, repo: &Repo) -> Result<Signature> {
    let (name, email) = match &args.by {
        Some(by) => parse_identity(by)?,
        None => repo.configured_committer().ok_or_else(|| {
            Error::usage("no git committer identity is configured; pass --by \"Name <email>\"")
        })?,
    };
    // Whole seconds, as git times are.
    let now = jiff::Timestamp::now();
    let now = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    Ok(Signature::new(name, email, now))
}

/// Writes the record in the local repository's notes.
fn mark_locally(
    args: &MarkVerified,
    evidence: serde_json::Value,
) -> Result<(ObjectId, VerificationRecord)> {
    // What ENV runs now needs only its newest deployment; a commit may need all history.
    let options = match args.commit {
        None => LedgerOptions::newest(1),
        Some(_) => LedgerOptions::default(),
    };
    let ctx = load(&args.common, Some(&args.env), &options)?;
    let commit = args
        .commit
        .as_deref()
        .map(|rev| {
            ctx.repo
                .resolve(rev)
                .with_context(|| format!("--commit {rev}"))
        })
        .transpose()?;
    let committer = verifier(args, &ctx.repo)?;
    Ok(verify_deployment(
        &ctx.repo,
        &ctx.ledger,
        &args.env,
        commit,
        evidence,
        &committer,
    )?)
}

/// Syncs with the plain-git forge, checks the deployment on the remote's base branch, and
/// pushes the record on top of the remote's records with a lease.
fn mark_through_git_forge(
    args: &MarkVerified,
    mut config: Config,
    remote: &str,
    evidence: serde_json::Value,
) -> Result<(ObjectId, VerificationRecord, Written)> {
    if let Some(base) = &args.common.base {
        config.forge.base_branch = base.clone();
    }
    let setup = Setup {
        repo_dir: config.root.clone(),
        kind: ForgeKind::Git,
        remote: remote.to_owned(),
        config,
    };
    let repo = setup.open_repo()?;
    let signature = verifier(args, &repo)?;
    let forge = GitForge::new(
        repo,
        GitForgeOptions {
            remote: remote.to_owned(),
            base_branch: setup.config.forge.base_branch.clone(),
            branch_prefix: setup.config.forge.branch_prefix.clone(),
            signature: signature.clone(),
        },
    );
    let hint = "(--no-push records in the local repository only)";
    ferry_cli::block_on(Runtime::CurrentThread, async {
        let synced = ferry_gitops::promote::sync_ledger(&forge, &setup.config)
            .await
            .with_context(|| format!("cannot sync with {} {hint}", forge.remote_display()))?;
        let ledger = &synced.loaded.ledger;
        let commit = args
            .commit
            .as_deref()
            .map(|rev| {
                synced
                    .loaded
                    .repo
                    .resolve(rev)
                    .with_context(|| format!("--commit {rev}"))
            })
            .transpose()?;
        let deployment = deployment_to_verify(ledger, &args.env, commit)?;
        let target = commit.unwrap_or_else(|| deployment.id());
        let record = VerificationRecord::new(
            &args.env,
            signature.timestamp(),
            deployment.images.clone(),
            evidence,
        );
        forge
            .record_verification(target, &record)
            .await
            .with_context(|| {
                format!(
                    "cannot push the record to {} {hint}",
                    forge.remote_display()
                )
            })?;
        Ok((
            target,
            record,
            Written::Pushed(forge.remote_display().to_owned()),
        ))
    })
}
