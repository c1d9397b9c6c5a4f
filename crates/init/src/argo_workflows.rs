//! `infra/argo-workflows/`: the example WorkflowTemplates `ferry preview test` runs against a
//! preview, with the parameters they declare (`ferry preview test` refuses any other).

use crate::{File, Options};

/// `e2e.yaml` and `load.yaml`.
pub(crate) fn files(options: &Options) -> Vec<File> {
    let app = &options.app;
    vec![
        File::new(
            "infra/argo-workflows/e2e.yaml",
            format!(
                "# End-to-end tests of {app} against a preview, run by `ferry preview test --workflow-template e2e
# --param base-url=URL`. Replace the container with your test suite; every parameter it needs
# must be declared below (ferry refuses undeclared ones before anything reaches the cluster).
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: e2e
  labels:
    app.kubernetes.io/part-of: {app}
spec:
  entrypoint: e2e
  activeDeadlineSeconds: 1800
  arguments:
    parameters:
      - name: base-url
        description: The preview's URL, e.g. http://SERVICE.NAMESPACE.svc.cluster.local
      - name: path
        description: The path the smoke check of the suite reads
        value: /
  templates:
    - name: e2e
      container:
        image: curlimages/curl:8.11.1
        command: [curl]
        args:
          - --fail
          - --silent
          - --show-error
          - --retry
          - \"5\"
          - --retry-all-errors
          - \"{{{{workflow.parameters.base-url}}}}{{{{workflow.parameters.path}}}}\"
        resources:
          requests: {{cpu: 50m, memory: 32Mi}}
          limits: {{cpu: 200m, memory: 64Mi}}
        securityContext:
          runAsNonRoot: true
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {{drop: [ALL]}}
"
            ),
        ),
        File::new(
            "infra/argo-workflows/load.yaml",
            format!(
                "# Load tests of {app} against a preview, run by `ferry preview test --workflow-template load
# --param base-url=URL [--param users=N] [--param duration=D]`.
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: load
  labels:
    app.kubernetes.io/part-of: {app}
spec:
  entrypoint: load
  activeDeadlineSeconds: 1800
  arguments:
    parameters:
      - name: base-url
        description: The preview's URL, e.g. http://SERVICE.NAMESPACE.svc.cluster.local
      - name: users
        description: Virtual users
        value: \"10\"
      - name: duration
        description: How long the load runs (k6 duration)
        value: 1m
  templates:
    - name: load
      script:
        image: grafana/k6:0.55.0
        command: [k6, run, --vus, \"{{{{workflow.parameters.users}}}}\", --duration, \"{{{{workflow.parameters.duration}}}}\"]
        env:
          - name: BASE_URL
            value: \"{{{{workflow.parameters.base-url}}}}\"
        source: |
          import http from 'k6/http';
          import {{ check }} from 'k6';
          export const options = {{ thresholds: {{ http_req_failed: ['rate<0.01'], http_req_duration: ['p(95)<500'] }} }};
          export default function () {{
            const res = http.get(`${{__ENV.BASE_URL}}/`);
            check(res, {{ 'status is 200': (r) => r.status === 200 }});
          }}
        resources:
          requests: {{cpu: 250m, memory: 128Mi}}
          limits: {{cpu: \"1\", memory: 256Mi}}
        securityContext:
          runAsNonRoot: true
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {{drop: [ALL]}}
"
            ),
        ),
    ]
}
