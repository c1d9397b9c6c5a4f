//! A window of an environment's newest deployments, read newest first: the walk stops as soon
//! as they (and what ran before them) are known.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::super::chain::Chain;
use super::super::state::{Saved, State};
use super::super::{EnvLedger, EnvironmentSpec, LedgerError};
use super::walk::{Candidate, Walk};
use super::{Builder, Pipeline, Resolved, deployments};

impl Builder<'_> {
    /// The newest deployments of `env` only (at most `window.max`, and back to the newest one
    /// committed before `window.since`), walking the chain newest first and stopping as soon
    /// as they (and what ran before them) are known.
    pub(in crate::ledger) fn newest(
        &mut self,
        env: &EnvironmentSpec,
        chain: &mut Chain,
        window: Window,
    ) -> Result<(EnvLedger, State), LedgerError> {
        let overlay = env.overlay.trim_matches('/').to_string();
        let mut walk = Walk::new(self, chain, &overlay, None, false)?;
        let top = (**walk.top()).clone();
        let mut window_walk = WindowWalk {
            walk: &mut walk,
            candidates: Vec::new(),
            renderings: Vec::new(),
            pipe: Pipeline::default(),
            overlay: &overlay,
        };
        let max = window.max.map_or(usize::MAX, |m| m.max(1));
        let mut deployed: Vec<usize> = Vec::new();
        let mut j = 0;
        while deployed.len() < max && window_walk.ensure(self, chain, j)? {
            let here = window_walk.rendering(self, chain, j)?;
            let is_deployment = !window_walk.ensure(self, chain, j + 1)?
                || window_walk.rendering(self, chain, j + 1)? != here;
            if is_deployment {
                deployed.push(j);
                let position = window_walk.candidates[j].0;
                if window.since.is_some_and(|since| {
                    self.meta(chain, position).is_ok_and(|m| m.seconds < since)
                }) {
                    break;
                }
            }
            j += 1;
        }
        let mut baseline = None;
        let mut items = Vec::new();
        if let Some(&start) = deployed.last() {
            if window_walk.ensure(self, chain, start + 1)? {
                let before = window_walk.rendering(self, chain, start + 1)?;
                // The images carried into the window: the newest that rendered.
                let mut images = BTreeMap::new();
                let mut k = start + 1;
                while window_walk.ensure(self, chain, k)? {
                    if let Ok(i) = &window_walk.rendering(self, chain, k)?.images {
                        images = i.clone();
                        break;
                    }
                    k += 1;
                }
                baseline = Some((before, images));
            }
            for i in (0..=start).rev() {
                let rendering = window_walk.rendering(self, chain, i)?;
                let position = window_walk.candidates[i].0;
                items.push((position, self.meta(chain, position)?, rendering));
            }
        }
        let pipe = std::mem::take(&mut window_walk.pipe);
        self.drain(pipe)?;
        let tip = chain
            .info(self.repo, 0)?
            .map(|c| (c.id, c.tree))
            .expect("the chain starts at the base");
        // What the walk knows, for the cache: the window and what ran before it.
        let state = State {
            tip: tip.0,
            tree: tip.1,
            key: Some(top),
            saved: Saved::all(&items),
            baseline: baseline
                .as_ref()
                .map(|(rendering, images)| ((**rendering).clone(), images.clone())),
        };
        let ledger = EnvLedger {
            name: env.name.clone(),
            overlay,
            truncated: baseline.is_some(),
            deployments: deployments(baseline, items),
        };
        Ok((ledger, state))
    }
}

/// Which deployments [`Builder::newest`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::ledger) struct Window {
    /// At most this many.
    pub(in crate::ledger) max: Option<usize>,
    /// Back to the newest one committed before this time (seconds since the epoch).
    pub(in crate::ledger) since: Option<i64>,
}

/// How many candidates [`WindowWalk`] queues on the resolver thread ahead of the one it needs:
/// a few for a short window, more as the window grows (fewer hand-overs between the threads),
/// up to this many.
const LOOKAHEAD: std::ops::RangeInclusive<usize> = 8..=256;

/// The candidates of a [`Walk`] found so far (newest first) and their renderings, resolved
/// ahead on the resolver thread.
struct WindowWalk<'w> {
    walk: &'w mut Walk,
    candidates: Vec<Candidate>,
    renderings: Vec<Option<Resolved>>,
    pipe: Pipeline,
    overlay: &'w str,
}

impl WindowWalk<'_> {
    /// Whether candidate `i` exists (walking on as far as needed, and a few candidates more,
    /// queued for resolution).
    fn ensure(
        &mut self,
        builder: &mut Builder<'_>,
        chain: &mut Chain,
        i: usize,
    ) -> Result<bool, LedgerError> {
        let ahead = i.clamp(*LOOKAHEAD.start(), *LOOKAHEAD.end());
        while self.candidates.len() <= i + ahead {
            let Some(candidate) = self.walk.next(builder, chain)? else {
                break;
            };
            let tree = builder.tree_at(chain, candidate.0)?;
            builder.feed(&mut self.pipe, tree, &candidate.1, self.overlay);
            self.candidates.push(candidate);
            self.renderings.push(None);
        }
        Ok(i < self.candidates.len())
    }

    /// The rendering of candidate `i` (which exists).
    fn rendering(
        &mut self,
        builder: &mut Builder<'_>,
        chain: &mut Chain,
        i: usize,
    ) -> Result<Resolved, LedgerError> {
        if let Some(r) = &self.renderings[i] {
            return Ok(Rc::clone(r));
        }
        let (position, key) = self.candidates[i].clone();
        // Results come in the order queued: take them up to this one.
        let keyed = super::Keyed(Rc::clone(&key));
        while !builder.resolved.contains_key(&keyed) && !self.pipe.submitted.is_empty() {
            builder.take_result(&mut self.pipe.submitted);
        }
        if let Some(e) = self.pipe.failed.take() {
            return Err(e);
        }
        let r = builder.render(chain, position, self.overlay, &key)?;
        self.renderings[i] = Some(Rc::clone(&r));
        Ok(r)
    }
}
