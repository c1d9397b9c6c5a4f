//! The checks of values Ferry hands to git, whatever their source (`ferry.toml` or a flag):
//! a remote and a branch name must never reach git as an option or a command.

/// Checks a remote (a remote name, or a URL or path git can push to) before it is handed to
/// git. `Err` says why it is refused:
///
/// - empty, or with leading or trailing whitespace;
/// - starting with `-` (git would read it as an option such as `--upload-pack=…`);
/// - holding a control character (a NUL or a newline);
/// - the `ext::` and `fd::` transports, which run a command or use a file descriptor.
///
/// The one check of every remote: `[forge.git] remote` in `ferry.toml` and `--remote`.
pub fn check_remote(remote: &str) -> Result<(), &'static str> {
    if remote.trim().is_empty() {
        return Err("it is empty");
    }
    if remote.trim() != remote {
        return Err("it starts or ends with whitespace");
    }
    if remote.starts_with('-') {
        return Err("it starts with `-`, so git would read it as an option");
    }
    if remote.chars().any(char::is_control) {
        return Err("it contains a control character");
    }
    let transport = remote.split_once("::").map(|(t, _)| t.to_ascii_lowercase());
    if matches!(transport.as_deref(), Some("ext" | "fd")) {
        return Err("the `ext::` and `fd::` transports run commands; give a URL or path");
    }
    Ok(())
}

/// Checks a branch name (`[forge] base-branch` or `--base`): a valid git ref part that does not
/// start with `-`, `/` or `.`.
pub fn check_branch(branch: &str) -> Result<(), &'static str> {
    crate::validate::check_ref_part(branch, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_that_git_would_run_or_misread_are_refused() {
        for bad in [
            "",
            " origin",
            "--upload-pack=touch /tmp/PWNED",
            "-oProxyCommand=x",
            "origin\n--upload-pack=x",
            "ext::sh -c touch% /tmp/PWNED",
            "EXT::sh",
            "fd::3",
        ] {
            assert!(check_remote(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "origin",
            "../origin.git",
            "/srv/git/x.git",
            "https://bot:tok@git.example.com/acme/gitops.git",
            "git@github.com:acme/gitops.git",
            "ssh://git@host:22/x",
            "codecommit::eu-west-1://repo",
        ] {
            assert_eq!(check_remote(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn branches_are_ref_parts() {
        assert!(check_branch("main").is_ok());
        assert!(check_branch("--upload-pack=touch /tmp/PWNED").is_err());
        assert!(check_branch("").is_err());
    }
}
