//! Builds on the real Docker Engine (`FROM scratch`: no image can be pulled here), pushed to
//! real `docker-registry` instances. Without docker, docker-registry or skopeo these tests skip
//! with a notice, and fail when CI is set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use ferry_image::reference::Reference;
use ferry_image::registry::{
    ClientOptions, CredentialSource, Credentials, ImageRef, RegistryClient,
};
use ferry_test_support::registry::TestRegistry;
use ferry_test_support::{require_docker, require_tool, run_ok};
use serde_json::Value;

use crate::{ferry_build, write};

/// A context with a `.dockerignore` (an exception included) in a git repository whose origin
/// is a GitHub URL; returns the commit.
fn context(dir: &Path) -> String {
    write(
        dir,
        &[
            (
                "Dockerfile",
                "FROM scratch\nARG FLAVOUR=plain\nCOPY . /ctx/\nLABEL flavour=$FLAVOUR\n",
            ),
            (
                ".dockerignore",
                "*.log\nsecrets\n!secrets/public.txt\n.git\n",
            ),
            ("app.txt", "the app\n"),
            ("debug.log", "ignored\n"),
            ("secrets/key.pem", "ignored\n"),
            ("secrets/public.txt", "kept by an exception\n"),
            ("src/trace.log", "kept: *.log only matches at the root\n"),
        ],
    );
    let commit = ferry_test_support::git::init_commit(dir, "app", 1_700_000_000);
    ferry_test_support::git::git(
        dir,
        &["remote", "add", "origin", "git@github.com:acme/shop.git"],
        1_700_000_000,
    );
    commit
}

/// The files of the image `tag`, from `docker save`: every layer's paths.
fn image_files(docker: &Path, tag: &str) -> BTreeSet<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("image.tar");
    run_ok(
        Command::new(docker)
            .args(["save", "-o"])
            .arg(&archive)
            .arg(tag),
    );
    let bytes = std::fs::read(&archive).expect("image archive");
    let mut files = BTreeSet::new();
    let mut outer = tar::Archive::new(bytes.as_slice());
    for entry in outer.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        if !path.ends_with("layer.tar") {
            continue;
        }
        let mut layer = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut layer).expect("layer");
        for file in tar::Archive::new(layer.as_slice())
            .entries()
            .expect("layer entries")
        {
            let file = file.expect("layer entry");
            files.insert(file.path().expect("path").to_string_lossy().into_owned());
        }
    }
    files
}

fn skopeo_digest(skopeo: &Path, tag: &str, creds: Option<&str>) -> String {
    let mut cmd = Command::new(skopeo);
    cmd.args(["inspect", "--tls-verify=false"]);
    if let Some(creds) = creds {
        cmd.args(["--creds", creds]);
    }
    let out = run_ok(cmd.arg(format!("docker://{tag}")));
    let value: Value = serde_json::from_str(&out).expect("skopeo JSON");
    value["Digest"].as_str().expect("Digest").to_owned()
}

/// `ferry image digest`'s answer: the same registry client and call.
fn ferry_image_digest(tag: &str, credentials: Option<Credentials>) -> String {
    let source = match credentials {
        Some(c) => CredentialSource::anonymous().with_explicit(c),
        None => CredentialSource::anonymous(),
    };
    let client = RegistryClient::new(ClientOptions::default(), source);
    let image = ImageRef::from(&Reference::parse_normalized(tag).expect("reference"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(client.digest(&image, None))
        .expect("digest")
        .digest
}

/// Removes the local images of these tags when dropped, also when a test fails.
struct Cleanup {
    docker: PathBuf,
    tags: Vec<String>,
}

impl Cleanup {
    fn new(docker: &Path, tags: &[&str]) -> Self {
        Self {
            docker: docker.to_path_buf(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new(&self.docker)
            .arg("rmi")
            .args(&self.tags)
            .output();
    }
}

struct Tools {
    docker: PathBuf,
    skopeo: PathBuf,
}

fn tools() -> Option<Tools> {
    Some(Tools {
        docker: require_docker()?,
        skopeo: require_tool("skopeo")?,
    })
}

#[test]
fn builds_pushes_two_tags_and_reports_the_digest_the_registry_stores() {
    let Some(tools) = tools() else { return };
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let commit = context(dir.path());
    let outputs = dir.path().join("github-output");
    let summary = dir.path().join("summary.md");
    let first = format!("{}/acme/shop:1.0.0", registry.host());
    let second = format!("{}/acme/shop:latest", registry.host());
    let _cleanup = Cleanup::new(&tools.docker, &[&first, &second]);
    let out = ferry_build()
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("CI", "true")
        .args(["-t", &first, "-t", &second, "--format", "json"])
        .args(["--build-arg", "FLAVOUR=spicy", "--version-label", "1.0.0"])
        .args(["--now", "2026-12-01T10:00:00Z"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let digest = report["digest"].as_str().expect("digest").to_owned();
    assert!(digest.starts_with("sha256:"), "{report}");
    assert_eq!(
        report["image"],
        format!("{}/acme/shop@{digest}", registry.host())
    );
    assert_eq!(report["tags"], serde_json::json!([first, second]));
    let id = report["id"].as_str().expect("id");
    assert!(id.starts_with("sha256:"));
    assert!(report["size"].as_u64().expect("size") > 0);

    // The digest the registry stores, read three ways.
    for tag in [&first, &second] {
        assert_eq!(skopeo_digest(&tools.skopeo, tag, None), digest, "{tag}");
        assert_eq!(ferry_image_digest(tag, None), digest, "{tag}");
    }

    // Plain progress lines in CI: each step, the pushes.
    // The Dockerfile's steps, then one per label the engine adds.
    assert!(stderr.contains("Step 3/10 : COPY . /ctx/"), "{stderr}");
    assert!(
        stderr.contains(&format!("pushed {first} ({digest})")),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "{stderr}");

    // The labels, through ferry-image's metadata code.
    let labels = run_ok(
        Command::new(&tools.docker)
            .args(["inspect", "--format", "{{json .Config.Labels}}"])
            .arg(&first),
    );
    let labels: Value = serde_json::from_str(&labels).expect("labels");
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://github.com/acme/shop"
    );
    assert_eq!(labels["org.opencontainers.image.revision"], commit.as_str());
    assert_eq!(labels["org.opencontainers.image.version"], "1.0.0");
    assert_eq!(
        labels["org.opencontainers.image.created"],
        "2026-12-01T10:00:00.000Z"
    );
    assert_eq!(labels["flavour"], "spicy");

    // What .dockerignore excludes is neither in the context nor in the image.
    let files = image_files(&tools.docker, &first);
    for kept in [
        "ctx/app.txt",
        "ctx/secrets/public.txt",
        "ctx/src/trace.log",
        "ctx/Dockerfile",
    ] {
        assert!(files.contains(kept), "{kept} missing from {files:?}");
    }
    for ignored in ["ctx/debug.log", "ctx/secrets/key.pem", "ctx/.git/HEAD"] {
        assert!(!files.contains(ignored), "{ignored} in {files:?}");
    }

    // Step outputs and the job summary.
    let written = std::fs::read_to_string(&outputs).expect("GITHUB_OUTPUT");
    assert!(written.contains(&digest), "{written}");
    assert!(written.contains(&second), "{written}");
    assert!(written.contains("imageid<<"), "{written}");
    assert!(written.contains(id), "{written}");
    let summary = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        summary.contains(&format!("{}/acme/shop@{digest}", registry.host())),
        "{summary}"
    );
}

#[test]
fn a_broken_dockerfile_exits_1_naming_the_failing_step() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            (
                "Dockerfile",
                "FROM scratch\nCOPY app.txt /\nCOPY missing.txt /\n",
            ),
            ("app.txt", "app\n"),
        ],
    );
    let out = ferry_build()
        .args([
            "-t",
            "ferry-build-test/broken:1",
            "--no-push",
            "--format",
            "json",
        ])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ferry-build: error: step 3/4 `COPY missing.txt /` failed: COPY failed"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["error"]["kind"], "build");
    assert_eq!(report["error"]["step"], 3);
    assert_eq!(report["error"]["instruction"], "COPY missing.txt /");

    // A Dockerfile the engine cannot parse is refused before any step: exit 1 too.
    write(dir.path(), &[("Dockerfile", "FROM scratch\nFOO bar\n")]);
    ferry_build()
        .args(["-t", "ferry-build-test/broken:1", "--no-push"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("unknown instruction: FOO"));
    drop(tools);
}

/// A secret build argument that the engine echoes in an error shows masked.
#[test]
fn a_secret_build_argument_never_shows() {
    let Some(_tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[(
            "Dockerfile",
            "FROM scratch\nARG FERRY_TEST_BUILD_TOKEN\nCOPY $FERRY_TEST_BUILD_TOKEN /\n",
        )],
    );
    let secret = "s3cr3t-build-value";
    let out = ferry_build()
        .env("FERRY_TEST_BUILD_TOKEN", secret)
        .env("FERRY_LOG", "debug")
        .args(["-t", "ferry-build-test/secret:1", "--no-push"])
        .args(["--secret-build-arg", "FERRY_TEST_BUILD_TOKEN"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(secret), "{all}");
    assert!(all.contains("***"), "{all}");
}

#[test]
fn htpasswd_credentials_push_and_never_show() {
    let Some(tools) = tools() else { return };
    let (user, password) = ("ferry-user", "pa55-w0rd-for-build");
    let Some(registry) = TestRegistry::start_with_auth(user, password) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    context(dir.path());
    let tag = format!("{}/private/app:2.0", registry.host());
    let _cleanup = Cleanup::new(&tools.docker, &[&tag]);
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let check = |out: &std::process::Output| {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(password), "{all}");
        assert!(!all.contains(&encoded), "{all}");
        all
    };

    // Without credentials the registry refuses: exit 3, kind authentication.
    let out = ferry_build()
        .args(["-t", &tag, "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    check(&out);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["error"]["kind"], "authentication", "{report}");

    let out = ferry_build()
        .env("FERRY_REGISTRY_USERNAME", user)
        .env("FERRY_REGISTRY_PASSWORD", password)
        .env("FERRY_LOG", "debug")
        .args(["-t", &tag, "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let all = check(&out);
    assert!(out.status.success(), "{all}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let digest = report["digest"].as_str().expect("digest");
    let creds = format!("{user}:{password}");
    assert_eq!(skopeo_digest(&tools.skopeo, &tag, Some(&creds)), digest);
    assert_eq!(
        ferry_image_digest(&tag, Some(Credentials::basic(user, password))),
        digest
    );
}

#[test]
fn a_terminal_gets_redrawn_progress() {
    let Some(tools) = tools() else { return };
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[("Dockerfile", "FROM scratch\nCOPY a /a\n"), ("a", "a\n")],
    );
    let tag = format!("{}/tty/app:1", registry.host());
    let _cleanup = Cleanup::new(&tools.docker, &[&tag]);
    let out = ferry_build()
        .args(["-t", &tag, "--progress", "tty"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("\x1b[1mStep 2/"), "{stderr:?}");
    assert!(stderr.contains("\r\x1b[2K"), "{stderr:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("image: {}/tty/app@sha256:", registry.host())),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("\n  {tag}")), "{stdout}");
}

/// `--file` outside the context, `--target` and `--platform` reach the engine.
#[test]
fn file_target_and_platform_are_passed_on() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let context = dir.path().join("context");
    write(&context, &[("a", "a\n"), ("b", "b\n")]);
    let dockerfile = dir.path().join("Build.Dockerfile");
    std::fs::write(
        &dockerfile,
        "FROM scratch AS base\nCOPY a /a\nFROM base AS final\nCOPY b /b\n",
    )
    .expect("write");
    let tag = "ferry-build-test/target:1";
    let _cleanup = Cleanup::new(&tools.docker, &[tag]);
    ferry_build()
        .args(["-t", tag, "--no-push", "--target", "base"])
        .args(["--platform", "linux/arm64", "-f"])
        .arg(&dockerfile)
        .arg(&context)
        .assert()
        .success();
    let files = image_files(&tools.docker, tag);
    assert!(files.contains("a"), "{files:?}");
    assert!(!files.contains("b"), "{files:?}");
    let arch = run_ok(
        Command::new(&tools.docker)
            .args(["inspect", "--format", "{{.Os}}/{{.Architecture}}"])
            .arg(tag),
    );
    assert_eq!(arch.trim(), "linux/arm64");
}
