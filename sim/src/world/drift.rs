//! Karpenter's disruption controller, the drift method: NodeClaims marked `Drifted` are
//! replaced within the NodePool's disruption budgets — replacement launched first, then the
//! old node marked (`karpenter.sh/disrupted:NoSchedule`) and its NodeClaim deleted, which
//! drains it through the termination finalizer (Eviction API, PDBs honoured).
//!
//! As Karpenter (facts.md §3): budgets count the pool's initialized nodes; NotReady, deleting
//! and marked nodes consume them; the most restrictive active budget for `Drifted` wins; a node
//! annotated `karpenter.sh/do-not-disrupt`, or holding a pod so annotated or a pod a PDB
//! currently blocks, is no candidate unless its NodeClaim has a `terminationGracePeriod`.

use super::karpenter::{InstanceType, NODEPOOL_LABEL, Pool};
use super::objects::{self, Requests, get, s};
use super::{Pass, with_mem};
use crate::cron;
use crate::resources::Kind;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const DO_NOT_DISRUPT: &str = "karpenter.sh/do-not-disrupt";
const DISRUPTED_TAINT: &str = "karpenter.sh/disrupted";

fn ready(n: &Value) -> bool {
    get(n, &["status", "conditions"])
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

fn has_condition(c: &Value, ty: &str) -> bool {
    get(c, &["status", "conditions"])
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|x| x["type"] == ty && x["status"] == "True"))
}

fn marked(n: &Value) -> bool {
    objects::taints_of(get(n, &["spec", "taints"]))
        .iter()
        .any(|t| t.key == DISRUPTED_TAINT)
}

/// The NodeClaim's terminationGracePeriod, else its NodePool template's (scenario claims
/// carry none).
pub(crate) fn termination_grace(
    claim: Option<&Value>,
    pool: Option<&Value>,
) -> Option<jiff::SignedDuration> {
    claim
        .and_then(|c| get(c, &["spec", "terminationGracePeriod"]))
        .or_else(|| {
            pool.and_then(|p| get(p, &["spec", "template", "spec", "terminationGracePeriod"]))
        })
        .and_then(Value::as_str)
        .and_then(cron::parse_go_duration)
}

pub(crate) fn run(pass: &mut Pass) {
    let pools = pass.list(Kind::NodePool);
    if pools.is_empty() {
        return;
    }
    let claims = pass.list(Kind::NodeClaim);
    let nodes = pass.nodes();
    // By node name: 2,500 claims over 5,000 nodes stay cheap per pass.
    let by_node: std::collections::HashMap<&str, &Value> = claims
        .iter()
        .map(|c| (s(c, &["status", "nodeName"]), c))
        .collect();
    let claim_of = |node: &str| by_node.get(node).copied();

    // Marked nodes whose replacement is Ready (or that needed none): delete their NodeClaim.
    let in_flight: Vec<(String, Option<String>)> = with_mem(pass.st, |m| {
        m.drift
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    let launching: Vec<String> = with_mem(pass.st, |m| {
        m.launches.iter().map(|l| l.node_name.clone()).collect()
    });
    for (old, repl) in in_flight {
        let Some(node) = nodes.iter().find(|n| objects::name(n) == old) else {
            with_mem(pass.st, |m| m.drift.remove(&old));
            continue;
        };
        let up = match &repl {
            None => true,
            Some(r) => {
                nodes.iter().any(|n| objects::name(n) == r && ready(n)) || !launching.contains(r)
            }
        };
        if !up || objects::deleting(node) {
            continue;
        }
        match claim_of(&old) {
            Some(c) if !objects::deleting(c) => {
                let _ = pass.st.store.delete(
                    Kind::NodeClaim,
                    "",
                    objects::name(c),
                    &Default::default(),
                );
            }
            Some(_) => {}
            None => {
                let _ = pass
                    .st
                    .store
                    .delete(Kind::Node, "", &old, &Default::default());
            }
        }
    }

    let classes = super::nodeclass::resolutions(pass);
    let now = pass.now;
    let region = pass.st.cluster.region.clone();
    let pdbs = pass.st.store.list(Kind::PodDisruptionBudget, None);
    let mut disrupting_by_pool: BTreeMap<String, u64> = BTreeMap::new();
    for p in pools.iter().filter(|p| !objects::deleting(p)) {
        let pname = objects::name(p).to_string();
        let pool_nodes: Vec<&Value> = nodes
            .iter()
            .filter(|n| objects::label(n, NODEPOOL_LABEL) == Some(pname.as_str()))
            .collect();
        // Replacements of nodes still draining are not counted: the budget's percentage is of
        // the pool as it was (stricter than Karpenter, which counts them once initialized).
        let replacing: Vec<String> = with_mem(pass.st, |m| {
            m.drift
                .iter()
                .filter(|(old, _)| nodes.iter().any(|n| objects::name(n) == old.as_str()))
                .filter_map(|(_, r)| r.clone())
                .collect()
        });
        let counted: Vec<&&Value> = pool_nodes
            .iter()
            .filter(|n| objects::label(n, "karpenter.sh/initialized") == Some("true"))
            .filter(|n| !replacing.iter().any(|r| r == objects::name(n)))
            .filter(|n| {
                !claim_of(objects::name(n)).is_some_and(|c| has_condition(c, "InstanceTerminating"))
            })
            .collect();
        let total = counted.len() as u64;
        let mut disrupting = counted
            .iter()
            .filter(|n| !ready(n) || objects::deleting(n) || marked(n))
            .count() as u64;
        let candidates: Vec<(&Value, &Value)> = {
            let mut v: Vec<(&Value, &Value)> = pool_nodes
                .iter()
                .filter(|n| !objects::deleting(n) && !marked(n))
                .filter_map(|n| {
                    let c = claim_of(objects::name(n))?;
                    (has_condition(c, "Drifted") && !objects::deleting(c)).then_some((*n, c))
                })
                .collect();
            v.sort_by_key(|(n, _)| objects::name(n).to_string());
            v
        };
        if !candidates.is_empty() {
            let budgets = get(p, &["spec", "disruption", "budgets"]);
            // Wake when a budget window opens or closes.
            for b in budgets.and_then(Value::as_array).into_iter().flatten() {
                if let Some(t) = cron::Budget::from_value(b)
                    .ok()
                    .and_then(|b| b.next_change(now))
                {
                    pass.due(t);
                }
            }
            let (allowed, _err) = cron::allowed_disruptions(budgets, now, total, "Drifted");
            let pool = Pool::from_nodepool(p);
            for (node, claim) in candidates {
                if disrupting >= allowed {
                    break;
                }
                if !disruptable(pass, node, claim, p, &pdbs) {
                    continue;
                }
                let old = objects::name(node).to_string();
                let has_pods = pass.pods().any(|pod| {
                    pod.node == old
                        && pod.active()
                        && pod.f.owner_kind != "DaemonSet"
                        && !pod.f.mirror
                });
                let replacement = if has_pods {
                    let mut labels = pool.node_labels_for(&json!({}), &region);
                    for k in [
                        "topology.kubernetes.io/zone",
                        "kubernetes.io/arch",
                        "node.kubernetes.io/instance-type",
                        "karpenter.sh/capacity-type",
                    ] {
                        if let Some(v) = objects::label(node, k) {
                            labels.insert(k.to_string(), v.to_string());
                        }
                    }
                    let arch = labels
                        .get("kubernetes.io/arch")
                        .cloned()
                        .unwrap_or_else(|| "amd64".into());
                    let Ok(image) = super::nodeclass::launch_image(
                        &classes,
                        pool.node_class_ref.as_ref(),
                        &arch,
                    ) else {
                        continue;
                    };
                    let instance = labels
                        .get("node.kubernetes.io/instance-type")
                        .and_then(|t| InstanceType::by_name(t))
                        .or_else(|| InstanceType::by_name("m5.large"));
                    let Some(instance) = instance else { continue };
                    let all_nodes: Vec<Value> = nodes.to_vec();
                    match super::karpenter::start_launch(
                        pass,
                        &pool,
                        &labels,
                        instance,
                        Vec::new(),
                        Requests::default(),
                        &all_nodes,
                        image,
                    ) {
                        Some(name) => Some(name),
                        None => continue,
                    }
                } else {
                    None
                };
                let _ = pass.st.store.update(Kind::Node, "", &old, &mut |n| {
                    super::nodes::push_taint(
                        n,
                        json!({"key": DISRUPTED_TAINT, "effect": "NoSchedule"}),
                    );
                });
                with_mem(pass.st, |m| m.drift.insert(old.clone(), replacement));
                disrupting += 1;
            }
        }
        let now_disrupting = pass
            .nodes()
            .iter()
            .filter(|n| objects::label(n, NODEPOOL_LABEL) == Some(pname.as_str()))
            .filter(|n| objects::deleting(n) || marked(n))
            .count() as u64;
        disrupting_by_pool.insert(pname, now_disrupting);
    }
    for (pool, n) in disrupting_by_pool {
        let max = pass
            .st
            .safety
            .max_disrupting_by_pool
            .entry(pool)
            .or_insert(0);
        *max = (*max).max(n);
    }
}

/// Karpenter's candidate validation for an eventual (drift) disruption.
fn disruptable(pass: &Pass, node: &Value, claim: &Value, pool: &Value, pdbs: &[Value]) -> bool {
    if objects::annotation(node, DO_NOT_DISRUPT) == Some("true") {
        return false;
    }
    if termination_grace(Some(claim), Some(pool)).is_some() {
        return true;
    }
    let name = objects::name(node);
    for p in pass
        .pods()
        .filter(|p| p.node == name && p.active() && p.f.owner_kind != "DaemonSet")
    {
        let Some(pod) = pass.pod_value(&p.ns, &p.name) else {
            continue;
        };
        if objects::annotation(&pod, DO_NOT_DISRUPT) == Some("true") {
            return false;
        }
        let blocked = pdbs.iter().any(|b| {
            super::disruption::pdb_selects(b, &pod)
                && get(b, &["status", "disruptionsAllowed"]).and_then(Value::as_i64) == Some(0)
        });
        if blocked {
            return false;
        }
    }
    true
}
