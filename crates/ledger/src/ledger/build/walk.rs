//! The walk of one environment's inputs, newest first from the base: the commits where they
//! changed relative to their first parent (candidates for a deployment), found without
//! resolving anything.

use std::collections::VecDeque;
use std::rc::Rc;

use super::super::LedgerError;
use super::super::chain::Chain;
use super::super::state::DepKey;
use super::{Builder, PathTrie};

/// A commit where the environment's inputs changed: its position in the chain and the
/// dependency key in force after it.
pub(super) type Candidate = (usize, Rc<DepKey>);

/// Walks the chain newest first, one commit at a time, comparing each commit's objects along
/// the dependency key with its first parent's.
pub(super) struct Walk {
    overlay: String,
    /// The position whose candidacy is decided next, and the key in force there.
    pos: usize,
    key: Rc<DepKey>,
    trie: Rc<PathTrie>,
    /// The key at the base (position 0).
    top: Rc<DepKey>,
    /// Where the walk ends: the position of a commit walked before (the cached tip) and its
    /// key; `None`: at the root commit.
    end: Option<(usize, Option<Rc<DepKey>>)>,
    /// Whether candidates older than the end exist (kept from an earlier walk).
    older: bool,
    /// Candidates whose overlay does not exist, kept until an older one where it exists is
    /// found (before an overlay first exists, nothing is a candidate).
    pending: Vec<Candidate>,
    /// Candidates decided, newest first.
    ready: VecDeque<Candidate>,
    done: bool,
}

impl Walk {
    /// A walk from the base down to `end` (the root when `None`); `older`: whether candidates
    /// older than the end are known.
    pub(super) fn new(
        builder: &mut Builder<'_>,
        chain: &mut Chain,
        overlay: &str,
        end: Option<(usize, Option<Rc<DepKey>>)>,
        older: bool,
    ) -> Result<Walk, LedgerError> {
        let tree = chain
            .info(builder.repo, 0)?
            .map(|c| c.tree)
            .ok_or_else(|| LedgerError::Resolver(std::io::Error::other("an empty chain")))?;
        let key = Rc::new(builder.dependencies(tree, overlay)?);
        Ok(Walk {
            overlay: overlay.to_string(),
            pos: 0,
            trie: Rc::new(PathTrie::new(&key)),
            top: Rc::clone(&key),
            key,
            done: matches!(end, Some((0, _))),
            end,
            older,
            pending: Vec::new(),
            ready: VecDeque::new(),
        })
    }

    /// The dependency key at the base.
    pub(super) fn top(&self) -> &Rc<DepKey> {
        &self.top
    }

    /// The next candidate, newest first; `None` when the walk is over.
    pub(super) fn next(
        &mut self,
        builder: &mut Builder<'_>,
        chain: &mut Chain,
    ) -> Result<Option<Candidate>, LedgerError> {
        loop {
            if let Some(c) = self.ready.pop_front() {
                return Ok(Some(c));
            }
            if self.done {
                return Ok(None);
            }
            match self.step(builder, chain)? {
                Some(c) if exists(&c.1, &self.overlay) => {
                    self.ready.extend(self.pending.drain(..));
                    self.ready.push_back(c);
                }
                Some(c) => self.pending.push(c),
                None => {}
            }
            if self.done {
                if self.older {
                    self.ready.extend(self.pending.drain(..));
                } else {
                    self.pending.clear();
                }
            }
        }
    }

    /// Decides whether the commit at `pos` is a candidate, and moves to its parent.
    fn step(
        &mut self,
        builder: &mut Builder<'_>,
        chain: &mut Chain,
    ) -> Result<Option<Candidate>, LedgerError> {
        let here = self.pos;
        let tree = match chain.info(builder.repo, here)? {
            Some(c) => c.tree,
            None => {
                self.done = true;
                return Ok(None);
            }
        };
        let parent = chain.info(builder.repo, here + 1)?.map(|c| c.tree);
        let at_end = matches!(&self.end, Some((end, _)) if *end == here + 1);
        let Some(parent) = parent else {
            // The root commit: its inputs changed from nothing.
            self.done = true;
            return Ok(Some((here, Rc::clone(&self.key))));
        };
        self.pos += 1;
        if at_end {
            self.done = true;
        }
        let known = match &self.end {
            Some((_, Some(key))) if at_end => Some(Rc::clone(key)),
            _ => None,
        };
        let before = match known {
            Some(_) if builder.same_along(parent, tree, &self.trie)? => return Ok(None),
            Some(key) => key,
            None => match builder.dependencies_from(
                &self.key,
                &self.trie,
                tree,
                parent,
                &self.overlay,
            )? {
                Some(key) => Rc::new(key),
                None => return Ok(None),
            },
        };
        if before == self.key {
            return Ok(None);
        }
        let found = (here, Rc::clone(&self.key));
        if !before.keys().eq(self.key.keys()) {
            // An image bump changes objects, not paths: the trie is kept then.
            self.trie = Rc::new(PathTrie::new(&before));
        }
        self.key = before;
        Ok(Some(found))
    }
}

/// Whether the overlay directory exists under `key`.
pub(super) fn exists(key: &DepKey, overlay: &str) -> bool {
    key.get(overlay).is_some_and(Option::is_some)
}
