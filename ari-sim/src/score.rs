//! How alike two runs of one ARI program are, in [0, 1]: the measures the simulator is held
//! to, by its conformance test (a recording of a real Asterisk against a replay on the
//! simulator) and by the workspace's differential test (one program run live on both).
//!
//! A run is seen as its REST exchanges, in order, and its events, grouped (per
//! application, or per application and resource) into sequences of labels. Two runs are
//! compared part by part: statuses equal, bodies of the same shape, and sequences close
//! in edit distance. Ids, timestamps and list lengths are the caller's to normalize or
//! ignore; nothing here knows about them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The parts of a comparison; absent parts (a run without events) do not count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// REST statuses equal, in order.
    pub statuses: f64,
    /// REST bodies of the same shape (see [`body_agreement`]).
    pub bodies: f64,
    /// Per application, the sequence of event types.
    pub sequences: Option<f64>,
    /// Per application and resource, the sequence of events (with what each says).
    pub lifecycle: Option<f64>,
}

impl Scores {
    /// The mean of the parts that apply.
    pub fn total(&self) -> f64 {
        let parts: Vec<f64> = [
            Some(self.statuses),
            Some(self.bodies),
            self.sequences,
            self.lifecycle,
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.iter().sum::<f64>() / parts.len() as f64
    }
}

/// REST statuses and bodies, each side a list in request order: the share of equal
/// statuses, and the mean [`body_agreement`] (0 where the statuses differ). Requests one
/// side made and the other did not count as disagreeing.
pub fn rest_agreement(a: &[(u16, &Value)], b: &[(u16, &Value)]) -> (f64, f64) {
    let n = a.len().max(b.len());
    if n == 0 {
        return (1.0, 1.0);
    }
    let (mut statuses, mut bodies) = (0usize, 0.0);
    for ((sa, ba), (sb, bb)) in a.iter().zip(b) {
        if sa == sb {
            statuses += 1;
            bodies += body_agreement(ba, bb);
        }
    }
    (statuses as f64 / n as f64, bodies / n as f64)
}

/// 1 - (sum of edit distances) / (sum of longer lengths), over the union of groups.
pub fn weighted(a: &BTreeMap<String, Vec<String>>, b: &BTreeMap<String, Vec<String>>) -> f64 {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let empty = Vec::new();
    let (mut distance, mut total) = (0usize, 0usize);
    for key in keys {
        let x = a.get(key).unwrap_or(&empty);
        let y = b.get(key).unwrap_or(&empty);
        distance += edit_distance(x, y);
        total += x.len().max(y.len());
    }
    if total == 0 {
        1.0
    } else {
        1.0 - distance as f64 / total as f64
    }
}

/// Levenshtein distance between two sequences.
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Same shape: error bodies (objects with a `message`) with the same message; other
/// objects by the Jaccard index of their key paths, nested objects included
/// (`dialplan.app_name`); lists by the key paths of their items (lengths depend on the
/// server's history; two empty lists agree, an empty and a full one half); texts equal,
/// or binary placeholders (`<N bytes TYPE>`) of the same type.
pub fn body_agreement(a: &Value, b: &Value) -> f64 {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => match x.get("message") {
            Some(message) => f64::from(u8::from(y.get("message") == Some(message))),
            None => jaccard(&key_paths(a), &key_paths(b)),
        },
        (Value::Array(x), Value::Array(y)) => match (x.is_empty(), y.is_empty()) {
            (true, true) => 1.0,
            (false, false) => jaccard(&key_paths(a), &key_paths(b)),
            _ => 0.5,
        },
        (Value::String(x), Value::String(y)) => {
            let kind = |t: &str| t.rsplit(' ').next().unwrap_or("").to_owned();
            f64::from(u8::from(
                x == y || (x.starts_with('<') && kind(x) == kind(y)),
            ))
        }
        _ => 0.0,
    }
}

/// Every member path of a JSON value: `a`, `a.b`, list items as `[]`
/// (`[].name`); scalars have none. A free-form map (`variables`, `userevent`) counts
/// with its own keys, as the server sends them.
pub fn key_paths(value: &Value) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    add_paths(value, "", &mut paths);
    paths
}

fn add_paths(value: &Value, prefix: &str, paths: &mut BTreeSet<String>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                let path = join(key);
                add_paths(member, &path, paths);
                paths.insert(path);
            }
        }
        Value::Array(items) => {
            let path = join("[]");
            for item in items {
                add_paths(item, &path, paths);
            }
        }
        _ => {}
    }
}

/// |a ∩ b| / |a ∪ b|, 1 for two empty sets.
pub fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        1.0
    } else {
        a.intersection(b).count() as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance(&["a", "b", "c"], &["a", "c"]), 1);
        assert_eq!(edit_distance::<&str>(&[], &["a"]), 1);
        assert_eq!(edit_distance(&["a", "b"], &["b", "a"]), 2);
    }

    #[test]
    fn weighted_sums_over_groups() {
        let group = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect()
        };
        let a = group(&[("x", &["A", "B"]), ("y", &["C"])]);
        let b = group(&[("x", &["A", "B"]), ("z", &["C"])]);
        // y and z: one edit each out of one; x agrees.
        assert_eq!(weighted(&a, &b), 0.5);
        assert_eq!(weighted(&a, &a), 1.0);
    }

    #[test]
    fn bodies_compare_by_shape_nested_members_included() {
        let a = json!({"id": "1", "dialplan": {"context": "default", "exten": "7000"}});
        let b = json!({"id": "2", "dialplan": {"context": "x", "exten": "y"}});
        assert_eq!(body_agreement(&a, &b), 1.0);
        let c = json!({"id": "2", "dialplan": {"context": "x"}});
        assert_eq!(body_agreement(&a, &c), 0.75);
        assert_eq!(
            body_agreement(
                &json!({"message": "Channel not found"}),
                &json!({"message": "x"})
            ),
            0.0
        );
        assert_eq!(
            body_agreement(
                &json!([{"name": "a"}]),
                &json!([{"name": "b"}, {"name": "c"}])
            ),
            1.0
        );
        assert_eq!(body_agreement(&json!([]), &json!([{"name": "b"}])), 0.5);
        assert_eq!(
            body_agreement(
                &json!("<10 bytes audio/wav>"),
                &json!("<20 bytes audio/wav>")
            ),
            1.0
        );
        let rest = rest_agreement(&[(200, &a), (404, &a)], &[(200, &b)]);
        assert_eq!(rest, (0.5, 0.5));
    }
}
