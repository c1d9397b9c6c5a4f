//! Lexer and parser of the expression subset (see the parent module for what is supported).

use super::ExprError;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An identifier (`result`).
    Name(String),
    /// `#`: the element inside a predicate.
    Pointer,
    Array(Vec<Node>),
    Unary(UnOp, Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    /// `a.b` (a map's field).
    Member(Box<Node>, String),
    /// `a[i]`.
    Index(Box<Node>, Box<Node>),
    /// A built-in function call.
    Call(String, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnOp {
    Not,
    Neg,
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinOp {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Or => "||",
            Self::And => "&&",
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "in",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Mod => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
    /// Punctuation and operators.
    Op(&'static str),
}

/// Longest first, so `<=` wins over `<`.
const OPS: &[&str] = &[
    "||", "&&", "==", "!=", "<=", ">=", "**", "??", "?.", "..", "<", ">", "!", "+", "-", "*", "/",
    "%", "(", ")", "[", "]", "{", "}", ",", ".", "#", "?", ":",
];

/// The longest expression accepted, in bytes.
const MAX_LEN: usize = 4096;
/// The deepest nesting accepted.
const MAX_DEPTH: usize = 64;

fn lex(src: &str) -> Result<Vec<Tok>, ExprError> {
    if src.len() > MAX_LEN {
        return Err(ExprError::new(format!(
            "expression longer than {MAX_LEN} bytes"
        )));
    }
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            let mut float = false;
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                float = true;
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii_digit() {
                    float = true;
                    i = j;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = src[start..i].chars().filter(|c| *c != '_').collect();
            out.push(if float {
                Tok::Float(
                    text.parse()
                        .map_err(|_| ExprError::new(format!("bad number {text}")))?,
                )
            } else {
                Tok::Int(
                    text.parse()
                        .map_err(|_| ExprError::new(format!("integer {text} out of range")))?,
                )
            });
        } else if c == b'"' || c == b'\'' {
            let quote = c;
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&b) = bytes.get(i) else {
                    return Err(ExprError::new("literal not terminated"));
                };
                if b == quote {
                    i += 1;
                    break;
                }
                if b == b'\\' {
                    let Some(&e) = bytes.get(i + 1) else {
                        return Err(ExprError::new("literal not terminated"));
                    };
                    s.push(match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'\\' => '\\',
                        b'"' => '"',
                        b'\'' => '\'',
                        other => {
                            return Err(ExprError::new(format!(
                                "unsupported escape \\{}",
                                other as char
                            )));
                        }
                    });
                    i += 2;
                    continue;
                }
                let ch = src[i..].chars().next().expect("a char at a char boundary");
                s.push(ch);
                i += ch.len_utf8();
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            out.push(Tok::Ident(src[start..i].to_owned()));
        } else if let Some(op) = OPS.iter().find(|op| src[i..].starts_with(**op)) {
            out.push(Tok::Op(op));
            i += op.len();
        } else {
            let ch = src[i..].chars().next().expect("a char at a char boundary");
            return Err(ExprError::new(format!("unexpected token {ch:?}")));
        }
    }
    Ok(out)
}

/// Parses `src` into a tree; names other than `result` (and calls of unknown functions) are
/// refused here, as expr's compiler refuses them.
pub(super) fn parse(src: &str) -> Result<Node, ExprError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        predicate: 0,
    };
    let node = p.expr()?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(ExprError::new(format!("unexpected token {}", describe(t))));
    }
    Ok(node)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(i) => i.to_string(),
        Tok::Float(f) => f.to_string(),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Ident(s) => s.clone(),
        Tok::Op(o) => (*o).to_owned(),
    }
}

/// Functions whose second argument is a predicate over `#`.
const PREDICATE_FUNCTIONS: &[&str] = &["all", "any", "none", "one", "filter", "map", "count"];
/// Every function the evaluator knows.
pub(super) const FUNCTIONS: &[&str] = &[
    "all", "any", "none", "one", "filter", "map", "count", "len", "sum", "min", "max", "abs",
    "isNaN", "isInf", "asInt", "asFloat", "isNil", "default",
];

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    /// How many predicates enclose the current position (`#` is valid inside one).
    predicate: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ExprError> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(ExprError::new(match self.peek() {
                Some(t) => format!("expected {op}, found {}", describe(t)),
                None => format!("expected {op}, found the end of the expression"),
            }))
        }
    }

    fn expr(&mut self) -> Result<Node, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new("expression nested too deeply"));
        }
        let node = self.or()?;
        if matches!(self.peek(), Some(Tok::Op("?" | "??" | "?." | "**" | ".."))) {
            let Some(Tok::Op(op)) = self.peek() else {
                unreachable!("matched above")
            };
            return Err(ExprError::new(format!(
                "operator {op} is not supported by Ferry's expression subset"
            )));
        }
        self.depth -= 1;
        Ok(node)
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut left = self.and()?;
        while self.eat_op("||") || self.eat_word("or") {
            let right = self.and()?;
            left = Node::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut left = self.comparison()?;
        while self.eat_op("&&") || self.eat_word("and") {
            let right = self.comparison()?;
            left = Node::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Node, ExprError> {
        let mut left = self.additive()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("==")) => BinOp::Eq,
                Some(Tok::Op("!=")) => BinOp::Ne,
                Some(Tok::Op("<")) => BinOp::Lt,
                Some(Tok::Op("<=")) => BinOp::Le,
                Some(Tok::Op(">")) => BinOp::Gt,
                Some(Tok::Op(">=")) => BinOp::Ge,
                Some(Tok::Ident(w)) if w == "in" => BinOp::In,
                Some(Tok::Ident(w))
                    if matches!(
                        w.as_str(),
                        "matches" | "contains" | "startsWith" | "endsWith" | "not"
                    ) =>
                {
                    return Err(ExprError::new(format!(
                        "operator {w} is not supported by Ferry's expression subset"
                    )));
                }
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.additive()?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn additive(&mut self) -> Result<Node, ExprError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.eat_op("+") {
                BinOp::Add
            } else if self.eat_op("-") {
                BinOp::Sub
            } else {
                return Ok(left);
            };
            let right = self.multiplicative()?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Node, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_op("*") {
                BinOp::Mul
            } else if self.eat_op("/") {
                BinOp::Div
            } else if self.eat_op("%") {
                BinOp::Mod
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        let op = if self.eat_op("!") || self.eat_word("not") {
            UnOp::Not
        } else if self.eat_op("-") {
            UnOp::Neg
        } else if self.eat_op("+") {
            UnOp::Plus
        } else {
            return self.postfix();
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new("expression nested too deeply"));
        }
        let operand = self.unary()?;
        self.depth -= 1;
        Ok(Node::Unary(op, Box::new(operand)))
    }

    fn postfix(&mut self) -> Result<Node, ExprError> {
        let mut node = self.primary()?;
        loop {
            if self.eat_op(".") {
                let Some(Tok::Ident(name)) = self.peek().cloned() else {
                    return Err(ExprError::new("expected a field name after ."));
                };
                self.pos += 1;
                if matches!(self.peek(), Some(Tok::Op("("))) {
                    return Err(ExprError::new(format!(
                        "method {name}() is not supported by Ferry's expression subset"
                    )));
                }
                node = Node::Member(Box::new(node), name);
            } else if self.eat_op("[") {
                let index = self.expr()?;
                if matches!(self.peek(), Some(Tok::Op(":"))) {
                    return Err(ExprError::new(
                        "slices are not supported by Ferry's expression subset",
                    ));
                }
                self.expect_op("]")?;
                node = Node::Index(Box::new(node), Box::new(index));
            } else {
                return Ok(node);
            }
        }
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let Some(tok) = self.peek().cloned() else {
            return Err(ExprError::new("unexpected end of the expression"));
        };
        self.pos += 1;
        match tok {
            Tok::Int(i) => Ok(Node::Int(i)),
            Tok::Float(f) => Ok(Node::Float(f)),
            Tok::Str(s) => Ok(Node::Str(s)),
            Tok::Op("(") => {
                let node = self.expr()?;
                self.expect_op(")")?;
                Ok(node)
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                if !self.eat_op("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat_op("]") {
                            break;
                        }
                        self.expect_op(",")?;
                    }
                }
                Ok(Node::Array(items))
            }
            Tok::Op("#") if self.predicate > 0 => Ok(Node::Pointer),
            Tok::Op("#") => Err(ExprError::new("# is only valid inside a predicate")),
            Tok::Ident(name) => match name.as_str() {
                "true" => Ok(Node::Bool(true)),
                "false" => Ok(Node::Bool(false)),
                "nil" => Ok(Node::Nil),
                _ if self.eat_op("(") => self.call(name),
                "result" => Ok(Node::Name(name)),
                _ => Err(ExprError::new(format!("unknown name {name}"))),
            },
            Tok::Op(op) => Err(ExprError::new(format!("unexpected token {op}"))),
        }
    }

    /// A call of `name`; the opening parenthesis is consumed.
    fn call(&mut self, name: String) -> Result<Node, ExprError> {
        if !FUNCTIONS.contains(&name.as_str()) {
            return Err(ExprError::new(if name == "result" {
                "result is not a function".to_owned()
            } else {
                format!("unknown name {name}")
            }));
        }
        let mut args = Vec::new();
        if !self.eat_op(")") {
            loop {
                let predicate = args.len() == 1 && PREDICATE_FUNCTIONS.contains(&name.as_str());
                if predicate {
                    self.predicate += 1;
                    let braced = self.eat_op("{");
                    args.push(self.expr()?);
                    if braced {
                        self.expect_op("}")?;
                    }
                    self.predicate -= 1;
                } else {
                    args.push(self.expr()?);
                }
                if self.eat_op(")") {
                    break;
                }
                self.expect_op(",")?;
            }
        }
        Ok(Node::Call(name, args))
    }
}
