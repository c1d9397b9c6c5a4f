//! docker/metadata-action conformance: every row of `image/metadata-action.jsonl` and
//! `image/metadata-action-parsers.jsonl` (see `docs/ferry-tag.md`).

use std::collections::BTreeMap;

use ferry_image::meta::{
    Context, Inputs, Meta, Options, RepoInfo, context_from_github, is_raw_statement, parse_flavor,
    parse_images, parse_tag, parse_tags,
};
use ferry_test_support::{conformance_cases, conformance_dir};
use jiff::Timestamp;
use serde_json::{Value, json};

fn list(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("string entry").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    list(&json!({ "x": v }), "x")
}

fn repo_info() -> RepoInfo {
    let dir = conformance_dir();
    let path = dir.join("image/metadata-action-fixtures/repo.json");
    let text = std::fs::read_to_string(&path).expect("repo.json");
    RepoInfo::from_github_json(&serde_json::from_str(&text).expect("repo.json is JSON"))
}

fn context(c: &Value, now: Timestamp) -> Context {
    let mut env = BTreeMap::new();
    for (k, v) in c["env"].as_object().expect("env").iter() {
        env.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
    }
    let pr_head_sha = c
        .pointer("/extra_env/DOCKER_METADATA_PR_HEAD_SHA")
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut ctx = context_from_github(&env, c["payload"].clone(), pr_head_sha, |_| now);
    // Upstream's test mocks the commit date lookup to the mocked current time.
    ctx.commit_date = now;
    ctx
}

fn check(id: &str, what: &str, got: Value, want: &Value) -> Result<(), String> {
    if &got == want {
        Ok(())
    } else {
        Err(format!("{id}: {what}\n   got: {got}\n  want: {want}"))
    }
}

fn run_meta_case(c: &Value, repo: &RepoInfo) -> Result<(), String> {
    let id = c["id"].as_str().expect("id");
    let now: Timestamp = c["now"].as_str().expect("now").parse().expect("timestamp");
    let inputs_json = &c["inputs"];
    let inputs = Inputs {
        images: list(inputs_json, "images"),
        tags: list(inputs_json, "tags"),
        flavor: list(inputs_json, "flavor"),
        labels: list(inputs_json, "labels"),
        annotations: list(inputs_json, "annotations"),
    };
    let ctx = context(c, now);
    let meta = Meta::compute(&inputs, &ctx, repo, Options::at(now))
        .map_err(|e| format!("{id}: unexpected error: {e}"))?;
    let target = inputs_json
        .get("bake-target")
        .and_then(Value::as_str)
        .unwrap_or("docker-metadata-action");
    if let Some(v) = c.get("expected_version") {
        check(
            id,
            "version",
            serde_json::to_value(&meta.version).unwrap(),
            v,
        )?;
    }
    if let Some(v) = c.get("expected_tags") {
        check(id, "tags", json!(meta.tags), v)?;
    }
    if let Some(v) = c.get("expected_labels") {
        check(id, "labels", json!(meta.labels), v)?;
    }
    if let Some(v) = c.get("expected_annotations") {
        check(id, "annotations", json!(meta.annotations), v)?;
    }
    if let Some(v) = c.get("expected_json") {
        let levels = strings(&c["annotation_levels"]);
        check(id, "json", meta.json(&levels), v)?;
    }
    if let Some(v) = c.get("expected_bake_tags") {
        check(id, "bake tags", meta.bake_tags(target), v)?;
    }
    if let Some(v) = c.get("expected_bake_labels") {
        check(id, "bake labels", meta.bake_labels(target), v)?;
    }
    if let Some(v) = c.get("expected_bake_annotations") {
        let levels = vec!["index".to_string(), "manifest-descriptor".to_string()];
        check(
            id,
            "bake annotations",
            meta.bake_annotations(target, &levels),
            v,
        )?;
    }
    if let Some(v) = c.get("expected_bake_definition") {
        check(id, "bake definition", meta.bake_definition(target), v)?;
    }
    if let Some(v) = c.get("expected_tags_joined") {
        let sep = inputs_json
            .get("sep-tags")
            .and_then(Value::as_str)
            .unwrap_or("\n");
        check(id, "joined tags", json!(meta.tags.join(sep)), v)?;
    }
    Ok(())
}

fn run_parser_case(c: &Value) -> Result<(), String> {
    let id = c["id"].as_str().expect("id");
    let invalid = c.get("invalid").and_then(Value::as_bool).unwrap_or(false);
    let input = &c["input"];
    let got: Result<Value, String> = match c["suite"].as_str().expect("suite") {
        "meta.isRawStatement" => Ok(json!(is_raw_statement(input.as_str().unwrap()))),
        "tag.parse" => parse_tag(input.as_str().unwrap())
            .map(|t| serde_json::to_value(t).unwrap())
            .map_err(|e| e.to_string()),
        "tag.transform" => parse_tags(&strings(input))
            .map(|t| serde_json::to_value(t).unwrap())
            .map_err(|e| e.to_string()),
        "flavor.transform" => parse_flavor(&strings(input))
            .map(|f| serde_json::to_value(f).unwrap())
            .map_err(|e| e.to_string()),
        "image.transform" => parse_images(&strings(input))
            .map(|i| serde_json::to_value(i).unwrap())
            .map_err(|e| e.to_string()),
        other => return Err(format!("{id}: unknown suite {other}")),
    };
    match (got, invalid) {
        (Ok(v), false) => check(id, "result", v, &c["expected"]),
        (Err(e), false) => Err(format!("{id}: unexpected error: {e}")),
        (Ok(v), true) => Err(format!("{id}: expected an error, got {v}")),
        (Err(_), true) => Ok(()),
    }
}

fn report(name: &str, results: Vec<Result<(), String>>) {
    let total = results.len();
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    eprintln!("{name}: {} of {total} cases pass", total - failures.len());
    assert!(
        failures.is_empty(),
        "{} of {total} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn metadata_action_meta_cases() {
    let cases = conformance_cases("image/metadata-action.jsonl");
    assert_eq!(cases.len(), 131, "case count");
    let repo = repo_info();
    report(
        "metadata-action.jsonl",
        cases.iter().map(|c| run_meta_case(c, &repo)).collect(),
    );
}

#[test]
fn metadata_action_parser_cases() {
    let cases = conformance_cases("image/metadata-action-parsers.jsonl");
    assert_eq!(cases.len(), 60, "case count");
    report(
        "metadata-action-parsers.jsonl",
        cases.iter().map(run_parser_case).collect(),
    );
}
