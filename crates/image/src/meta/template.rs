//! The subset of Handlebars that metadata-action expressions use: text and `{{name args k=v}}`
//! mustaches (also `{{{ }}}` unescaped and `{{! }}` comments). Block helpers and partials are
//! rejected with an error.

/// A value an expression produces or receives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// `undefined` / `null`.
    Undefined,
}

impl Value {
    /// The text Handlebars writes for the value (before escaping).
    pub(crate) fn render(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Num(n) => js_number(*n),
            Value::Bool(b) => b.to_string(),
            Value::Undefined => String::new(),
        }
    }
}

/// Formats a number as JavaScript's `String(n)` does for ordinary values.
pub(crate) fn js_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// What an expression can look up and call.
pub(crate) trait Scope {
    /// Calls (or looks up, when `params` and `hash` are empty) `name`. `Ok(None)` means the name
    /// is not known.
    fn call(
        &self,
        name: &str,
        params: &[Value],
        hash: &[(String, Value)],
    ) -> Result<Option<Value>, String>;
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Literal(Value),
    Path(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Mustache {
    name: String,
    params: Vec<Arg>,
    hash: Vec<(String, Arg)>,
    escape: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Mustache(Mustache),
    Comment,
}

fn parse(tpl: &str) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::new();
    let mut text = String::new();
    let mut rest = tpl;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\{{") {
            text.push_str("{{");
            rest = after;
            continue;
        }
        if !rest.starts_with("{{") {
            let c = rest.chars().next().unwrap_or_default();
            text.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if !text.is_empty() {
            nodes.push(Node::Text(std::mem::take(&mut text)));
        }
        let (node, after) = parse_mustache(rest)?;
        nodes.push(node);
        rest = after;
    }
    if !text.is_empty() {
        nodes.push(Node::Text(text));
    }
    Ok(nodes)
}

fn parse_mustache(s: &str) -> Result<(Node, &str), String> {
    if let Some(body) = s.strip_prefix("{{!--") {
        let end = body.find("--}}").ok_or("unclosed comment")?;
        return Ok((Node::Comment, &body[end + 4..]));
    }
    if let Some(body) = s.strip_prefix("{{!") {
        let end = body.find("}}").ok_or("unclosed comment")?;
        return Ok((Node::Comment, &body[end + 2..]));
    }
    let (escape, open, close) = if s.starts_with("{{{") {
        (false, 3, "}}}")
    } else {
        (true, 2, "}}")
    };
    let body = &s[open..];
    let end = find_close(body, close).ok_or_else(|| format!("unclosed {{{{ in {s:?}"))?;
    let inner = body[..end].trim();
    let inner = inner.strip_prefix('&').unwrap_or(inner).trim();
    if let Some(c) = inner.chars().next()
        && "#/^>~".contains(c)
    {
        return Err(format!("{{{{{c}...}}}} is not supported"));
    }
    let tokens = tokenize(inner)?;
    let mut it = tokens.into_iter();
    let name = match it.next() {
        Some(Token::Id(id)) => id,
        Some(Token::Lit(v)) => v.render(),
        _ => return Err("empty expression".to_string()),
    };
    let mut params = Vec::new();
    let mut hash = Vec::new();
    for tok in it {
        match tok {
            Token::Id(id) => params.push(Arg::Path(id)),
            Token::Lit(v) => params.push(Arg::Literal(v)),
            Token::Hash(k, v) => hash.push((k, v)),
        }
    }
    Ok((
        Node::Mustache(Mustache {
            name,
            params,
            hash,
            escape,
        }),
        &body[end + close.len()..],
    ))
}

/// Finds the closing braces, skipping quoted strings.
fn find_close(body: &str, close: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in body.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if body[i..].starts_with(close) => return Some(i),
            None => {}
        }
    }
    None
}

enum Token {
    Id(String),
    Lit(Value),
    Hash(String, Arg),
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let (arg, next) = read_arg(&chars, i)?;
        i = next;
        if let (Arg::Path(key), Some('=')) = (&arg, chars.get(i)) {
            let (value, next) = read_arg(&chars, i + 1)?;
            i = next;
            out.push(Token::Hash(key.clone(), value));
            continue;
        }
        out.push(match arg {
            Arg::Path(id) => Token::Id(id),
            Arg::Literal(v) => Token::Lit(v),
        });
    }
    Ok(out)
}

fn read_arg(chars: &[char], start: usize) -> Result<(Arg, usize), String> {
    let Some(&first) = chars.get(start) else {
        return Err("missing value after =".to_string());
    };
    if first == '\'' || first == '"' {
        let mut value = String::new();
        let mut i = start + 1;
        while i < chars.len() {
            if chars[i] == '\\' && chars.get(i + 1) == Some(&first) {
                value.push(first);
                i += 2;
                continue;
            }
            if chars[i] == first {
                return Ok((Arg::Literal(Value::Str(value)), i + 1));
            }
            value.push(chars[i]);
            i += 1;
        }
        return Err("unclosed string literal".to_string());
    }
    let mut i = start;
    while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
        if chars[i] == '\'' || chars[i] == '"' {
            return Err(format!("unexpected quote in expression at {}", i + 1));
        }
        i += 1;
    }
    let word: String = chars[start..i].iter().collect();
    if word.is_empty() {
        return Err("unexpected =".to_string());
    }
    let arg = match word.as_str() {
        "true" => Arg::Literal(Value::Bool(true)),
        "false" => Arg::Literal(Value::Bool(false)),
        "null" | "undefined" => Arg::Literal(Value::Undefined),
        w if is_number_literal(w) => Arg::Literal(Value::Num(w.parse().unwrap_or(0.0))),
        _ => Arg::Path(word),
    };
    Ok((arg, i))
}

fn is_number_literal(w: &str) -> bool {
    let digits = w.strip_prefix('-').unwrap_or(w);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
}

/// HTML-escapes the characters Handlebars escapes in `{{ }}` output.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `tpl` against `scope`.
pub(crate) fn render(tpl: &str, scope: &dyn Scope) -> Result<String, String> {
    let mut out = String::new();
    for node in parse(tpl)? {
        match node {
            Node::Text(t) => out.push_str(&t),
            Node::Comment => {}
            Node::Mustache(m) => {
                let eval = |a: &Arg| -> Result<Value, String> {
                    match a {
                        Arg::Literal(v) => Ok(v.clone()),
                        Arg::Path(p) => Ok(scope.call(p, &[], &[])?.unwrap_or(Value::Undefined)),
                    }
                };
                let params = m.params.iter().map(eval).collect::<Result<Vec<_>, _>>()?;
                let hash = m
                    .hash
                    .iter()
                    .map(|(k, a)| Ok((k.clone(), eval(a)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                let value = match scope.call(&m.name, &params, &hash)? {
                    Some(v) => v,
                    None if params.is_empty() && hash.is_empty() => Value::Undefined,
                    None => return Err(format!("missing helper: {:?}", m.name)),
                };
                let text = value.render();
                if m.escape {
                    out.push_str(&escape_html(&text));
                } else {
                    out.push_str(&text);
                }
            }
        }
    }
    Ok(out)
}

/// Whether `pattern` is exactly one `{{raw}}` expression (spaces allowed), as metadata-action's
/// `isRawStatement` decides.
pub fn is_raw_statement(pattern: &str) -> bool {
    match parse(pattern) {
        Ok(nodes) => matches!(nodes.as_slice(), [Node::Mustache(m)] if m.name == "raw"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S;
    impl Scope for S {
        fn call(
            &self,
            name: &str,
            params: &[Value],
            hash: &[(String, Value)],
        ) -> Result<Option<Value>, String> {
            Ok(match name {
                "x" => Some(Value::Str("a'b".into())),
                "echo" => Some(Value::Str(format!(
                    "{}|{}",
                    params
                        .iter()
                        .map(Value::render)
                        .collect::<Vec<_>>()
                        .join(","),
                    hash.iter()
                        .map(|(k, v)| format!("{k}={}", v.render()))
                        .collect::<Vec<_>>()
                        .join(",")
                ))),
                "n" => Some(Value::Num(3.0)),
                _ => None,
            })
        }
    }

    #[test]
    fn renders_helpers_params_hash_and_escapes() {
        assert_eq!(render("v{{x}}-{{{x}}}", &S).unwrap(), "va&#x27;b-a'b");
        assert_eq!(
            render("{{echo 'Y M' \"q\" 2 missing tz='Asia/Tokyo'}}", &S).unwrap(),
            "Y M,q,2,|tz&#x3D;Asia/Tokyo"
        );
        assert_eq!(render("{{ n }}{{nope}}{{! c }}", &S).unwrap(), "3");
        assert!(render("{{nope 'x'}}", &S).is_err());
        assert!(render("{{#if x}}y{{/if}}", &S).is_err());
        assert!(render("{{x", &S).is_err());
    }
}
