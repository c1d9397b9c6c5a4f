//! The `org.opencontainers.image.revision` label read from a real registry (`docker-registry`
//! on 127.0.0.1): an image manifest, an index (its linux/amd64 entry), an image without the
//! label, and one that does not exist; and `ferry-metrics --app-repo` end to end, whose lead
//! times start at the labelled application commit, else at the one the image's tag names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ferry_image::registry::{
    ClientOptions, CredentialSource, ImageBuild, ImageRef, RegistryClient, sha256_digest,
};
use ferry_metrics::revision::{REVISION_LABEL, label_of, revision_labels};
use ferry_test_support::git::{bare_origin, binary_in, clone, git, init_commit};
use ferry_test_support::history::{History, rfc3339};
use ferry_test_support::registry::TestRegistry;
use serde_json::json;

const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

/// An image for `platform` whose config carries `labels`.
fn labelled(platform: &str, labels: serde_json::Value) -> ImageBuild {
    let mut build = ImageBuild::new(
        platform.parse().expect("a platform"),
        vec![platform.as_bytes().to_vec()],
    );
    let mut config: serde_json::Value = serde_json::from_slice(&build.config).expect("JSON");
    config["config"]["Labels"] = labels;
    build.config = serde_json::to_vec(&config).expect("JSON");
    let mut manifest: serde_json::Value = serde_json::from_slice(&build.manifest).expect("JSON");
    manifest["config"]["digest"] = json!(sha256_digest(&build.config));
    manifest["config"]["size"] = json!(build.config.len());
    build.manifest = serde_json::to_vec(&manifest).expect("JSON");
    build
}

#[tokio::test]
async fn labels_of_manifests_and_indexes() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let host = registry.host();
    let client = RegistryClient::new(
        ClientOptions {
            plain_http: vec![host.clone()],
            ..ClientOptions::default()
        },
        CredentialSource::anonymous(),
    );
    let app = ImageRef::new(&host, "acme/app");
    let single = labelled("linux/amd64", json!({ REVISION_LABEL: REVISION }));
    client
        .push_image(&app.clone().with_tag("single"), &single)
        .await
        .expect("push");
    // An index: its arm64 entry names another revision; linux/amd64 is the one read.
    let arm = labelled("linux/arm64", json!({ REVISION_LABEL: "ffffffffffffffff" }));
    let amd = labelled("linux/amd64", json!({ REVISION_LABEL: REVISION }));
    client
        .push_index(&app.clone().with_tag("multi"), &[arm, amd])
        .await
        .expect("push index");
    let plain = labelled("linux/amd64", json!({ "org.example.other": "x" }));
    client
        .push_image(&app.clone().with_tag("plain"), &plain)
        .await
        .expect("push");

    let image = |tag: &str| format!("{host}/acme/app:{tag}");
    assert_eq!(
        label_of(&client, &image("single")).await,
        Ok(Some(REVISION.to_owned()))
    );
    assert_eq!(
        label_of(&client, &image("multi")).await,
        Ok(Some(REVISION.to_owned()))
    );
    assert_eq!(label_of(&client, &image("plain")).await, Ok(None));
    assert!(label_of(&client, &image("missing")).await.is_err());

    let all: BTreeSet<String> = ["single", "multi", "plain", "missing"]
        .iter()
        .map(|t| image(t))
        .collect();
    assert_eq!(
        revision_labels(&client, &all).await,
        BTreeMap::from([
            (image("multi"), REVISION.to_owned()),
            (image("single"), REVISION.to_owned()),
        ])
    );
}

const T0: i64 = 1_790_000_000;
const HOUR: i64 = 3600;

/// An application image of the test: its repository (`backend`, `frontend`) and tag, and what
/// the registry has of it.
struct Pushed {
    name: &'static str,
    tag: &'static str,
    /// `None`: not in the registry. `Some(None)`: there without a revision label.
    /// `Some(Some(i))`: labelled with the application commit `i`.
    label: Option<Option<usize>>,
}

/// The application repository: commits at these times (hours from T0), tags on some.
const APP: [(i64, Option<&str>); 4] = [
    (-5, None),
    (-3, Some("1.4.0")),
    (2, Some("v1.5.0")),
    (4, None),
];

/// What the registry holds: backend:1.4.0 labelled with the first commit (older than the one
/// its tag names), frontend:1.4.0 without a label, backend:1.5.0 labelled with the last commit
/// (newer than the one its tag names), frontend:1.5.0 missing.
const IMAGES: [Pushed; 4] = [
    Pushed {
        name: "backend",
        tag: "1.4.0",
        label: Some(Some(0)),
    },
    Pushed {
        name: "frontend",
        tag: "1.4.0",
        label: Some(None),
    },
    Pushed {
        name: "backend",
        tag: "1.5.0",
        label: Some(Some(3)),
    },
    Pushed {
        name: "frontend",
        tag: "1.5.0",
        label: None,
    },
];

/// The deployments: environment, tag, hours from T0.
const DEPLOYS: [(&str, &str, i64); 5] = [
    ("dev", "1.4.0", 1),
    ("staging", "1.4.0", 2),
    ("prod", "1.4.0", 3),
    ("dev", "1.5.0", 5),
    ("staging", "1.5.0", 6),
];

/// Points every overlay's application images at `host` (a `newName` after each `newTag`).
fn use_registry(h: &History, host: &str) {
    for env in ["dev", "staging", "prod"] {
        let path = h
            .dir
            .join(format!("infra/k8s/overlays/{env}/kustomization.yaml"));
        let text = std::fs::read_to_string(&path).expect("the overlay reads");
        let mut out = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            out.push(line.to_owned());
            if let Some(name) = line
                .trim()
                .strip_prefix("- name: registry.example.com/acme/")
            {
                out.push(lines.next().expect("a newTag line").to_owned());
                out.push(format!("    newName: {host}/acme/{name}"));
            }
        }
        let edited = out.join("\n") + "\n";
        assert_eq!(
            edited.matches(&format!("newName: {host}/")).count(),
            2,
            "{edited}"
        );
        std::fs::write(&path, edited).expect("the overlay writes");
    }
}

/// The lead time samples of each environment: (image, origin, seconds).
fn leads(json: &serde_json::Value) -> BTreeMap<String, Vec<(String, String, i64)>> {
    json["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .map(|e| {
            let samples = e["lead_time"]["samples"]
                .as_array()
                .expect("samples")
                .iter()
                .map(|s| {
                    (
                        s["image"].as_str().expect("an image").to_owned(),
                        s["origin"].as_str().expect("an origin").to_owned(),
                        s["seconds"].as_i64().expect("seconds"),
                    )
                })
                .collect();
            (e["env"].as_str().expect("a name").to_owned(), samples)
        })
        .collect()
}

#[tokio::test]
async fn lead_times_start_at_the_labelled_application_commit() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let host = registry.host();
    let tmp = tempfile::tempdir().expect("a temp dir");

    // The application repository.
    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).expect("a directory");
    let mut commits = Vec::new();
    for (i, (hours, tag)) in APP.iter().enumerate() {
        std::fs::write(app.join("main.rs"), format!("// {i}\nfn main() {{}}\n")).expect("a file");
        let at = T0 + hours * HOUR;
        let commit = if i == 0 {
            init_commit(&app, "first", at)
        } else {
            git(&app, &["commit", "-q", "-am", &format!("change {i}")], at);
            git(&app, &["rev-parse", "HEAD"], at).trim().to_owned()
        };
        if let Some(tag) = tag {
            git(&app, &["tag", tag], at);
        }
        commits.push(commit);
    }

    // The registry.
    let client = RegistryClient::new(
        ClientOptions {
            plain_http: vec![host.clone()],
            ..ClientOptions::default()
        },
        CredentialSource::anonymous(),
    );
    for image in &IMAGES {
        let Some(label) = image.label else { continue };
        let labels = match label {
            Some(i) => json!({ REVISION_LABEL: commits[i] }),
            None => json!({ "org.opencontainers.image.source": "https://example.com/app" }),
        };
        client
            .push_image(
                &ImageRef::new(&host, format!("acme/{}", image.name)).with_tag(image.tag),
                &labelled("linux/amd64", labels),
            )
            .await
            .expect("push");
    }

    // The GitOps repository: its images from the registry (before the window), then the
    // deployments; read through the plain-git forge (a clone of its origin).
    let h = History::new(&tmp.path().join("seed"), T0 - 6 * HOUR);
    use_registry(&h, &host);
    git(
        &h.dir,
        &["commit", "-q", "-am", "images from the registry"],
        T0 - 6 * HOUR,
    );
    for (env, tag, hours) in DEPLOYS {
        h.deploy(env, tag, T0 + hours * HOUR);
    }
    let origin = tmp.path().join("origin.git");
    bare_origin(&h.dir, &origin, T0);
    let work = clone(&origin, &tmp.path().join("work"), T0);

    let run = |extra: &[&str]| -> serde_json::Value {
        let out = binary_in(Path::new(env!("CARGO_BIN_EXE_ferry-metrics")), &work)
            .args(["--since", rfc3339(T0).as_str()])
            .args(["--now", rfc3339(T0 + 7 * HOUR).as_str()])
            .args(["--format", "json", "--app-repo"])
            .arg(&app)
            .args(extra)
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .expect("ferry-metrics runs");
        assert!(
            out.status.success(),
            "ferry-metrics failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    };

    // The lead times, computed again: an image's origin is the commit its label names when the
    // registry has it labelled, else the commit its tag names (`1.4.0` or `v1.5.0`); a
    // deployment's lead time runs from the oldest origin of its images.
    let tag_commit = |tag: &str| {
        APP.iter()
            .position(|(_, t)| t.is_some_and(|t| t == tag || t == format!("v{tag}")))
            .expect("the application tags every release")
    };
    let expected = |registry: bool| {
        let mut by_env: BTreeMap<String, Vec<(String, String, i64)>> = ["dev", "staging", "prod"]
            .into_iter()
            .map(|e| (e.to_owned(), Vec::new()))
            .collect();
        for (env, tag, hours) in DEPLOYS {
            let (image, origin) = IMAGES
                .iter()
                .filter(|i| i.tag == tag)
                .map(|i| {
                    let commit = match i.label {
                        Some(Some(c)) if registry => c,
                        _ => tag_commit(tag),
                    };
                    (
                        format!("{host}/acme/{}:{tag}", i.name),
                        T0 + APP[commit].0 * HOUR,
                    )
                })
                .min_by_key(|(_, origin)| *origin)
                .expect("a release has images");
            let deployed = T0 + hours * HOUR;
            by_env.get_mut(env).expect("an environment").push((
                image,
                rfc3339(origin),
                deployed - origin,
            ));
        }
        by_env
    };

    let json = run(&[]);
    assert_eq!(json["lead_time_from"], "application-commit");
    assert_eq!(leads(&json), expected(true));
    // The figures, spelled out once: dev got 1.4.0 at T0 + 1h, 6 hours after the labelled
    // commit (the tag's is 4 hours before); 1.5.0 at T0 + 5h, 3 hours after the commit of its
    // tag (frontend:1.5.0 is not in the registry; backend's label names a newer commit).
    let dev: Vec<i64> = leads(&json)["dev"].iter().map(|s| s.2).collect();
    assert_eq!(dev, [6 * HOUR, 3 * HOUR]);

    // Without the registry, tags alone.
    let tags = run(&["--no-registry"]);
    assert_eq!(leads(&tags), expected(false));
    let dev: Vec<i64> = leads(&tags)["dev"].iter().map(|s| s.2).collect();
    assert_eq!(dev, [4 * HOUR, 3 * HOUR]);
}
