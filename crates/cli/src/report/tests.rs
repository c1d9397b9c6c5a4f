use super::*;

/// An error whose message includes its source's, as `#[error("{path}: {source}")]` makes it.
#[derive(Debug)]
struct Outer {
    source: std::io::Error,
}

impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot open ferry.toml: {}", self.source)
    }
}

impl Error for Outer {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

#[test]
fn a_cause_already_in_the_message_is_printed_once() {
    let not_found = || std::io::Error::other("Could not find a git repository in '.' or above");
    let repeated = anyhow::Error::new(not_found()).context(not_found().to_string());
    assert_eq!(
        error_chain(repeated.as_ref()),
        "Could not find a git repository in '.' or above"
    );
    let embedded = anyhow::Error::new(Outer {
        source: not_found(),
    })
    .context("cannot load the ledger");
    assert_eq!(
        error_chain(embedded.as_ref()),
        "cannot load the ledger: cannot open ferry.toml: Could not find a git repository in '.' \
         or above"
    );
    // Distinct causes all stay, in order.
    let distinct = anyhow::Error::new(std::io::Error::other("connection refused"))
        .context("cannot fetch origin")
        .context("cannot sync with the forge");
    assert_eq!(
        error_chain(distinct.as_ref()),
        "cannot sync with the forge: cannot fetch origin: connection refused"
    );
}

#[test]
fn kinds_have_unique_names_and_their_exit_codes() {
    let names: std::collections::BTreeSet<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), ErrorKind::ALL.len());
    assert_eq!(ErrorKind::Usage.exit_code(), 2);
    assert_eq!(ErrorKind::BadInput.exit_code(), 2);
    assert_eq!(ErrorKind::Refused.exit_code(), 1);
    assert_eq!(ErrorKind::NotFound.exit_code(), 1);
    assert_eq!(ErrorKind::Git.exit_code(), 3);
    for kind in ErrorKind::ALL {
        assert!((1..=3).contains(&kind.exit_code()), "{kind}");
    }
}

/// Every kind is documented in docs/cli.md with its exit code.
#[test]
fn every_kind_is_documented() {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md"),
    )
    .expect("docs/cli.md");
    for kind in ErrorKind::ALL {
        let row = format!("| `{}` | {} |", kind.name(), kind.exit_code());
        assert!(docs.contains(&row), "docs/cli.md lacks the row {row}");
    }
}

#[test]
fn the_json_report_has_kind_exit_code_message_and_fields() {
    let failure = Failure::new(ErrorKind::BadInput, "kustomization.yaml:3:5: bad")
        .with("file", "kustomization.yaml")
        .with("line", 3);
    assert_eq!(
        failure.to_json(),
        json!({"error": {"kind": "bad-input", "exit_code": 2,
            "message": "kustomization.yaml:3:5: bad", "file": "kustomization.yaml", "line": 3}})
    );
}

/// A writer whose reader has gone.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_broken_pipe_anywhere_in_the_chain_is_recognised() {
    let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        .context("cannot write to stdout");
    assert!(is_broken_pipe(pipe.as_ref()));
    let json = serde_json::to_writer(ClosedPipe, &json!({"a": 1})).unwrap_err();
    assert!(is_broken_pipe(&json));
    let other = anyhow::anyhow!("Broken pipe, said someone");
    assert!(!is_broken_pipe(other.as_ref()));
    assert!(is_broken_pipe_panic(
        "failed printing to stdout: Broken pipe (os error 32)"
    ));
    assert!(!is_broken_pipe_panic("index out of bounds"));
}

#[test]
fn json_is_requested_by_either_spelling_before_a_double_dash() {
    let ask = |args: &[&str]| json_in_args(args.iter().map(OsString::from));
    assert!(ask(&["pr", "open", "--format", "json"]));
    assert!(ask(&["--format=json", "ledger"]));
    assert!(!ask(&["--format", "text"]));
    assert!(!ask(&["--format=json", "--format", "text"]));
    assert!(!ask(&["--", "--format", "json"]));
    assert!(!ask(&["validate"]));
}

#[derive(Debug, clap::Parser)]
struct Cli {
    #[arg(long)]
    env: String,
    #[arg(long)]
    format: Option<String>,
}

#[test]
fn a_refused_command_line_is_a_usage_failure() {
    use clap::Parser as _;
    let error = Cli::try_parse_from(["x", "--format", "json"]).unwrap_err();
    let failure = usage_failure(&error).expect("a usage failure");
    assert_eq!(failure.kind, ErrorKind::Usage);
    assert_eq!(
        failure.message,
        "the following required arguments were not provided: --env <ENV>"
    );
    assert_eq!(error.exit_code(), 2);
    let help = Cli::try_parse_from(["x", "--help"]).unwrap_err();
    assert!(usage_failure(&help).is_none());
    assert_eq!(help.exit_code(), 0);
}
