//! The exact Kubernetes matching rules: taints against tolerations, labels against nodeSelector
//! and required node affinity, and "could some node of this pool satisfy that" for pools.

use std::collections::BTreeSet;

use crate::model::{Labels, Pdb, Placement, Pod, Pool, Requirement, Taint, Toleration};

/// k8s.io/api core/v1 `Toleration.ToleratesTaint`: a non-empty effect must equal the taint's;
/// a non-empty key must equal the taint's (an empty key only makes sense with Exists, which the
/// API enforces); Exists matches any value, Equal or an empty operator needs equal values (an
/// absent value is ""); any other operator matches nothing.
pub fn tolerates(tol: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = tol.effect.as_deref().filter(|e| !e.is_empty())
        && effect != taint.effect
    {
        return false;
    }
    if let Some(key) = tol.key.as_deref().filter(|k| !k.is_empty())
        && key != taint.key
    {
        return false;
    }
    match tol.operator.as_deref().unwrap_or("") {
        "" | "Equal" => tol.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

/// Only NoSchedule and NoExecute keep a pod off a node; PreferNoSchedule is a soft preference.
pub fn blocks_scheduling(taint: &Taint) -> bool {
    taint.effect == "NoSchedule" || taint.effect == "NoExecute"
}

/// The blocking taints among `taints` that no toleration tolerates.
pub fn untolerated<'a>(
    tolerations: &[Toleration],
    taints: impl IntoIterator<Item = &'a Taint>,
) -> Vec<&'a Taint> {
    taints
        .into_iter()
        .filter(|t| blocks_scheduling(t) && !tolerations.iter().any(|tol| tolerates(tol, t)))
        .collect()
}

/// A toleration with an empty key and operator Exists tolerates every taint (of its effect).
/// What a wildcard toleration covers, for messages: `every taint` or `every NoSchedule taint`.
pub fn wildcard_scope(tol: &Toleration) -> String {
    tol.effect
        .as_deref()
        .filter(|e| !e.is_empty())
        .map(|e| format!("every {e} taint"))
        .unwrap_or_else(|| "every taint".to_string())
}

pub fn is_wildcard(tol: &Toleration) -> bool {
    tol.key.as_deref().unwrap_or("").is_empty() && tol.operator.as_deref() == Some("Exists")
}

/// nodeSelector: every entry must be a label of the node with exactly that value.
pub fn selector_matches(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// One node-selector requirement against a label value (None: the label is absent), as
/// k8s.io/apimachinery `labels.Requirement.Matches` after `NewRequirement`'s validation:
/// In/NotIn need values, Exists/DoesNotExist none, Gt/Lt exactly one integer; an invalid
/// requirement matches nothing. NotIn and DoesNotExist are true when the label is absent;
/// Gt/Lt compare the label value as an integer and fail when it is absent or not one.
pub fn requirement_matches_value(req: &Requirement, value: Option<&str>) -> bool {
    let has = |v: &str| req.values.iter().any(|x| x == v);
    match req.operator.as_str() {
        "In" => !req.values.is_empty() && value.is_some_and(has),
        "NotIn" => !req.values.is_empty() && !value.is_some_and(has),
        "Exists" => req.values.is_empty() && value.is_some(),
        "DoesNotExist" => req.values.is_empty() && value.is_none(),
        "Gt" | "Lt" => {
            let [bound] = req.values.as_slice() else {
                return false;
            };
            let (Ok(bound), Some(Ok(v))) = (bound.parse::<i64>(), value.map(|v| v.parse::<i64>()))
            else {
                return false;
            };
            if req.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

pub fn requirement_matches(req: &Requirement, labels: &Labels) -> bool {
    requirement_matches_value(req, labels.get(&req.key).map(String::as_str))
}

/// Whether `pdb` selects `pod`. policy/v1: an empty selector selects every pod of the
/// namespace; none, none.
pub fn pdb_selects(pdb: &Pdb, pod: &Pod) -> bool {
    pdb.namespace == pod.namespace
        && pdb.selector.as_ref().is_some_and(|s| {
            s.match_labels
                .iter()
                .all(|(k, v)| pod.labels.get(k) == Some(v))
                && s.match_expressions
                    .iter()
                    .all(|r| requirement_matches(r, &pod.labels))
        })
}

/// One node-selector term: the AND of its expressions. Upstream: "an empty term matches no
/// objects" (a term with only matchFields lands here too: kup does not keep matchFields).
pub fn term_matches(term: &[Requirement], labels: &Labels) -> bool {
    !term.is_empty() && term.iter().all(|r| requirement_matches(r, labels))
}

/// Required node affinity: the OR of its terms; no terms at all means no affinity (the model
/// keeps an empty list for a pod without `requiredDuringScheduling...`).
pub fn affinity_matches(terms: &[Vec<Requirement>], labels: &Labels) -> bool {
    terms.is_empty() || terms.iter().any(|t| term_matches(t, labels))
}

/// Whether a node with these labels satisfies the placement's label constraints (no taints).
pub fn labels_fit(placement: &Placement, labels: &Labels) -> bool {
    selector_matches(&placement.node_selector, labels)
        && affinity_matches(&placement.affinity_terms, labels)
}

/// Labels that Karpenter (or the cloud) sets on every node from its instance, zone or capacity
/// type, so a pool that does not constrain them may launch nodes with any value. Not
/// `kubernetes.io/hostname`: no pool launches a node with a hostname a pod asks for.
pub(crate) fn well_known(key: &str) -> bool {
    const KEYS: &[&str] = &[
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "node.kubernetes.io/windows-build",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
        "karpenter.sh/capacity-type",
    ];
    KEYS.contains(&key)
        || key.starts_with("karpenter.k8s.aws/")
        || key.starts_with("topology.k8s.aws/")
}

/// The labels every node of the pool carries: its labels, pinned requirements (already in
/// `labels`) and its identity label.
pub fn pool_labels(pool: &Pool) -> Labels {
    let mut labels = pool.labels.clone();
    if let Some(key) = pool.pool.kind.identity_label() {
        labels
            .entry(key.to_string())
            .or_insert_with(|| pool.pool.name.clone());
    }
    labels
}

/// What the pool allows for one label key on its nodes, as a conjunction of requirements: a
/// fixed label pins the value; otherwise the pool's requirements on the key (Karpenter picks a
/// value they allow); otherwise a well-known label may take any value; otherwise the pool's
/// nodes do not carry it (Karpenter will not invent a custom label).
fn pool_domain(pool: &Pool, labels: &Labels, key: &str) -> Vec<Requirement> {
    let req = |operator: &str, values: Vec<String>| Requirement {
        key: key.to_string(),
        operator: operator.to_string(),
        values,
    };
    if let Some(v) = labels.get(key) {
        return vec![req("In", vec![v.clone()])];
    }
    let own: Vec<Requirement> = pool
        .requirements
        .iter()
        .filter(|r| r.key == key)
        .cloned()
        .collect();
    if !own.is_empty() {
        own
    } else if well_known(key) {
        vec![req("Exists", Vec::new())]
    } else {
        vec![req("DoesNotExist", Vec::new())]
    }
}

/// Whether one value (or absence) of a key satisfies every requirement in `reqs`: checking
/// absence, every mentioned value, each integer bound ±1, "0" and one unmentioned string is
/// complete, because these operators only tell those cases apart.
fn key_satisfiable(reqs: &[&Requirement]) -> bool {
    let mut candidates: BTreeSet<Option<String>> = BTreeSet::new();
    candidates.insert(None);
    candidates.insert(Some("0".to_string()));
    candidates.insert(Some("kup-unmentioned-value".to_string()));
    for r in reqs {
        for v in &r.values {
            candidates.insert(Some(v.clone()));
            if let Ok(n) = v.parse::<i64>() {
                candidates.insert(Some(n.saturating_add(1).to_string()));
                candidates.insert(Some(n.saturating_sub(1).to_string()));
            }
        }
    }
    candidates.iter().any(|c| {
        reqs.iter()
            .all(|r| requirement_matches_value(r, c.as_deref()))
    })
}

/// Whether some node the pool has or may launch satisfies the nodeSelector and one affinity
/// term at once (they constrain the same node, so a key is solved jointly).
pub fn pool_labels_fit(placement: &Placement, pool: &Pool) -> bool {
    let labels = pool_labels(pool);
    let selector: Vec<Requirement> = placement
        .node_selector
        .iter()
        .map(|(k, v)| Requirement {
            key: k.clone(),
            operator: "In".to_string(),
            values: vec![v.clone()],
        })
        .collect();
    let satisfiable = |term: &[Requirement]| {
        let keys: BTreeSet<&str> = selector
            .iter()
            .chain(term)
            .map(|r| r.key.as_str())
            .collect();
        keys.into_iter().all(|key| {
            let domain = pool_domain(pool, &labels, key);
            let reqs: Vec<&Requirement> = selector
                .iter()
                .chain(term)
                .filter(|r| r.key == key)
                .chain(&domain)
                .collect();
            key_satisfiable(&reqs)
        })
    };
    if placement.affinity_terms.is_empty() {
        satisfiable(&[])
    } else {
        placement
            .affinity_terms
            .iter()
            .any(|t| !t.is_empty() && satisfiable(t))
    }
}
