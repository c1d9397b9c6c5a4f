//! A finding: the rule it breaks, where, and what to do.

use serde::Serialize;

/// The rules `ferry-lint` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Every check the base branch requires is produced for a pull request that changes only
    /// an overlay, or GitOps pull requests wait forever.
    RequiredCheckParity,
    /// Overlay-only changes start no image build; code changes do not skip tests.
    PathFilters,
    /// A pull request that must trigger checks is opened with an App token, not
    /// `GITHUB_TOKEN` (whose pull requests and pushes start no workflow).
    AppToken,
    /// A job's `permissions:` cover what its `ferry` steps do and grant no write they do not
    /// need.
    Permissions,
    /// A job that deploys has a concurrency group and does not cancel a run in progress.
    DeployConcurrency,
    /// Environment and image names of `ferry` steps exist in `ferry.toml`.
    KnownNames,
}

impl Rule {
    /// Every rule, in the order the docs list them.
    pub const ALL: [Rule; 6] = [
        Rule::RequiredCheckParity,
        Rule::PathFilters,
        Rule::AppToken,
        Rule::Permissions,
        Rule::DeployConcurrency,
        Rule::KnownNames,
    ];

    /// The rule's name, as printed and in JSON (`required-check-parity`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::RequiredCheckParity => "required-check-parity",
            Rule::PathFilters => "path-filters",
            Rule::AppToken => "app-token",
            Rule::Permissions => "permissions",
            Rule::DeployConcurrency => "deploy-concurrency",
            Rule::KnownNames => "known-names",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One violation of a rule, at a place in a file of the repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The file, relative to the repository root, `/`-separated.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong and what to do.
    pub message: String,
}

impl Finding {
    /// The GitHub Actions workflow command that shows this finding on the file:
    /// `::error file=F,line=L,col=C,title=ferry-lint RULE::MESSAGE` (properties and message
    /// escaped as the runner expects).
    pub fn annotation(&self) -> String {
        format!(
            "::error file={},line={},col={},title={}::{}",
            escape_property(&self.file),
            self.line,
            self.column,
            escape_property(&format!("ferry-lint {}", self.rule)),
            escape_data(&self.message)
        )
    }
}

impl std::fmt::Display for Finding {
    /// `FILE:LINE:COLUMN: RULE: MESSAGE`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.rule, self.message
        )
    }
}

/// The runner's escaping of a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The runner's escaping of a workflow command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_a_finding_as_text_and_as_an_escaped_annotation() {
        let finding = Finding {
            file: ".github/workflows/a,b.yml".into(),
            line: 3,
            column: 7,
            rule: Rule::AppToken,
            message: "100% wrong: line one\nline two".into(),
        };
        assert_eq!(
            finding.to_string(),
            ".github/workflows/a,b.yml:3:7: app-token: 100% wrong: line one\nline two"
        );
        assert_eq!(
            finding.annotation(),
            "::error file=.github/workflows/a%2Cb.yml,line=3,col=7,title=ferry-lint app-token::100%25 wrong: line one%0Aline two"
        );
    }
}
