//! The `--http` spec: `URL[,status=200|204][,body=REGEX][,json=/POINTER=VALUE][,header=NAME:VALUE][,timeout=10s]`.

use anyhow::{Context, Result, bail};
use ferry_config::parse_duration;
use ferry_health::probe::http::{HttpSpec, JsonCheck};

/// The options a spec takes after its URL.
const KEYS: [&str; 5] = ["status", "body", "json", "header", "timeout"];

/// What a piece after a comma is.
enum Piece<'a> {
    /// A known option.
    Option,
    /// `key=` with a key that is not an option.
    Unknown(&'a str),
    /// Anything else: more of the value before it.
    Text,
}

fn piece(text: &str) -> Piece<'_> {
    let Some((key, _)) = text.split_once('=') else {
        return Piece::Text;
    };
    if KEYS.contains(&key) {
        Piece::Option
    } else if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Piece::Unknown(key)
    } else {
        Piece::Text
    }
}

/// The known option closest to `key`, when it is close enough to be a typo.
fn suggestion(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    KEYS.iter()
        .map(|k| (strsim::levenshtein(&key, k), *k))
        .filter(|(d, k)| {
            *d <= 1
                || (*d <= 2 && key.len() >= 5)
                || (key.len() >= 4 && (key.starts_with(k) || k.starts_with(key.as_str())))
        })
        .min()
        .map(|(_, k)| k)
}

fn unknown(text: &str, key: &str) -> anyhow::Error {
    match suggestion(key) {
        Some(k) => anyhow::anyhow!("--http {text}: unknown option `{key}`; did you mean `{k}`?"),
        None => anyhow::anyhow!(
            "--http {text}: unknown option `{key}` (options: {}); write a comma inside the URL's \
             path as %2C",
            KEYS.join(", ")
        ),
    }
}

/// Parses an `--http` spec. A comma starts a new option when a known `key=` follows it. A
/// `key=` close to a known key (`statuz=`) is an error with a suggestion, and so is any other
/// `key=` after the URL's path; in a query (`?a=1,b=2`) or a body regex, other commas are kept.
pub fn parse_http(text: &str) -> Result<HttpSpec> {
    let mut parts: Vec<String> = Vec::new();
    for (i, p) in text.split(',').enumerate() {
        let kind = if i == 0 { Piece::Option } else { piece(p) };
        let in_url = parts.len() == 1;
        match (kind, parts.last_mut()) {
            (Piece::Option, _) | (_, None) => parts.push(p.to_string()),
            (Piece::Unknown(key), Some(last)) => {
                if suggestion(key).is_some() || (in_url && !last.contains('?')) {
                    return Err(unknown(text, key));
                }
                last.push(',');
                last.push_str(p);
            }
            (Piece::Text, Some(last)) => {
                last.push(',');
                last.push_str(p);
            }
        }
    }
    let mut parts = parts.into_iter();
    let url = parts.next().unwrap_or_default();
    let mut spec = HttpSpec::new(url);
    for part in parts {
        let (key, value) = part.split_once('=').unwrap_or((&part, ""));
        match key {
            "status" => {
                for code in value.split('|') {
                    let code: u16 = code
                        .parse()
                        .ok()
                        .filter(|c| (100..600).contains(c))
                        .with_context(|| format!("--http {text}: invalid status code {code:?}"))?;
                    spec.expected_status.push(code);
                }
            }
            "body" => {
                let re = regex::Regex::new(value)
                    .with_context(|| format!("--http {text}: invalid body regex"))?;
                spec.body = Some(re);
            }
            "json" => {
                let (pointer, expected) = value
                    .split_once('=')
                    .with_context(|| format!("--http {text}: json= takes /POINTER=VALUE"))?;
                if !pointer.starts_with('/') {
                    bail!("--http {text}: the JSON pointer must start with /");
                }
                let expected = serde_json::from_str(expected)
                    .unwrap_or_else(|_| serde_json::Value::String(expected.to_string()));
                spec.json = Some(JsonCheck {
                    pointer: pointer.to_string(),
                    expected,
                });
            }
            "header" => {
                let (name, value) = value
                    .split_once(':')
                    .with_context(|| format!("--http {text}: header= takes NAME:VALUE"))?;
                spec.headers
                    .push((name.trim().to_string(), value.trim().to_string()));
            }
            "timeout" => {
                spec.timeout = parse_duration(value).with_context(|| format!("--http {text}"))?;
            }
            _ => unreachable!("only known keys start a part"),
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn http_specs() {
        let spec = parse_http("https://app.example.com/healthz?a=1,b=2,status=200|204,body=ok|fine,x,timeout=2s,header=X-Probe: ferry,json=/status=\"UP\"").unwrap();
        assert_eq!(spec.url, "https://app.example.com/healthz?a=1,b=2");
        assert_eq!(spec.expected_status, [200, 204]);
        assert_eq!(spec.body.unwrap().as_str(), "ok|fine,x");
        assert_eq!(spec.timeout, Duration::from_secs(2));
        assert_eq!(spec.headers, [("X-Probe".to_string(), "ferry".to_string())]);
        let json = spec.json.unwrap();
        assert_eq!(
            (json.pointer.as_str(), json.expected),
            ("/status", serde_json::json!("UP"))
        );
        assert_eq!(
            parse_http("http://x/,json=/n=3")
                .unwrap()
                .json
                .unwrap()
                .expected,
            serde_json::json!(3)
        );
        assert!(parse_http("http://x/,status=abc").is_err());
        assert!(parse_http("http://x/,body=(").is_err());
        assert!(parse_http("http://x/,json=status").is_err());
        assert!(parse_http("http://x/,header=novalue").is_err());
    }

    #[test]
    fn unknown_options_are_errors_not_part_of_the_url() {
        let e = parse_http("http://127.0.0.1:8080/healthz,statuz=200").unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown option `statuz`; did you mean `status`?"),
            "{e}"
        );
        let e = parse_http("http://x/healthz?a=1,stauts=200").unwrap_err();
        assert!(e.to_string().contains("did you mean `status`"), "{e}");
        let e = parse_http("http://x/healthz,status=200,timout=2s").unwrap_err();
        assert!(e.to_string().contains("did you mean `timeout`"), "{e}");
        let e = parse_http("http://x/healthz,retries=2").unwrap_err();
        assert!(e.to_string().contains("unknown option `retries`"), "{e}");
        // Query parameters keep their commas.
        let spec = parse_http("http://x/healthz?a=1,zone=eu").unwrap();
        assert_eq!(spec.url, "http://x/healthz?a=1,zone=eu");
    }
}
