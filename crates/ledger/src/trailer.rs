//! The `Ferry-Rollback:` trailer: a commit that rolls an environment back names the deployment
//! it rolled back in the last paragraph of its message. `ferry-rollback` writes it (and never
//! rolls back a rollback); `ferry status` and `ferry metrics` read it.

/// The commit-message trailer that marks a rollback commit; its value is the commit (hex) of
/// the deployment that was rolled back.
pub const ROLLBACK_TRAILER: &str = "Ferry-Rollback";

/// The value of the last [`ROLLBACK_TRAILER`] in the trailer block (the last paragraph) of a
/// commit message, trimmed; keys compare case-insensitively, as git does.
pub fn rollback_trailer(message: &str) -> Option<&str> {
    let (_, last) = message.trim_end().rsplit_once("\n\n")?;
    last.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(ROLLBACK_TRAILER)
                .then_some(value.trim())
        })
        .rfind(|v| !v.is_empty())
}

/// The trailer line for a rollback of `failed_commit`.
pub fn trailer_line(failed_commit: &str) -> String {
    format!("{ROLLBACK_TRAILER}: {failed_commit}")
}
