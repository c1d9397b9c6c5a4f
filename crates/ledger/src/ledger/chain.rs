//! The first-parent chain of the base, read lazily: from the cached chain when the base leads
//! into it, else commit by commit from Git as far back as a walk needs.

use std::collections::HashMap;

use ferry_git::{CommitInfo, Repo};
use gix::ObjectId;

use super::LedgerError;
use super::cache::Cache;

/// The first-parent chain of the base: its commit ids (newest first) and the metadata read so
/// far.
pub(super) struct Chain {
    /// The ids known (newest first); all of them when `complete`.
    pub(super) ids: Vec<ObjectId>,
    /// The commits read from Git, for the first `infos.len()` ids.
    infos: Vec<CommitInfo>,
    /// Whether `ids` reaches the root commit.
    complete: bool,
    /// Whether commits were read from Git (the cached chain is then out of date; a base older
    /// than the cached one leaves it as it is).
    pub(super) walked: bool,
}

impl Chain {
    /// The chain of `base`: from the cached chain where it leads into it, else read from Git on
    /// demand ([`Chain::info`]).
    pub(super) fn read(
        repo: &Repo,
        base: ObjectId,
        cache: Option<&Cache>,
    ) -> Result<Chain, LedgerError> {
        let cached = cache
            .and_then(Cache::chain)
            .filter(|ids| Chain::plausible(repo, ids))
            .unwrap_or_default();
        let lazy = |ids: Vec<ObjectId>, infos: Vec<CommitInfo>, complete: bool| Chain {
            ids,
            infos,
            complete,
            walked: true,
        };
        if cached.is_empty() {
            return Ok(lazy(vec![base], Vec::new(), false));
        }
        let links = |at: usize| {
            repo.commit(cached[at])
                .is_ok_and(|c| c.parents.first() == cached.get(at + 1))
        };
        if let Some(at) = cached.iter().position(|id| *id == base)
            && links(at)
        {
            let mut ids = cached;
            ids.drain(..at);
            return Ok(Chain {
                walked: false,
                ..lazy(ids, Vec::new(), true)
            });
        }
        // The base moved on (or elsewhere): read it until it joins the cached chain; a chain
        // that does not join within as many commits as the cache holds is read lazily.
        let known: HashMap<ObjectId, usize> =
            cached.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut infos: Vec<CommitInfo> = Vec::new();
        let mut next = Some(base);
        while let Some(id) = next {
            if let Some(&at) = known.get(&id) {
                let mut ids: Vec<ObjectId> = infos.iter().map(|c| c.id).collect();
                ids.extend_from_slice(&cached[at..]);
                return Ok(lazy(ids, infos, true));
            }
            if infos.len() > cached.len() {
                break;
            }
            let info = repo.commit(id)?;
            next = info.parents.first().copied();
            infos.push(info);
        }
        let mut ids: Vec<ObjectId> = infos.iter().map(|c| c.id).collect();
        let complete = next.is_none();
        if let Some(id) = next {
            ids.push(id);
        }
        Ok(lazy(ids, infos, complete))
    }

    /// Spot checks of a cached chain against Git (its digest already matched): it ends at a
    /// root commit and each of its first two commits has the next as its first parent.
    fn plausible(repo: &Repo, ids: &[ObjectId]) -> bool {
        let parent = |id: ObjectId| repo.commit(id).ok().map(|c| c.parents.first().copied());
        let ends_at_root = ids.last().is_some_and(|last| parent(*last) == Some(None));
        let linked = ids
            .windows(2)
            .take(2)
            .all(|pair| parent(pair[0]) == Some(Some(pair[1])));
        if !(ends_at_root && linked) {
            tracing::debug!("ledger cache: chain.bin does not match Git; not used");
        }
        ends_at_root && linked
    }

    /// Whether every commit of the chain is known (down to the root commit).
    pub(super) fn complete(&self) -> bool {
        self.complete
    }

    /// The position of `id` among the commits known (a scan: it is asked once per
    /// environment, and a warm ledger's tip is the first id).
    pub(super) fn position(&self, id: ObjectId) -> Option<usize> {
        self.ids.iter().position(|c| *c == id)
    }

    /// The commit at position `n` (read from Git if not read yet); `None` past the root.
    pub(super) fn info(
        &mut self,
        repo: &Repo,
        n: usize,
    ) -> Result<Option<&CommitInfo>, LedgerError> {
        while self.infos.len() <= n {
            let i = self.infos.len();
            if i >= self.ids.len() {
                // Only when not complete: the last id read has a first parent to follow.
                let parent = self.infos.last().and_then(|c| c.parents.first().copied());
                match parent {
                    Some(p) if !self.complete => {
                        self.ids.push(p);
                    }
                    _ => {
                        self.complete = true;
                        return Ok(None);
                    }
                }
            }
            let info = repo.commit(self.ids[i])?;
            if !self.complete && i + 1 == self.ids.len() && info.parents.is_empty() {
                self.complete = true;
            }
            self.infos.push(info);
        }
        Ok(self.infos.get(n))
    }

    /// Reads the chain down to the root commit.
    pub(super) fn read_all(&mut self, repo: &Repo) -> Result<(), LedgerError> {
        let mut n = self.infos.len();
        while self.info(repo, n)?.is_some() {
            n += 1;
        }
        Ok(())
    }

    /// The metadata of the first `n` commits (fewer when the chain is shorter), read from Git
    /// where not read yet.
    pub(super) fn infos(&mut self, repo: &Repo, n: usize) -> Result<&[CommitInfo], LedgerError> {
        if n > 0 {
            self.info(repo, n - 1)?;
        }
        Ok(&self.infos[..n.min(self.infos.len())])
    }
}
