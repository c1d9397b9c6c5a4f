//! `infra/argocd`: the AppProject and one Application per environment, each following its
//! overlay on the base branch with automated sync (prune; self-heal everywhere but the last
//! environment, where a person's hotfix is not undone behind their back).

use std::fmt::Write as _;

use crate::{File, Options};

const CLUSTER: &str = "https://kubernetes.default.svc";

fn project(options: &Options) -> String {
    let mut out = format!(
        "# The Argo CD project of {app}: this repository only, its namespaces only.
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: {app}
  namespace: argocd
spec:
  description: \"{app}, deployed by Argo CD from {repo}\"
  sourceRepos:
    - \"{repo}\"
  destinations:
",
        app = options.app,
        repo = options.repo_url()
    );
    for env in &options.environments {
        let _ = writeln!(
            out,
            "    - server: {CLUSTER}\n      namespace: {}",
            options.namespace(env)
        );
    }
    out.push_str(
        "  clusterResourceWhitelist:
    - group: \"\"
      kind: Namespace
  namespaceResourceWhitelist:
    - group: apps
      kind: Deployment
    - group: apps
      kind: ReplicaSet
    - group: \"\"
      kind: Service
    - group: argoproj.io
      kind: Rollout
",
    );
    out
}

fn application(options: &Options, env: &str) -> String {
    let self_heal = env != options.last();
    let comment = if self_heal {
        "# Automated sync: prune what the overlay no longer has, undo changes made by hand."
    } else {
        "# Automated sync with prune; self-heal off: a hand-made change in the last environment\n\
         # stays until the next sync, so an incident fix is not undone behind the operator."
    };
    format!(
        "# {env}: follows {overlay} on {base}.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {app}-{env}
  namespace: argocd
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: {app}
  source:
    repoURL: \"{repo}\"
    targetRevision: \"{base}\"
    path: {overlay}
  destination:
    server: {CLUSTER}
    namespace: {ns}
  {comment}
  syncPolicy:
    automated:
      prune: true
      selfHeal: {self_heal}
    syncOptions:
      - CreateNamespace=true
",
        app = options.app,
        repo = options.repo_url(),
        base = options.base_branch,
        overlay = options.overlay(env),
        ns = options.namespace(env),
        comment = comment.replace('\n', "\n  "),
    )
}

/// The files under `infra/argocd`.
pub(crate) fn files(options: &Options) -> Vec<File> {
    let mut kustomization = String::from(
        "# Apply once with `kubectl apply -k infra/argocd`; Argo CD deploys the rest.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

resources:
  - project.yaml
",
    );
    let mut files = vec![File::new("infra/argocd/project.yaml", project(options))];
    for env in &options.environments {
        let _ = writeln!(kustomization, "  - {}-{env}.yaml", options.app);
        files.push(File::new(
            format!("infra/argocd/{}-{env}.yaml", options.app),
            application(options, env),
        ));
    }
    files.insert(
        0,
        File::new("infra/argocd/kustomization.yaml", kustomization),
    );
    files
}
