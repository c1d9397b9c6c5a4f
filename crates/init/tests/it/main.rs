//! The tests of `ferry-init` (the library): the golden files, the options, the plan, and the
//! generated files checked by the real tools (actionlint, zizmor, kubectl kustomize, Trivy) and
//! by Ferry's own readers (`ferry-config`, `ferry-kustomize`).

mod cases;
mod golden;
mod manifests;
mod options;
mod plan;
mod workflows;
