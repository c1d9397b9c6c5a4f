//! A client for OCI distribution registries (Docker Hub, GHCR, ECR, a local `docker-registry`).
//!
//! Built on `oci-client`: [`RegistryClient`] answers whether an image exists, what its digest is
//! (for one platform of a multi-arch image too), lists tags across pages, and copies an image to
//! a new tag or another registry keeping its digest (the manifest bytes are pushed unchanged).
//! Credentials come from a [`CredentialSource`] (explicit values, docker's `config.json`,
//! credential helpers); transient failures (connection errors, 429, 5xx) are retried within a
//! [`RetryPolicy`]. Secrets never appear in `Debug` output or error messages.

mod auth;
mod build;
mod client;
mod error;
mod link;
mod manifest;
mod retry;

use std::fmt;

pub use auth::{
    CredentialError, CredentialSource, Credentials, DockerConfig, Secret, normalize_registry,
};
pub use build::{CONFIG_MEDIA_TYPE, ImageBuild, LAYER_MEDIA_TYPE, index_of};
pub use client::{ClientOptions, CopyReport, DigestInfo, RegistryClient, is_loopback};
pub use error::RegistryError;
pub use manifest::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, MANIFEST_MEDIA_TYPES, Manifest, OCI_INDEX, OCI_MANIFEST,
    Platform, sha256_digest,
};
pub use retry::RetryPolicy;

use crate::reference::Reference;

/// An image as the registry API addresses it: registry host, repository, tag and/or digest.
///
/// Build it from a parsed [`Reference`] (`ImageRef::from(&reference)`), or field by field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// Registry host with optional port, e.g. `ghcr.io`, `127.0.0.1:5000`, `docker.io`.
    pub registry: String,
    /// Repository path, e.g. `library/nginx`.
    pub repository: String,
    /// Tag, if any.
    pub tag: Option<String>,
    /// Digest, if any (`sha256:…`); it wins over the tag when both are present.
    pub digest: Option<String>,
}

impl ImageRef {
    /// A repository without tag or digest.
    pub fn new(registry: impl Into<String>, repository: impl Into<String>) -> Self {
        Self {
            registry: registry.into(),
            repository: repository.into(),
            tag: None,
            digest: None,
        }
    }

    /// The same repository with `tag`.
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The same repository at `digest` (no tag).
    pub fn at_digest(&self, digest: &str) -> Self {
        Self {
            tag: None,
            digest: Some(digest.to_owned()),
            ..self.repository_only()
        }
    }

    /// The repository without tag or digest.
    pub fn repository_only(&self) -> Self {
        Self::new(self.registry.clone(), self.repository.clone())
    }

    pub(crate) fn to_oci(&self) -> oci_client::Reference {
        let (registry, repository) = (self.registry.clone(), self.repository.clone());
        match (&self.tag, &self.digest) {
            (Some(tag), Some(digest)) => oci_client::Reference::with_tag_and_digest(
                registry,
                repository,
                tag.clone(),
                digest.clone(),
            ),
            (None, Some(digest)) => {
                oci_client::Reference::with_digest(registry, repository, digest.clone())
            }
            (Some(tag), None) => oci_client::Reference::with_tag(registry, repository, tag.clone()),
            (None, None) => {
                oci_client::Reference::with_tag(registry, repository, "latest".to_owned())
            }
        }
    }
}

impl From<&Reference> for ImageRef {
    fn from(reference: &Reference) -> Self {
        let registry = if reference.domain().is_empty() {
            "docker.io".to_owned()
        } else {
            reference.domain().to_owned()
        };
        Self {
            registry,
            repository: reference.path().to_owned(),
            tag: reference.tag().map(str::to_owned),
            digest: reference.digest().map(str::to_owned),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_parsed_references() {
        let r = Reference::parse_normalized("nginx:1.27").unwrap();
        let image = ImageRef::from(&r);
        assert_eq!(image.to_string(), "docker.io/library/nginx:1.27");
        let r = Reference::parse_normalized("127.0.0.1:5000/team/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap();
        let image = ImageRef::from(&r);
        assert_eq!(image.registry, "127.0.0.1:5000");
        assert_eq!(image.repository, "team/app");
        assert!(image.tag.is_none() && image.digest.is_some());
        assert_eq!(image.to_oci().digest(), image.digest.as_deref());
    }
}
