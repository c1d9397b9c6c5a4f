//! The image registry of `cargo xtask bench all`: a `docker-registry` on 127.0.0.1 (see
//! `ferry_test_support::registry`) holding one small image, pushed with `skopeo copy` from an OCI
//! layout written here, so that `ferry-image digest` and `skopeo inspect` ask the same registry
//! about the same image.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, ensure};
use ferry_test_support::registry::TestRegistry;
use sha2::{Digest as _, Sha256};

/// The repository and tag pushed.
pub(crate) const IMAGE: &str = "bench/app:1.0.0";

/// A running registry holding [`IMAGE`], and the digest of its manifest.
pub(crate) struct Registry {
    pub(crate) registry: TestRegistry,
    pub(crate) digest: String,
}

impl Registry {
    /// `HOST:PORT/bench/app:1.0.0`.
    pub(crate) fn reference(&self) -> String {
        format!("{}/{IMAGE}", self.registry.host())
    }
}

/// Starts the registry and pushes the image with `skopeo`; `None` when `docker-registry` is not
/// installed.
pub(crate) fn start(skopeo: &Path) -> Result<Option<Registry>> {
    let Some(registry) = TestRegistry::start() else {
        return Ok(None);
    };
    let layout = tempfile::tempdir()?;
    let digest = write_layout(layout.path())?;
    let status = Command::new(skopeo)
        .args([
            "--insecure-policy",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
        ])
        .arg(format!("oci:{}:1.0.0", layout.path().display()))
        .arg(format!("docker://{}/{IMAGE}", registry.host()))
        .status()
        .context("cannot run skopeo copy")?;
    ensure!(status.success(), "skopeo copy to the bench registry failed");
    Ok(Some(Registry { registry, digest }))
}

fn sha256(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// An OCI image layout with one image (one layer holding one file) tagged `1.0.0`; the
/// digest of its manifest.
fn write_layout(dir: &Path) -> Result<String> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let blob = |bytes: &[u8]| -> Result<(String, usize)> {
        let digest = sha256(bytes);
        let name = digest.trim_start_matches("sha256:");
        std::fs::write(blobs.join(name), bytes)?;
        Ok((digest, bytes.len()))
    };
    let mut tar = tar::Builder::new(Vec::new());
    let content = b"ferry bench image\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, "hello.txt", &content[..])?;
    let tar = tar.into_inner()?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar)?;
    let (layer, layer_size) = blob(&gz.finish()?)?;
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [sha256(&tar)]},
    });
    let (config, config_size) = blob(&serde_json::to_vec(&config)?)?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config,
            "size": config_size,
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer,
            "size": layer_size,
        }],
    });
    let (manifest, manifest_size) = blob(&serde_json::to_vec(&manifest)?)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "1.0.0"},
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index)?)?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(manifest)
}
