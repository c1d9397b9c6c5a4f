//! Assessing an object's health with Argo CD's rules: pure, no cluster needed.
//!
//! Run with `cargo run -p ferry-health --example assess`.

use ferry_health::{HealthStatus, assess};
use serde_json::json;

fn main() {
    // A Deployment as the Kubernetes API returns it, halfway through a rollout.
    let mut deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "backend", "namespace": "shop", "generation": 4 },
        "spec": { "replicas": 3 },
        "status": {
            "observedGeneration": 4,
            "replicas": 3,
            "updatedReplicas": 1,
            "availableReplicas": 2
        }
    });
    let health = assess(&deployment).expect("Deployments have a built-in rule");
    println!("mid-rollout: {health}");
    assert_eq!(health.status, HealthStatus::Progressing);

    // Every replica updated and available: healthy.
    deployment["status"] = json!({
        "observedGeneration": 4,
        "replicas": 3,
        "updatedReplicas": 3,
        "availableReplicas": 3
    });
    let health = assess(&deployment).expect("Deployments have a built-in rule");
    println!("rolled out:  {health}");
    assert_eq!(health.status, HealthStatus::Healthy);

    // The rollout ran out of time: degraded, with Argo CD's message.
    deployment["status"]["updatedReplicas"] = json!(1);
    deployment["status"]["conditions"] = json!([
        { "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded" }
    ]);
    let health = assess(&deployment).expect("Deployments have a built-in rule");
    println!("stuck:       {health}");
    assert_eq!(health.status, HealthStatus::Degraded);

    // A kind without a built-in rule is `None`: never read as healthy.
    let unknown = json!({ "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {} });
    assert_eq!(assess(&unknown), None);
    println!("Widget:      no built-in check");
}
