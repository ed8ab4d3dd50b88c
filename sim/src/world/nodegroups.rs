//! EKS managed node group updates (UpdateNodegroupVersion), rolled as EKS documents it
//! ("Managed node update behavior"): scale up (surge nodes at the new version, old nodes
//! tainted `eks.amazonaws.com/nodegroup=unschedulable:NoSchedule`), upgrade (at most
//! maxUnavailable old nodes at a time: cordon, evict every pod through the Eviction API logic,
//! retrying 429s; a PDB blocking past the eviction timeout fails the update with
//! PodEvictionFailure unless `force`; drained node gone 60 s later), scale down (the surge
//! drained and removed), then the group's version and release version change.

use super::objects::{self, get};
use super::{Pass, nodes};
use crate::eks_state::{Drain, NodegroupUpdate, Phase, UpdateStatus};
use crate::resources::Kind;
use crate::scenario::ManagedNodeGroup;
use crate::scenario::expand::{self, Capacity, NodeParams, PoolLink};
use crate::state::SimState;
use crate::store::DeleteOpts;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::time::Duration;

const GROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";
/// What EKS puts on the old nodes once their replacements are up.
const UPDATE_TAINT: &str = "eks.amazonaws.com/nodegroup";
/// How often a blocked eviction is retried (sim time).
const RETRY: Duration = Duration::from_secs(5);
/// How long a drained node stays before it is terminated.
const AFTER_DRAIN: Duration = Duration::from_secs(60);

pub(crate) fn run(pass: &mut Pass) {
    pass.st.eks.wake = false;
    let active: Vec<usize> = (0..pass.st.eks.updates.len())
        .filter(|&i| pass.st.eks.updates[i].status == UpdateStatus::InProgress)
        .collect();
    for i in active {
        let mut u = pass.st.eks.updates[i].clone();
        step(pass, &mut u);
        let done = u.status != UpdateStatus::InProgress;
        let (group, now) = (u.nodegroup.clone(), pass.now);
        pass.st.eks.updates[i] = u;
        if done {
            let gs = pass.st.eks.group(&group, now);
            gs.updating = false;
            gs.modified_at = now;
        }
    }
}

fn kubelet(n: &Value) -> &str {
    objects::s(n, &["status", "nodeInfo", "kubeletVersion"])
}

fn zone(n: &Value) -> String {
    objects::label(n, "topology.kubernetes.io/zone")
        .unwrap_or_default()
        .to_string()
}

fn step(pass: &mut Pass, u: &mut NodegroupUpdate) {
    let now = pass.now;
    let Some(group) = pass
        .st
        .node_groups
        .iter()
        .find(|g| g.name == u.nodegroup)
        .cloned()
    else {
        u.status = UpdateStatus::Failed;
        u.errors.push(json!({"errorCode": "Unknown", "errorMessage": format!("Node group {} no longer exists", u.nodegroup), "resourceIds": []}));
        return;
    };
    let nodes = group_nodes(pass.st, &group.name);
    let old: Vec<String> = nodes
        .iter()
        .filter(|n| kubelet(n) != u.kubelet_version)
        .map(|n| objects::name(n).to_string())
        .collect();
    if !u.started {
        u.started = true;
        u.original_size = nodes.len() as u32;
        for n in nodes.iter().filter(|n| kubelet(n) != u.kubelet_version) {
            let z = zone(n);
            if !z.is_empty() && !u.zones.contains(&z) {
                u.zones.push(z);
            }
        }
        if u.zones.is_empty() {
            u.zones.push(format!("{}a", pass.st.cluster.region));
        }
        let max_unavailable = group.max_unavailable.max(1);
        u.surge = if old.is_empty() {
            0
        } else {
            max_unavailable.max((2 * u.zones.len() as u32).min(old.len() as u32))
        };
    }
    complete_launches(pass, u, &group);
    let live = group_nodes(pass.st, &group.name);
    let new_ready = live
        .iter()
        .filter(|n| kubelet(n) == u.kubelet_version)
        .count() as u32;
    match u.phase {
        Phase::ScaleUp | Phase::Upgrade => {
            // The Auto Scaling group keeps the node count at size + surge: replacements for
            // every old node terminated come up at the new version.
            let desired = (u.original_size + u.surge) as usize;
            while live.len() + u.launches.len() < desired {
                launch(pass, u);
            }
            if u.phase == Phase::ScaleUp {
                if new_ready >= u.surge.min(desired as u32) && u.launches.is_empty() {
                    for name in &old {
                        taint_old(pass, name);
                    }
                    u.phase = Phase::Upgrade;
                } else {
                    return;
                }
            }
            let max_unavailable = group.max_unavailable.max(1) as usize;
            u.draining
                .retain(|d| live.iter().any(|n| objects::name(n) == d.node));
            for name in &old {
                if u.draining.len() >= max_unavailable {
                    break;
                }
                if !u.draining.iter().any(|d| &d.node == name) {
                    u.draining.push(Drain {
                        node: name.clone(),
                        started: now,
                        drained_at: None,
                    });
                }
            }
            if !drain_all(pass, u) {
                return;
            }
            let old_left = group_nodes(pass.st, &group.name)
                .iter()
                .any(|n| kubelet(n) != u.kubelet_version);
            if !old_left && u.draining.is_empty() && u.launches.is_empty() {
                u.phase = Phase::ScaleDown;
            }
        }
        Phase::ScaleDown => {
            u.draining
                .retain(|d| live.iter().any(|n| objects::name(n) == d.node));
            let target = u.original_size as usize;
            let surplus = live.len().saturating_sub(target + u.draining.len());
            // The newest nodes go first (they hold the fewest pods).
            let mut candidates: Vec<&Value> = live
                .iter()
                .filter(|n| !u.draining.iter().any(|d| d.node == objects::name(n)))
                .collect();
            candidates.sort_by_key(|n| {
                std::cmp::Reverse(objects::s(n, &["metadata", "creationTimestamp"]).to_string())
            });
            for n in candidates.into_iter().take(surplus) {
                u.draining.push(Drain {
                    node: objects::name(n).to_string(),
                    started: now,
                    drained_at: None,
                });
            }
            if !drain_all(pass, u) {
                return;
            }
            if u.draining.is_empty() && group_nodes(pass.st, &group.name).len() <= target {
                u.phase = Phase::Done;
            }
        }
        Phase::Done => {}
    }
    if u.phase == Phase::Done {
        if let Some(g) = pass
            .st
            .node_groups
            .iter_mut()
            .find(|g| g.name == u.nodegroup)
        {
            g.version = u.version.clone();
            g.release_version = u.release_version.clone();
        }
        u.status = UpdateStatus::Successful;
    }
}

/// Drain every node in `u.draining` a step further; false when the update failed.
fn drain_all(pass: &mut Pass, u: &mut NodegroupUpdate) -> bool {
    let timeout = SignedDuration::try_from(pass.st.eks.settings.pod_eviction_timeout)
        .unwrap_or(SignedDuration::from_mins(15));
    let mut failed: Vec<String> = Vec::new();
    let mut draining = std::mem::take(&mut u.draining);
    draining.retain_mut(|d| match drain(pass, d, timeout, u.force) {
        DrainOutcome::Gone => false,
        DrainOutcome::Working => true,
        DrainOutcome::TimedOut => {
            failed.push(d.node.clone());
            true
        }
    });
    u.draining = draining;
    if failed.is_empty() {
        return true;
    }
    u.status = UpdateStatus::Failed;
    u.errors.push(json!({
        "errorCode": "PodEvictionFailure",
        "errorMessage": format!("Reached max retries while trying to evict pods from nodes in node group {}", u.nodegroup),
        "resourceIds": failed,
    }));
    false
}

enum DrainOutcome {
    Gone,
    Working,
    TimedOut,
}

fn drain(pass: &mut Pass, d: &mut Drain, timeout: SignedDuration, force: bool) -> DrainOutcome {
    let now = pass.now;
    let Some(node) = pass.st.store.get(Kind::Node, "", &d.node) else {
        return DrainOutcome::Gone;
    };
    if get(&node, &["spec", "unschedulable"]).and_then(Value::as_bool) != Some(true) {
        let _ = pass.st.store.update(Kind::Node, "", &d.node, &mut |n| {
            n["spec"]["unschedulable"] = json!(true);
        });
    }
    // DaemonSet and mirror pods stay (as `kubectl drain --ignore-daemonsets` leaves them).
    let pods: Vec<(String, String, bool)> = pass
        .pods()
        .filter(|p| p.node == d.node && p.f.owner_kind != "DaemonSet" && !p.f.mirror)
        .filter(|p| !matches!(p.phase.as_str(), "Succeeded" | "Failed"))
        .map(|p| (p.ns.clone(), p.name.clone(), p.deleting))
        .collect();
    let mut blocked = Vec::new();
    for (ns, name, deleting) in &pods {
        if *deleting {
            continue;
        }
        let eviction = json!({"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": name, "namespace": ns}});
        match super::evict(pass.st, ns, name, &eviction, false) {
            Ok(()) => pass.refresh_pod(ns, name),
            Err(e) if e.code == 404 => pass.refresh_pod(ns, name),
            Err(_) => blocked.push((ns.clone(), name.clone())),
        }
    }
    if !blocked.is_empty() {
        if now.duration_since(d.started) >= timeout {
            if !force {
                return DrainOutcome::TimedOut;
            }
            // force: the pods go whatever their PDBs say.
            for (ns, name) in &blocked {
                pass.delete_pod(ns, name, None);
            }
        } else {
            pass.due(d.started + timeout);
        }
        pass.due(now + SignedDuration::try_from(RETRY).unwrap_or_default());
        return DrainOutcome::Working;
    }
    if !pods.is_empty() {
        // Terminating pods: the kubelet's own timers wake the world.
        pass.due(now + SignedDuration::try_from(RETRY).unwrap_or_default());
        return DrainOutcome::Working;
    }
    let since = *d.drained_at.get_or_insert(now);
    if !pass.elapsed(since, AFTER_DRAIN) {
        return DrainOutcome::Working;
    }
    if pass
        .st
        .store
        .delete(Kind::Node, "", &d.node, &DeleteOpts::default())
        .is_ok()
    {
        pass.st.safety.nodes_terminated += 1;
    }
    DrainOutcome::Gone
}

fn taint_old(pass: &mut Pass, name: &str) {
    let Some(n) = pass.st.store.get(Kind::Node, "", name) else {
        return;
    };
    let has = objects::taints_of(get(&n, &["spec", "taints"]))
        .iter()
        .any(|t| t.key == UPDATE_TAINT);
    if !has {
        let _ = pass.st.store.update(Kind::Node, "", name, &mut |n| {
            nodes::push_taint(
                n,
                json!({"key": UPDATE_TAINT, "value": "unschedulable", "effect": "NoSchedule"}),
            );
        });
    }
}

/// Start one node launch (it joins after the scenario's node launch delay).
fn launch(pass: &mut Pass, u: &mut NodegroupUpdate) {
    let zone = u
        .zones
        .get(u.launches.len() % u.zones.len().max(1))
        .cloned()
        .unwrap_or_else(|| format!("{}a", pass.st.cluster.region));
    let region = pass.st.cluster.region.clone();
    let mut n = 0u64;
    let name = loop {
        pass.st.eks.serial += 1;
        n += 1;
        let h = objects::splitmix(pass.st.seed ^ pass.st.eks.serial.wrapping_mul(0x5851_F42D));
        let ip = format!("192.168.{}.{}", 64 + (h % 128), 10 + (h >> 8) % 240);
        let name = expand::node_name_for_ip(&ip, &region);
        let taken = pass.st.store.get(Kind::Node, "", &name).is_some()
            || u.launches.iter().any(|(l, _, _)| *l == name);
        if !taken || n > 1000 {
            break name;
        }
    };
    let delay = SignedDuration::try_from(pass.st.timing.node_launch_delay).unwrap_or_default();
    let due = pass.now + delay;
    u.launches.push((name, zone, due));
    pass.due(due);
}

fn complete_launches(pass: &mut Pass, u: &mut NodegroupUpdate, group: &ManagedNodeGroup) {
    let now = pass.now;
    let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut u.launches)
        .into_iter()
        .partition(|(_, _, due)| *due <= now);
    u.launches = waiting;
    for (_, _, due) in &u.launches {
        pass.due(*due);
    }
    for (name, zone, _) in ready {
        let node = node_object(pass, u, group, &name, &zone, now);
        if pass.st.store.create(Kind::Node, node).is_ok() {
            pass.st.safety.nodes_launched += 1;
        }
    }
}

fn node_object(
    pass: &Pass,
    u: &NodegroupUpdate,
    group: &ManagedNodeGroup,
    name: &str,
    zone: &str,
    now: Timestamp,
) -> Value {
    let ip = name
        .strip_prefix("ip-")
        .and_then(|r| r.split('.').next())
        .map(|r| r.replace('-', "."))
        .unwrap_or_else(|| "192.168.0.1".into());
    let instance_type = group
        .instance_types
        .first()
        .cloned()
        .unwrap_or_else(|| "m5.large".into());
    let taints = group
        .taints
        .iter()
        .filter_map(|t| serde_json::from_value(t.clone()).ok())
        .collect();
    let h = objects::fnv64(name);
    let mut node = expand::node(&NodeParams {
        name: name.to_string(),
        ip,
        kubelet_version: u.kubelet_version.clone(),
        pool: PoolLink::NodeGroup(group.name.clone()),
        labels: group.labels.clone(),
        annotations: Default::default(),
        taints,
        instance_type: instance_type.clone(),
        zone: zone.to_string(),
        region: pass.st.cluster.region.clone(),
        capacity: Capacity::of_instance(&instance_type),
        ready: true,
        unschedulable: false,
        created: now,
        instance_id: format!("i-{:017x}", h >> 4),
    });
    // The AMI follows the release version.
    node["metadata"]["labels"]["eks.amazonaws.com/nodegroup-image"] = json!(format!(
        "ami-{:017x}",
        objects::fnv64(&u.release_version) >> 4
    ));
    node["metadata"]["labels"][GROUP_LABEL] = json!(group.name);
    node
}

/// Live (not deleting) nodes of a node group.
pub fn group_nodes(st: &SimState, group: &str) -> Vec<Value> {
    st.store
        .list(Kind::Node, None)
        .into_iter()
        .filter(|n| {
            n.pointer("/metadata/labels/eks.amazonaws.com~1nodegroup")
                .and_then(Value::as_str)
                == Some(group)
        })
        .filter(|n| n.pointer("/metadata/deletionTimestamp").is_none())
        .collect()
}
