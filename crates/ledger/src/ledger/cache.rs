//! The ledger's persistent cache, inside the repository's Git directory
//! (`GIT_COMMON_DIR/ferry/ledger-cache/`, never the working tree).
//!
//! Two kinds of file, each written atomically (a temporary file in the same directory, then a
//! rename): `chain.bin`, the first-parent chain of the last base read (commit ids, newest
//! first), and one `env-HASH.bin` per overlay and resolve options, the walk of that
//! environment up to a commit ([`State`]). Everything in them is keyed by Git object ids: a
//! commit id names its whole history, so the chain from it and the walk up to it can never
//! change; a base that moved on is walked from the cached commit, and a cache that names
//! another history is ignored. Each file starts with a line `ferry-ledger-cache FORMAT KIND
//! SHA256` (the digest of the rest), then a binary body ([`codec`]: integers, raw ids and
//! interned strings, so a warm run decodes a long history in a few milliseconds) that begins
//! with its key (Ferry's version, the overlay, the options, the shallow boundary); a file that
//! is missing, unreadable, truncated, garbled, of another format or another key is ignored
//! (said at debug level) and the ledger computed without it. A cache that cannot be written is
//! said at debug level too: it never changes an answer.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferry_git::{Entry, EntryType, Repo};
use gix::ObjectId;
use sha2::{Digest, Sha256};

use super::state::{DepKey, Meta, Rendering, Saved, State};
use codec::{Reader, Writer};

mod codec;

/// The format of the cache files; a change in what they hold or in how resolution answers
/// bumps it (older files are then ignored).
pub(super) const FORMAT: u32 = 5;

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
        let bytes = self.read("chain.bin", "chain")?;
        let mut r = Reader::new(&bytes);
        if r.str()? != self.salt {
            return refused("chain.bin", KEY);
        }
        let ids = decode_chain(&mut r);
        if ids.is_none() {
            tracing::debug!("ledger cache: chain.bin holds a bad commit id; not used");
        }
        ids
    }

    /// Keeps `ids` (the first-parent chain from its first id) as the cached chain.
    pub(super) fn set_chain(&self, ids: &[ObjectId]) {
        let mut w = Writer::default();
        w.str(&self.salt);
        w.usize(ids.len());
        for id in ids {
            w.id(id);
        }
        self.write("chain.bin", "chain", &w.finish());
    }

    /// The cached walk of the environment at `overlay` resolved with `options`, if any.
    pub(super) fn state(
        &self,
        overlay: &str,
        options: &ferry_kustomize::ResolveOptions,
    ) -> Option<State> {
        let (name, key) = self.env_file(overlay, options);
        let bytes = self.read(&name, "environment")?;
        let mut r = Reader::new(&bytes);
        if r.str()? != key {
            return refused(&name, KEY);
        }
        let state = decode_state(&mut r).filter(|_| r.at_end());
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
        let mut w = Writer::default();
        w.str(&key);
        encode_state(&mut w, state);
        self.write(&name, "environment", &w.finish());
    }

    /// The file and key of an environment's walk.
    fn env_file(
        &self,
        overlay: &str,
        options: &ferry_kustomize::ResolveOptions,
    ) -> (String, String) {
        let key = format!("{} overlay {overlay:?} options {options:?}", self.salt);
        let name = format!("env-{}.bin", &hex(&Sha256::digest(key.as_bytes()))[..20]);
        (name, key)
    }

    /// The body of cache file `name` when it is whole and of this format and kind (its key is
    /// for the caller to check).
    fn read(&self, name: &str, kind: &str) -> Option<Vec<u8>> {
        let path = self.dir.join(name);
        let mut bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "ledger cache: cannot read; computing without it");
                return None;
            }
        };
        let Some(newline) = bytes.iter().position(|b| *b == b'\n') else {
            return refused(name, "no header line");
        };
        let header = String::from_utf8_lossy(&bytes[..newline]);
        let fields: Vec<&str> = header.split(' ').collect();
        if fields.len() != 4 || fields[0] != MAGIC {
            return refused(name, "not a ledger cache file");
        }
        if fields[1] != FORMAT.to_string() {
            return refused(name, "another format");
        }
        if fields[2] != kind {
            return refused(name, "another kind of record");
        }
        if fields[3] != hex(&Sha256::digest(&bytes[newline + 1..])) {
            return refused(name, "its digest does not match (truncated or altered)");
        }
        drop(header);
        bytes.drain(..=newline);
        Some(bytes)
    }

    /// Writes cache file `name` atomically; a failure is said at debug level and ignored.
    fn write(&self, name: &str, kind: &str, body: &[u8]) {
        let mut file =
            format!("{MAGIC} {FORMAT} {kind} {}\n", hex(&Sha256::digest(body))).into_bytes();
        file.extend_from_slice(body);
        let written = std::fs::create_dir_all(&self.dir)
            .and_then(|()| ferry_fs::write_atomic(&self.dir.join(name), &file));
        if let Err(e) = written {
            tracing::debug!(dir = %self.dir.display(), name, error = %e, "ledger cache: cannot write; the answer is unchanged");
        }
    }
}

/// Why a file whose key is not the one asked for is not used.
const KEY: &str = "another key (Ferry version, overlay, options or shallow boundary)";

/// Says at debug level why cache file `name` is not used.
fn refused<T>(name: &str, why: &str) -> Option<T> {
    tracing::debug!(name, why, "ledger cache: not used; computing without it");
    None
}

/// The ids of `chain.bin` after its key.
fn decode_chain(r: &mut Reader<'_>) -> Option<Vec<ObjectId>> {
    let n = r.count()?;
    let ids = (0..n).map(|_| r.id()).collect::<Option<Vec<_>>>()?;
    r.at_end().then_some(ids)
}

/// An environment's walk: its tip and tree, its dependency key (path → entry; absent before
/// the overlay depended on anything), its saved deployments oldest first, and a window's
/// baseline (what rendered before the oldest of them and the images carried then).
fn encode_state(w: &mut Writer, state: &State) {
    w.id(&state.tip);
    w.id(&state.tree);
    w.bool(state.key.is_some());
    if let Some(key) = &state.key {
        w.usize(key.len());
        for (path, entry) in key {
            w.str(path);
            w.bool(entry.is_some());
            if let Some(entry) = entry {
                w.id(&entry.id);
                w.str(kind_name(entry.kind));
            }
        }
    }
    w.usize(state.saved.len());
    for s in &state.saved {
        w.usize(s.position);
        w.id(&s.meta.id);
        w.i64(s.meta.seconds);
        w.str(&s.meta.time);
        w.str(&s.meta.author);
        w.str(&s.meta.summary);
        w.opt_str(s.meta.rollback_of.as_deref());
        encode_rendering(w, &s.rendering);
    }
    w.bool(state.baseline.is_some());
    if let Some((rendering, carried)) = &state.baseline {
        encode_rendering(w, rendering);
        encode_map(w, carried);
    }
}

fn decode_state(r: &mut Reader<'_>) -> Option<State> {
    let tip = r.id()?;
    let tree = r.id()?;
    let key = if r.bool()? {
        let mut key = DepKey::new();
        for _ in 0..r.count()? {
            let path = r.string()?;
            let entry = if r.bool()? {
                Some(Entry {
                    id: r.id()?,
                    kind: kind_of(r.str()?)?,
                })
            } else {
                None
            };
            key.insert(path, entry);
        }
        Some(key)
    } else {
        None
    };
    let n = r.count()?;
    let mut saved = Vec::with_capacity(n);
    for _ in 0..n {
        let position = r.usize()?;
        // Oldest first: positions strictly decrease.
        if saved.last().is_some_and(|l: &Saved| position >= l.position) {
            return None;
        }
        saved.push(Saved {
            position,
            meta: Meta {
                id: r.id()?,
                seconds: r.i64()?,
                time: r.string()?,
                author: r.string()?,
                summary: r.string()?,
                rollback_of: r.opt_string()?,
            },
            rendering: decode_rendering(r)?,
        });
    }
    let baseline = if r.bool()? {
        Some((decode_rendering(r)?, decode_map(r)?))
    } else {
        None
    };
    Some(State {
        tip,
        tree,
        key,
        saved,
        baseline,
    })
}

/// A rendering: its resources digest, then `true` and its images or `false` and its error.
fn encode_rendering(w: &mut Writer, rendering: &Rendering) {
    w.bytes(&rendering.resources);
    w.bool(rendering.images.is_ok());
    match &rendering.images {
        Ok(images) => encode_map(w, images),
        Err(error) => w.str(error),
    }
}

fn decode_rendering(r: &mut Reader<'_>) -> Option<Rendering> {
    let resources = r.digest()?;
    let images = if r.bool()? {
        Ok(decode_map(r)?)
    } else {
        Err(r.string()?)
    };
    Some(Rendering { images, resources })
}

fn encode_map(w: &mut Writer, map: &BTreeMap<String, String>) {
    w.usize(map.len());
    for (k, v) in map {
        w.str(k);
        w.str(v);
    }
}

fn decode_map(r: &mut Reader<'_>) -> Option<BTreeMap<String, String>> {
    let n = r.count()?;
    (0..n).map(|_| Some((r.string()?, r.string()?))).collect()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
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
    use std::path::Path;

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
        let mut w = Writer::default();
        encode_state(&mut w, &state);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(decode_state(&mut r), Some(state));
        assert!(r.at_end());
        // Shorter bodies never decode to a walk, whatever their digest says.
        for n in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..n]);
            assert!(
                decode_state(&mut r).is_none_or(|_| !r.at_end()),
                "{n} bytes"
            );
        }
    }

    /// A cache in a temporary directory.
    fn cache(dir: &tempfile::TempDir, salt: &str) -> Cache {
        Cache {
            dir: dir.path().join("c"),
            salt: salt.into(),
        }
    }

    /// Rewrites cache file `path` with `body` and its right digest.
    fn rewrite(path: &Path, kind: &str, body: &[u8]) {
        let mut file =
            format!("{MAGIC} {FORMAT} {kind} {}\n", hex(&Sha256::digest(body))).into_bytes();
        file.extend_from_slice(body);
        std::fs::write(path, file).expect("rewrite the file");
    }

    #[test]
    fn a_chain_reads_back_as_written() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let cache = cache(&dir, "salt");
        assert_eq!(cache.chain(), None);
        let ids: Vec<ObjectId> = (0..300u16)
            .map(|n| ObjectId::from_bytes_or_panic(&[(n % 251) as u8; 20]))
            .collect();
        cache.set_chain(&ids);
        assert_eq!(cache.chain(), Some(ids.clone()));
        assert_eq!(self::cache(&dir, "other").chain(), None, "another key");
        // A body that is whole by its digest but ends early or goes on is refused.
        let path = cache.dir.join("chain.bin");
        let whole = std::fs::read(&path).expect("the file");
        let body = &whole[whole.iter().position(|b| *b == b'\n').expect("a header") + 1..];
        rewrite(&path, "chain", &body[..body.len() - 1]);
        assert_eq!(cache.chain(), None);
        rewrite(&path, "chain", &[body, &[0]].concat());
        assert_eq!(cache.chain(), None);
        rewrite(&path, "chain", body);
        assert_eq!(cache.chain(), Some(ids));
    }

    #[test]
    fn a_file_is_refused_unless_whole_of_this_format_and_key() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let cache = cache(&dir, "salt");
        let options = ferry_kustomize::ResolveOptions::default();
        cache.set_state("overlays/dev", &options, &sample());
        assert_eq!(cache.state("overlays/dev", &options), Some(sample()));
        assert_eq!(cache.state("overlays/prod", &options), None);
        let (file, _) = cache.env_file("overlays/dev", &options);
        let path = cache.dir.join(file);
        let whole = std::fs::read(&path).expect("the file");
        let newline = whole.iter().position(|b| *b == b'\n').expect("a header");
        let (header, body) = (&whole[..newline], &whole[newline..]);
        let second = body
            .windows(6)
            .position(|w| w == b"second")
            .expect("the summary");
        let mut altered = whole.clone();
        altered[newline + second + 2] = b'e';
        for spoiled in [
            whole[..whole.len() / 2].to_vec(),
            b"garbage".to_vec(),
            [
                String::from_utf8_lossy(header)
                    .replacen(&format!("{MAGIC} {FORMAT} "), &format!("{MAGIC} 999 "), 1)
                    .as_bytes(),
                body,
            ]
            .concat(),
            altered,
        ] {
            std::fs::write(&path, spoiled).expect("spoil the file");
            assert_eq!(cache.state("overlays/dev", &options), None);
        }
        // Another salt (Ferry version, shallow boundary) is another key.
        cache.set_state("overlays/dev", &options, &sample());
        assert_eq!(
            self::cache(&dir, "other").state("overlays/dev", &options),
            None
        );
    }
}
