//! Tag policies: choosing the newest tag.

use ferry_image::policy::{Order, Policy, PolicyError, SemverRange, TagFilter};
use proptest::prelude::*;
use semver::{Version, VersionReq};

fn newest(policy: &str, filter: &TagFilter, tags: &[&str]) -> Option<String> {
    let policy: Policy = policy.parse().unwrap();
    policy.newest(filter, tags).map(|c| c.tag)
}

fn all_tags() -> TagFilter {
    TagFilter::default()
}

#[test]
fn policy_strings_round_trip() {
    for (text, expected) in [
        (
            "semver:>=1.0 <2",
            Policy::Semver {
                range: SemverRange::parse(">=1.0 <2").unwrap(),
                include_prerelease: false,
            },
        ),
        (
            "semver-pre:^2",
            Policy::Semver {
                range: SemverRange::parse("^2").unwrap(),
                include_prerelease: true,
            },
        ),
        ("numerical", Policy::Numerical { order: Order::Asc }),
        ("numerical:desc", Policy::Numerical { order: Order::Desc }),
        ("alphabetical", Policy::Alphabetical { order: Order::Asc }),
        (
            "alphabetical:desc",
            Policy::Alphabetical { order: Order::Desc },
        ),
    ] {
        let policy: Policy = text.parse().unwrap();
        assert_eq!(policy, expected, "{text}");
        let again: Policy = policy.to_string().parse().unwrap();
        assert_eq!(again, policy, "{text}");
    }
    assert_eq!(
        "numerical".parse::<Policy>().unwrap().to_string(),
        "numerical:asc"
    );
    for (text, shown) in [("semver", "semver"), ("semver-pre:", "semver-pre")] {
        let policy: Policy = text.parse().unwrap();
        assert_eq!(policy.to_string(), shown);
        assert_eq!(shown.parse::<Policy>().unwrap(), policy);
    }
}

#[test]
fn policies_serialize_as_strings() {
    let policy: Policy = serde_json::from_str("\"semver-pre:~1.2\"").unwrap();
    assert_eq!(
        serde_json::to_string(&policy).unwrap(),
        "\"semver-pre:~1.2\""
    );
    let err = serde_json::from_str::<Policy>("\"newest\"").unwrap_err();
    assert!(err.to_string().contains("unknown tag policy"), "{err}");
}

#[test]
fn bad_policy_strings_are_clear_errors() {
    let err = "newest".parse::<Policy>().unwrap_err();
    assert!(matches!(err, PolicyError::UnknownPolicy { .. }));
    assert!(err.to_string().contains("semver:RANGE"), "{err}");
    assert!(matches!(
        "numerical:up".parse::<Policy>(),
        Err(PolicyError::InvalidOrder { .. })
    ));
    let err = "semver:>=foo".parse::<Policy>().unwrap_err();
    assert!(matches!(err, PolicyError::InvalidRange { .. }), "{err}");
    assert!(err.to_string().contains(">=foo"), "{err}");
    assert!("semver:!=1.0".parse::<Policy>().is_err());
    assert!("semver:1.0 ||".parse::<Policy>().is_err());
}

#[test]
fn semver_picks_the_highest_in_range() {
    let tags = [
        "1.0.0",
        "v1.2.3",
        "1.10.0",
        "1.9.9",
        "2.0.0",
        "2.0.0-rc.1",
        "latest",
        "abc",
    ];
    assert_eq!(
        newest("semver:>=1.0 <2", &all_tags(), &tags).as_deref(),
        Some("1.10.0")
    );
    assert_eq!(
        newest("semver:*", &all_tags(), &tags).as_deref(),
        Some("2.0.0")
    );
    assert_eq!(
        newest("semver", &all_tags(), &tags).as_deref(),
        Some("2.0.0")
    );
    assert_eq!(
        newest("semver:~1.2", &all_tags(), &tags).as_deref(),
        Some("v1.2.3")
    );
    assert_eq!(
        newest("semver:1.x", &all_tags(), &tags).as_deref(),
        Some("1.10.0")
    );
    assert_eq!(
        newest("semver:1.9.9", &all_tags(), &tags).as_deref(),
        Some("1.9.9")
    );
    assert_eq!(
        newest("semver:1.0 - 1.9.9", &all_tags(), &tags).as_deref(),
        Some("1.9.9")
    );
    assert_eq!(
        newest("semver:^1.0, <1.5", &all_tags(), &tags).as_deref(),
        Some("v1.2.3")
    );
    assert_eq!(
        newest("semver:<1.0 || >=1.9 <1.10", &all_tags(), &tags).as_deref(),
        Some("1.9.9")
    );
    assert_eq!(
        newest("semver:>= v1.2", &all_tags(), &tags).as_deref(),
        Some("2.0.0")
    );
    assert_eq!(newest("semver:>=3", &all_tags(), &tags), None);
}

#[test]
fn prereleases_only_when_asked() {
    let tags = ["1.0.0", "1.1.0-rc.1", "2.0.0-alpha.1"];
    assert_eq!(
        newest("semver:*", &all_tags(), &tags).as_deref(),
        Some("1.0.0")
    );
    assert_eq!(
        newest("semver-pre:*", &all_tags(), &tags).as_deref(),
        Some("2.0.0-alpha.1")
    );
    assert_eq!(
        newest("semver-pre:<2", &all_tags(), &tags).as_deref(),
        Some("1.1.0-rc.1")
    );
    // A full upper bound admits its own pre-releases, a partial one does not.
    assert_eq!(
        newest("semver-pre:<2.0.0", &all_tags(), &tags).as_deref(),
        Some("2.0.0-alpha.1")
    );
    // With the flag, a partial bound covers its own pre-releases, a full one is exact.
    let pre_tags = ["1.2.0-rc.1", "1.1.0"];
    assert_eq!(
        newest("semver-pre:>=1.2", &all_tags(), &pre_tags).as_deref(),
        Some("1.2.0-rc.1")
    );
    assert_eq!(newest("semver-pre:>=1.2.0", &all_tags(), &pre_tags), None);
    assert_eq!(
        newest("semver-pre:^1.2", &all_tags(), &pre_tags).as_deref(),
        Some("1.2.0-rc.1")
    );
    assert_eq!(
        newest("semver-pre:~1.1.0", &all_tags(), &pre_tags).as_deref(),
        Some("1.1.0")
    );
    // Cargo's rule without the flag: a comparator naming a pre-release admits that version's.
    assert_eq!(
        newest("semver:>=1.1.0-rc.0", &all_tags(), &tags).as_deref(),
        Some("1.1.0-rc.1")
    );
}

#[test]
fn semver_values_are_read_leniently_but_exactly() {
    let tags = [
        "v2",
        "1.5",
        "V1.7.0+build.5",
        "01.2.3",
        "1.2.3.4",
        "v",
        "3.0.0-",
    ];
    let policy: Policy = "semver".parse().unwrap();
    let sorted: Vec<String> = policy
        .sorted(&all_tags(), tags)
        .into_iter()
        .map(|c| c.tag)
        .collect();
    assert_eq!(sorted, ["1.5", "V1.7.0+build.5", "v2"]);
}

#[test]
fn ties_go_to_the_greater_tag_text() {
    for tags in [["1.0.0", "v1.0.0"], ["v1.0.0", "1.0.0"]] {
        assert_eq!(
            newest("semver", &all_tags(), &tags).as_deref(),
            Some("v1.0.0")
        );
    }
    for tags in [["10", "010"], ["010", "10"]] {
        assert_eq!(
            newest("numerical", &all_tags(), &tags).as_deref(),
            Some("10")
        );
    }
}

#[test]
fn numerical_compares_exact_decimals() {
    let tags = [
        "9",
        "10",
        "1.5",
        "-3",
        "1700000000000000000001",
        "1700000000000000000000",
        "latest",
        "1e5",
        "2.",
        ".5",
    ];
    assert_eq!(
        newest("numerical", &all_tags(), &tags).as_deref(),
        Some("1700000000000000000001")
    );
    assert_eq!(
        newest("numerical:desc", &all_tags(), &tags).as_deref(),
        Some("-3")
    );
    let policy: Policy = "numerical".parse().unwrap();
    let sorted: Vec<String> = policy
        .sorted(
            &all_tags(),
            ["2.50", "2.5", "2.05", "-0.5", "-1", "0", "-0"],
        )
        .into_iter()
        .map(|c| c.tag)
        .collect();
    assert_eq!(sorted, ["-1", "-0.5", "-0", "0", "2.05", "2.5", "2.50"]);
}

#[test]
fn alphabetical_orders_by_bytes() {
    let tags = [
        "RELEASE.2024-01-02",
        "RELEASE.2024-10-01",
        "RELEASE.2023-12-31",
    ];
    assert_eq!(
        newest("alphabetical", &all_tags(), &tags).as_deref(),
        Some("RELEASE.2024-10-01")
    );
    assert_eq!(
        newest("alphabetical:desc", &all_tags(), &tags).as_deref(),
        Some("RELEASE.2023-12-31")
    );
    assert_eq!(
        newest("alphabetical", &all_tags(), &["Z", "a"]).as_deref(),
        Some("a")
    );
}

#[test]
fn filter_extracts_named_and_numbered_groups() {
    let tags = [
        "main-abc1234-1700000100",
        "main-def5678-1700000200",
        "feature-x-1800000000",
        "main-0000000-99",
        "latest",
    ];
    let named = TagFilter::new(Some(r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$"), Some("$ts")).unwrap();
    let policy: Policy = "numerical".parse().unwrap();
    let pick = policy.newest(&named, tags).unwrap();
    assert_eq!(pick.tag, "main-def5678-1700000200");
    assert_eq!(pick.value, "1700000200");

    let numbered = TagFilter::new(Some(r"^main-[a-f0-9]+-([0-9]+)$"), Some("${1}")).unwrap();
    assert_eq!(
        policy.newest(&numbered, tags).unwrap().tag,
        "main-def5678-1700000200"
    );

    // Without the filter no tag reads as a number.
    assert_eq!(policy.newest(&all_tags(), tags), None);

    // Pattern without extract: the tag itself is the value.
    let only_v = TagFilter::new(Some(r"^v\d"), None).unwrap();
    let pick = "semver"
        .parse::<Policy>()
        .unwrap()
        .newest(&only_v, ["v1.0.0", "2.0.0"])
        .unwrap();
    assert_eq!(
        (pick.tag.as_str(), pick.value.as_str()),
        ("v1.0.0", "v1.0.0")
    );

    // Templates may combine groups and literal text.
    let combined = TagFilter::new(
        Some(r"^(?P<major>\d+)_(?P<minor>\d+)$"),
        Some("${major}.${minor}.0$$"),
    )
    .unwrap();
    assert_eq!(combined.candidate("1_2").unwrap().value, "1.2.0$");
}

#[test]
fn filter_errors_are_reported_up_front() {
    assert!(matches!(
        TagFilter::new(Some("("), None),
        Err(PolicyError::InvalidPattern { .. })
    ));
    let err = TagFilter::new(Some(r"^(?P<ts>\d+)$"), Some("$time")).unwrap_err();
    assert!(matches!(err, PolicyError::UnknownGroup { ref group, .. } if group == "time"));
    assert!(err.to_string().contains("$time"), "{err}");
    assert!(matches!(
        TagFilter::new(Some(r"^(\d+)$"), Some("$2")),
        Err(PolicyError::UnknownGroup { .. })
    ));
    assert!(matches!(
        TagFilter::new(None, Some("$1")),
        Err(PolicyError::ExtractWithoutPattern { .. })
    ));
    assert!(matches!(
        all_tags().ignore(["[-x]"]),
        Err(PolicyError::InvalidGlob { list: "ignore", .. })
    ));
}

#[test]
fn allow_and_ignore_lists() {
    let tags = ["1.0.0", "1.1.0", "1.2.0-debug", "1.2.0", "1.3.0"];
    let filter = all_tags().ignore(["1.3.0", "*-debug"]).unwrap();
    assert_eq!(
        newest("semver-pre", &filter, &tags).as_deref(),
        Some("1.2.0")
    );
    let filter = all_tags().allow(["1.0.*", "1.1.?"]).unwrap();
    assert_eq!(newest("semver", &filter, &tags).as_deref(), Some("1.1.0"));
    let filter = all_tags()
        .allow(["1.*"])
        .unwrap()
        .ignore(["1.1.0", "1.2.0", "1.3.0"])
        .unwrap();
    assert_eq!(newest("semver", &filter, &tags).as_deref(), Some("1.0.0"));
}

proptest! {
    /// The chosen tag is one of the inputs, passes the policy, and no other candidate is newer.
    #[test]
    fn newest_is_an_input_and_maximal(
        tags in prop::collection::vec("(v?[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-rc\\.[0-9])?|[0-9]{1,3}|[a-z]{1,3})", 0..12),
        policy in prop::sample::select(vec![
            "semver", "semver-pre", "semver:>=1.0 <20", "semver-pre:^3",
            "numerical", "numerical:desc", "alphabetical", "alphabetical:desc",
        ]),
    ) {
        let policy: Policy = policy.parse().unwrap();
        let filter = TagFilter::default();
        let sorted = policy.sorted(&filter, &tags);
        match policy.newest(&filter, &tags) {
            None => prop_assert!(sorted.is_empty()),
            Some(pick) => {
                prop_assert!(tags.contains(&pick.tag));
                prop_assert_eq!(sorted.last(), Some(&pick));
                for other in &sorted {
                    let pair = [other.tag.as_str(), pick.tag.as_str()];
                    let best = policy.newest(&filter, pair).unwrap();
                    prop_assert_eq!(&best.tag, &pick.tag, "{} beats {}", other.tag, pick.tag);
                }
            }
        }
    }

    /// The result does not depend on the order of the input.
    #[test]
    fn newest_ignores_input_order(
        tags in prop::collection::vec("v?[0-9]\\.[0-9]\\.[0-9]|[0-9]{1,2}", 1..10),
        seed in any::<u64>(),
    ) {
        let mut shuffled = tags.clone();
        let n = shuffled.len();
        for i in 0..n {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % n as u64) as usize;
            shuffled.swap(i, j);
        }
        for policy in ["semver", "numerical", "alphabetical:desc"] {
            let policy: Policy = policy.parse().unwrap();
            prop_assert_eq!(
                policy.newest(&TagFilter::default(), &tags),
                policy.newest(&TagFilter::default(), &shuffled)
            );
        }
    }

    /// Numerical order on integers agrees with u128 order.
    #[test]
    fn numerical_agrees_with_integers(a in any::<u64>(), b in any::<u64>()) {
        let policy: Policy = "numerical".parse().unwrap();
        let (sa, sb) = (a.to_string(), b.to_string());
        let pick = policy.newest(&TagFilter::default(), [&sa, &sb]).unwrap();
        prop_assert_eq!(pick.tag, a.max(b).to_string());
    }

    /// For release versions, the pre-release-aware evaluation agrees with the semver crate.
    #[test]
    fn prerelease_evaluation_agrees_on_releases(
        op in prop::sample::select(vec!["=", ">", ">=", "<", "<=", "~", "^", ""]),
        major in 0u64..3, minor in prop::option::of(0u64..3), patch in prop::option::of(0u64..3),
        v in (0u64..4, 0u64..4, 0u64..4),
    ) {
        let bound = match (minor, patch) {
            (None, _) => format!("{major}"),
            (Some(m), None) => format!("{major}.{m}"),
            (Some(m), Some(p)) => format!("{major}.{m}.{p}"),
        };
        let text = match (op, patch) {
            ("", Some(_)) => format!("={bound}"),
            ("", None) => format!("{bound}.*"),
            (op, _) => format!("{op}{bound}"),
        };
        let range = SemverRange::parse(&text).unwrap();
        let version = Version::new(v.0, v.1, v.2);
        let req = VersionReq::parse(&text).unwrap();
        prop_assert_eq!(range.matches(&version, true), req.matches(&version), "{} on {}", text, version);
        prop_assert_eq!(range.matches(&version, false), req.matches(&version), "{} on {}", text, version);
    }
}
