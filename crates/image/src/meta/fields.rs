//! Splitting of metadata-action style input lines.
//!
//! Each `tags`, `flavor` and `images` line is one CSV record (comma separated, `"` quotes, `""`
//! inside quotes for a literal quote); each field is `key=value` or a bare value.

/// Splits one line into its CSV fields. Returns `Err` with a reason on malformed quoting.
pub(crate) fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut at_field_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(other) => {
                            return Err(format!("unexpected {other:?} after a closing quote"));
                        }
                    }
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            '"' => return Err("a quote inside an unquoted field".to_string()),
            ',' => {
                fields.push(std::mem::take(&mut cur));
                at_field_start = true;
            }
            _ => {
                cur.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed".to_string());
    }
    fields.push(cur);
    Ok(fields)
}

/// Splits a field at its first `=` into a trimmed key and value; a field without `=` is a bare
/// value (`Err`, trimmed).
pub(crate) fn split_field(field: &str) -> Result<(&str, &str), &str> {
    match field.split_once('=') {
        Some((k, v)) => Ok((k.trim(), v.trim())),
        None => Err(field.trim()),
    }
}

/// Turns a multi-line action input into its entries: one per line, trimmed, without empty lines
/// and lines starting with `#`.
pub fn input_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas() {
        assert_eq!(
            csv_fields(r#"type=match,"pattern=a,b",group=1"#).unwrap(),
            vec!["type=match", "pattern=a,b", "group=1"]
        );
        assert_eq!(csv_fields(r#""a""b""#).unwrap(), vec![r#"a"b"#]);
        assert!(csv_fields(r#"a"b"#).is_err());
        assert!(csv_fields(r#""ab"#).is_err());
    }

    #[test]
    fn input_lines_skip_comments_and_blanks() {
        assert_eq!(input_lines("a\n\n  # c\n b \n"), vec!["a", "b"]);
    }
}
