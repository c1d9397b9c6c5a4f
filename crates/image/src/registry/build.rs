//! Small OCI images built in memory (config, layers, manifest; an index over several), for
//! pushing test or metadata images without Docker.

use serde_json::json;

use super::ImageRef;
use super::client::RegistryClient;
use super::error::RegistryError;
use super::manifest::{OCI_INDEX, OCI_MANIFEST, Platform, sha256_digest};

/// Media type of the layers [`ImageBuild`] makes (uncompressed tar by declaration; the
/// registry does not look inside).
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
/// Media type of the config blob.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// A single-platform OCI image: config blob, layer blobs and the manifest bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBuild {
    /// The platform written into the config.
    pub platform: Platform,
    /// The config blob.
    pub config: Vec<u8>,
    /// The layer blobs.
    pub layers: Vec<Vec<u8>>,
    /// The manifest (OCI image manifest) bytes.
    pub manifest: Vec<u8>,
}

impl ImageBuild {
    /// An image for `platform` whose layers hold `layers` verbatim.
    pub fn new(platform: Platform, layers: Vec<Vec<u8>>) -> Self {
        let diff_ids: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
        let mut config = json!({
            "architecture": platform.architecture,
            "os": platform.os,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "config": {},
        });
        if let Some(variant) = &platform.variant {
            config["variant"] = json!(variant);
        }
        let config = serde_json::to_vec(&config).expect("config serialises");
        let layer_descriptors: Vec<serde_json::Value> = layers
            .iter()
            .map(|l| json!({"mediaType": LAYER_MEDIA_TYPE, "digest": sha256_digest(l), "size": l.len()}))
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": sha256_digest(&config), "size": config.len()},
            "layers": layer_descriptors,
        });
        Self {
            platform,
            config,
            layers,
            manifest: serde_json::to_vec(&manifest).expect("manifest serialises"),
        }
    }

    /// The manifest digest.
    pub fn digest(&self) -> String {
        sha256_digest(&self.manifest)
    }
}

/// An OCI image index over `images`, each entry carrying its platform.
pub fn index_of(images: &[ImageBuild]) -> Vec<u8> {
    let manifests: Vec<serde_json::Value> = images
        .iter()
        .map(|image| {
            json!({
                "mediaType": OCI_MANIFEST,
                "digest": image.digest(),
                "size": image.manifest.len(),
                "platform": image.platform,
            })
        })
        .collect();
    serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}))
        .expect("index serialises")
}

impl RegistryClient {
    /// Pushes the blobs and manifest of `build` to `image` (its tag, or its digest when it has
    /// no tag); returns the manifest digest.
    pub async fn push_image(
        &self,
        image: &ImageRef,
        build: &ImageBuild,
    ) -> Result<String, RegistryError> {
        let repository = image.repository_only();
        for layer in &build.layers {
            self.push_blob(&repository, layer.clone()).await?;
        }
        self.push_blob(&repository, build.config.clone()).await?;
        self.push_manifest(image, build.manifest.clone(), OCI_MANIFEST)
            .await
    }

    /// Pushes every image of `images` by digest, then their index under `image`'s tag; returns
    /// the index digest.
    pub async fn push_index(
        &self,
        image: &ImageRef,
        images: &[ImageBuild],
    ) -> Result<String, RegistryError> {
        for build in images {
            self.push_image(&image.at_digest(&build.digest()), build)
                .await?;
        }
        self.push_manifest(image, index_of(images), OCI_INDEX).await
    }
}
