//! `ferry-image` against real `docker-registry` instances on 127.0.0.1.

use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use ferry_image::registry::{
    ClientOptions, CredentialSource, Credentials, ImageBuild, ImageRef, RegistryClient,
};
use ferry_test_support::registry::TestRegistry;

/// Pushes a small image (or a two-platform index when `multi_arch`) and returns its digest.
fn push(registry: &TestRegistry, repository: &str, tag: &str, multi_arch: bool) -> String {
    let credentials = match registry.credentials() {
        Some((user, password)) => {
            CredentialSource::anonymous().with_explicit(Credentials::basic(user, password))
        }
        None => CredentialSource::anonymous(),
    };
    let client = RegistryClient::new(
        ClientOptions {
            plain_http: vec![registry.host()],
            ..ClientOptions::default()
        },
        credentials,
    );
    let target = ImageRef::new(registry.host(), repository).with_tag(tag);
    let amd64 = ImageBuild::new(
        "linux/amd64".parse().unwrap(),
        vec![b"layer-amd64".to_vec()],
    );
    let arm64 = ImageBuild::new(
        "linux/arm64".parse().unwrap(),
        vec![b"layer-arm64".to_vec()],
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(async {
            if multi_arch {
                client.push_index(&target, &[amd64, arm64]).await
            } else {
                client.push_image(&target, &amd64).await
            }
        })
        .unwrap()
}

fn ferry_image(registries: &[&TestRegistry]) -> Command {
    let mut cmd = Command::cargo_bin("ferry-image").unwrap();
    let hosts: Vec<String> = registries.iter().map(|r| r.host()).collect();
    cmd.env("FERRY_PLAIN_HTTP", hosts.join(","))
        .env_remove("GITHUB_OUTPUT")
        .env_remove("FERRY_REGISTRY_USERNAME")
        .env_remove("FERRY_REGISTRY_PASSWORD")
        .env_remove("FERRY_REGISTRY_TOKEN")
        .env("DOCKER_CONFIG", "/nonexistent/ferry-test-docker-config")
        .env("RUST_LOG", "warn");
    cmd
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(out)))
}

#[test]
fn exists_and_digest_match_the_pushed_manifest() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let digest = push(&registry, "team/app", "1.0.0", false);
    let reference = format!("{}/team/app:1.0.0", registry.host());

    let out = ferry_image(&[&registry])
        .args(["exists", &reference])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("{reference} exists ({digest})")
    );

    let out = ferry_image(&[&registry])
        .args(["digest", &reference])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), digest);

    let github = tempfile::NamedTempFile::new().unwrap();
    let out = ferry_image(&[&registry])
        .env("GITHUB_OUTPUT", github.path())
        .args(["digest", &reference, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value = json(&out);
    assert_eq!(value["digest"], digest.as_str());
    assert_eq!(value["reference"], reference.as_str());
    assert_eq!(
        std::fs::read_to_string(github.path()).unwrap(),
        format!("digest={digest}\n")
    );

    let out = ferry_image(&[&registry])
        .args([
            "--format",
            "json",
            "exists",
            &format!("{reference}@{digest}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["exists"], true);
}

#[test]
fn digest_of_one_platform_of_a_multi_arch_image() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let index = push(&registry, "multi", "v1", true);
    let reference = format!("{}/multi:v1", registry.host());
    let arm64 = ImageBuild::new(
        "linux/arm64".parse().unwrap(),
        vec![b"layer-arm64".to_vec()],
    );

    let out = ferry_image(&[&registry])
        .args([
            "digest",
            &reference,
            "--platform",
            "linux/arm64",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value = json(&out);
    assert_eq!(value["digest"], arm64.digest().as_str());
    assert_eq!(value["index_digest"], index.as_str());
    assert_eq!(value["platform"]["architecture"], "arm64");

    let out = ferry_image(&[&registry])
        .args(["digest", &reference, "--platform", "windows/amd64"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "no image for platform windows/amd64 (the index lists: linux/amd64, linux/arm64)"
        ),
        "{}",
        stderr(&out)
    );

    let out = ferry_image(&[&registry])
        .args(["digest", &reference, "--platform", "linux"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_missing_tag_exits_1_with_a_clear_message() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    push(&registry, "team/app", "1.0.0", false);
    let missing = format!("{}/team/app:2.0.0", registry.host());
    for command in ["exists", "digest"] {
        let out = ferry_image(&[&registry])
            .args([command, &missing])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).trim(),
            format!("error: {missing}: not found in the registry")
        );
    }
    let out = ferry_image(&[&registry])
        .args(["exists", &missing, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let error = &json(&out)["error"];
    assert_eq!(error["kind"], "not-found");
    assert_eq!(error["exit_code"], 1);
    assert_eq!(
        error["message"],
        format!("{missing}: not found in the registry")
    );
}

#[test]
fn copy_keeps_the_digest_within_and_across_registries() {
    let Some(first) = TestRegistry::start() else {
        return;
    };
    let Some(second) = TestRegistry::start() else {
        return;
    };
    let digest = push(&first, "team/app", "sha-1234567", true);
    let source = format!("{}/team/app:sha-1234567", first.host());

    let github = tempfile::NamedTempFile::new().unwrap();
    let staging = format!("{}/team/app:staging", first.host());
    let out = ferry_image(&[&first, &second])
        .env("GITHUB_OUTPUT", github.path())
        .args(["copy", &source, &staging])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!("copied {source} to {staging} ({digest})")));
    assert_eq!(
        std::fs::read_to_string(github.path()).unwrap(),
        format!("digest={digest}\n")
    );

    let mirror = format!("{}/mirror/app:1.0.0", second.host());
    let out = ferry_image(&[&first, &second])
        .args(["copy", &source, &mirror, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["digest"], digest.as_str());
    assert_eq!(report["manifests"], 3);
    assert_eq!(report["blobs_copied"], 4);

    for copied in [&staging, &mirror] {
        let out = ferry_image(&[&first, &second])
            .args(["digest", copied])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), digest, "{copied}");
    }

    // By digest only: the destination gets the same digest and no tag.
    let by_digest = format!("{}/pinned/app", second.host());
    let out = ferry_image(&[&first, &second])
        .args(["copy", &format!("{source}@{digest}"), &by_digest])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = ferry_image(&[&second])
        .args(["exists", &format!("{by_digest}@{digest}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_stopped_registry_exits_3_within_30_seconds() {
    let Some(mut registry) = TestRegistry::start() else {
        return;
    };
    let reference = format!("{}/team/app:1.0.0", registry.host());
    registry.stop();
    let started = Instant::now();
    let out = ferry_image(&[&registry])
        .args(["exists", &reference])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "error: {}: registry unavailable after 4 attempt(s)",
            registry.host()
        )),
        "{err}"
    );
    assert_eq!(
        err.matches("retrying").count(),
        3,
        "three retries are logged: {err}"
    );
}

#[test]
fn wrong_password_is_an_authentication_error_and_secrets_never_show() {
    let password = "s3cr3t-Passw0rd-for-ferry";
    let Some(registry) = TestRegistry::start_with_auth("ferry", password) else {
        return;
    };
    let digest = push(&registry, "private/app", "1", false);
    let reference = format!("{}/private/app:1", registry.host());
    let wrong = "wr0ng-Passw0rd-for-ferry";
    let token = "t0ken-value-for-ferry-tests";
    let mut outputs = Vec::new();

    // The right password, from the environment and from stdin.
    let out = ferry_image(&[&registry])
        .env("FERRY_REGISTRY_PASSWORD", password)
        .env("RUST_LOG", "trace")
        .args(["digest", &reference, "--username", "ferry"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().last(), Some(digest.as_str()));
    outputs.push(out);
    let out = ferry_image(&[&registry])
        .write_stdin(format!("{password}\n"))
        .args([
            "exists",
            &reference,
            "--username",
            "ferry",
            "--password-stdin",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    outputs.push(out);

    // A wrong password.
    let out = ferry_image(&[&registry])
        .env("FERRY_REGISTRY_PASSWORD", wrong)
        .env("RUST_LOG", "trace")
        .args(["exists", &reference, "--username", "ferry"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "error: {}: authentication failed: the registry rejected the configured credentials",
            registry.host()
        )),
        "{}",
        stderr(&out)
    );
    outputs.push(out);

    // No credentials at all, then a bearer token the registry does not accept.
    let out = ferry_image(&[&registry])
        .args(["exists", &reference])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("requires credentials and none are configured"),
        "{}",
        stderr(&out)
    );
    let out = ferry_image(&[&registry])
        .env("FERRY_REGISTRY_TOKEN", token)
        .env("RUST_LOG", "trace")
        .args(["exists", &reference, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json(&out)["error"]["kind"], "authentication");
    outputs.push(out);

    // Credentials from docker's config.json.
    let docker = tempfile::tempdir().unwrap();
    std::fs::write(
        docker.path().join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"username": "ferry", "password": "{password}"}}}}}}"#,
            registry.host()
        ),
    )
    .unwrap();
    let out = ferry_image(&[&registry])
        .env("DOCKER_CONFIG", docker.path())
        .env("RUST_LOG", "trace")
        .args(["tags", &format!("{}/private/app", registry.host())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().last(), Some("1"));
    outputs.push(out);

    // --help shows no secret from the environment either.
    let out = ferry_image(&[&registry])
        .env("FERRY_REGISTRY_PASSWORD", password)
        .env("FERRY_REGISTRY_TOKEN", token)
        .arg("--help")
        .output()
        .unwrap();
    outputs.push(out);

    for out in &outputs {
        let all = format!("{}{}", stdout(out), stderr(out));
        for secret in [password, wrong, token] {
            assert!(!all.contains(secret), "a secret leaked:\n{all}");
        }
    }
}

#[test]
fn credentials_from_a_docker_credential_helper() {
    let password = "helper-Passw0rd-for-ferry";
    let Some(registry) = TestRegistry::start_with_auth("helped", password) else {
        return;
    };
    let digest = push(&registry, "private/app", "1", false);
    let reference = format!("{}/private/app:1", registry.host());
    let dir = tempfile::tempdir().unwrap();
    let helper = dir.path().join("docker-credential-ferrytest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\nif [ \"$1\" = get ] && [ \"$server\" = \"{host}\" ]; then\n  \
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"helped\",\"Secret\":\"{password}\"}}' \"$server\"\n\
             else\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
            host = registry.host()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"credsStore": "ferrytest"}"#,
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let out = ferry_image(&[&registry])
        .env("PATH", &path)
        .env("DOCKER_CONFIG", dir.path())
        .env("RUST_LOG", "trace")
        .args(["digest", &reference])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().last(), Some(digest.as_str()));
    assert!(!format!("{}{}", stdout(&out), stderr(&out)).contains(password));

    // A helper that is configured but missing is a clear credentials error.
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"credsStore": "absent"}"#,
    )
    .unwrap();
    let out = ferry_image(&[&registry])
        .env("DOCKER_CONFIG", dir.path())
        .args(["exists", &reference])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("credential helper docker-credential-absent"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tags_lists_a_repository() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    for tag in ["1.0.0", "1.2.0", "1.10.0"] {
        push(&registry, "team/app", tag, false);
    }
    let repo = format!("{}/team/app", registry.host());
    let out = ferry_image(&[&registry])
        .args(["tags", &repo])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "1.0.0\n1.10.0\n1.2.0\n");
    let out = ferry_image(&[&registry])
        .args(["tags", &repo, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json(&out)["tags"],
        serde_json::json!(["1.0.0", "1.10.0", "1.2.0"])
    );
    let out = ferry_image(&[&registry])
        .args(["tags", &format!("{repo}:1.0.0")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn tags_picks_the_newest_by_policy() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    for tag in [
        "v1.0.0",
        "v1.9.0",
        "v1.10.0",
        "v2.0.0-rc.1",
        "v2.0.0",
        "build-41",
        "build-100",
        "latest",
    ] {
        push(&registry, "team/app", tag, false);
    }
    let repo = format!("{}/team/app", registry.host());
    let newest = |args: &[&str]| {
        let out = ferry_image(&[&registry])
            .args(["tags", &repo])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            stdout(&out).trim().to_owned(),
            stderr(&out),
        )
    };
    assert_eq!(newest(&["--policy", "semver:>=1.0.0"]).1, "v2.0.0");
    assert_eq!(newest(&["--policy", "semver:<2"]).1, "v1.10.0");
    assert_eq!(
        newest(&["--policy", "semver-pre:>=2.0.0-0 <2.0.0"]).1,
        "v2.0.0-rc.1"
    );
    assert_eq!(
        newest(&[
            "--policy",
            "numerical",
            "--filter",
            "^build-(?P<n>[0-9]+)$",
            "--extract",
            "$n"
        ])
        .1,
        "build-100"
    );
    assert_eq!(
        newest(&[
            "--policy",
            "alphabetical",
            "--ignore",
            "v*",
            "--ignore",
            "latest"
        ])
        .1,
        "build-41"
    );
    assert_eq!(newest(&["--filter", "^v1"]).1, "v1.0.0\nv1.10.0\nv1.9.0");
    let (code, _, err) = newest(&["--policy", "semver:>=3"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("passes the filter and policy"), "{err}");
    let (code, _, err) = newest(&["--policy", "newest"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown tag policy"), "{err}");

    let github = tempfile::NamedTempFile::new().unwrap();
    let out = ferry_image(&[&registry])
        .env("GITHUB_OUTPUT", github.path())
        .args(["tags", &repo, "--policy", "semver:^1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value = json(&out);
    assert_eq!(value["tag"], "v1.10.0");
    assert_eq!(value["image"], format!("{repo}:v1.10.0").as_str());
    assert_eq!(
        value["candidates"],
        serde_json::json!(["v1.0.0", "v1.9.0", "v1.10.0"])
    );
    assert_eq!(
        std::fs::read_to_string(github.path()).unwrap(),
        format!("tag=v1.10.0\nimage={repo}:v1.10.0\n")
    );
}

#[test]
fn parse_normalises_without_network() {
    let out = Command::cargo_bin("ferry-image")
        .unwrap()
        .args(["parse", "nginx:1.27", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value = json(&out);
    assert_eq!(value["reference"], "docker.io/library/nginx:1.27");
    assert_eq!(value["familiar"], "nginx:1.27");
    assert_eq!(value["domain"], "docker.io");
    assert_eq!(value["path"], "library/nginx");
    assert_eq!(value["tag"], "1.27");

    let out = Command::cargo_bin("ferry-image")
        .unwrap()
        .args(["parse", "Nginx:latest"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: invalid reference `Nginx:latest`"),
        "{}",
        stderr(&out)
    );
}
