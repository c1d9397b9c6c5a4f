//! What the rules share: the sample changes, which jobs build, test and deploy, which token a
//! step uses, what a `ferry` step needs of the token.

use ferry_config::ForgeKind;

use crate::calls::FerryCall;
use crate::filters;
use crate::finding::{Finding, Rule};
use crate::repository::Repository;
use crate::workflow::{Job, Level, Pos, Step, Workflow};

/// The events whose runs report checks on a pull request.
pub(crate) const PULL_REQUEST_EVENTS: [&str; 2] = ["pull_request", "pull_request_target"];

/// The code path tried when no workflow's filters name one.
const DEFAULT_CODE_FILE: &str = "src/main.rs";

/// The repository and the sample changes the rules try.
pub(crate) struct Ctx<'a> {
    pub(crate) repo: &'a Repository,
    /// The base branch.
    pub(crate) base: &'a str,
    /// For each environment, a file of its overlay (`OVERLAY/kustomization.yaml`).
    pub(crate) overlay_files: Vec<(String, String)>,
    /// Paths of code: samples of the `paths:` filters of the workflows that build or test,
    /// outside the overlays and `.github/`; `src/main.rs` when there are none.
    pub(crate) code_files: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(repo: &'a Repository) -> Ctx<'a> {
        let overlays = repo.overlays();
        let overlay_files: Vec<(String, String)> = overlays
            .iter()
            .map(|(env, dir)| (env.clone(), format!("{dir}/kustomization.yaml")))
            .collect();
        let in_overlay = |file: &str| {
            file.starts_with(".github/")
                || overlays
                    .iter()
                    .any(|(_, dir)| file.starts_with(&format!("{dir}/")))
        };
        let mut code_files: Vec<String> = repo
            .workflows
            .iter()
            .filter(|w| w.jobs.iter().any(|j| is_build_job(j) || is_test_job(j)))
            .flat_map(|w| &w.triggers)
            .filter_map(|t| t.paths.as_ref())
            .flatten()
            .filter_map(|p| filters::sample(p))
            .filter(|f| !in_overlay(f))
            .collect();
        code_files.sort();
        code_files.dedup();
        if code_files.is_empty() {
            code_files.push(DEFAULT_CODE_FILE.to_string());
        }
        Ctx {
            repo,
            base: &repo.config.forge.base_branch,
            overlay_files,
            code_files,
        }
    }

    /// The forge a call works through: its `--forge`, else `[forge] kind`.
    pub(crate) fn forge(&self, call: &FerryCall) -> ForgeKind {
        call.values("forge")
            .last()
            .and_then(|f| f.parse().ok())
            .unwrap_or(self.repo.config.forge.kind)
    }

    /// Whether `workflow` runs for a pull request into the base branch changing only `file`.
    pub(crate) fn runs_on_pull_request(&self, workflow: &Workflow, file: &str) -> bool {
        workflow.triggers.iter().any(|t| {
            PULL_REQUEST_EVENTS.contains(&t.event.as_str()) && filters::starts(t, self.base, file)
        })
    }
}

/// A finding in a workflow.
pub(crate) fn finding(file: &str, at: Pos, rule: Rule, message: String) -> Finding {
    Finding {
        file: file.to_string(),
        line: at.line,
        column: at.column,
        rule,
        message,
    }
}

/// Whether a job builds or pushes container images (`ferry build` among them).
pub(crate) fn is_build_job(job: &Job) -> bool {
    job.steps.iter().any(|s| {
        s.calls.iter().any(|c| c.step == "build")
            || matches!(
                s.action(),
                Some("docker/build-push-action" | "redhat-actions/buildah-build")
            )
            || s.run.as_deref().is_some_and(|run| {
                [
                    "docker build",
                    "docker buildx build",
                    "docker push",
                    "buildah bud",
                    "buildah build",
                    "podman build",
                    "ko build",
                ]
                .iter()
                .any(|c| run.contains(c))
            })
    })
}

/// Whether a job runs tests: its id or name says `test`, or a step runs a test command.
pub(crate) fn is_test_job(job: &Job) -> bool {
    let named = job.id.to_lowercase().contains("test")
        || job
            .name
            .as_deref()
            .is_some_and(|n| n.to_lowercase().contains("test"));
    named
        || job.steps.iter().any(|s| {
            s.run.as_deref().is_some_and(|run| {
                [
                    "cargo test",
                    "cargo nextest",
                    "go test",
                    "npm test",
                    "npm run test",
                    "yarn test",
                    "pnpm test",
                    "pytest",
                    "make test",
                    "mvn test",
                    "mvn verify",
                    "gradle test",
                    "dotnet test",
                ]
                .iter()
                .any(|c| run.contains(c))
            })
        })
}

/// Whether a call changes what an environment runs (so two must never run at once).
pub(crate) fn deploys(call: &FerryCall) -> bool {
    if call.has("dry-run") {
        return false;
    }
    call.is("pr", Some("open"))
        || call.is("pr", Some("merge"))
        || (call.is("promote", None) && call.has("to"))
        || call.is("rollback", None)
        || call.is("rollback", Some("release"))
        || (call.step == "rollout"
            && matches!(
                call.sub.as_deref(),
                Some("promote" | "abort" | "retry" | "undo")
            ))
}

/// Whether a call opens a pull request (GitHub) whose checks must run.
pub(crate) fn opens_pull_request(call: &FerryCall) -> bool {
    !call.has("dry-run")
        && (call.is("pr", Some("open"))
            || (call.is("promote", None) && call.has("to"))
            || call.is("rollback", None))
}

/// The token a step works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// The workflow's `GITHUB_TOKEN` (`secrets.GITHUB_TOKEN`, `github.token`): what it does
    /// starts no workflow, and the job's `permissions:` bound it.
    Workflow,
    /// A GitHub App's installation token (a step of `actions/create-github-app-token`, or the
    /// App's key given to Ferry).
    App,
    /// Some other secret (a personal access token).
    Other,
    /// None given.
    Missing,
}

/// The value of the environment variable `name` a step sees (step, job, workflow `env:`).
pub(crate) fn env_var<'w>(
    workflow: &'w Workflow,
    job: &'w Job,
    step: &'w Step,
    name: &str,
) -> Option<&'w str> {
    [&step.env, &job.env, &workflow.env]
        .into_iter()
        .find_map(|env| env.iter().find(|(k, _)| k == name))
        .map(|(_, v)| v.as_str())
}

/// What an expression such as `${{ secrets.GITHUB_TOKEN }}` is, in `job`.
pub(crate) fn token_of(job: &Job, value: &str) -> Token {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("secrets.GITHUB_TOKEN") || compact.contains("github.token") {
        return Token::Workflow;
    }
    if let Some(rest) = compact.split("steps.").nth(1)
        && let Some((id, output)) = rest.split_once(".outputs.")
        && output.starts_with("token")
    {
        let app = job.steps.iter().any(|s| {
            s.id.as_deref() == Some(id)
                && matches!(
                    s.action(),
                    Some("actions/create-github-app-token" | "tibdex/github-app-token")
                )
        });
        return if app { Token::App } else { Token::Other };
    }
    if compact.is_empty() {
        Token::Missing
    } else {
        Token::Other
    }
}

/// The token a `ferry` step uses on GitHub, as `ferry-cli` picks it: an App key, else
/// `FERRY_GITHUB_TOKEN`, else `GITHUB_TOKEN`. On plain git: the credentials
/// `actions/checkout` left (its `token` input, `GITHUB_TOKEN` by default).
pub(crate) fn ferry_token(workflow: &Workflow, job: &Job, step: &Step, forge: ForgeKind) -> Token {
    if forge == ForgeKind::Git {
        let checkout = job
            .steps
            .iter()
            .find(|s| s.action() == Some("actions/checkout"));
        return match checkout.and_then(|c| c.input("token")) {
            Some(token) => token_of(job, token),
            None => Token::Workflow,
        };
    }
    let var = |name| env_var(workflow, job, step, name);
    if var("FERRY_GITHUB_APP_PRIVATE_KEY").is_some()
        || var("FERRY_GITHUB_APP_PRIVATE_KEY_PATH").is_some()
    {
        return Token::App;
    }
    match var("FERRY_GITHUB_TOKEN").or_else(|| var("GITHUB_TOKEN")) {
        Some(value) => token_of(job, value),
        None => Token::Missing,
    }
}

/// The scopes of the permissions a `ferry` call needs of its token, with the least access.
pub(crate) fn needs(call: &FerryCall, forge: ForgeKind) -> Vec<(&'static str, Level)> {
    use Level::{Read, Write};
    let dry = call.has("dry-run");
    let sub = call.sub.as_deref();
    // `ferry diff` reads the repository; its comment goes to GitHub whatever the forge.
    if call.is("diff", None) {
        return if call.has("comment") {
            vec![("contents", Read), ("pull-requests", Write)]
        } else {
            vec![("contents", Read)]
        };
    }
    if forge == ForgeKind::Git {
        let writes = match call.step.as_str() {
            "pr" => matches!(sub, Some("open" | "merge" | "close" | "cleanup")),
            "promote" | "rollback" => sub != Some("holds"),
            "ledger" => sub == Some("mark-verified"),
            "monitor" => call.has("verify"),
            _ => false,
        };
        return vec![("contents", if writes && !dry { Write } else { Read })];
    }
    let mut out = match (call.step.as_str(), sub) {
        ("pr", Some("open")) if dry => vec![("contents", Read), ("pull-requests", Read)],
        ("pr", Some("open" | "merge" | "close")) => {
            vec![("contents", Write), ("pull-requests", Write)]
        }
        ("pr", Some("cleanup")) => vec![("contents", Write), ("pull-requests", Read)],
        ("pr", _) => vec![("contents", Read), ("pull-requests", Read)],
        ("promote", _) => {
            let mut out = if !call.has("to") {
                vec![("contents", Read)]
            } else if dry {
                vec![
                    ("contents", Read),
                    ("pull-requests", Read),
                    ("statuses", Read),
                ]
            } else {
                vec![
                    ("contents", Write),
                    ("pull-requests", Write),
                    ("statuses", Read),
                    ("deployments", Write),
                ]
            };
            if call.has("mark-verified") && !dry {
                out.push(("statuses", Write));
            }
            out
        }
        ("rollback", None) if dry => vec![
            ("contents", Read),
            ("pull-requests", Read),
            ("statuses", Read),
        ],
        ("rollback", None) => vec![
            ("contents", Write),
            ("pull-requests", Write),
            ("statuses", Read),
            ("deployments", Write),
        ],
        ("rollback", Some("release")) => vec![("contents", Write)],
        ("rollback", _) => vec![("contents", Read)],
        ("ledger", Some("mark-verified")) => vec![("contents", Read), ("statuses", Write)],
        ("ledger", _) => vec![("contents", Read), ("statuses", Read)],
        ("monitor", _) if call.has("verify") => vec![
            ("contents", Read),
            ("statuses", Write),
            ("deployments", Write),
        ],
        _ => Vec::new(),
    };
    // The highest level asked for each scope.
    out.sort_by(|a, b| a.0.cmp(b.0).then(b.1.cmp(&a.1)));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}
