//! Workload controllers: Deployment -> ReplicaSet -> Pods, StatefulSet, DaemonSet, their
//! status, and garbage collection of pods whose owner is gone.

use super::objects::{self, NodeFacts, get, s};
use super::{Pass, PodSum, with_mem};
use crate::resources::Kind;
use crate::state::SimState;
use crate::store::{ApiError, DeleteOpts};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The pods of each controller of the given kinds, by owner key, in the pass's order: grouped
/// once rather than scanning every pod per controller (200 DaemonSets x 150,000 pods).
fn pods_owned_by(pass: &Pass, kinds: &[&str]) -> HashMap<String, Vec<Arc<PodSum>>> {
    let mut map: HashMap<String, Vec<Arc<PodSum>>> = HashMap::new();
    for p in pass
        .pod_arcs()
        .filter(|p| kinds.contains(&p.f.owner_kind.as_str()))
    {
        map.entry(p.f.owner_key.clone())
            .or_default()
            .push(p.clone());
    }
    map
}

fn replicas(obj: &Value) -> i64 {
    get(obj, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

// ---------------------------------------------------------------------------------------------
// Pods from templates.

/// A pod from a workload's template, with the defaults the API server and its admission
/// plugins fill in (so objects look the same as pods created through the API).
pub fn pod_from_template(
    template: &Value,
    ns: &str,
    name: &str,
    generate_name: Option<&str>,
    owner: Value,
) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(g) = generate_name {
        meta.insert("generateName".into(), json!(g));
    }
    meta.insert("namespace".into(), json!(ns));
    for key in ["labels", "annotations"] {
        if let Some(v) = get(template, &["metadata", key]).filter(|v| v.is_object()) {
            meta.insert(key.into(), v.clone());
        }
    }
    meta.insert("ownerReferences".into(), json!([owner]));
    let mut spec = template.get("spec").cloned().unwrap_or_else(|| json!({}));
    default_pod_spec(&mut spec);
    let qos = super::kubelet::qos_class(&spec);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": qos},
    })
}

pub fn default_pod_spec(spec: &mut Value) {
    let Some(o) = spec.as_object_mut() else {
        return;
    };
    let defaults = [
        ("restartPolicy", json!("Always")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
        ("serviceAccountName", json!("default")),
        ("serviceAccount", json!("default")),
        ("securityContext", json!({})),
        ("schedulerName", json!("default-scheduler")),
        ("priority", json!(0)),
        ("enableServiceLinks", json!(true)),
        ("preemptionPolicy", json!("PreemptLowerPriority")),
    ];
    for (k, v) in defaults {
        o.entry(k).or_insert(v);
    }
    if let Some(cs) = o.get_mut("containers").and_then(Value::as_array_mut) {
        for c in cs.iter_mut().filter_map(Value::as_object_mut) {
            let image = c.get("image").and_then(Value::as_str).unwrap_or("");
            let tagged = image
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':') || last.contains('@'));
            let pull = if !tagged || image.ends_with(":latest") {
                "Always"
            } else {
                "IfNotPresent"
            };
            c.entry("imagePullPolicy").or_insert(json!(pull));
            c.entry("terminationMessagePath")
                .or_insert(json!("/dev/termination-log"));
            c.entry("terminationMessagePolicy").or_insert(json!("File"));
            c.entry("resources").or_insert(json!({}));
        }
    }
    // DefaultTolerationSeconds admission plugin.
    let tols = o.entry("tolerations").or_insert_with(|| json!([]));
    if let Some(list) = tols.as_array_mut() {
        for key in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        ] {
            let has = list.iter().any(|t| {
                let k = s(t, &["key"]);
                let e = s(t, &["effect"]);
                (k == key || (k.is_empty() && s(t, &["operator"]) == "Exists"))
                    && (e.is_empty() || e == "NoExecute")
            });
            if !has {
                list.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
            }
        }
    }
}

fn next_serial(st: &SimState) -> u64 {
    with_mem(st, |m| {
        m.serial += 1;
        m.serial
    })
}

/// Create a pod named PREFIX-xxxxx, picking another suffix if the name is taken.
fn create_generated(
    st: &mut SimState,
    mut pod: Value,
    prefix: &str,
    owner_uid: &str,
) -> Result<Value, ApiError> {
    let mut last = None;
    for _ in 0..8 {
        let seed = st.seed ^ objects::fnv64(owner_uid) ^ next_serial(st).wrapping_mul(0x9E37_79B9);
        let name = format!("{prefix}-{}", objects::suffix(seed));
        if let Some(m) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("name".into(), json!(name));
        }
        match st.store.create(Kind::Pod, pod.clone()) {
            Ok(v) => return Ok(v),
            Err(e) if e.code == 409 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ApiError {
        code: 500,
        reason: "InternalError".into(),
        message: "no free pod name".into(),
        details: None,
        retry_after: None,
    }))
}

// ---------------------------------------------------------------------------------------------
// Deployments.

pub(crate) fn deployments(pass: &mut Pass) {
    let deps = pass.list(Kind::Deployment);
    if deps.is_empty() {
        return;
    }
    let rss = pass.list(Kind::ReplicaSet);
    let mut by_owner: HashMap<String, Vec<&Value>> = HashMap::new();
    for rs in rss.iter() {
        if let Some(k) = objects::owner_key(rs) {
            by_owner.entry(k).or_default().push(rs);
        }
    }
    for d in deps.iter().filter(|d| !objects::deleting(d)) {
        let (ns, dname) = (objects::namespace(d), objects::name(d));
        let dkey = objects::self_key("Deployment", d);
        let template = d
            .get("spec")
            .and_then(|s| s.get("template"))
            .cloned()
            .unwrap_or(Value::Null);
        let hash = objects::template_hash(&template);
        let owned: Vec<&Value> = by_owner.remove(&dkey).unwrap_or_default();
        // FindNewReplicaSet: the owned ReplicaSet whose template equals the Deployment's
        // (ignoring pod-template-hash), whatever its name.
        let current = owned.iter().find(|r| {
            let mut t = get(r, &["spec", "template"])
                .cloned()
                .unwrap_or(Value::Null);
            if let Some(l) = t
                .pointer_mut("/metadata/labels")
                .and_then(Value::as_object_mut)
            {
                l.remove("pod-template-hash");
            }
            t == template
        });
        let rs_name = current.map_or_else(
            || format!("{dname}-{hash}"),
            |r| objects::name(r).to_string(),
        );
        let want = replicas(d);
        let max_surge = scaled(
            get(d, &["spec", "strategy", "rollingUpdate", "maxSurge"]),
            want,
            true,
            25,
        );
        match current {
            None => {
                let revision = owned
                    .iter()
                    .filter_map(|r| {
                        objects::get(
                            r,
                            &[
                                "metadata",
                                "annotations",
                                "deployment.kubernetes.io/revision",
                            ],
                        )
                    })
                    .filter_map(|v| v.as_str()?.parse::<u64>().ok())
                    .max()
                    .unwrap_or(0)
                    + 1;
                let rs = new_replicaset(
                    d,
                    &template,
                    &rs_name,
                    &hash,
                    want,
                    want + max_surge,
                    revision,
                );
                if pass.st.store.create(Kind::ReplicaSet, rs).is_ok() {
                    let rev = revision.to_string();
                    let _ = pass.st.store.update(Kind::Deployment, ns, dname, &mut |d| {
                        set_annotation(d, "deployment.kubernetes.io/revision", &rev)
                    });
                }
            }
            Some(rs) if replicas(rs) != want => {
                let (w, m) = (want, (want + max_surge).to_string());
                let _ = pass
                    .st
                    .store
                    .update(Kind::ReplicaSet, ns, &rs_name, &mut |r| {
                        r["spec"]["replicas"] = json!(w);
                        set_annotation(
                            r,
                            "deployment.kubernetes.io/desired-replicas",
                            &w.to_string(),
                        );
                        set_annotation(r, "deployment.kubernetes.io/max-replicas", &m);
                    });
            }
            Some(_) => {}
        }
        // Older ReplicaSets of this Deployment are scaled away at once (no surge modelling).
        for old in owned
            .iter()
            .filter(|r| objects::name(r) != rs_name && replicas(r) != 0)
        {
            let _ = pass
                .st
                .store
                .update(Kind::ReplicaSet, ns, objects::name(old), &mut |r| {
                    r["spec"]["replicas"] = json!(0)
                });
        }
    }
}

fn set_annotation(obj: &mut Value, key: &str, value: &str) {
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let ann = meta.entry("annotations").or_insert_with(|| json!({}));
    if !ann.is_object() {
        *ann = json!({});
    }
    ann[key] = json!(value);
}

/// intstr percent or integer scaled against `total` (maxSurge rounds up, maxUnavailable down).
pub fn scaled(v: Option<&Value>, total: i64, round_up: bool, default_pct: i64) -> i64 {
    let pct = match v {
        Some(Value::Number(n)) => return n.as_i64().unwrap_or(0),
        Some(Value::String(p)) => p
            .trim_end_matches('%')
            .parse::<i64>()
            .unwrap_or(default_pct),
        _ => default_pct,
    };
    let x = pct * total;
    if round_up { (x + 99) / 100 } else { x / 100 }
}

fn new_replicaset(
    d: &Value,
    template: &Value,
    name: &str,
    hash: &str,
    want: i64,
    max: i64,
    revision: u64,
) -> Value {
    let mut template = template.clone();
    if let Some(meta) = template
        .as_object_mut()
        .map(|t| t.entry("metadata").or_insert_with(|| json!({})))
    {
        if !meta.is_object() {
            *meta = json!({});
        }
        if !meta.get("labels").is_some_and(Value::is_object) {
            meta["labels"] = json!({});
        }
        meta["labels"]["pod-template-hash"] = json!(hash);
    }
    let mut selector = get(d, &["spec", "selector"])
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !selector.get("matchLabels").is_some_and(Value::is_object) {
        selector["matchLabels"] = json!({});
    }
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    let labels = get(&template, &["metadata", "labels"])
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut spec = json!({"replicas": want, "selector": selector, "template": template});
    if let Some(m) = get(d, &["spec", "minReadySeconds"]) {
        spec["minReadySeconds"] = m.clone();
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": objects::namespace(d),
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": want.to_string(),
                "deployment.kubernetes.io/max-replicas": max.to_string(),
                "deployment.kubernetes.io/revision": revision.to_string(),
            },
            "ownerReferences": [objects::owner_ref("apps/v1", "Deployment", d)],
        },
        "spec": spec,
    })
}

// ---------------------------------------------------------------------------------------------
// ReplicaSets.

pub(crate) fn replicasets(pass: &mut Pass) {
    let rss = pass.list(Kind::ReplicaSet);
    if rss.is_empty() {
        return;
    }
    // Each ReplicaSet writes only its own pods: grouping up front sees what a lookup at its
    // turn would.
    let mut owned = pods_owned_by(pass, &["ReplicaSet"]);
    for rs in rss.iter().filter(|r| !objects::deleting(r)) {
        let Some(pods) = owned.remove(&objects::self_key("ReplicaSet", rs)) else {
            if replicas(rs) > 0 {
                let (created, _) = reconcile_replicaset(pass.st, rs, &[]);
                pass.count_pod_writes(created.len());
                for p in created {
                    pass.put_pod(p);
                }
            }
            continue;
        };
        let active = pods.iter().filter(|p| p.active()).count();
        if active as i64 == replicas(rs).max(0) {
            continue;
        }
        let (created, deleted) = reconcile_replicaset(pass.st, rs, &pods);
        pass.count_pod_writes(created.len() + deleted.len());
        for p in created {
            pass.put_pod(p);
        }
        for (ns, n) in deleted {
            pass.refresh_pod(&ns, &n);
        }
    }
}

/// Keep `spec.replicas` active pods (terminating pods do not count). Returns the pods created
/// and the (namespace, name) of pods deleted.
pub(crate) fn reconcile_replicaset(
    st: &mut SimState,
    rs: &Value,
    pods: &[Arc<PodSum>],
) -> (Vec<Value>, Vec<(String, String)>) {
    let want = replicas(rs).max(0) as usize;
    let mut live: Vec<&PodSum> = pods.iter().map(|p| &**p).filter(|p| p.active()).collect();
    let (ns, name) = (
        objects::namespace(rs).to_string(),
        objects::name(rs).to_string(),
    );
    let mut created = Vec::new();
    let mut deleted = Vec::new();
    if live.len() < want {
        let template = get(rs, &["spec", "template"])
            .cloned()
            .unwrap_or(Value::Null);
        let owner = objects::owner_ref("apps/v1", "ReplicaSet", rs);
        let prefix = format!("{name}-");
        for _ in live.len()..want {
            let pod = pod_from_template(&template, &ns, "", Some(&prefix), owner.clone());
            match create_generated(st, pod, &name, objects::uid(rs)) {
                Ok(p) => created.push(p),
                Err(_) => break,
            }
        }
    } else if live.len() > want {
        // Upstream deletes unscheduled, then not-ready, then the newest pods first.
        live.sort_by_key(|p| {
            (
                !p.node.is_empty(),
                p.f.ready,
                std::cmp::Reverse(p.f.created.clone()),
            )
        });
        for p in live.iter().take(live.len() - want) {
            let pn = p.name.clone();
            if st
                .store
                .delete(Kind::Pod, &ns, &pn, &DeleteOpts::default())
                .is_ok()
            {
                deleted.push((ns.clone(), pn));
            }
        }
    }
    (created, deleted)
}

// ---------------------------------------------------------------------------------------------
// StatefulSets.

pub(crate) fn statefulsets(pass: &mut Pass) {
    let sets = pass.list(Kind::StatefulSet);
    if sets.is_empty() {
        return;
    }
    // Each StatefulSet writes only its own pods, so grouping up front sees what a scan at its
    // turn would (bar the pod it has just created, whose ordinal is below `want`).
    let mut by_owner = pods_owned_by(pass, &["StatefulSet"]);
    for sts in sets.iter().filter(|s| !objects::deleting(s)) {
        let (ns, name) = (
            objects::namespace(sts).to_string(),
            objects::name(sts).to_string(),
        );
        let want = replicas(sts).max(0);
        let template = get(sts, &["spec", "template"])
            .cloned()
            .unwrap_or(Value::Null);
        let revision = format!("{name}-{}", objects::template_hash(&template));
        // OrderedReady (the default): pod N+1 only once pods 0..=N are Running and Ready, one
        // change at a time.
        let ordered = s(sts, &["spec", "podManagementPolicy"]) != "Parallel";
        for i in 0..want {
            let pod_name = format!("{name}-{i}");
            // The old pod must be gone before its successor with the same name exists.
            if let Some(p) = pass.pod(&ns, &pod_name) {
                if ordered && !(p.active() && p.f.ready) {
                    break;
                }
                continue;
            }
            let mut pod = pod_from_template(
                &template,
                &ns,
                &pod_name,
                None,
                objects::owner_ref("apps/v1", "StatefulSet", sts),
            );
            let labels = &mut pod["metadata"]["labels"];
            if !labels.is_object() {
                *labels = json!({});
            }
            labels["controller-revision-hash"] = json!(revision);
            labels["statefulset.kubernetes.io/pod-name"] = json!(pod_name);
            labels["apps.kubernetes.io/pod-index"] = json!(i.to_string());
            pod["spec"]["hostname"] = json!(pod_name);
            if let Some(svc) = get(sts, &["spec", "serviceName"])
                .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            {
                pod["spec"]["subdomain"] = svc.clone();
            }
            let _ = pass.create_pod(pod);
            if ordered {
                break;
            }
        }
        // Scale down: highest ordinals first (OrderedReady: one at a time, after the last one
        // is gone).
        let ordinal = |n: &str| n.rsplit('-').next().and_then(|i| i.parse::<i64>().ok());
        let owned = by_owner
            .remove(&objects::self_key("StatefulSet", sts))
            .unwrap_or_default();
        let terminating = owned.iter().any(|p| p.deleting);
        let mut extra: Vec<(i64, String)> = owned
            .iter()
            .filter(|p| p.active())
            .filter_map(|p| match ordinal(&p.name) {
                Some(i) if i < want => None,
                i => Some((i.unwrap_or(i64::MAX), p.name.clone())),
            })
            .collect();
        extra.sort_by_key(|e| std::cmp::Reverse(e.0));
        if ordered {
            extra.truncate(if terminating { 0 } else { 1 });
        }
        for (_, pn) in extra {
            pass.delete_pod(&ns, &pn, None);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DaemonSets.

/// Tolerations the DaemonSet controller adds to its pods.
const DS_TOLERATIONS: &[(&str, &str)] = &[
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
];

fn ds_pod_spec(template_spec: &Value) -> Value {
    let mut spec = template_spec.clone();
    if !spec.is_object() {
        spec = json!({});
    }
    if !spec.get("tolerations").is_some_and(Value::is_array) {
        spec["tolerations"] = json!([]);
    }
    if let Some(list) = spec["tolerations"].as_array_mut() {
        for (key, effect) in DS_TOLERATIONS {
            if !list
                .iter()
                .any(|t| s(t, &["key"]) == *key && s(t, &["effect"]) == *effect)
            {
                list.push(json!({"key": key, "operator": "Exists", "effect": effect}));
            }
        }
    }
    spec
}

/// The node a DaemonSet pod is meant for: its nodeName, or the metadata.name matchFields term.
pub fn ds_target(pod: &Value) -> Option<&str> {
    let n = s(pod, &["spec", "nodeName"]);
    if !n.is_empty() {
        return Some(n);
    }
    get(
        pod,
        &[
            "spec",
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ],
    )?
    .as_array()?
    .iter()
    .filter_map(|t| t.get("matchFields")?.as_array())
    .flatten()
    .find(|f| s(f, &["key"]) == "metadata.name")
    .and_then(|f| f.get("values")?.as_array()?.first()?.as_str())
}

/// Which nodes DaemonSet pods belong on: the nodes parsed once, and one answer per distinct
/// set of placement rules (200 DaemonSets on 5,000 nodes share a handful of rules).
struct DsPlacement<'a> {
    /// The nodes not being deleted.
    nodes: Vec<NodeFacts<'a>>,
    by_rules: HashMap<String, HashSet<&'a str>>,
}

impl<'a> DsPlacement<'a> {
    fn new(nodes: &'a [Value]) -> Self {
        DsPlacement {
            nodes: nodes
                .iter()
                .filter(|n| !objects::deleting(n))
                .map(NodeFacts::of)
                .collect(),
            by_rules: HashMap::new(),
        }
    }

    /// Names of the nodes that match the pod spec's node selection and carry no
    /// NoSchedule/NoExecute taint it does not tolerate.
    fn eligible(&mut self, spec: &Value) -> &HashSet<&'a str> {
        // Everything the two checks read from the spec.
        let rules = json!([
            spec.get("nodeSelector"),
            get(
                spec,
                &[
                    "affinity",
                    "nodeAffinity",
                    "requiredDuringSchedulingIgnoredDuringExecution"
                ]
            ),
            spec.get("tolerations"),
        ])
        .to_string();
        let nodes = &self.nodes;
        self.by_rules.entry(rules).or_insert_with(|| {
            nodes
                .iter()
                .filter(|n| {
                    objects::matches_node_selection(spec, n)
                        && objects::untolerated_taint(spec, &n.taints).is_none()
                })
                .map(|n| n.name)
                .collect()
        })
    }
}

pub(crate) fn daemonsets(pass: &mut Pass) {
    let sets = pass.list(Kind::DaemonSet);
    if sets.is_empty() {
        return;
    }
    let nodes = pass.nodes();
    let mut placement = DsPlacement::new(&nodes);
    // Each DaemonSet deletes and creates only its own pods: grouping up front sees what a scan
    // at its turn would.
    let mut by_owner = pods_owned_by(pass, &["DaemonSet"]);
    for ds in sets.iter().filter(|d| !objects::deleting(d)) {
        let (ns, name, uid) = (
            objects::namespace(ds).to_string(),
            objects::name(ds).to_string(),
            objects::uid(ds).to_string(),
        );
        let template = get(ds, &["spec", "template"])
            .cloned()
            .unwrap_or(Value::Null);
        let spec = ds_pod_spec(template.get("spec").unwrap_or(&Value::Null));
        let eligible = placement.eligible(&spec);
        // The revision labels a real DaemonSet controller puts on its pods: without them it
        // would take every pod for an old revision and roll it.
        let revision = objects::template_hash(&template);
        let template_generation = get(
            ds,
            &[
                "metadata",
                "annotations",
                crate::store::DS_TEMPLATE_GENERATION,
            ],
        )
        .and_then(Value::as_str)
        .unwrap_or("1")
        .to_string();
        let mut have: HashSet<String> = HashSet::new();
        let mut misplaced = Vec::new();
        let owned = by_owner
            .remove(&objects::self_key("DaemonSet", ds))
            .unwrap_or_default();
        for p in &owned {
            let target = if p.node.is_empty() {
                p.f.ds_target.as_deref()
            } else {
                Some(p.node.as_str())
            };
            if !p.active() {
                // A terminating pod still holds its node's slot until it is gone.
                if let Some(t) = target {
                    have.insert(t.to_string());
                }
                continue;
            }
            match target {
                Some(t) if eligible.contains(t) && have.insert(t.to_string()) => {}
                _ => misplaced.push(p.name.clone()),
            }
        }
        for pn in misplaced {
            pass.delete_pod(&ns, &pn, None);
        }
        let mut missing: Vec<&str> = eligible
            .iter()
            .copied()
            .filter(|n| !have.contains(*n))
            .collect();
        missing.sort();
        for node in missing {
            let mut t = template.clone();
            if t.is_object() {
                t["spec"] = spec.clone();
                t["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = json!({
                    "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]
                });
            }
            let mut pod = pod_from_template(
                &t,
                &ns,
                "",
                Some(&format!("{name}-")),
                objects::owner_ref("apps/v1", "DaemonSet", ds),
            );
            let labels = &mut pod["metadata"]["labels"];
            if !labels.is_object() {
                *labels = json!({});
            }
            labels["controller-revision-hash"] = json!(revision);
            labels["pod-template-generation"] = json!(template_generation);
            if let Ok(p) = create_generated(pass.st, pod, &name, &uid) {
                pass.count_pod_writes(1);
                pass.put_pod(p);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Garbage collection.

fn name_of(kind: Kind) -> &'static str {
    match kind {
        Kind::ReplicaSet => "ReplicaSet",
        Kind::StatefulSet => "StatefulSet",
        Kind::DaemonSet => "DaemonSet",
        Kind::Deployment => "Deployment",
        _ => "Node",
    }
}

pub(crate) fn garbage_collect(pass: &mut Pass) {
    let mut owners: HashSet<String> = HashSet::new();
    for kind in [
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::Deployment,
        Kind::Node,
    ] {
        for (_, o) in pass.st.store.scan(kind, None, None) {
            owners.insert(objects::key(
                name_of(kind),
                &o.index.namespace,
                &o.index.name,
            ));
        }
    }
    // ReplicaSets of a deleted Deployment.
    for rs in pass.list(Kind::ReplicaSet).iter() {
        if let Some(o) = objects::controller_ref(rs)
            && s(o, &["kind"]) == "Deployment"
            && !owners.contains(&objects::key(
                "Deployment",
                objects::namespace(rs),
                s(o, &["name"]),
            ))
            && !objects::deleting(rs)
        {
            let _ = pass.st.store.delete(
                Kind::ReplicaSet,
                objects::namespace(rs),
                objects::name(rs),
                &DeleteOpts::default(),
            );
            owners.remove(&objects::self_key("ReplicaSet", rs));
        }
    }
    let orphans: Vec<(String, String)> = pass
        .pods()
        .filter(|p| !p.deleting)
        .filter(|p| {
            matches!(
                p.f.owner_kind.as_str(),
                "ReplicaSet" | "StatefulSet" | "DaemonSet"
            ) && !owners.contains(&p.f.owner_key)
        })
        .map(|p| (p.ns.clone(), p.name.clone()))
        .collect();
    for (ns, n) in orphans {
        pass.delete_pod(&ns, &n, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Status.

/// The deployment controller's condition order: unchanged conditions keep their place, a
/// changed one is removed and appended (ref 32 vs ref 53).
fn order_conditions(obj: &Value, new: Vec<Value>) -> Vec<Value> {
    let old: Vec<Value> = get(obj, &["status", "conditions"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<Value> = old.iter().filter(|c| new.contains(c)).cloned().collect();
    for c in new {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

struct Counts {
    active: i64,
    ready: i64,
    terminating: i64,
}

fn count(pods: Option<&Vec<Arc<PodSum>>>) -> Counts {
    let mut c = Counts {
        active: 0,
        ready: 0,
        terminating: 0,
    };
    for p in pods.into_iter().flatten() {
        if p.deleting {
            c.terminating += 1;
        } else if p.active() {
            c.active += 1;
            if p.f.ready {
                c.ready += 1;
            }
        }
    }
    c
}

/// Drop the `omitempty` integer fields that are 0, as the API types serialise them.
fn omit_zero(mut status: Value, keys: &[&str]) -> Value {
    if let Some(o) = status.as_object_mut() {
        for k in keys {
            if o.get(*k) == Some(&json!(0)) {
                o.remove(*k);
            }
        }
    }
    status
}

fn write_status(st: &mut SimState, kind: Kind, obj: &Value, status: Value) {
    if obj.get("status") == Some(&status) {
        return;
    }
    let _ = st.store.update(
        kind,
        objects::namespace(obj),
        objects::name(obj),
        &mut |o| {
            if let Some(m) = o.as_object_mut() {
                m.insert("status".into(), status.clone());
            }
        },
    );
}

pub(crate) fn statuses(pass: &mut Pass) {
    // Only statuses are written below, no pods.
    let owned = pods_owned_by(pass, &["ReplicaSet", "StatefulSet", "DaemonSet"]);
    let now = objects::ts(pass.now);
    let rss = pass.list(Kind::ReplicaSet);
    let mut rs_counts: HashMap<String, (String, i64, Counts)> = HashMap::new();
    for rs in rss.iter() {
        let c = count(owned.get(&objects::self_key("ReplicaSet", rs)));
        let status = json!({
            "replicas": c.active,
            "fullyLabeledReplicas": c.active,
            "readyReplicas": c.ready,
            "availableReplicas": c.ready,
            "terminatingReplicas": c.terminating,
            "observedGeneration": objects::generation(rs),
        });
        let status = omit_zero(
            status,
            &["fullyLabeledReplicas", "readyReplicas", "availableReplicas"],
        );
        write_status(pass.st, Kind::ReplicaSet, rs, status);
        if objects::controller_ref(rs).is_some() {
            let e = rs_counts
                .entry(objects::owner_key(rs).unwrap_or_default())
                .or_insert((
                    String::new(),
                    0,
                    Counts {
                        active: 0,
                        ready: 0,
                        terminating: 0,
                    },
                ));
            if replicas(rs) > 0 || e.0.is_empty() {
                e.0 = objects::name(rs).to_string();
                e.1 = c.active;
            }
            e.2.active += c.active;
            e.2.ready += c.ready;
            e.2.terminating += c.terminating;
        }
    }
    for d in pass.list(Kind::Deployment).iter() {
        let want = replicas(d);
        let (rs_name, updated, c) = rs_counts
            .remove(&objects::self_key("Deployment", d))
            .unwrap_or((
                String::new(),
                0,
                Counts {
                    active: 0,
                    ready: 0,
                    terminating: 0,
                },
            ));
        let max_unavailable = scaled(
            get(d, &["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
            want,
            false,
            25,
        );
        let available_ok = c.ready >= want - max_unavailable;
        let old = |ty: &str| objects::condition(d, ty).cloned();
        let cond = |ty: &str, status: &str, reason: &str, message: String| {
            let prev = old(ty);
            let same = prev.as_ref().is_some_and(|p| {
                s(p, &["status"]) == status
                    && s(p, &["reason"]) == reason
                    && s(p, &["message"]) == message
            });
            if same {
                return prev.unwrap_or(Value::Null);
            }
            let transition = prev
                .as_ref()
                .filter(|p| s(p, &["status"]) == status)
                .and_then(|p| p.get("lastTransitionTime").cloned())
                .unwrap_or_else(|| json!(now));
            json!({"type": ty, "status": status, "lastUpdateTime": now, "lastTransitionTime": transition,
                   "reason": reason, "message": message})
        };
        let available = if available_ok {
            cond(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
            )
        } else {
            cond(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
            )
        };
        let progressing = if updated >= want && c.ready >= want {
            cond(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
            )
        } else {
            cond(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{rs_name}\" is progressing."),
            )
        };
        let mut status = json!({
            "observedGeneration": objects::generation(d),
            "replicas": c.active,
            "updatedReplicas": updated,
            "readyReplicas": c.ready,
            "availableReplicas": c.ready,
        });
        if want - c.ready > 0 {
            status["unavailableReplicas"] = json!(want - c.ready);
        }
        status["terminatingReplicas"] = json!(c.terminating);
        status["conditions"] = Value::Array(order_conditions(d, vec![available, progressing]));
        let status = omit_zero(
            status,
            &[
                "replicas",
                "updatedReplicas",
                "readyReplicas",
                "availableReplicas",
            ],
        );
        write_status(pass.st, Kind::Deployment, d, status);
    }
    for sts in pass.list(Kind::StatefulSet).iter() {
        let c = count(owned.get(&objects::self_key("StatefulSet", sts)));
        let revision = format!(
            "{}-{}",
            objects::name(sts),
            objects::template_hash(get(sts, &["spec", "template"]).unwrap_or(&Value::Null))
        );
        let status = json!({
            "observedGeneration": objects::generation(sts),
            "replicas": c.active,
            "readyReplicas": c.ready,
            "currentReplicas": c.active,
            "updatedReplicas": c.active,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
            "availableReplicas": c.ready,
        });
        let status = omit_zero(
            status,
            &["readyReplicas", "currentReplicas", "updatedReplicas"],
        );
        write_status(pass.st, Kind::StatefulSet, sts, status);
    }
    let dss = pass.list(Kind::DaemonSet);
    if dss.is_empty() {
        return;
    }
    let nodes = pass.nodes();
    let mut placement = DsPlacement::new(&nodes);
    for ds in dss.iter() {
        let spec = ds_pod_spec(get(ds, &["spec", "template", "spec"]).unwrap_or(&Value::Null));
        let desired = placement.eligible(&spec).len() as i64;
        let pods = owned.get(&objects::self_key("DaemonSet", ds));
        let mut scheduled = 0;
        let mut ready = 0;
        for p in pods.into_iter().flatten() {
            if p.active() && !p.node.is_empty() {
                scheduled += 1;
                if p.f.ready {
                    ready += 1;
                }
            }
        }
        let mut status = json!({
            "currentNumberScheduled": scheduled,
            "numberMisscheduled": 0,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
            "observedGeneration": objects::generation(ds),
            "updatedNumberScheduled": scheduled,
            "numberAvailable": ready,
        });
        if desired - ready > 0 {
            status["numberUnavailable"] = json!(desired - ready);
        }
        let status = omit_zero(status, &["updatedNumberScheduled", "numberAvailable"]);
        write_status(pass.st, Kind::DaemonSet, ds, status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intstr_scaling() {
        assert_eq!(scaled(None, 3, true, 25), 1, "maxSurge 25% of 3 rounds up");
        assert_eq!(
            scaled(None, 3, false, 25),
            0,
            "maxUnavailable 25% of 3 rounds down"
        );
        assert_eq!(scaled(Some(&json!("50%")), 5, true, 25), 3);
        assert_eq!(scaled(Some(&json!(2)), 5, true, 25), 2);
    }

    #[test]
    fn pod_from_template_is_owned_and_defaulted() {
        let rs =
            json!({"metadata": {"name": "nginx-7b4f96b9bd", "namespace": "shop", "uid": "u1"}});
        let template = json!({"metadata": {"labels": {"app": "nginx"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                                        "resources": {"requests": {"cpu": "100m"}}}]}});
        let p = pod_from_template(
            &template,
            "shop",
            "",
            Some("nginx-7b4f96b9bd-"),
            objects::owner_ref("apps/v1", "ReplicaSet", &rs),
        );
        assert_eq!(s(&p, &["metadata", "generateName"]), "nginx-7b4f96b9bd-");
        let owner = objects::controller_ref(&p).cloned().unwrap_or_default();
        assert_eq!(
            owner,
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "nginx-7b4f96b9bd",
                                 "uid": "u1", "controller": true, "blockOwnerDeletion": true})
        );
        assert_eq!(p["spec"]["terminationGracePeriodSeconds"], json!(30));
        assert_eq!(
            p["spec"]["containers"][0]["imagePullPolicy"],
            json!("IfNotPresent")
        );
        assert_eq!(p["spec"]["tolerations"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            p["status"],
            json!({"phase": "Pending", "qosClass": "Burstable"})
        );
    }

    #[test]
    fn daemonset_pods_target_their_node() {
        let spec = ds_pod_spec(&json!({"containers": []}));
        let t = objects::Taint {
            key: "node.kubernetes.io/unschedulable",
            value: "",
            effect: "NoSchedule",
        };
        assert!(objects::tolerated(spec.get("tolerations"), &t));
        let pod = json!({"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}}});
        assert_eq!(ds_target(&pod), Some("n1"));
    }
}
