//! The integration tests of `ferry-preview`: the staging flow up → test → down and the prod
//! smoke step against the Kubernetes stand-in, with the request log asserted.

mod flow;
mod real_cluster;
mod smoke;
mod support;
