//! Validation findings: every problem names file, line and column and says what to do; bad input
//! never panics.

use std::path::Path;

use ferry_kustomize::{Finding, Resolution, Severity, validate_overlay};
use tempfile::TempDir;

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
";

fn repo(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

fn check(dir: &TempDir, overlay: &str) -> Resolution {
    validate_overlay(dir.path(), &dir.path().join(overlay)).unwrap()
}

fn errors(r: &Resolution) -> Vec<&Finding> {
    r.errors().collect()
}

/// The single error, checked for file name and position.
fn one_error(r: &Resolution, file: &str, line: u64, column: u64) -> Finding {
    let e = errors(r);
    assert_eq!(e.len(), 1, "{e:#?}");
    let f = e[0];
    assert!(f.file.ends_with(file), "{f}");
    assert_eq!((f.line, f.column), (line, column), "{f}");
    f.clone()
}

#[test]
fn valid_overlay_has_no_findings() {
    let d = repo(&[
        ("base/kustomization.yaml", "resources:\n- deploy.yaml\n"),
        ("base/deploy.yaml", DEPLOY),
        (
            "ov/kustomization.yaml",
            "resources:\n- ../base\nnamespace: dev\nimages:\n- name: nginx\n  newTag: \"1.27\"\n",
        ),
    ]);
    let r = check(&d, "ov");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let by_file = check(&d, "ov/kustomization.yaml");
    assert_eq!(by_file.workloads, r.workloads);
    assert_eq!(r.workloads.len(), 1);
    assert_eq!(r.workloads[0].namespace.as_deref(), Some("dev"));
    assert_eq!(r.workloads[0].containers[0].image, "nginx:1.27");
}

#[test]
fn unquoted_numeric_tag_is_an_error() {
    let d = repo(&[(
        "ov/kustomization.yaml",
        "images:\n- name: nginx\n  newTag: 1.10\n",
    )]);
    let f = one_error(&check(&d, "ov"), "ov/kustomization.yaml", 3, 11);
    assert!(f.message.contains("quote"), "{f}");
}

#[test]
fn unknown_field_and_wrong_type() {
    let d = repo(&[("ov/kustomization.yaml", "resources: []\nnamePrefx: a-\n")]);
    let f = one_error(&check(&d, "ov"), "ov/kustomization.yaml", 2, 1);
    assert!(f.message.contains("namePrefx"), "{f}");
    let d = repo(&[("ov/kustomization.yaml", "resources: deploy.yaml\n")]);
    one_error(&check(&d, "ov"), "ov/kustomization.yaml", 1, 12);
}

#[test]
fn malformed_yaml_tabs_and_duplicate_keys() {
    let d = repo(&[("ov/kustomization.yaml", "resources:\n- [a.yaml\n")]);
    let r = check(&d, "ov");
    assert_eq!(errors(&r).len(), 1, "{:#?}", r.findings);
    assert!(errors(&r)[0].line >= 2);

    let d = repo(&[("ov/kustomization.yaml", "resources:\n\t- a.yaml\n")]);
    let r = check(&d, "ov");
    let f = one_error(&r, "ov/kustomization.yaml", 2, 2);
    assert!(f.message.contains("tab"), "{f}");
    assert!(
        !f.message.contains("line 2"),
        "the position is not repeated: {f}"
    );

    let d = repo(&[("ov/kustomization.yaml", "namespace: a\nnamespace: b\n")]);
    let f = one_error(&check(&d, "ov"), "ov/kustomization.yaml", 2, 1);
    assert!(f.message.to_lowercase().contains("duplicate"), "{f}");

    let d = repo(&[
        ("ov/kustomization.yaml", "resources:\n- bad.yaml\n"),
        (
            "ov/bad.yaml",
            "kind: Deployment\nmetadata:\n  name: x\n  name: y\n",
        ),
    ]);
    one_error(&check(&d, "ov"), "ov/bad.yaml", 4, 3);
}

#[test]
fn anchors_are_read_but_alias_bombs_are_refused() {
    let d = repo(&[
        (
            "ov/kustomization.yaml",
            "namespace: &ns dev\nresources:\n- deploy.yaml\nlabels:\n- pairs:\n    env: *ns\n",
        ),
        ("ov/deploy.yaml", DEPLOY),
    ]);
    let r = check(&d, "ov");
    assert!(r.is_valid(), "{:#?}", r.findings);
    assert_eq!(r.workloads[0].namespace.as_deref(), Some("dev"));

    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("l{}", i - 1)
        };
        bomb.push_str(&format!(
            "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let d = repo(&[
        ("ov/kustomization.yaml", "resources:\n- bomb.yaml\n"),
        ("ov/bomb.yaml", &bomb),
    ]);
    let r = check(&d, "ov");
    let e = errors(&r);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].file.ends_with("ov/bomb.yaml"), "{}", e[0]);
}

#[test]
fn huge_file_and_deep_nesting_are_clear_errors() {
    let big = format!("# {}\n", "x".repeat(50 * 1024 * 1024));
    let d = repo(&[
        ("ov/kustomization.yaml", "resources:\n- big.yaml\n"),
        ("ov/big.yaml", &big),
    ]);
    let r = check(&d, "ov");
    let f = one_error(&r, "ov/kustomization.yaml", 2, 3);
    assert!(f.message.contains("larger than"), "{f}");

    let deep = format!("resources: {}{}\n", "[".repeat(5000), "]".repeat(5000));
    let d = repo(&[("ov/kustomization.yaml", &deep)]);
    let r = check(&d, "ov");
    assert_eq!(errors(&r).len(), 1, "{:#?}", r.findings);

    // CRD schemas nest deeply: 100 levels in a resource file are fine.
    let nested = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\nx:\n{}",
        (1..100)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect::<String>()
    );
    let d = repo(&[
        ("ov/kustomization.yaml", "resources:\n- nested.yaml\n"),
        ("ov/nested.yaml", &nested),
    ]);
    let r = check(&d, "ov");
    assert!(r.is_valid(), "{:#?}", r.findings);

    let deep = format!(
        "a:\n{}",
        (1..300)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect::<String>()
    );
    let d = repo(&[
        ("ov/kustomization.yaml", "resources:\n- deep.yaml\n"),
        ("ov/deep.yaml", &deep),
    ]);
    let r = check(&d, "ov");
    assert_eq!(errors(&r).len(), 1, "{:#?}", r.findings);
}

#[test]
fn missing_files_remote_urls_and_escapes() {
    let d = repo(&[(
        "ov/kustomization.yaml",
        "resources:\n- missing.yaml\n- https://github.com/acme/x//base?ref=v1\n- ../../outside\npatches:\n- path: nope.yaml\n",
    )]);
    let r = check(&d, "ov");
    let e = errors(&r);
    assert_eq!(e.len(), 4, "{e:#?}");
    assert_eq!((e[0].line, e[0].column), (2, 3));
    assert!(e[0].message.contains("not found"), "{}", e[0]);
    assert!(
        e[1].message.contains("remote resources are not supported"),
        "{}",
        e[1]
    );
    assert!(e[2].message.contains("not found"), "{}", e[2]);
    assert_eq!(e[3].line, 6);

    let outside = repo(&[("kustomization.yaml", "resources: []\n")]);
    let d = repo(&[(
        "ov/kustomization.yaml",
        "resources:\n- ../escape\n- ../../\n",
    )]);
    std::os::unix::fs::symlink(outside.path(), d.path().join("escape")).unwrap();
    let r = check(&d, "ov");
    let e = errors(&r);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e.iter()
            .all(|f| f.message.contains("outside the repository root")),
        "{e:#?}"
    );
}

#[test]
fn components_and_kustomizations_in_the_wrong_place() {
    let d = repo(&[
        (
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\n",
        ),
        ("base/kustomization.yaml", "resources: []\n"),
        (
            "ov/kustomization.yaml",
            "resources:\n- ../comp\ncomponents:\n- ../base\n",
        ),
    ]);
    let r = check(&d, "ov");
    let e = errors(&r);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e[0].message.contains("list it under `components:`"),
        "{}",
        e[0]
    );
    assert_eq!((e[0].line, e[0].column), (2, 3));
    assert!(
        e[1].message.contains("used here as a component"),
        "{}",
        e[1]
    );
    assert_eq!((e[1].line, e[1].column), (4, 3));
}

#[test]
fn cycles_are_reported() {
    let d = repo(&[
        ("a/kustomization.yaml", "resources:\n- ../b\n"),
        ("b/kustomization.yaml", "resources:\n- ../a\n"),
    ]);
    let r = check(&d, "a");
    let e = errors(&r);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].message.contains("cycle: a -> b -> a"), "{}", e[0]);
    assert!(e[0].file.ends_with("b/kustomization.yaml"));
}

#[test]
fn image_entries_are_checked() {
    let d = repo(&[(
        "ov/kustomization.yaml",
        "images:
- name: nginx
  newTag: \"1.0\"
- name: nginx
  newTag: \"2.0\"
- name: Bad/Name
  newTag: ok
- name: redis
  newTag: -bad
- name: redis2
  digest: sha256:abc
- name: pg
  newName: pg:16
- name: empty
- name: \"a(\"
  newTag: x
",
    )]);
    let r = check(&d, "ov");
    let msgs: Vec<(u64, &str)> = r.errors().map(|f| (f.line, f.message.as_str())).collect();
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    assert!(
        msgs[0]
            .1
            .contains("duplicate `images` entry for `nginx` (first at line 2)")
    );
    assert_eq!(msgs[0].0, 4);
    // kustomize fails on a name it cannot compile as a regular expression.
    assert!(
        msgs[1].1.contains("`name: a(` is not usable"),
        "{}",
        msgs[1].1
    );
    // Everything kustomize renders as written is a warning: the image cannot be pulled, or
    // (an entry with only `name`) nothing changes.
    let w: Vec<(u64, &str)> = r.warnings().map(|f| (f.line, f.message.as_str())).collect();
    assert_eq!(w.len(), 5, "{w:#?}");
    assert!(w[0].1.contains("`name: Bad/Name`"), "{}", w[0].1);
    assert!(w[1].1.contains("`newTag: -bad`"), "{}", w[1].1);
    assert!(w[2].1.contains("`digest: sha256:abc`"), "{}", w[2].1);
    assert!(w[3].1.contains("`newName: pg:16`"), "{}", w[3].1);
    assert!(w[4].1.contains("sets none of"), "{}", w[4].1);
    assert_eq!(w[4].0, 14);
}

#[test]
fn images_kustomize_matches_as_plain_strings_resolve_with_warnings() {
    let d = repo(&[
        (
            "ov/deploy.yaml",
            &DEPLOY.replace("nginx:1.25", "ko://github.com/acme/web"),
        ),
        (
            "ov/kustomization.yaml",
            "resources:\n- deploy.yaml\nimages:\n- name: ko://github.com/acme/web\n  newName: gcr.io/<<PROJECT>>/web\n  newTag: v1\n- name: placeholder\n",
        ),
    ]);
    let r = check(&d, "ov");
    assert!(r.is_valid(), "{:#?}", r.findings);
    assert_eq!(
        r.workloads[0].containers[0].image,
        "gcr.io/<<PROJECT>>/web:v1"
    );
    assert_eq!(r.warnings().count(), 3, "{:#?}", r.findings);
}

#[test]
fn deprecated_fields_are_warnings() {
    let d = repo(&[
        ("base/kustomization.yaml", "resources:\n- deploy.yaml\n"),
        ("base/deploy.yaml", DEPLOY),
        (
            "ov/p.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
        ),
        (
            "ov/kustomization.yaml",
            "bases:\n- ../base\ncommonLabels:\n  a: b\npatchesStrategicMerge:\n- p.yaml\npatchesJson6902:\n- target: {kind: Deployment, name: web}\n  patch: '[]'\nvars: []\n",
        ),
    ]);
    let r = check(&d, "ov");
    assert!(r.is_valid(), "{:#?}", r.findings);
    let w: Vec<&Finding> = r.warnings().collect();
    assert_eq!(w.len(), 5, "{w:#?}");
    assert!(
        w.iter()
            .all(|f| f.severity == Severity::Warning && f.line > 0)
    );
    assert!(w[0].message.contains("`bases` is deprecated"));
}

/// Found by the `resolve` fuzz target: an operation without `path` replaced the whole resource
/// with a string, and naming it later panicked. Both are now errors.
#[test]
fn a_json6902_patch_must_leave_a_resource_a_mapping() {
    for op in [
        r#"{"op": "replace", "value": "x"}"#,
        r#"{"op": "replace", "path": "", "value": "x"}"#,
        r#"{"op": "replace", "path": "", "value": [1]}"#,
    ] {
        let d = repo(&[
            ("ov/deploy.yaml", DEPLOY),
            (
                "ov/kustomization.yaml",
                &format!(
                    "resources:\n- deploy.yaml\nnamespace: j\npatches:\n- target: {{kind: Deployment}}\n  patch: '[{op}]'\n"
                ),
            ),
        ]);
        let r = check(&d, "ov");
        let e = errors(&r);
        assert_eq!(e.len(), 1, "{op}: {e:#?}");
        assert!(
            e[0].message
                .contains("JSON 6902 patch on Deployment/web fails")
                && (e[0].message.contains("`path` is missing")
                    || e[0].message.contains("no longer a mapping")),
            "{op}: {}",
            e[0]
        );
    }
}

#[test]
fn patch_problems() {
    let d = repo(&[
        ("ov/deploy.yaml", DEPLOY),
        (
            "ov/kustomization.yaml",
            "resources:\n- deploy.yaml\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: nope\n- target: {kind: Deployment}\n  patch: '[{\"op\": \"replace\", \"path\": \"/spec/nothing/0\", \"value\": 1}]'\n",
        ),
    ]);
    let r = check(&d, "ov");
    let e = errors(&r);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e[0].message
            .contains("patch target Deployment/nope (apiVersion `apps/v1`) not found"),
        "{}",
        e[0]
    );
    assert_eq!(e[0].line, 4);
    assert!(
        e[1].message
            .contains("JSON 6902 patch on Deployment/web fails"),
        "{}",
        e[1]
    );
}

#[test]
fn missing_overlay_and_missing_kustomization() {
    let d = repo(&[("ov/readme.txt", "hi")]);
    let r = check(&d, "ov");
    let e = errors(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].message.contains("has no kustomization.yaml"),
        "{}",
        e[0]
    );
    assert!(validate_overlay(d.path(), &d.path().join("nope")).is_err());
    assert!(Path::new(&e[0].file).is_absolute());
}

#[test]
fn names_and_namespaces_render_like_kustomize() {
    let d = repo(&[
        (
            "base/kustomization.yaml",
            "namePrefix: b-\nresources:\n- all.yaml\n",
        ),
        (
            "base/all.yaml",
            &format!(
                "{DEPLOY}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: fixed\nspec:\n  containers: [{{name: c, image: busybox}}]\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n---\napiVersion: v1\nkind: List\nitems:\n- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: listed}}}}\n"
            ),
        ),
        (
            "ov/kustomization.yaml",
            "resources:\n- ../base\nnameSuffix: -s\nnamespace: prod\n",
        ),
    ]);
    let r = check(&d, "ov");
    assert!(r.is_valid(), "{:#?}", r.findings);
    let names: Vec<(&str, Option<&str>)> = r
        .workloads
        .iter()
        .map(|w| (w.name.as_str(), w.namespace.as_deref()))
        .collect();
    assert_eq!(names, [("b-web-s", Some("prod")), ("b-p-s", Some("prod"))]);
    let role = r
        .resources
        .iter()
        .find(|d| d["kind"] == "ClusterRole")
        .unwrap();
    assert_eq!(role["metadata"]["name"], "b-r-s");
    assert!(role["metadata"].get("namespace").is_none());
}

#[test]
fn what_ferry_does_not_apply_is_a_warning() {
    let d = repo(&[
        ("ov/deploy.yaml", DEPLOY),
        (
            "ov/prefix.yaml",
            "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: p\nprefix: x-\n",
        ),
        (
            "ov/kustomization.yaml",
            "resources:\n- deploy.yaml\ntransformers:\n- prefix.yaml\nhelmCharts:\n- name: redis\n  repo: https://charts.example.com\nreplacements:\n- source: {kind: ConfigMap, name: c, fieldPath: data.image}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template.spec.containers.0.image]\n",
        ),
    ]);
    let r = check(&d, "ov");
    assert!(r.is_valid(), "{:#?}", r.findings);
    let w: Vec<String> = r
        .warnings()
        .map(|f| format!("{}:{} {}", f.line, f.column, f.message))
        .collect();
    assert_eq!(w.len(), 3, "{w:#?}");
    assert!(
        w[0].starts_with("4:3 Ferry does not run `PrefixSuffixTransformer`"),
        "{}",
        w[0]
    );
    assert!(
        w[1].starts_with("9:3 this replacement writes an image field"),
        "{}",
        w[1]
    );
    assert!(w[2].contains("Helm charts"), "{}", w[2]);
}

#[test]
fn files_outside_the_kustomization_directory_follow_the_load_restrictor() {
    let d = repo(&[
        ("shared/deploy.yaml", DEPLOY),
        (
            "shared/patch.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
        ),
        (
            "base/kustomization.yaml",
            "resources:\n- ../shared/deploy.yaml\n",
        ),
        (
            "ov/kustomization.yaml",
            "resources:\n- ../base\npatches:\n- path: ../shared/patch.yaml\n",
        ),
    ]);
    // kustomize's default, LoadRestrictionsRootOnly: both files are refused, the base (a
    // directory) is not.
    let r = check(&d, "ov");
    let e = errors(&r);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e.iter()
            .all(|f| f.message.contains("LoadRestrictionsRootOnly")
                && f.message.contains("load-restrictor = \"none\"")),
        "{e:#?}"
    );
    assert!(e[0].file.ends_with("base/kustomization.yaml"), "{}", e[0]);
    assert!(e[1].file.ends_with("ov/kustomization.yaml"), "{}", e[1]);
    // LoadRestrictionsNone (Argo CD's `--load-restrictor LoadRestrictionsNone`).
    let options = ferry_kustomize::ResolveOptions {
        load_restrictor: ferry_kustomize::LoadRestrictor::None,
    };
    let r =
        ferry_kustomize::validate_overlay_with(d.path(), &d.path().join("ov"), &options).unwrap();
    assert!(r.is_valid(), "{:#?}", r.findings);
    assert_eq!(r.workloads.len(), 1);
}

#[test]
fn empty_kustomizations_and_remote_openapi_are_errors() {
    for text in [
        "",
        "# nothing\n",
        "kind: Kustomization\n",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
    ] {
        let d = repo(&[
            ("base/kustomization.yaml", text),
            ("ov/kustomization.yaml", "resources:\n- ../base\n"),
        ]);
        let r = check(&d, "ov");
        let f = one_error(&r, "base/kustomization.yaml", 0, 0);
        assert!(
            f.message.contains("kustomization is empty"),
            "{text:?}: {f}"
        );
    }
    // Anything else set is not empty, as in kustomize.
    for text in [
        "resources: []\n",
        "namespace: x\n",
        "metadata:\n  name: x\n",
    ] {
        let d = repo(&[("ov/kustomization.yaml", text)]);
        assert!(check(&d, "ov").is_valid(), "{text:?}");
    }
    let d = repo(&[
        ("ov/deploy.yaml", DEPLOY),
        (
            "ov/kustomization.yaml",
            "resources:\n- deploy.yaml\nopenapi:\n  path: https://example.com/schema.json\n",
        ),
    ]);
    let f = one_error(&check(&d, "ov"), "ov/kustomization.yaml", 0, 0);
    assert!(f.message.contains("remote `openapi.path`"), "{f}");
}

#[test]
fn objects_differ_by_version_and_generated_objects_take_patches() {
    let cronjob = |version: &str, image: &str| {
        format!(
            "apiVersion: batch.example.com/{version}\nkind: CronJob\nmetadata:\n  name: sample\nspec:\n  \
             template:\n    spec:\n      containers:\n        - name: job\n          image: {image}\n"
        )
    };
    let d = repo(&[
        ("ov/v1.yaml", &cronjob("v1", "job:1")),
        ("ov/v2.yaml", &cronjob("v2", "job:2")),
        (
            "ov/kustomization.yaml",
            "resources:\n- v1.yaml\n- v2.yaml\nconfigMapGenerator:\n- name: cfg\n  literals:\n  - a=b\n\
             patches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cfg\n    \
             data:\n      extra: x\n",
        ),
    ]);
    let r = check(&d, "ov");
    assert!(r.is_valid(), "{:#?}", r.findings);
    let versions: Vec<&str> = r.workloads.iter().map(|w| w.api_version.as_str()).collect();
    assert_eq!(versions, ["batch.example.com/v1", "batch.example.com/v2"]);
    let cfg = r
        .resources
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("the generated ConfigMap");
    // The generated name gets kustomize's content hash (of the patched data).
    let name = cfg["metadata"]["name"].as_str().expect("a name");
    assert!(name.starts_with("cfg-") && name.len() == 14, "{name}");
    assert_eq!(cfg["data"]["extra"], "x");
}

#[test]
fn workloads_come_in_kubectl_order() {
    let workload = |kind: &str, api: &str, name: &str| {
        format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      \
             containers:\n        - name: c\n          image: nginx\n"
        )
    };
    let files = [
        (
            "ov/a.yaml",
            workload("Rollout", "argoproj.io/v1alpha1", "a"),
        ),
        ("ov/b.yaml", workload("StatefulSet", "apps/v1", "b")),
        ("ov/c.yaml", workload("Deployment", "apps/v1", "zz")),
        ("ov/d.yaml", workload("Deployment", "apps/v1", "yy")),
    ];
    let resources = "resources:\n- a.yaml\n- b.yaml\n- c.yaml\n- d.yaml\n";
    let names = |sort: &str| {
        let k = format!("{resources}{sort}");
        let mut all: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        all.push(("ov/kustomization.yaml", &k));
        let d = repo(&all);
        let r = check(&d, "ov");
        assert!(r.is_valid(), "{:#?}", r.findings);
        r.workloads.into_iter().map(|w| w.name).collect::<Vec<_>>()
    };
    // kustomize's legacy order: Deployment, StatefulSet, then other kinds; names in order.
    assert_eq!(names(""), ["yy", "zz", "b", "a"]);
    assert_eq!(
        names("sortOptions:\n  order: fifo\n"),
        ["a", "b", "zz", "yy"]
    );
    assert_eq!(
        names(
            "sortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [Rollout]\n    orderLast: [Deployment]\n"
        ),
        ["a", "b", "yy", "zz"]
    );
}
