//! Node lifecycle controller: the `node.kubernetes.io/unschedulable:NoSchedule` taint follows
//! `spec.unschedulable` a moment (cordon_taint_delay) after a cordon, and goes on uncordon.

use super::objects::{self, get};
use super::{Pass, with_mem};
use crate::resources::Kind;
use serde_json::{Value, json};

pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

pub(crate) fn lifecycle(pass: &mut Pass) {
    let nodes = pass.nodes();
    let delay = pass.st.timing.cordon_taint_delay;
    let mut cordoned = 0u64;
    for n in nodes.iter() {
        let uid = objects::uid(n).to_string();
        let name = objects::name(n).to_string();
        let unschedulable =
            get(n, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true);
        let has_taint = objects::taints_of(get(n, &["spec", "taints"]))
            .iter()
            .any(|t| t.key == UNSCHEDULABLE_TAINT);
        if unschedulable {
            cordoned += 1;
            if has_taint {
                continue;
            }
            let now = pass.now;
            let since = with_mem(pass.st, |m| *m.cordoned_at.entry(uid).or_insert(now));
            if pass.elapsed(since, delay) {
                let t = objects::ts(now);
                let _ = pass
                    .st
                    .store
                    .update(Kind::Node, "", &name, &mut |n| add_taint(n, &t));
            }
        } else {
            with_mem(pass.st, |m| m.cordoned_at.remove(&uid));
            if has_taint {
                let _ = pass.st.store.update(Kind::Node, "", &name, &mut |n| {
                    remove_taints(n, |k| k == UNSCHEDULABLE_TAINT)
                });
            }
        }
    }
    let safety = &mut pass.st.safety;
    safety.max_unschedulable_nodes = safety.max_unschedulable_nodes.max(cordoned);
}

fn add_taint(n: &mut Value, time_added: &str) {
    push_taint(
        n,
        json!({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule", "timeAdded": time_added}),
    );
}

pub fn push_taint(n: &mut Value, taint: Value) {
    let Some(spec) = n
        .as_object_mut()
        .map(|o| o.entry("spec").or_insert_with(|| json!({})))
    else {
        return;
    };
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    let taints = spec.entry("taints").or_insert_with(|| json!([]));
    if let Some(list) = taints.as_array_mut() {
        list.push(taint);
    } else {
        *taints = json!([taint]);
    }
}

pub fn remove_taints(n: &mut Value, drop: impl Fn(&str) -> bool) {
    let Some(spec) = n.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let empty = match spec.get_mut("taints").and_then(Value::as_array_mut) {
        Some(list) => {
            list.retain(|t| !drop(objects::s(t, &["key"])));
            list.is_empty()
        }
        None => false,
    };
    if empty {
        spec.remove("taints");
    }
}
