//! Evaluation of a parsed expression.

use std::cmp::Ordering;

use super::parse::{BinOp, Node, UnOp};
use super::{ExprError, Value};

/// The largest array a predicate or `map` builds.
const MAX_ITEMS: usize = 1_000_000;

pub(super) fn eval(node: &Node, result: &Value, elem: Option<&Value>) -> Result<Value, ExprError> {
    match node {
        Node::Nil => Ok(Value::Nil),
        Node::Bool(b) => Ok(Value::Bool(*b)),
        Node::Int(i) => Ok(Value::Int(*i)),
        Node::Float(f) => Ok(Value::Float(*f)),
        Node::Str(s) => Ok(Value::Str(s.clone())),
        Node::Name(_) => Ok(result.clone()),
        Node::Pointer => elem
            .cloned()
            .ok_or_else(|| ExprError::new("# is only valid inside a predicate")),
        Node::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|n| eval(n, result, elem))
                .collect::<Result<_, _>>()?,
        )),
        Node::Unary(op, operand) => unary(*op, eval(operand, result, elem)?),
        Node::Binary(BinOp::Or, a, b) => {
            if truth(eval(a, result, elem)?, "||")? {
                Ok(Value::Bool(true))
            } else {
                Ok(Value::Bool(truth(eval(b, result, elem)?, "||")?))
            }
        }
        Node::Binary(BinOp::And, a, b) => {
            if truth(eval(a, result, elem)?, "&&")? {
                Ok(Value::Bool(truth(eval(b, result, elem)?, "&&")?))
            } else {
                Ok(Value::Bool(false))
            }
        }
        Node::Binary(op, a, b) => binary(*op, eval(a, result, elem)?, eval(b, result, elem)?),
        Node::Member(base, name) => member(eval(base, result, elem)?, name),
        Node::Index(base, index) => {
            index_value(eval(base, result, elem)?, eval(index, result, elem)?)
        }
        Node::Call(name, args) => call(name, args, result, elem),
    }
}

fn truth(v: Value, op: &str) -> Result<bool, ExprError> {
    match v {
        Value::Bool(b) => Ok(b),
        other => Err(ExprError::new(format!(
            "invalid operation: {op} on {} (expected bool)",
            other.go_type()
        ))),
    }
}

fn unary(op: UnOp, v: Value) -> Result<Value, ExprError> {
    match (op, v) {
        (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnOp::Neg, Value::Int(i)) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| ExprError::new("integer overflow")),
        (UnOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
        (UnOp::Plus, v @ (Value::Int(_) | Value::Float(_))) => Ok(v),
        (op, v) => Err(ExprError::new(format!(
            "invalid operation: {} {}",
            match op {
                UnOp::Not => "!",
                UnOp::Neg => "-",
                UnOp::Plus => "+",
            },
            v.go_type()
        ))),
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// expr's equality: numbers by value, NaN equal to nothing; a number against a string or bool is
/// a type error (expr's checker refuses it for typed operands).
fn equal(a: &Value, b: &Value) -> Result<bool, ExprError> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (x, y) if num(x).is_some() && num(y).is_some() => num(x) == num(y),
        (Value::Nil, y) | (y, Value::Nil) => matches!(y, Value::Nil),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .map(|(a, b)| equal(a, b))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .all(|e| e)
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .map(|(k, a)| y.get(k).map_or(Ok(false), |b| equal(a, b)))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .all(|e| e)
        }
        (x, y) if scalar(x) && scalar(y) => return Err(mismatch("==", x, y)),
        _ => false,
    })
}

fn scalar(v: &Value) -> bool {
    matches!(
        v,
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_)
    )
}

fn mismatch(op: &str, a: &Value, b: &Value) -> ExprError {
    ExprError::new(format!(
        "invalid operation: {op} (mismatched types {} and {})",
        a.go_type(),
        b.go_type()
    ))
}

fn order(op: BinOp, a: &Value, b: &Value) -> Result<Option<Ordering>, ExprError> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(Some(x.cmp(y))),
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.cmp(y))),
        (x, y) => match (num(x), num(y)) {
            (Some(x), Some(y)) => Ok(x.partial_cmp(&y)),
            _ => Err(mismatch(op.as_str(), a, b)),
        },
    }
}

fn binary(op: BinOp, a: Value, b: Value) -> Result<Value, ExprError> {
    match op {
        BinOp::Eq => Ok(Value::Bool(equal(&a, &b)?)),
        BinOp::Ne => Ok(Value::Bool(!equal(&a, &b)?)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = order(op, &a, &b)?;
            Ok(Value::Bool(match (op, ord) {
                (_, None) => false,
                (BinOp::Lt, Some(o)) => o == Ordering::Less,
                (BinOp::Le, Some(o)) => o != Ordering::Greater,
                (BinOp::Gt, Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            }))
        }
        BinOp::In => match &b {
            Value::Array(items) => {
                for item in items {
                    if equal(&a, item).unwrap_or(false) {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            Value::Map(m) => match &a {
                Value::Str(k) => Ok(Value::Bool(m.contains_key(k))),
                other => Err(mismatch("in", other, &b)),
            },
            Value::Nil => Ok(Value::Bool(false)),
            other => Err(ExprError::new(format!(
                "invalid operation: in (mismatched types {} and {})",
                a.go_type(),
                other.go_type()
            ))),
        },
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => arithmetic(op, a, b),
        BinOp::Or | BinOp::And => unreachable!("short-circuit operators are evaluated in eval"),
    }
}

fn arithmetic(op: BinOp, a: Value, b: Value) -> Result<Value, ExprError> {
    if let (BinOp::Add, Value::Str(x), Value::Str(y)) = (op, &a, &b) {
        return Ok(Value::Str(format!("{x}{y}")));
    }
    if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
        let (x, y) = (*x, *y);
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::Div => return Ok(Value::Float(x as f64 / y as f64)),
            _ if y == 0 => return Err(ExprError::new("integer divide by zero")),
            _ => x.checked_rem(y),
        };
        return r
            .map(Value::Int)
            .ok_or_else(|| ExprError::new("integer overflow"));
    }
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Ok(Value::Float(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
            _ => return Err(mismatch("%", &a, &b)),
        })),
        _ => Err(mismatch(op.as_str(), &a, &b)),
    }
}

fn member(base: Value, name: &str) -> Result<Value, ExprError> {
    match base {
        Value::Map(m) => Ok(m.get(name).cloned().unwrap_or(Value::Nil)),
        Value::Nil => Err(ExprError::new(format!("cannot fetch {name} from <nil>"))),
        other => Err(ExprError::new(format!(
            "type {} has no field {name}",
            other.go_type()
        ))),
    }
}

fn index_value(base: Value, index: Value) -> Result<Value, ExprError> {
    match (base, index) {
        (Value::Array(items), Value::Int(i)) => {
            let len = items.len() as i64;
            let at = if i < 0 { i + len } else { i };
            if at < 0 || at >= len {
                return Err(ExprError::new(format!(
                    "index out of range: {i} (array length is {len})"
                )));
            }
            Ok(items[at as usize].clone())
        }
        (Value::Map(m), Value::Str(k)) => Ok(m.get(&k).cloned().unwrap_or(Value::Nil)),
        (Value::Str(s), Value::Int(i)) => {
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let at = if i < 0 { i + len } else { i };
            if at < 0 || at >= len {
                return Err(ExprError::new(format!(
                    "index out of range: {i} (string length is {len})"
                )));
            }
            Ok(Value::Str(chars[at as usize].to_string()))
        }
        (Value::Nil, _) => Err(ExprError::new("cannot index <nil>")),
        (base, index) => Err(ExprError::new(format!(
            "cannot index {} with {}",
            base.go_type(),
            index.go_type()
        ))),
    }
}

fn arity(name: &str, args: &[Node], n: usize) -> Result<(), ExprError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(ExprError::new(format!(
            "{name}: expected {n} argument{}, got {}",
            if n == 1 { "" } else { "s" },
            args.len()
        )))
    }
}

fn call(
    name: &str,
    args: &[Node],
    result: &Value,
    elem: Option<&Value>,
) -> Result<Value, ExprError> {
    match name {
        "all" | "any" | "none" | "one" | "filter" | "map" | "count" => {
            arity(name, args, 2)?;
            let items = match eval(&args[0], result, elem)? {
                Value::Array(items) => items,
                Value::Nil => Vec::new(),
                other => {
                    return Err(ExprError::new(format!(
                        "{name}: cannot iterate over {}",
                        other.go_type()
                    )));
                }
            };
            predicate(name, &items, &args[1], result)
        }
        "isNil" => {
            // Rollouts' isNil ignores its argument and looks at the whole result.
            arity(name, args, 1)?;
            Ok(Value::Bool(matches!(result, Value::Nil)))
        }
        "default" => {
            // Rollouts' default(x, d) ignores x: d when the result is nil, else the result.
            arity(name, args, 2)?;
            if matches!(result, Value::Nil) {
                eval(&args[1], result, elem)
            } else {
                Ok(result.clone())
            }
        }
        _ => {
            arity(
                name,
                args,
                if matches!(name, "min" | "max") {
                    args.len().max(1)
                } else {
                    1
                },
            )?;
            let values = args
                .iter()
                .map(|a| eval(a, result, elem))
                .collect::<Result<Vec<_>, _>>()?;
            simple(name, values)
        }
    }
}

fn predicate(name: &str, items: &[Value], body: &Node, result: &Value) -> Result<Value, ExprError> {
    let test = |item: &Value| -> Result<bool, ExprError> {
        match eval(body, result, Some(item))? {
            Value::Bool(b) => Ok(b),
            other => Err(ExprError::new(format!(
                "{name}: the predicate returned {}, not bool",
                other.go_type()
            ))),
        }
    };
    match name {
        "all" => {
            for item in items {
                if !test(item)? {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        "any" => {
            for item in items {
                if test(item)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "none" => {
            for item in items {
                if test(item)? {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        "one" | "count" => {
            let mut n = 0i64;
            for item in items {
                n += i64::from(test(item)?);
            }
            Ok(if name == "one" {
                Value::Bool(n == 1)
            } else {
                Value::Int(n)
            })
        }
        "filter" => {
            let mut out = Vec::new();
            for item in items {
                if test(item)? {
                    out.push(item.clone());
                }
            }
            Ok(Value::Array(out))
        }
        _ => {
            let mut out = Vec::with_capacity(items.len().min(MAX_ITEMS));
            for item in items {
                out.push(eval(body, result, Some(item))?);
            }
            Ok(Value::Array(out))
        }
    }
}

fn simple(name: &str, mut values: Vec<Value>) -> Result<Value, ExprError> {
    let first = values.first().cloned().unwrap_or(Value::Nil);
    match name {
        "len" => match &first {
            Value::Array(a) => Ok(Value::Int(a.len() as i64)),
            Value::Map(m) => Ok(Value::Int(m.len() as i64)),
            Value::Str(s) => Ok(Value::Int(s.chars().count() as i64)),
            other => Err(ExprError::new(format!(
                "invalid argument for len (type {})",
                other.go_type()
            ))),
        },
        "isNaN" => match &first {
            Value::Float(f) => Ok(Value::Bool(f.is_nan())),
            other => Err(ExprError::new(format!(
                "isNaN: cannot use {} as argument (type float64)",
                other.go_type()
            ))),
        },
        "isInf" => is_inf(&first).map(Value::Bool),
        "asInt" => as_int(&first).map(Value::Int),
        "asFloat" => as_float(&first).map(Value::Float),
        "abs" => match first {
            Value::Int(i) => Ok(Value::Int(i.abs())),
            Value::Float(f) => Ok(Value::Float(f.abs())),
            other => Err(ExprError::new(format!(
                "invalid argument for abs (type {})",
                other.go_type()
            ))),
        },
        "sum" => match first {
            Value::Array(items) => {
                let mut acc = Value::Int(0);
                for item in items {
                    acc = arithmetic(BinOp::Add, acc, item)?;
                }
                Ok(acc)
            }
            other => Err(ExprError::new(format!(
                "invalid argument for sum (type {})",
                other.go_type()
            ))),
        },
        _ => {
            // min / max over the arguments, or over one array argument.
            if let [Value::Array(items)] = values.as_slice() {
                values = items.clone();
            }
            let mut best: Option<Value> = None;
            for v in values {
                if num(&v).is_none() {
                    return Err(ExprError::new(format!(
                        "invalid argument for {name} (type {})",
                        v.go_type()
                    )));
                }
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let (x, y) = (num(&b).unwrap_or(f64::NAN), num(&v).unwrap_or(f64::NAN));
                        if (name == "min" && y < x) || (name == "max" && y > x) {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.ok_or_else(|| ExprError::new(format!("{name}: no values")))
        }
    }
}

pub(super) fn as_int(v: &Value) -> Result<i64, ExprError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.is_finite() => Ok(f.trunc() as i64),
        Value::Str(s) => s.trim().parse::<i64>().map_err(|_| {
            ExprError::new(format!("strconv.ParseInt: parsing {s:?}: invalid syntax"))
        }),
        other => Err(ExprError::new(format!(
            "asInt: cannot convert {} to int",
            other.go_type()
        ))),
    }
}

pub(super) fn as_float(v: &Value) -> Result<f64, ExprError> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        Value::Str(s) => parse_go_float(s).ok_or_else(|| {
            ExprError::new(format!("strconv.ParseFloat: parsing {s:?}: invalid syntax"))
        }),
        other => Err(ExprError::new(format!(
            "asFloat: cannot convert {} to float64",
            other.go_type()
        ))),
    }
}

/// A float as Go's `strconv.ParseFloat` reads the usual forms (`1.5`, `1e3`, `NaN`, `+Inf`).
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    match s {
        "NaN" | "nan" => Some(f64::NAN),
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ if s
            .chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            None
        }
        _ => s.parse().ok(),
    }
}

pub(super) fn is_inf(v: &Value) -> Result<bool, ExprError> {
    match v {
        Value::Float(f) => Ok(f.is_infinite()),
        Value::Int(_) => Ok(false),
        other => Err(ExprError::new(format!(
            "isInf: cannot use {} as float64",
            other.go_type()
        ))),
    }
}
