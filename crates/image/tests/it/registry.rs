//! The registry client against a real `docker-registry` on 127.0.0.1 (see
//! `ferry_test_support::registry`), plus retry behaviour against a scripted server.

use std::time::{Duration, Instant};

use ferry_image::registry::{
    ClientOptions, CredentialSource, Credentials, ImageBuild, ImageRef, Platform, RegistryClient,
    RegistryError, RetryPolicy,
};
use ferry_test_support::registry::TestRegistry;

fn options(registries: &[&TestRegistry]) -> ClientOptions {
    ClientOptions {
        plain_http: registries.iter().map(|r| r.host()).collect(),
        ..ClientOptions::default()
    }
}

fn client(registries: &[&TestRegistry]) -> RegistryClient {
    RegistryClient::new(options(registries), CredentialSource::anonymous())
}

fn image(registry: &TestRegistry, repository: &str, tag: &str) -> ImageRef {
    ImageRef::new(registry.host(), repository).with_tag(tag)
}

fn platform(s: &str) -> Platform {
    s.parse().unwrap()
}

fn small_image(p: &str, content: &str) -> ImageBuild {
    ImageBuild::new(
        platform(p),
        vec![
            content.as_bytes().to_vec(),
            format!("{content}-2").into_bytes(),
        ],
    )
}

#[tokio::test]
async fn push_then_exists_and_digest_match_the_manifest() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let client = client(&[&registry]);
    let target = image(&registry, "team/app", "1.0.0");
    let build = small_image("linux/amd64", "push-then-exists");
    let pushed = client.push_image(&target, &build).await.unwrap();
    assert_eq!(pushed, build.digest());

    assert!(client.exists(&target).await.unwrap());
    assert_eq!(client.head_digest(&target).await.unwrap(), build.digest());
    let info = client.digest(&target, None).await.unwrap();
    assert_eq!(info.digest, build.digest());
    let manifest = client.manifest(&target).await.unwrap();
    assert_eq!(
        manifest.bytes, build.manifest,
        "the registry stores the bytes unchanged"
    );
    assert!(!manifest.is_index());
    // By digest, too.
    assert!(
        client
            .exists(&target.at_digest(&build.digest()))
            .await
            .unwrap()
    );
    // The platform check reads the config of a single-platform image.
    let amd64 = client
        .digest(&target, Some(&platform("linux/amd64")))
        .await
        .unwrap();
    assert_eq!(amd64.digest, build.digest());
    let err = client
        .digest(&target, Some(&platform("linux/arm64")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::PlatformNotFound { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("linux/amd64"), "{err}");
}

#[tokio::test]
async fn missing_tags_and_repositories_are_not_found() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let client = client(&[&registry]);
    let target = image(&registry, "team/app", "1.0.0");
    client
        .push_image(&target, &small_image("linux/amd64", "missing"))
        .await
        .unwrap();
    for missing in [
        image(&registry, "team/app", "9.9.9"),
        image(&registry, "team/nothing", "1.0.0"),
    ] {
        assert!(!client.exists(&missing).await.unwrap());
        let err = client.digest(&missing, None).await.unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert_eq!(
            err.to_string(),
            format!("{missing}: not found in the registry")
        );
    }
}

#[tokio::test]
async fn multi_arch_index_digest_and_platform_digests() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let client = client(&[&registry]);
    let target = image(&registry, "multi", "v1");
    let amd64 = small_image("linux/amd64", "amd");
    let arm64 = small_image("linux/arm64/v8", "arm");
    let index_digest = client
        .push_index(&target, &[amd64.clone(), arm64.clone()])
        .await
        .unwrap();

    let plain = client.digest(&target, None).await.unwrap();
    assert_eq!(
        plain.digest, index_digest,
        "without --platform: the index digest"
    );
    let manifest = client.manifest(&target).await.unwrap();
    assert!(manifest.is_index());

    let info = client
        .digest(&target, Some(&platform("linux/arm64")))
        .await
        .unwrap();
    assert_eq!(info.digest, arm64.digest());
    assert_eq!(info.index_digest.as_deref(), Some(index_digest.as_str()));
    assert_eq!(info.platform.unwrap().to_string(), "linux/arm64/v8");
    let info = client
        .digest(&target, Some(&platform("linux/amd64")))
        .await
        .unwrap();
    assert_eq!(info.digest, amd64.digest());

    let err = client
        .digest(&target, Some(&platform("linux/s390x")))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{target}: no image for platform linux/s390x (the index lists: linux/amd64, linux/arm64/v8)"
        )
    );
}

#[tokio::test]
async fn list_tags_returns_every_tag_once_sorted() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let client = RegistryClient::new(
        ClientOptions {
            tag_page_size: 2,
            ..options(&[&registry])
        },
        CredentialSource::anonymous(),
    );
    let build = small_image("linux/amd64", "tags");
    let tags = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "latest"];
    // docker-registry 2.8 ignores `n`: the client must cope with a whole list in one page.
    for tag in tags {
        client
            .push_image(&image(&registry, "paged", tag), &build)
            .await
            .unwrap();
    }
    let listed = client
        .list_tags(&ImageRef::new(registry.host(), "paged"))
        .await
        .unwrap();
    assert_eq!(listed, tags);
    let err = client
        .list_tags(&ImageRef::new(registry.host(), "absent"))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn copy_within_a_registry_keeps_the_digest() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let client = client(&[&registry]);
    let source = image(&registry, "team/app", "sha-abc");
    let build = small_image("linux/amd64", "copy-same");
    client.push_image(&source, &build).await.unwrap();

    // A new tag in the same repository: every blob is already there.
    let retag = image(&registry, "team/app", "staging");
    let report = client.copy(&source, &retag).await.unwrap();
    assert_eq!(report.digest, build.digest());
    assert_eq!(report.blobs_skipped, 3);
    assert_eq!(client.head_digest(&retag).await.unwrap(), build.digest());

    // Another repository of the same registry: blobs are mounted.
    let other = image(&registry, "prod/app", "1.0.0");
    let report = client.copy(&source, &other).await.unwrap();
    assert_eq!(report.digest, build.digest());
    assert_eq!(report.blobs_mounted + report.blobs_copied, 3);
    assert_eq!(report.blobs_mounted, 3, "{report:?}");
    assert_eq!(client.manifest(&other).await.unwrap().bytes, build.manifest);
}

#[tokio::test]
async fn copy_across_registries_keeps_index_and_platform_digests() {
    let Some(first) = TestRegistry::start() else {
        return;
    };
    let Some(second) = TestRegistry::start() else {
        return;
    };
    let client = client(&[&first, &second]);
    let source = image(&first, "multi", "v1");
    let images = [
        small_image("linux/amd64", "x-amd"),
        small_image("linux/arm64", "x-arm"),
    ];
    let index_digest = client.push_index(&source, &images).await.unwrap();

    let destination = image(&second, "mirror/multi", "v1");
    let report = client.copy(&source, &destination).await.unwrap();
    assert_eq!(report.digest, index_digest);
    assert_eq!(report.manifests, 3);
    assert_eq!(report.blobs_copied, 6);
    assert_eq!(
        client.head_digest(&destination).await.unwrap(),
        index_digest
    );
    for build in &images {
        let info = client
            .digest(&destination, Some(&build.platform))
            .await
            .unwrap();
        assert_eq!(info.digest, build.digest());
        let config = client
            .pull_blob(
                &destination.repository_only(),
                &ferry_image::registry::sha256_digest(&build.config),
            )
            .await
            .unwrap();
        assert_eq!(config, build.config);
    }
    // Copying again finds everything in place.
    let again = client.copy(&source, &destination).await.unwrap();
    assert_eq!((again.blobs_copied, again.blobs_skipped), (0, 6));
}

#[tokio::test]
async fn copy_streams_blobs_larger_than_one_upload_chunk() {
    let Some(first) = TestRegistry::start() else {
        return;
    };
    let Some(second) = TestRegistry::start() else {
        return;
    };
    let client = client(&[&first, &second]);
    // 9 MiB + 7 bytes: three 4 MiB upload chunks, the last one short.
    let big: Vec<u8> = (0..9 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    let build = ImageBuild::new(platform("linux/amd64"), vec![big.clone()]);
    let source = image(&first, "big", "1");
    client.push_image(&source, &build).await.unwrap();
    let destination = image(&second, "big", "1");
    let report = client.copy(&source, &destination).await.unwrap();
    assert_eq!(report.digest, build.digest());
    assert_eq!(report.blobs_copied, 2);
    let layer = ferry_image::registry::sha256_digest(&big);
    let copied = client
        .pull_blob(&destination.repository_only(), &layer)
        .await
        .unwrap();
    assert!(copied == big, "the copied layer differs");
}

#[tokio::test]
async fn basic_auth_registry_accepts_only_the_right_password() {
    let password = "correct-horse-battery-staple";
    let Some(registry) = TestRegistry::start_with_auth("ferry", password) else {
        return;
    };
    let target = image(&registry, "private/app", "1");
    let build = small_image("linux/amd64", "private");

    let good = RegistryClient::new(
        options(&[&registry]),
        CredentialSource::anonymous()
            .with_registry(&registry.host(), Credentials::basic("ferry", password)),
    );
    good.push_image(&target, &build).await.unwrap();
    assert_eq!(good.head_digest(&target).await.unwrap(), build.digest());
    assert_eq!(
        good.list_tags(&target.repository_only()).await.unwrap(),
        ["1"]
    );

    let wrong_secret = "wrong-password-7f3a";
    let wrong = RegistryClient::new(
        options(&[&registry]),
        CredentialSource::anonymous().with_explicit(Credentials::basic("ferry", wrong_secret)),
    );
    let err = wrong.head_digest(&target).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err:?}");
    let text = format!("{err} {err:?} {wrong:?}");
    assert!(
        text.contains("rejected the configured credentials"),
        "{text}"
    );
    assert!(!text.contains(wrong_secret), "{text}");

    let anonymous = client(&[&registry]);
    let err = anonymous.exists(&target).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("requires credentials and none are configured"),
        "{err}"
    );
}

#[tokio::test]
async fn a_stopped_registry_fails_after_bounded_retries() {
    let Some(mut registry) = TestRegistry::start() else {
        return;
    };
    let target = image(&registry, "team/app", "1");
    registry.stop();
    let client = RegistryClient::new(
        ClientOptions {
            retry: RetryPolicy {
                max_attempts: 3,
                initial_delay: Duration::from_millis(100),
                ..RetryPolicy::default()
            },
            ..options(&[&registry])
        },
        CredentialSource::anonymous(),
    );
    let started = Instant::now();
    let err = client.exists(&target).await.unwrap_err();
    let RegistryError::Unavailable {
        attempts,
        ref message,
        ..
    } = err
    else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert_eq!(attempts, 3);
    assert!(message.to_lowercase().contains("connect"), "{message}");
    // 100 ms + 200 ms of backoff; connection refusals are immediate.
    assert!(started.elapsed() >= Duration::from_millis(300));
}
