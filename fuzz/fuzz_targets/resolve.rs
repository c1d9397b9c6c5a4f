//! Overlay resolution over a tree of files in memory (format: `ferry_fuzz` docs): it never
//! panics, never reads a file outside the repository root (symbolic links included), and
//! gives the same answer again with a warm parse cache.
#![no_main]

use std::path::Path;

use ferry_fuzz::{MemTree, ROOT};
use ferry_kustomize::{ParseCache, validate_overlay_in};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tree = MemTree::parse(text);
    let overlay = tree.overlay();
    let cache = ParseCache::new();
    let first = validate_overlay_in(&tree, &cache, Path::new(ROOT), &overlay);
    for read in tree.reads() {
        assert!(
            read.starts_with(ROOT),
            "the resolver read {} outside the root",
            read.display()
        );
    }
    let Ok(first) = first else { return };
    let again = validate_overlay_in(&tree, &cache, Path::new(ROOT), &overlay)
        .expect("a second resolution opens what the first opened");
    assert_eq!(
        first.workloads, again.workloads,
        "workloads with a warm cache"
    );
    let shown = |r: &ferry_kustomize::Resolution| -> Vec<String> {
        r.findings.iter().map(ToString::to_string).collect()
    };
    assert_eq!(shown(&first), shown(&again), "findings with a warm cache");
});
