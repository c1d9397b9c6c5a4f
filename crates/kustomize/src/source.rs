//! Where the resolver reads files from: the file system ([`FsSource`]) or any other tree of files
//! (a Git tree, an in-memory snapshot) through [`FileSource`], and a cache of parsed YAML shared
//! across resolutions ([`ParseCache`]).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::model::{self, Kustomization, YamlError};
use crate::skim::Skimmed;
use crate::transform::ImageMatcher;

/// What a path names once symbolic links are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A file.
    File,
    /// A directory.
    Dir,
}

/// Read-only access to a tree of files, as the overlay resolver needs it.
///
/// Paths are absolute; the resolver only asks about paths below the repository root it was
/// given, or about paths it then reports as outside it. Implementations must be [`Sync`]: the
/// resolver runs on a thread of its own (with a deep stack for the YAML parser).
pub trait FileSource: Sync {
    /// The bytes of the file at `path`, following symbolic links. Implementations refuse what is
    /// not a regular file and files larger than [`model::MAX_YAML_BYTES`] while reading, whatever
    /// the file's reported size ([`read_regular_file`] does both for a file system).
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// The size in bytes of the file at `path`, following symbolic links (checked before
    /// reading, to refuse oversized files).
    fn file_size(&self, path: &Path) -> io::Result<u64>;

    /// What `path` is after following symbolic links; `None` when it does not exist or a link
    /// on the way dangles.
    fn kind(&self, path: &Path) -> Option<FileKind>;

    /// Whether `path` itself exists, without following a final symbolic link (a dangling link
    /// exists).
    fn exists_no_follow(&self, path: &Path) -> bool;

    /// Whether `path` itself is a symbolic link.
    fn is_symlink(&self, path: &Path) -> bool;

    /// The canonical form of `path`: absolute, without `.` and `..`, every symbolic link
    /// resolved. Fails when a component inside the tree does not exist.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    /// The names in directory `path`, sorted.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;

    /// Whether `path` is a file (links followed).
    fn is_file(&self, path: &Path) -> bool {
        self.kind(path) == Some(FileKind::File)
    }

    /// Whether `path` is a directory (links followed).
    fn is_dir(&self, path: &Path) -> bool {
        self.kind(path) == Some(FileKind::Dir)
    }
}

/// The file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsSource;

/// Reads the regular file at `path` (symbolic links followed), at most `limit` bytes: a device,
/// FIFO or socket is refused before anything is read (it may never end or never answer), and a
/// file that turns out longer than `limit` while it is read is refused, whatever its size said.
///
/// # Errors
/// `InvalidInput` for what is not a regular file, `FileTooLarge` past `limit`, or the I/O error.
pub fn read_regular_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let (file, size) = open_regular(path)?;
    // Sized from the open file's metadata (one read for a file that does not grow); `take`
    // alone would start with small reads, as it cannot see the size.
    let mut bytes = Vec::with_capacity(
        usize::try_from(size.min(limit).saturating_add(1)).unwrap_or(usize::MAX),
    );
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("the file is larger than the {limit} byte limit"),
        ));
    }
    Ok(bytes)
}

/// Opens `path` for reading, refusing what is not a regular file; the file and its size. The
/// kind is checked before opening (opening a FIFO without a writer would wait forever) and
/// again on the open file.
fn open_regular(path: &Path) -> io::Result<(std::fs::File, u64)> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    Ok((file, meta.len()))
}

fn not_regular() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "not a regular file (a device, FIFO or socket); list only regular files",
    )
}

impl FileSource for FsSource {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_regular_file(path, model::MAX_YAML_BYTES as u64)
    }

    fn file_size(&self, path: &Path) -> io::Result<u64> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(not_regular());
        }
        Ok(meta.len())
    }

    fn kind(&self, path: &Path) -> Option<FileKind> {
        let meta = std::fs::metadata(path).ok()?;
        if meta.is_dir() {
            Some(FileKind::Dir)
        } else if meta.is_file() {
            Some(FileKind::File)
        } else {
            None
        }
    }

    fn exists_no_follow(&self, path: &Path) -> bool {
        path.symlink_metadata().is_ok()
    }

    fn is_symlink(&self, path: &Path) -> bool {
        path.is_symlink()
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        path.canonicalize()
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<Vec<_>>>()?;
        names.sort();
        Ok(names)
    }
}

type Cached<T> = Result<Arc<T>, YamlError>;

/// A compiled regular expression (or why it does not compile), shared.
pub(crate) type Compiled<T> = Arc<Result<T, regex::Error>>;

/// A kustomization file's text and what it parsed to.
type Parsed = (Arc<str>, Arc<Kustomization>);

/// Parsed YAML by file content, shared across resolutions: a file that appears unchanged in
/// many resolutions (the same base at many commits) is parsed once.
///
/// Entries are keyed by the full text, so the cache is correct for any source; it grows with
/// every distinct text and is meant to live as long as one batch of resolutions.
///
/// Kustomization files that differ from one parsed before only in the plain values of
/// `newTag:`, `newName:` or `digest:` lines of `images:` entries (an image bump) are not parsed
/// again: the earlier result is copied with those values replaced.
#[derive(Debug, Default)]
pub struct ParseCache {
    kustomizations: Mutex<HashMap<Box<str>, Cached<Kustomization>>>,
    /// Parsed kustomizations by [`image_value_skeleton`], with their text.
    skeletons: Mutex<HashMap<String, Parsed>>,
    documents: Mutex<HashMap<Box<str>, Cached<Vec<Value>>>>,
    /// Resource files read by the fast first pass (`None`: the pass declined the text).
    skimmed: Mutex<HashMap<Box<str>, Option<Arc<Skimmed>>>>,
    /// Compiled regexes are shared, never cloned: a clone of a `Regex` starts with an empty
    /// pool of search caches, which the next search builds again.
    regexes: Mutex<HashMap<Box<str>, Compiled<regex::Regex>>>,
    matchers: Mutex<HashMap<Box<str>, Compiled<ImageMatcher>>>,
}

impl ParseCache {
    /// A new, empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// `text` parsed as a kustomization file.
    pub fn kustomization(&self, text: &str) -> Cached<Kustomization> {
        cached(&self.kustomizations, text, |text| {
            let skeleton = image_value_skeleton(text);
            let similar = self
                .skeletons
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&skeleton)
                .cloned();
            if let Some((old_text, old)) = similar
                && let Some(k) = with_image_values(&old_text, &old, text)
            {
                return Ok(Arc::new(k));
            }
            let parsed = model::parse_kustomization(text).map(Arc::new);
            if let Ok(k) = &parsed {
                self.skeletons
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(skeleton, (text.into(), Arc::clone(k)));
            }
            parsed
        })
    }

    /// `text` parsed as resource documents (deep nesting allowed; call on the resolver thread).
    pub(crate) fn resource_documents(&self, text: &str) -> Cached<Vec<Value>> {
        cached(&self.documents, text, |t| {
            model::parse_resource_documents(t).map(Arc::new)
        })
    }

    /// `text` read by the fast first pass ([`crate::skim`]): documents with their heads, the rest
    /// decoded on demand; `None` when the pass declines the text (then
    /// [`Self::resource_documents`] parses it).
    pub(crate) fn skimmed(&self, text: &str) -> Option<Arc<Skimmed>> {
        if let Some(found) = self
            .skimmed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text)
        {
            return found.clone();
        }
        let skimmed = Skimmed::new(text).map(Arc::new);
        self.skimmed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(text.into(), skimmed.clone());
        skimmed
    }
}

impl ParseCache {
    /// `pattern` compiled as a regular expression matching whole strings (`^(?:pattern)$`).
    pub(crate) fn whole_match_regex(&self, pattern: &str) -> Compiled<regex::Regex> {
        let mut map = self.regexes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = map.get(pattern) {
            return Arc::clone(found);
        }
        let compiled = Arc::new(regex::Regex::new(&format!("^(?:{pattern})$")));
        map.insert(pattern.into(), Arc::clone(&compiled));
        compiled
    }

    /// The matcher of an `images:` entry name.
    pub(crate) fn image_matcher(&self, name: &str) -> Compiled<ImageMatcher> {
        let mut map = self.matchers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = map.get(name) {
            return Arc::clone(found);
        }
        let compiled = Arc::new(ImageMatcher::new(name));
        map.insert(name.into(), Arc::clone(&compiled));
        compiled
    }
}

/// Keys of `images:` entries whose values [`image_value_skeleton`] blanks.
pub const IMAGE_VALUE_KEYS: [&str; 3] = ["newTag", "newName", "digest"];

/// A line `<spaces>[- ]<key>: <value>[ #comment]` with `key` one of [`IMAGE_VALUE_KEYS`] and a
/// plain value that cannot change the structure of the document (letters, digits and
/// `._:@/+-`, starting with a letter or digit, not ending with `:`): the line's prefix up to the
/// value, the value and the rest (the comment).
fn image_value_line(line: &str) -> Option<(&str, &str, &str)> {
    let body = line.trim_start_matches(' ');
    let body = body.strip_prefix("- ").unwrap_or(body);
    let after_key = IMAGE_VALUE_KEYS
        .iter()
        .find_map(|k| body.strip_prefix(k)?.strip_prefix(": "))?;
    let start = line.len() - after_key.len();
    let end = after_key.find(" #").unwrap_or(after_key.len());
    let value = &after_key[..end];
    let safe = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && !value.ends_with(':')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@/+-".contains(&b));
    safe.then(|| (&line[..start], value, &after_key[end..]))
}

/// `text` with the values of image lines (see [`IMAGE_VALUE_KEYS`]) blanked: two texts with
/// the same skeleton differ at most in those values.
pub fn image_value_skeleton(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match image_value_line(line) {
            Some((prefix, _, rest)) => {
                out.push_str(prefix);
                out.push('\u{0}');
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// `old` (parsed from `old_text`) with the image values of `new_text`, when `new_text` has the
/// same skeleton and every changed line is a field of an `images:` entry; `None` otherwise (the
/// caller parses `new_text`).
pub(crate) fn with_image_values(
    old_text: &str,
    old: &Kustomization,
    new_text: &str,
) -> Option<Kustomization> {
    if new_text.len() > model::MAX_YAML_BYTES {
        return None;
    }
    let old_lines: Vec<&str> = old_text.split('\n').collect();
    let new_lines: Vec<&str> = new_text.split('\n').collect();
    if old_lines.len() != new_lines.len() {
        return None;
    }
    let mut k = old.clone();
    let images = k.images.as_mut()?;
    for (i, (o, n)) in old_lines.iter().zip(&new_lines).enumerate() {
        if o == n {
            continue;
        }
        let (prefix, old_value, _) = image_value_line(o)?;
        let (new_prefix, new_value, _) = image_value_line(n)?;
        if prefix != new_prefix {
            return None;
        }
        let line = i as u64 + 1;
        let key_column = prefix.len() as u64 - prefix.trim_start_matches(' ').len() as u64
            + if prefix.trim_start().starts_with("- ") {
                2
            } else {
                0
            }
            + 1;
        // The entry the line belongs to: the last one starting at or before it, whose keys sit
        // at the line's column, with nothing less indented in between.
        let entry = images
            .iter_mut()
            .filter(|e| e.referenced.line() <= line)
            .max_by_key(|e| e.referenced.line())?;
        let start = entry.referenced.line();
        if entry.referenced.column() != key_column {
            return None;
        }
        let inside = old_lines[start as usize..i].iter().all(|l| {
            let t = l.trim_start_matches(' ');
            t.is_empty() || t.starts_with('#') || (l.len() - t.len()) as u64 >= key_column - 1
        });
        if !inside {
            return None;
        }
        let key = prefix.trim_start().trim_start_matches("- ");
        let field = match key.trim_end_matches(": ") {
            "newTag" => &mut entry.value.new_tag,
            "newName" => &mut entry.value.new_name,
            "digest" => &mut entry.value.digest,
            _ => return None,
        };
        if field.as_deref() != Some(old_value) || !reads_as_string(new_value) {
            return None;
        }
        *field = Some(new_value.to_string());
    }
    Some(k)
}

/// Whether a kustomization reads plain `value` as that string (kustomization files refuse
/// plain values YAML would read as numbers, booleans or null).
fn reads_as_string(value: &str) -> bool {
    plainly_a_string(value) || parses_as_string(value)
}

/// Whether plain `value` reads as a string without asking the parser: letters, digits, `.`,
/// `-` and `_`, starting with a letter or digit, with at least two dots (a version such as
/// `2.9.997`). No YAML number, boolean, null or timestamp looks like that.
fn plainly_a_string(value: &str) -> bool {
    value
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphanumeric)
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && value.bytes().filter(|&b| b == b'.').count() >= 2
}

/// [`reads_as_string`] by parsing.
fn parses_as_string(value: &str) -> bool {
    model::parse_kustomization(&format!("images:\n  - name: x\n    newTag: {value}\n"))
        .ok()
        .and_then(|k| k.images?.pop())
        .is_some_and(|e| e.value.new_tag.as_deref() == Some(value))
}

fn cached<T>(
    map: &Mutex<HashMap<Box<str>, Cached<T>>>,
    text: &str,
    parse: impl FnOnce(&str) -> Cached<T>,
) -> Cached<T> {
    if let Some(found) = map.lock().unwrap_or_else(|e| e.into_inner()).get(text) {
        return found.clone();
    }
    let parsed = parse(text);
    map.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(text.into(), parsed.clone());
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "resources:\n  - ../../base\nimages:\n  - name: registry.example.com/acme/backend\n    newTag: 1.3.3 # bumped\n  - name: postgres\n    newName: mirror/postgres\n    newTag: \"16.4\"\ncommonLabels:\n  newTag: label\n";

    fn images(k: &Kustomization) -> Vec<crate::images::ImageEntry> {
        k.images.iter().flatten().map(|e| e.value.clone()).collect()
    }

    #[test]
    fn an_image_bump_reuses_the_earlier_parse_and_matches_a_full_parse() {
        let cache = ParseCache::new();
        let old = cache.kustomization(OLD).unwrap();
        let new_text = OLD.replace("1.3.3 # bumped", "1.4.0-rc.1 # bumped");
        let old_k = model::parse_kustomization(OLD).unwrap();
        let fast = with_image_values(OLD, &old_k, &new_text).expect("an image bump");
        let full = model::parse_kustomization(&new_text).unwrap();
        assert_eq!(images(&fast), images(&full));
        assert_eq!(images(&fast)[0].new_tag.as_deref(), Some("1.4.0-rc.1"));
        let cached = cache.kustomization(&new_text).unwrap();
        assert_eq!(images(&cached), images(&full));
        assert_eq!(images(&old)[0].new_tag.as_deref(), Some("1.3.3"));
    }

    #[test]
    fn values_that_are_not_plain_strings_or_lines_outside_images_are_parsed_again() {
        let old_k = model::parse_kustomization(OLD).unwrap();
        // YAML reads 1.10 as a number: a kustomization refuses it, so no shortcut.
        let float = OLD.replace("1.3.3 # bumped", "1.10");
        assert!(with_image_values(OLD, &old_k, &float).is_none());
        assert!(ParseCache::new().kustomization(&float).is_err());
        // A `newTag` key of another mapping is not an image field.
        let label = OLD.replace("newTag: label", "newTag: other");
        assert!(with_image_values(OLD, &old_k, &label).is_none());
        // Quoted values change how the line reads.
        let quoted = OLD.replace("\"16.4\"", "\"16.5\"");
        assert!(image_value_skeleton(&quoted).contains("newTag: \"16.5\""));
        assert!(with_image_values(OLD, &old_k, &quoted).is_none());
    }

    #[test]
    fn plain_strings_are_known_without_parsing_and_agree_with_the_parser() {
        for v in [
            "2.9.997",
            "1.2.3",
            "v1.2.3",
            "1.2.3-rc.1",
            "0.0.1",
            "1.2.3_x",
            "a.b.c",
        ] {
            assert!(plainly_a_string(v), "{v}");
            assert!(parses_as_string(v), "{v}");
        }
        // Left to the parser: numbers, booleans, nulls, and what does not look like a version.
        for v in [
            "1.10", "1", "true", "null", "~", ".inf", "1e3", "0x1F", "-1.2.3", "1:2.3.4",
        ] {
            assert!(!plainly_a_string(v), "{v}");
        }
        for v in ["1.10", "1", "true", "null", "1e3"] {
            assert!(!reads_as_string(v), "{v}");
        }
        assert!(reads_as_string("latest") && reads_as_string("v1"));
    }

    #[test]
    fn the_skeleton_blanks_only_plain_image_values() {
        assert_eq!(
            image_value_skeleton("a: b\n  - newTag: v1.2 # c\n  digest: sha256:ab\nx: |\n"),
            "a: b\n  - newTag: \u{0} # c\n  digest: \u{0}\nx: |\n"
        );
        assert_eq!(
            image_value_skeleton("newTag: [a]\nnewTag: a: b\nnewTag: x:\n"),
            "newTag: [a]\nnewTag: a: b\nnewTag: x:\n"
        );
    }
}
