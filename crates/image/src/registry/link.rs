//! Tag list paging: `Link` headers and `last` query values.

/// The target of a `rel="next"` entry of a `Link` header value.
pub(super) fn next_link(value: &str) -> Option<String> {
    value.split(',').find_map(|entry| {
        let (target, params) = entry.trim().split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

/// `link` as an absolute URL on `base` (`scheme://host`), or `None` when it points elsewhere.
pub(super) fn same_registry_url(base: &str, link: &str) -> Option<String> {
    if link.starts_with('/') {
        return Some(format!("{base}{link}"));
    }
    let rest = link.strip_prefix(base)?;
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then(|| link.to_owned())
}

/// Percent-encodes a tag for a query string (tags are `[\w][\w.-]*`, so little is needed).
pub(super) fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_found_among_link_values() {
        assert_eq!(
            next_link(r#"</v2/a/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert_eq!(
            next_link(
                r#"<https://x.io/prev>; rel="prev", <https://x.io/v2/a/tags/list?last=c>; rel=next"#
            )
            .as_deref(),
            Some("https://x.io/v2/a/tags/list?last=c")
        );
        assert_eq!(next_link(r#"<https://x.io/prev>; rel="prev""#), None);
    }

    #[test]
    fn links_must_stay_on_the_registry() {
        let base = "https://x.io";
        assert_eq!(
            same_registry_url(base, "/v2/t").as_deref(),
            Some("https://x.io/v2/t")
        );
        assert_eq!(
            same_registry_url(base, "https://x.io/v2/t").as_deref(),
            Some("https://x.io/v2/t")
        );
        assert_eq!(same_registry_url(base, "https://x.io.evil/v2/t"), None);
        assert_eq!(same_registry_url(base, "http://x.io/v2/t"), None);
    }

    #[test]
    fn tags_are_query_encoded() {
        assert_eq!(encode_query("v1.2_3-x"), "v1.2_3-x");
        assert_eq!(encode_query("a+b"), "a%2Bb");
    }
}
