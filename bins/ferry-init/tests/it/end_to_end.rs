//! End to end: `ferry init` into an empty Git repository, then Ferry's flow on it with the
//! plain-git forge and nothing but the generated `ferry.toml` — the dev change opened and merged,
//! verified by the monitor, promoted to staging and prod, a second release rolled back in
//! staging — with the real binaries and a real registry (`docker-registry`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferry_image::registry::{
    ClientOptions, CredentialSource, ImageBuild, ImageRef, RegistryClient,
};
use ferry_test_support::git::{bare_origin, clone, git};
use ferry_test_support::registry::TestRegistry;
use serde_json::Value;

const SEED_TIME: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// The binaries the flow runs: `ferry STEP` runs `ferry-STEP` beside `ferry`.
const BINARIES: [&str; 8] = [
    "ferry",
    "ferry-init",
    "ferry-validate",
    "ferry-pr",
    "ferry-promote",
    "ferry-monitor",
    "ferry-rollback",
    "ferry-ledger",
];

/// `target/debug`, where `cargo test --workspace` builds every binary (this test runs from
/// `target/debug/deps`); `None` (a skip notice, a failure under CI) when one of `binaries` is
/// missing.
pub(crate) fn bin_dir(binaries: &[&str]) -> Option<PathBuf> {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/debug")
        .to_path_buf();
    let missing: Vec<&str> = binaries
        .iter()
        .copied()
        .filter(|b| !dir.join(b).is_file())
        .collect();
    if missing.is_empty() {
        Some(dir)
    } else {
        ferry_test_support::skip_notice(&format!(
            "binaries not built in {} ({missing:?}); run `cargo test --workspace`",
            dir.display()
        ));
        None
    }
}

struct Flow {
    bins: PathBuf,
    checkout: PathBuf,
    health: String,
}

impl Flow {
    /// `ferry ARGS` in the checkout, as CI would run it: no user git configuration, an identity
    /// from the environment, no GitHub Actions variables.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(self.bins.join("ferry"))
            .args(args)
            .current_dir(&self.checkout)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", &self.checkout)
            .env("GIT_AUTHOR_NAME", "Ferry CI")
            .env("GIT_AUTHOR_EMAIL", "ci@example.com")
            .env("GIT_COMMITTER_NAME", "Ferry CI")
            .env("GIT_COMMITTER_EMAIL", "ci@example.com")
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_EVENT_NAME")
            .env_remove("GITHUB_TOKEN")
            .env_remove("DOCKER_CONFIG")
            .output()
            .expect("run ferry")
    }

    /// `ferry ARGS --format json`, which must succeed; its JSON.
    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "ferry {args:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // One JSON document, or JSON Lines (the monitor's events) whose last line is the answer.
        let stdout = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(&stdout).unwrap_or_else(|_| {
            let last = stdout.lines().last().expect("a JSON line");
            serde_json::from_str(last).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
        })
    }

    /// The monitor watches `env` (a healthy HTTP probe) and records the verification.
    fn verify(&self, env: &str) {
        let verdict = self.json(&[
            "monitor",
            "watch",
            "--verify",
            env,
            "--http",
            &self.health,
            "--warmup",
            "0s",
            "--interval",
            "100ms",
            "--checks",
            "2",
        ]);
        assert_eq!(verdict["event"], "verification", "{verdict}");
        assert_eq!(verdict["verified"], true, "{verdict}");
        assert_eq!(verdict["pushed"], true, "{verdict}");
    }

    /// The backend image `env` runs now, from the ledger.
    fn backend_in(&self, env: &str) -> String {
        git(
            &self.checkout,
            &["pull", "-q", "--ff-only", "origin", "main"],
            SEED_TIME,
        );
        let ledger = self.json(&["ledger", env]);
        ledger["environments"][0]["current"]["images"]["backend/backend"]
            .as_str()
            .unwrap_or_else(|| panic!("no backend in {ledger}"))
            .to_owned()
    }
}

fn push_images(host: &str, tags: &[&str]) {
    let client = RegistryClient::new(
        ClientOptions {
            plain_http: vec![host.to_owned()],
            ..ClientOptions::default()
        },
        CredentialSource::anonymous(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        for repository in ["acme/backend", "acme/frontend"] {
            for tag in tags {
                let build = ImageBuild::new(
                    "linux/amd64".parse().expect("a platform"),
                    vec![format!("{repository}:{tag}").into_bytes()],
                );
                client
                    .push_image(&ImageRef::new(host, repository).with_tag(*tag), &build)
                    .await
                    .expect("push to the test registry");
            }
        }
    });
}

#[test]
fn init_then_the_plain_git_flow_from_the_generated_config() {
    let Some(bins) = bin_dir(&BINARIES) else {
        return;
    };
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let host = registry.host();
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let origin = tmp.path().join("origin.git");

    // An empty repository, then one command.
    let seed = tmp.path().join("seed");
    std::fs::create_dir_all(&seed).expect("the seed directory");
    git(&seed, &["init", "-q", "-b", "main"], SEED_TIME);
    let out = Command::new(bins.join("ferry"))
        .arg("init")
        .arg(&seed)
        .args(["--app", "shop", "--forge", "git"])
        .arg("--repo-url")
        .arg(&origin)
        .arg("--image")
        .arg(format!("backend={host}/acme/backend"))
        .arg("--image")
        .arg(format!("frontend={host}/acme/frontend"))
        .output()
        .expect("run ferry init");
    assert!(
        out.status.success(),
        "ferry init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(&seed, &["add", "-A"], SEED_TIME);
    git(&seed, &["commit", "-q", "-m", "ferry init"], SEED_TIME);
    bare_origin(&seed, &origin, SEED_TIME);
    let checkout = clone(&origin, &tmp.path().join("checkout"), SEED_TIME);
    let health = ferry_test_support::http::serve("200 OK", "ok");
    let flow = Flow {
        bins,
        checkout,
        health: format!("http://{health}/healthz"),
    };

    let validated = flow.json(&["validate"]);
    let overlays = validated["overlays"].as_array().expect("overlays");
    assert_eq!(overlays.len(), 3, "{validated}");
    assert!(overlays.iter().all(|o| o["valid"] == true), "{validated}");

    push_images(&host, &["1.0.0", "1.1.0"]);
    let opened = flow.json(&[
        "pr",
        "open",
        "--env",
        "dev",
        "--image",
        "backend=1.0.0",
        "--image",
        "frontend=1.0.0",
    ]);
    assert_eq!(opened["merged"], true, "dev auto-merges: {opened}");
    flow.verify("dev");
    for (from, to) in [("dev", "staging"), ("staging", "prod")] {
        // A person approves staging and prod (auto-merge = false); here the flag merges.
        let promoted = flow.json(&["promote", "--to", to, "--soak", "0s", "--auto-merge"]);
        assert_eq!(
            promoted["promotion"]["change"]["merged"], true,
            "{from} → {to}: {promoted}"
        );
        flow.verify(to);
    }
    assert_eq!(
        flow.backend_in("prod"),
        format!("{host}/acme/backend:1.0.0")
    );

    // A second release reaches staging and is rolled back to the verified one.
    let opened = flow.json(&[
        "pr",
        "open",
        "--env",
        "dev",
        "--image",
        "backend=1.1.0",
        "--image",
        "frontend=1.1.0",
    ]);
    assert_eq!(opened["merged"], true, "{opened}");
    flow.verify("dev");
    let promoted = flow.json(&["promote", "--to", "staging", "--soak", "0s", "--auto-merge"]);
    assert_eq!(
        promoted["promotion"]["change"]["merged"], true,
        "{promoted}"
    );
    assert_eq!(
        flow.backend_in("staging"),
        format!("{host}/acme/backend:1.1.0")
    );
    let rollback = flow.json(&[
        "rollback",
        "--env",
        "staging",
        "--auto-merge",
        "--reason",
        "end-to-end test",
    ]);
    assert!(
        rollback.to_string().contains("1.0.0"),
        "the rollback goes back to 1.0.0: {rollback}"
    );
    assert_eq!(
        flow.backend_in("staging"),
        format!("{host}/acme/backend:1.0.0")
    );
    assert_eq!(
        flow.backend_in("prod"),
        format!("{host}/acme/backend:1.0.0")
    );
    drop(registry);
}
