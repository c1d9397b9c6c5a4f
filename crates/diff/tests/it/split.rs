//! Comments split at any size: every part within the limit and marked, every object shown
//! once, whole or cut with a note; Secret values never shown whatever they are.

use ferry_diff::{
    ChangeKind, CompareOptions, Comparison, Mode, Object, ObjectChange, ObjectId, Report, Section,
    comment_bodies, compare, marker, parse_marker,
};
use proptest::prelude::*;
use serde_json::json;

fn report(sizes: &[usize]) -> Report {
    let objects = sizes
        .iter()
        .enumerate()
        .map(|(i, lines)| ObjectChange {
            change: ChangeKind::Added,
            id: ObjectId {
                group: String::new(),
                kind: "ConfigMap".into(),
                namespace: None,
                name: format!("object-{i}"),
            },
            old_id: None,
            images: Vec::new(),
            references: Vec::new(),
            masked: false,
            diff: (0..*lines)
                .map(|l| format!("+line {l} of object {i}\n"))
                .collect(),
        })
        .collect();
    Report {
        mode: Mode::Revisions,
        from: "main".into(),
        to: "working tree".into(),
        ignore_images: false,
        sections: vec![Section {
            name: "prod".into(),
            comparison: Comparison {
                objects,
                unchanged: 0,
            },
        }],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn parts_stay_within_the_limit(sizes in prop::collection::vec(0usize..400, 0..30), limit in 4096usize..20_000) {
        let bodies = comment_bodies(&report(&sizes), "all", limit);
        prop_assert!(!bodies.is_empty());
        for (index, body) in bodies.iter().enumerate() {
            prop_assert!(body.len() <= limit, "part {} has {} bytes", index + 1, body.len());
            prop_assert!(body.starts_with(&marker("all", index + 1, bodies.len())));
            prop_assert_eq!(parse_marker(body), Some(("all".to_owned(), index + 1)));
        }
        for i in 0..sizes.len() {
            let summary = format!("ConfigMap object-{i}</summary>");
            let shown: usize = bodies.iter().map(|b| b.matches(&summary).count()).sum();
            prop_assert_eq!(shown, 1, "object-{} is shown once", i);
        }
    }

    #[test]
    fn secret_values_never_show(old in "[a-zA-Z0-9/=]{1,24}", new in "[a-zA-Z0-9/=]{1,24}") {
        let secret = |value: &str, name: &str| Object {
            generated: Some("db".into()),
            ..Object::new(json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": "shop"},
                "data": {"password": value, "user": "c2FtZQ=="},
            }))
        };
        let comparison = compare(
            &[secret(&old, "db-4f76h49685")],
            &[secret(&new, "db-f84hfm8c4g")],
            CompareOptions::default(),
        );
        let text = serde_json::to_string(&comparison).expect("JSON");
        prop_assert!(!text.contains("c2FtZQ=="));
        // A value long enough not to occur by chance in the YAML's own words.
        if old.len() >= 6 { prop_assert!(!text.contains(&old)); }
        if new.len() >= 6 { prop_assert!(!text.contains(&new)); }
        prop_assert_eq!(comparison.objects.len(), 1);
        let diff = &comparison.objects[0].diff;
        prop_assert_eq!(diff.contains("-  password:"), old != new);
    }
}
