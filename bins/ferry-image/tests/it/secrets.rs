//! Issue 12, break 5: a registry that answers 500 with the request's `Authorization` header in
//! its body (a compromised or buggy server) never makes `ferry-image` print a secret: not the
//! password, not the base64 Basic credentials, not a token, not the token its token server
//! issued, at any log level.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use ferry_test_support::http::{Answer, serve_answers};

const USER: &str = "ferry-bot";
const PASSWORD: &str = "pa55-w0rd/with#odd?chars";
const TOKEN: &str = "explicit-registry-t0ken-123";
const ISSUED: &str = "issued-by-the-token-server-456";

/// How the stand-in registry asks for credentials.
#[derive(Clone, Copy, Debug)]
enum Challenge {
    /// `WWW-Authenticate: Basic`: every request carries `user:password` in base64.
    Basic,
    /// `WWW-Authenticate: Bearer` with its own token server, which issues [`ISSUED`].
    Bearer,
}

/// A registry that challenges, issues tokens, and answers everything else 500 with the
/// request's `Authorization` header echoed (as text and inside an OCI error envelope).
fn hostile_registry(challenge: Challenge, envelope: bool) -> SocketAddr {
    let me: Arc<OnceLock<SocketAddr>> = Arc::new(OnceLock::new());
    let this = Arc::clone(&me);
    let addr = serve_answers(move |request| {
        let line = request.lines().next().unwrap_or_default().to_owned();
        let authorization = request
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .unwrap_or("authorization: (none)")
            .to_owned();
        if line.contains(" /v2/ ") && !authorization.contains("Bearer") {
            let header = match challenge {
                Challenge::Basic => "Basic realm=\"registry\"".to_owned(),
                Challenge::Bearer => format!(
                    "Bearer realm=\"http://{}/token\",service=\"registry\"",
                    this.get().expect("address known")
                ),
            };
            return Answer {
                status: "401 Unauthorized".into(),
                headers: vec![("www-authenticate".into(), header)],
                body: "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".into(),
            };
        }
        if line.contains(" /token") {
            return Answer {
                status: "200 OK".into(),
                headers: Vec::new(),
                body: format!("{{\"token\":\"{ISSUED}\",\"access_token\":\"{ISSUED}\"}}"),
            };
        }
        // The header's value, and the credential alone (no header name, no scheme), so that
        // only knowing the secret itself can hide it.
        let value = authorization.split_once(':').map_or("", |(_, v)| v.trim());
        let bare = value.split_once(' ').map_or(value, |(_, c)| c);
        let echoed = format!("{value}; credential={bare}; again {bare}.").replace('"', "'");
        let body = if envelope {
            format!(
                "{{\"errors\":[{{\"code\":\"UNKNOWN\",\"message\":\"your request had {echoed}\",\"detail\":\"{echoed}\"}}]}}"
            )
        } else {
            format!(
                "internal error; request was:\n{}\nwith {echoed}",
                request.replace('"', "'")
            )
        };
        Answer {
            status: "500 Internal Server Error".into(),
            headers: Vec::new(),
            body,
        }
    });
    me.set(addr).expect("set once");
    addr
}

/// Every form of a secret the runs must not print.
fn forbidden() -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    vec![
        PASSWORD.to_owned(),
        "pa55-w0rd".to_owned(),
        basic.trim_end_matches('=').to_owned(),
        "pa55-w0rd%2Fwith".to_owned(),
        TOKEN.to_owned(),
        ISSUED.to_owned(),
    ]
}

fn run(addr: SocketAddr, credentials: &[(&str, &str)], log: &str, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry-image"));
    cmd.env("FERRY_PLAIN_HTTP", addr.to_string())
        .env_remove("GITHUB_OUTPUT")
        .env_remove("FERRY_REGISTRY_USERNAME")
        .env_remove("FERRY_REGISTRY_PASSWORD")
        .env_remove("FERRY_REGISTRY_TOKEN")
        .env("DOCKER_CONFIG", "/nonexistent/ferry-test-docker-config")
        .env("FERRY_LOG", log)
        .env("RUST_LOG", log)
        .args(["--retries", "0"])
        .args(args);
    for (name, value) in credentials {
        cmd.env(name, value);
    }
    let out = cmd.output().expect("ferry-image runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3), "{args:?} should fail: {text}");
    text
}

#[test]
fn echoed_credentials_are_never_printed() {
    let basic_env: &[(&str, &str)] = &[
        ("FERRY_REGISTRY_USERNAME", USER),
        ("FERRY_REGISTRY_PASSWORD", PASSWORD),
    ];
    let token_env: &[(&str, &str)] = &[("FERRY_REGISTRY_TOKEN", TOKEN)];
    let mut checked = 0;
    for (challenge, credentials) in [
        (Challenge::Basic, basic_env),
        (Challenge::Bearer, basic_env),
        (Challenge::Basic, token_env),
    ] {
        for envelope in [false, true] {
            let addr = hostile_registry(challenge, envelope);
            let image = format!("{addr}/acme/app:1.0");
            let repository = format!("{addr}/acme/app");
            let copy_to = format!("{addr}/acme/copy:1.0");
            for log in ["warn", "trace"] {
                for args in [
                    vec!["digest", image.as_str(), "--platform", "linux/amd64"],
                    vec!["copy", image.as_str(), copy_to.as_str()],
                    vec!["tags", repository.as_str(), "--format", "json"],
                    vec!["exists", image.as_str()],
                ] {
                    let text = run(addr, credentials, log, &args);
                    for secret in forbidden() {
                        assert!(
                            !text.contains(&secret),
                            "{challenge:?} envelope={envelope} log={log} {args:?} printed \
                             {secret:?}:\n{text}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 48);
}
