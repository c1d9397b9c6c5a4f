//! Opt-in suite against a real cluster from `KUBECONFIG` (kind, minikube, k3s...):
//!
//! ```sh
//! KUBECONFIG=~/.kube/config cargo test -p ferry-health --test it cluster:: -- --ignored --test-threads=1
//! ```
//!
//! It creates (and deletes) namespaces named `ferry-health-test-*`; it needs rights to create
//! namespaces and Deployments and to read pods, and pulls `busybox:1.36` from Docker Hub.

use std::time::Duration;

use ferry_health::probe::kubernetes::{Workload, WorkloadProbe};
use ferry_health::probe::{Outcome, Probe};
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use serde_json::json;
use tokio::sync::mpsc;

async fn client() -> kube::Client {
    kube::Client::try_default()
        .await
        .expect("a cluster from KUBECONFIG (this suite is opt-in: see the file's header)")
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// A fresh namespace; [`Namespace::delete`] removes it.
struct Namespace {
    client: kube::Client,
    name: String,
}

impl Namespace {
    async fn create(client: &kube::Client, suffix: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("ferry-health-test-{suffix}-{nanos}");
        let api: Api<DynamicObject> = Api::all_with(
            client.clone(),
            &resource("", "v1", "Namespace", "namespaces"),
        );
        let ns: DynamicObject = serde_json::from_value(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
        )
        .unwrap();
        api.create(&PostParams::default(), &ns)
            .await
            .expect("create namespace");
        Self {
            client: client.clone(),
            name,
        }
    }

    async fn delete(self) {
        let api: Api<DynamicObject> =
            Api::all_with(self.client, &resource("", "v1", "Namespace", "namespaces"));
        let _ = api.delete(&self.name, &DeleteParams::default()).await;
    }
}

async fn deploy(client: &kube::Client, ns: &str, name: &str, image: &str, command: &[&str]) {
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        ns,
        &resource("apps", "v1", "Deployment", "deployments"),
    );
    let obj: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image, "command": command}]}
            }
        }
    }))
    .unwrap();
    api.create(&PostParams::default(), &obj)
        .await
        .expect("create deployment");
}

/// Waits up to `limit` for the pod watch of `workload` to send a fast-fail signal.
async fn first_signal(
    client: &kube::Client,
    ns: &str,
    workload: &str,
    limit: Duration,
) -> Option<String> {
    let probe = WorkloadProbe::new(client.clone(), ns, workload.parse::<Workload>().unwrap());
    let (tx, mut rx) = mpsc::channel(1);
    let watcher =
        tokio::spawn(async move { probe.watch_signals(tx, Duration::from_secs(2)).await });
    let signal = tokio::time::timeout(limit, rx.recv()).await.ok().flatten();
    watcher.abort();
    signal.map(|o| o.message)
}

#[tokio::test]
#[ignore = "needs a cluster from KUBECONFIG"]
async fn coredns_is_healthy() {
    let client = client().await;
    let mut probe =
        WorkloadProbe::new(client, "kube-system", "deployment/coredns".parse().unwrap());
    let obs = probe.check().await;
    assert_eq!(obs.outcome, Outcome::Pass, "{}", obs.message);
}

#[tokio::test]
#[ignore = "needs a cluster from KUBECONFIG"]
async fn a_crash_looping_deployment_is_caught_by_the_watch() {
    let client = client().await;
    let ns = Namespace::create(&client, "crash").await;
    deploy(
        &client,
        &ns.name,
        "crash",
        "busybox:1.36",
        &["sh", "-c", "exit 1"],
    )
    .await;
    let signal = first_signal(
        &client,
        &ns.name,
        "deployment/crash",
        Duration::from_secs(180),
    )
    .await;
    ns.delete().await;
    let signal = signal.expect("a fast-fail signal within 3 minutes");
    assert!(signal.contains("CrashLoopBackOff"), "{signal}");
}

#[tokio::test]
#[ignore = "needs a cluster from KUBECONFIG"]
async fn an_unpullable_image_is_caught_by_the_watch() {
    let client = client().await;
    let ns = Namespace::create(&client, "pull").await;
    deploy(
        &client,
        &ns.name,
        "pull",
        "registry.invalid/ferry/none:0",
        &["true"],
    )
    .await;
    let signal = first_signal(
        &client,
        &ns.name,
        "deployment/pull",
        Duration::from_secs(180),
    )
    .await;
    ns.delete().await;
    let signal = signal.expect("a fast-fail signal within 3 minutes");
    assert!(
        signal.contains("ErrImagePull") || signal.contains("ImagePullBackOff"),
        "{signal}"
    );
}

#[tokio::test]
#[ignore = "needs a cluster from KUBECONFIG"]
async fn a_healthy_deployment_passes_once_rolled_out() {
    let client = client().await;
    let ns = Namespace::create(&client, "ok").await;
    deploy(&client, &ns.name, "ok", "busybox:1.36", &["sleep", "3600"]).await;
    let mut probe = WorkloadProbe::new(client, ns.name.clone(), "deployment/ok".parse().unwrap());
    let mut last = probe.check().await;
    for _ in 0..90 {
        if last.outcome == Outcome::Pass {
            break;
        }
        assert_ne!(last.outcome, Outcome::Fail, "{}", last.message);
        tokio::time::sleep(Duration::from_secs(2)).await;
        last = probe.check().await;
    }
    ns.delete().await;
    assert_eq!(last.outcome, Outcome::Pass, "{}", last.message);
}
