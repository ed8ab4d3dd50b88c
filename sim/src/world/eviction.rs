//! The `pods/eviction` subresource (policy/v1 Eviction), as the API server's eviction REST
//! handler decides: missing pod 404, pods that are not Running skip every PDB check, two PDBs
//! 500, an unobserved PDB 429 + Retry-After 10, no disruptions left 429, else 201 with the
//! PDB decremented at once and the pod terminating with a DisruptionTarget condition.

use super::objects::{self, get, s};
use super::with_mem;
use crate::resources::Kind;
use crate::state::SimState;
use crate::store::{ApiError, DeleteOpts};
use serde_json::{Value, json};

fn api_error(
    code: u16,
    reason: &str,
    message: String,
    details: Option<Value>,
    retry_after: Option<u64>,
) -> ApiError {
    ApiError {
        code,
        reason: reason.to_string(),
        message,
        details,
        retry_after,
    }
}

const PDB_MESSAGE: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

/// What the eviction handler decides before touching anything (pure, for tests).
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Delete without a PDB check.
    Delete,
    /// Decrement this PDB (index into the list given), then delete.
    DecrementThenDelete(usize),
    Refuse(ApiErrorParts),
}

#[derive(Debug, PartialEq)]
pub struct ApiErrorParts {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub cause: Option<String>,
    pub retry_after: Option<u64>,
}

impl From<ApiErrorParts> for ApiError {
    fn from(p: ApiErrorParts) -> Self {
        let mut details = p
            .cause
            .map(|c| json!({"causes": [{"reason": "DisruptionBudget", "message": c}]}));
        if let (Some(d), Some(r)) = (details.as_mut(), p.retry_after) {
            d["retryAfterSeconds"] = json!(r);
        }
        api_error(p.code, p.reason, p.message, details, p.retry_after)
    }
}

/// The decision for `pod` given the PDBs that select it.
pub fn decide(pod: &Value, pdbs: &[&Value]) -> Decision {
    // canIgnorePDB: terminal, Pending, or already terminating pods are deleted outright.
    if objects::deleting(pod)
        || matches!(
            s(pod, &["status", "phase"]),
            "" | "Pending" | "Succeeded" | "Failed"
        )
    {
        return Decision::Delete;
    }
    match pdbs {
        [] => return Decision::Delete,
        [_] => {}
        _ => {
            return Decision::Refuse(ApiErrorParts {
                code: 500,
                reason: "",
                message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
                    .into(),
                cause: None,
                retry_after: None,
            });
        }
    }
    let pdb = pdbs[0];
    let status = |k: &str| {
        get(pdb, &["status", k])
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    if !objects::condition_true(pod, "Ready") {
        if s(pdb, &["spec", "unhealthyPodEvictionPolicy"]) == "AlwaysAllow" {
            return Decision::Delete;
        }
        if status("currentHealthy") >= status("desiredHealthy") && status("desiredHealthy") > 0 {
            return Decision::Delete;
        }
    }
    let name = objects::name(pdb);
    if status("observedGeneration") < objects::generation(pdb) {
        return Decision::Refuse(ApiErrorParts {
            code: 429,
            reason: "TooManyRequests",
            message: PDB_MESSAGE.into(),
            cause: Some(format!(
                "The disruption budget {name} is still being processed by the server."
            )),
            retry_after: Some(10),
        });
    }
    let allowed = status("disruptionsAllowed");
    if allowed < 0 {
        return Decision::Refuse(ApiErrorParts {
            code: 403,
            reason: "Forbidden",
            message: "pdb disruptions allowed is negative".into(),
            cause: None,
            retry_after: None,
        });
    }
    if allowed == 0 {
        return Decision::Refuse(ApiErrorParts {
            code: 429,
            reason: "TooManyRequests",
            message: PDB_MESSAGE.into(),
            cause: Some(format!(
                "The disruption budget {name} needs {} healthy pods and has {} currently",
                status("desiredHealthy"),
                status("currentHealthy")
            )),
            retry_after: None,
        });
    }
    Decision::DecrementThenDelete(0)
}

/// POST .../pods/NAME/eviction. Ok means 201 Success. `dry_run`: every check, no change
/// (the real handler checks the PDB but neither decrements it nor deletes the pod).
pub fn evict(
    state: &mut SimState,
    ns: &str,
    name: &str,
    eviction: &Value,
    dry_run: bool,
) -> Result<(), ApiError> {
    let Some(pod) = state.store.get(Kind::Pod, ns, name) else {
        return Err(api_error(
            404,
            "NotFound",
            format!("pods \"{name}\" not found"),
            Some(json!({"name": name, "kind": "pods"})),
            None,
        ));
    };
    let opts = eviction.get("deleteOptions");
    let pod_uid = objects::uid(&pod).to_string();
    if let Some(want) = opts
        .and_then(|o| get(o, &["preconditions", "uid"]))
        .and_then(Value::as_str)
        && want != pod_uid
    {
        return Err(api_error(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on pods \"{name}\": the UID in the precondition ({want}) does not match the UID in record ({pod_uid}). The object might have been deleted and then recreated"
            ),
            Some(json!({"name": name, "kind": "pods"})),
            None,
        ));
    }
    let pdbs: Vec<Value> = state
        .store
        .list(Kind::PodDisruptionBudget, Some(ns))
        .into_iter()
        .filter(|p| super::disruption::pdb_selects(p, &pod))
        .collect();
    let refs: Vec<&Value> = pdbs.iter().collect();
    match decide(&pod, &refs) {
        Decision::Refuse(parts) => {
            if parts.code == 429 && !dry_run {
                state.safety.evictions_blocked += 1;
            }
            Err(parts.into())
        }
        _ if dry_run => Ok(()),
        Decision::Delete => delete_evicted(state, &pod, opts),
        Decision::DecrementThenDelete(i) => {
            let now = objects::ts(state.clock.now());
            let pdb = &pdbs[i];
            let pod_name = name.to_string();
            state.store.update(Kind::PodDisruptionBudget, ns, objects::name(pdb), &mut |p| {
                let allowed = get(p, &["status", "disruptionsAllowed"]).and_then(Value::as_i64).unwrap_or(0) - 1;
                p["status"]["disruptionsAllowed"] = json!(allowed);
                if !p["status"].get("disruptedPods").is_some_and(Value::is_object) {
                    p["status"]["disruptedPods"] = json!({});
                }
                p["status"]["disruptedPods"][&pod_name] = json!(now);
                if allowed == 0 {
                    let generation = objects::generation(p);
                    objects::set_condition(
                        p,
                        json!({"type": "DisruptionAllowed", "status": "False", "observedGeneration": generation,
                               "lastTransitionTime": now, "reason": "InsufficientPods", "message": ""}),
                    );
                }
            })?;
            delete_evicted(state, &pod, opts)
        }
    }
}

fn delete_evicted(state: &mut SimState, pod: &Value, opts: Option<&Value>) -> Result<(), ApiError> {
    let (ns, name) = (
        objects::namespace(pod).to_string(),
        objects::name(pod).to_string(),
    );
    let uid = objects::uid(pod).to_string();
    let already = objects::deleting(pod);
    let grace = opts
        .and_then(|o| o.get("gracePeriodSeconds"))
        .and_then(Value::as_i64)
        .or_else(|| get(pod, &["spec", "terminationGracePeriodSeconds"]).and_then(Value::as_i64))
        .unwrap_or(state.timing.default_grace_period.as_secs() as i64)
        .max(0);
    let bound = !s(pod, &["spec", "nodeName"]).is_empty();
    let now = state.clock.now();
    let now_s = objects::ts(now);
    if bound && !already {
        state.store.update(Kind::Pod, &ns, &name, &mut |p| {
            objects::set_condition(
                p,
                json!({"type": "DisruptionTarget", "status": "True", "lastProbeTime": null,
                       "lastTransitionTime": now_s, "reason": "EvictionByEvictionAPI",
                       "message": "Eviction API: evicting"}),
            );
        })?;
    }
    state.safety.evictions += 1;
    if already {
        return Ok(());
    }
    with_mem(state, |m| {
        m.evicted.insert(uid.clone());
    });
    let opts = DeleteOpts {
        grace_period_seconds: Some(grace),
        uid: Some(uid.clone()),
    };
    state.store.delete(Kind::Pod, &ns, &name, &opts)?;
    if state.store.get(Kind::Pod, &ns, &name).is_some() {
        // The deletion deadline runs on the sim clock.
        let deadline = now + jiff::SignedDuration::from_secs(grace);
        let at = objects::ts(deadline);
        let _ = state.store.update(Kind::Pod, &ns, &name, &mut |p| {
            p["metadata"]["deletionTimestamp"] = json!(at);
            p["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
        });
        with_mem(state, |m| {
            m.delete_deadline.insert(uid.clone(), deadline);
        });
    } else {
        with_mem(state, |m| m.pods.remove(&uid));
        if objects::controller_ref(pod).is_none() {
            state.safety.pods_lost += 1;
        }
    }
    replace_at_once(state, pod);
    Ok(())
}

/// The ReplicaSet controller reacts to the deletion within the same moment (ref 52: the
/// replacement exists right after the 201).
fn replace_at_once(state: &mut SimState, pod: &Value) {
    let Some(owner) = objects::controller_ref(pod) else {
        return;
    };
    if s(owner, &["kind"]) != "ReplicaSet" {
        return;
    }
    let ns = objects::namespace(pod);
    let Some(rs) = state.store.get(Kind::ReplicaSet, ns, s(owner, &["name"])) else {
        return;
    };
    if objects::deleting(&rs) {
        return;
    }
    let rs_uid = objects::self_key("ReplicaSet", &rs);
    let owned: Vec<std::sync::Arc<super::PodSum>> = super::pod_sums(state, Some(ns))
        .into_iter()
        .filter(|p| p.f.owner_key == rs_uid)
        .collect();
    super::controllers::reconcile_replicaset(state, &rs, &owned);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(ready: bool) -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n"},
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }
    fn pdb(allowed: i64, current: i64, desired: i64, generation: i64, observed: i64) -> Value {
        json!({"metadata": {"name": "nginx-pdb", "generation": generation},
               "status": {"disruptionsAllowed": allowed, "currentHealthy": current, "desiredHealthy": desired,
                          "observedGeneration": observed}})
    }

    #[test]
    fn blocked_by_budget_is_429_without_retry_after() {
        let p = pdb(0, 3, 3, 1, 1);
        let Decision::Refuse(e) = decide(&running(true), &[&p]) else {
            panic!("not refused")
        };
        assert_eq!(
            (e.code, e.reason, e.retry_after),
            (429, "TooManyRequests", None)
        );
        assert_eq!(
            e.message,
            "Cannot evict pod as it would violate the pod's disruption budget."
        );
        assert_eq!(
            e.cause.as_deref(),
            Some("The disruption budget nginx-pdb needs 3 healthy pods and has 3 currently")
        );
        let api: ApiError = e.into();
        assert_eq!(
            api.details,
            Some(json!({"causes": [{"reason": "DisruptionBudget",
                "message": "The disruption budget nginx-pdb needs 3 healthy pods and has 3 currently"}]}))
        );
    }

    #[test]
    fn unobserved_budget_is_429_with_retry_after_10() {
        let p = pdb(1, 3, 2, 5, 4);
        let Decision::Refuse(e) = decide(&running(true), &[&p]) else {
            panic!("not refused")
        };
        assert_eq!((e.code, e.retry_after), (429, Some(10)));
        let api: ApiError = e.into();
        assert_eq!(
            api.details
                .as_ref()
                .and_then(|d| d.get("retryAfterSeconds")),
            Some(&json!(10))
        );
    }

    #[test]
    fn two_budgets_500_without_reason() {
        let (a, b) = (pdb(1, 3, 2, 1, 1), pdb(1, 3, 2, 1, 1));
        let Decision::Refuse(e) = decide(&running(true), &[&a, &b]) else {
            panic!("not refused")
        };
        assert_eq!((e.code, e.reason), (500, ""));
        let api: ApiError = e.into();
        assert!(api.details.is_none());
    }

    #[test]
    fn pending_pods_skip_the_budget_and_allowed_ones_decrement() {
        let pending = json!({"metadata": {"name": "p"}, "status": {"phase": "Pending"}});
        let (a, b) = (pdb(0, 3, 3, 1, 1), pdb(0, 3, 3, 1, 1));
        assert_eq!(decide(&pending, &[&a, &b]), Decision::Delete);
        assert_eq!(decide(&running(true), &[]), Decision::Delete);
        let ok = pdb(1, 3, 2, 1, 1);
        assert_eq!(
            decide(&running(true), &[&ok]),
            Decision::DecrementThenDelete(0)
        );
        // An unready pod may go while the budget is satisfied.
        let satisfied = pdb(0, 3, 3, 1, 1);
        assert_eq!(decide(&running(false), &[&satisfied]), Decision::Delete);
    }
}
