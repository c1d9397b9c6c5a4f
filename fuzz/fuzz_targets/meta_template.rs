//! The metadata-action inputs and their `{{…}}` template expressions: computing tags, labels
//! and annotations either fails with an error or gives one tag per image and tag name, and never
//! panics.
//!
//! Input: one entry per line, `KIND:VALUE` with KIND one of `tags` (the default when a line
//! has no known KIND), `flavor`, `labels`, `annotations`, `images`, `ref`, `event`, `sha`.
#![no_main]

use ferry_image::meta::{Context, Inputs, Meta, Options, RepoInfo, is_raw_statement};
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut inputs = Inputs::default();
    let mut ctx = Context {
        event_name: "push".into(),
        sha: "860c1904a1ce19322e91ac35af1ab07466440c37".into(),
        git_ref: "refs/tags/v1.2.3".into(),
        payload: json!({"repository": {"default_branch": "main"}}),
        commit_date: Timestamp::from_second(1_700_000_000).expect("a valid time"),
    };
    for line in text.lines().take(32) {
        let (kind, value) = line.split_once(':').unwrap_or(("tags", line));
        let value = value.to_owned();
        match kind {
            "flavor" => inputs.flavor.push(value),
            "labels" => inputs.labels.push(value),
            "annotations" => inputs.annotations.push(value),
            "images" => inputs.images.push(value),
            "ref" => ctx.git_ref = value,
            "event" => ctx.event_name = value,
            "sha" => ctx.sha = value,
            "tags" => inputs.tags.push(value),
            _ => inputs.tags.push(line.to_owned()),
        }
    }
    for tag in &inputs.tags {
        let _ = is_raw_statement(tag);
    }
    let repo = RepoInfo {
        name: "app".into(),
        description: "An app".into(),
        html_url: "https://github.com/acme/app".into(),
        default_branch: "main".into(),
        license: Some("MIT".into()),
    };
    let opts = Options::at(Timestamp::from_second(1_700_000_100).expect("a valid time"));
    match Meta::compute(&inputs, &ctx, &repo, opts) {
        Ok(meta) => {
            assert_eq!(
                meta.tags.len(),
                meta.tag_names.len() * meta.images.len().max(1),
                "one tag per image and tag name"
            );
            let _ = meta.json(&["manifest".to_owned()]);
            let _ = meta.bake_definition("target");
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
