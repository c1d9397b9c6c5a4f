//! How the binaries that talk to a cluster reach it (feature `kube`).

use crate::{ErrorKind, Result, WithKind as _};

/// A Kubernetes client and the namespace to use: `server` (a URL, no credentials: tests,
/// `kubectl proxy`), else the kubeconfig `context`, else the current context or the in-cluster
/// config (`KUBECONFIG`, `~/.kube/config`). The namespace is `namespace`, else the config's.
/// Every error is a usage error: the command line or the kubeconfig is wrong.
pub async fn client(
    server: Option<&str>,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<(kube::Client, String)> {
    use anyhow::Context as _;
    let config = match (server, context) {
        (Some(url), _) => kube::Config::new(
            url.parse()
                .with_context(|| format!("--server {url:?} is not a URL"))
                .with_kind(ErrorKind::Usage)?,
        ),
        (None, Some(context)) => {
            let options = kube::config::KubeConfigOptions {
                context: Some(context.to_owned()),
                ..Default::default()
            };
            kube::Config::from_kubeconfig(&options)
                .await
                .with_context(|| format!("cannot load kubeconfig context {context:?}"))
                .with_kind(ErrorKind::Usage)?
        }
        (None, None) => kube::Config::infer()
            .await
            .context("cannot find a Kubernetes config (KUBECONFIG, ~/.kube/config or in-cluster)")
            .with_kind(ErrorKind::Usage)?,
    };
    let namespace = namespace.map_or_else(|| config.default_namespace.clone(), str::to_owned);
    let client = kube::Client::try_from(config)
        .context("cannot build the Kubernetes client")
        .with_kind(ErrorKind::Usage)?;
    Ok((client, namespace))
}
