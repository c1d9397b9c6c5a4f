//! Shared by the areas: objects, the stand-in's client, conformance YAML.

use std::time::Duration;

use ferry_preview::{Preview, Stamp};
use serde_json::{Value, json};

/// The documents of a YAML file below `fixtures/conformance/`.
pub fn conformance_yaml(rel: &str) -> Vec<Value> {
    let path = ferry_test_support::conformance_dir().join(rel);
    ferry_kustomize::documents::read_documents(&path)
        .unwrap_or_else(|e| panic!("conformance data {}: {e}", path.display()))
}

/// The one JSON document below `fixtures/conformance/`.
pub fn conformance_json(rel: &str) -> Value {
    let path = ferry_test_support::conformance_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance data {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A staging overlay as rendered: its Namespace, a Deployment, a Service, a RoleBinding and a
/// ClusterRole.
pub fn rendered() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "staging"}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "reader"}, "rules": []}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": "backend", "namespace": "staging"}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "backend-reader", "namespace": "staging"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"},
               "subjects": [{"kind": "ServiceAccount", "name": "backend", "namespace": "staging"},
                            {"kind": "ServiceAccount", "name": "monitor", "namespace": "monitoring"}]}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "backend", "namespace": "staging", "labels": {"app": "backend"}},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "backend"}},
                        "template": {"metadata": {"labels": {"app": "backend"}},
                                     "spec": {"containers": [
                                         {"name": "app", "image": "ghcr.io/acme/backend:1.4.0"},
                                         {"name": "proxy", "image": "envoyproxy/envoy:v1.30.0"}]}}}}),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "backend", "namespace": "staging"},
               "spec": {"ports": [{"port": 8080}], "selector": {"app": "backend"}}}),
    ]
}

/// Preview `pr-123` of staging.
pub fn preview() -> Preview {
    Preview::new("staging", "pr-123").expect("a valid preview")
}

/// A stamp of commit `0123456…`, expiring a day after 2026-12-07T12:00:00Z.
pub fn stamp() -> Stamp {
    Stamp::new(
        Some("0123456789abcdef0123456789abcdef01234567"),
        "2026-12-07T12:00:00Z".parse().expect("a time"),
        Duration::from_secs(24 * 3600),
    )
    .expect("a stamp")
}

/// A kube client for the stand-in at `uri`.
pub fn client(uri: &str) -> kube::Client {
    let config = kube::Config::new(uri.parse().expect("the stand-in's URL"));
    kube::Client::try_from(config).expect("a client")
}
