//! The kubelets of all nodes: start bound pods (Running + Ready after the pod start delay),
//! confirm deletions once the grace period has passed (a pod with finalizers then stays,
//! terminated, until they are gone), and (as the pod GC) remove pods whose node is gone.
//! The kubelets of `faults.stuck_kubelet_nodes` confirm nothing: their pods stay Terminating.

use super::objects::{self, get, s};
use super::{Pass, with_mem};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::HashMap;

pub(crate) fn run(pass: &mut Pass) {
    let nodes = pass.nodes();
    let node_ip: HashMap<String, String> = nodes
        .iter()
        .map(|n| {
            (
                objects::name(n).to_string(),
                internal_ip(n).unwrap_or("192.168.0.1").to_string(),
            )
        })
        .collect();
    let start_delay = pass.st.timing.pod_start_delay;
    let stuck: std::collections::HashSet<String> =
        pass.st.faults.stuck_kubelet_nodes.iter().cloned().collect();
    let mut remove = Vec::new();
    let mut start = Vec::new();
    let mut terminating = Vec::new();
    for p in pass.pods() {
        let key = (p.ns.clone(), p.name.clone());
        let on_node = !p.node.is_empty() && node_ip.contains_key(&p.node);
        if p.deleting {
            let lost = on_node && stuck.contains(&p.node);
            if !lost && (!on_node || p.f.deletion_grace <= 0) {
                remove.push(key);
            } else if p.f.deletion_grace > 0 {
                terminating.push((key, p.uid.clone(), p.f.deletion_grace, lost));
            }
        } else if !p.node.is_empty() && !on_node {
            remove.push(key);
        } else if on_node
            && (matches!(p.phase.as_str(), "" | "Pending")
                || (p.phase == "Running" && !p.f.ready_known))
        {
            // Pending pods start; a pod given Running without any conditions gets the status its
            // kubelet would report.
            start.push((
                key,
                p.f.scheduled_at
                    .or_else(|| p.f.created.parse().ok())
                    .unwrap_or(pass.now),
                node_ip.get(&p.node).cloned().unwrap_or_default(),
            ));
        }
    }
    let now = pass.now;
    for (key, uid, grace, lost) in terminating {
        // The deadline counts from when the deletion was first seen, lost kubelet or not: one
        // that comes back late confirms at once.
        let deadline = with_mem(pass.st, |m| {
            *m.delete_deadline
                .entry(uid)
                .or_insert(now + jiff::SignedDuration::from_secs(grace))
        });
        if lost {
            // A lost kubelet: the deletion waits for a force delete or the kubelet's return.
        } else if pass.instant || deadline <= now {
            remove.push(key);
        } else {
            pass.due(deadline);
        }
    }
    for (ns, name) in remove {
        pass.remove_pod(&ns, &name);
    }
    for ((ns, name), since, host_ip) in start {
        if pass.elapsed(since, start_delay) {
            let at = if pass.instant {
                now
            } else {
                since + jiff::SignedDuration::try_from(start_delay).unwrap_or_default()
            };
            pass.update_pod(&ns, &name, &mut |p| mark_running(p, &host_ip, at));
        }
    }
}

/// What the kubelet reports for a pod it has stopped: every container terminated (exit 0),
/// not ready, and the terminal phase (Succeeded) a deleted pod's kubelet gives it.
pub(crate) fn mark_terminated(p: &mut Value, at: Timestamp) {
    let t = objects::ts(at);
    if let Some(statuses) = p
        .pointer_mut("/status/containerStatuses")
        .and_then(Value::as_array_mut)
    {
        for c in statuses {
            let started = get(c, &["state", "running", "startedAt"]).cloned();
            c["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
                "startedAt": started, "finishedAt": t}});
            c["ready"] = json!(false);
            c["started"] = json!(false);
        }
    }
    if let Some(conds) = p
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    {
        for c in conds {
            if matches!(
                s(c, &["type"]),
                "Ready" | "ContainersReady" | "PodReadyToStartContainers"
            ) && s(c, &["status"]) == "True"
            {
                c["status"] = json!("False");
                c["lastTransitionTime"] = json!(t);
                if s(c, &["type"]) != "PodReadyToStartContainers" {
                    c["reason"] = json!("PodCompleted");
                }
            }
        }
    }
    p["status"]["phase"] = json!("Succeeded");
}

pub fn internal_ip(node: &Value) -> Option<&str> {
    get(node, &["status", "addresses"])?
        .as_array()?
        .iter()
        .find(|a| s(a, &["type"]) == "InternalIP")
        .map(|a| s(a, &["address"]))
}

/// A pod IP in the node's /16, stable for the pod's UID.
pub fn pod_ip(host_ip: &str, uid: &str) -> String {
    let h = objects::fnv64(uid);
    let mut octets = host_ip.split('.');
    let (a, b) = (
        octets.next().unwrap_or("192"),
        octets.next().unwrap_or("168"),
    );
    format!("{a}.{b}.{}.{}", (h >> 8) % 256, 1 + (h % 254))
}

fn mark_running(p: &mut Value, host_ip: &str, at: Timestamp) {
    let t = objects::ts(at);
    let uid = objects::uid(p).to_string();
    let ip = pod_ip(host_ip, &uid);
    let statuses: Vec<Value> = get(p, &["spec", "containers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let name = s(c, &["name"]);
            let image = s(c, &["image"]);
            let h = objects::fnv64(&format!("{uid}/{name}"));
            json!({
                "name": name,
                "state": {"running": {"startedAt": t}},
                "lastState": {},
                "ready": true,
                "restartCount": 0,
                "image": image,
                "imageID": format!("{}@sha256:{:016x}{:016x}{:016x}{:016x}", image.split(':').next().unwrap_or(image), h, h.rotate_left(16), h.rotate_left(32), h.rotate_left(48)),
                "containerID": format!("containerd://{:016x}{:016x}{:016x}{:016x}", h.rotate_left(8), h.rotate_left(24), h.rotate_left(40), h.rotate_left(56)),
                "started": true,
            })
        })
        .collect();
    let qos = qos_class(p.get("spec").unwrap_or(&Value::Null));
    let scheduled = objects::condition(p, "PodScheduled").cloned();
    let cond = |ty: &str| json!({"type": ty, "status": "True", "lastProbeTime": null, "lastTransitionTime": t});
    let mut conditions = vec![
        cond("PodReadyToStartContainers"),
        cond("Initialized"),
        cond("Ready"),
        cond("ContainersReady"),
    ];
    conditions.push(scheduled.unwrap_or_else(|| cond("PodScheduled")));
    let status = json!({
        "phase": "Running",
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": t,
        "containerStatuses": statuses,
        "qosClass": qos,
    });
    if let Some(o) = p.as_object_mut() {
        o.insert("status".into(), status);
    }
}

/// Guaranteed when every container has equal cpu+memory requests and limits, BestEffort when
/// none has any, Burstable otherwise.
pub fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = get(spec, &["containers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        let req = get(c, &["resources", "requests"]).and_then(Value::as_object);
        let lim = get(c, &["resources", "limits"]).and_then(Value::as_object);
        if req.is_some_and(|r| !r.is_empty()) || lim.is_some_and(|l| !l.is_empty()) {
            any = true;
        }
        for r in ["cpu", "memory"] {
            let l = lim.and_then(|l| l.get(r));
            let q = req.and_then(|q| q.get(r)).or(l);
            if l.is_none() || objects::quantity_milli(l) != objects::quantity_milli(q) {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}
