//! `watch --verify ENV`: after a healthy verdict, the verification record of what ENV runs,
//! written by `ferry_gitops::verify_deployment` (the same function as `ferry-ledger
//! mark-verified`).
//!
//! Everything that can be checked is checked before the watch starts (config, repository,
//! environment, commit, a deployment that renders), so a mistake costs seconds, not a whole
//! watch; and the deployment to verify is fixed then, so a deploy merged during the watch is
//! never verified by it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use ferry_cli::Format;
use ferry_config::Config;
use ferry_gitops::{
    LedgerOptions, LoadRequest, Loaded, NOTES_REF, ObjectId, Signature, VerificationRecord,
    deployment_to_verify, load_ledger, verify_deployment,
};
use ferry_health::monitor::{Report, Verdict};
use ferry_health::probe::Outcome;

/// The identity the notes commit is made with when the repository has no git committer
/// identity (CI checkouts often have none).
const FALLBACK_COMMITTER: (&str, &str) = ("ferry-monitor", "ferry-monitor@localhost");

/// The `--verify` options of `watch`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// After a healthy verdict, record that ENV was verified: a JSON note under
    /// refs/notes/ferry on the GitOps commit, holding ENV's images and a summary of this watch.
    /// Nothing is written on any other verdict.
    #[arg(long, value_name = "ENV")]
    pub verify: Option<String>,
    /// The base-branch commit to verify (default: the commit that deployed what ENV runs when
    /// the watch starts).
    #[arg(long, value_name = "REV", requires = "verify")]
    pub commit: Option<String>,
    /// The Ferry config file naming ENV's overlay (default: the nearest ferry.toml in the
    /// current directory or above).
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub config: Option<PathBuf>,
    /// The GitOps repository (default: the one holding the config file).
    #[arg(long, value_name = "DIR", requires = "verify")]
    pub repo: Option<PathBuf>,
}

/// A verification checked before the watch, to write after a healthy verdict.
pub struct Pending {
    env: String,
    commit: Option<ObjectId>,
    loaded: Loaded,
    committer: (String, String),
}

/// Checks what `--verify` needs, before the watch; `None` without `--verify`.
pub fn prepare(args: &VerifyArgs) -> Result<Option<Pending>> {
    let Some(env) = &args.verify else {
        return Ok(None);
    };
    let path = match &args.config {
        Some(p) => p.clone(),
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            Config::discover(&cwd).ok_or_else(|| {
                anyhow!(
                    "--verify: no {} in {} or above; pass --config FILE",
                    ferry_config::FILE_NAME,
                    cwd.display()
                )
            })?
        }
    };
    let config = Config::load(&path).map_err(|e| anyhow!("{e}"))?;
    let request = LoadRequest {
        repo: args.repo.clone(),
        only: Some(env.clone()),
        // What ENV runs now needs only its newest deployment; a commit may need all history.
        options: match args.commit {
            None => LedgerOptions::newest(1),
            Some(_) => LedgerOptions::default(),
        },
        ..LoadRequest::default()
    };
    let loaded = load_ledger(&config, &request).context("--verify")?;
    let commit = args
        .commit
        .as_deref()
        .map(|rev| loaded.repo.resolve(rev))
        .transpose()
        .context("--commit")?;
    let deployment = deployment_to_verify(&loaded.ledger, env, commit).context("--verify")?;
    let commit = Some(commit.unwrap_or_else(|| deployment.id()));
    let committer = loaded.repo.configured_committer().unwrap_or_else(|| {
        (
            FALLBACK_COMMITTER.0.to_string(),
            FALLBACK_COMMITTER.1.to_string(),
        )
    });
    Ok(Some(Pending {
        env: env.clone(),
        commit,
        loaded,
        committer,
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

/// What became of `--verify`.
pub enum Verification {
    /// The record was written on this commit.
    Recorded(ObjectId, VerificationRecord),
    /// The verdict was not healthy; nothing was written.
    Skipped(Verdict),
}

impl Pending {
    /// Writes the record when the verdict is healthy.
    pub fn finish(self, report: &Report, evidence: serde_json::Value) -> Result<Verification> {
        if report.verdict != Verdict::Healthy {
            return Ok(Verification::Skipped(report.verdict));
        }
        let (name, email) = self.committer;
        let committer = Signature::new(name, email, jiff::Timestamp::now());
        let (commit, record) = verify_deployment(
            &self.loaded.repo,
            &self.loaded.ledger,
            &self.env,
            self.commit,
            evidence,
            &committer,
        )
        .with_context(|| {
            format!(
                "the verdict is healthy, but the verification record of {} could not be written",
                self.env
            )
        })?;
        Ok(Verification::Recorded(commit, record))
    }

    /// The environment to verify.
    pub fn env(&self) -> &str {
        &self.env
    }
}

/// Prints what became of `--verify`.
pub fn print(
    out: &mut impl Write,
    format: Format,
    env: &str,
    outcome: &Verification,
) -> Result<()> {
    let push = format!("git push origin {NOTES_REF}");
    match (format, outcome) {
        (Format::Json, Verification::Recorded(commit, record)) => {
            let v = serde_json::json!({
                "event": "verification",
                "env": env,
                "verified": true,
                "commit": commit.to_string(),
                "notes_ref": NOTES_REF,
                "push": push,
                "record": record,
            });
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
        (Format::Text, Verification::Recorded(commit, record)) => {
            let commit = commit.to_string();
            writeln!(
                out,
                "verified {env} at {} ({}):",
                &commit[..12],
                record.verified_at
            )?;
            let width = record.images.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in &record.images {
                writeln!(out, "  {k:width$}  {v}")?;
            }
            writeln!(out, "recorded in {NOTES_REF}; push it with `{push}`")?;
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
