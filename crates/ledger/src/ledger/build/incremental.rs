//! The dependency key of the next commit from the one before it: when only files changed
//! along the key's paths (an image bump changes one kustomization file), the key is the
//! earlier one with those objects replaced, without looking every path up again.

use std::sync::Arc;

use ferry_git::{Entry, EntryType};
use ferry_kustomize::dependencies::KUSTOMIZATION_FILE_NAMES;
use gix::ObjectId;

use super::super::LedgerError;
use super::super::state::DepKey;
use super::{Builder, PathTrie};

/// An edit of one file: its name in the overlay directory and its new bytes.
pub(super) type Edit = (String, Arc<[u8]>);

impl Builder<'_> {
    /// The dependency key of `overlay` in tree `tree`, given `known`, its key in tree
    /// `known_tree`, and `trie`, the paths of `known`. `None`: nothing along the paths changed.
    pub(super) fn dependencies_from(
        &mut self,
        known: &DepKey,
        trie: &PathTrie,
        known_tree: ObjectId,
        tree: ObjectId,
        overlay: &str,
    ) -> Result<Option<DepKey>, LedgerError> {
        let changed = self.changed_along(known_tree, tree, trie)?;
        if changed.is_empty() {
            return Ok(None);
        }
        let key = match self.replaced(known, changed)? {
            Some(key) => key,
            None => self.dependencies(tree, overlay)?,
        };
        debug_assert_eq!(
            key,
            self.dependencies(tree, overlay)?,
            "the key worked out from the commit before equals the key worked out in full"
        );
        Ok(Some(key))
    }

    /// `known` with the objects of `changed` in place of its own, when that is the key in
    /// full: no symbolic link anywhere, and every changed path a file (or nothing) on both
    /// sides, or a directory on both sides whose kustomization names the same strings.
    /// `None`: the key must be worked out in full.
    fn replaced(
        &mut self,
        known: &DepKey,
        changed: Vec<(String, Option<Entry>)>,
    ) -> Result<Option<DepKey>, LedgerError> {
        if known.contains_key("") {
            return Ok(None);
        }
        let file = |e: &Option<Entry>| {
            e.is_none_or(|e| matches!(e.kind, EntryType::Blob | EntryType::Executable))
        };
        let mut key = known.clone();
        for (path, new) in changed {
            let Some(old) = key.get_mut(&path) else {
                return Ok(None);
            };
            let same_shape = match (*old, new) {
                (Some(a), Some(b)) if a.kind == EntryType::Tree && b.kind == EntryType::Tree => {
                    !self.tree_has_link(b.id)?
                        && *self.kustomization_strings(a.id)?
                            == *self.kustomization_strings(b.id)?
                }
                (a, b) => file(&a) && file(&b),
            };
            if !same_shape {
                return Ok(None);
            }
            *old = new;
        }
        Ok(Some(key))
    }

    /// The paths of `trie` whose objects differ between root trees `a` and `b`, with the
    /// object in `b`.
    pub(super) fn changed_along(
        &self,
        a: ObjectId,
        b: ObjectId,
        trie: &PathTrie,
    ) -> Result<Vec<(String, Option<Entry>)>, LedgerError> {
        let root = |id| Entry {
            id,
            kind: EntryType::Tree,
        };
        let mut changed = Vec::new();
        self.changed_below(
            Some(root(a)),
            Some(root(b)),
            trie,
            &mut String::new(),
            &mut changed,
        )?;
        Ok(changed)
    }

    /// [`changed_along`](Self::changed_along) below `path`.
    fn changed_below(
        &self,
        a: Option<Entry>,
        b: Option<Entry>,
        trie: &PathTrie,
        path: &mut String,
        out: &mut Vec<(String, Option<Entry>)>,
    ) -> Result<(), LedgerError> {
        if a == b {
            return Ok(());
        }
        if trie.leaf {
            out.push((path.clone(), b));
        }
        if trie.children.is_empty() {
            return Ok(());
        }
        let tree = |e: Option<Entry>| -> Result<_, LedgerError> {
            match e {
                Some(e) if e.kind == EntryType::Tree => Ok(Some(self.repo.tree(e.id)?)),
                _ => Ok(None),
            }
        };
        let (left, right) = (tree(a)?, tree(b)?);
        let len = path.len();
        for (name, sub) in &trie.children {
            let x = left.as_ref().and_then(|t| t.get(name)).copied();
            let y = right.as_ref().and_then(|t| t.get(name)).copied();
            if x == y {
                continue;
            }
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(name);
            self.changed_below(x, y, sub, path, out)?;
            path.truncate(len);
        }
        Ok(())
    }

    /// When `key` differs from the key of the resolver's last job for `overlay` only in the
    /// overlay's own kustomization file (both regular files): that file's name and new bytes,
    /// so that the resolver is sent an edit of its last source, not a new one.
    pub(super) fn edit_of(
        &mut self,
        key: &DepKey,
        overlay: &str,
    ) -> Result<Option<Edit>, LedgerError> {
        let Some(last) = self.last_job.get(overlay).cloned() else {
            return Ok(None);
        };
        if last.len() != key.len() {
            return Ok(None);
        }
        let mut dirs = None;
        for ((p, a), (q, b)) in last.iter().zip(key.iter()) {
            if p != q {
                return Ok(None);
            }
            if a == b {
                continue;
            }
            match (a, b) {
                (Some(a), Some(b))
                    if p == overlay && a.kind == EntryType::Tree && b.kind == EntryType::Tree =>
                {
                    dirs = Some((a.id, b.id));
                }
                _ => return Ok(None),
            }
        }
        let Some((a, b)) = dirs else {
            return Ok(None);
        };
        let (before, after) = (self.repo.tree(a)?, self.repo.tree(b)?);
        let mut changed = None;
        let mut names = 0;
        for ((n, x), (m, y)) in before.iter().zip(after.iter()) {
            names += 1;
            if n != m {
                return Ok(None);
            }
            if x != y {
                if changed.is_some() {
                    return Ok(None);
                }
                changed = Some((n, x.kind, y.kind, y.id));
            }
        }
        if names != before.iter().count() || names != after.iter().count() {
            return Ok(None);
        }
        match changed {
            Some((name, EntryType::Blob, EntryType::Blob, id))
                if KUSTOMIZATION_FILE_NAMES.contains(&name) =>
            {
                Ok(Some((name.to_string(), self.blob(id)?)))
            }
            _ => Ok(None),
        }
    }
}
