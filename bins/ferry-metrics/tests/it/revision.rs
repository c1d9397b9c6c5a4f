//! The `org.opencontainers.image.revision` label read from a real registry (`docker-registry`
//! on 127.0.0.1): an image manifest, an index (its linux/amd64 entry), an image without the
//! label, and one that does not exist.

use std::collections::{BTreeMap, BTreeSet};

use ferry_image::registry::{
    ClientOptions, CredentialSource, ImageBuild, ImageRef, RegistryClient, sha256_digest,
};
use ferry_metrics::revision::{REVISION_LABEL, label_of, revision_labels};
use ferry_test_support::registry::TestRegistry;
use serde_json::json;

const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

/// An image for `platform` whose config carries `labels`.
fn labelled(platform: &str, labels: serde_json::Value) -> ImageBuild {
    let mut build = ImageBuild::new(
        platform.parse().expect("a platform"),
        vec![platform.as_bytes().to_vec()],
    );
    let mut config: serde_json::Value = serde_json::from_slice(&build.config).expect("JSON");
    config["config"]["Labels"] = labels;
    build.config = serde_json::to_vec(&config).expect("JSON");
    let mut manifest: serde_json::Value = serde_json::from_slice(&build.manifest).expect("JSON");
    manifest["config"]["digest"] = json!(sha256_digest(&build.config));
    manifest["config"]["size"] = json!(build.config.len());
    build.manifest = serde_json::to_vec(&manifest).expect("JSON");
    build
}

#[tokio::test]
async fn labels_of_manifests_and_indexes() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let host = registry.host();
    let client = RegistryClient::new(
        ClientOptions {
            plain_http: vec![host.clone()],
            ..ClientOptions::default()
        },
        CredentialSource::anonymous(),
    );
    let app = ImageRef::new(&host, "acme/app");
    let single = labelled("linux/amd64", json!({ REVISION_LABEL: REVISION }));
    client
        .push_image(&app.clone().with_tag("single"), &single)
        .await
        .expect("push");
    // An index: its arm64 entry names another revision; linux/amd64 is the one read.
    let arm = labelled("linux/arm64", json!({ REVISION_LABEL: "ffffffffffffffff" }));
    let amd = labelled("linux/amd64", json!({ REVISION_LABEL: REVISION }));
    client
        .push_index(&app.clone().with_tag("multi"), &[arm, amd])
        .await
        .expect("push index");
    let plain = labelled("linux/amd64", json!({ "org.example.other": "x" }));
    client
        .push_image(&app.clone().with_tag("plain"), &plain)
        .await
        .expect("push");

    let image = |tag: &str| format!("{host}/acme/app:{tag}");
    assert_eq!(
        label_of(&client, &image("single")).await,
        Ok(Some(REVISION.to_owned()))
    );
    assert_eq!(
        label_of(&client, &image("multi")).await,
        Ok(Some(REVISION.to_owned()))
    );
    assert_eq!(label_of(&client, &image("plain")).await, Ok(None));
    assert!(label_of(&client, &image("missing")).await.is_err());

    let all: BTreeSet<String> = ["single", "multi", "plain", "missing"]
        .iter()
        .map(|t| image(t))
        .collect();
    assert_eq!(
        revision_labels(&client, &all).await,
        BTreeMap::from([
            (image("multi"), REVISION.to_owned()),
            (image("single"), REVISION.to_owned()),
        ])
    );
}
