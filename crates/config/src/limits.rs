//! Bounds on what is read: the file's size and kind, and NUL bytes in values.

use std::io::Read;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::ConfigError;
use crate::error::{Diagnostic, Source};

/// The largest `ferry.toml` read (1 MiB; real files are a few KiB).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Reads `path` when it is a regular file of at most [`MAX_FILE_SIZE`] bytes, enforcing the
/// limit while reading (a device reports size 0).
pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    let refuse = |reason: String| ConfigError::Refused {
        path: path.to_path_buf(),
        reason,
    };
    let io = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    // Opening a FIFO for reading blocks until a writer comes: look before opening.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file".into()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(refuse(format!(
            "larger than {} KiB; a ferry.toml is a few KiB",
            MAX_FILE_SIZE / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        ))
    })
}

/// Refuses a string value (or key) holding a NUL byte, anywhere in the document: paths, URLs and
/// names are handed to the system, which would cut them there.
pub(crate) fn no_nul(src: &Source<'_>) -> Result<(), Diagnostic> {
    if !src.text.contains('\0')
        && !src.text.contains("\\u0000")
        && !src.text.contains("\\U00000000")
    {
        return Ok(());
    }
    let Ok(doc) = DeTable::parse(src.text) else {
        // Syntax errors are reported by the parser itself.
        return Ok(());
    };
    match in_table(doc.get_ref(), "") {
        Some((at, field)) => {
            Err(src.at(at, Some(field), "contains a NUL byte (\\u0000); remove it"))
        }
        None => Ok(()),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn in_table(table: &DeTable<'_>, path: &str) -> Option<(usize, String)> {
    table.iter().find_map(|(key, value)| {
        let here = join(path, key.get_ref());
        if key.get_ref().contains('\0') {
            return Some((key.span().start, here));
        }
        in_value(value.get_ref(), value.span().start, &here)
    })
}

fn in_value(value: &DeValue<'_>, at: usize, path: &str) -> Option<(usize, String)> {
    match value {
        DeValue::String(s) if s.contains('\0') => Some((at, path.to_owned())),
        DeValue::Table(table) => in_table(table, path),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            in_value(item.get_ref(), item.span().start, &format!("{path}[{i}]"))
        }),
        _ => None,
    }
}
