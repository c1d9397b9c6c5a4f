//! Secret values masked: every value of a Secret's `data` and `stringData` becomes a row of `+`
//! whose length stands for the value (as Argo CD masks them), so equal values look equal, a
//! changed value visibly changes, and no value, digest or length of a value is shown.

use serde_json::Value;

/// The fields of a Secret whose values are masked.
const SECRET_FIELDS: [&str; 2] = ["data", "stringData"];

/// The shortest mask; the `n`-th distinct value gets `n` more `+`.
const MASK_BASE: usize = 8;

/// Masks the `data` and `stringData` values of the versions of one Secret together: the
/// distinct values of all of them, in the order first met (old side first, keys as written),
/// get masks of 8, 9, 10, … `+`. A value that is not a string is masked too.
pub fn mask_secrets(versions: &mut [&mut Value]) {
    let mut seen: Vec<Value> = Vec::new();
    for version in versions.iter() {
        for value in secret_values(version) {
            if !seen.contains(value) {
                seen.push(value.clone());
            }
        }
    }
    for version in versions.iter_mut() {
        for field in SECRET_FIELDS {
            if let Some(Value::Object(map)) = version.get_mut(field) {
                for value in map.values_mut() {
                    let index = seen
                        .iter()
                        .position(|s| s == value)
                        .expect("every value was collected above");
                    *value = Value::String("+".repeat(MASK_BASE + index));
                }
            } else if let Some(other) = version.get_mut(field) {
                // Not a map (malformed): nothing of it is shown.
                *other = Value::String("+".repeat(MASK_BASE));
            }
        }
    }
}

/// The values of the masked fields of one Secret.
fn secret_values(secret: &Value) -> impl Iterator<Item = &Value> {
    SECRET_FIELDS
        .iter()
        .filter_map(|field| secret.get(field).and_then(Value::as_object))
        .flat_map(|map| map.values())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equal_values_get_equal_masks_and_changed_ones_differ() {
        let mut old = json!({"data": {"password": "czNjcjN0", "user": "YWRh"}});
        let mut new = json!({"data": {"password": "bjN3", "user": "YWRh"},
                             "stringData": {"token": "plain"}});
        mask_secrets(&mut [&mut old, &mut new]);
        let mask = |v: &Value, f: &str, k: &str| v[f][k].as_str().unwrap().to_owned();
        assert_eq!(mask(&old, "data", "user"), mask(&new, "data", "user"));
        assert_ne!(
            mask(&old, "data", "password"),
            mask(&new, "data", "password")
        );
        assert_eq!(mask(&old, "data", "password"), "+".repeat(8));
        assert_eq!(mask(&new, "stringData", "token"), "+".repeat(11));
        let text = format!("{old}{new}");
        for secret in ["czNjcjN0", "YWRh", "bjN3", "plain"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }

    #[test]
    fn malformed_fields_are_hidden_whole() {
        let mut odd = json!({"data": "c2VjcmV0", "stringData": ["secret"]});
        mask_secrets(&mut [&mut odd]);
        assert!(!odd.to_string().contains("secret"), "{odd}");
        assert!(!odd.to_string().contains("c2VjcmV0"), "{odd}");
    }
}
