//! `watch --verify ENV`: after a healthy verdict, the verification record of what ENV runs,
//! written through the config's forge (`Forge::record_verification`: a note pushed to the
//! remote's refs/notes/ferry in plain-git mode, a commit status `ferry/verified/<env>` on
//! GitHub), or with `--no-push` in the local repository only, by
//! `ferry_gitops::verify_deployment` (the same function as `ferry-ledger mark-verified`).
//!
//! Everything that can be checked is checked before the watch starts (config, repository,
//! environment, commit, a deployment that renders), so a mistake costs seconds, not a whole
//! watch; and the deployment to verify is fixed then, so a deploy merged during the watch is
//! never verified by it.

use anyhow::{Context, Result, anyhow};
use ferry_cli::Format;
use ferry_config::Config;
use ferry_gitops::forge::{AnyForge, Forge};
use ferry_gitops::{
    LedgerOptions, LoadRequest, Loaded, NOTES_REF, ObjectId, Signature, VerificationRecord,
    deployment_to_verify, load_ledger, verify_deployment,
};
use ferry_health::monitor::{Report, Verdict};
use ferry_health::probe::Outcome;
use ferry_notify::{Outcome as Notice, Sent, notify};
use std::io::Write;

use crate::args::VerifyArgs;

/// The identity the notes commit is made with when the repository has no git committer
/// identity (CI checkouts often have none).
const FALLBACK_COMMITTER: (&str, &str) = ("ferry-monitor", "ferry-monitor@localhost");

/// Where the record goes.
enum Sink {
    /// The local repository's notes, made by this identity.
    Local((String, String)),
    /// Through the forge: notes pushed to the remote, or a commit status.
    Forge(AnyForge),
}

/// A verification checked before the watch, to write after a healthy verdict.
pub struct Pending {
    env: String,
    commit: ObjectId,
    loaded: Loaded,
    sink: Sink,
    slack: Option<String>,
}

/// Checks what `--verify` needs (and, through a forge, syncs it), before the watch; `None`
/// without `--verify`.
pub async fn prepare(args: &VerifyArgs) -> Result<Option<Pending>> {
    let Some(env) = &args.verify else {
        return Ok(None);
    };
    let path = crate::settings::config_path(args.config.as_deref(), "--verify")?;
    let config = Config::load(&path).map_err(|e| anyhow!("{e}"))?;
    if config.environment(env).is_none() {
        // The ledger names the mistake (with the known environments) without the forge.
        load_ledger(
            &config,
            &LoadRequest {
                only: Some(env.clone()),
                ..LoadRequest::default()
            },
        )
        .context("--verify")?;
    }
    let mut sink = if args.no_push {
        Sink::Local((
            FALLBACK_COMMITTER.0.to_string(),
            FALLBACK_COMMITTER.1.to_string(),
        ))
    } else {
        let setup = ferry_cli::forge::Setup {
            repo_dir: args.repo.clone().unwrap_or_else(|| config.root.clone()),
            kind: config.forge.kind,
            remote: config.forge.git.remote.clone(),
            config: config.clone(),
        };
        let hint = "--verify (--no-push records in the local repository only)";
        Sink::Forge(setup.forge().context(hint)?)
    };
    // Through a forge, what ENV runs is what the forge's base branch deploys.
    let base = match &sink {
        Sink::Local(_) => None,
        Sink::Forge(f) => Some(f.sync().await),
    }
    .transpose()
    .context(
        "--verify: cannot sync with the forge (--no-push records in the local repository only)",
    )?;
    let request = LoadRequest {
        repo: args.repo.clone(),
        only: Some(env.clone()),
        base: base.map(|b| b.to_string()),
        // What ENV runs now needs only its newest deployment; a commit may need all history.
        options: match args.commit {
            None => LedgerOptions::newest(1),
            Some(_) => LedgerOptions::default(),
        },
    };
    let loaded = load_ledger(&config, &request).context("--verify")?;
    if let (Sink::Local(committer), Some(configured)) =
        (&mut sink, loaded.repo.configured_committer())
    {
        *committer = configured;
    }
    let commit = args
        .commit
        .as_deref()
        .map(|rev| loaded.repo.resolve(rev))
        .transpose()
        .context("--commit")?;
    let deployment = deployment_to_verify(&loaded.ledger, env, commit).context("--verify")?;
    let commit = commit.unwrap_or_else(|| deployment.id());
    Ok(Some(Pending {
        slack: args.slack_webhook.clone(),
        env: env.clone(),
        commit,
        loaded,
        sink,
    }))
}

/// A compact summary of the watch, stored as the record's evidence.
pub fn evidence(
    report: &Report,
    probes: &[String],
    started: jiff::Timestamp,
    finished: jiff::Timestamp,
) -> serde_json::Value {
    // Whole seconds, as `verified_at` and git times are.
    let round = |t: jiff::Timestamp| {
        jiff::Timestamp::from_second(t.as_second())
            .map_or_else(|_| t.to_string(), |t| t.to_string())
    };
    serde_json::json!({
        "by": "ferry-monitor",
        "verdict": report.verdict.as_str(),
        "reason": report.reason,
        "checks": report.checks.len(),
        "passed": report.checks.iter().filter(|c| c.outcome == Outcome::Pass).count(),
        "probes": probes,
        "started_at": round(started),
        "finished_at": round(finished),
        "duration_ms": report.at_ms,
    })
}

/// Where a record was written.
pub enum Written {
    /// The local repository's notes.
    Local,
    /// Notes pushed to this remote.
    Pushed(String),
    /// The commit status `ferry/verified/<env>` of this GitHub repository.
    Status(String),
}

/// What became of `--verify`.
pub enum Verification {
    /// The record was written on this commit; the notifications sent about it.
    Recorded(ObjectId, VerificationRecord, Written, Vec<Sent>),
    /// The verdict was not healthy; nothing was written.
    Skipped(Verdict),
}

impl Pending {
    /// Writes the record when the verdict is healthy.
    pub async fn finish(
        self,
        report: &Report,
        evidence: serde_json::Value,
    ) -> ferry_cli::Result<Verification> {
        if report.verdict != Verdict::Healthy {
            return Ok(Verification::Skipped(report.verdict));
        }
        let env = self.env.clone();
        ferry_cli::Context::with_context(self.write(evidence).await, || {
            format!(
                "the verdict is healthy, but the verification record of {env} could not be written"
            )
        })
    }

    async fn write(self, evidence: serde_json::Value) -> ferry_cli::Result<Verification> {
        let now = jiff::Timestamp::now();
        if let Sink::Local((name, email)) = &self.sink {
            let committer = Signature::new(name, email, now);
            let (commit, record) = verify_deployment(
                &self.loaded.repo,
                &self.loaded.ledger,
                &self.env,
                Some(self.commit),
                evidence,
                &committer,
            )?;
            let sent = self.tell(commit, &record).await;
            return Ok(Verification::Recorded(commit, record, Written::Local, sent));
        }
        // As verify_deployment does it, but written through the forge.
        let deployment = deployment_to_verify(&self.loaded.ledger, &self.env, Some(self.commit))?;
        let now = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
        let record = VerificationRecord::new(&self.env, now, deployment.images.clone(), evidence);
        let written = match &self.sink {
            Sink::Forge(forge) => {
                forge.record_verification(self.commit, &record).await?;
                match forge {
                    AnyForge::Git(f) => Written::Pushed(f.remote_display().to_string()),
                    AnyForge::Github(f) => Written::Status(f.client().repository()),
                }
            }
            Sink::Local(_) => unreachable!("handled above"),
        };
        let sent = self.tell(self.commit, &record).await;
        Ok(Verification::Recorded(self.commit, record, written, sent))
    }

    /// Tells Slack (`--slack-webhook`) and, in GitHub mode, a GitHub deployment.
    async fn tell(&self, commit: ObjectId, record: &VerificationRecord) -> Vec<Sent> {
        let outcome = Notice::Verified {
            env: self.env.clone(),
            commit: commit.to_string(),
            images: record.images.clone(),
            reason: "the monitor's verdict is healthy".into(),
        };
        let github = match &self.sink {
            Sink::Forge(forge) => forge.deployment_statuses(),
            Sink::Local(_) => None,
        };
        let log_url = ferry_cli::github_run_url();
        notify(&outcome, self.slack.as_deref(), github, log_url.as_deref()).await
    }

    /// The environment to verify.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The commit the record will go on.
    pub fn commit(&self) -> ObjectId {
        self.commit
    }
}

/// Prints what became of `--verify`.
pub fn print(
    out: &mut impl Write,
    format: Format,
    env: &str,
    outcome: &Verification,
) -> std::io::Result<()> {
    let push = format!("git push origin {NOTES_REF}");
    match (format, outcome) {
        (Format::Json, Verification::Recorded(commit, record, written, sent)) => {
            let mut v = serde_json::json!({
                "event": "verification",
                "env": env,
                "verified": true,
                "commit": commit.to_string(),
                "record": record,
                "notifications": sent,
            });
            match written {
                Written::Local => {
                    v["notes_ref"] = NOTES_REF.into();
                    v["pushed"] = false.into();
                    v["push"] = push.into();
                }
                Written::Pushed(remote) => {
                    v["notes_ref"] = NOTES_REF.into();
                    v["pushed"] = true.into();
                    v["remote"] = remote.as_str().into();
                }
                Written::Status(repository) => {
                    v["status"] = format!("ferry/verified/{env}").into();
                    v["repository"] = repository.as_str().into();
                }
            }
            writeln!(out, "{v}")?;
        }
        (Format::Json, Verification::Skipped(verdict)) => {
            let v = serde_json::json!({
                "event": "verification",
                "env": env,
                "verified": false,
                "reason": format!("the verdict is {verdict}; no verification record written"),
            });
            writeln!(out, "{v}")?;
        }
        (Format::Text, Verification::Recorded(commit, record, written, sent)) => {
            let commit = commit.to_string();
            writeln!(
                out,
                "verified {env} at {} ({}):",
                &commit[..12],
                ferry_config::human_time(&record.verified_at)
            )?;
            let width = record.images.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in &record.images {
                writeln!(out, "  {k:width$}  {v}")?;
            }
            match written {
                Written::Local => {
                    writeln!(out, "recorded in {NOTES_REF}; push it with `{push}`")?;
                }
                Written::Pushed(remote) => {
                    writeln!(out, "recorded in {NOTES_REF} and pushed to {remote}")?;
                }
                Written::Status(repository) => writeln!(
                    out,
                    "recorded as the commit status ferry/verified/{env} in {repository}"
                )?,
            }
            for n in sent {
                match &n.error {
                    None => writeln!(out, "notified: {}", n.channel)?,
                    Some(e) => writeln!(out, "notification {} FAILED: {e}", n.channel)?,
                }
            }
        }
        (Format::Text, Verification::Skipped(verdict)) => {
            writeln!(
                out,
                "not verified: the verdict is {verdict}; no verification record written for {env}"
            )?;
        }
    }
    out.flush()?;
    Ok(())
}
