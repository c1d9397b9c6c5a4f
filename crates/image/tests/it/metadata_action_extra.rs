//! Behaviour of the metadata-action port beyond the upstream tables.

use std::collections::BTreeMap;

use ferry_image::meta::{
    Context, Inputs, Meta, MetaError, Options, RepoInfo, context_from_github, sanitize_tag,
};
use jiff::Timestamp;
use serde_json::json;

fn now() -> Timestamp {
    "2020-01-10T00:30:00Z".parse().unwrap()
}

fn ctx(event: &str, git_ref: &str) -> Context {
    Context {
        event_name: event.into(),
        sha: "0123456789abcdef0123456789abcdef01234567".into(),
        git_ref: git_ref.into(),
        payload: json!({"repository": {"default_branch": "main"}}),
        commit_date: "2019-12-31T23:00:00Z".parse().unwrap(),
    }
}

fn repo() -> RepoInfo {
    RepoInfo {
        name: "app".into(),
        default_branch: "main".into(),
        ..RepoInfo::default()
    }
}

fn compute(tags: &[&str], flavor: &[&str], c: &Context) -> Result<Meta, MetaError> {
    let inputs = Inputs {
        images: vec!["Org/App".into()],
        tags: tags.iter().map(|s| s.to_string()).collect(),
        flavor: flavor.iter().map(|s| s.to_string()).collect(),
        ..Inputs::default()
    };
    Meta::compute(&inputs, c, &repo(), Options::at(now()))
}

fn names(m: &Meta) -> Vec<&str> {
    m.tag_names.iter().map(String::as_str).collect()
}

#[test]
fn latest_true_and_prefix_on_latest() {
    let m = compute(
        &["type=ref,event=branch"],
        &["latest=true", "prefix=v-,onlatest=true"],
        &ctx("push", "refs/heads/feature/x"),
    )
    .unwrap();
    assert_eq!(names(&m), ["v-feature-x", "v-latest"]);
    assert_eq!(m.tags[0], "org/app:v-feature-x");
}

#[test]
fn expressions_in_enable_prefix_and_dates() {
    let c = ctx("push", "refs/heads/main");
    let m = compute(
        &[
            "type=raw,value=on-default,enable={{is_default_branch}}",
            "type=raw,value=off,enable={{is_not_default_branch}}",
            "type=raw,value=d,prefix={{branch}}-,suffix=-{{commit_date 'YYYY' tz='Asia/Tokyo'}}",
        ],
        &[],
        &c,
    )
    .unwrap();
    assert_eq!(names(&m), ["on-default", "main-d-2020"]);

    let err = compute(&["type=raw,value=x,enable=maybe"], &[], &c).unwrap_err();
    assert!(matches!(err, MetaError::Enable(v) if v == "maybe"));
    let err = compute(&["type=raw,value={{date 'YYYY' tz='Mars/Base'}}"], &[], &c).unwrap_err();
    assert!(err.to_string().contains("unknown time zone"), "{err}");
    let err = compute(&["type=raw,value={{date 'YYYY' zone='UTC'}}"], &[], &c).unwrap_err();
    assert!(err.to_string().contains("Unknown zone attribute"), "{err}");
}

#[test]
fn match_flags_groups_and_warnings() {
    let c = ctx("push", "refs/tags/Release-1.2.3");
    let m = compute(
        &[
            "type=match,pattern=/release-(\\d+)\\.(\\d+)/i,group=2",
            "type=match,pattern=nothing-here",
            "type=match,pattern=(\\d+),group=7",
        ],
        &["latest=false"],
        &c,
    )
    .unwrap();
    assert_eq!(names(&m), ["2"]);
    assert_eq!(m.warnings.len(), 2, "{:?}", m.warnings);
    let err = compute(&["type=match,pattern=(unclosed"], &[], &c).unwrap_err();
    assert!(matches!(err, MetaError::Regex { .. }), "{err}");
}

#[test]
fn schedule_default_and_short_sha_length() {
    let c = ctx("schedule", "refs/heads/main");
    let mut opts = Options::at(now());
    opts.short_sha_length = 10;
    let inputs = Inputs {
        tags: vec!["type=schedule".into(), "type=sha,prefix=".into()],
        ..Inputs::default()
    };
    let m = Meta::compute(&inputs, &c, &repo(), opts).unwrap();
    assert_eq!(m.tags, ["nightly", "0123456789"]);
    assert!(
        m.labels
            .contains(&"org.opencontainers.image.version=nightly".to_string())
    );
}

#[test]
fn github_context_rules() {
    let env: BTreeMap<String, String> = [
        ("GITHUB_EVENT_NAME", "pull_request_target"),
        ("GITHUB_SHA", "aaa"),
        ("GITHUB_REF", "refs/heads/main"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let payload = json!({"number": 42, "pull_request": {"head": {"sha": "bbb"}}});
    let c = context_from_github(&env, payload.clone(), false, |_| now());
    assert_eq!(c.git_ref, "refs/pull/42/merge");
    assert_eq!(c.sha, "aaa");
    let mut asked = String::new();
    let c = context_from_github(&env, payload, true, |sha| {
        asked = sha.to_string();
        now()
    });
    assert_eq!((c.sha.as_str(), asked.as_str()), ("bbb", "bbb"));

    let mut env = env;
    env.insert("GITHUB_EVENT_NAME".into(), "push".into());
    let payload = json!({"head_commit": {"id": "aaa", "timestamp": "2022-04-19T11:27:24+02:00"}});
    let c = context_from_github(&env, payload, false, |_| panic!("payload has the date"));
    assert_eq!(
        c.commit_date,
        "2022-04-19T09:27:24Z".parse::<Timestamp>().unwrap()
    );
}

#[test]
fn sanitizes_tags() {
    assert_eq!(sanitize_tag("my/feature#1245"), "my-feature-1245");
    assert_eq!(sanitize_tag("a  b__c..d"), "a-b__c..d");
}
