//! The ledger's persistent cache, inside the repository's Git directory
//! (`GIT_COMMON_DIR/ferry/ledger-cache/`, never the working tree).
//!
//! Two kinds of file, each written atomically (a temporary file in the same directory, then a
//! rename): `chain.json`, the first-parent chain of the last base read (commit ids, newest
//! first), and one `env-HASH.json` per overlay and resolve options, the walk of that
//! environment up to a commit ([`State`]). Everything in them is keyed by Git object ids: a
//! commit id names its whole history, so the chain from it and the walk up to it can never
//! change; a base that moved on is walked from the cached commit, and a cache that names
//! another history is ignored. Each file starts with a line `ferry-ledger-cache FORMAT KIND
//! SHA256` (the digest of the rest) and names its key (Ferry's version, the overlay, the
//! options, the shallow boundary); a file that is missing, unreadable, truncated, garbled, of
//! another format or another key is ignored (said at debug level) and the ledger computed
//! without it. A cache that cannot be written is said at debug level too: it never changes an
//! answer.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ferry_git::{Entry, EntryType, Repo};
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::state::{DepKey, Meta, Rendering, Saved, State};

/// The format of the cache files; a change in what they hold or in how resolution answers
/// bumps it (older files are then ignored).
pub(super) const FORMAT: u32 = 4;

const MAGIC: &str = "ferry-ledger-cache";

/// The cache of one repository.
#[derive(Debug)]
pub(super) struct Cache {
    dir: PathBuf,
    /// What every key holds besides its own fields: Ferry's version and the shallow boundary.
    salt: String,
}

impl Cache {
    /// The cache of `repo` (nothing is read or created yet).
    pub(super) fn of(repo: &Repo) -> Cache {
        let git = repo.gix();
        let dir = git.common_dir().join("ferry").join("ledger-cache");
        // A shallow clone's history ends at its boundary; deepening it changes the chain of the
        // same commit, so the boundary is part of every key.
        let shallow = std::fs::read(git.common_dir().join("shallow")).unwrap_or_default();
        let salt = format!(
            "ferry-ledger {} format {FORMAT} shallow {}",
            env!("CARGO_PKG_VERSION"),
            hex(&Sha256::digest(&shallow))
        );
        Cache { dir, salt }
    }

    /// The cached first-parent chain (newest first), if there is a valid one.
    pub(super) fn chain(&self) -> Option<Vec<ObjectId>> {
        let file: ChainFile = self.read("chain.json", "chain", &self.salt)?;
        // The ids as one string of 40-digit hex ids, newest first.
        let hex = file.ids.as_bytes();
        let parsed: Option<Vec<ObjectId>> = hex
            .len()
            .is_multiple_of(40)
            .then(|| {
                hex.chunks(40)
                    .map(|id| ObjectId::from_hex(id).ok())
                    .collect()
            })
            .flatten();
        parsed.or_else(|| {
            tracing::debug!("ledger cache: chain.json holds a bad commit id; not used");
            None
        })
    }

    /// Keeps `ids` (the first-parent chain from its first id) as the cached chain.
    pub(super) fn set_chain(&self, ids: &[ObjectId]) {
        let mut hex = String::with_capacity(ids.len() * 40);
        for id in ids {
            hex.push_str(&id.to_string());
        }
        let file = ChainFile {
            key: self.salt.clone(),
            ids: hex,
        };
        self.write("chain.json", "chain", &file);
    }

    /// The cached walk of the environment at `overlay` resolved with `options`, if any.
    pub(super) fn state(
        &self,
        overlay: &str,
        options: &ferry_kustomize::ResolveOptions,
    ) -> Option<State> {
        let (name, key) = self.env_file(overlay, options);
        let file: StateFile = self.read(&name, "environment", &key)?;
        let state = file.into_state();
        if state.is_none() {
            tracing::debug!(
                name,
                "ledger cache: a malformed environment record; not used"
            );
        }
        state
    }

    /// Keeps `state` as the walk of the environment at `overlay` with `options`.
    pub(super) fn set_state(
        &self,
        overlay: &str,
        options: &ferry_kustomize::ResolveOptions,
        state: &State,
    ) {
        let (name, key) = self.env_file(overlay, options);
        self.write(&name, "environment", &StateFile::of(key, state));
    }

    /// The file and key of an environment's walk.
    fn env_file(
        &self,
        overlay: &str,
        options: &ferry_kustomize::ResolveOptions,
    ) -> (String, String) {
        let key = format!("{} overlay {overlay:?} options {options:?}", self.salt);
        let name = format!("env-{}.json", &hex(&Sha256::digest(key.as_bytes()))[..20]);
        (name, key)
    }

    /// The record in cache file `name` when it is whole, of this format and kind, and for `key`.
    fn read<T: Keyed + for<'de> Deserialize<'de>>(
        &self,
        name: &str,
        kind: &str,
        key: &str,
    ) -> Option<T> {
        let path = self.dir.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "ledger cache: cannot read; computing without it");
                return None;
            }
        };
        let refuse = |why: &str| {
            tracing::debug!(path = %path.display(), why, "ledger cache: not used; computing without it");
            None
        };
        let Some(newline) = bytes.iter().position(|b| *b == b'\n') else {
            return refuse("no header line");
        };
        let (header, body) = (&bytes[..newline], &bytes[newline + 1..]);
        let header = String::from_utf8_lossy(header);
        let fields: Vec<&str> = header.split(' ').collect();
        if fields.len() != 4 || fields[0] != MAGIC {
            return refuse("not a ledger cache file");
        }
        if fields[1] != FORMAT.to_string() {
            return refuse("another format");
        }
        if fields[2] != kind {
            return refuse("another kind of record");
        }
        if fields[3] != hex(&Sha256::digest(body)) {
            return refuse("its digest does not match (truncated or altered)");
        }
        let Ok(record) = serde_json::from_slice::<T>(body) else {
            return refuse("not a record of its kind");
        };
        if record.key() != key {
            return refuse("another key (Ferry version, overlay, options or shallow boundary)");
        }
        Some(record)
    }

    /// Writes cache file `name` atomically; a failure is said at debug level and ignored.
    fn write(&self, name: &str, kind: &str, record: &impl Serialize) {
        let Ok(text) = serde_json::to_string(record) else {
            return;
        };
        let header = format!(
            "{MAGIC} {FORMAT} {kind} {}\n",
            hex(&Sha256::digest(text.as_bytes()))
        );
        if let Err(e) = write_atomically(&self.dir, name, &[header.as_bytes(), text.as_bytes()]) {
            tracing::debug!(dir = %self.dir.display(), name, error = %e, "ledger cache: cannot write; the answer is unchanged");
        }
    }
}

/// A record that names its key.
trait Keyed {
    fn key(&self) -> &str;
}

/// `chain.json`.
#[derive(Serialize, Deserialize)]
struct ChainFile {
    key: String,
    /// 40-digit hex ids, newest first, concatenated.
    ids: String,
}

impl Keyed for ChainFile {
    fn key(&self) -> &str {
        &self.key
    }
}

/// `env-HASH.json`: a [`State`].
#[derive(Serialize, Deserialize)]
struct StateFile {
    key: String,
    tip: String,
    tree: String,
    /// Path → `[id, kind]` or `null`; `null` before the overlay depended on anything.
    dependencies: Option<BTreeMap<String, Option<(String, String)>>>,
    /// Oldest first.
    deployments: Vec<SavedFile>,
    /// A window's walk (stopped before the root commit): what rendered before the oldest of
    /// `deployments`, and the images carried then; absent for the whole history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineFile>,
}

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    resources: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    images: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    carried: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct SavedFile {
    position: usize,
    commit: String,
    seconds: i64,
    time: String,
    author: String,
    summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rollback_of: Option<String>,
    resources: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    images: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Keyed for StateFile {
    fn key(&self) -> &str {
        &self.key
    }
}

impl StateFile {
    fn of(key: String, state: &State) -> StateFile {
        StateFile {
            key,
            tip: state.tip.to_string(),
            tree: state.tree.to_string(),
            dependencies: state.key.as_ref().map(|key| {
                key.iter()
                    .map(|(path, entry)| {
                        let entry = entry.map(|e| (e.id.to_string(), kind_name(e.kind).to_owned()));
                        (path.clone(), entry)
                    })
                    .collect()
            }),
            baseline: state
                .baseline
                .as_ref()
                .map(|(rendering, carried)| BaselineFile {
                    resources: hex(&rendering.resources),
                    images: rendering.images.as_ref().ok().cloned(),
                    error: rendering.images.as_ref().err().cloned(),
                    carried: carried.clone(),
                }),
            deployments: state
                .saved
                .iter()
                .map(|s| SavedFile {
                    position: s.position,
                    commit: s.meta.id.to_string(),
                    seconds: s.meta.seconds,
                    time: s.meta.time.clone(),
                    author: s.meta.author.clone(),
                    summary: s.meta.summary.clone(),
                    rollback_of: s.meta.rollback_of.clone(),
                    resources: hex(&s.rendering.resources),
                    images: s.rendering.images.as_ref().ok().cloned(),
                    error: s.rendering.images.as_ref().err().cloned(),
                })
                .collect(),
        }
    }

    fn into_state(self) -> Option<State> {
        let key = match self.dependencies {
            None => None,
            Some(map) => {
                let mut key = DepKey::new();
                for (path, entry) in map {
                    let entry = match entry {
                        None => None,
                        Some((id, kind)) => Some(Entry {
                            id: oid(&id)?,
                            kind: kind_of(&kind)?,
                        }),
                    };
                    key.insert(path, entry);
                }
                Some(key)
            }
        };
        let mut saved = Vec::with_capacity(self.deployments.len());
        let mut last: Option<usize> = None;
        for item in self.deployments {
            // Oldest first: positions strictly decrease.
            if last.is_some_and(|l| item.position >= l) {
                return None;
            }
            last = Some(item.position);
            let images = match (item.images, item.error) {
                (Some(images), None) => Ok(images),
                (None, Some(error)) => Err(error),
                _ => return None,
            };
            saved.push(Saved {
                position: item.position,
                meta: Meta {
                    id: oid(&item.commit)?,
                    seconds: item.seconds,
                    time: item.time,
                    author: item.author,
                    summary: item.summary,
                    rollback_of: item.rollback_of,
                },
                rendering: Rendering {
                    images,
                    resources: digest(&item.resources)?,
                },
            });
        }
        let baseline = match self.baseline {
            None => None,
            Some(b) => Some((
                Rendering {
                    images: match (b.images, b.error) {
                        (Some(images), None) => Ok(images),
                        (None, Some(error)) => Err(error),
                        _ => return None,
                    },
                    resources: digest(&b.resources)?,
                },
                b.carried,
            )),
        };
        Some(State {
            tip: oid(&self.tip)?,
            tree: oid(&self.tree)?,
            key,
            saved,
            baseline,
        })
    }
}

/// Writes `parts` to `dir/name` through a temporary file in `dir` and a rename.
fn write_atomically(dir: &Path, name: &str, parts: &[&[u8]]) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    std::fs::create_dir_all(dir)?;
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = dir.join(format!("{name}.{}-{n}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        for part in parts {
            file.write_all(part)?;
        }
        file.sync_all()?;
        std::fs::rename(&temporary, dir.join(name))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn oid(text: &str) -> Option<ObjectId> {
    ObjectId::from_hex(text.as_bytes()).ok()
}

fn digest(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn kind_name(kind: EntryType) -> &'static str {
    match kind {
        EntryType::Tree => "tree",
        EntryType::Blob => "blob",
        EntryType::Executable => "exe",
        EntryType::Link => "link",
        EntryType::Submodule => "commit",
    }
}

fn kind_of(name: &str) -> Option<EntryType> {
    Some(match name {
        "tree" => EntryType::Tree,
        "blob" => EntryType::Blob,
        "exe" => EntryType::Executable,
        "link" => EntryType::Link,
        "commit" => EntryType::Submodule,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        let id = |n: u8| ObjectId::from_bytes_or_panic(&[n; 20]);
        let mut key = DepKey::new();
        key.insert(
            "overlays/dev".into(),
            Some(Entry {
                id: id(1),
                kind: EntryType::Tree,
            }),
        );
        key.insert("overlays/dev/missing.yaml".into(), None);
        State {
            tip: id(2),
            tree: id(3),
            key: Some(key),
            saved: vec![
                Saved {
                    position: 4,
                    meta: Meta {
                        id: id(4),
                        seconds: 10,
                        time: "1970-01-01T00:00:10Z".into(),
                        author: "A <a@example.com>".into(),
                        summary: "first".into(),
                        rollback_of: None,
                    },
                    rendering: Rendering {
                        images: Err("bad".into()),
                        resources: [0; 32],
                    },
                },
                Saved {
                    position: 0,
                    meta: Meta {
                        id: id(5),
                        seconds: 20,
                        time: "1970-01-01T00:00:20Z".into(),
                        author: "B <b@example.com>".into(),
                        summary: "second".into(),
                        rollback_of: Some(id(4).to_string()),
                    },
                    rendering: Rendering {
                        images: Ok([("web/app".to_string(), "app:1".to_string())].into()),
                        resources: [7; 32],
                    },
                },
            ],
            baseline: Some((
                Rendering {
                    images: Ok([("web/app".to_string(), "app:0".to_string())].into()),
                    resources: [3; 32],
                },
                [("web/app".to_string(), "app:0".to_string())].into(),
            )),
        }
    }

    #[test]
    fn a_state_reads_back_as_written() {
        let state = sample();
        let file = StateFile::of("k".into(), &state);
        let text = serde_json::to_string(&file).expect("JSON");
        let back: StateFile = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back.into_state(), Some(state));
    }

    #[test]
    fn a_file_is_refused_unless_whole_of_this_format_and_key() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let cache = Cache {
            dir: dir.path().join("c"),
            salt: "salt".into(),
        };
        let options = ferry_kustomize::ResolveOptions::default();
        cache.set_state("overlays/dev", &options, &sample());
        assert_eq!(cache.state("overlays/dev", &options), Some(sample()));
        assert_eq!(cache.state("overlays/prod", &options), None);
        let (file, _) = cache.env_file("overlays/dev", &options);
        let path = cache.dir.join(file);
        let whole = std::fs::read(&path).expect("the file");
        for spoiled in [
            whole[..whole.len() / 2].to_vec(),
            b"garbage".to_vec(),
            String::from_utf8_lossy(&whole)
                .replacen(&format!("{MAGIC} {FORMAT} "), &format!("{MAGIC} 999 "), 1)
                .into_bytes(),
            String::from_utf8_lossy(&whole)
                .replacen("second", "secend", 1)
                .into_bytes(),
        ] {
            std::fs::write(&path, spoiled).expect("spoil the file");
            assert_eq!(cache.state("overlays/dev", &options), None);
        }
        // Another salt (Ferry version, shallow boundary) is another key.
        cache.set_state("overlays/dev", &options, &sample());
        let other = Cache {
            dir: cache.dir.clone(),
            salt: "other".into(),
        };
        assert_eq!(other.state("overlays/dev", &options), None);
    }
}
