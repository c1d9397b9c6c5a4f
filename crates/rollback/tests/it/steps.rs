//! The result of each rollback step as the notifications tell it, from what the Rollouts client
//! returned.

use ferry_notify::StepResult;
use ferry_rollback::steps::StepResults as _;
use serde_json::json;

#[test]
fn step_results_follow_the_rollouts_outcome() {
    use ferry_rollouts::{Command, RolloutError, status};
    let err: Result<ferry_rollouts::Outcome, RolloutError> = Err(RolloutError::NotFound {
        namespace: "acme".into(),
        name: "backend".into(),
    });
    assert_eq!(
        StepResult::from_rollout(&err),
        StepResult::Failed {
            error: "rollout acme/backend not found".into()
        }
    );
    let obj = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "backend", "namespace": "acme"}, "spec": {}, "status": {}});
    let outcome = ferry_rollouts::Outcome {
        command: Command::Abort,
        name: "backend".into(),
        namespace: "acme".into(),
        requests: vec![],
        skipped: None,
        status: status(&obj),
        settled: Some(ferry_rollouts::Settled::Aborted),
    };
    assert_eq!(
        StepResult::from_rollout(&Ok(outcome.clone())),
        StepResult::Done {
            detail: "abort (aborted, stable version serving)".into()
        }
    );
    let degraded = ferry_rollouts::Outcome {
        settled: Some(ferry_rollouts::Settled::Degraded),
        command: Command::Undo,
        ..outcome
    };
    assert!(matches!(
        StepResult::from_rollout(&Ok(degraded)),
        StepResult::Failed { .. }
    ));
}
