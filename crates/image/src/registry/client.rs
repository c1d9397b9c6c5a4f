//! The registry client: exists, digest, tags, copy, and the pushes tests build images with.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, Stream, StreamExt};
use oci_client::RegistryOperation;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;

use super::ImageRef;
use super::auth::{CredentialError, CredentialSource, Credentials};
use super::error::{Class, RegistryError, classify, describe};
use super::link::{encode_query, next_link, same_registry_url};
use super::manifest::{MANIFEST_MEDIA_TYPES, Manifest, Platform, config_platform, sha256_digest};
use super::retry::RetryPolicy;

const USER_AGENT: &str = concat!("ferry-image/", env!("CARGO_PKG_VERSION"));

/// Bytes per upload request when copying blobs between registries.
const COPY_CHUNK: usize = 4 * 1024 * 1024;

/// Whether a registry host (`host[:port]`) is a loopback address: `localhost`, `127.0.0.0/8` or
/// `[::1]`, with any port.
pub fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.rsplit_once(':').map_or(registry, |(h, _)| h),
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Tag list pages followed at most (a loop guard).
const MAX_TAG_PAGES: usize = 10_000;

/// How a [`RegistryClient`] connects.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Registries (`host[:port]`) reached over plain HTTP instead of HTTPS, e.g. `127.0.0.1:5000`.
    pub plain_http: Vec<String>,
    /// Use plain HTTP for every registry.
    pub all_plain_http: bool,
    /// Loopback registries (`localhost`, `127.0.0.0/8`, `[::1]`, any port) use plain HTTP, as
    /// Docker does, unless listed in [`ClientOptions::https`]. Default `true`.
    pub loopback_plain_http: bool,
    /// Registries always reached over HTTPS, loopback ones included.
    pub https: Vec<String>,
    /// Accept invalid TLS certificates (self-signed registries).
    pub accept_invalid_certificates: bool,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed between two reads of a response.
    pub read_timeout: Duration,
    /// Retries for transient failures.
    pub retry: RetryPolicy,
    /// Tags asked for per page when listing tags.
    pub tag_page_size: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            plain_http: Vec::new(),
            all_plain_http: false,
            loopback_plain_http: true,
            https: Vec::new(),
            accept_invalid_certificates: false,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            tag_page_size: 1000,
        }
    }
}

/// The digest of an image, as `ferry-image digest` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DigestInfo {
    /// The digest of the manifest a pull of this reference (and platform) would use.
    pub digest: String,
    /// Its media type, when the manifest was fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The digest of the image index the platform manifest was picked from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    /// The platform that was picked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CopyReport {
    /// The digest of the copied manifest (identical at source and destination).
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Manifests pushed (the top one plus the platform manifests of an index).
    pub manifests: usize,
    /// Blobs downloaded from the source and uploaded to the destination.
    pub blobs_copied: usize,
    /// Blobs mounted from another repository of the same registry.
    pub blobs_mounted: usize,
    /// Blobs the destination already had.
    pub blobs_skipped: usize,
}

/// A failed attempt sequence.
struct Failure {
    class: Class,
    message: String,
    attempts: u32,
}

/// A client for OCI distribution registries, built on `oci-client`, with credentials per
/// registry and bounded retries.
pub struct RegistryClient {
    /// HTTPS, except the registries listed as plain HTTP.
    oci: oci_client::Client,
    /// Plain HTTP, for the loopback registries not listed.
    oci_plain: oci_client::Client,
    credentials: CredentialSource,
    resolved: Mutex<HashMap<String, Credentials>>,
    /// `registry/repository:operation` whose token was asked for ([`RegistryClient::learn_token`]).
    learned: Mutex<HashSet<String>>,
    retry: RetryPolicy,
    page_size: usize,
    http: reqwest::Client,
    plain_http: Vec<String>,
    all_plain_http: bool,
    loopback_plain_http: bool,
    https: Vec<String>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client with these options and credentials.
    pub fn new(options: ClientOptions, credentials: CredentialSource) -> Self {
        let protocol = if options.all_plain_http {
            ClientProtocol::Http
        } else if options.plain_http.is_empty() {
            ClientProtocol::Https
        } else {
            ClientProtocol::HttpsExcept(options.plain_http.clone())
        };
        let config = |protocol| ClientConfig {
            protocol,
            accept_invalid_certificates: options.accept_invalid_certificates,
            connect_timeout: Some(options.connect_timeout),
            read_timeout: Some(options.read_timeout),
            user_agent: USER_AGENT,
            ..ClientConfig::default()
        };
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .tls_danger_accept_invalid_certs(options.accept_invalid_certificates)
            .user_agent(USER_AGENT)
            .build()
            .unwrap_or_default();
        Self {
            oci: oci_client::Client::new(config(protocol)),
            oci_plain: oci_client::Client::new(config(ClientProtocol::Http)),
            http,
            plain_http: options.plain_http.clone(),
            all_plain_http: options.all_plain_http,
            loopback_plain_http: options.loopback_plain_http,
            https: options.https.clone(),
            credentials,
            resolved: Mutex::new(HashMap::new()),
            learned: Mutex::new(HashSet::new()),
            retry: options.retry,
            page_size: options.tag_page_size.max(1),
        }
    }

    /// The credentials this client uses for `registry` (resolved once, then cached), with their
    /// secrets registered with `ferry_redact`: for a caller that hands them to another client
    /// (the Docker Engine's push), so both use the same credentials.
    pub fn credentials_for(&self, registry: &str) -> Result<Credentials, CredentialError> {
        let cached = self
            .resolved
            .lock()
            .expect("credential cache lock")
            .get(registry)
            .cloned();
        if let Some(c) = cached {
            return Ok(c);
        }
        let c = self.credentials.resolve(registry)?;
        c.register_secrets();
        self.resolved
            .lock()
            .expect("credential cache lock")
            .insert(registry.to_owned(), c.clone());
        Ok(c)
    }

    /// Resolves (once per registry) and registers the credentials for `image`'s registry.
    async fn auth(
        &self,
        image: &ImageRef,
    ) -> Result<(oci_client::Reference, RegistryAuth), RegistryError> {
        let reference = image.to_oci();
        let creds = self.credentials_for(&image.registry)?;
        let auth = creds.to_oci();
        self.oci_for(&reference)
            .store_auth_if_needed(reference.resolve_registry(), &auth)
            .await;
        self.learn_token(&reference, &auth, RegistryOperation::Pull)
            .await;
        Ok((reference, auth))
    }

    /// With credentials, asks the registry (once per repository and operation) for the token
    /// `oci-client` then sends, so that it joins the secrets scrubbed from every message
    /// ([`ferry_redact`]): a registry that echoes it in an error cannot make Ferry print it. A
    /// failure here is left to the operation itself to report.
    async fn learn_token(
        &self,
        reference: &oci_client::Reference,
        auth: &RegistryAuth,
        operation: RegistryOperation,
    ) {
        if matches!(auth, RegistryAuth::Anonymous) {
            return;
        }
        let key = format!(
            "{}/{}:{operation:?}",
            reference.resolve_registry(),
            reference.repository()
        );
        if !self
            .learned
            .lock()
            .expect("learned tokens lock")
            .insert(key)
        {
            return;
        }
        match self.oci.auth(reference, auth, operation).await {
            Ok(Some(token)) => ferry_redact::register(&token),
            Ok(None) => {}
            Err(e) => tracing::debug!(
                "no registry token learned: {}",
                ferry_redact::scrub(&describe(&e))
            ),
        }
    }

    /// [`RegistryClient::auth`] for an upload: the push token is learned too.
    async fn auth_push(
        &self,
        image: &ImageRef,
    ) -> Result<(oci_client::Reference, RegistryAuth), RegistryError> {
        let (reference, auth) = self.auth(image).await?;
        self.learn_token(&reference, &auth, RegistryOperation::Push)
            .await;
        Ok((reference, auth))
    }

    fn has_credentials(&self, registry: &str) -> bool {
        self.resolved
            .lock()
            .expect("credential cache lock")
            .get(registry)
            .is_some_and(|c| !c.is_anonymous())
    }

    /// Runs `op` until it succeeds, fails for good, or the retry budget is spent.
    async fn retrying<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, OciDistributionError>>,
    {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match op().await {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            let class = classify(&err);
            let message = ferry_redact::scrub(&describe(&err));
            let delay = self.retry.delay_after(attempt);
            if class != Class::Transient
                || attempt >= self.retry.max_attempts
                || start.elapsed() + delay > self.retry.max_elapsed
            {
                return Err(Failure {
                    class,
                    message,
                    attempts: attempt,
                });
            }
            tracing::warn!(attempt, ?delay, "{what} failed, retrying: {message}");
            tokio::time::sleep(delay).await;
        }
    }

    fn error(&self, failure: Failure, image: &ImageRef) -> RegistryError {
        let registry = image.registry.clone();
        match failure.class {
            Class::NotFound => RegistryError::NotFound {
                reference: image.to_string(),
            },
            Class::Unauthorized => {
                let why = if self.has_credentials(&image.registry) {
                    "the registry rejected the configured credentials"
                } else {
                    "the registry requires credentials and none are configured for it"
                };
                RegistryError::Unauthorized {
                    registry,
                    detail: format!("{why} ({})", failure.message),
                }
            }
            Class::Transient => RegistryError::Unavailable {
                registry,
                attempts: failure.attempts,
                message: failure.message,
            },
            Class::Unresolved => RegistryError::Unavailable {
                registry,
                attempts: failure.attempts,
                message: format!("the host name does not resolve ({})", failure.message),
            },
            Class::PlainHttp => RegistryError::PlainHttp {
                registry,
                message: failure.message,
            },
            Class::Other => RegistryError::Protocol {
                registry,
                message: failure.message,
            },
        }
    }

    /// The manifest digest from a `HEAD` request (falling back to `GET` when the registry
    /// sends no `Docker-Content-Digest`).
    pub async fn head_digest(&self, image: &ImageRef) -> Result<String, RegistryError> {
        let (reference, auth) = self.auth(image).await?;
        self.retrying("HEAD manifest", || {
            self.oci_for(&reference)
                .fetch_manifest_digest(&reference, &auth)
        })
        .await
        .map_err(|f| self.error(f, image))
    }

    /// Whether the tag or digest exists.
    pub async fn exists(&self, image: &ImageRef) -> Result<bool, RegistryError> {
        match self.head_digest(image).await {
            Ok(_) => Ok(true),
            Err(RegistryError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The manifest exactly as stored (image manifest or index).
    pub async fn manifest(&self, image: &ImageRef) -> Result<Manifest, RegistryError> {
        let (reference, auth) = self.auth(image).await?;
        let (bytes, _digest) = self
            .retrying("GET manifest", || {
                self.oci_for(&reference)
                    .pull_manifest_raw(&reference, &auth, &MANIFEST_MEDIA_TYPES)
            })
            .await
            .map_err(|f| self.error(f, image))?;
        let manifest = Manifest::from_bytes(bytes.to_vec(), None).map_err(|message| {
            RegistryError::Protocol {
                registry: image.registry.clone(),
                message: format!("{image}: {message}"),
            }
        })?;
        if let Some(expected) = &image.digest
            && *expected != manifest.digest
        {
            return Err(RegistryError::DigestMismatch {
                reference: image.to_string(),
                expected: expected.clone(),
                actual: manifest.digest,
            });
        }
        Ok(manifest)
    }

    /// The digest of `image`: without a platform, from a `HEAD` request (an index's own digest
    /// for a multi-arch image); with one, the digest of that platform's image manifest.
    pub async fn digest(
        &self,
        image: &ImageRef,
        platform: Option<&Platform>,
    ) -> Result<DigestInfo, RegistryError> {
        let Some(platform) = platform else {
            return Ok(DigestInfo {
                digest: self.head_digest(image).await?,
                media_type: None,
                index_digest: None,
                platform: None,
            });
        };
        let manifest = self.manifest(image).await?;
        if manifest.is_index() {
            let entries = manifest.entries();
            let found = entries
                .iter()
                .find(|(_, p)| p.as_ref().is_some_and(|p| platform.matches(p)));
            let Some((digest, offered)) = found else {
                return Err(RegistryError::PlatformNotFound {
                    reference: image.to_string(),
                    platform: platform.to_string(),
                    available: list_platforms(entries.iter().filter_map(|(_, p)| p.as_ref())),
                });
            };
            let child = self.manifest(&image.at_digest(digest)).await?;
            return Ok(DigestInfo {
                digest: digest.clone(),
                media_type: Some(child.media_type),
                index_digest: Some(manifest.digest),
                platform: offered.clone(),
            });
        }
        // A single-platform image: its config says which platform it is for.
        let config_digest = manifest
            .config_digest()
            .ok_or_else(|| RegistryError::Protocol {
                registry: image.registry.clone(),
                message: format!("{image}: image manifest without a config"),
            })?;
        let config = self.pull_blob(image, config_digest).await?;
        let offered = config_platform(&config);
        match offered {
            Some(offered) if platform.matches(&offered) => Ok(DigestInfo {
                digest: manifest.digest,
                media_type: Some(manifest.media_type),
                index_digest: None,
                platform: Some(offered),
            }),
            other => Err(RegistryError::PlatformNotFound {
                reference: image.to_string(),
                platform: platform.to_string(),
                available: list_platforms(other.iter()),
            }),
        }
    }

    /// Every tag of `repository` (its tag and digest are ignored), sorted and without
    /// duplicates.
    ///
    /// Asks for pages of `tag_page_size` tags and follows the `Link: <…>; rel="next"` header
    /// of each answer (on the same registry only). A full page without a `Link` header is
    /// followed with `n`/`last`; a registry that ignores `n` answers everything at once.
    pub async fn list_tags(&self, repository: &ImageRef) -> Result<Vec<String>, RegistryError> {
        let repository = repository.repository_only();
        let (reference, auth) = self.auth(&repository).await?;
        let token = self
            .retrying("authenticate", || {
                self.oci_for(&reference)
                    .auth(&reference, &auth, RegistryOperation::Pull)
            })
            .await
            .map_err(|f| self.error(f, &repository))?;
        let base = format!(
            "{}://{}",
            self.scheme_for(reference.resolve_registry()),
            reference.resolve_registry()
        );
        let first = format!(
            "{base}/v2/{}/tags/list?n={}",
            repository.repository, self.page_size
        );
        let mut all: BTreeSet<String> = BTreeSet::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_TAG_PAGES {
                return Err(RegistryError::Protocol {
                    registry: repository.registry.clone(),
                    message: format!("{repository}: more than {MAX_TAG_PAGES} pages of tags"),
                });
            }
            let (tags, link) = self
                .retrying("list tags", || {
                    self.tags_page(&url, token.as_deref(), &auth)
                })
                .await
                .map_err(|f| self.error(f, &repository))?;
            let count = tags.len();
            let last = tags.iter().max().cloned();
            let before = all.len();
            all.extend(tags);
            next = match link {
                Some(link) => Some(same_registry_url(&base, &link).ok_or_else(|| {
                    RegistryError::Protocol {
                        registry: repository.registry.clone(),
                        message: format!(
                            "{repository}: tag list `Link` leaves the registry: {link}"
                        ),
                    }
                })?),
                None if count == self.page_size && all.len() > before => last.map(|last| {
                    format!(
                        "{base}/v2/{}/tags/list?n={}&last={}",
                        repository.repository,
                        self.page_size,
                        encode_query(&last)
                    )
                }),
                None => None,
            };
        }
        Ok(all.into_iter().collect())
    }

    fn scheme_for(&self, registry: &str) -> &'static str {
        if self.is_plain_http(registry) {
            "http"
        } else {
            "https"
        }
    }

    /// Whether `registry` is reached over plain HTTP.
    pub fn is_plain_http(&self, registry: &str) -> bool {
        self.all_plain_http
            || self.plain_http.iter().any(|r| r == registry)
            || (self.loopback_plain_http
                && is_loopback(registry)
                && !self.https.iter().any(|r| r == registry))
    }

    /// The `oci-client` client for `reference`'s registry (plain HTTP or HTTPS).
    fn oci_for(&self, reference: &oci_client::Reference) -> &oci_client::Client {
        let registry = reference.resolve_registry();
        if self.is_plain_http(registry) && !self.plain_http.iter().any(|r| r == registry) {
            &self.oci_plain
        } else {
            &self.oci
        }
    }

    /// One page of a tag list: the tags and the `rel="next"` link, if any.
    async fn tags_page(
        &self,
        url: &str,
        token: Option<&str>,
        auth: &RegistryAuth,
    ) -> Result<(Vec<String>, Option<String>), OciDistributionError> {
        let mut request = self.http.get(url).header("Accept", "application/json");
        request = match (token, auth) {
            (Some(token), _) => request.bearer_auth(token),
            (None, RegistryAuth::Basic(user, password)) => request.basic_auth(user, Some(password)),
            _ => request,
        };
        let response = request.send().await?;
        let status = response.status();
        let link = response
            .headers()
            .get_all("Link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(next_link);
        let body = response.bytes().await?;
        if !status.is_success() {
            if let Ok(envelope) = serde_json::from_slice(&body) {
                return Err(OciDistributionError::RegistryError {
                    envelope,
                    url: url.to_owned(),
                });
            }
            return Err(OciDistributionError::ServerError {
                url: url.to_owned(),
                code: status.as_u16(),
                message: ferry_redact::scrub(&String::from_utf8_lossy(&body)),
            });
        }
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let list: TagList = serde_json::from_slice(&body)?;
        Ok((list.tags.unwrap_or_default(), link))
    }

    /// Downloads a blob of `repository`, verifying its digest.
    pub async fn pull_blob(
        &self,
        repository: &ImageRef,
        digest: &str,
    ) -> Result<Vec<u8>, RegistryError> {
        let (reference, _) = self.auth(repository).await?;
        self.retrying("GET blob", || async {
            let mut buf: Vec<u8> = Vec::new();
            self.oci_for(&reference)
                .pull_blob(&reference, digest, &mut buf)
                .await?;
            Ok(buf)
        })
        .await
        .map_err(|f| self.error(f, &repository.at_digest(digest)))
    }

    /// Uploads a blob to `repository`; returns its digest.
    pub async fn push_blob(
        &self,
        repository: &ImageRef,
        data: Vec<u8>,
    ) -> Result<String, RegistryError> {
        let (reference, _) = self.auth_push(repository).await?;
        let digest = sha256_digest(&data);
        self.retrying("push blob", || {
            self.oci_for(&reference)
                .push_blob(&reference, data.clone(), &digest)
        })
        .await
        .map_err(|f| self.error(f, repository))?;
        Ok(digest)
    }

    /// Uploads manifest bytes unchanged under `image`'s tag (or digest); returns their digest.
    pub async fn push_manifest(
        &self,
        image: &ImageRef,
        bytes: Vec<u8>,
        media_type: &str,
    ) -> Result<String, RegistryError> {
        let (reference, _) = self.auth_push(image).await?;
        let digest = sha256_digest(&bytes);
        let content_type = http::HeaderValue::from_str(media_type).map_err(|_| {
            RegistryError::InvalidRequest(format!("invalid media type `{media_type}`"))
        })?;
        let body = bytes;
        self.retrying("push manifest", || {
            self.oci_for(&reference).push_manifest_raw(
                &reference,
                body.clone(),
                content_type.clone(),
            )
        })
        .await
        .map_err(|f| self.error(f, image))?;
        Ok(digest)
    }

    /// Copies `source` to `destination` without changing its digest: blobs first (skipped
    /// when present, mounted within one registry, else streamed across), then the
    /// platform manifests of an index, then the manifest bytes exactly as read.
    pub async fn copy(
        &self,
        source: &ImageRef,
        destination: &ImageRef,
    ) -> Result<CopyReport, RegistryError> {
        let manifest = self.manifest(source).await?;
        if let Some(d) = &destination.digest
            && *d != manifest.digest
        {
            return Err(RegistryError::InvalidRequest(format!(
                "{destination}: the destination digest differs from the source digest {}",
                manifest.digest
            )));
        }
        let mut report = CopyReport {
            digest: manifest.digest.clone(),
            media_type: manifest.media_type.clone(),
            ..CopyReport::default()
        };
        if manifest.is_index() {
            for (digest, _) in manifest.entries() {
                let child = self.manifest(&source.at_digest(&digest)).await?;
                if child.is_index() {
                    return Err(RegistryError::Protocol {
                        registry: source.registry.clone(),
                        message: format!("{source}: nested image indexes are not supported"),
                    });
                }
                let child_dst = destination.at_digest(&digest);
                self.copy_blobs(source, destination, &child, &mut report)
                    .await?;
                self.push_manifest(&child_dst, child.bytes.clone(), &child.media_type)
                    .await?;
                report.manifests += 1;
            }
        } else {
            self.copy_blobs(source, destination, &manifest, &mut report)
                .await?;
        }
        self.push_manifest(destination, manifest.bytes.clone(), &manifest.media_type)
            .await?;
        report.manifests += 1;
        let stored = self.head_digest(destination).await?;
        if stored != manifest.digest {
            return Err(RegistryError::DigestMismatch {
                reference: destination.to_string(),
                expected: manifest.digest,
                actual: stored,
            });
        }
        Ok(report)
    }

    /// Streams one blob from `source` to `destination` in [`COPY_CHUNK`] pieces; the source
    /// stream is checked against the digest and the destination verifies it on commit.
    async fn stream_blob(
        &self,
        source: &oci_client::Reference,
        destination: &oci_client::Reference,
        digest: &str,
    ) -> Result<(), OciDistributionError> {
        let sized = self
            .oci_for(source)
            .pull_blob_stream(source, digest)
            .await?;
        self.oci_for(destination)
            .push_blob_stream(
                destination,
                rechunk(sized.stream),
                digest,
                sized.content_length,
            )
            .await?;
        Ok(())
    }

    async fn copy_blobs(
        &self,
        source: &ImageRef,
        destination: &ImageRef,
        manifest: &Manifest,
        report: &mut CopyReport,
    ) -> Result<(), RegistryError> {
        let (dst_ref, _) = self.auth_push(destination).await?;
        let (src_ref, _) = self.auth(source).await?;
        let same_registry = source.registry == destination.registry;
        for digest in manifest.blobs() {
            let present = self
                .retrying("HEAD blob", || {
                    self.oci_for(&dst_ref).blob_exists(&dst_ref, &digest)
                })
                .await
                .map_err(|f| self.error(f, destination))?;
            if present {
                report.blobs_skipped += 1;
                continue;
            }
            if same_registry
                && self
                    .retrying("mount blob", || {
                        self.oci_for(&dst_ref)
                            .mount_blob(&dst_ref, &src_ref, &digest)
                    })
                    .await
                    .is_ok()
            {
                report.blobs_mounted += 1;
                continue;
            }
            self.retrying("copy blob", || {
                self.stream_blob(&src_ref, &dst_ref, &digest)
            })
            .await
            .map_err(|f| self.error(f, &destination.at_digest(&digest)))?;
            report.blobs_copied += 1;
        }
        Ok(())
    }
}

/// Re-chunks a byte stream into pieces of [`COPY_CHUNK`] bytes (the last may be shorter), so
/// an upload makes few large `PATCH` requests instead of one per network read.
fn rechunk(
    stream: BoxStream<'static, Result<Bytes, std::io::Error>>,
) -> impl Stream<Item = Result<Bytes, OciDistributionError>> + Send + 'static {
    futures::stream::unfold(Some(stream), |state| async move {
        let mut stream = state?;
        let mut buf = BytesMut::new();
        loop {
            match stream.next().await {
                Some(Ok(bytes)) => {
                    buf.extend_from_slice(&bytes);
                    if buf.len() >= COPY_CHUNK {
                        return Some((Ok(buf.freeze()), Some(stream)));
                    }
                }
                Some(Err(e)) => return Some((Err(OciDistributionError::IoError(e)), None)),
                None if buf.is_empty() => return None,
                None => return Some((Ok(buf.freeze()), None)),
            }
        }
    })
}

fn list_platforms<'a>(platforms: impl Iterator<Item = &'a Platform>) -> String {
    let list: Vec<String> = platforms.map(Platform::to_string).collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}
