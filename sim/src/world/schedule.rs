//! The scheduler: filters in kube-scheduler's order (NodeUnschedulable, TaintToleration,
//! NodeAffinity, NodeResourcesFit), the least-allocated node wins (then the name), and an
//! unschedulable pod gets `PodScheduled=False` with the FitError message upstream writes.

use super::Pass;
use super::objects::{self, NodeFacts, Requests, Taint, get, s};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

pub const R_UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const R_TAINT: &str = "node(s) had untolerated taint(s)";
pub const R_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
pub const R_PODS: &str = "Too many pods";
pub const R_CPU: &str = "Insufficient cpu";
pub const R_MEMORY: &str = "Insufficient memory";

/// A node as the scheduler sees it: placement facts, room, what is already bound to it.
pub struct NodeFit<'a> {
    pub facts: NodeFacts<'a>,
    pub unschedulable: bool,
    pub alloc: Requests,
    pub alloc_pods: i128,
    pub used: Requests,
    pub used_pods: i128,
}

impl<'a> NodeFit<'a> {
    pub fn of(node: &'a Value) -> Self {
        let mut facts = NodeFacts::of(node);
        // The node lifecycle controller taints a NotReady node; Karpenter taints a node it
        // terminates. Either way the scheduler sees a NoSchedule taint.
        if !objects::condition_true(node, "Ready")
            && !facts
                .taints
                .iter()
                .any(|t| t.key == "node.kubernetes.io/not-ready")
        {
            facts.taints.push(Taint {
                key: "node.kubernetes.io/not-ready",
                value: "",
                effect: "NoSchedule",
            });
        }
        if objects::deleting(node)
            && !facts
                .taints
                .iter()
                .any(|t| t.key.starts_with("karpenter.sh/disrupt"))
        {
            facts.taints.push(Taint {
                key: "karpenter.sh/disrupted",
                value: "",
                effect: "NoSchedule",
            });
        }
        let alloc = get(node, &["status", "allocatable"]);
        NodeFit {
            facts,
            unschedulable: get(node, &["spec", "unschedulable"]).and_then(Value::as_bool)
                == Some(true),
            alloc: Requests {
                cpu: objects::quantity_milli(alloc.and_then(|a| a.get("cpu"))),
                memory: objects::quantity_milli(alloc.and_then(|a| a.get("memory"))),
            },
            alloc_pods: objects::quantity_milli(alloc.and_then(|a| a.get("pods"))) / 1000,
            used: Requests::default(),
            used_pods: 0,
        }
    }

    /// Filters in the default profile's order; the first failing plugin gives the reasons.
    pub fn filter(&self, pod_spec: &Value, req: Requests) -> Result<(), Vec<&'static str>> {
        if self.unschedulable {
            let t = Taint {
                key: "node.kubernetes.io/unschedulable",
                value: "",
                effect: "NoSchedule",
            };
            if !objects::tolerated(pod_spec.get("tolerations"), &t) {
                return Err(vec![R_UNSCHEDULABLE]);
            }
        }
        if objects::untolerated_taint(pod_spec, &self.facts.taints).is_some() {
            return Err(vec![R_TAINT]);
        }
        if !objects::matches_node_selection(pod_spec, &self.facts) {
            return Err(vec![R_AFFINITY]);
        }
        let mut why = Vec::new();
        if self.used_pods + 1 > self.alloc_pods {
            why.push(R_PODS);
        }
        if req.cpu > 0 && self.used.cpu + req.cpu > self.alloc.cpu {
            why.push(R_CPU);
        }
        if req.memory > 0 && self.used.memory + req.memory > self.alloc.memory {
            why.push(R_MEMORY);
        }
        if why.is_empty() { Ok(()) } else { Err(why) }
    }

    /// Lower is better: the mean share of cpu and memory in use once the pod is placed.
    pub fn score(&self, req: Requests) -> f64 {
        let share = |used: i128, alloc: i128| {
            if alloc > 0 {
                used as f64 / alloc as f64
            } else {
                1.0
            }
        };
        (share(self.used.cpu + req.cpu, self.alloc.cpu)
            + share(self.used.memory + req.memory, self.alloc.memory))
            / 2.0
    }

    pub fn add(&mut self, req: Requests) {
        self.used.cpu += req.cpu;
        self.used.memory += req.memory;
        self.used_pods += 1;
    }
}

/// kube-scheduler's FitError text: a sorted histogram of filter reasons, then the PostFilter
/// messages (DynamicResources, then preemption: with only priority-0 pods nothing can be
/// preempted).
pub fn fit_message(num_nodes: usize, per_node: &[Vec<&str>]) -> String {
    if num_nodes == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
    let mut preempt: BTreeMap<&str, usize> = BTreeMap::new();
    for reasons in per_node {
        for r in reasons {
            *hist.entry(r).or_default() += 1;
        }
        let resolvable = reasons
            .iter()
            .all(|r| [R_PODS, R_CPU, R_MEMORY].contains(r));
        let p = if resolvable {
            "No preemption victims found for incoming pod"
        } else {
            "Preemption is not helpful for scheduling"
        };
        *preempt.entry(p).or_default() += 1;
    }
    let sorted = |h: BTreeMap<&str, usize>| {
        // Upstream sorts the formatted "COUNT REASON" strings.
        let mut v: Vec<String> = h.into_iter().map(|(r, n)| format!("{n} {r}")).collect();
        v.sort();
        v.join(", ")
    };
    format!(
        "0/{num_nodes} nodes are available: {}. no new claims to deallocate, preemption: 0/{num_nodes} nodes are available: {}.",
        sorted(hist),
        sorted(preempt)
    )
}

/// A pod the scheduler should place: Pending, unbound, not being deleted.
pub fn is_pending_unbound(pod: &super::PodSum) -> bool {
    pod.node.is_empty() && !pod.deleting && matches!(pod.phase.as_str(), "" | "Pending")
}

/// Place every pending pod the cluster can host; mark the rest Unschedulable.
pub(crate) fn schedule_pending(pass: &mut Pass) {
    let mut pending: Vec<(String, String, String)> = pass
        .pods()
        .filter(|p| is_pending_unbound(p))
        .map(|p| (p.f.created.clone(), p.ns.clone(), p.name.clone()))
        .collect();
    if pending.is_empty() {
        return;
    }
    pending.sort();
    let node_list = pass.nodes();
    let mut fits: Vec<NodeFit> = node_list.iter().map(NodeFit::of).collect();
    let by_name: HashMap<&str, usize> = node_list
        .iter()
        .enumerate()
        .map(|(i, n)| (objects::name(n), i))
        .collect();
    for p in pass.pods() {
        if p.node.is_empty() || matches!(p.phase.as_str(), "Succeeded" | "Failed") {
            continue;
        }
        if let Some(&i) = by_name.get(p.node.as_str()) {
            fits[i].add(p.f.requests);
        }
    }
    let mut pods: Vec<(i64, String, Value)> = pending
        .into_iter()
        .filter_map(|(created, ns, name)| pass.pod_value(&ns, &name).map(|v| (created, v)))
        .filter(|(_, v)| matches!(s(v, &["spec", "schedulerName"]), "" | "default-scheduler"))
        .map(|(created, v)| {
            (
                -get(&v, &["spec", "priority"])
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                created,
                v,
            )
        })
        .collect();
    // Higher priority first, then the oldest (the scheduling queue's order).
    pods.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let now = objects::ts(pass.now);
    for (_, _, pod) in pods {
        let (ns, name) = (
            objects::namespace(&pod).to_string(),
            objects::name(&pod).to_string(),
        );
        let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
        let req = objects::pod_requests(&spec);
        let mut best: Option<(f64, &str, usize)> = None;
        let mut reasons = Vec::new();
        for (i, f) in fits.iter().enumerate() {
            match f.filter(&spec, req) {
                Ok(()) => {
                    let cand = (f.score(req), f.facts.name, i);
                    if best.is_none_or(|b| (cand.0, cand.1) < (b.0, b.1)) {
                        best = Some(cand);
                    }
                }
                Err(r) => reasons.push(r),
            }
        }
        match best {
            Some((_, _, i)) => {
                fits[i].add(req);
                let node = &node_list[i];
                let node_name = objects::name(node).to_string();
                let region =
                    objects::label(node, "topology.kubernetes.io/region").map(str::to_string);
                let zone = objects::label(node, "topology.kubernetes.io/zone").map(str::to_string);
                let now = now.clone();
                pass.update_pod(&ns, &name, &mut |p| {
                    bind(p, &node_name, region.as_deref(), zone.as_deref(), &now)
                });
            }
            None => {
                let msg = fit_message(fits.len(), &reasons);
                let same = objects::condition(&pod, "PodScheduled").is_some_and(|c| {
                    s(c, &["status"]) == "False"
                        && s(c, &["reason"]) == "Unschedulable"
                        && s(c, &["message"]) == msg
                });
                if !same {
                    let now = now.clone();
                    pass.update_pod(&ns, &name, &mut |p| {
                        objects::set_condition(
                            p,
                            json!({"type": "PodScheduled", "status": "False", "lastProbeTime": null,
                                   "lastTransitionTime": now, "reason": "Unschedulable", "message": msg}),
                        );
                    });
                }
            }
        }
    }
}

/// What pods/binding does: nodeName, the node's region/zone labels (PodTopologyLabelsAdmission),
/// PodScheduled=True.
fn bind(p: &mut Value, node: &str, region: Option<&str>, zone: Option<&str>, now: &str) {
    if let Some(spec) = p.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("nodeName".into(), json!(node));
    }
    if let Some(meta) = p.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            if let Some(r) = region {
                l.insert("topology.kubernetes.io/region".into(), json!(r));
            }
            if let Some(z) = zone {
                l.insert("topology.kubernetes.io/zone".into(), json!(z));
            }
        }
    }
    objects::set_condition(
        p,
        json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}),
    );
    if let Some(st) = p.get_mut("status").and_then(Value::as_object_mut) {
        st.insert("phase".into(), json!("Pending"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, labels: Value, taints: Value, unschedulable: bool) -> Value {
        json!({"metadata": {"name": name, "labels": labels},
               "spec": {"taints": taints, "unschedulable": unschedulable},
               "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "10"},
                          "conditions": [{"type": "Ready", "status": "True"}]}})
    }

    #[test]
    fn message_matches_upstream_form() {
        let m = fit_message(3, &[vec![R_TAINT], vec![R_AFFINITY], vec![R_AFFINITY]]);
        assert_eq!(
            m,
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector. \
             no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        let m = fit_message(
            3,
            &[vec![R_UNSCHEDULABLE], vec![R_CPU, R_MEMORY], vec![R_CPU]],
        );
        assert_eq!(
            m,
            "0/3 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable, 2 Insufficient cpu. \
             no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, \
             2 No preemption victims found for incoming pod."
        );
        assert_eq!(fit_message(0, &[]), "no nodes available to schedule pods");
    }

    #[test]
    fn cordoned_node_takes_wildcard_toleration() {
        let n = node(
            "n1",
            json!({}),
            json!([{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]),
            true,
        );
        let fit = NodeFit::of(&n);
        let plain = json!({"containers": []});
        assert_eq!(
            fit.filter(&plain, Requests::default()),
            Err(vec![R_UNSCHEDULABLE])
        );
        let wildcard = json!({"containers": [], "tolerations": [{"operator": "Exists"}]});
        assert_eq!(fit.filter(&wildcard, Requests::default()), Ok(()));
        let specific = json!({"tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]});
        assert_eq!(fit.filter(&specific, Requests::default()), Ok(()));
    }

    #[test]
    fn filter_order_and_resources() {
        let n = node(
            "n1",
            json!({"node-type": "applications"}),
            json!([{"key": "applications", "effect": "NoSchedule"}]),
            false,
        );
        let mut fit = NodeFit::of(&n);
        let no_tol = json!({"nodeSelector": {"node-type": "other"}});
        assert_eq!(
            fit.filter(&no_tol, Requests::default()),
            Err(vec![R_TAINT]),
            "taint is checked before affinity"
        );
        let tol = json!({"nodeSelector": {"node-type": "other"}, "tolerations": [{"key": "applications", "operator": "Exists"}]});
        assert_eq!(fit.filter(&tol, Requests::default()), Err(vec![R_AFFINITY]));
        let ok = json!({"nodeSelector": {"node-type": "applications"}, "tolerations": [{"key": "applications", "operator": "Exists"}]});
        let big = Requests {
            cpu: 1500,
            memory: 1,
        };
        assert_eq!(fit.filter(&ok, big), Ok(()));
        fit.add(big);
        assert_eq!(fit.filter(&ok, big), Err(vec![R_CPU]));
        let not_ready = json!({"metadata": {"name": "n2"}, "status": {"allocatable": {"cpu": "2", "memory": "1Gi", "pods": "5"}}});
        assert_eq!(
            NodeFit::of(&not_ready).filter(&json!({}), Requests::default()),
            Err(vec![R_TAINT])
        );
    }
}
