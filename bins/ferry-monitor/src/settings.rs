//! What `watch` checks and how: from `ferry.toml` (`--env ENV`, or the environment `--verify`
//! names), overridden by the command line.
//!
//! Policy layers, key by key: built-in defaults ← `[monitor]` ← `[environment.monitor]` ← flags.
//! Probes come from the file (`http`, `workloads`, `namespace`, the environment's `argocd-app`)
//! unless the command line names any (`--http`, `--workload`, `--argocd-app`): then only those
//! are watched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use ferry_config::{Config, Monitor};
use ferry_health::monitor::{Policy, PolicyFlags, Span};
use ferry_health::probe::http::HttpSpec;

use crate::args::WatchArgs;
use crate::http_spec::parse_http;
use crate::metrics::{MetricWatch, from_config, from_flags};

/// The watch to run.
#[derive(Debug)]
pub struct Settings {
    /// The policy.
    pub policy: Policy,
    /// HTTP probes.
    pub http: Vec<HttpSpec>,
    /// Workloads, `KIND/NAME`.
    pub workloads: Vec<String>,
    /// Namespace of the workloads (`None`: the kubeconfig's).
    pub namespace: Option<String>,
    /// The Argo CD Application and the revision it must be synced to.
    pub argocd: Option<(String, String)>,
    /// Prometheus metrics (`--query`, `[[environment.monitor.metrics]]`).
    pub metrics: Vec<MetricWatch>,
    /// The environment watched, if one is.
    pub env: Option<String>,
}

/// The config file: `explicit`, else the nearest `ferry.toml` from the current directory up.
pub fn config_path(explicit: Option<&Path>, flag: &str) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    Config::locate(None, &cwd).map_err(|e| anyhow!("{flag}: {e}"))
}

/// The environment whose settings apply: `--env`, else `--verify`'s.
fn environment(args: &WatchArgs) -> Result<Option<(&str, &'static str)>> {
    match (&args.env, &args.verify.verify) {
        (Some(env), Some(verify)) if env != verify => bail!(
            "--env {env} and --verify {verify} name different environments; the watch verifies what it watched"
        ),
        (Some(env), _) => Ok(Some((env, "--env"))),
        (None, Some(verify)) => Ok(Some((verify, "--verify"))),
        (None, None) => Ok(None),
    }
}

/// Resolves the watch from the configuration and the flags.
pub fn resolve(args: &WatchArgs) -> Result<Settings> {
    let chosen = environment(args)?;
    let (config, env) = match chosen {
        None => (None, None),
        Some((name, flag)) => {
            let path = config_path(args.verify.config.as_deref(), flag)?;
            let config = Config::load(&path).map_err(|e| anyhow!("{e}"))?;
            let Some(env) = config.environment(name).cloned() else {
                let known: Vec<&str> = config
                    .environments()
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect();
                bail!(
                    "{flag}: no environment `{name}` in {} (known: {})",
                    path.display(),
                    known.join(", ")
                );
            };
            (Some(config), Some(env))
        }
    };
    let monitor = env
        .as_ref()
        .map_or_else(Monitor::default, |e| e.monitor.clone());
    let policy = policy(args, &monitor)?;
    let flags = !args.http.is_empty()
        || !args.workloads.is_empty()
        || args.argocd_app.is_some()
        || args.metric.query.is_some();
    let metrics = if flags {
        from_flags(&args.metric)?.into_iter().collect()
    } else {
        from_config(&monitor, &args.metric)
    };
    let (http, workloads, app) = if flags {
        let http = args
            .http
            .iter()
            .map(|t| parse_http(t))
            .collect::<Result<Vec<_>>>()?;
        (http, args.workloads.clone(), args.argocd_app.clone())
    } else {
        let http = monitor
            .http
            .iter()
            .map(|p| {
                let mut spec = HttpSpec::new(p.url.clone());
                spec.expected_status = vec![p.status];
                spec.body = p
                    .body
                    .as_deref()
                    .map(regex::Regex::new)
                    .transpose()
                    .context("a body regex of ferry.toml")?;
                Ok(spec)
            })
            .collect::<Result<Vec<_>>>()?;
        let app = env.as_ref().and_then(|e| e.argocd_app.clone());
        (http, monitor.workloads.clone(), app)
    };
    let namespace = args.cluster.namespace.clone().or(monitor.namespace.clone());
    let argocd = match app {
        None => None,
        Some(app) => {
            let revision = match (&args.revision, &config) {
                (Some(r), _) => full_revision(r, config.as_ref())?,
                (None, Some(config)) => base_tip(config).with_context(|| {
                    format!("the Argo CD Application {app} needs the revision to be synced to; pass --revision SHA")
                })?,
                (None, None) => bail!("--argocd-app {app} needs --revision SHA (or --env ENV, which takes the tip of the base branch)"),
            };
            Some((app, revision))
        }
    };
    if http.is_empty() && workloads.is_empty() && argocd.is_none() && metrics.is_empty() {
        match chosen {
            Some((name, _)) => bail!(
                "nothing to watch: environment `{name}` configures no probe ([environment.monitor] http, workloads or metrics, or argocd-app); give --http, --workload, --argocd-app or --prometheus with --query"
            ),
            None => bail!(
                "nothing to watch: give --http, --workload, --argocd-app or --prometheus with --query (or --env ENV to use ferry.toml)"
            ),
        }
    }
    Ok(Settings {
        policy,
        http,
        workloads,
        namespace,
        argocd,
        metrics,
        env: chosen.map(|(name, _)| name.to_owned()),
    })
}

/// The commit at the tip of the configuration's base branch: what Argo CD deploys.
/// `--revision` as the full commit id Argo CD reports: a full id as given; any other form
/// `git rev-parse` takes (a unique short id, `HEAD~1`, a tag, a branch) resolved in the GitOps
/// repository (the one holding `config`, else the one around the current directory).
pub fn full_revision(rev: &str, config: Option<&Config>) -> Result<String> {
    let rev = rev.trim();
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(rev.to_ascii_lowercase());
    }
    let dir = match config {
        Some(c) => c.root.clone(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let repo = ferry_gitops::Repo::discover(&dir).with_context(|| {
        format!(
            "--revision {rev}: not a full commit id, and no git repository at {} to resolve it in",
            dir.display()
        )
    })?;
    let id = repo
        .resolve(rev)
        .with_context(|| format!("--revision {rev}"))?;
    Ok(id.to_string())
}

fn base_tip(config: &Config) -> Result<String> {
    let repo = ferry_gitops::Repo::discover(&config.root)
        .with_context(|| format!("no git repository at {}", config.root.display()))?;
    let base = &config.forge.base_branch;
    let id = repo
        .resolve(&format!("refs/heads/{base}"))
        .with_context(|| format!("no base branch `{base}`"))?;
    Ok(id.to_string())
}

/// The policy: the configured monitor settings, then the flags.
///
/// `--failures` above the number of checks is refused, as in `ferry.toml`; a failure count
/// that only comes from a default is lowered to the number of checks.
fn policy(args: &WatchArgs, monitor: &Monitor) -> Result<Policy> {
    let span = match (args.duration, args.checks) {
        (Some(d), _) => Some(Span::For(d)),
        (None, checks) => checks.map(Span::Checks),
    };
    let flags = PolicyFlags {
        warmup: args.warmup,
        interval: args.interval,
        span,
        failures: args.failures,
        error_budget: args.error_budget,
        timeout: args.timeout,
    };
    Policy::configured(monitor, &flags).map_err(|e| {
        if e.contains("could never be found unhealthy") {
            let failures = args.failures.unwrap_or(monitor.failures);
            anyhow!("--failures {failures}: {e}; lower --failures or raise --checks")
        } else {
            anyhow!(e)
        }
    })
}

#[cfg(test)]
mod revision_tests {
    use super::full_revision;
    use ferry_test_support::git::{git, init_commit};

    #[test]
    fn revisions_become_full_commit_ids() {
        let tmp = tempfile::tempdir().expect("temp dir");
        std::fs::write(tmp.path().join("a"), "a").expect("write");
        let first = init_commit(tmp.path(), "first", 1_767_225_600);
        std::fs::write(tmp.path().join("a"), "b").expect("write");
        git(tmp.path(), &["commit", "-qam", "second"], 1_767_225_660);
        let config = ferry_config::Config::from_str(
            "[[environment]]\nname = \"dev\"\noverlay = \"dev\"\n",
            tmp.path().join("ferry.toml"),
        )
        .expect("config");
        for rev in [&first[..12], "HEAD~1", "main~1", first.as_str()] {
            assert_eq!(
                full_revision(rev, Some(&config)).expect(rev),
                first,
                "{rev}"
            );
        }
        let e = full_revision("HEAD~9", Some(&config)).unwrap_err();
        assert!(format!("{e:#}").contains("no commit or ref named"), "{e:#}");
    }
}
