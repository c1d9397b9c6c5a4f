//! The deploy flow `ferry-pr open` and `ferry-promote` share: the change computed on the synced
//! base first (the preview: a refused deploy touches nothing on the forge), its change request,
//! then the change opened through the forge, recomputed on every base the forge hands the
//! planner (a moved base is planned again from scratch).

use gix::ObjectId;

use crate::deploy::{ChangeSettings, DeployError, DeployPlan, DeployPlanner};
use crate::forge::{Base, ChangeRequest, Forge, ForgeError, Opened};

/// Why a deploy was not opened.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The deploy is refused or cannot be planned on the synced base.
    #[error("{0}")]
    Plan(#[from] DeployError),
    /// The forge failed while opening the change.
    #[error("{0}")]
    Forge(#[from] ForgeError),
}

/// What a deploy planned and did.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// The plan on the synced base.
    pub preview: DeployPlan,
    /// The change request, as opened or as it would be.
    pub request: ChangeRequest,
    /// The forge's answer, when the change was opened.
    pub opened: Option<Opened>,
    /// The plan of the last attempt (the preview when nothing was opened).
    pub last: DeployPlan,
}

/// Plans `planner`'s deploy on `base` (the synced base), builds its change request with
/// `settings` and, when `open`, opens it through `forge`.
pub async fn deploy<F: Forge>(
    forge: &F,
    planner: &mut DeployPlanner<'_>,
    base: ObjectId,
    settings: &ChangeSettings,
    open: bool,
) -> Result<Deployed, FlowError> {
    let preview = planner.compute(&Base::new(base, forge.repo()))?;
    let request = planner.change_request(&preview, settings);
    let opened = if open {
        Some(forge.open_change(&request, planner).await?)
    } else {
        None
    };
    let last = match &opened {
        Some(_) => planner.last().unwrap_or(&preview).clone(),
        None => preview.clone(),
    };
    Ok(Deployed {
        preview,
        request,
        opened,
        last,
    })
}
