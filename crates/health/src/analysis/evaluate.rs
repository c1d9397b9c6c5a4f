//! One measurement's phase from its result and the metric's conditions (Rollouts'
//! `EvaluateResult`).

use super::Phase;
use super::expr::{Condition, ExprError, Value};

/// A metric's two conditions, parsed; `None` when not set.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// `successCondition`.
    pub success: Option<Condition>,
    /// `failureCondition`.
    pub failure: Option<Condition>,
}

impl Conditions {
    /// Parses the two conditions; an empty string means "not set". The error names the
    /// condition (`successCondition "…": …`).
    pub fn parse(success: &str, failure: &str) -> Result<Self, String> {
        let parse = |kind: &str, src: &str| -> Result<Option<Condition>, String> {
            if src.trim().is_empty() {
                return Ok(None);
            }
            Condition::parse(src)
                .map(Some)
                .map_err(|e| format!("{kind} {src:?}: {e}"))
        };
        Ok(Self {
            success: parse("successCondition", success)?,
            failure: parse("failureCondition", failure)?,
        })
    }
}

/// The phase of a measurement whose result is `result`, with the error message when the phase is
/// [`Phase::Error`]:
///
/// - an evaluation error (success first) → `Error`;
/// - no condition → `Successful`; only a success condition → `Failed` when it is false; only a
///   failure condition → `Successful` when it is false;
/// - both: failure true → `Failed` (even when success is true too), both false →
///   `Inconclusive`, else `Successful`.
pub fn evaluate_result(result: &Value, conditions: &Conditions) -> (Phase, Option<String>) {
    let eval = |kind: &str, c: &Option<Condition>| -> Result<Option<bool>, String> {
        match c {
            None => Ok(None),
            Some(c) => c
                .eval(result)
                .map(Some)
                .map_err(|e| format_eval_error(kind, c.source(), result, &e)),
        }
    };
    decide(
        eval("successCondition", &conditions.success),
        eval("failureCondition", &conditions.failure),
    )
}

/// [`evaluate_result`] on conditions as written (`""` = not set), a condition that does not
/// parse making the measurement `Error` as an evaluation error would (Rollouts compiles the
/// conditions on every measurement).
pub fn evaluate_sources(result: &Value, success: &str, failure: &str) -> (Phase, Option<String>) {
    let eval = |kind: &str, src: &str| -> Result<Option<bool>, String> {
        if src.trim().is_empty() {
            return Ok(None);
        }
        Condition::parse(src)
            .and_then(|c| c.eval(result))
            .map(Some)
            .map_err(|e| format_eval_error(kind, src, result, &e))
    };
    decide(
        eval("successCondition", success),
        eval("failureCondition", failure),
    )
}

fn decide(
    success: Result<Option<bool>, String>,
    failure: Result<Option<bool>, String>,
) -> (Phase, Option<String>) {
    let success = match success {
        Ok(s) => s,
        Err(e) => return (Phase::Error, Some(e)),
    };
    let failure = match failure {
        Ok(f) => f,
        Err(e) => return (Phase::Error, Some(e)),
    };
    let phase = match (success, failure) {
        (None, None) => Phase::Successful,
        (Some(s), None) => {
            if s {
                Phase::Successful
            } else {
                Phase::Failed
            }
        }
        (None, Some(f)) => {
            if f {
                Phase::Failed
            } else {
                Phase::Successful
            }
        }
        (Some(_), Some(true)) => Phase::Failed,
        (Some(false), Some(false)) => Phase::Inconclusive,
        (Some(true), Some(false)) => Phase::Successful,
    };
    (phase, None)
}

fn format_eval_error(kind: &str, source: &str, result: &Value, e: &ExprError) -> String {
    if result.is_nil_or_empty() {
        format!(
            "could not evaluate {kind} {source:?}: metric result is nil or empty: no data returned from the metric provider"
        )
    } else {
        format!("could not evaluate {kind} {source:?}: {e}")
    }
}
