//! The application revision an image was built from, as its `org.opencontainers.image.revision`
//! label says, read from the image's registry (its manifest, for an index the `linux/amd64`
//! entry or else the first, then its config blob).

use std::collections::{BTreeMap, BTreeSet};

use ferry_image::reference::Reference;
use ferry_image::registry::{ImageRef, RegistryClient};
use futures::StreamExt as _;

/// The label (OCI image annotations and labels) naming the source revision.
pub const REVISION_LABEL: &str = "org.opencontainers.image.revision";

/// How many images are read at once.
const CONCURRENT: usize = 8;

/// The revision label of each of `images` that has one. An image that cannot be read (no such
/// registry, no access, not found) is left out, said at debug level: its tag is used instead.
pub async fn revision_labels(
    client: &RegistryClient,
    images: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    futures::stream::iter(images)
        .map(|image| async move { (image, label_of(client, image).await) })
        .buffer_unordered(CONCURRENT)
        .filter_map(|(image, found)| async move {
            match found {
                Ok(Some(revision)) => Some((image.clone(), revision)),
                Ok(None) => None,
                Err(e) => {
                    tracing::debug!(%image, error = %e, "no revision label; its tag is used");
                    None
                }
            }
        })
        .collect()
        .await
}

/// The revision label of `image`, if its config has one.
pub async fn label_of(client: &RegistryClient, image: &str) -> Result<Option<String>, String> {
    let reference = Reference::parse_normalized(image).map_err(|e| e.to_string())?;
    let mut at = ImageRef::from(&reference);
    let mut manifest = client.manifest(&at).await.map_err(|e| e.to_string())?;
    if manifest.is_index() {
        let entries = manifest.entries();
        let linux_amd64 = entries.iter().find(|(_, p)| {
            p.as_ref()
                .is_some_and(|p| p.os == "linux" && p.architecture == "amd64")
        });
        let Some((digest, _)) = linux_amd64.or(entries.first()) else {
            return Ok(None);
        };
        at = at.at_digest(digest);
        manifest = client.manifest(&at).await.map_err(|e| e.to_string())?;
    }
    let Some(config) = manifest.config_digest() else {
        return Ok(None);
    };
    let blob = client
        .pull_blob(&at.repository_only(), config)
        .await
        .map_err(|e| e.to_string())?;
    let config: serde_json::Value = serde_json::from_slice(&blob).map_err(|e| e.to_string())?;
    Ok(config["config"]["Labels"][REVISION_LABEL]
        .as_str()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned))
}
