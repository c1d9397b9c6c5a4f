//! Errors of the registry client, and how errors from `oci-client` map onto them.

use oci_client::errors::{OciDistributionError, OciErrorCode};

use super::auth::CredentialError;

/// An error from a registry operation.
///
/// Messages name the image or registry and never contain a password or token.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The manifest, tag or repository does not exist.
    #[error("{reference}: not found in the registry")]
    NotFound {
        /// The image that was asked for.
        reference: String,
    },
    /// The image exists, but has no manifest for the requested platform.
    #[error("{reference}: no image for platform {platform} (the index lists: {available})")]
    PlatformNotFound {
        /// The image that was asked for.
        reference: String,
        /// The requested platform, `os/arch[/variant]`.
        platform: String,
        /// The platforms the image offers, comma-separated.
        available: String,
    },
    /// The registry refused the request for lack of (valid) credentials.
    #[error("{registry}: authentication failed: {detail}")]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// What went wrong, without secrets.
        detail: String,
    },
    /// The registry could not be reached or kept failing (429/5xx) through every retry.
    #[error("{registry}: registry unavailable after {attempts} attempt(s): {message}")]
    Unavailable {
        /// The registry host.
        registry: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last error.
        message: String,
    },
    /// The registry answered with something the client cannot use.
    #[error("{registry}: {message}")]
    Protocol {
        /// The registry host.
        registry: String,
        /// What was wrong.
        message: String,
    },
    /// A copied manifest did not keep its digest.
    #[error("{reference}: the registry stores digest {actual}, expected {expected}")]
    DigestMismatch {
        /// The destination image.
        reference: String,
        /// The source digest.
        expected: String,
        /// What the destination reports.
        actual: String,
    },
    /// HTTPS was tried against a registry that answers plain HTTP.
    #[error(
        "{registry}: the TLS handshake failed ({message}): the registry seems to speak plain HTTP; \
         pass --plain-http {registry}, or set `plain-http = true` under [registries.\"{registry}\"] in ferry.toml"
    )]
    PlainHttp {
        /// The registry host.
        registry: String,
        /// The TLS error.
        message: String,
    },
    /// The operation needs a tag or digest the reference does not have, or similar misuse.
    #[error("{0}")]
    InvalidRequest(String),
    /// Credentials could not be read.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

/// What does not exist is a negative answer (exit 1), a request that cannot be made a usage error
/// (exit 2); the registry, the network and credentials failing exit 3.
impl ferry_error::Classify for RegistryError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            RegistryError::NotFound { .. } | RegistryError::PlatformNotFound { .. } => {
                ErrorKind::NotFound
            }
            RegistryError::InvalidRequest(_) => ErrorKind::Usage,
            RegistryError::Unauthorized { .. } => ErrorKind::Authentication,
            RegistryError::Unavailable { .. } => ErrorKind::Unavailable,
            RegistryError::PlainHttp { .. } => ErrorKind::PlainHttp,
            RegistryError::Credentials(_) => ErrorKind::Credentials,
            _ => ErrorKind::Registry,
        }
    }
}

impl RegistryError {
    /// Whether the error means "this image (or platform) does not exist".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. } | Self::PlatformNotFound { .. })
    }
}

/// How an `oci-client` error is to be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    NotFound,
    Unauthorized,
    /// Worth retrying: connection errors, timeouts, 429 and 5xx.
    Transient,
    /// The host name does not resolve: not worth retrying.
    Unresolved,
    /// A TLS handshake answered in plain HTTP: not worth retrying.
    PlainHttp,
    Other,
}

/// Classifies an `oci-client` error.
pub(crate) fn classify(err: &OciDistributionError) -> Class {
    match err {
        OciDistributionError::RequestError(e) => {
            let text = describe(e);
            if text.contains("InvalidContentType") || text.contains("corrupt message") {
                return Class::PlainHttp;
            }
            if text.contains("dns error") || text.contains("failed to lookup address") {
                return Class::Unresolved;
            }
            if e.is_connect() || e.is_timeout() || e.is_request() || e.is_body() {
                return Class::Transient;
            }
            match e.status().map(|s| s.as_u16()) {
                Some(code) => class_of_status(code),
                None => Class::Transient,
            }
        }
        OciDistributionError::ServerError { code, .. } => class_of_status(*code),
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => Class::Unauthorized,
        OciDistributionError::ImageManifestNotFoundError(_) => Class::NotFound,
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::NotFound
                        | OciErrorCode::BlobUnknown
                )
            }) {
                Class::NotFound
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
            {
                Class::Unauthorized
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Toomanyrequests))
            {
                Class::Transient
            } else {
                Class::Other
            }
        }
        OciDistributionError::IoError(_) => Class::Transient,
        _ => Class::Other,
    }
}

fn class_of_status(code: u16) -> Class {
    match code {
        404 => Class::NotFound,
        401 | 403 => Class::Unauthorized,
        429 => Class::Transient,
        c if c >= 500 => Class::Transient,
        _ => Class::Other,
    }
}

/// The error's message followed by its sources, `: `-separated.
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
