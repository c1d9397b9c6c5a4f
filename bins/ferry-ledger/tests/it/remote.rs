//! Break 2 of issue 12: a hostile `--remote` of `mark-verified` never reaches git as an option
//! or a command; it is refused as bad input (exit 2) before anything runs.

#[test]
fn hostile_remotes_are_refused_and_never_run() {
    ferry_test_support::git::assert_hostile_remotes_refused(
        &assert_cmd::cargo::cargo_bin("ferry-ledger"),
        &["mark-verified", "--env", "dev"],
        &["--remote"],
    );
}
