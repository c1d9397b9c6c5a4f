//! A preview of a Deployment and its Service, planned without a cluster.

use std::time::Duration;

use ferry_preview::workflow::check_parameters;
use ferry_preview::{ImageOverride, ParameterError, Preview, Scope, Stamp, plan};
use serde_json::json;

fn main() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "staging"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "backend", "namespace": "staging"},
               "spec": {"selector": {"matchLabels": {"app": "backend"}},
                        "template": {"metadata": {"labels": {"app": "backend"}},
                                     "spec": {"containers": [{"name": "app",
                                              "image": "ghcr.io/acme/backend:1.4.0"}]}}}}),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "backend", "namespace": "staging"},
               "spec": {"ports": [{"port": 8080}], "selector": {"app": "backend"}}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "backend-reader"}}),
    ];
    let preview = Preview::new("staging", "pr-123").expect("a DNS label");
    let now: jiff::Timestamp = "2026-12-07T12:00:00Z".parse().expect("a time");
    let stamp = Stamp::new(
        Some("0123456789abcdef0123456789abcdef01234567"),
        now,
        Duration::from_secs(86_400),
    )
    .expect("a commit id");
    let images = [ImageOverride {
        name: "ghcr.io/acme/backend".into(),
        image: "ghcr.io/acme/backend:1.5.0-rc.1".into(),
    }];
    let plan = plan(objects, &preview, &stamp, &images, Scope::Skip).expect("a plan");

    assert_eq!(plan.namespace["metadata"]["name"], "staging-pr-123");
    assert_eq!(plan.objects.len(), 2);
    for obj in &plan.objects {
        assert_eq!(obj["metadata"]["namespace"], "staging-pr-123");
        assert_eq!(obj["metadata"]["labels"]["ferry.dev/preview"], "pr-123");
    }
    assert_eq!(
        plan.objects[0]["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/acme/backend:1.5.0-rc.1"
    );
    // The overlay's Namespace is replaced; the ClusterRole is left out with a warning.
    assert_eq!(plan.skipped.len(), 2);
    assert_eq!(
        plan.services[0].url,
        "http://backend.staging-pr-123.svc.cluster.local:8080"
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&plan.namespace).expect("JSON")
    );

    // A test parameter the template does not declare never reaches the cluster.
    let template = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
        "metadata": {"name": "e2e"},
        "spec": {"entrypoint": "main",
                 "arguments": {"parameters": [{"name": "base-url"}]},
                 "templates": [{"name": "main"}]}});
    let typo = [(
        "baseurl".to_string(),
        "http://backend.staging-pr-123:8080".to_string(),
    )];
    let err = check_parameters(&template, &typo).expect_err("undeclared");
    assert!(matches!(err, ParameterError::Undeclared { .. }));
    println!("{err}");
}
