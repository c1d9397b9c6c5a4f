//! Two renderings of one overlay compared: the backend's image bumped, and a generated
//! ConfigMap changed, which changes its name and the Deployment's reference to it.

use ferry_diff::{ChangeKind, CompareOptions, Mode, Object, Report, Section, compare, to_text};
use serde_json::{Value, json};

fn object(value: Value) -> Object {
    Object::new(value)
}

fn rendering(tag: &str, config: &str, level: &str) -> Vec<Object> {
    // The renderer marks a generated ConfigMap with its name before the content hash.
    let generated = Object {
        generated: Some("app-config".into()),
        ..object(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": config, "namespace": "shop"},
            "data": {"LOG_LEVEL": level},
        }))
    };
    vec![
        generated,
        object(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "backend", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{
                "name": "backend",
                "image": format!("registry.example.com/acme/backend:{tag}"),
                "envFrom": [{"configMapRef": {"name": config}}],
            }]}}},
        })),
    ]
}

fn main() {
    let old = rendering("1.3.2", "app-config-7b9fk2g5dm", "info");
    let new = rendering("1.3.3", "app-config-h5dk8t2b9c", "debug");
    let comparison = compare(&old, &new, CompareOptions::default());

    // The ConfigMap is one object under a new name, and the Deployment refers to it.
    let config = &comparison.objects[0];
    assert_eq!(config.change, ChangeKind::Renamed);
    assert_eq!(
        config.old_id.as_ref().map(|id| id.name.as_str()),
        Some("app-config-7b9fk2g5dm")
    );
    assert_eq!(config.references[0].name, "backend");

    // The image change, container by container.
    let image = comparison
        .images()
        .next()
        .expect("the backend's image changed");
    assert_eq!(image.container, "backend");
    assert_eq!(
        image.new.as_deref(),
        Some("registry.example.com/acme/backend:1.3.3")
    );

    let report = Report {
        mode: Mode::Revisions,
        from: "main".into(),
        to: "working tree".into(),
        ignore_images: false,
        sections: vec![Section {
            name: "prod".into(),
            comparison,
        }],
    };
    let text = to_text(&report);
    assert!(text.contains("1.3.2 → registry.example.com/acme/backend:1.3.3"));
    println!("{text}");
}
