//! Issue 12, break 5: a GitHub API that answers 500 with the request's `Authorization` header
//! in its body never makes `ferry-pr` print the token, an installation token it minted, or the
//! GitHub App's JWT, at any log level.

use std::net::SocketAddr;
use std::path::Path;

use ferry_test_support::git::{binary_in, blueprint_origin, clone};
use ferry_test_support::http::{Answer, serve_answers};

const T0: i64 = 1_767_225_600;
const TOKEN: &str = "github-t0ken-for-the-test-0123";
const ISSUED: &str = "minted-installation-t0ken-4567";

/// What the stand-in GitHub answers.
#[derive(Clone, Copy, Debug)]
enum Api {
    /// Every request: 500 (with `retry-after: 0`) echoing the `Authorization` header.
    Echo { json: bool },
    /// GitHub App endpoints work (installation, token minting); everything else echoes.
    AppThenEcho,
}

fn github(api: Api) -> SocketAddr {
    serve_answers(move |request| {
        let line = request.lines().next().unwrap_or_default();
        let authorization = request
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .unwrap_or("authorization: (none)");
        if matches!(api, Api::AppThenEcho) {
            if line.starts_with("GET /repos/acme/shop-deploy/installation ") {
                return Answer {
                    status: "200 OK".into(),
                    headers: Vec::new(),
                    body: "{\"id\":7}".into(),
                };
            }
            if line.starts_with("POST /app/installations/7/access_tokens ") {
                return Answer {
                    status: "201 Created".into(),
                    headers: Vec::new(),
                    body: format!(
                        "{{\"token\":\"{ISSUED}\",\"expires_at\":\"2099-01-01T00:00:00Z\"}}"
                    ),
                };
            }
        }
        let value = authorization.split_once(':').map_or("", |(_, v)| v.trim());
        let bare = value.split_once(' ').map_or(value, |(_, c)| c);
        let echoed = format!("you sent {value} (credential {bare}, again: {bare})");
        let body = match api {
            Api::Echo { json: false } => format!("<html>500: {echoed}</html>"),
            _ => format!(
                "{{\"message\":\"{echoed}\",\"errors\":[{{\"message\":\"{bare}\"}}],\"documentation_url\":\"x\"}}"
            ),
        };
        Answer {
            status: "500 Internal Server Error".into(),
            headers: vec![("retry-after".into(), "0".into())],
            body,
        }
    })
}

/// A fresh RSA key in PKCS#1 PEM, made with openssl.
fn app_key() -> Option<String> {
    let openssl = ferry_test_support::require_tool("openssl")?;
    let out = std::process::Command::new(openssl)
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .expect("openssl runs");
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).expect("PEM is text"))
}

fn run(dir: &Path, addr: SocketAddr, env: &[(&str, &str)], log: &str) -> String {
    let mut cmd = binary_in(&assert_cmd::cargo::cargo_bin("ferry-pr"), dir);
    cmd.env_remove("FERRY_GITHUB_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("FERRY_GITHUB_APP_PRIVATE_KEY")
        .env_remove("FERRY_GITHUB_APP_PRIVATE_KEY_PATH")
        .env_remove("FERRY_GITHUB_APP_ID")
        .env("GITHUB_API_URL", format!("http://{addr}"))
        .env("GITHUB_GRAPHQL_URL", format!("http://{addr}/graphql"))
        .env("FERRY_LOG", log)
        .env("RUST_LOG", log)
        .args([
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.0.0",
            "--forge",
            "github",
            "--format",
            "json",
        ]);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd.output().expect("ferry-pr runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3), "{text}");
    text
}

#[test]
fn echoed_github_credentials_are_never_printed() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (origin, _) = blueprint_origin(tmp.path(), false, T0);
    let dir = clone(&origin, &tmp.path().join("clone"), T0);

    let token: &[(&str, &str)] = &[("GITHUB_TOKEN", TOKEN)];
    for json in [true, false] {
        let addr = github(Api::Echo { json });
        for log in ["warn", "trace"] {
            let text = run(&dir, addr, token, log);
            assert!(text.contains("500"), "{text}");
            assert!(!text.contains(TOKEN), "json={json} log={log}:\n{text}");
            assert!(
                !text.contains("t0ken-for-the"),
                "json={json} log={log}:\n{text}"
            );
        }
    }

    let Some(key) = app_key() else { return };
    let app: &[(&str, &str)] = &[
        ("FERRY_GITHUB_APP_PRIVATE_KEY", key.as_str()),
        ("FERRY_GITHUB_APP_ID", "77"),
    ];
    for api in [Api::AppThenEcho, Api::Echo { json: true }] {
        let addr = github(api);
        for log in ["warn", "trace"] {
            let text = run(&dir, addr, app, log);
            assert!(!text.contains(ISSUED), "{api:?} log={log}:\n{text}");
            // The JWT (signed by the run) is the only thing shaped like one.
            assert!(!text.contains("eyJ"), "{api:?} log={log}:\n{text}");
            assert!(!text.contains("BEGIN RSA"), "{api:?} log={log}:\n{text}");
        }
    }
}
