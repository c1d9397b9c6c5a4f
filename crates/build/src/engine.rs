//! The Docker Engine API through bollard: connect (the API version negotiated), build from a
//! context archive with the classic builder, tag, inspect, push with credentials.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{BuildImageOptions, PushImageOptions, TagImageOptions};
use ferry_image::reference::Reference;
use ferry_image::registry::Credentials;
use futures::StreamExt as _;

use crate::context::ContextArchive;
use crate::error::BuildError;
use crate::event::{BuildLog, Event, pushed_digest};

/// The engine's address when `DOCKER_HOST` is not set.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long connecting and the first answer may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request may wait for the engine's first answer (a build answers once it has the
/// context; its stream then runs as long as the build).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// A build argument; a secret one's value never appears in `Debug`, output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct BuildArg {
    /// The `ARG` name.
    pub name: String,
    /// The value.
    pub value: String,
    /// Whether the value is secret.
    pub secret: bool,
}

impl std::fmt::Debug for BuildArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.secret {
            "<redacted>"
        } else {
            &self.value
        };
        write!(f, "BuildArg({}={value})", self.name)
    }
}

/// What to build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The tags; the first names the build, the others are added after it.
    pub tags: Vec<Reference>,
    /// `--build-arg`s.
    pub build_args: Vec<BuildArg>,
    /// The target stage.
    pub target: Option<String>,
    /// The platform (`linux/amd64`).
    pub platform: Option<String>,
    /// Labels of the image.
    pub labels: BTreeMap<String, String>,
}

/// The engine's facts about a built image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The image id (`sha256:…` of its configuration).
    pub id: String,
    /// The size in bytes, uncompressed.
    pub size: u64,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
}

/// A connection to a Docker Engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    host: String,
}

impl Engine {
    /// Connects to the engine at `host` (`unix://PATH`, `tcp://HOST:PORT`, `http://HOST:PORT`)
    /// and agrees on the API version: an engine that does not answer is [`BuildError::Unreachable`].
    pub async fn connect(host: &str) -> Result<Engine, BuildError> {
        let supported = ["unix://", "tcp://", "http://"];
        if !supported.iter().any(|s| host.starts_with(s)) {
            return Err(BuildError::UnsupportedHost {
                host: host.to_owned(),
            });
        }
        let unreachable = |e: bollard::errors::Error| BuildError::Unreachable {
            host: ferry_redact::redact_url(host),
            message: ferry_redact::scrub(&e.to_string()),
        };
        let docker = Docker::connect_with_host(host)
            .map_err(unreachable)?
            .with_timeout(CONNECT_TIMEOUT);
        let mut docker = docker.negotiate_version().await.map_err(unreachable)?;
        docker.set_timeout(REQUEST_TIMEOUT);
        Ok(Engine {
            docker,
            host: host.to_owned(),
        })
    }

    /// The engine's address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Builds `context` with the classic builder; reports steps and lines to `on` and returns
    /// the image id. The first tag names the image; [`Engine::tag`] adds the others.
    pub async fn build(
        &self,
        context: ContextArchive,
        options: &BuildOptions,
        on: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, BuildError> {
        let query = BuildImageOptions {
            dockerfile: context.dockerfile.clone(),
            t: options.tags.first().map(ToString::to_string),
            rm: true,
            forcerm: true,
            buildargs: (!options.build_args.is_empty()).then(|| {
                options
                    .build_args
                    .iter()
                    .map(|a| (a.name.clone(), a.value.clone()))
                    .collect::<HashMap<_, _>>()
            }),
            labels: (!options.labels.is_empty()).then(|| {
                options
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<HashMap<_, _>>()
            }),
            target: options.target.clone().unwrap_or_default(),
            platform: options.platform.clone().unwrap_or_default(),
            ..BuildImageOptions::default()
        };
        let body = bollard::body_full(bytes::Bytes::from(context.tar));
        let mut stream = self.docker.build_image(query, None, Some(body));
        let mut log = BuildLog::default();
        let mut id = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(chunk) = &info.stream {
                        for event in log.push(&ferry_redact::scrub(chunk)) {
                            on(event);
                        }
                    }
                    if let Some(aux) = info.aux.and_then(|a| a.id) {
                        id = Some(aux);
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    for event in log.finish() {
                        on(event);
                    }
                    return Err(BuildError::StepFailed {
                        step: log.step().cloned(),
                        message: ferry_redact::scrub(&error),
                        output: log.output().to_vec(),
                    });
                }
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code,
                    message,
                }) if (400..500).contains(&status_code) => {
                    return Err(BuildError::Refused {
                        message: ferry_redact::scrub(&message),
                    });
                }
                Err(e) => return Err(self.failed("build the image", e)),
            }
        }
        for event in log.finish() {
            on(event);
        }
        let id = id.ok_or(BuildError::NoImage)?;
        on(Event::Built { id: id.clone() });
        Ok(id)
    }

    /// Adds the tag `tag` to the image `id`.
    pub async fn tag(&self, id: &str, tag: &Reference) -> Result<(), BuildError> {
        let repository = tag.name();
        let options = TagImageOptions {
            repo: Some(repository),
            tag: tag.tag().map(str::to_owned),
        };
        self.docker
            .tag_image(id, Some(options))
            .await
            .map_err(|e| self.failed(&format!("tag {id} as {tag}"), e))
    }

    /// The id, size and labels of the image `name` (an id or a tag).
    pub async fn inspect(&self, name: &str) -> Result<ImageInfo, BuildError> {
        let image = self
            .docker
            .inspect_image(name)
            .await
            .map_err(|e| self.failed(&format!("inspect {name}"), e))?;
        Ok(ImageInfo {
            id: image.id.unwrap_or_default(),
            size: image.size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
            labels: image
                .config
                .and_then(|c| c.labels)
                .unwrap_or_default()
                .into_iter()
                .collect(),
        })
    }

    /// Pushes `tag` with `credentials`; reports the layers to `on` and returns the digest the
    /// engine says it pushed, if it said one.
    pub async fn push(
        &self,
        tag: &Reference,
        credentials: &Credentials,
        on: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Option<String>, BuildError> {
        let name = tag.name();
        let options = PushImageOptions {
            tag: tag.tag().map(str::to_owned),
            platform: None,
        };
        let auth = docker_credentials(tag, credentials);
        let mut stream = self.docker.push_image(&name, Some(options), Some(auth));
        let mut digest = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    let Some(status) = info.status else { continue };
                    if let Some(d) = pushed_digest(&status) {
                        digest = Some(d);
                    } else if !status.starts_with("The push refers to") {
                        let detail = info.progress_detail.unwrap_or_default();
                        on(Event::Layer {
                            status,
                            current: detail.current.and_then(|c| u64::try_from(c).ok()),
                            total: detail.total.and_then(|t| u64::try_from(t).ok()),
                        });
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    let message = ferry_redact::scrub(&error);
                    let lower = message.to_ascii_lowercase();
                    return Err(
                        if lower.contains("unauthorized")
                            || lower.contains("authentication required")
                            || lower.contains("no basic auth credentials")
                            || lower.contains("denied")
                        {
                            BuildError::Unauthorized {
                                tag: tag.to_string(),
                                message,
                            }
                        } else {
                            BuildError::Push {
                                tag: tag.to_string(),
                                message,
                            }
                        },
                    );
                }
                Err(e) => return Err(self.failed(&format!("push {tag}"), e)),
            }
        }
        Ok(digest)
    }

    /// An engine failure: one that did not answer is unreachable, one that answered failed.
    fn failed(&self, action: &str, error: bollard::errors::Error) -> BuildError {
        let message = ferry_redact::scrub(&error.to_string());
        match error {
            bollard::errors::Error::DockerResponseServerError { .. }
            | bollard::errors::Error::JsonDataError { .. }
            | bollard::errors::Error::JsonSerdeError { .. } => BuildError::Engine {
                action: action.to_owned(),
                message,
            },
            _ => BuildError::Unreachable {
                host: ferry_redact::redact_url(&self.host),
                message,
            },
        }
    }
}

/// The `X-Registry-Auth` of a push: the registry's credentials (`{}` when anonymous; the
/// engine wants the header).
fn docker_credentials(tag: &Reference, credentials: &Credentials) -> DockerCredentials {
    let registry = match tag.domain() {
        "" | "docker.io" => "https://index.docker.io/v1/".to_owned(),
        domain => domain.to_owned(),
    };
    match credentials {
        Credentials::Anonymous => DockerCredentials::default(),
        Credentials::Basic { username, password } => DockerCredentials {
            username: Some(username.clone()),
            password: Some(password.expose().to_owned()),
            serveraddress: Some(registry),
            ..DockerCredentials::default()
        },
        Credentials::Token(token) => DockerCredentials {
            registrytoken: Some(token.expose().to_owned()),
            serveraddress: Some(registry),
            ..DockerCredentials::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_credentials_as_the_engine_takes_them() {
        let tag = Reference::parse_normalized("ghcr.io/acme/app:1").expect("tag");
        let basic = docker_credentials(&tag, &Credentials::basic("me", "pw"));
        assert_eq!(basic.username.as_deref(), Some("me"));
        assert_eq!(basic.password.as_deref(), Some("pw"));
        assert_eq!(basic.serveraddress.as_deref(), Some("ghcr.io"));
        let token = docker_credentials(&tag, &Credentials::token("tok"));
        assert_eq!(token.registrytoken.as_deref(), Some("tok"));
        assert!(token.password.is_none());
        let hub = Reference::parse_normalized("acme/app:1").expect("tag");
        let hub = docker_credentials(&hub, &Credentials::basic("me", "pw"));
        assert_eq!(
            hub.serveraddress.as_deref(),
            Some("https://index.docker.io/v1/")
        );
        let anonymous = docker_credentials(&tag, &Credentials::Anonymous);
        assert!(anonymous.username.is_none() && anonymous.serveraddress.is_none());
    }

    #[test]
    fn secret_build_arguments_are_redacted_in_debug() {
        let arg = BuildArg {
            name: "TOKEN".into(),
            value: "hunter22".into(),
            secret: true,
        };
        assert_eq!(format!("{arg:?}"), "BuildArg(TOKEN=<redacted>)");
    }
}
