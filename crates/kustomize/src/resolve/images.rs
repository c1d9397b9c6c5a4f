//! The `images` step of a kustomization, the last one of its build: what an image bump redoes.

use super::resource::Res;
use crate::images::ImageEntry;
use crate::model::Kustomization;
use crate::source::ParseCache;
use crate::transform;

/// The `images` step of a kustomization: its `images` entries, then `ImageTagTransformer`
/// configurations of `transformers:`.
pub(super) fn apply_images(
    cache: &ParseCache,
    k: &Kustomization,
    acc: &mut [Res],
    image_paths: &[(Option<String>, String)],
    plugin_images: &[(ImageEntry, Vec<String>)],
) {
    // kustomize's default field specs, then those of `configurations:` for the resource's kind.
    let paths_of = |r: &Res| -> Vec<&str> {
        let mut paths: Vec<&str> = transform::DEFAULT_IMAGE_PATHS.to_vec();
        let configured = image_paths
            .iter()
            .filter(|(kind, _)| kind.as_deref().is_none_or(|k| k == r.kind()))
            .map(|(_, p)| p.as_str());
        for p in configured {
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
        paths
    };
    let entries: Vec<_> = k
        .images
        .iter()
        .flatten()
        .filter_map(|entry| {
            // An entry whose name does not parse is reported by validate::check_fields.
            let matcher = cache.image_matcher(&entry.value.name);
            matcher.is_ok().then_some((&entry.value, matcher))
        })
        .collect();
    if !entries.is_empty() {
        for r in acc.iter_mut() {
            let paths = paths_of(r);
            if untouched(r, &paths) {
                continue;
            }
            for (entry, matcher) in &entries {
                if let Ok(matcher) = matcher.as_ref() {
                    transform::apply_image_entry(r.doc.value_mut(), entry, matcher, true, &paths);
                }
            }
        }
    }
    // `transformers:` run after the built-in ones.
    for (entry, paths) in plugin_images {
        let matcher = cache.image_matcher(&entry.name);
        let Ok(matcher) = matcher.as_ref() else {
            continue;
        };
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        for r in acc.iter_mut() {
            if untouched(r, &paths) {
                continue;
            }
            transform::apply_image_entry(r.doc.value_mut(), entry, matcher, true, &paths);
        }
    }
}

/// Whether the images transformer leaves `r` alone without looking inside it: a custom
/// resource definition, or a document without `containers`/`initContainers` when every field
/// path goes through one. (Decoding it would find nothing to change.)
fn untouched(r: &Res, paths: &[&str]) -> bool {
    r.kind() == "CustomResourceDefinition"
        || (!r.doc.maybe_containers() && paths.iter().all(|p| p.contains("ontainers")))
}
