//! The integration tests of `ferry-preview`: planning and parameters (pure, with the Argo
//! Workflows conformance data), and the cluster side against the Kubernetes stand-in.

mod cluster;
mod plan;
mod support;
mod workflow;
