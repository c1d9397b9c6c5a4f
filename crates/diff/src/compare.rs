//! Two sets of objects compared object by object: matched by [`ObjectId`], a generated
//! ConfigMap or Secret whose hash changed paired with its successor by its generated name
//! (the renderer's mark),
//! the rest added or removed; each change with its image changes and a unified diff of its
//! YAML, Secret values masked.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::images::{ImageChange, image_changes, without_images};
use crate::mask::mask_secrets;
use crate::object::ObjectId;
use crate::{Object, to_yaml};

/// Lines of context around each change in the unified diffs.
const CONTEXT_LINES: usize = 3;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only on the new side.
    Added,
    /// Only on the old side.
    Removed,
    /// On both sides, different.
    Changed,
    /// A generated ConfigMap or Secret whose name (content hash) changed: the old and new
    /// objects of one generator.
    Renamed,
}

impl ChangeKind {
    /// The mark of the text and markdown outputs: `+`, `-`, `~`, `>`.
    pub fn mark(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
            ChangeKind::Renamed => '>',
        }
    }

    /// The word: `added`, `removed`, `changed`, `renamed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::Renamed => "renamed",
        }
    }
}

/// One object that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectChange {
    /// What happened.
    pub change: ChangeKind,
    /// The object: the new side's, or the old side's when it was removed.
    pub id: ObjectId,
    /// The old side's id when it differs (a renamed generated object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_id: Option<ObjectId>,
    /// The images of its containers that changed.
    pub images: Vec<ImageChange>,
    /// For a renamed generated object: the objects of the new side that refer to its new
    /// name (their references changed with it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ObjectId>,
    /// Whether Secret values in [`ObjectChange::diff`] are masked.
    pub masked: bool,
    /// The unified diff of the object's YAML, old to new (hunks only, no file header).
    pub diff: String,
}

/// The differences between two sets of objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The objects that differ: the new side's order, then the removed objects in the old
    /// side's order.
    pub objects: Vec<ObjectChange>,
    /// How many objects are the same on both sides.
    pub unchanged: usize,
}

/// How many objects of each kind of change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Added objects.
    pub added: usize,
    /// Removed objects.
    pub removed: usize,
    /// Changed objects.
    pub changed: usize,
    /// Renamed generated objects.
    pub renamed: usize,
    /// Objects that are the same.
    pub unchanged: usize,
}

impl Counts {
    /// Objects that differ.
    pub fn differences(&self) -> usize {
        self.added + self.removed + self.changed + self.renamed
    }
}

impl Comparison {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Every image change, object by object.
    pub fn images(&self) -> impl Iterator<Item = &ImageChange> {
        self.objects.iter().flat_map(|o| &o.images)
    }

    /// The counts of each kind of change.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            unchanged: self.unchanged,
            ..Counts::default()
        };
        for object in &self.objects {
            match object.change {
                ChangeKind::Added => counts.added += 1,
                ChangeKind::Removed => counts.removed += 1,
                ChangeKind::Changed => counts.changed += 1,
                ChangeKind::Renamed => counts.renamed += 1,
            }
        }
        counts
    }
}

/// Options of a comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompareOptions {
    /// Container images do not count as differences (drift beyond images).
    pub ignore_images: bool,
}

/// One object as the comparison sees it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: ObjectId,
    pub(crate) value: Value,
    /// Its YAML when it is exactly `value`'s (the renderer's text), else emitted when needed.
    pub(crate) yaml: Option<String>,
    /// A generated ConfigMap's or Secret's name without its content hash, as the renderer
    /// marks it: what pairs it with its successor when its data changes.
    pub(crate) generated: Option<String>,
}

impl Entry {
    /// A rendered object as it is.
    pub(crate) fn of(object: &Object) -> Self {
        Self {
            id: ObjectId::of(object),
            value: object.value.clone(),
            yaml: Some(object.yaml.clone()),
            generated: object.generated.clone(),
        }
    }
}

/// Compares the rendered objects of two revisions of one overlay.
pub fn compare(old: &[Object], new: &[Object], options: CompareOptions) -> Comparison {
    compare_entries(
        old.iter().map(Entry::of).collect(),
        new.iter().map(Entry::of).collect(),
        options,
    )
}

/// Compares two lists of entries (ids unique within each side, as a renderer guarantees).
pub(crate) fn compare_entries(
    old: Vec<Entry>,
    new: Vec<Entry>,
    options: CompareOptions,
) -> Comparison {
    let pairs = pair(&old, &new);
    let mut comparison = Comparison::default();
    let mut old_paired = vec![false; old.len()];
    for (index, entry) in new.iter().enumerate() {
        let Some(&(old_index, renamed)) = pairs.get(&index) else {
            comparison
                .objects
                .push(one_sided(entry, ChangeKind::Added, &new));
            continue;
        };
        old_paired[old_index] = true;
        let before = &old[old_index];
        match both_sided(before, entry, renamed, &new, options) {
            Some(change) => comparison.objects.push(change),
            None => comparison.unchanged += 1,
        }
    }
    for (index, entry) in old.iter().enumerate() {
        if !old_paired[index] {
            comparison
                .objects
                .push(one_sided(entry, ChangeKind::Removed, &new));
        }
    }
    comparison
}

/// The old entry of each new one that has one (by index), and whether the pair is a renamed
/// generated object.
fn pair(old: &[Entry], new: &[Entry]) -> HashMap<usize, (usize, bool)> {
    let by_id: HashMap<&ObjectId, usize> =
        old.iter().enumerate().map(|(i, e)| (&e.id, i)).collect();
    let mut pairs = HashMap::new();
    let mut taken = HashSet::new();
    for (index, entry) in new.iter().enumerate() {
        if let Some(&old_index) = by_id.get(&entry.id) {
            pairs.insert(index, (old_index, false));
            taken.insert(old_index);
        }
    }
    // Generated objects left over on both sides: one generator's old and new object.
    for (index, entry) in new.iter().enumerate() {
        if pairs.contains_key(&index) {
            continue;
        }
        let Some(base) = entry.generated.as_deref() else {
            continue;
        };
        let found = old.iter().enumerate().position(|(old_index, candidate)| {
            !taken.contains(&old_index)
                && candidate.id.group == entry.id.group
                && candidate.id.kind == entry.id.kind
                && candidate.id.namespace == entry.id.namespace
                && candidate.generated.as_deref() == Some(base)
        });
        if let Some(old_index) = found {
            pairs.insert(index, (old_index, true));
            taken.insert(old_index);
        }
    }
    pairs
}

/// An object on one side only: its whole YAML as added or removed lines.
fn one_sided(entry: &Entry, change: ChangeKind, new: &[Entry]) -> ObjectChange {
    let masked = entry.id.is_secret();
    let yaml = if masked {
        let mut value = entry.value.clone();
        mask_secrets(&mut [&mut value]);
        to_yaml(&value)
    } else {
        yaml_of(entry)
    };
    let diff = match change {
        ChangeKind::Removed => unified(&yaml, ""),
        _ => unified("", &yaml),
    };
    let references = match (change, &entry.generated) {
        (ChangeKind::Added, Some(_)) => referrers(&entry.id, new),
        _ => Vec::new(),
    };
    ObjectChange {
        change,
        id: entry.id.clone(),
        old_id: None,
        images: Vec::new(),
        references,
        masked,
        diff,
    }
}

/// A matched pair: `None` when they are the same.
fn both_sided(
    old: &Entry,
    new: &Entry,
    renamed: bool,
    all_new: &[Entry],
    options: CompareOptions,
) -> Option<ObjectChange> {
    let (mut before, mut after) = (old.value.clone(), new.value.clone());
    if options.ignore_images {
        without_images(&mut before, IGNORED_IMAGE, 0);
        without_images(&mut after, IGNORED_IMAGE, 0);
    }
    if before == after && old.id == new.id {
        return None;
    }
    let images = if options.ignore_images {
        Vec::new()
    } else {
        image_changes(&new.id, &old.value, &new.value)
    };
    let masked = new.id.is_secret() || old.id.is_secret();
    let (old_yaml, new_yaml) = if masked {
        mask_secrets(&mut [&mut before, &mut after]);
        (to_yaml(&before), to_yaml(&after))
    } else if options.ignore_images {
        (to_yaml(&before), to_yaml(&after))
    } else {
        (yaml_of(old), yaml_of(new))
    };
    Some(ObjectChange {
        change: if renamed {
            ChangeKind::Renamed
        } else {
            ChangeKind::Changed
        },
        id: new.id.clone(),
        old_id: (old.id != new.id).then(|| old.id.clone()),
        images,
        references: if renamed {
            referrers(&new.id, all_new)
        } else {
            Vec::new()
        },
        masked,
        diff: unified(&old_yaml, &new_yaml),
    })
}

/// What an image reads as when images are ignored.
pub(crate) const IGNORED_IMAGE: &str = "(image ignored)";

/// The objects of `side` (other than `target`) with a string equal to `target`'s name: the
/// objects that refer to it.
fn referrers(target: &ObjectId, side: &[Entry]) -> Vec<ObjectId> {
    side.iter()
        .filter(|e| e.id != *target)
        .filter(|e| {
            e.id.namespace == target.namespace
                || e.id.namespace.is_none()
                || target.namespace.is_none()
        })
        .filter(|e| mentions(&spec_of(&e.value), &target.name, 0))
        .map(|e| e.id.clone())
        .collect()
}

/// The value without its `metadata.name` (an object does not refer to another by its own name).
fn spec_of(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(Value::Object(metadata)) = value.get_mut("metadata") {
        metadata.remove("name");
    }
    value
}

/// Whether some string of `value` is exactly `name`.
fn mentions(value: &Value, name: &str, depth: usize) -> bool {
    if depth > 128 {
        return false;
    }
    match value {
        Value::String(s) => s == name,
        Value::Array(items) => items.iter().any(|v| mentions(v, name, depth + 1)),
        Value::Object(map) => map.values().any(|v| mentions(v, name, depth + 1)),
        _ => false,
    }
}

fn yaml_of(entry: &Entry) -> String {
    match &entry.yaml {
        Some(yaml) => yaml.clone(),
        None => to_yaml(&entry.value),
    }
}

/// How long the line diff of one object may search for the smallest diff before it settles
/// for a larger one (still correct): huge objects rewritten whole stay bounded in time.
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The unified diff of two texts: hunks with [`CONTEXT_LINES`] of context, no file header.
pub(crate) fn unified(old: &str, new: &str) -> String {
    similar::TextDiff::configure()
        .timeout(DIFF_DEADLINE)
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .to_string()
}
