//! The cluster probes of one watch: a probe per workload, its pod watch running beside the
//! monitor, and the Argo CD Application's.

use std::time::Duration;

use tokio::sync::mpsc;

use super::argocd::ApplicationProbe;
use super::kubernetes::{Workload, WorkloadProbe};
use super::{Observation, Probe};

/// An Argo CD Application that must be synced to a revision and healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The namespace of Argo CD's Applications (usually `argocd`).
    pub namespace: String,
    /// The Application.
    pub name: String,
    /// The full commit id it must be synced to.
    pub revision: String,
}

/// The probes of `workloads` in `namespace` and of `application`, through `client`. Each
/// workload's pod watch is spawned on the current Tokio runtime and sends its fast-fail
/// signals to `signals` (a watch that fails is started again after `retry`).
pub fn cluster_probes(
    client: &kube::Client,
    namespace: &str,
    workloads: Vec<Workload>,
    application: Option<Application>,
    signals: &mpsc::Sender<Observation>,
    retry: Duration,
) -> Vec<Box<dyn Probe>> {
    let mut probes: Vec<Box<dyn Probe>> = Vec::new();
    for workload in workloads {
        let probe = WorkloadProbe::new(client.clone(), namespace, workload);
        let watcher = probe.clone();
        let tx = signals.clone();
        tokio::spawn(async move { watcher.watch_signals(tx, retry).await });
        probes.push(Box::new(probe));
    }
    if let Some(app) = application {
        probes.push(Box::new(ApplicationProbe::new(
            client.clone(),
            app.namespace,
            app.name,
            app.revision,
        )));
    }
    probes
}
