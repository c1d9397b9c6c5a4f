//! An Argo Rollouts object as the Kubernetes API serves it, for tests of the Rollouts client
//! and the binaries that use it.

use serde_json::{Value, json};

/// The path of Rollout `acme/backend`.
pub const ROLLOUT_PATH: &str = "/apis/argoproj.io/v1alpha1/namespaces/acme/rollouts/backend";
/// The path of its status subresource.
pub const ROLLOUT_STATUS_PATH: &str =
    "/apis/argoproj.io/v1alpha1/namespaces/acme/rollouts/backend/status";

/// Rollout `acme/backend`, blue-green, paused for promotion with the new revision
/// (`r.example/backend:1.4.0`) in preview.
pub fn paused_blue_green() -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "backend", "namespace": "acme", "generation": 3, "uid": "u-1"},
        "spec": {"paused": true, "selector": {"matchLabels": {"app": "backend"}},
            "strategy": {"blueGreen": {"activeService": "backend", "autoPromotionEnabled": false}},
            "template": {"metadata": {"labels": {"app": "backend"}},
                "spec": {"containers": [{"name": "backend", "image": "r.example/backend:1.4.0"}]}}},
        "status": {"observedGeneration": "3", "currentPodHash": "new", "stableRS": "old",
            "phase": "Paused", "message": "BlueGreenPause",
            "blueGreen": {"activeSelector": "old", "previewSelector": "new"},
            "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-11-25T10:00:00Z"}]}
    })
}
