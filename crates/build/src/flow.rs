//! The whole of `ferry build`: archive the context, build, tag, push every tag, and read back
//! the digest the registry stored.

use std::path::PathBuf;

use ferry_image::reference::Reference;
use ferry_image::registry::{ImageRef, RegistryClient};

use crate::context;
use crate::engine::{BuildOptions, Engine};
use crate::error::BuildError;
use crate::event::Event;

/// What to build and where to push it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The context directory.
    pub context: PathBuf,
    /// The Dockerfile (`None`: `Dockerfile` in the context).
    pub dockerfile: Option<PathBuf>,
    /// Tags, build arguments, target, platform, labels.
    pub options: BuildOptions,
    /// Push the tags (else only build and tag locally).
    pub push: bool,
}

/// What was built and pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The first tag's repository at the pushed digest (`REPO@sha256:…`), or the first tag when
    /// nothing was pushed.
    pub image: String,
    /// The tags, as given.
    pub tags: Vec<String>,
    /// The manifest digest the registry stores for the tags (`None` without a push).
    pub digest: Option<String>,
    /// The image id.
    pub id: String,
    /// The image's size in bytes.
    pub size: u64,
}

/// Builds `request` on `engine`, pushes each tag with the credentials `registry` resolves
/// for its host, and checks each tag's digest with the registry. Every secret build argument
/// is registered with `ferry_redact` first, so no line or error shows it.
pub async fn build_and_push(
    engine: &Engine,
    registry: &RegistryClient,
    request: &Request,
    on: &mut (dyn FnMut(Event) + Send),
) -> Result<Outcome, BuildError> {
    let first = request.options.tags.first().ok_or(BuildError::NoTag)?;
    for arg in request.options.build_args.iter().filter(|a| a.secret) {
        ferry_redact::register(&arg.value);
    }
    let archive = context::archive(&request.context, request.dockerfile.as_deref())?;
    let id = engine.build(archive, &request.options, on).await?;
    for tag in request.options.tags.iter().skip(1) {
        engine.tag(&id, tag).await?;
    }
    let info = engine.inspect(&id).await?;
    let tags: Vec<String> = request
        .options
        .tags
        .iter()
        .map(ToString::to_string)
        .collect();
    if !request.push {
        return Ok(Outcome {
            image: first.to_string(),
            tags,
            digest: None,
            id: info.id,
            size: info.size,
        });
    }
    let mut digest: Option<String> = None;
    for tag in &request.options.tags {
        let stored = push_one(engine, registry, tag, on).await?;
        digest.get_or_insert(stored);
    }
    let digest = digest.expect("at least one tag was pushed");
    Ok(Outcome {
        image: format!("{}@{digest}", first.name()),
        tags,
        digest: Some(digest),
        id: info.id,
        size: info.size,
    })
}

/// Pushes one tag and returns the digest the registry stores for it.
async fn push_one(
    engine: &Engine,
    registry: &RegistryClient,
    tag: &Reference,
    on: &mut (dyn FnMut(Event) + Send),
) -> Result<String, BuildError> {
    let image = ImageRef::from(tag);
    let credentials = registry.credentials_for(&image.registry)?;
    on(Event::Pushing {
        tag: tag.to_string(),
    });
    let pushed = engine.push(tag, &credentials, on).await?;
    let stored = registry.head_digest(&image).await?;
    if let Some(pushed) = pushed
        && pushed != stored
    {
        return Err(BuildError::DigestMismatch {
            tag: tag.to_string(),
            pushed,
            stored,
        });
    }
    on(Event::Pushed {
        tag: tag.to_string(),
        digest: stored.clone(),
    });
    Ok(stored)
}
