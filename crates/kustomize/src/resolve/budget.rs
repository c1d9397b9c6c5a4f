//! Per-run limits of a resolution: how many kustomization directories it builds, how many
//! resource objects it holds and how many bytes of YAML (aliases expanded) it parses, across
//! all files. Each file has its own limits (size, nesting, expanded scalars); these bound what
//! many files do together (bases listed many times, the same anchors in twenty files).

use serde_json::Value;

/// Most kustomization directories (overlays, bases, components) one resolution builds; a base
/// listed by several kustomizations is built once and counts once.
pub const MAX_BUILDS: usize = 2_000;

/// Deepest chain of kustomizations (bases of bases, components) one resolution enters: each
/// level takes stack, and real repositories nest a handful.
pub const MAX_NESTING: usize = 100;

/// Most resource objects one resolution reads, over all files.
pub const MAX_OBJECTS: usize = 50_000;

/// Most bytes of parsed YAML one resolution holds, aliases expanded, over all files (each use of
/// a file counts).
pub const MAX_EXPANDED_BYTES: usize = 64 * 1024 * 1024;

/// What is left of a resolution's limits.
#[derive(Debug)]
pub(super) struct RunBudget {
    builds: usize,
    objects: usize,
    bytes: usize,
    /// Set once a limit is exceeded: the resolution stops building.
    pub(super) exhausted: bool,
    /// Set once documents not decoded were charged with an upper bound of their weight.
    pub(super) approximate: bool,
}

impl Default for RunBudget {
    fn default() -> Self {
        Self {
            builds: MAX_BUILDS,
            objects: MAX_OBJECTS,
            bytes: MAX_EXPANDED_BYTES,
            exhausted: false,
            approximate: false,
        }
    }
}

/// Why a resolution stopped.
pub(super) fn exceeded(what: &str, limit: usize) -> String {
    format!(
        "the overlay is too large to resolve: it needs more than {limit} {what} (a per-run limit \
         that guards time and memory); look for bases listed many times over or YAML anchors \
         repeated across many files"
    )
}

impl RunBudget {
    /// Counts one kustomization build; the message when the limit is exceeded.
    pub(super) fn build(&mut self) -> Result<(), String> {
        self.take(1, Limit::Builds)
    }

    /// Counts resource objects; the message when the limit is exceeded.
    pub(super) fn objects(&mut self, n: usize) -> Result<(), String> {
        self.take(n, Limit::Objects)
    }

    /// Counts bytes of parsed YAML; the message when the limit is exceeded.
    pub(super) fn bytes(&mut self, n: usize) -> Result<(), String> {
        self.take(n, Limit::Bytes)
    }

    fn take(&mut self, n: usize, limit: Limit) -> Result<(), String> {
        let (left, max, what) = match limit {
            Limit::Builds => (&mut self.builds, MAX_BUILDS, "kustomization builds"),
            Limit::Objects => (&mut self.objects, MAX_OBJECTS, "resource objects"),
            Limit::Bytes => (
                &mut self.bytes,
                MAX_EXPANDED_BYTES,
                "bytes of YAML with aliases expanded",
            ),
        };
        match left.checked_sub(n) {
            Some(rest) if !self.exhausted => {
                *left = rest;
                Ok(())
            }
            _ => {
                *left = 0;
                self.exhausted = true;
                Err(exceeded(what, max))
            }
        }
    }
}

enum Limit {
    Builds,
    Objects,
    Bytes,
}

/// The size of parsed documents as they sit in memory, roughly: the bytes of every key and string
/// plus a few for every other node (aliases are expanded in the values, so they count in full).
pub(super) fn weight(docs: &[Value]) -> usize {
    fn of(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len() + 8,
            Value::Array(items) => items.iter().map(of).sum::<usize>() + 8,
            Value::Object(map) => map.iter().map(|(k, v)| k.len() + of(v)).sum::<usize>() + 8,
            _ => 8,
        }
    }
    docs.iter().map(of).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_once_exceeded_stays_exceeded() {
        let mut b = RunBudget::default();
        assert!(b.bytes(MAX_EXPANDED_BYTES).is_ok());
        let err = b.bytes(1).unwrap_err();
        assert!(err.contains("bytes of YAML"), "{err}");
        assert!(b.build().is_err(), "every later charge fails too");
    }

    #[test]
    fn weight_counts_expanded_strings() {
        let big = "x".repeat(1000);
        let docs = vec![serde_json::json!({"a": [big.clone(), big]})];
        assert!(weight(&docs) >= 2000);
    }
}
