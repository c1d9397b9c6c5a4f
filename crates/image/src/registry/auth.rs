//! Registry credentials: explicit values, docker's `config.json` and credential helpers.
//!
//! Nothing here reads environment variables: callers pass the `config.json` path (and, for
//! tests, directories holding `docker-credential-*` programs). Secrets live in [`Secret`], whose
//! `Debug` output is redacted, so no credential reaches a log line or an error message.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

/// A password or token. `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; only for handing it to the registry.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Credentials for one registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// No credentials.
    #[default]
    Anonymous,
    /// A username and password (HTTP basic, or exchanged for a bearer token).
    Basic {
        /// The username (not secret).
        username: String,
        /// The password.
        password: Secret,
    },
    /// A registry bearer token, sent as is.
    Token(Secret),
}

impl Credentials {
    /// Username and password credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Basic {
            username: username.into(),
            password: Secret::new(password),
        }
    }

    /// Bearer token credentials.
    pub fn token(token: impl Into<String>) -> Self {
        Self::Token(Secret::new(token))
    }

    /// Whether any credentials are present.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    /// Adds the secrets to the process-wide registry of [`ferry_redact`], so no message shows
    /// them (nor their base64 `user:password` form).
    pub(crate) fn register_secrets(&self) {
        match self {
            Self::Anonymous => {}
            Self::Basic { username, password } => {
                ferry_redact::register_basic(username, password.expose());
            }
            Self::Token(token) => ferry_redact::register(token.expose()),
        }
    }

    pub(crate) fn to_oci(&self) -> RegistryAuth {
        match self {
            Self::Anonymous => RegistryAuth::Anonymous,
            Self::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.expose().to_owned())
            }
            Self::Token(token) => RegistryAuth::Bearer(token.expose().to_owned()),
        }
    }
}

/// Why credentials could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The docker config file exists but cannot be read.
    #[error("{path}: cannot read docker config: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The docker config file is not valid JSON of the expected shape.
    #[error("{path}: invalid docker config: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        message: String,
    },
    /// An `auths` entry cannot be used.
    #[error("{path}: auths.\"{key}\": {message}")]
    InvalidEntry {
        /// The file.
        path: PathBuf,
        /// The `auths` key.
        key: String,
        /// What is wrong (never the secret).
        message: String,
    },
    /// A `docker-credential-*` helper failed.
    #[error("credential helper docker-credential-{helper} for {registry}: {message}")]
    Helper {
        /// The helper name (after `docker-credential-`).
        helper: String,
        /// The registry asked for.
        registry: String,
        /// What went wrong (never the secret).
        message: String,
    },
}

/// Credentials that cannot be read (exit 3).
impl ferry_error::Classify for CredentialError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Credentials
    }
}

/// One `auths` entry of `config.json`; `Debug` hides every secret.
#[derive(Clone, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthEntry")
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field(
                "identitytoken",
                &self.identitytoken.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "registrytoken",
                &self.registrytoken.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
}

/// Docker's client configuration (`$DOCKER_CONFIG/config.json`, `~/.docker/config.json`).
///
/// Lookup order for a registry: `credHelpers[registry]`, then `credsStore`, then `auths`.
/// A helper that knows no credentials for the registry falls through to `auths`.
#[derive(Debug, Default, Clone)]
pub struct DockerConfig {
    path: PathBuf,
    auths: BTreeMap<String, AuthEntry>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
    helper_dirs: Vec<PathBuf>,
}

impl DockerConfig {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Self, CredentialError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_json(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                path: path.to_owned(),
                ..Self::default()
            }),
            Err(source) => Err(CredentialError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses the text of a `config.json`; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Self, CredentialError> {
        let file: ConfigFile = serde_json::from_str(text).map_err(|e| CredentialError::Parse {
            path: origin.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self {
            path: origin.to_owned(),
            auths: file.auths,
            creds_store: file.creds_store.filter(|s| !s.is_empty()),
            cred_helpers: file.cred_helpers,
            helper_dirs: Vec::new(),
        })
    }

    /// A configuration that asks the credential helper `docker-credential-<helper>` about
    /// `registry` and knows nothing else.
    pub fn helper(registry: &str, helper: &str) -> Self {
        let mut cred_helpers = BTreeMap::new();
        cred_helpers.insert(normalize_registry(registry), helper.to_owned());
        Self {
            path: PathBuf::from(format!("credential helper {helper}")),
            cred_helpers,
            ..Self::default()
        }
    }

    /// Looks for `docker-credential-*` programs in these directories first (then on `PATH`).
    pub fn with_helper_dirs(mut self, dirs: Vec<PathBuf>) -> Self {
        self.helper_dirs = dirs;
        self
    }

    /// The credentials configured for `registry` (a host such as `ghcr.io` or `127.0.0.1:5000`).
    pub fn credentials_for(&self, registry: &str) -> Result<Credentials, CredentialError> {
        let wanted = normalize_registry(registry);
        let helper = self
            .cred_helpers
            .iter()
            .find(|(key, _)| normalize_registry(key) == wanted)
            .map(|(_, helper)| helper)
            .or(self.creds_store.as_ref());
        if let Some(helper) = helper
            && let Some(creds) = self.run_helper(helper, &wanted)?
        {
            return Ok(creds);
        }
        let entry = self
            .auths
            .iter()
            .find(|(key, _)| normalize_registry(key) == wanted);
        match entry {
            Some((key, entry)) => self.entry_credentials(key, entry),
            None => Ok(Credentials::Anonymous),
        }
    }

    fn entry_credentials(
        &self,
        key: &str,
        entry: &AuthEntry,
    ) -> Result<Credentials, CredentialError> {
        let invalid = |message: &str| CredentialError::InvalidEntry {
            path: self.path.clone(),
            key: key.to_owned(),
            message: message.to_owned(),
        };
        if let Some(token) = entry.registrytoken.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Credentials::token(token.clone()));
        }
        if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| invalid("`auth` is not valid base64"))?;
            let decoded =
                String::from_utf8(decoded).map_err(|_| invalid("`auth` is not UTF-8 text"))?;
            let (user, password) = decoded
                .split_once(':')
                .ok_or_else(|| invalid("`auth` does not decode to `username:password`"))?;
            return Ok(Credentials::basic(user, password));
        }
        if let (Some(user), Some(password)) = (&entry.username, &entry.password) {
            return Ok(Credentials::basic(user.clone(), password.clone()));
        }
        if entry.identitytoken.is_some() {
            return Err(invalid(
                "only an `identitytoken` (OAuth refresh token) is stored; Ferry does not support \
                 identity tokens, use a username/password or a registry token",
            ));
        }
        Ok(Credentials::Anonymous)
    }

    /// Runs `docker-credential-<helper> get`; `None` when the helper has nothing for `registry`.
    fn run_helper(
        &self,
        helper: &str,
        registry: &str,
    ) -> Result<Option<Credentials>, CredentialError> {
        let program = format!("docker-credential-{helper}");
        let program = self
            .helper_dirs
            .iter()
            .map(|d| d.join(&program))
            .find(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from(&program));
        let fail = |message: String| CredentialError::Helper {
            helper: helper.to_owned(),
            registry: registry.to_owned(),
            message,
        };
        // Docker asks helpers about Docker Hub under its historical URL.
        let server = if registry == "docker.io" {
            "https://index.docker.io/v1/"
        } else {
            registry
        };
        let mut child = Command::new(&program)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| fail(format!("cannot run {}: {e}", program.display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(server.as_bytes())
                .map_err(|e| fail(format!("cannot write to the helper: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| fail(format!("helper did not finish: {e}")))?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stdout).to_lowercase()
                + &String::from_utf8_lossy(&out.stderr).to_lowercase();
            if said.contains("credentials not found") {
                return Ok(None);
            }
            // Helper output is not echoed: it could contain a secret.
            return Err(fail(format!("exited with {}", out.status)));
        }
        #[derive(Deserialize)]
        struct HelperReply {
            #[serde(rename = "Username", default)]
            username: String,
            #[serde(rename = "Secret", default)]
            secret: String,
        }
        let reply: HelperReply = serde_json::from_slice(&out.stdout).map_err(|e| {
            fail(format!(
                "invalid JSON reply (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if reply.secret.is_empty() {
            return Ok(None);
        }
        if reply.username == "<token>" {
            return Err(fail(
                "the helper returned an identity token (OAuth refresh token), which Ferry does not \
                 support"
                    .to_owned(),
            ));
        }
        Ok(Some(Credentials::basic(reply.username, reply.secret)))
    }
}

/// Where credentials come from, in order: per-registry values, per-registry docker
/// configurations or helpers, one explicit value for every registry, the docker configuration,
/// else anonymous.
#[derive(Debug, Default, Clone)]
pub struct CredentialSource {
    per_registry: BTreeMap<String, Credentials>,
    per_registry_docker: BTreeMap<String, DockerConfig>,
    explicit: Option<Credentials>,
    docker: Option<DockerConfig>,
}

impl CredentialSource {
    /// No credentials at all.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Uses `credentials` for every registry (unless a per-registry value is set).
    pub fn with_explicit(mut self, credentials: Credentials) -> Self {
        self.explicit = Some(credentials);
        self
    }

    /// Uses `credentials` for `registry`.
    pub fn with_registry(mut self, registry: &str, credentials: Credentials) -> Self {
        self.per_registry
            .insert(normalize_registry(registry), credentials);
        self
    }

    /// Uses this docker configuration (or credential helper, see [`DockerConfig::helper`]) for
    /// `registry`, before any explicit value.
    pub fn with_registry_docker_config(mut self, registry: &str, config: DockerConfig) -> Self {
        self.per_registry_docker
            .insert(normalize_registry(registry), config);
        self
    }

    /// Falls back to a docker configuration.
    pub fn with_docker_config(mut self, config: DockerConfig) -> Self {
        self.docker = Some(config);
        self
    }

    /// The credentials for `registry`.
    pub fn resolve(&self, registry: &str) -> Result<Credentials, CredentialError> {
        if let Some(creds) = self.per_registry.get(&normalize_registry(registry)) {
            return Ok(creds.clone());
        }
        if let Some(config) = self.per_registry_docker.get(&normalize_registry(registry)) {
            return config.credentials_for(registry);
        }
        if let Some(creds) = &self.explicit {
            return Ok(creds.clone());
        }
        match &self.docker {
            Some(config) => config.credentials_for(registry),
            None => Ok(Credentials::Anonymous),
        }
    }
}

/// The registry host of a `config.json` key or a reference domain: scheme and path dropped,
/// lowercased, Docker Hub's aliases mapped to `docker.io`.
pub fn normalize_registry(key: &str) -> String {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> DockerConfig {
        DockerConfig::from_json(json, Path::new("config.json")).unwrap()
    }

    #[test]
    fn decodes_base64_auth_and_normalizes_keys() {
        let auth = base64::engine::general_purpose::STANDARD.encode("bob:s3cret:with-colon");
        let cfg = config(&format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{auth}"}},
                "127.0.0.1:5000": {{"username": "u", "password": "p"}}}}}}"#
        ));
        assert_eq!(
            cfg.credentials_for("docker.io").unwrap(),
            Credentials::basic("bob", "s3cret:with-colon")
        );
        assert_eq!(
            cfg.credentials_for("127.0.0.1:5000").unwrap(),
            Credentials::basic("u", "p")
        );
        assert_eq!(
            cfg.credentials_for("ghcr.io").unwrap(),
            Credentials::Anonymous
        );
    }

    #[test]
    fn registry_token_is_a_bearer_token() {
        let cfg = config(r#"{"auths": {"ghcr.io": {"registrytoken": "tok"}}}"#);
        assert_eq!(
            cfg.credentials_for("ghcr.io").unwrap(),
            Credentials::token("tok")
        );
    }

    #[test]
    fn bad_entries_name_the_key_without_the_secret() {
        let cfg = config(r#"{"auths": {"ghcr.io": {"auth": "!!not-base64-secretvalue"}}}"#);
        let err = cfg.credentials_for("ghcr.io").unwrap_err().to_string();
        assert!(err.contains("auths.\"ghcr.io\""), "{err}");
        assert!(!err.contains("secretvalue"), "{err}");
    }

    #[test]
    fn invalid_json_names_the_file() {
        let err = DockerConfig::from_json("{", Path::new("/x/config.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/x/config.json: invalid docker config")
        );
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let creds = Credentials::basic("alice", "hunter2");
        assert!(!format!("{creds:?}").contains("hunter2"));
        let cfg = config(
            r#"{"auths": {"x.io": {"auth": "YWxpY2U6aHVudGVyMg==", "password": "hunter2"}}}"#,
        );
        let debug = format!("{cfg:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("YWxpY2U6aHVudGVyMg"),
            "{debug}"
        );
        let source = CredentialSource::anonymous().with_explicit(Credentials::token("tok-xyz"));
        assert!(!format!("{source:?}").contains("tok-xyz"));
    }

    #[test]
    fn explicit_and_per_registry_values_win() {
        let cfg = config(r#"{"auths": {"a.io": {"username": "u", "password": "p"}}}"#);
        let source = CredentialSource::anonymous()
            .with_docker_config(cfg)
            .with_registry("https://b.io/v2/", Credentials::token("t"));
        assert_eq!(
            source.resolve("a.io").unwrap(),
            Credentials::basic("u", "p")
        );
        assert_eq!(source.resolve("b.io").unwrap(), Credentials::token("t"));
        let source = source.with_explicit(Credentials::basic("x", "y"));
        assert_eq!(
            source.resolve("a.io").unwrap(),
            Credentials::basic("x", "y")
        );
    }

    #[test]
    fn credential_helpers_are_asked_first() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("docker-credential-fake");
        std::fs::write(
            &script,
            "#!/bin/sh\nread server\nif [ \"$server\" = \"helped.io\" ]; then\n  \
             printf '{\"ServerURL\":\"%s\",\"Username\":\"hu\",\"Secret\":\"hs\"}' \"$server\"\n\
             else\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cfg = config(
            r#"{"credsStore": "fake", "auths": {"other.io": {"username": "o", "password": "p"}}}"#,
        )
        .with_helper_dirs(vec![dir.path().to_owned()]);
        assert_eq!(
            cfg.credentials_for("helped.io").unwrap(),
            Credentials::basic("hu", "hs")
        );
        // Not known to the helper: falls through to `auths`.
        assert_eq!(
            cfg.credentials_for("other.io").unwrap(),
            Credentials::basic("o", "p")
        );
        let cfg = config(r#"{"credHelpers": {"x.io": "missing-helper"}}"#);
        let err = cfg.credentials_for("x.io").unwrap_err().to_string();
        assert!(err.contains("docker-credential-missing-helper"), "{err}");
    }
}
