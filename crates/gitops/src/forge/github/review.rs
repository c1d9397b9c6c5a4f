//! Reviewing pull requests of the GitHub forge: list, show, merge (a person's approval,
//! guarded by the head commit) and close; and the heads of open changes a new change is
//! compared with.

use gix::ObjectId;

use super::query::OpenPull;
use super::{GithubForge, is_ferry_pull};
use crate::body::body_env;
use crate::forge::review::same_head;
use crate::forge::{ChangeInfo, ChangeState, ForgeError, PendingChange};
use crate::plan::parse_deploy_branch;
use ferry_github::{GithubError, MergeOptions, PullRequest, PullState};

impl GithubForge {
    /// The pull request number of change `id` (`12` or `#12`).
    fn number(id: &str) -> Result<u64, ForgeError> {
        id.trim_start_matches('#')
            .parse()
            .map_err(|_| ForgeError::UnknownChange(id.to_owned()))
    }

    /// The environment of a Ferry pull request, from its branch or body marker.
    fn env_of(&self, branch: &str, body: &str) -> Option<String> {
        parse_deploy_branch(&self.options.branch_prefix, branch)
            .map(|(env, _)| env.to_owned())
            .or_else(|| body_env(body).map(str::to_owned))
    }

    /// Ferry's open pull requests (of `env`), oldest first.
    pub(super) async fn list(&self, env: Option<&str>) -> Result<Vec<ChangeInfo>, ForgeError> {
        let snapshot = self.query_snapshot().await?;
        let prefix = &self.options.branch_prefix;
        Ok(snapshot
            .pulls
            .iter()
            .filter(|p| {
                parse_deploy_branch(prefix, &p.head_branch)
                    .is_some_and(|(e, _)| env.is_none_or(|want| want == e))
                    && is_ferry_pull(p, env.unwrap_or_else(|| p.env_hint(prefix)))
            })
            .map(|p| ChangeInfo {
                id: p.number.to_string(),
                env: self.env_of(&p.head_branch, &p.body),
                branch: p.head_branch.clone(),
                title: p.title.clone(),
                body: p.body.clone(),
                url: Some(p.url.clone()),
                state: ChangeState::Open,
                head: Some(p.head_oid.clone()),
                base: p.head_parents.first().cloned(),
                created_at: p.created_at.clone(),
                merge_commit: None,
                auto_merge: p.auto_merge,
                note: None,
            })
            .collect())
    }

    /// A pull request as a change.
    fn info(&self, pull: PullRequest) -> ChangeInfo {
        let state = pull.pull_state();
        let body = pull.body.clone().unwrap_or_default();
        let (state, merge_commit, auto_merge) = match state {
            PullState::Open { auto_merge, .. } => (ChangeState::Open, None, auto_merge),
            PullState::Merged { merge_commit } => (ChangeState::Merged, merge_commit, false),
            PullState::Closed => (ChangeState::Closed, None, false),
        };
        ChangeInfo {
            id: pull.number.to_string(),
            env: self.env_of(&pull.head.name, &body),
            branch: pull.head.name,
            title: pull.title,
            body,
            url: Some(pull.html_url),
            state,
            head: Some(pull.head.sha),
            base: None,
            created_at: None,
            merge_commit,
            auto_merge,
            note: None,
        }
    }

    /// Pull request `id`.
    pub(super) async fn show(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        let number = Self::number(id)?;
        match self.client.get_pull(number).await {
            Ok(pull) => Ok(self.info(pull)),
            Err(e) if e.is_not_found() => Err(ForgeError::UnknownChange(id.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// The open pull request `id`, refused when it is merged or closed.
    async fn open_pull(&self, id: &str) -> Result<(PullRequest, ChangeInfo), ForgeError> {
        let number = Self::number(id)?;
        let pull = match self.client.get_pull(number).await {
            Ok(pull) => pull,
            Err(e) if e.is_not_found() => return Err(ForgeError::UnknownChange(id.to_owned())),
            Err(e) => return Err(e.into()),
        };
        let info = self.info(pull.clone());
        if info.state != ChangeState::Open {
            return Err(ForgeError::NotOpen {
                id: id.to_owned(),
                state: info.state,
            });
        }
        Ok((pull, info))
    }

    /// Merges pull request `id` now, only while its head is `expected_head` (or the head read
    /// just before, when not given): GitHub refuses the merge when the head moved.
    pub(super) async fn merge(
        &self,
        id: &str,
        expected_head: Option<&str>,
    ) -> Result<ChangeInfo, ForgeError> {
        let (pull, mut info) = self.open_pull(id).await?;
        if let Some(expected) = expected_head
            && !same_head(expected, &pull.head.sha)
        {
            return Err(ForgeError::HeadMoved {
                id: id.to_owned(),
                expected: expected.to_owned(),
                actual: pull.head.sha,
            });
        }
        let merge = MergeOptions::new(self.options.merge_method).with_expected_head(&pull.head.sha);
        let sha = match self.client.merge_pull(pull.number, &merge).await {
            Ok(sha) => sha,
            Err(GithubError::Conflict { message, .. }) => {
                tracing::debug!(%message, "the head moved before the merge");
                let actual = self
                    .client
                    .get_pull(pull.number)
                    .await
                    .map(|p| p.head.sha)
                    .unwrap_or_default();
                return Err(ForgeError::HeadMoved {
                    id: id.to_owned(),
                    expected: pull.head.sha,
                    actual,
                });
            }
            Err(e) => return Err(e.into()),
        };
        self.cached.borrow_mut().take();
        if let Err(e) = self.client.delete_branch(&pull.head.name).await {
            tracing::warn!(branch = %pull.head.name, error = %e, "merged, but the branch was not deleted");
        }
        info.state = ChangeState::Merged;
        info.merge_commit = Some(sha);
        Ok(info)
    }

    /// Closes pull request `id` and deletes its branch.
    pub(super) async fn close(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        let (pull, mut info) = self.open_pull(id).await?;
        self.client
            .close_pull(pull.number, Some("Closed with `ferry pr close`."))
            .await?;
        self.cached.borrow_mut().take();
        self.client.delete_branch(&pull.head.name).await?;
        info.state = ChangeState::Closed;
        Ok(info)
    }

    /// The open changes of `env` other than the one on `branch`, with their heads fetched
    /// into the local repository when they are not there yet (`head: None` when that fails).
    pub(super) async fn pending(
        &self,
        pulls: &[&OpenPull],
        env: &str,
        branch: &str,
    ) -> Vec<PendingChange> {
        let prefix = &self.options.branch_prefix;
        let mut out = Vec::new();
        for pull in pulls {
            let of_env = parse_deploy_branch(prefix, &pull.head_branch)
                .is_some_and(|(e, _)| e == crate::plan::ref_safe(env));
            if !of_env || pull.head_branch == branch {
                continue;
            }
            let head = ObjectId::from_hex(pull.head_oid.as_bytes()).ok();
            let head = match head {
                Some(h) if self.repo.gix().has_object(h) => Some(h),
                Some(h) => match self.fetch_branch(&pull.head_branch).await {
                    Ok(()) if self.repo.gix().has_object(h) => Some(h),
                    Ok(()) => None,
                    Err(e) => {
                        tracing::debug!(branch = %pull.head_branch, error = %e, "cannot fetch an open change");
                        None
                    }
                },
                None => None,
            };
            out.push(PendingChange {
                id: pull.number.to_string(),
                branch: pull.head_branch.clone(),
                head,
            });
        }
        out
    }
}

impl OpenPull {
    /// The environment its deploy branch names (empty when none).
    fn env_hint<'a>(&'a self, prefix: &str) -> &'a str {
        parse_deploy_branch(prefix, &self.head_branch).map_or("", |(env, _)| env)
    }
}
