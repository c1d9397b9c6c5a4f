//! `infra/k8s`: the base (a Deployment and a Service per image) and one overlay per environment;
//! a blue-green environment replaces the Deployments with Argo Rollouts.

use std::fmt::Write as _;

use crate::{File, Image, Options};

/// The tag every overlay starts with, until Ferry sets the first real one.
pub(crate) const INITIAL_TAG: &str = "0.1.0";

/// The container port every image listens on, named `http`.
const PORT: u16 = 8080;

/// The pod template of `image`: probes on `/healthz`, resources, a restrictive security context
/// (non-root, read-only root file system, no privilege escalation, every capability dropped,
/// the runtime's seccomp profile, no service-account token), a writable `/tmp`. `indent` is the
/// indentation of `template:`.
fn pod_template(image: &Image, indent: &str) -> String {
    let name = &image.name;
    let repository = image.repository.name();
    let text = format!(
        "template:
  metadata:
    labels:
      app.kubernetes.io/name: {name}
  spec:
    automountServiceAccountToken: false
    securityContext:
      runAsNonRoot: true
      runAsUser: 10001
      runAsGroup: 10001
      fsGroup: 10001
      seccompProfile:
        type: RuntimeDefault
    containers:
      - name: {name}
        image: {repository}:{INITIAL_TAG}
        ports:
          - name: http
            containerPort: {PORT}
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
          periodSeconds: 5
        livenessProbe:
          httpGet:
            path: /healthz
            port: http
          initialDelaySeconds: 10
          periodSeconds: 10
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            cpu: 500m
            memory: 256Mi
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          runAsNonRoot: true
          privileged: false
          capabilities:
            drop:
              - ALL
        volumeMounts:
          - name: tmp
            mountPath: /tmp
    volumes:
      - name: tmp
        emptyDir: {{}}
"
    );
    text.lines()
        .map(|line| format!("{indent}{line}\n"))
        .collect()
}

fn deployment(image: &Image) -> String {
    let name = &image.name;
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
spec:
  replicas: 2
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
{template}",
        template = pod_template(image, "  ")
    )
}

fn service(name: &str, selector: &str, comment: &str) -> String {
    format!(
        "{comment}apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {selector}
spec:
  selector:
    app.kubernetes.io/name: {selector}
  ports:
    - name: http
      port: 80
      targetPort: http
"
    )
}

fn rollout(image: &Image) -> String {
    let name = &image.name;
    format!(
        "# Blue-green: a new version comes up behind {name}-preview and waits; the {name} Service
# keeps serving the old one until the prod workflow promotes it (ferry rollout promote).
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
spec:
  replicas: 2
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  strategy:
    blueGreen:
      activeService: {name}
      previewService: {name}-preview
      autoPromotionEnabled: false
      scaleDownDelaySeconds: 60
{template}",
        template = pod_template(image, "  ")
    )
}

fn base_kustomization(options: &Options) -> String {
    let mut out = format!(
        "# What every environment runs; each overlay under ../overlays sets its images and
# namespace. Written by `ferry init`.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

labels:
  - pairs:
      app.kubernetes.io/part-of: {app}
    includeSelectors: false

resources:
",
        app = options.app
    );
    for image in &options.images {
        let _ = writeln!(out, "  - {}-deployment.yaml", image.name);
        let _ = writeln!(out, "  - {}-service.yaml", image.name);
    }
    out
}

fn overlay_kustomization(options: &Options, env: &str) -> String {
    let blue_green = options.is_blue_green(env);
    let origin = match options.upstream(env) {
        None => "new builds land here first (ferry pr open)".to_owned(),
        Some(upstream) => format!("promoted from {upstream} (ferry promote)"),
    };
    let mut out = format!("# {env}: {origin}.\n");
    if blue_green {
        out.push_str(
            "# Argo Rollouts blue-green: each Rollout replaces its Deployment of the base.\n",
        );
    }
    let _ = write!(
        out,
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

namespace: {ns}

resources:
  - ../../base
",
        ns = options.namespace(env)
    );
    if blue_green {
        for image in &options.images {
            let _ = writeln!(out, "  - {}-rollout.yaml", image.name);
        }
        out.push_str("  - preview-services.yaml\n");
    }
    out.push_str("\nimages:\n");
    for image in &options.images {
        let _ = writeln!(
            out,
            "  - name: {}\n    newTag: {INITIAL_TAG} # set by ferry",
            image.repository.name()
        );
    }
    if blue_green {
        out.push_str("\npatches:\n");
        for image in &options.images {
            let _ = writeln!(out, "  - path: delete-{}-deployment.yaml", image.name);
        }
    }
    out
}

/// The files under `infra/k8s`.
pub(crate) fn files(options: &Options) -> Vec<File> {
    let mut files = vec![File::new(
        "infra/k8s/base/kustomization.yaml",
        base_kustomization(options),
    )];
    for image in &options.images {
        files.push(File::new(
            format!("infra/k8s/base/{}-deployment.yaml", image.name),
            deployment(image),
        ));
        files.push(File::new(
            format!("infra/k8s/base/{}-service.yaml", image.name),
            service(&image.name, &image.name, ""),
        ));
    }
    for env in &options.environments {
        let dir = options.overlay(env);
        files.push(File::new(
            format!("{dir}/kustomization.yaml"),
            overlay_kustomization(options, env),
        ));
        if !options.is_blue_green(env) {
            continue;
        }
        for image in &options.images {
            files.push(File::new(
                format!("{dir}/{}-rollout.yaml", image.name),
                rollout(image),
            ));
            files.push(File::new(
                format!("{dir}/delete-{}-deployment.yaml", image.name),
                format!(
                    "# The Rollout {name} replaces the base Deployment.\n$patch: delete\n\
                     apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n",
                    name = image.name
                ),
            ));
        }
        let previews: Vec<String> = options
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| {
                let comment = if i == 0 {
                    "# Preview Services: Argo Rollouts points them at the new version while it\n\
                     # waits for promotion; the smoke tests run against them.\n"
                } else {
                    ""
                };
                service(&format!("{}-preview", image.name), &image.name, comment)
            })
            .collect();
        files.push(File::new(
            format!("{dir}/preview-services.yaml"),
            previews.join("---\n"),
        ));
    }
    files
}
