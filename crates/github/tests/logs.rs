//! Log events of the GitHub client carry no secrets.
//!
//! A test binary of its own: `tracing` caches per-callsite interest process-wide, so a scoped
//! subscriber can miss events while other tests run in parallel threads.

use std::sync::{Arc, Mutex};

use ferry_github::{Credentials, GithubClient, GithubConfig};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log event at every level, through a retry and a GitHub App token exchange, names no
/// secret.
#[tokio::test(start_paused = true)]
async fn logs_carry_no_secrets() {
    let Some(openssl) = ferry_test_support::require_tool("openssl") else {
        return;
    };
    let out = std::process::Command::new(openssl)
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = out.stdout;

    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/app/installations/9/access_tokens"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({ "token": "ghs_SECRETINSTALL" })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "message": "Not Found" })))
        .mount(&server)
        .await;
    let Credentials::App(mut app) = Credentials::app(77, &key).unwrap() else {
        unreachable!()
    };
    app.installation_id = Some(9);
    let mut config = GithubConfig::new("o", "r", Credentials::App(app))
        .with_urls(server.uri(), format!("{}/graphql", server.uri()));
    config.connect_timeout = None;
    config.read_timeout = None;
    let github = GithubClient::new(config).unwrap();
    assert!(github.get_pull(1347).await.unwrap_err().is_not_found());

    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 3);
    let jwt = seen[0].headers["authorization"].to_str().unwrap();
    let jwt = jwt.strip_prefix("Bearer ").unwrap();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("retrying"), "the retry was logged: {text}");
    assert!(
        text.contains("minted a GitHub App installation token"),
        "{text}"
    );
    assert!(!text.contains("ghs_SECRETINSTALL"), "{text}");
    assert!(!text.contains(jwt), "{text}");
    assert!(!text.contains("PRIVATE KEY"), "{text}");
}
