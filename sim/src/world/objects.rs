//! Small, allocation-light readers of Kubernetes JSON objects and the rules shared by the
//! scheduler, the controllers and Karpenter: label selectors, node selector terms, taints and
//! tolerations, quantities, owner references, names.
//!
//! Pods are read straight from `serde_json::Value` rather than through k8s-openapi structs:
//! the world scans 150,000 pods per pass and a typed round trip of each would cost seconds.

use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    Some(cur)
}

pub fn name(v: &Value) -> &str {
    s(v, &["metadata", "name"])
}
pub fn namespace(v: &Value) -> &str {
    s(v, &["metadata", "namespace"])
}
pub fn uid(v: &Value) -> &str {
    s(v, &["metadata", "uid"])
}
pub fn generation(v: &Value) -> i64 {
    get(v, &["metadata", "generation"])
        .and_then(Value::as_i64)
        .unwrap_or(0)
}
pub fn deleting(v: &Value) -> bool {
    get(v, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null())
}
pub fn labels(v: &Value) -> Option<&serde_json::Map<String, Value>> {
    get(v, &["metadata", "labels"]).and_then(Value::as_object)
}
pub fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    labels(v).and_then(|l| l.get(key)).and_then(Value::as_str)
}
pub fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, &["metadata", "annotations", key]).and_then(Value::as_str)
}

/// The controller owner reference (controller: true), if any.
pub fn controller_ref(v: &Value) -> Option<&Value> {
    get(v, &["metadata", "ownerReferences"])?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
}

/// Identity of an owner as `Kind/namespace/name`. Owners are matched by name rather than UID:
/// scenario files and the generator carry ownerReferences whose UIDs the store replaces on
/// create.
pub fn key(kind: &str, ns: &str, name: &str) -> String {
    format!("{kind}/{ns}/{name}")
}
pub fn self_key(kind: &str, obj: &Value) -> String {
    key(kind, namespace(obj), name(obj))
}
/// The key of an object's controller (in the object's namespace).
pub fn owner_key(obj: &Value) -> Option<String> {
    let r = controller_ref(obj)?;
    Some(key(s(r, &["kind"]), namespace(obj), s(r, &["name"])))
}

pub fn owner_ref(api_version: &str, kind: &str, owner: &Value) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "name": name(owner),
        "uid": uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Status of a condition of `type` in `status.conditions`.
pub fn condition<'a>(v: &'a Value, ty: &str) -> Option<&'a Value> {
    get(v, &["status", "conditions"])?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
}
pub fn condition_true(v: &Value, ty: &str) -> bool {
    condition(v, ty).is_some_and(|c| s(c, &["status"]) == "True")
}

/// Set (or replace) a condition in `status.conditions`, keeping lastTransitionTime when the
/// status did not change, as the controllers do.
pub fn set_condition(obj: &mut Value, mut cond: Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let status = map.entry("status").or_insert_with(|| json!({}));
    if !status.is_object() {
        *status = json!({});
    }
    let Some(status) = status.as_object_mut() else {
        return;
    };
    let conds = status.entry("conditions").or_insert_with(|| json!([]));
    if !conds.is_array() {
        *conds = json!([]);
    }
    let Some(conds) = conds.as_array_mut() else {
        return;
    };
    let ty = s(&cond, &["type"]).to_string();
    if let Some(old) = conds.iter_mut().find(|c| s(c, &["type"]) == ty) {
        if s(old, &["status"]) == s(&cond, &["status"])
            && let (Some(t), Some(o)) =
                (old.get("lastTransitionTime").cloned(), cond.as_object_mut())
        {
            o.insert("lastTransitionTime".into(), t);
        }
        *old = cond;
    } else {
        conds.push(cond);
    }
}

/// RFC 3339 with seconds, as Kubernetes writes times.
pub fn ts(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
pub fn parse_ts(v: Option<&Value>) -> Option<jiff::Timestamp> {
    v?.as_str()?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Label selectors (metav1.LabelSelector) and node selector terms (core/v1 NodeSelectorTerm).

/// metav1.LabelSelector: AND of matchLabels and matchExpressions. An empty selector matches
/// everything; callers decide what a missing (null) selector means.
pub fn selector_matches(sel: &Value, labels: Option<&serde_json::Map<String, Value>>) -> bool {
    selector_matches_with(sel, |k| {
        labels.and_then(|l| l.get(k)).and_then(Value::as_str)
    })
}

/// As `selector_matches`, over the store index's label pairs.
pub fn selector_matches_pairs(sel: &Value, labels: &[(String, String)]) -> bool {
    selector_matches_with(sel, |k| {
        labels
            .iter()
            .find(|(lk, _)| lk == k)
            .map(|(_, v)| v.as_str())
    })
}

fn selector_matches_with<'a>(sel: &Value, get_label: impl Fn(&str) -> Option<&'a str>) -> bool {
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            if get_label(k) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = sel.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            let values = string_list(e.get("values"));
            if !requirement_matches(s(e, &["operator"]), get_label(s(e, &["key"])), &values) {
                return false;
            }
        }
    }
    true
}

pub fn string_list(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// One requirement: In NotIn Exists DoesNotExist Gt Lt (Gt/Lt compare integers; a value that is
/// not an integer never matches, as upstream).
pub fn requirement_matches(op: &str, actual: Option<&str>, values: &[&str]) -> bool {
    match op {
        "In" => actual.is_some_and(|a| values.contains(&a)),
        "NotIn" => actual.is_none_or(|a| !values.contains(&a)),
        "Exists" => actual.is_some(),
        "DoesNotExist" => actual.is_none(),
        "Gt" | "Lt" => {
            let (Some(a), [v]) = (actual, values) else {
                return false;
            };
            let (Ok(a), Ok(v)) = (a.parse::<i64>(), v.parse::<i64>()) else {
                return false;
            };
            if op == "Gt" { a > v } else { a < v }
        }
        _ => false,
    }
}

/// A node as the placement rules see it: name, labels, taints.
pub struct NodeFacts<'a> {
    pub name: &'a str,
    pub labels: BTreeMap<&'a str, &'a str>,
    pub taints: Vec<Taint<'a>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taint<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub effect: &'a str,
}

pub fn taints_of(list: Option<&Value>) -> Vec<Taint<'_>> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| Taint {
                    key: s(t, &["key"]),
                    value: s(t, &["value"]),
                    effect: s(t, &["effect"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn labels_of(v: Option<&Value>) -> BTreeMap<&str, &str> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                .collect()
        })
        .unwrap_or_default()
}

impl<'a> NodeFacts<'a> {
    pub fn of(node: &'a Value) -> Self {
        NodeFacts {
            name: name(node),
            labels: labels_of(get(node, &["metadata", "labels"])),
            taints: taints_of(get(node, &["spec", "taints"])),
        }
    }
}

/// core/v1 `Toleration.ToleratesTaint`.
pub fn tolerates(tol: &Value, taint: &Taint) -> bool {
    let (effect, key, op, value) = (
        s(tol, &["effect"]),
        s(tol, &["key"]),
        s(tol, &["operator"]),
        s(tol, &["value"]),
    );
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match op {
        "" | "Equal" => value == taint.value,
        "Exists" => true,
        _ => false,
    }
}

pub fn tolerated(tolerations: Option<&Value>, taint: &Taint) -> bool {
    tolerations
        .and_then(Value::as_array)
        .is_some_and(|ts| ts.iter().any(|t| tolerates(t, taint)))
}

/// The first NoSchedule/NoExecute taint the pod spec does not tolerate.
pub fn untolerated_taint<'a>(pod_spec: &Value, taints: &'a [Taint<'a>]) -> Option<&'a Taint<'a>> {
    let tols = pod_spec.get("tolerations");
    taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !tolerated(tols, t))
}

/// nodeSelector (AND of exact labels) and required node affinity (OR of terms, each an AND of
/// matchExpressions on labels and matchFields on metadata.name).
pub fn matches_node_selection(pod_spec: &Value, node: &NodeFacts) -> bool {
    if let Some(sel) = pod_spec.get("nodeSelector").and_then(Value::as_object) {
        for (k, v) in sel {
            if node.labels.get(k.as_str()).copied() != v.as_str() {
                return false;
            }
        }
    }
    let Some(terms) = get(
        pod_spec,
        &[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ],
    )
    .and_then(Value::as_array) else {
        return true;
    };
    // Upstream: an empty list of terms matches nothing; an empty term matches nothing either.
    terms.iter().any(|term| term_matches(term, node))
}

fn term_matches(term: &Value, node: &NodeFacts) -> bool {
    let exprs = term.get("matchExpressions").and_then(Value::as_array);
    let fields = term.get("matchFields").and_then(Value::as_array);
    if exprs.is_none_or(|e| e.is_empty()) && fields.is_none_or(|f| f.is_empty()) {
        return false;
    }
    let labels_ok = exprs.into_iter().flatten().all(|e| {
        requirement_matches(
            s(e, &["operator"]),
            node.labels.get(s(e, &["key"])).copied(),
            &string_list(e.get("values")),
        )
    });
    let fields_ok = fields.into_iter().flatten().all(|e| {
        let actual = (s(e, &["key"]) == "metadata.name").then_some(node.name);
        requirement_matches(s(e, &["operator"]), actual, &string_list(e.get("values")))
    });
    labels_ok && fields_ok
}

// ---------------------------------------------------------------------------------------------
// Quantities.

/// A resource quantity in thousandths (milli-units): "100m" -> 100, "2" -> 2000, "128Mi" ->
/// 128*2^20*1000. None when it is not a quantity.
pub fn milli(q: &str) -> Option<i128> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let mult: f64 = match suffix {
        "" => 1.0,
        "m" => 0.001,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => 10f64.powi(s[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    let n: f64 = num.parse().ok()?;
    Some((n * mult * 1000.0).ceil() as i128)
}

pub fn quantity_milli(v: Option<&Value>) -> i128 {
    match v {
        Some(Value::String(q)) => milli(q).unwrap_or(0),
        Some(Value::Number(n)) => n.as_f64().map(|f| (f * 1000.0) as i128).unwrap_or(0),
        _ => 0,
    }
}

/// cpu, memory (milli-units) a pod asks for: sum of containers, at least the largest init
/// container, plus overhead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Requests {
    pub cpu: i128,
    pub memory: i128,
}

pub fn pod_requests(spec: &Value) -> Requests {
    let sum = |list: Option<&Value>| {
        let mut r = Requests::default();
        let mut max = Requests::default();
        for c in list.and_then(Value::as_array).into_iter().flatten() {
            let req = get(c, &["resources", "requests"]);
            let cpu = quantity_milli(req.and_then(|r| r.get("cpu")));
            let mem = quantity_milli(req.and_then(|r| r.get("memory")));
            r.cpu += cpu;
            r.memory += mem;
            max.cpu = max.cpu.max(cpu);
            max.memory = max.memory.max(mem);
        }
        (r, max)
    };
    let (mut total, _) = sum(spec.get("containers"));
    let (_, init) = sum(spec.get("initContainers"));
    total.cpu = total.cpu.max(init.cpu) + quantity_milli(get(spec, &["overhead", "cpu"]));
    total.memory =
        total.memory.max(init.memory) + quantity_milli(get(spec, &["overhead", "memory"]));
    total
}

// ---------------------------------------------------------------------------------------------
// Names and hashes.

/// The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A reproducible 5-character suffix, like `generateName` produces.
pub fn suffix(seed: u64) -> String {
    let mut x = seed;
    (0..5)
        .map(|_| {
            x = splitmix(x);
            ALPHANUMS[(x % ALPHANUMS.len() as u64) as usize] as char
        })
        .collect()
}

pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn fnv32a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in data {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

pub fn fnv64(data: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `pod-template-hash`: FNV-32a of the template, its decimal digits mapped through the
/// safe alphabet (upstream's `rand.SafeEncodeString(fmt.Sprint(hash))`).
pub fn template_hash(template: &Value) -> String {
    let text = serde_json::to_string(template).unwrap_or_default();
    fnv32a(text.as_bytes())
        .to_string()
        .bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint<'a>(key: &'a str, value: &'a str, effect: &'a str) -> Taint<'a> {
        Taint { key, value, effect }
    }

    #[test]
    fn toleration_rules() {
        let t = taint("applications", "", "NoSchedule");
        assert!(tolerates(
            &json!({"key": "applications", "operator": "Exists", "effect": "NoSchedule"}),
            &t
        ));
        assert!(
            tolerates(&json!({"key": "applications", "operator": "Exists"}), &t),
            "empty effect matches all"
        );
        assert!(
            tolerates(&json!({"operator": "Exists"}), &t),
            "empty key + Exists matches every taint"
        );
        assert!(
            tolerates(&json!({"key": "applications"}), &t),
            "Equal with equal (empty) values"
        );
        assert!(!tolerates(
            &json!({"key": "applications", "value": "x"}),
            &t
        ));
        assert!(!tolerates(
            &json!({"key": "applications", "operator": "Exists", "effect": "NoExecute"}),
            &t
        ));
        assert!(!tolerates(
            &json!({"key": "other", "operator": "Exists"}),
            &t
        ));
        let v = taint("dedicated", "gpu", "NoSchedule");
        assert!(tolerates(
            &json!({"key": "dedicated", "operator": "Equal", "value": "gpu"}),
            &v
        ));
        assert!(!tolerates(
            &json!({"key": "dedicated", "operator": "Equal", "value": "cpu"}),
            &v
        ));
        assert!(
            tolerates(&json!({"key": "dedicated", "operator": "Exists"}), &v),
            "Exists ignores the value"
        );
    }

    #[test]
    fn only_noschedule_and_noexecute_block() {
        let taints = [
            taint("a", "", "PreferNoSchedule"),
            taint("b", "", "NoExecute"),
        ];
        let spec = json!({});
        assert_eq!(untolerated_taint(&spec, &taints).map(|t| t.key), Some("b"));
        let spec = json!({"tolerations": [{"key": "b", "operator": "Exists"}]});
        assert_eq!(untolerated_taint(&spec, &taints), None);
    }

    #[test]
    fn affinity_operators() {
        assert!(requirement_matches("In", Some("a"), &["a", "b"]));
        assert!(!requirement_matches("In", None, &["a"]));
        assert!(requirement_matches("NotIn", None, &["a"]));
        assert!(!requirement_matches("NotIn", Some("a"), &["a"]));
        assert!(requirement_matches("Exists", Some(""), &[]));
        assert!(requirement_matches("DoesNotExist", None, &[]));
        assert!(requirement_matches("Gt", Some("10"), &["9"]));
        assert!(!requirement_matches("Gt", Some("9"), &["9"]));
        assert!(requirement_matches("Lt", Some("8"), &["9"]));
        assert!(!requirement_matches("Lt", Some("x"), &["9"]));
    }

    #[test]
    fn node_selection_terms_are_or_of_ands() {
        let node_json = json!({"metadata": {"name": "n1", "labels": {"zone": "a", "size": "8"}}});
        let node = NodeFacts::of(&node_json);
        let spec = json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]},
                                  {"key": "size", "operator": "Gt", "values": ["4"]}]}
        ]}}}});
        assert!(matches_node_selection(&spec, &node));
        let spec = json!({"nodeSelector": {"zone": "a", "gpu": "yes"}});
        assert!(
            !matches_node_selection(&spec, &node),
            "nodeSelector is an AND"
        );
        let spec = json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}});
        assert!(matches_node_selection(&spec, &node));
        let spec = json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}}});
        assert!(!matches_node_selection(&spec, &node));
    }

    #[test]
    fn label_selector() {
        let l = json!({"app": "nginx", "tier": "web"});
        let l = l.as_object();
        assert!(selector_matches(
            &json!({"matchLabels": {"app": "nginx"}}),
            l
        ));
        assert!(selector_matches(&json!({}), l));
        assert!(!selector_matches(
            &json!({"matchLabels": {"app": "nginx"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}),
            l
        ));
    }

    #[test]
    fn quantities() {
        assert_eq!(milli("100m"), Some(100));
        assert_eq!(milli("2"), Some(2000));
        assert_eq!(milli("1.5"), Some(1500));
        assert_eq!(milli("128Mi"), Some(128 * 1024 * 1024 * 1000));
        assert_eq!(milli("1G"), Some(1_000_000_000_000));
        assert_eq!(milli("1e3"), Some(1_000_000));
        assert_eq!(milli("abc"), None);
        let spec = json!({"containers": [{"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
                                         {"resources": {"requests": {"cpu": "250m"}}}],
                          "initContainers": [{"resources": {"requests": {"cpu": "1"}}}]});
        assert_eq!(
            pod_requests(&spec),
            Requests {
                cpu: 1000,
                memory: 128 * 1024 * 1024 * 1000
            }
        );
    }

    #[test]
    fn names() {
        assert_eq!(suffix(1).len(), 5);
        assert_eq!(suffix(1), suffix(1));
        assert_ne!(suffix(1), suffix(2));
        let h = template_hash(&json!({"spec": {"containers": []}}));
        assert!(
            h.len() >= 8 && h.bytes().all(|b| ALPHANUMS.contains(&b)),
            "{h}"
        );
    }
}
