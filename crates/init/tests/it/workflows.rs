//! The generated workflows: actionlint and zizmor (offline, default persona) find nothing; every
//! action is pinned to a listed release SHA; every `ferry` step names a binary the workflow
//! installs; least privilege, concurrency and App tokens where the rules say.

use std::path::Path;
use std::process::Command;

use ferry_init::{ACTIONS, FERRY_PACKAGES, File, Options, generate};
use ferry_kustomize::documents::parse_documents;
use ferry_test_support::require_tool;
use serde_json::Value;

use crate::cases;

/// The cases that have workflows (the GitHub forge).
fn github_cases() -> Vec<(&'static str, Options)> {
    vec![
        ("default", cases::default()),
        ("github_two_plain", cases::github_two_plain()),
    ]
}

fn workflows(options: &Options) -> Vec<File> {
    generate(options)
        .into_iter()
        .filter(|f| f.path.starts_with(".github/workflows/"))
        .collect()
}

fn parsed(file: &File) -> Value {
    let mut documents = parse_documents(&file.contents, &file.path).expect("a workflow parses");
    assert_eq!(documents.len(), 1, "{}", file.path);
    documents.remove(0)
}

/// Runs `program args DIR/.github/workflows/*.yml`; `(success, output)`.
fn lint(program: &Path, args: &[&str], dir: &Path) -> (bool, String) {
    let mut files: Vec<_> = std::fs::read_dir(dir.join(".github/workflows"))
        .expect("the workflows directory")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    let out = Command::new(program)
        .args(args)
        .args(&files)
        .current_dir(dir)
        .output()
        .expect("run the linter");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A workflow each linter must flag: an unpinned action, a token with default permissions and
/// an expression expanded in a script; an undefined output.
const BAD_WORKFLOW: &str = "name: bad
on:
  pull_request_target:
jobs:
  bad:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo \"${{ github.event.pull_request.title }}\" ${{ steps.nope.outputs.x }}
";

fn bad_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::write(dir.path().join(".github/workflows/bad.yml"), BAD_WORKFLOW).unwrap();
    dir
}

#[test]
fn actionlint_finds_nothing() {
    let Some(actionlint) = require_tool("actionlint") else {
        return;
    };
    let (clean, output) = lint(&actionlint, &[], bad_repository().path());
    assert!(!clean, "actionlint accepted a broken workflow:\n{output}");
    for (name, options) in github_cases() {
        let dir = tempfile::tempdir().unwrap();
        cases::write(dir.path(), &options);
        let (clean, output) = lint(&actionlint, &[], dir.path());
        assert!(clean, "{name}: actionlint:\n{output}");
    }
}

#[test]
fn zizmor_finds_nothing() {
    let Some(zizmor) = require_tool("zizmor") else {
        return;
    };
    let args = &["--offline"];
    let (clean, output) = lint(&zizmor, args, bad_repository().path());
    assert!(!clean, "zizmor accepted a dangerous workflow:\n{output}");
    for (name, options) in github_cases() {
        let dir = tempfile::tempdir().unwrap();
        cases::write(dir.path(), &options);
        let (clean, output) = lint(&zizmor, args, dir.path());
        assert!(
            clean && output.contains("No findings to report"),
            "{name}: zizmor:\n{output}"
        );
    }
}

/// Every step of every job of `workflow`.
fn steps(workflow: &Value) -> Vec<(&str, &Value)> {
    let jobs = workflow["jobs"].as_object().expect("jobs");
    jobs.iter()
        .flat_map(|(id, job)| {
            job["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .map(move |s| (id.as_str(), s))
        })
        .collect()
}

#[test]
fn actions_are_pinned_to_listed_release_shas() {
    for (name, options) in github_cases() {
        for file in workflows(&options) {
            for line in file.contents.lines().filter(|l| {
                let l = l.trim_start().trim_start_matches("- ");
                l.starts_with("uses:")
            }) {
                let spec = line.split("uses:").nth(1).unwrap().trim();
                let pinned = ACTIONS
                    .iter()
                    .any(|(action, sha, version)| spec == format!("{action}@{sha} # {version}"));
                assert!(pinned, "{name} {}: {line}", file.path);
            }
        }
    }
    for (_, sha, version) in ACTIONS {
        assert_eq!(sha.len(), 40, "{version}");
        assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}

#[test]
fn every_ferry_step_names_an_installed_binary() {
    for (name, options) in github_cases() {
        for file in workflows(&options) {
            let workflow = parsed(&file);
            for (job, step) in steps(&workflow) {
                let Some(script) = step["run"].as_str() else {
                    continue;
                };
                assert!(
                    !script.contains("${{"),
                    "{name} {} {job}: an expression expanded in a script: {script}",
                    file.path
                );
                let installed: Vec<&str> = workflow["jobs"][job]["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|s| s["run"].as_str())
                    .filter(|r| r.starts_with("cargo install --locked"))
                    .flat_map(|r| r.split_whitespace())
                    .collect();
                for words in script
                    .split(['\n', '|', ';'])
                    .map(|l| l.split_whitespace().collect::<Vec<_>>())
                {
                    if words.first() != Some(&"ferry") {
                        continue;
                    }
                    let binary = format!("ferry-{}", words[1]);
                    let (package, _) = FERRY_PACKAGES
                        .iter()
                        .find(|(_, b)| *b == binary)
                        .unwrap_or_else(|| panic!("{name} {}: no step {binary}", file.path));
                    assert!(
                        installed.contains(package) && installed.contains(&"ferry"),
                        "{name} {} {job}: runs {binary} but installs {installed:?}",
                        file.path
                    );
                }
            }
        }
    }
}

#[test]
fn least_privilege_concurrency_and_app_tokens() {
    for (name, options) in github_cases() {
        for file in workflows(&options) {
            let workflow = parsed(&file);
            let at = format!("{name} {}", file.path);
            assert_eq!(
                workflow["permissions"],
                serde_json::json!({}),
                "{at}: the workflow grants nothing"
            );
            for (id, job) in workflow["jobs"].as_object().unwrap() {
                assert!(job["permissions"].is_object(), "{at} {id}: no permissions");
                let text = job.to_string();
                let deploys = text.contains("ferry pr open")
                    || (text.contains("ferry promote --to") && !text.contains("--dry-run"))
                    || text.contains("ferry pr merge")
                    || text.contains("ferry monitor watch --verify");
                let concurrency =
                    if workflow["concurrency"].is_object() && file.path.contains("deploy-") {
                        &workflow["concurrency"]
                    } else {
                        &job["concurrency"]
                    };
                if deploys {
                    assert!(
                        concurrency["group"].is_string(),
                        "{at} {id}: deploys without a concurrency group"
                    );
                    assert_eq!(concurrency["cancel-in-progress"], false, "{at} {id}");
                }
                // Whatever opens, merges or reverts a change does it with the App token.
                let changes = text.contains("ferry pr open")
                    || text.contains("ferry pr merge")
                    || text.contains("ferry rollback")
                    || text.contains("--no-auto-merge");
                if changes {
                    let token = job["steps"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|s| s["id"] == "app-token")
                        .unwrap_or_else(|| panic!("{at} {id}: no App token"));
                    assert_eq!(token["with"]["permission-contents"], "write", "{at} {id}");
                    assert_eq!(token["with"]["permission-pull-requests"], "write");
                    assert!(
                        !text.contains("FERRY_GITHUB_TOKEN\":\"${{ github.token }}"),
                        "{at} {id}"
                    );
                }
            }
        }
    }
}

#[test]
fn code_and_gitops_files_start_different_workflows() {
    let options = cases::default();
    let files = workflows(&options);
    let by_path = |p: &str| parsed(files.iter().find(|f| f.path.ends_with(p)).unwrap());
    let gitops = serde_json::json!(["infra/**", "ferry.toml"]);
    assert_eq!(
        by_path("pr.yml")["on"]["pull_request"]["paths-ignore"],
        gitops
    );
    assert_eq!(by_path("ci.yml")["on"]["push"]["paths-ignore"], gitops);
    assert_eq!(
        by_path("gitops-checks.yml")["on"]["pull_request"]["paths"],
        gitops
    );
    assert_eq!(
        by_path("verify.yml")["on"]["push"]["paths"],
        serde_json::json!(["infra/k8s/**"])
    );
    // Both pull-request workflows produce every required check.
    for path in ["pr.yml", "gitops-checks.yml"] {
        let workflow = by_path(path);
        let names: Vec<&str> = workflow["jobs"]
            .as_object()
            .unwrap()
            .values()
            .map(|j| j["name"].as_str().unwrap())
            .collect();
        for check in ferry_init::REQUIRED_CHECKS {
            assert!(names.contains(&check), "{path}: {names:?}");
        }
    }
    // Promotions are dispatched by hand and approved in the GitHub environment.
    for env in ["staging", "prod"] {
        let workflow = by_path(&format!("deploy-{env}.yml"));
        let on = workflow["on"].as_object().unwrap();
        assert_eq!(on.keys().collect::<Vec<_>>(), ["workflow_dispatch"]);
        assert_eq!(workflow["jobs"]["approve"]["environment"], env);
    }
    let prod = by_path("deploy-prod.yml");
    let release = prod["jobs"]["release"].to_string();
    for part in [
        "--warmup 60s --interval 30s --checks 10 --failures 3",
        "ferry rollout promote backend -n shop-prod --wait",
        "ferry rollback --env prod --report report.json",
        "secrets.SLACK_WEBHOOK_URL",
    ] {
        assert!(release.contains(part), "{part}: {release}");
    }
    // prod: smoke tests on the blue-green preview, then the approval of the promotion.
    let smoke = prod["jobs"]["smoke"].to_string();
    assert!(
        smoke.contains("ferry preview smoke --env prod --rollout backend -n shop-prod"),
        "{smoke}"
    );
    assert_eq!(prod["jobs"]["release"]["environment"], "prod");
    assert_eq!(
        prod["jobs"]["release"]["needs"],
        serde_json::json!(["open", "approve", "smoke"])
    );
    // staging: preview up, e2e, load; the approval; preview down always.
    let staging = by_path("deploy-staging.yml");
    let preview: Vec<&str> = staging["jobs"]["preview"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .filter(|r| r.starts_with("ferry preview"))
        .map(|r| r.split(" --").next().unwrap())
        .collect();
    assert_eq!(
        preview,
        [
            "ferry preview up",
            "ferry preview test",
            "ferry preview test"
        ]
    );
    let down = &staging["jobs"]["preview-down"];
    assert!(down["if"].as_str().unwrap().starts_with("always()"));
    assert_eq!(
        down["needs"],
        serde_json::json!(["open", "preview", "approve"])
    );
}
