//! `ferry_kustomize::render` against `kubectl kustomize` (kustomize v5.5) on generated input:
//! scalar-heavy objects (the YAML emitter: quoting, literal blocks, folding, key order, numbers;
//! thousands of values in one kubectl run) and generated kustomization trees using every
//! supported field (generators with name references, components, several levels of prefixes,
//! suffixes and namespaces, labels, annotations, replicas), compared byte for byte.

use std::fmt::Write as _;
use std::path::Path;

use ferry_kustomize::ResolveOptions;
use ferry_kustomize::render::render_overlay;
use ferry_test_support::faults::Rng;
use ferry_test_support::require_tool;

use crate::kubectl;
use crate::render_kubectl::first_difference;

/// A small deterministic generator, so that every run checks the same input.
/// Strings the emitter must quote, block or fold exactly as go-yaml v2 does.
const SPECIAL: &[&str] = &[
    "",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "~",
    "NULL",
    "0123",
    "0o17",
    "0x1F",
    "0b101",
    "1.0",
    "1e3",
    "-1",
    "+1",
    ".5",
    "1_000",
    ".inf",
    "-.inf",
    ".nan",
    "2001-12-14",
    "2001-12-14T21:59:43.10Z",
    "12:30",
    "1:20:30",
    "-",
    "- a",
    "a: b",
    "a:b",
    "#x",
    "a #b",
    "a#b",
    "?",
    "? a",
    ":",
    "&a",
    "*a",
    "!a",
    "|",
    ">",
    "%a",
    "@a",
    "`a",
    "'a'",
    "\"a\"",
    "[a]",
    "{a}",
    "a, b",
    "---",
    "...",
    " lead",
    "trail ",
    "tab\there",
    "é",
    "ü-ö",
    "<<",
    "=",
    "a\nb",
    "a\nb\n",
    "a\nb\n\n",
    "\na",
    " a\nb",
    "a \nb",
    "a\n b",
    "line\r\nnext",
    "x\u{1}y",
];

const WORDS: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "x",
    "12",
    "3.5",
    "-",
    ":",
    "#",
    " ",
    "  ",
    "\n",
    "'",
    "\"",
    "é",
    "{",
    "}",
    "[",
    "]",
    ",",
    "!",
    "&",
    "*",
    "?",
    "|",
    ">",
    "%",
    "@",
    "`",
    "\t",
    "supercalifragilisticexpialidocious",
    "0",
    "yes",
];

fn random_string(rng: &mut Rng) -> String {
    match rng.index(4) {
        0 => rng.pick(SPECIAL).to_string(),
        1 => {
            // Long texts with spaces: folded at column 80.
            let n = 10 + rng.index(30);
            (0..n)
                .map(|_| *rng.pick(&["lorem", "ipsum", "dolor", "sit", "amet", "a", "bb"]))
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => {
            let n = 1 + rng.index(6);
            (0..n).map(|_| *rng.pick(WORDS)).collect::<String>()
        }
    }
}

/// Map keys, some of which must be quoted. go-yaml v2's key order is not a total order for
/// arbitrary keys (Go's sort then depends on its algorithm); these keys are totally ordered.
fn random_key(rng: &mut Rng) -> String {
    let key = *rng.pick(&[
        "alpha", "beta", "x", "y", "on", "yes", "null", "true", "1", "2", "10", "a1", "a2", "a10",
        "k3", "b-2", "b-10", "é", "",
    ]);
    key.to_string()
}

fn random_scalar(rng: &mut Rng) -> serde_json::Value {
    match rng.index(10) {
        0 => serde_json::Value::from(rng.index(100_000) as i64 - 50_000),
        1 => serde_json::Value::from((rng.index(100_000) as f64) / 64.0 - 300.0),
        2 => serde_json::Value::Bool(rng.index(2) == 0),
        3 => serde_json::Value::Null,
        _ => serde_json::Value::String(random_string(rng)),
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> serde_json::Value {
    match (depth, rng.index(8)) {
        (0, _) | (_, 0..=4) => random_scalar(rng),
        (_, 5) => serde_json::Value::Array(
            (0..rng.index(4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.index(4) {
                m.insert(random_key(rng), random_value(rng, depth - 1));
            }
            serde_json::Value::Object(m)
        }
    }
}

#[test]
fn generated_scalars_render_as_kubectl_kustomize_prints_them() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let mut rng = Rng::new(7);
    let dir = tempfile::tempdir().expect("a temporary directory");
    // One object per document, each with many values; JSON is YAML, so the input is exact.
    let mut text = String::new();
    let mut values = 0;
    for i in 0..40 {
        let mut spec = serde_json::Map::new();
        for k in SPECIAL {
            spec.insert(
                format!("k{i}-{}", k.len()),
                serde_json::Value::String((*k).into()),
            );
        }
        for _ in 0..60 {
            spec.insert(random_key(&mut rng), random_value(&mut rng, 3));
        }
        values += spec.len();
        let doc = serde_json::json!({
            "apiVersion": "example.com/v1",
            "kind": "Thing",
            "metadata": {"name": format!("thing-{i}")},
            "spec": spec,
            "list": [random_value(&mut rng, 2), [], {}, [[1, 2], ["a"]]],
        });
        writeln!(text, "---\n{doc}").expect("write to a string");
    }
    std::fs::write(dir.path().join("things.yaml"), text).expect("write the resources");
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "resources:\n- things.yaml\n",
    )
    .expect("write the kustomization");
    let want = kubectl::text(&kubectl, dir.path()).expect("kubectl renders the objects");
    let got = render_overlay(dir.path(), dir.path(), &ResolveOptions::default())
        .expect("Ferry renders the objects")
        .to_yaml();
    eprintln!("emitter: {values} generated values, one kubectl run");
    assert!(got == want, "{}", first_difference(&want, &got));
}

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("a parent")).expect("create directories");
    std::fs::write(full, text).expect("write a file");
}

const APP: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: runner
      containers:
      - name: web
        image: web:1
        envFrom:
        - configMapRef:
            name: settings
        env:
        - name: PASSWORD
          valueFrom:
            secretKeyRef:
              name: creds
              key: password
        volumeMounts:
        - name: files
          mountPath: /files
      volumes:
      - name: files
        configMap:
          name: files
      - name: claim
        persistentVolumeClaim:
          claimName: data
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: runner
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
subjects:
- kind: ServiceAccount
  name: runner
- kind: ServiceAccount
  name: default
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- apiGroups: [\"\"]
  resources: [configmaps]
  resourceNames: [settings]
  verbs: [get]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: canary
spec:
  replicas: 2
  selector:
    matchLabels:
      app: canary
  template:
    metadata:
      labels:
        app: canary
    spec:
      serviceAccountName: runner
      containers:
      - name: canary
        image: web:1
        envFrom:
        - configMapRef:
            name: settings
      volumes:
      - name: creds
        secret:
          secretName: creds
  strategy:
    canary:
      stableService: web
      canaryService: web
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: job
spec:
  schedule: \"0 * * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: job:1
            envFrom:
            - secretRef:
                name: creds
";

/// A random tree: a base with generators and the objects that refer to them (workloads, a
/// Rollout, an Ingress), an optional component, then two to four levels of overlays, each with
/// some of namePrefix, nameSuffix, namespace, labels, commonLabels, commonAnnotations,
/// replicas, images, patches (strategic merge, JSON 6902, `$patch: delete`),
/// patchesStrategicMerge, patchesJson6902, generator merges and options.
fn random_tree(rng: &mut Rng, dir: &Path) -> String {
    write(dir, "base/app.yaml", APP);
    write(dir, "base/files/a.txt", "line one\nline two\n");
    write(
        dir,
        "base/env.txt",
        "# settings\nMODE=fast\nEMPTY=\nQUOTED=\"x y\"\n",
    );
    let mut base = String::from(
        "resources:\n- app.yaml\nconfigMapGenerator:\n- name: settings\n  envs:\n  - env.txt\n  literals:\n  - LEVEL=1\n- name: files\n  files:\n  - files/a.txt\n  - renamed.txt=files/a.txt\nsecretGenerator:\n- name: creds\n  literals:\n  - password=s3cr3t\n  - long=",
    );
    base.push_str(&"x".repeat(60 + rng.index(80)));
    base.push('\n');
    if rng.index(2) == 0 {
        base.push_str("generatorOptions:\n  labels:\n    generated: \"yes\"\n  annotations:\n    note: from base\n");
    }
    write(dir, "base/kustomization.yaml", &base);
    let component = rng.index(2) == 0;
    if component {
        write(
            dir,
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations:\n  component: \"on\"\nconfigMapGenerator:\n- name: settings\n  behavior: merge\n  literals:\n  - FROM_COMPONENT=1\n",
        );
    }
    let levels = 2 + rng.index(3);
    let mut previous = "base".to_string();
    let mut deleted = false;
    for level in 1..=levels {
        let mut k = format!("resources:\n- ../{previous}\n");
        if level == 1 && component {
            k.push_str("components:\n- ../comp\n");
        }
        if rng.index(2) == 0 {
            k.push_str(&format!("namePrefix: p{level}-\n"));
        }
        if rng.index(3) == 0 {
            k.push_str(&format!("nameSuffix: -s{level}\n"));
        }
        if rng.index(2) == 0 {
            k.push_str(&format!("namespace: ns{level}\n"));
        }
        match rng.index(4) {
            0 => k.push_str(&format!("commonLabels:\n  tier{level}: t{level}\n")),
            1 => k.push_str(&format!(
                "labels:\n- pairs:\n    env{level}: e{level}\n  includeSelectors: {}\n  includeTemplates: {}\n",
                rng.index(2) == 0,
                rng.index(2) == 0
            )),
            _ => {}
        }
        if rng.index(3) == 0 {
            k.push_str(&format!("commonAnnotations:\n  level: \"{level}\"\n"));
        }
        if rng.index(3) == 0 {
            k.push_str(&format!("replicas:\n- name: web\n  count: {}\n", level + 1));
        }
        match rng.index(4) {
            0 => k.push_str(&format!(
                "configMapGenerator:\n- name: settings\n  behavior: merge\n  literals:\n  - LEVEL={level}\n"
            )),
            1 => k.push_str(&format!(
                "secretGenerator:\n- name: creds\n  behavior: replace\n  literals:\n  - password=l{level}\n"
            )),
            2 => k.push_str(&format!(
                "configMapGenerator:\n- name: extra-{level}\n  literals:\n  - A=b\n  options:\n    disableNameSuffixHash: {}\n",
                rng.index(2) == 0
            )),
            _ => {}
        }
        let name = format!("l{level}");
        match rng.index(3) {
            0 => k.push_str(&format!("images:\n- name: web\n  newTag: v{level}\n")),
            1 => k.push_str(&format!(
                "images:\n- name: job\n  newName: registry.example.com/job{level}\n- name: web\n  digest: sha256:{}\n",
                "ab".repeat(32)
            )),
            _ => {}
        }
        random_patches(rng, dir, (&name, level), &mut deleted, &mut k);
        write(dir, &format!("{name}/kustomization.yaml"), &k);
        previous = name;
    }
    previous
}

/// Some patches of every kind Ferry renders, on the base's objects by their base names.
fn random_patches(
    rng: &mut Rng,
    dir: &Path,
    (name, level): (&str, usize),
    deleted: &mut bool,
    k: &mut String,
) {
    let mut patches = String::new();
    if rng.index(3) == 0 {
        // Strategic merge, inline: an environment variable and a pod annotation.
        write!(
            patches,
            "- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        metadata:\n          annotations:\n            patched: \"{level}\"\n        spec:\n          containers:\n          - name: web\n            env:\n            - name: LEVEL\n              value: \"{level}\"\n"
        )
        .expect("write to a string");
    }
    if rng.index(3) == 0 {
        // JSON 6902, inline, with a target.
        write!(
            patches,
            "- target:\n    group: apps\n    kind: Deployment\n    name: web\n  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: {}\n    - op: add\n      path: /spec/minReadySeconds\n      value: {level}\n",
            level + 3
        )
        .expect("write to a string");
    }
    if !*deleted && rng.index(3) == 0 {
        // `$patch: delete` of an object no other level patches, once.
        *deleted = true;
        patches.push_str(
            "- patch: |\n    $patch: delete\n    apiVersion: v1\n    kind: PersistentVolumeClaim\n    metadata:\n      name: data\n",
        );
    }
    if !patches.is_empty() {
        write!(k, "patches:\n{patches}").expect("write to a string");
    }
    if rng.index(4) == 0 {
        write(
            dir,
            &format!("{name}/smp.yaml"),
            &format!(
                "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job\nspec:\n  schedule: \"{level} * * * *\"\n"
            ),
        );
        k.push_str("patchesStrategicMerge:\n- smp.yaml\n");
    }
    if rng.index(4) == 0 {
        write(
            dir,
            &format!("{name}/json.yaml"),
            &format!("- op: add\n  path: /spec/rules/0/host\n  value: l{level}.example.com\n"),
        );
        k.push_str(
            "patchesJson6902:\n- target:\n    group: networking.k8s.io\n    version: v1\n    kind: Ingress\n    name: web\n  path: json.yaml\n",
        );
    }
}

/// The fields the generated trees must use, each in at least one tree.
const GENERATED_FIELDS: &[&str] = &[
    "resources:",
    "components:",
    "namePrefix:",
    "nameSuffix:",
    "namespace:",
    "labels:",
    "commonLabels:",
    "commonAnnotations:",
    "replicas:",
    "images:",
    "patches:",
    "op: replace",
    "$patch: delete",
    "patchesStrategicMerge:",
    "patchesJson6902:",
    "configMapGenerator:",
    "secretGenerator:",
    "generatorOptions:",
    "behavior: merge",
    "behavior: replace",
    "disableNameSuffixHash:",
];

#[test]
fn generated_trees_render_as_kubectl_kustomize_prints_them() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let mut rng = Rng::new(23);
    let (mut equal, mut both_fail) = (0, 0);
    let mut used: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for case in 0..40 {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let top = random_tree(&mut rng, dir.path());
        let overlay = dir.path().join(&top);
        let want = kubectl::text(&kubectl, &overlay);
        let got = render_overlay(dir.path(), &overlay, &ResolveOptions::default());
        let tree = || {
            let mut s = String::new();
            for level in ["base", "comp", "l1", "l2", "l3", "l4"] {
                if let Ok(t) =
                    std::fs::read_to_string(dir.path().join(level).join("kustomization.yaml"))
                {
                    writeln!(s, "# {level}\n{t}").expect("write to a string");
                }
            }
            s
        };
        let text = tree();
        used.extend(
            GENERATED_FIELDS
                .iter()
                .copied()
                .filter(|f| text.contains(f)),
        );
        match (want, got) {
            (Ok(want), Ok(got)) => {
                let got = got.to_yaml();
                assert!(
                    got == want,
                    "case {case}:\n{}\n{}",
                    tree(),
                    first_difference(&want, &got)
                );
                equal += 1;
            }
            (Err(_), Err(_)) => both_fail += 1,
            (Ok(_), Err(e)) => panic!("case {case}: Ferry fails: {e}\n{}", tree()),
            (Err(e), Ok(_)) => panic!("case {case}: kubectl fails: {e}\n{}", tree()),
        }
    }
    eprintln!(
        "generated trees: {equal} byte-equal with kubectl kustomize, {both_fail} refused by both"
    );
    let missing: Vec<_> = GENERATED_FIELDS
        .iter()
        .filter(|f| !used.contains(**f))
        .collect();
    assert!(missing.is_empty(), "no generated tree uses {missing:?}");
    assert!(equal >= 30, "only {equal} generated trees rendered alike");
}
