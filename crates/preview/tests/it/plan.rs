//! Planning: the namespace, the override of every namespaced object, labels, cluster-scoped
//! objects, image overrides.

use ferry_preview::identity::{self, is_dns_label};
use ferry_preview::{ImageOverride, PlanError, Preview, Scope, plan};
use proptest::prelude::*;
use serde_json::json;

use crate::support::{preview, rendered, stamp};

#[test]
fn every_namespaced_object_moves_to_the_preview_namespace_with_its_labels() {
    let plan = plan(rendered(), &preview(), &stamp(), &[], Scope::Skip).expect("a plan");
    assert_eq!(plan.preview.namespace, "staging-pr-123");
    let kinds: Vec<String> = plan
        .objects
        .iter()
        .map(ferry_preview::plan::describe)
        .collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount/backend",
            "RoleBinding/backend-reader",
            "Deployment/backend",
            "Service/backend"
        ]
    );
    for obj in plan.objects.iter().chain([&plan.namespace]) {
        let labels = &obj["metadata"]["labels"];
        assert_eq!(labels[identity::MANAGED_BY], "ferry", "{obj}");
        assert_eq!(labels[identity::PREVIEW], "pr-123");
        assert_eq!(labels[identity::ENVIRONMENT], "staging");
        assert_eq!(
            labels[identity::COMMIT],
            "0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(labels[identity::EXPIRES], "1796731200");
    }
    for obj in &plan.objects {
        assert_eq!(obj["metadata"]["namespace"], "staging-pr-123", "{obj}");
    }
    // The Deployment's own labels stay.
    assert_eq!(plan.objects[2]["metadata"]["labels"]["app"], "backend");
    // The ServiceAccount subject in the overlay's namespace follows; another namespace's stays.
    assert_eq!(
        plan.objects[1]["subjects"][0]["namespace"],
        "staging-pr-123"
    );
    assert_eq!(plan.objects[1]["subjects"][1]["namespace"], "monitoring");
    assert_eq!(
        plan.namespace["metadata"]["annotations"][identity::EXPIRES_AT],
        "2026-12-08T12:00:00Z"
    );
    assert_eq!(
        plan.namespace["metadata"]["annotations"][identity::RESOURCES],
        r#"["v1/serviceaccounts","rbac.authorization.k8s.io/v1/rolebindings","apps/v1/deployments","v1/services"]"#
    );
    assert_eq!(plan.workloads, ["Deployment/backend"]);
    assert_eq!(
        plan.services[0].url,
        "http://backend.staging-pr-123.svc.cluster.local:8080"
    );
}

#[test]
fn cluster_scoped_objects_are_skipped_with_a_reason_or_refused() {
    let plan = plan(rendered(), &preview(), &stamp(), &[], Scope::Skip).expect("a plan");
    let skipped: Vec<(&str, bool)> = plan
        .skipped
        .iter()
        .map(|s| (s.object.as_str(), s.reason.contains("cluster-scoped")))
        .collect();
    assert_eq!(
        skipped,
        [("Namespace/staging", false), ("ClusterRole/reader", true)]
    );
    let err = ferry_preview::plan(rendered(), &preview(), &stamp(), &[], Scope::Refuse)
        .expect_err("refused");
    assert_eq!(
        err,
        PlanError::ClusterScoped {
            objects: vec!["ClusterRole/reader".into()]
        }
    );
}

#[test]
fn image_overrides_use_the_images_transformer_and_a_typo_is_refused() {
    let images = [ImageOverride {
        name: "ghcr.io/acme/backend".into(),
        image: "ghcr.io/acme/backend:1.5.0@sha256:0000000000000000000000000000000000000000000000000000000000000000".into(),
    }];
    let plan = plan(rendered(), &preview(), &stamp(), &images, Scope::Skip).expect("a plan");
    let containers = &plan.objects[2]["spec"]["template"]["spec"]["containers"];
    assert_eq!(
        containers[0]["image"],
        "ghcr.io/acme/backend:1.5.0@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    );
    assert_eq!(containers[1]["image"], "envoyproxy/envoy:v1.30.0");
    assert_eq!(plan.images[0].containers, 1);

    let typo = [ImageOverride {
        name: "ghcr.io/acme/backnd".into(),
        image: "ghcr.io/acme/backnd:1.5.0".into(),
    }];
    let err = ferry_preview::plan(rendered(), &preview(), &stamp(), &typo, Scope::Skip)
        .expect_err("no container runs it");
    assert_eq!(
        err.to_string(),
        "--image ghcr.io/acme/backnd: no container of the rendered objects runs ghcr.io/acme/backnd \
         (images: envoyproxy/envoy:v1.30.0, ghcr.io/acme/backend:1.4.0)"
    );
}

#[test]
fn objects_without_kind_or_name_are_refused_with_their_place() {
    let mut objects = rendered();
    objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}));
    let err = plan(objects, &preview(), &stamp(), &[], Scope::Skip).expect_err("no name");
    assert_eq!(
        err.to_string(),
        "rendered object #7 (ConfigMap/?): no metadata.name"
    );
}

#[test]
fn namespaces_must_be_dns_labels() {
    for (env, name) in [
        ("staging", "PR-1"),
        ("staging", "pr_1"),
        ("staging", "pr-"),
        ("", "pr-1"),
        ("staging", &"x".repeat(60)),
    ] {
        let err = Preview::new(env, name).expect_err(name);
        assert!(matches!(err, PlanError::Namespace { .. }), "{err}");
    }
    assert_eq!(
        Preview::new("staging", "pr-1").expect("valid").namespace,
        "staging-pr-1"
    );
}

#[test]
fn gc_removes_expired_previews_and_with_older_than_old_ones() {
    let now: jiff::Timestamp = "2026-12-09T12:00:00Z".parse().expect("a time");
    let expired = json!({"metadata": {"labels": {identity::EXPIRES: "1796731200"},
        "creationTimestamp": "2026-12-07T12:00:00Z"}});
    let fresh = json!({"metadata": {"labels": {identity::EXPIRES: "1896731200"},
        "creationTimestamp": "2026-12-09T06:00:00Z"}});
    let annotated =
        json!({"metadata": {"annotations": {identity::EXPIRES_AT: "2026-12-08T00:00:00Z"}}});
    assert_eq!(
        identity::gc_reason(&expired, now, None).as_deref(),
        Some("expired at 2026-12-08T12:00:00Z")
    );
    assert!(identity::gc_reason(&annotated, now, None).is_some());
    assert_eq!(identity::gc_reason(&fresh, now, None), None);
    let hours = std::time::Duration::from_secs(3600);
    assert_eq!(identity::gc_reason(&fresh, now, Some(hours * 24)), None);
    assert!(identity::gc_reason(&fresh, now, Some(hours * 6)).is_some());
}

proptest! {
    #[test]
    fn a_preview_namespace_is_always_a_dns_label(env in "[a-z0-9-]{0,40}", name in "[a-zA-Z0-9_.-]{0,40}") {
        match Preview::new(&env, &name) {
            Ok(p) => {
                prop_assert!(is_dns_label(&p.namespace));
                prop_assert_eq!(p.namespace, format!("{env}-{name}"));
            }
            Err(e) => {
                let namespace_error = matches!(e, PlanError::Namespace { .. });
                prop_assert!(namespace_error);
            }
        }
    }
}
