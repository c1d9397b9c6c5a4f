//! The conditions of an analysis metric: the subset of [expr](https://expr-lang.org) that Argo
//! Rollouts users write in `successCondition` and `failureCondition`.
//!
//! Supported:
//!
//! - literals: `true`, `false`, `nil`, integers (`1`), floats (`0.95`, `1e3`), strings (`'a'`,
//!   `"a"`), arrays (`[1, 2]`);
//! - the variable `result` (a number, a vector as an array of numbers, a string, a map from the
//!   web provider's JSON); `result[0]` (negative indexes count from the end), `result.field`,
//!   `result["field"]`;
//! - operators, with expr's precedence: `||`/`or`, `&&`/`and`, `==`, `!=`, `<`, `<=`, `>`, `>=`,
//!   `in` (an element of an array, a key of a map), `+`, `-`, `*`, `/` (always a float), `%`,
//!   `!`/`not`, unary `-`; parentheses;
//! - functions: `len`, `isNaN`, `isInf`, `asInt`, `asFloat`, `isNil`, `default` (Rollouts'
//!   helpers, with their quirks: `isNil(x)` and `default(x, d)` look at the whole result), `abs`,
//!   `sum`, `min`, `max`, and the predicates `all`, `any`, `none`, `one`, `filter`, `map`, `count`
//!   whose second argument uses `#` for the element (`all(result, {# > 0.9})`, braces optional).
//!
//! Anything else — the ternary `?:`, `??`, `?.`, `**`, ranges, slices, method calls, `matches`,
//! `contains`, `startsWith`, `endsWith`, `not in`, variables other than `result`, other
//! functions — is refused with an error naming it; in an analysis an error makes the
//! measurement `Error`, never `Failed`.
//!
//! Numbers keep expr's two types (Go `int` and `float64`): `1` is an int, `asInt(1.9)` is `1`,
//! ints and floats compare by value. NaN compares false with everything, so `result >= 0.9` and
//! `result < 0.9` are both false for NaN; use `isNaN(result)`.

mod eval;
mod parse;

use std::collections::BTreeMap;

/// A value an expression reads or produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Go `nil`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// A Go `int`.
    Int(i64),
    /// A Go `float64` (NaN and ±Inf included).
    Float(f64),
    /// A string.
    Str(String),
    /// An array (a Prometheus vector is an array of floats).
    Array(Vec<Value>),
    /// A map with string keys (JSON objects).
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// The Go type name expr's messages use (`expected bool, but got int`).
    pub fn go_type(&self) -> &'static str {
        match self {
            Self::Nil => "<nil>",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Float(_) => "float64",
            Self::Str(_) => "string",
            Self::Array(_) => "[]interface {}",
            Self::Map(_) => "map[string]interface {}",
        }
    }

    /// A JSON value as a result: numbers are floats (as Go's JSON decoding makes them), objects
    /// maps.
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Self::Nil,
            serde_json::Value::Bool(b) => Self::Bool(*b),
            serde_json::Value::Number(n) => Self::Float(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Self::Str(s.clone()),
            serde_json::Value::Array(a) => Self::Array(a.iter().map(Self::from_json).collect()),
            serde_json::Value::Object(m) => Self::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Self::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Nil, or an empty array or map: "no data" for Rollouts' error wording.
    pub fn is_nil_or_empty(&self) -> bool {
        match self {
            Self::Nil => true,
            Self::Array(a) => a.is_empty(),
            Self::Map(m) => m.is_empty(),
            _ => false,
        }
    }
}

/// Why an expression could not be parsed or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    message: String,
}

impl ExprError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A parsed condition, ready to be evaluated against results.
#[derive(Debug, Clone)]
pub struct Condition {
    source: String,
    node: parse::Node,
}

impl Condition {
    /// Parses `source`; unknown names and unsupported syntax are errors here, as expr's compiler
    /// reports them before running.
    pub fn parse(source: &str) -> Result<Self, ExprError> {
        Ok(Self {
            source: source.to_owned(),
            node: parse::parse(source)?,
        })
    }

    /// The condition as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the condition with `result` bound; it must produce a bool.
    pub fn eval(&self, result: &Value) -> Result<bool, ExprError> {
        match eval::eval(&self.node, result, None)? {
            Value::Bool(b) => Ok(b),
            other => Err(ExprError::new(format!(
                "expected bool, but got {}",
                other.go_type()
            ))),
        }
    }

    /// Evaluates the expression with `result` bound, whatever it produces.
    pub fn eval_value(&self, result: &Value) -> Result<Value, ExprError> {
        eval::eval(&self.node, result, None)
    }
}

/// Parses and evaluates `condition` against `result` (Rollouts' `EvalCondition`).
pub fn eval_condition(result: &Value, condition: &str) -> Result<bool, ExprError> {
    Condition::parse(condition)?.eval(result)
}

/// Rollouts' `asInt`: an int, a float truncated, or a string holding an integer.
pub fn as_int(v: &Value) -> Result<i64, ExprError> {
    eval::as_int(v)
}

/// Rollouts' `asFloat`: a number, or a string holding one.
pub fn as_float(v: &Value) -> Result<f64, ExprError> {
    eval::as_float(v)
}

/// Rollouts' `isInf`.
pub fn is_inf(v: &Value) -> Result<bool, ExprError> {
    eval::is_inf(v)
}
