//! The disruption controller: PodDisruptionBudget status as kube-controller-manager keeps it,
//! plus the safety counters (lowest Ready count per PDB, disruptions that broke a PDB).

use super::objects::{self, get, s};
use super::{Pass, PodSum, with_mem};
use crate::resources::Kind;
use crate::state::SimState;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// minAvailable / maxUnavailable: an integer or a percentage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPct {
    Int(i64),
    Pct(i64),
}

impl IntOrPct {
    pub fn parse(v: Option<&Value>) -> Option<Self> {
        match v? {
            Value::Number(n) => n.as_i64().map(IntOrPct::Int),
            Value::String(t) => match t.strip_suffix('%') {
                Some(p) => p.parse().ok().map(IntOrPct::Pct),
                None => t.parse().ok().map(IntOrPct::Int),
            },
            _ => None,
        }
    }
    /// intstr.GetScaledValueFromIntOrPercent with roundUp=true, as the disruption controller uses.
    pub fn scaled_up(self, total: i64) -> i64 {
        match self {
            IntOrPct::Int(i) => i,
            IntOrPct::Pct(p) => (p * total + 99).div_euclid(100),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdbSpec {
    pub min_available: Option<IntOrPct>,
    pub max_unavailable: Option<IntOrPct>,
}

impl PdbSpec {
    pub fn of(pdb: &Value) -> Self {
        PdbSpec {
            min_available: IntOrPct::parse(get(pdb, &["spec", "minAvailable"])),
            max_unavailable: IntOrPct::parse(get(pdb, &["spec", "maxUnavailable"])),
        }
    }
    /// Whether the expected count comes from the controllers' scale (rather than the pod count).
    pub fn needs_scale(&self) -> bool {
        self.max_unavailable.is_some() || matches!(self.min_available, Some(IntOrPct::Pct(_)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdbStatus {
    pub current_healthy: i64,
    pub desired_healthy: i64,
    pub disruptions_allowed: i64,
    pub expected_pods: i64,
}

/// The disruption controller's arithmetic. `pod_count`: pods the selector matches (terminating
/// ones too); `healthy`: of those, Ready and not terminating nor recently disrupted; `scale`:
/// the summed replicas of their controllers (used for percentages and maxUnavailable).
pub fn compute_pdb_status(spec: PdbSpec, pod_count: i64, healthy: i64, scale: i64) -> PdbStatus {
    let (expected, desired) = if let Some(mu) = spec.max_unavailable {
        (scale, (scale - mu.scaled_up(scale)).max(0))
    } else {
        match spec.min_available {
            Some(IntOrPct::Int(i)) => (pod_count, i),
            Some(p @ IntOrPct::Pct(_)) => (scale, p.scaled_up(scale)),
            None => (0, 0),
        }
    };
    let allowed = if expected <= 0 {
        0
    } else {
        (healthy - desired).max(0)
    };
    PdbStatus {
        current_healthy: healthy,
        desired_healthy: desired,
        disruptions_allowed: allowed,
        expected_pods: expected,
    }
}

/// Does this PDB select the pod? (policy/v1: an empty selector selects every pod of the
/// namespace; a missing one selects none.)
pub fn pdb_selects(pdb: &Value, pod: &Value) -> bool {
    objects::namespace(pdb) == objects::namespace(pod)
        && get(pdb, &["spec", "selector"])
            .filter(|s| s.is_object())
            .is_some_and(|sel| objects::selector_matches(sel, objects::labels(pod)))
}

/// Candidate pods for a selector via a (namespace, key, value) index, so 2,000 PDBs over
/// 150,000 pods stay cheap.
struct LabelIndex<'a> {
    by_label: HashMap<(&'a str, &'a str, &'a str), Vec<&'a PodSum>>,
    by_ns: HashMap<&'a str, Vec<&'a PodSum>>,
}

impl<'a> LabelIndex<'a> {
    fn new(pods: impl Iterator<Item = &'a PodSum>) -> Self {
        let mut by_label: HashMap<(&str, &str, &str), Vec<&PodSum>> = HashMap::new();
        let mut by_ns: HashMap<&str, Vec<&PodSum>> = HashMap::new();
        for p in pods {
            by_ns.entry(p.ns.as_str()).or_default().push(p);
            for (k, v) in &p.labels {
                by_label
                    .entry((p.ns.as_str(), k.as_str(), v.as_str()))
                    .or_default()
                    .push(p);
            }
        }
        LabelIndex { by_label, by_ns }
    }

    fn select(&self, pdb: &Value) -> Vec<&'a PodSum> {
        let ns = objects::namespace(pdb);
        let Some(sel) = get(pdb, &["spec", "selector"]).filter(|s| s.is_object()) else {
            return Vec::new();
        };
        let candidates = sel
            .get("matchLabels")
            .and_then(Value::as_object)
            .and_then(|ml| {
                ml.iter()
                    .filter_map(|(k, v)| {
                        Some(
                            self.by_label
                                .get(&(ns, k.as_str(), v.as_str()?))
                                .map_or(&[][..], Vec::as_slice),
                        )
                    })
                    .min_by_key(|l| l.len())
            })
            .unwrap_or_else(|| self.by_ns.get(ns).map_or(&[][..], Vec::as_slice));
        candidates
            .iter()
            .copied()
            .filter(|p| objects::selector_matches_pairs(sel, &p.labels))
            .collect()
    }
}

/// The replicas of the controllers of these pods (a Deployment's ReplicaSets count once, at
/// the Deployment's scale); Err like upstream when a pod has no known controller.
fn expected_scale(
    pods: &[&PodSum],
    scales: &HashMap<String, i64>,
    rs_owner: &HashMap<String, String>,
) -> Result<i64, String> {
    let mut seen: HashMap<&str, i64> = HashMap::new();
    for p in pods {
        if p.f.owner_key.is_empty() {
            return Err(format!("found no controller ref for pod \"{}\"", p.name));
        }
        let uid = p.f.owner_key.as_str();
        let Some(n) = scales.get(uid) else {
            return Err(format!("found no controllers for pod \"{}\"", p.name));
        };
        seen.insert(rs_owner.get(uid).map_or(uid, String::as_str), *n);
    }
    Ok(seen.values().sum())
}

/// Controller UID -> its scale (a ReplicaSet owned by a Deployment: the Deployment's replicas).
fn controller_scales(pass: &mut Pass) -> HashMap<String, i64> {
    let mut deps: HashMap<String, i64> = HashMap::new();
    for d in pass.list(Kind::Deployment).iter() {
        deps.insert(
            objects::self_key("Deployment", d),
            get(d, &["spec", "replicas"])
                .and_then(Value::as_i64)
                .unwrap_or(1),
        );
    }
    let mut out = HashMap::new();
    for rs in pass.list(Kind::ReplicaSet).iter() {
        let own = get(rs, &["spec", "replicas"])
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let scale = objects::controller_ref(rs)
            .filter(|o| s(o, &["kind"]) == "Deployment")
            .and_then(|_| deps.get(&objects::owner_key(rs).unwrap_or_default()))
            .copied()
            .unwrap_or(own);
        out.insert(objects::self_key("ReplicaSet", rs), scale);
    }
    for sts in pass.list(Kind::StatefulSet).iter() {
        out.insert(
            objects::self_key("StatefulSet", sts),
            get(sts, &["spec", "replicas"])
                .and_then(Value::as_i64)
                .unwrap_or(1),
        );
    }
    out
}

pub(crate) fn run(pass: &mut Pass) {
    let pdbs = pass.list(Kind::PodDisruptionBudget);
    if pdbs.is_empty() {
        return;
    }
    let scales = controller_scales(pass);
    // Deployment-owned ReplicaSets count once per Deployment.
    let rs_owner: HashMap<String, String> = pass
        .list(Kind::ReplicaSet)
        .iter()
        .filter_map(|rs| {
            objects::controller_ref(rs).filter(|o| s(o, &["kind"]) == "Deployment")?;
            Some((objects::self_key("ReplicaSet", rs), objects::owner_key(rs)?))
        })
        .collect();
    let now = pass.now;
    let now_s = objects::ts(now);
    let mut writes: Vec<(String, String, Value)> = Vec::new();
    let mut mins: Vec<(String, String, i64, bool)> = Vec::new();
    let mut newly_terminating: Vec<(String, bool)> = Vec::new();
    {
        let index = LabelIndex::new(pass.pods());
        let (seen, evicted) =
            with_mem(pass.st, |m| (m.seen_terminating.clone(), m.evicted.clone()));
        for pdb in pdbs.iter() {
            let pods = index.select(pdb);
            let disrupted = get(pdb, &["status", "disruptedPods"]).and_then(Value::as_object);
            let mut kept = Map::new();
            let mut healthy = 0;
            for p in &pods {
                if p.deleting {
                    continue;
                }
                if let Some(t) = disrupted.and_then(|d| d.get(&p.name))
                    && objects::parse_ts(Some(t))
                        .is_some_and(|t| t + jiff::SignedDuration::from_mins(2) > now)
                {
                    kept.insert(p.name.clone(), t.clone());
                    continue;
                }
                if p.f.ready {
                    healthy += 1;
                }
            }
            let spec = PdbSpec::of(pdb);
            let scale = if spec.needs_scale() {
                expected_scale(&pods, &scales, &rs_owner)
            } else {
                Ok(0)
            };
            let generation = objects::generation(pdb);
            let old_cond = objects::condition(pdb, "DisruptionAllowed");
            let cond = |status: &str, reason: &str, message: &str| {
                let transition = old_cond
                    .filter(|c| s(c, &["status"]) == status)
                    .and_then(|c| c.get("lastTransitionTime").cloned())
                    .unwrap_or_else(|| json!(now_s));
                json!({"type": "DisruptionAllowed", "status": status, "observedGeneration": generation,
                       "lastTransitionTime": transition, "reason": reason, "message": message})
            };
            let mut status = Map::new();
            status.insert("observedGeneration".into(), json!(generation));
            if !kept.is_empty() {
                status.insert("disruptedPods".into(), Value::Object(kept));
            }
            match scale {
                Ok(scale) => {
                    let st = compute_pdb_status(spec, pods.len() as i64, healthy, scale);
                    status.insert("disruptionsAllowed".into(), json!(st.disruptions_allowed));
                    status.insert("currentHealthy".into(), json!(st.current_healthy));
                    status.insert("desiredHealthy".into(), json!(st.desired_healthy));
                    status.insert("expectedPods".into(), json!(st.expected_pods));
                    let c = if st.disruptions_allowed > 0 {
                        cond("True", "SufficientPods", "")
                    } else {
                        cond("False", "InsufficientPods", "")
                    };
                    status.insert("conditions".into(), json!([c]));
                    let key = format!("{}/{}", objects::namespace(pdb), objects::name(pdb));
                    mins.push((
                        key,
                        objects::uid(pdb).to_string(),
                        st.current_healthy,
                        st.current_healthy >= st.desired_healthy,
                    ));
                    // A pod that started terminating outside the Eviction API and left this
                    // budget short broke it.
                    for p in pods.iter().filter(|p| p.deleting) {
                        if !seen.contains(&p.uid) {
                            let broke = !evicted.contains(&p.uid)
                                && p.f.ready
                                && st.current_healthy < st.desired_healthy;
                            newly_terminating.push((p.uid.clone(), broke));
                        }
                    }
                }
                Err(e) => {
                    // failSafe: no disruptions allowed while the controller cannot compute.
                    status.insert("disruptionsAllowed".into(), json!(0));
                    for k in ["currentHealthy", "desiredHealthy", "expectedPods"] {
                        status.insert(
                            k.into(),
                            get(pdb, &["status", k]).cloned().unwrap_or(json!(0)),
                        );
                    }
                    status.insert(
                        "conditions".into(),
                        json!([cond("False", "SyncFailed", &e)]),
                    );
                }
            }
            let status = Value::Object(status);
            if pdb.get("status") != Some(&status) {
                writes.push((
                    objects::namespace(pdb).to_string(),
                    objects::name(pdb).to_string(),
                    status,
                ));
            }
        }
    }
    for (ns, name, status) in writes {
        let _ = pass
            .st
            .store
            .update(Kind::PodDisruptionBudget, &ns, &name, &mut |p| {
                if let Some(o) = p.as_object_mut() {
                    o.insert("status".into(), status.clone());
                }
            });
    }
    // A budget is watched from the first time it is satisfied: pods still starting up are not
    // a disruption.
    let tracked: Vec<(String, u64)> = with_mem(pass.st, |m| {
        mins.into_iter()
            .filter(|(_, uid, _, ok)| {
                if *ok {
                    m.pdb_tracked.insert(uid.clone());
                }
                m.pdb_tracked.contains(uid)
            })
            .map(|(key, _, n, _)| (key, n.max(0) as u64))
            .collect()
    });
    let safety = &mut pass.st.safety;
    for (key, n) in tracked {
        let e = safety.min_ready_by_pdb.entry(key).or_insert(n);
        *e = (*e).min(n);
    }
    let mut broke = 0;
    with_mem(pass.st, |m| {
        for (uid, b) in &newly_terminating {
            if m.seen_terminating.insert(uid.clone()) && *b {
                broke += 1;
            }
        }
    });
    pass.st.safety.pdb_violations += broke;
}

/// After settle(): the lowest Ready count starts from the steady state.
pub(crate) fn reset_min_ready(state: &mut SimState) {
    let pdbs = state.store.list(Kind::PodDisruptionBudget, None);
    state.safety.min_ready_by_pdb.clear();
    for pdb in pdbs {
        let n = get(&pdb, &["status", "currentHealthy"])
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(0) as u64;
        state.safety.min_ready_by_pdb.insert(
            format!("{}/{}", objects::namespace(&pdb), objects::name(&pdb)),
            n,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: Value) -> PdbSpec {
        PdbSpec::of(&json!({"spec": v}))
    }

    #[test]
    fn min_available_integer_counts_pods() {
        let st = compute_pdb_status(spec(json!({"minAvailable": 3})), 3, 3, 0);
        assert_eq!(
            st,
            PdbStatus {
                current_healthy: 3,
                desired_healthy: 3,
                disruptions_allowed: 0,
                expected_pods: 3
            }
        );
        let st = compute_pdb_status(spec(json!({"minAvailable": 2})), 3, 3, 0);
        assert_eq!(st.disruptions_allowed, 1);
        // Right after an eviction (ref 46): terminating + 2 Ready + a Pending replacement.
        let st = compute_pdb_status(spec(json!({"minAvailable": 2})), 4, 2, 0);
        assert_eq!(
            st,
            PdbStatus {
                current_healthy: 2,
                desired_healthy: 2,
                disruptions_allowed: 0,
                expected_pods: 4
            }
        );
    }

    #[test]
    fn percentages_round_up_against_scale() {
        let st = compute_pdb_status(spec(json!({"minAvailable": "50%"})), 3, 3, 3);
        assert_eq!(
            (st.desired_healthy, st.disruptions_allowed, st.expected_pods),
            (2, 1, 3)
        );
        let st = compute_pdb_status(spec(json!({"minAvailable": "100%"})), 3, 3, 3);
        assert_eq!(st.disruptions_allowed, 0);
        let st = compute_pdb_status(spec(json!({"maxUnavailable": "10%"})), 5, 5, 5);
        assert_eq!(
            (st.desired_healthy, st.disruptions_allowed),
            (4, 1),
            "10% of 5 rounds up to 1"
        );
        let st = compute_pdb_status(spec(json!({"maxUnavailable": 1})), 3, 2, 3);
        assert_eq!((st.desired_healthy, st.disruptions_allowed), (2, 0));
        let st = compute_pdb_status(spec(json!({"maxUnavailable": 0})), 3, 3, 3);
        assert_eq!(st.disruptions_allowed, 0);
        let st = compute_pdb_status(spec(json!({"maxUnavailable": 1})), 0, 0, 0);
        assert_eq!(
            st.disruptions_allowed, 0,
            "nothing expected, nothing allowed"
        );
    }

    #[test]
    fn scale_counts_each_controller_once() {
        use std::sync::Arc;
        let pod = |n: &str, uid: &str| PodSum {
            ns: "ns".into(),
            name: n.into(),
            uid: format!("pod-{n}"),
            rv: 1,
            node: String::new(),
            phase: "Running".into(),
            deleting: false,
            labels: Vec::new(),
            f: Arc::new(crate::world::PodFacts {
                owner_key: uid.into(),
                ..Default::default()
            }),
        };
        let (a, b, c) = (pod("a", "rs1"), pod("b", "rs1"), pod("c", "rs2"));
        let scales: HashMap<String, i64> = [("rs1".to_string(), 3), ("rs2".to_string(), 3)].into();
        let owners: HashMap<String, String> = [
            ("rs1".to_string(), "d1".to_string()),
            ("rs2".to_string(), "d1".to_string()),
        ]
        .into();
        assert_eq!(
            expected_scale(&[&a, &b, &c], &scales, &owners),
            Ok(3),
            "two RSs of one Deployment"
        );
        assert_eq!(
            expected_scale(&[&a, &b, &c], &scales, &HashMap::new()),
            Ok(6)
        );
        let bare = pod("bare", "");
        assert_eq!(
            expected_scale(&[&bare], &scales, &owners),
            Err("found no controller ref for pod \"bare\"".to_string())
        );
    }
}
