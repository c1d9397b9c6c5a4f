//! Promoting a blue-green Rollout that waits for promotion: where it stands, the patches
//! `kubectl argo rollouts promote` would send, and when the controller has carried them out.
//! The pure functions need no cluster; `RolloutClient` sends the same patches through kube.
//!
//! Run with `cargo run -p ferry-rollouts --example promote`.

use ferry_rollouts::{Command, Settled, promote_patches, settled, status};
use serde_json::json;

fn main() {
    // A Rollout as the Kubernetes API returns it: the new version (`5f7d`) is up behind the
    // preview Service, the active Service still selects the stable one (`6c8b`).
    let rollout = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": { "name": "frontend", "namespace": "shop", "generation": 2 },
        "spec": {
            "replicas": 2,
            "strategy": { "blueGreen": { "activeService": "frontend", "autoPromotionEnabled": false } },
            "template": { "spec": { "containers": [
                { "name": "frontend", "image": "registry.example.com/acme/frontend:2.1.0" }
            ] } }
        },
        "status": {
            "currentPodHash": "5f7d",
            "stableRS": "6c8b",
            "observedGeneration": "2",
            "replicas": 4,
            "updatedReplicas": 2,
            "availableReplicas": 2,
            "blueGreen": { "activeSelector": "6c8b", "previewSelector": "5f7d" },
            "pauseConditions": [ { "reason": "BlueGreenPause", "startTime": "2026-11-25T10:00:00Z" } ]
        }
    });

    let before = status(&rollout);
    println!(
        "{}/{}: {} {}, paused {:?}, images {:?}",
        before.namespace,
        before.name,
        before.strategy,
        before.health,
        before.pause_reasons,
        before.images
    );
    assert!(before.paused);
    assert!(!before.fully_promoted);
    assert_eq!(before.preview_selector.as_deref(), Some("5f7d"));

    // Promotion clears the pause conditions on the status subresource.
    let patches = promote_patches(&rollout, false);
    println!(
        "status patch: {}",
        patches.status.clone().unwrap_or_default()
    );
    assert_eq!(
        patches.status,
        Some(json!({ "status": { "pauseConditions": null } }))
    );
    assert_eq!(patches.spec, None, "the object itself is not paused");

    // The command is settled once the controller has switched the active Service over.
    let mut sent = rollout.clone();
    sent["status"]["pauseConditions"] = json!(null);
    assert_eq!(settled(Command::Promote, &rollout, &sent, &rollout), None);
    let mut now = sent.clone();
    now["status"]["stableRS"] = json!("5f7d");
    now["status"]["blueGreen"]["activeSelector"] = json!("5f7d");
    let outcome = settled(Command::Promote, &rollout, &sent, &now);
    println!("after the switch: {outcome:?}");
    assert_eq!(outcome, Some(Settled::Healthy));
    assert!(status(&now).fully_promoted);
}
