//! Registry client behaviour a real `docker-registry` 2.8 cannot show: `n`/`last` tag
//! pagination and retries on 429/5xx, against a scripted HTTP server.

use std::time::Duration;

use ferry_image::registry::{
    ClientOptions, CredentialSource, ImageRef, RegistryClient, RegistryError, RetryPolicy,
};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer, page_size: usize) -> RegistryClient {
    RegistryClient::new(
        ClientOptions {
            plain_http: vec![server.address().to_string()],
            tag_page_size: page_size,
            retry: RetryPolicy {
                max_attempts: 3,
                initial_delay: Duration::from_millis(10),
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        },
        CredentialSource::anonymous(),
    )
}

fn image(server: &MockServer) -> ImageRef {
    ImageRef::new(server.address().to_string(), "team/app").with_tag("1.0.0")
}

fn tags(list: &[&str]) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"name": "team/app", "tags": list}))
}

#[tokio::test]
async fn tag_pages_are_followed_with_n_and_last() {
    let server = server().await;
    let list = "/v2/team/app/tags/list";
    Mock::given(path(list))
        .and(query_param("n", "2"))
        .and(query_param_is_missing("last"))
        .respond_with(tags(&["a", "b"]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(list))
        .and(query_param("n", "2"))
        .and(query_param("last", "b"))
        .respond_with(tags(&["c", "d"]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(list))
        .and(query_param("n", "2"))
        .and(query_param("last", "d"))
        .respond_with(tags(&["e"]))
        .expect(1)
        .mount(&server)
        .await;
    let listed = client(&server, 2)
        .list_tags(&image(&server).repository_only())
        .await
        .unwrap();
    assert_eq!(listed, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn tag_pages_follow_link_headers() {
    let server = server().await;
    let list = "/v2/team/app/tags/list";
    // Opaque page tokens, as some registries use: only the Link header knows them.
    Mock::given(path(list))
        .and(query_param_is_missing("token"))
        .respond_with(tags(&["v1", "v2"]).insert_header(
            "Link",
            r#"</v2/team/app/tags/list?n=2&token=page-2>; rel="next""#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let absolute = format!(
        r#"<{}/v2/team/app/tags/list?n=2&token=page-3>; rel="next""#,
        server.uri()
    );
    Mock::given(path(list))
        .and(query_param("token", "page-2"))
        .respond_with(tags(&["v3", "v4"]).insert_header("Link", absolute.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(list))
        .and(query_param("token", "page-3"))
        .respond_with(tags(&["v0"]))
        .expect(1)
        .mount(&server)
        .await;
    let listed = client(&server, 2).list_tags(&image(&server)).await.unwrap();
    assert_eq!(listed, ["v0", "v1", "v2", "v3", "v4"]);
}

#[tokio::test]
async fn tag_links_to_another_host_are_refused() {
    let server = server().await;
    Mock::given(path("/v2/team/app/tags/list"))
        .respond_with(tags(&["a", "b"]).insert_header(
            "Link",
            r#"<https://elsewhere.example/v2/team/app/tags/list?last=b>; rel="next""#,
        ))
        .mount(&server)
        .await;
    let err = client(&server, 2)
        .list_tags(&image(&server))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("`Link` leaves the registry"),
        "{err}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_the_registry_recovers() {
    let server = server().await;
    let manifest = "/v2/team/app/manifests/1.0.0";
    // The first attempt: HEAD and the GET fallback both answer 503.
    Mock::given(path(manifest))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path(manifest))
        .respond_with(ResponseTemplate::new(200).insert_header("Docker-Content-Digest", DIGEST))
        .mount(&server)
        .await;
    let digest = client(&server, 100)
        .head_digest(&image(&server))
        .await
        .unwrap();
    assert_eq!(digest, DIGEST);
    let heads = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "HEAD")
        .count();
    assert_eq!(heads, 2, "one failed attempt, one retry");
}

#[tokio::test]
async fn too_many_requests_gives_up_after_the_attempt_budget() {
    let server = server().await;
    Mock::given(path("/v2/team/app/manifests/1.0.0"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let err = client(&server, 100)
        .head_digest(&image(&server))
        .await
        .unwrap_err();
    match err {
        RegistryError::Unavailable {
            attempts, message, ..
        } => {
            assert_eq!(attempts, 3);
            assert!(message.contains("429"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = server().await;
    Mock::given(path("/v2/team/app/manifests/1.0.0"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad request"))
        .mount(&server)
        .await;
    let err = client(&server, 100)
        .head_digest(&image(&server))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Protocol { .. }), "{err:?}");
    let heads = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "HEAD")
        .count();
    assert_eq!(heads, 1);
}
