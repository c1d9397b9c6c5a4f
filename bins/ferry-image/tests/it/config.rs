//! `ferry-image` with `[registries."HOST"]` of ferry.toml, against real `docker-registry`.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use ferry_image::registry::{
    ClientOptions, CredentialSource, Credentials, ImageBuild, ImageRef, RegistryClient,
};
use ferry_test_support::registry::TestRegistry;

fn push(registry: &TestRegistry, repository: &str, tag: &str) -> String {
    let credentials = match registry.credentials() {
        Some((u, p)) => CredentialSource::anonymous().with_explicit(Credentials::basic(u, p)),
        None => CredentialSource::anonymous(),
    };
    // Loopback: plain HTTP without being told.
    let client = RegistryClient::new(ClientOptions::default(), credentials);
    let build = ImageBuild::new("linux/amd64".parse().unwrap(), vec![b"layer".to_vec()]);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(client.push_image(
            &ImageRef::new(registry.host(), repository).with_tag(tag),
            &build,
        ))
        .unwrap()
}

/// `ferry-image` in `dir`, with no plain-HTTP list, credentials or docker config from outside.
fn ferry_image(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry-image").unwrap();
    cmd.current_dir(dir)
        .env_remove("FERRY_PLAIN_HTTP")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("FERRY_REGISTRY_USERNAME")
        .env_remove("FERRY_REGISTRY_PASSWORD")
        .env_remove("FERRY_REGISTRY_TOKEN")
        .env("DOCKER_CONFIG", "/nonexistent/ferry-test-docker-config");
    cmd
}

fn run(cmd: &mut Command) -> (Output, Duration) {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    (out, started.elapsed())
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn loopback_registries_use_plain_http_by_default() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let digest = push(&registry, "team/app", "1.0.0");
    let dir = tempfile::tempdir().unwrap();
    let (out, _) =
        run(ferry_image(dir.path())
            .args(["digest", &format!("{}/team/app:1.0.0", registry.host())]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), digest);
}

#[test]
fn https_against_a_plain_http_registry_says_what_to_do_at_once() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    push(&registry, "team/app", "1.0.0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.toml"),
        format!(
            "[[environment]]\nname = \"dev\"\noverlay = \"o/dev\"\n\n[registries.\"{}\"]\nplain-http = false\n",
            registry.host()
        ),
    )
    .unwrap();
    let (out, took) =
        run(ferry_image(dir.path())
            .args(["exists", &format!("{}/team/app:1.0.0", registry.host())]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains(&format!("--plain-http {}", registry.host())),
        "{said}"
    );
    assert!(said.contains("plain-http = true"), "{said}");
    assert!(!said.contains("retrying"), "not retried: {said}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn a_name_that_does_not_resolve_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (out, took) = run(ferry_image(dir.path())
        .env("FERRY_LOG", "warn")
        .args(["exists", "registry.does-not-exist.invalid/team/app:1.0.0"]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("does not resolve"), "{said}");
    assert!(!said.contains("retrying"), "{said}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn credentials_come_from_the_variables_the_configuration_names() {
    let Some(registry) = TestRegistry::start_with_auth("ferry", "s3cret-pw") else {
        return;
    };
    push(&registry, "team/app", "2.0.0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.toml"),
        format!(
            "[[environment]]\nname = \"dev\"\noverlay = \"o/dev\"\n\n[registries.\"{}\"]\nusername-env = \"REG_USER\"\npassword-env = \"REG_PASSWORD\"\n",
            registry.host()
        ),
    )
    .unwrap();
    let reference = format!("{}/team/app:2.0.0", registry.host());
    let (out, _) = run(ferry_image(dir.path())
        .env("REG_USER", "ferry")
        .env("REG_PASSWORD", "s3cret-pw")
        .args(["exists", &reference]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Without the variable: the file and the variable are named, no request is made.
    let (out, _) = run(ferry_image(dir.path())
        .env_remove("REG_USER")
        .env("REG_PASSWORD", "s3cret-pw")
        .args(["exists", &reference]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("ferry.toml:5:"), "{said}");
    assert!(said.contains("REG_USER is not set"), "{said}");
    // Anonymous: refused by the registry.
    let other = tempfile::tempdir().unwrap();
    let (out, _) = run(ferry_image(other.path()).args(["exists", &reference]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}
