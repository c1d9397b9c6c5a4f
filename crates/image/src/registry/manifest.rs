//! Manifests as the registry stores them (raw bytes, digest, media type) and platforms.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest (schema 2) media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list media type.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The manifest media types the client asks for and copies.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    OCI_INDEX,
    DOCKER_MANIFEST_LIST,
    OCI_MANIFEST,
    DOCKER_MANIFEST,
];

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in hash.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A manifest exactly as stored: its bytes hash to its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The raw bytes (pushed unchanged when copying, so the digest is preserved).
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of `bytes`.
    pub digest: String,
    /// The media type (from the document, or inferred when it omits `mediaType`).
    pub media_type: String,
    parsed: RawManifest,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    digest: String,
    #[serde(default)]
    urls: Option<Vec<String>>,
    #[serde(default)]
    platform: Option<RawPlatform>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct RawPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl From<RawPlatform> for Platform {
    fn from(p: RawPlatform) -> Self {
        Platform {
            os: p.os,
            architecture: p.architecture,
            variant: p.variant.filter(|v| !v.is_empty()),
        }
    }
}

impl Manifest {
    /// Parses manifest bytes; `media_type` is the `Content-Type` when known.
    pub fn from_bytes(bytes: Vec<u8>, media_type: Option<&str>) -> Result<Self, String> {
        let parsed: RawManifest =
            serde_json::from_slice(&bytes).map_err(|e| format!("invalid manifest JSON: {e}"))?;
        if parsed.schema_version != Some(2) {
            return Err(format!(
                "unsupported manifest schemaVersion {:?} (only 2 is supported)",
                parsed.schema_version
            ));
        }
        let media_type = media_type
            .map(str::to_owned)
            .or_else(|| parsed.media_type.clone())
            .unwrap_or_else(|| {
                if parsed.manifests.is_some() {
                    OCI_INDEX.to_owned()
                } else {
                    OCI_MANIFEST.to_owned()
                }
            });
        if !MANIFEST_MEDIA_TYPES.contains(&media_type.as_str()) {
            return Err(format!("unsupported manifest media type {media_type}"));
        }
        Ok(Self {
            digest: sha256_digest(&bytes),
            bytes,
            media_type,
            parsed,
        })
    }

    /// Whether this is an image index (manifest list) rather than an image manifest.
    pub fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_MANIFEST_LIST
    }

    /// The manifests an index lists, with their platforms (empty for an image manifest).
    pub fn entries(&self) -> Vec<(String, Option<Platform>)> {
        self.parsed
            .manifests
            .iter()
            .flatten()
            .map(|d| (d.digest.clone(), d.platform.clone().map(Platform::from)))
            .collect()
    }

    /// The config digest of an image manifest.
    pub fn config_digest(&self) -> Option<&str> {
        self.parsed.config.as_ref().map(|c| c.digest.as_str())
    }

    /// Blobs an image manifest refers to that live in the registry (config, then layers;
    /// foreign layers with `urls` are left out).
    pub fn blobs(&self) -> Vec<String> {
        self.parsed
            .config
            .iter()
            .chain(self.parsed.layers.iter().filter(|l| l.urls.is_none()))
            .map(|d| d.digest.clone())
            .collect()
    }
}

/// An `os/architecture[/variant]` platform, as in `--platform linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Platform {
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// CPU architecture, e.g. `amd64`.
    pub architecture: String,
    /// CPU variant, e.g. `v8`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// Whether an image of platform `offered` satisfies this request (a request without a
    /// variant accepts any variant).
    pub fn matches(&self, offered: &Platform) -> bool {
        self.os == offered.os
            && self.architecture == offered.architecture
            && (self.variant.is_none() || self.variant == offered.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let valid = |p: &&str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        };
        match parts.as_slice() {
            [os, arch] if valid(os) && valid(arch) => Ok(Self {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] if valid(os) && valid(arch) && valid(variant) => Ok(Self {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()),
            }),
            _ => Err(format!(
                "invalid platform `{s}`: expected os/architecture[/variant], e.g. linux/amd64"
            )),
        }
    }
}

/// The `os`/`architecture`/`variant` of an image config blob.
pub(crate) fn config_platform(config: &[u8]) -> Option<Platform> {
    serde_json::from_slice::<RawPlatform>(config)
        .ok()
        .map(Platform::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_match() {
        let p: Platform = "linux/arm64".parse().unwrap();
        let v8: Platform = "linux/arm64/v8".parse().unwrap();
        assert!(p.matches(&v8));
        assert!(!v8.matches(&p));
        assert_eq!(v8.to_string(), "linux/arm64/v8");
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//amd64".parse::<Platform>().is_err());
    }

    #[test]
    fn media_type_is_inferred_and_digest_is_of_the_bytes() {
        let index = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:aa","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}"#;
        let m = Manifest::from_bytes(index.to_vec(), None).unwrap();
        assert!(m.is_index());
        assert_eq!(m.digest, sha256_digest(index));
        assert_eq!(
            m.entries()[0].1.as_ref().unwrap().to_string(),
            "linux/amd64"
        );
        let schema1 = br#"{"schemaVersion":1}"#;
        assert!(Manifest::from_bytes(schema1.to_vec(), None).is_err());
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
