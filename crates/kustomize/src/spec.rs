//! The SPEC argument of `kustomize edit set image`: `NAME=NEWNAME:TAG@DIGEST` and its short forms.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// What an [`ImageSpec`] does to one field (`newName`, `newTag` or `digest`) of an `images:` entry.
///
/// As in `kustomize edit set image`, a SPEC replaces the whole entry: a field the SPEC does not
/// mention is removed, and `*` keeps the value the entry already has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldEdit {
    /// Set the field to this value.
    Set(String),
    /// `*`: keep the existing value (nothing when the entry or field does not exist yet).
    Keep,
    /// The SPEC does not mention the field: the entry will not have it.
    Unset,
}

impl FieldEdit {
    /// The value after the edit, given the current value.
    pub fn resolve(&self, current: Option<&str>) -> Option<String> {
        match self {
            FieldEdit::Set(value) => Some(value.clone()),
            FieldEdit::Keep => current.map(str::to_owned),
            FieldEdit::Unset => None,
        }
    }
}

/// One parsed SPEC of `ferry-set-image` / `kustomize edit set image`.
///
/// Forms: `name=newName:newTag@digest`, `name=newName`, `name=newName:newTag`,
/// `name=newName@digest`, `name:newTag`, `name@digest`, `name:newTag@digest`; `*` in place of
/// newName, newTag or digest keeps the existing value. A registry port (`localhost:5000/app`) is
/// not a tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageSpec {
    /// The `name` of the entry to create or replace (an image name without tag or digest).
    pub name: String,
    /// The new `newName`.
    pub new_name: FieldEdit,
    /// The new `newTag`.
    pub new_tag: FieldEdit,
    /// The new `digest`.
    pub digest: FieldEdit,
}

/// A SPEC that is not one of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "invalid image spec `{spec}`: {reason}; use one of NAME=NEWNAME:TAG@DIGEST, NAME=NEWNAME, \
     NAME=NEWNAME:TAG, NAME=NEWNAME@DIGEST, NAME:TAG, NAME@DIGEST, NAME:TAG@DIGEST \
     (`*` keeps the existing NEWNAME, TAG or DIGEST)"
)]
pub struct SpecError {
    /// The SPEC as given.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ImageSpec {
    /// Parses a SPEC.
    ///
    /// # Errors
    /// [`SpecError`] when the text is not one of the accepted forms or a part is not a valid
    /// image name, tag or digest.
    pub fn parse(spec: &str) -> Result<ImageSpec, SpecError> {
        let fail = |reason: String| SpecError {
            spec: spec.to_owned(),
            reason,
        };
        if spec.is_empty() {
            return Err(fail("it is empty".into()));
        }
        if let Some(c) = spec.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(format!("it contains the character {c:?}")));
        }
        let parts: Vec<&str> = spec.split('=').collect();
        match parts.as_slice() {
            [short] => {
                let (name, tag, digest) = split_reference(short).map_err(fail)?;
                if tag.is_none() && digest.is_none() {
                    return Err(fail(
                        "it names no tag, digest or new name (add `:TAG`, `@DIGEST` or `=NEWNAME`)"
                            .into(),
                    ));
                }
                check_name(name, "image name").map_err(fail)?;
                Ok(ImageSpec {
                    name: name.to_owned(),
                    new_name: FieldEdit::Unset,
                    new_tag: field(tag),
                    digest: field(digest),
                })
            }
            [name, replacement] => {
                check_name(name, "image name").map_err(fail)?;
                if replacement.is_empty() {
                    return Err(fail("nothing follows `=`".into()));
                }
                let (new_name, tag, digest) = split_reference(replacement).map_err(fail)?;
                let new_name = if new_name == "*" {
                    FieldEdit::Keep
                } else {
                    check_name(new_name, "new name").map_err(fail)?;
                    FieldEdit::Set(new_name.to_owned())
                };
                Ok(ImageSpec {
                    name: (*name).to_owned(),
                    new_name,
                    new_tag: field(tag),
                    digest: field(digest),
                })
            }
            _ => Err(fail("it contains more than one `=`".into())),
        }
    }

    /// The entry this SPEC produces from the current entry of the same name, if there is one.
    pub fn resolve(&self, current: Option<&crate::ImageEntry>) -> crate::ImageEntry {
        crate::ImageEntry {
            name: self.name.clone(),
            new_name: self
                .new_name
                .resolve(current.and_then(|c| c.new_name.as_deref())),
            new_tag: self
                .new_tag
                .resolve(current.and_then(|c| c.new_tag.as_deref())),
            digest: self
                .digest
                .resolve(current.and_then(|c| c.digest.as_deref())),
            // A SPEC has no syntax for it: the entry keeps what it has.
            tag_suffix: current.and_then(|c| c.tag_suffix.clone()),
        }
    }
}

impl FromStr for ImageSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageSpec::parse(s)
    }
}

impl fmt::Display for ImageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        match &self.new_name {
            FieldEdit::Set(v) => write!(f, "={v}")?,
            FieldEdit::Keep => f.write_str("=*")?,
            FieldEdit::Unset => {}
        }
        match &self.new_tag {
            FieldEdit::Set(v) => write!(f, ":{v}")?,
            FieldEdit::Keep => f.write_str(":*")?,
            FieldEdit::Unset => {}
        }
        match &self.digest {
            FieldEdit::Set(v) => write!(f, "@{v}")?,
            FieldEdit::Keep => f.write_str("@*")?,
            FieldEdit::Unset => {}
        }
        Ok(())
    }
}

fn field(value: Option<&str>) -> FieldEdit {
    match value {
        None => FieldEdit::Unset,
        Some("*") => FieldEdit::Keep,
        Some(v) => FieldEdit::Set(v.to_owned()),
    }
}

/// Splits `name[:tag][@digest]` ([`crate::transform::split_reference`]: a registry port is
/// part of the name) and checks the tag and digest (`*` keeps the existing value).
fn split_reference(text: &str) -> Result<(&str, Option<&str>, Option<&str>), String> {
    let (name, tag, digest) = crate::transform::split_reference(text);
    if let Some(digest) = digest.filter(|d| *d != "*") {
        check_digest(digest)?;
    }
    if let Some(tag) = tag.filter(|t| *t != "*") {
        check_tag(tag)?;
    }
    if name.is_empty() {
        return Err("the image name is empty".into());
    }
    Ok((name, tag, digest))
}

/// A tag as Docker defines it: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn check_tag(tag: &str) -> Result<(), String> {
    let ok_first = tag
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let ok_rest = tag
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if tag.is_empty() {
        Err("the tag after `:` is empty".into())
    } else if !ok_first || !ok_rest || tag.len() > 128 {
        Err(format!(
            "`{tag}` is not a valid tag (letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`)"
        ))
    } else {
        Ok(())
    }
}

/// A digest as the distribution reference grammar accepts it (the rule `ferry-validate` applies
/// too): a registered algorithm (`sha256`, `sha384`, `sha512`) and its lowercase hex encoding of
/// the right length.
pub fn check_digest(digest: &str) -> Result<(), String> {
    ferry_image::reference::validate_digest(digest).map_err(|e| {
        format!("`{digest}` is not a valid digest ({e}; expected `sha256:` followed by 64 lowercase hex digits)")
    })
}

/// An image name (`[host[:port]/]path`) without tag or digest.
pub fn check_name(name: &str, what: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with(['/', '.', '-', ':'])
        && !name.ends_with(['/', ':'])
        && !name.contains("//")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid {what} (letters, digits, `.`, `_`, `-`, `/` and a registry `:port`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> FieldEdit {
        FieldEdit::Set(s.into())
    }

    #[test]
    fn forms() {
        let d = "sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3";
        let s = ImageSpec::parse(&format!("a=reg:5000/b:1.0@{d}")).unwrap();
        assert_eq!(
            (s.name.as_str(), s.new_name, s.new_tag, s.digest),
            ("a", set("reg:5000/b"), set("1.0"), set(d))
        );
        let s = ImageSpec::parse("ngnix=localhost:5000/my-project/ngnix").unwrap();
        assert_eq!(s.new_name, set("localhost:5000/my-project/ngnix"));
        assert_eq!(s.new_tag, FieldEdit::Unset);
        let s = ImageSpec::parse("a:v1").unwrap();
        assert_eq!((s.new_name, s.new_tag), (FieldEdit::Unset, set("v1")));
        let s = ImageSpec::parse("a=*:*").unwrap();
        assert_eq!((s.new_name, s.new_tag), (FieldEdit::Keep, FieldEdit::Keep));
        let s = ImageSpec::parse("localhost:5000/a:1").unwrap();
        assert_eq!((s.name.as_str(), s.new_tag), ("localhost:5000/a", set("1")));
        for bad in [
            "",
            "bad",
            "a=b=c",
            "a:",
            "a@sha256:12",
            "a:b c",
            "=b",
            "a=",
            "a:.x",
            ":1",
            "app:v2@md5:0123",
            "app@sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
        ] {
            assert!(ImageSpec::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["a=b:1", "a:1", "a=*", "a=*:*@*", "reg:5000/a=b"] {
            assert_eq!(ImageSpec::parse(text).unwrap().to_string(), text);
        }
    }
}
