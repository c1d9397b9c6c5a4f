//! Integration tests of `ferry-rollout`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod canary;
mod cli;
mod output;

use assert_cmd::Command;
use ferry_test_support::kube_standin::KubeStandIn;
use ferry_test_support::rollouts::ROLLOUT_PATH;
use serde_json::Value;

/// The stand-in API server (`ferry_test_support::kube_standin`) holding Rollout `acme/backend`
/// as `object`.
async fn api(object: &Value) -> KubeStandIn {
    let api = KubeStandIn::start().await;
    api.insert(ROLLOUT_PATH, object.clone());
    api
}

/// `ferry-rollout ARGS -n acme` against the stand-in.
fn run(api: &KubeStandIn, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("ferry-rollout")
        .expect("the binary")
        .args(args)
        .args(["-n", "acme", "--server", &api.uri()])
        .env_remove("KUBECONFIG")
        .assert()
}

/// `(path, content type, body)` of every PATCH the stand-in saw.
fn patches(api: &KubeStandIn) -> Vec<(String, String, Value)> {
    api.log()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| (r.path, r.content_type, r.body))
        .collect()
}
