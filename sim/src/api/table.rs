//! Server-side printing: `meta.k8s.io/v1` Table responses for `kubectl get`, with the columns
//! the real server prints for each kind (the CRD printer columns for Karpenter kinds). Ages are
//! computed against the sim clock, so they stay right when simulated time runs fast.

use crate::resources::Kind;
use serde_json::{Value, json};

/// Does this Accept header ask for a Table?
pub fn wants_table(accept: &str) -> bool {
    accept.split(',').any(|p| {
        let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
        p.contains("as=Table") && p.contains("g=meta.k8s.io")
    })
}

/// kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration).
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

fn age(obj: &Value, now: jiff::Timestamp) -> String {
    match obj
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
    {
        Some(t) => human_duration(now.duration_since(t).as_secs()),
        None => "<unknown>".into(),
    }
}

fn s(v: &Value, ptr: &str) -> String {
    match v.pointer(ptr) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn or_none(x: String) -> Value {
    if x.is_empty() {
        json!("<none>")
    } else {
        json!(x)
    }
}

fn int(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn condition(v: &Value, ptr: &str, ty: &str) -> Option<String> {
    v.pointer(ptr)?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
        .and_then(|c| c.get("status").and_then(Value::as_str))
        .map(str::to_string)
}

fn label(v: &Value, key: &str) -> String {
    v.pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn containers_images(v: &Value, spec_ptr: &str) -> (String, String) {
    let cs = v
        .pointer(spec_ptr)
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<String> = cs.iter().map(|c| s(c, "/name")).collect();
    let images: Vec<String> = cs.iter().map(|c| s(c, "/image")).collect();
    (names.join(","), images.join(","))
}

fn selector_string(v: &Value) -> String {
    v.pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, x)| format!("{k}={}", x.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// (name, type, priority) of each column after Name.
fn columns(kind: Kind, version: &str) -> Vec<(&'static str, &'static str, u8)> {
    match kind {
        Kind::Node => vec![
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
            ("Internal-IP", "string", 1),
            ("External-IP", "string", 1),
            ("OS-Image", "string", 1),
            ("Kernel-Version", "string", 1),
            ("Container-Runtime", "string", 1),
        ],
        Kind::Pod => vec![
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1),
        ],
        Kind::Namespace => vec![("Status", "string", 0), ("Age", "string", 0)],
        Kind::Deployment => vec![
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Kind::ReplicaSet => vec![
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Kind::StatefulSet => {
            vec![
                ("Ready", "string", 0),
                ("Age", "string", 0),
                ("Containers", "string", 1),
                ("Images", "string", 1),
            ]
        }
        Kind::DaemonSet => vec![
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Node Selector", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Kind::PodDisruptionBudget => vec![
            ("Min Available", "string", 0),
            ("Max Unavailable", "string", 0),
            ("Allowed Disruptions", "integer", 0),
            ("Age", "string", 0),
        ],
        Kind::Provisioner => vec![("Template", "string", 0), ("Weight", "string", 1)],
        Kind::NodePool if version == "v1beta1" => {
            vec![("NodeClass", "string", 0), ("Weight", "string", 1)]
        }
        Kind::NodePool => vec![
            ("NodeClass", "string", 0),
            ("Nodes", "string", 0),
            ("Ready", "string", 0),
            ("Age", "date", 0),
            ("Weight", "integer", 1),
            ("CPU", "string", 1),
            ("Memory", "string", 1),
        ],
        Kind::NodeClaim if version == "v1beta1" => vec![
            ("Type", "string", 0),
            ("Zone", "string", 0),
            ("Node", "string", 0),
            ("Ready", "string", 0),
            ("Age", "date", 0),
            ("Capacity", "string", 1),
            ("NodePool", "string", 1),
            ("NodeClass", "string", 1),
        ],
        Kind::NodeClaim => vec![
            ("Type", "string", 0),
            ("Capacity", "string", 0),
            ("Zone", "string", 0),
            ("Node", "string", 0),
            ("Ready", "string", 0),
            ("Age", "date", 0),
            ("ID", "string", 1),
            ("NodePool", "string", 1),
            ("NodeClass", "string", 1),
        ],
        // The v1 CRD's printer columns (v1beta1 has none but Age).
        Kind::EC2NodeClass if version == "v1beta1" => vec![("Age", "date", 0)],
        Kind::EC2NodeClass => vec![
            ("Ready", "string", 0),
            ("Age", "date", 0),
            ("Role", "string", 1),
        ],
        Kind::Job => vec![
            ("Status", "string", 0),
            ("Completions", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::Lease => vec![("Holder", "string", 0), ("Age", "date", 0)],
        Kind::Secret => vec![
            ("Type", "string", 0),
            ("Data", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::CronJob => vec![
            ("Schedule", "string", 0),
            ("Suspend", "boolean", 0),
            ("Active", "integer", 0),
            ("Age", "string", 0),
        ],
    }
}

fn pod_status(p: &Value) -> String {
    if p.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        return "Terminating".into();
    }
    if let Some(r) = p.pointer("/status/reason").and_then(Value::as_str) {
        return r.to_string();
    }
    let waiting = p
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find_map(|c| c.pointer("/state/waiting/reason").and_then(Value::as_str))
        });
    if let Some(w) = waiting {
        return w.to_string();
    }
    let phase = s(p, "/status/phase");
    if phase.is_empty() {
        "Pending".into()
    } else {
        phase
    }
}

fn cells(kind: Kind, version: &str, o: &Value, now: jiff::Timestamp) -> Vec<Value> {
    let name = json!(s(o, "/metadata/name"));
    let a = json!(age(o, now));
    let rest: Vec<Value> = match kind {
        Kind::Node => {
            let ready = condition(o, "/status/conditions", "Ready");
            let mut status = if ready.as_deref() == Some("True") {
                "Ready".to_string()
            } else if ready.is_some() {
                "NotReady".into()
            } else {
                "Unknown".into()
            };
            if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
                status.push_str(",SchedulingDisabled");
            }
            let mut roles: Vec<String> = o
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.keys()
                        .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            roles.sort();
            let addr = |ty: &str| {
                o.pointer("/status/addresses")
                    .and_then(Value::as_array)
                    .and_then(|a| {
                        a.iter()
                            .find(|x| x.get("type").and_then(Value::as_str) == Some(ty))
                    })
                    .map(|x| s(x, "/address"))
                    .unwrap_or_default()
            };
            vec![
                json!(status),
                or_none(roles.join(",")),
                a,
                json!(s(o, "/status/nodeInfo/kubeletVersion")),
                or_none(addr("InternalIP")),
                or_none(addr("ExternalIP")),
                json!(s(o, "/status/nodeInfo/osImage")),
                json!(s(o, "/status/nodeInfo/kernelVersion")),
                json!(s(o, "/status/nodeInfo/containerRuntimeVersion")),
            ]
        }
        Kind::Pod => {
            let total = o
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let statuses = o
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let ready = statuses
                .iter()
                .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
                .count();
            let restarts: i64 = statuses.iter().map(|c| int(c, "/restartCount")).sum();
            vec![
                json!(format!("{ready}/{total}")),
                json!(pod_status(o)),
                json!(restarts.to_string()),
                a,
                or_none(s(o, "/status/podIP")),
                or_none(s(o, "/spec/nodeName")),
                or_none(s(o, "/status/nominatedNodeName")),
                json!("<none>"),
            ]
        }
        Kind::Namespace => vec![json!(s(o, "/status/phase")), a],
        Kind::Deployment => {
            let (c, i) = containers_images(o, "/spec/template/spec");
            vec![
                json!(format!(
                    "{}/{}",
                    int(o, "/status/readyReplicas"),
                    int(o, "/spec/replicas")
                )),
                json!(int(o, "/status/updatedReplicas")),
                json!(int(o, "/status/availableReplicas")),
                a,
                json!(c),
                json!(i),
                json!(selector_string(o)),
            ]
        }
        Kind::ReplicaSet => {
            let (c, i) = containers_images(o, "/spec/template/spec");
            vec![
                json!(int(o, "/spec/replicas")),
                json!(int(o, "/status/replicas")),
                json!(int(o, "/status/readyReplicas")),
                a,
                json!(c),
                json!(i),
                json!(selector_string(o)),
            ]
        }
        Kind::StatefulSet => {
            let (c, i) = containers_images(o, "/spec/template/spec");
            vec![
                json!(format!(
                    "{}/{}",
                    int(o, "/status/readyReplicas"),
                    int(o, "/spec/replicas")
                )),
                a,
                json!(c),
                json!(i),
            ]
        }
        Kind::DaemonSet => {
            let (c, i) = containers_images(o, "/spec/template/spec");
            let ns = o
                .pointer("/spec/template/spec/nodeSelector")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, x)| format!("{k}={}", x.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            vec![
                json!(int(o, "/status/desiredNumberScheduled")),
                json!(int(o, "/status/currentNumberScheduled")),
                json!(int(o, "/status/numberReady")),
                json!(int(o, "/status/updatedNumberScheduled")),
                json!(int(o, "/status/numberAvailable")),
                or_none(ns),
                a,
                json!(c),
                json!(i),
                json!(selector_string(o)),
            ]
        }
        Kind::PodDisruptionBudget => {
            let na = |p: &str| {
                let x = s(o, p);
                if x.is_empty() { json!("N/A") } else { json!(x) }
            };
            vec![
                na("/spec/minAvailable"),
                na("/spec/maxUnavailable"),
                json!(int(o, "/status/disruptionsAllowed")),
                a,
            ]
        }
        Kind::Provisioner => vec![
            json!(s(o, "/spec/providerRef/name")),
            json!(s(o, "/spec/weight")),
        ],
        Kind::NodePool if version == "v1beta1" => {
            vec![
                json!(s(o, "/spec/template/spec/nodeClassRef/name")),
                json!(s(o, "/spec/weight")),
            ]
        }
        Kind::NodePool => vec![
            json!(s(o, "/spec/template/spec/nodeClassRef/name")),
            json!(s(o, "/status/resources/nodes")),
            json!(condition(o, "/status/conditions", "Ready").unwrap_or_default()),
            a,
            o.pointer("/spec/weight").cloned().unwrap_or(Value::Null),
            json!(s(o, "/status/resources/cpu")),
            json!(s(o, "/status/resources/memory")),
        ],
        Kind::EC2NodeClass if version == "v1beta1" => vec![a],
        Kind::EC2NodeClass => vec![
            json!(condition(o, "/status/conditions", "Ready").unwrap_or_default()),
            a,
            json!(s(o, "/spec/role")),
        ],
        Kind::NodeClaim => {
            let ready = json!(condition(o, "/status/conditions", "Ready").unwrap_or_default());
            let ty = json!(label(o, "node.kubernetes.io/instance-type"));
            let cap = json!(label(o, "karpenter.sh/capacity-type"));
            let zone = json!(label(o, "topology.kubernetes.io/zone"));
            let node = json!(s(o, "/status/nodeName"));
            let pool = json!(label(o, "karpenter.sh/nodepool"));
            let class = json!(s(o, "/spec/nodeClassRef/name"));
            if version == "v1beta1" {
                vec![ty, zone, node, ready, a, cap, pool, class]
            } else {
                vec![
                    ty,
                    cap,
                    zone,
                    node,
                    ready,
                    a,
                    json!(s(o, "/status/providerID")),
                    pool,
                    class,
                ]
            }
        }
        Kind::Job => {
            // No Job controller runs: a Job stays as it was created.
            let done = o
                .pointer("/status/succeeded")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let want = o
                .pointer("/spec/completions")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let status = if done >= want { "Complete" } else { "Running" };
            vec![json!(status), json!(format!("{done}/{want}")), a]
        }
        Kind::Lease => vec![json!(s(o, "/spec/holderIdentity")), a],
        Kind::Secret => vec![
            json!(s(o, "/type")),
            json!(
                o.get("data")
                    .and_then(Value::as_object)
                    .map_or(0, |d| d.len())
            ),
            a,
        ],
        Kind::CronJob => vec![
            json!(s(o, "/spec/schedule")),
            o.pointer("/spec/suspend").cloned().unwrap_or(json!(false)),
            json!(
                o.pointer("/status/active")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            ),
            a,
        ],
    };
    let mut out = vec![name];
    out.extend(rest);
    out
}

/// A Table of `objs`; `include` is the includeObject parameter (None, Metadata (default), Object).
pub fn table(
    kind: Kind,
    version: &str,
    objs: &[Value],
    now: jiff::Timestamp,
    include: &str,
    list_meta: Value,
) -> Value {
    let mut defs = vec![json!({"name": "Name", "type": "string", "format": "name",
        "description": "Name must be unique within a namespace.", "priority": 0})];
    for (name, ty, prio) in columns(kind, version) {
        defs.push(
            json!({"name": name, "type": ty, "format": "", "description": name, "priority": prio}),
        );
    }
    let rows: Vec<Value> = objs
        .iter()
        .map(|o| {
            let object = match include {
                "None" => Value::Null,
                "Object" => o.clone(),
                _ => json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": o.get("metadata").cloned().unwrap_or_default()}),
            };
            let mut row = json!({"cells": cells(kind, version, o, now)});
            if !object.is_null() {
                row["object"] = object;
            }
            row
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "columnDefinitions": defs, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_like_kubectl() {
        assert_eq!(human_duration(-5), "<invalid>");
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h2m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
        assert_eq!(human_duration(100 * 86400), "100d");
    }

    #[test]
    fn node_and_pod_rows() {
        let now: jiff::Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
        let n = json!({"metadata": {"name": "n1", "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"node-role.kubernetes.io/worker": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.24.17"}}});
        let t = table(
            Kind::Node,
            "v1",
            &[n],
            now,
            "",
            json!({"resourceVersion": "5"}),
        );
        assert_eq!(
            t["rows"][0]["cells"].as_array().unwrap()[0..5],
            [
                json!("n1"),
                json!("Ready,SchedulingDisabled"),
                json!("worker"),
                json!("60m"),
                json!("v1.24.17")
            ]
        );
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        let p = json!({"metadata": {"name": "p", "deletionTimestamp": "x"}, "spec": {"containers": [{}]},
            "status": {"phase": "Running", "containerStatuses": [{"ready": true, "restartCount": 2}]}});
        let t = table(Kind::Pod, "v1", &[p], now, "None", json!({}));
        assert_eq!(
            t["rows"][0]["cells"].as_array().unwrap()[1..4],
            [json!("1/1"), json!("Terminating"), json!("2")]
        );
        assert!(t["rows"][0].get("object").is_none());
        assert!(wants_table(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        ));
    }
}
