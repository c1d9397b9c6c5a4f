//! [`AnyForge`]: the forge a configuration names, chosen at run time.

use std::time::Duration;

use ferry_config::ForgeKind;
use gix::ObjectId;

use super::git::GitForge;
use super::github::GithubForge;
use super::{
    ChangeInfo, ChangeRequest, Cleanup, Forge, ForgeError, OpenChangeInfo, Opened, Planner,
    WaitOutcome,
};
use crate::gates::Hold;
use ferry_git::Repo;
use ferry_github::GithubClient;
use ferry_ledger::verify::VerificationRecord;

/// Either forge, as `[forge] kind` (or `--forge`) chooses it; every [`Forge`] method goes to
/// the one inside.
#[derive(Debug)]
pub enum AnyForge {
    /// Plain git.
    Git(GitForge),
    /// GitHub.
    Github(GithubForge),
}

impl From<GitForge> for AnyForge {
    fn from(forge: GitForge) -> Self {
        AnyForge::Git(forge)
    }
}

impl From<GithubForge> for AnyForge {
    fn from(forge: GithubForge) -> Self {
        AnyForge::Github(forge)
    }
}

/// Calls the same method on whichever forge is inside.
macro_rules! each {
    ($self:ident, $f:ident => $call:expr) => {
        match $self {
            AnyForge::Git($f) => $call,
            AnyForge::Github($f) => $call,
        }
    };
}

impl Forge for AnyForge {
    fn kind(&self) -> ForgeKind {
        each!(self, f => f.kind())
    }

    fn repo(&self) -> &Repo {
        each!(self, f => f.repo())
    }

    fn deployment_statuses(&self) -> Option<&GithubClient> {
        each!(self, f => f.deployment_statuses())
    }

    fn web_repository(&self) -> Option<String> {
        each!(self, f => f.web_repository())
    }

    async fn sync(&self) -> Result<ObjectId, ForgeError> {
        each!(self, f => f.sync().await)
    }

    async fn open_change(
        &self,
        request: &ChangeRequest,
        planner: &mut dyn Planner,
    ) -> Result<Opened, ForgeError> {
        each!(self, f => f.open_change(request, planner).await)
    }

    async fn wait(&self, id: &str, timeout: Duration) -> Result<WaitOutcome, ForgeError> {
        each!(self, f => f.wait(id, timeout).await)
    }

    async fn open_changes(&self, env: &str) -> Result<Vec<OpenChangeInfo>, ForgeError> {
        each!(self, f => f.open_changes(env).await)
    }

    async fn cleanup(&self) -> Result<Cleanup, ForgeError> {
        each!(self, f => f.cleanup().await)
    }

    async fn changes(&self, env: Option<&str>) -> Result<Vec<ChangeInfo>, ForgeError> {
        each!(self, f => f.changes(env).await)
    }

    async fn change(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        each!(self, f => f.change(id).await)
    }

    async fn merge_change(
        &self,
        id: &str,
        expected_head: Option<&str>,
    ) -> Result<ChangeInfo, ForgeError> {
        each!(self, f => f.merge_change(id, expected_head).await)
    }

    async fn close_change(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        each!(self, f => f.close_change(id).await)
    }

    async fn holds(&self) -> Result<Vec<Hold>, ForgeError> {
        each!(self, f => f.holds().await)
    }

    async fn update_holds(
        &self,
        env: &str,
        update: &mut dyn FnMut(&mut Vec<Hold>),
        message: &str,
    ) -> Result<Vec<Hold>, ForgeError> {
        each!(self, f => f.update_holds(env, update, message).await)
    }

    async fn record_verification(
        &self,
        commit: ObjectId,
        record: &VerificationRecord,
    ) -> Result<(), ForgeError> {
        each!(self, f => f.record_verification(commit, record).await)
    }

    async fn verifications(
        &self,
        commit: ObjectId,
        env: &str,
    ) -> Result<Vec<VerificationRecord>, ForgeError> {
        each!(self, f => f.verifications(commit, env).await)
    }
}
