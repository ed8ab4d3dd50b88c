//! Karpenter's AWS provider, the parts about AMIs: EC2NodeClass `status.amis` and conditions
//! (the nodeclass controller), the AMI and kubelet version a NodePool's new nodes get, and
//! NodeClaim drift (`Drifted=True`, reason `AMIDrift`) when a claim's image is no longer among
//! its class's resolved AMIs — as after a control-plane minor change under an alias.
//!
//! The sim re-resolves on every pass where Karpenter does so every 5 minutes.

use super::Pass;
use super::objects::{self, get, s};
use crate::amis::{self, Ami, Family};
use crate::resources::Kind;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// On an EC2NodeClass with `id` / `name` / `tags` terms: the Kubernetes version the selected
/// AMI carries when the catalogue does not know the AMI (`1.32` or a kubelet gitVersion). The
/// world writes the control plane's version into it the first time it resolves such a class
/// without one, so a pinned AMI keeps its version when the control plane moves.
pub const AMI_VERSION_ANNOTATION: &str = "kup-sim.io/ami-kubernetes-version";

/// The imageID the scenario's short form gives NodeClaims; the world replaces it with the AMI
/// the claim's class gives at the node's kubelet minor (so nodes at the current version are not
/// drifted from the start).
pub const SCENARIO_IMAGE_ID: &str = crate::scenario::expand::SCENARIO_IMAGE_ID;

/// One entry of `status.amis`, with the kubelet version its nodes run.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub id: String,
    pub name: String,
    /// `amd64` / `arm64`
    pub arch: String,
    /// kubelet gitVersion of nodes launched from it (`v1.33.5-eks-…`)
    pub kubelet: String,
    pub alias: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Resolution {
    Ready(Vec<Resolved>),
    /// AMIsReady=False with Karpenter's reason and message.
    NotReady {
        reason: String,
        message: String,
    },
}

impl Resolution {
    /// The AMI a node of this architecture launches from.
    pub fn for_arch(&self, arch: &str) -> Option<&Resolved> {
        match self {
            Resolution::Ready(v) => v.iter().find(|r| r.arch == arch).or(v.first()),
            Resolution::NotReady { .. } => None,
        }
    }
}

/// `v1.33.5-eks-xxxxxxx` for an AMI's patch: the control plane's build suffix when the patch
/// is the control plane's, else one derived from the patch.
pub fn kubelet_git_version(patch: &str, cp_git: &str) -> String {
    match cp_git.split_once("-eks-") {
        Some((v, suffix)) if v.trim_start_matches('v') == patch => format!("v{patch}-eks-{suffix}"),
        _ => format!("v{patch}-eks-{:07x}", objects::fnv64(patch) & 0xfff_ffff),
    }
}

fn minor_of(v: &str) -> Option<u32> {
    v.trim_start_matches('v')
        .split('.')
        .nth(1)?
        .trim_end_matches('+')
        .parse()
        .ok()
}

fn from_catalogue(a: &Ami, cp_git: &str, alias: bool) -> Resolved {
    Resolved {
        id: a.id.clone(),
        name: a.name.clone(),
        arch: a.k8s_arch().to_string(),
        kubelet: kubelet_git_version(&a.kubelet_patch(), cp_git),
        alias,
    }
}

fn not_found() -> Resolution {
    Resolution::NotReady {
        reason: "AMINotFound".into(),
        message: "AMISelector did not match any AMIs".into(),
    }
}

/// Resolve a class's `amiSelectorTerms` for a control-plane minor, as Karpenter does.
pub fn resolve(nc: &Value, cp_git: &str, now: Timestamp) -> Resolution {
    let cp_minor = minor_of(cp_git).unwrap_or(0);
    let terms: Vec<Value> = get(nc, &["spec", "amiSelectorTerms"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(alias) = terms
        .iter()
        .find_map(|t| t.get("alias").and_then(Value::as_str))
    {
        return resolve_alias(alias, cp_minor, cp_git, now);
    }
    if terms.is_empty() {
        // v1beta1 without terms: the family's recommended AMI for the control plane.
        let family = s(nc, &["spec", "amiFamily"]);
        return match Family::from_ami_family(family) {
            Some(f) => {
                let amis = amis::alias_amis(f, "latest", cp_minor, now);
                if amis.is_empty() {
                    not_found()
                } else {
                    Resolution::Ready(
                        amis.iter()
                            .map(|a| from_catalogue(a, cp_git, true))
                            .collect(),
                    )
                }
            }
            None => Resolution::NotReady {
                reason: "AMINotFound".into(),
                message: format!("amiSelectorTerms is required when amiFamily == {family:?}"),
            },
        };
    }
    let pinned = objects::annotation(nc, AMI_VERSION_ANNOTATION)
        .map(str::to_string)
        .unwrap_or_else(|| cp_git.to_string());
    let pinned_patch = if pinned.matches('.').count() >= 2 {
        pinned
            .trim_start_matches('v')
            .split(['-', '+'])
            .next()
            .unwrap_or_default()
            .to_string()
    } else {
        crate::scenario::full_version_for(&pinned)
    };
    let mut out: Vec<Resolved> = Vec::new();
    for t in &terms {
        if let Some(id) = t.get("id").and_then(Value::as_str) {
            match amis::by_id(id) {
                Some(a) => out.push(from_catalogue(&a, cp_git, false)),
                None => out.push(Resolved {
                    id: id.to_string(),
                    name: String::new(),
                    arch: "amd64".into(),
                    kubelet: kubelet_git_version(&pinned_patch, cp_git),
                    alias: false,
                }),
            }
        } else if let Some(name) = t.get("name").and_then(Value::as_str) {
            // Several matches: Karpenter takes the newest; the catalogue's newest per arch.
            let mut found = amis::by_name(name);
            found.sort_by(|a, b| (a.minor, &a.release).cmp(&(b.minor, &b.release)));
            let mut per_arch: BTreeMap<&str, Ami> = BTreeMap::new();
            for a in found {
                per_arch.insert(a.arch, a);
            }
            if per_arch.is_empty() {
                out.push(Resolved {
                    id: format!("ami-0{:016x}", objects::fnv64(name)),
                    name: name.replace('*', "x"),
                    arch: "amd64".into(),
                    kubelet: kubelet_git_version(&pinned_patch, cp_git),
                    alias: false,
                });
            }
            out.extend(per_arch.values().map(|a| from_catalogue(a, cp_git, false)));
        } else if let Some(tags) = t.get("tags") {
            // Tag terms select the account's own AMIs: one, named by its tags.
            let key = serde_json::to_string(tags).unwrap_or_default();
            out.push(Resolved {
                id: format!("ami-0{:016x}", objects::fnv64(&key)),
                name: format!("custom-{:08x}", objects::fnv64(&key) >> 32),
                arch: "amd64".into(),
                kubelet: kubelet_git_version(&pinned_patch, cp_git),
                alias: false,
            });
        } else if t.get("ssmParameter").is_some() {
            let p = s(t, &["ssmParameter"]);
            if let Some(a) = amis::ssm_lookup(p, now) {
                out.push(from_catalogue(&a, cp_git, false));
            }
        }
    }
    if out.is_empty() {
        not_found()
    } else {
        Resolution::Ready(out)
    }
}

fn resolve_alias(alias: &str, minor: u32, cp_git: &str, now: Timestamp) -> Resolution {
    let Some((family, version)) = alias.split_once('@').filter(|(f, v)| {
        !f.is_empty() && !v.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric())
    }) else {
        return Resolution::NotReady {
            reason: "AMINotFound".into(),
            message: "'alias' is improperly formatted, must match the format 'family@version'"
                .into(),
        };
    };
    let Some(f) = Family::from_alias(family) else {
        // windows* pass the CRD but the sim has no Windows AMIs; anything else is refused.
        return Resolution::NotReady {
            reason: "AMINotFound".into(),
            message: format!("failed to discover any AMIs for alias (alias={alias})"),
        };
    };
    if f == Family::Al2 && minor >= 33 {
        return Resolution::NotReady {
            reason: "UnsupportedAlias".into(),
            message: "AL2 aliases are no longer supported on EKS 1.33+ (see https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-standard.html#kubernetes-1-33)".into(),
        };
    }
    let found = amis::alias_amis(f, version, minor, now);
    if found.is_empty() {
        return Resolution::NotReady {
            reason: "AMINotFound".into(),
            message: format!("failed to discover any AMIs for alias (alias={alias})"),
        };
    }
    Resolution::Ready(
        found
            .iter()
            .map(|a| from_catalogue(a, cp_git, true))
            .collect(),
    )
}

fn requirements(r: &Resolved) -> Value {
    let mut req = vec![json!({"key": "kubernetes.io/arch", "operator": "In", "values": [r.arch]})];
    if r.alias {
        req.push(
            json!({"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "DoesNotExist"}),
        );
        req.push(
            json!({"key": "karpenter.k8s.aws/instance-accelerator-count", "operator": "DoesNotExist"}),
        );
    }
    json!(req)
}

/// A condition keeping its old lastTransitionTime while its status stays.
fn condition(
    old: &[Value],
    ty: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
    generation: &Value,
) -> Value {
    let since = old
        .iter()
        .find(|c| c["type"] == ty && c["status"] == status)
        .and_then(|c| c.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| json!(now));
    json!({"type": ty, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": since, "observedGeneration": generation})
}

fn desired_status(nc: &Value, res: &Resolution, now: Timestamp, cluster: &str) -> Value {
    let old: Vec<Value> = get(nc, &["status", "conditions"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let generation = get(nc, &["metadata", "generation"])
        .cloned()
        .unwrap_or(json!(1));
    let t = objects::ts(now);
    let mut conds = Vec::new();
    let (amis_ok, reason, message) = match res {
        Resolution::Ready(_) => (true, "AMIsReady".to_string(), String::new()),
        Resolution::NotReady { reason, message } => (false, reason.clone(), message.clone()),
    };
    conds.push(condition(
        &old,
        "AMIsReady",
        if amis_ok { "True" } else { "False" },
        &reason,
        &message,
        &t,
        &generation,
    ));
    for ty in [
        "InstanceProfileReady",
        "SecurityGroupsReady",
        "SubnetsReady",
        "ValidationSucceeded",
    ] {
        conds.push(condition(&old, ty, "True", ty, "", &t, &generation));
    }
    if amis_ok {
        conds.push(condition(
            &old,
            "Ready",
            "True",
            "Ready",
            "",
            &t,
            &generation,
        ));
    } else {
        conds.push(condition(
            &old,
            "Ready",
            "False",
            "UnhealthyDependents",
            "AMIsReady=False",
            &t,
            &generation,
        ));
    }
    let mut status = serde_json::Map::new();
    if let Resolution::Ready(v) = res {
        let amis: Vec<Value> = v
            .iter()
            .map(|r| {
                let mut a = json!({"id": r.id, "requirements": requirements(r)});
                if !r.name.is_empty() {
                    a["name"] = json!(r.name);
                }
                a
            })
            .collect();
        status.insert("amis".into(), json!(amis));
    }
    status.insert("conditions".into(), json!(conds));
    let role = s(nc, &["spec", "role"]);
    if !role.is_empty() {
        status.insert(
            "instanceProfile".into(),
            json!(format!(
                "{cluster}_{}",
                objects::fnv64(&format!("{cluster}/{role}")) % 10_000_000_000_000_000_000
            )),
        );
    }
    // Keep fields the sim does not compute (subnets, security groups) if a manifest gave them.
    if let Some(o) = get(nc, &["status"]).and_then(Value::as_object) {
        for (k, v) in o {
            status.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Value::Object(status)
}

/// The resolution of every EC2NodeClass (by name) for the current control plane.
pub(crate) fn resolutions(pass: &mut Pass) -> BTreeMap<String, Resolution> {
    let cp = pass.st.cluster.git_version.clone();
    let now = pass.now;
    pass.list(Kind::EC2NodeClass)
        .iter()
        .map(|nc| (objects::name(nc).to_string(), resolve(nc, &cp, now)))
        .collect()
}

/// Launch image for a pool: `Ok(None)` when the cluster has no EC2NodeClass at all (the old
/// behaviour: the control plane's version), `Err` when the pool's class is missing or not
/// Ready (Karpenter does not launch), else the AMI for `arch`.
pub(crate) fn launch_image(
    classes: &BTreeMap<String, Resolution>,
    node_class_ref: Option<&Value>,
    arch: &str,
) -> Result<Option<Resolved>, ()> {
    if classes.is_empty() {
        return Ok(None);
    }
    let Some(r) = node_class_ref else {
        return Ok(None);
    };
    let kind = s(r, &["kind"]);
    if !kind.is_empty() && kind != "EC2NodeClass" {
        return Ok(None);
    }
    match classes.get(s(r, &["name"])) {
        Some(res) => res.for_arch(arch).cloned().map(Some).ok_or(()),
        None => Err(()),
    }
}

/// The nodeclass controller and NodeClaim drift, one pass.
pub(crate) fn run(pass: &mut Pass) {
    let classes = pass.list(Kind::EC2NodeClass);
    if classes.is_empty() {
        return;
    }
    let cp = pass.st.cluster.git_version.clone();
    let now = pass.now;
    let cluster = pass.st.cluster.name.clone();
    for nc in classes.iter() {
        let name = objects::name(nc).to_string();
        let pinned_terms = get(nc, &["spec", "amiSelectorTerms"])
            .and_then(Value::as_array)
            .is_some_and(|ts| ts.iter().any(|t| t.get("alias").is_none()));
        if pinned_terms && objects::annotation(nc, AMI_VERSION_ANNOTATION).is_none() {
            let v = cp.clone();
            let _ = pass
                .st
                .store
                .update(Kind::EC2NodeClass, "", &name, &mut |o| {
                    o["metadata"]["annotations"][AMI_VERSION_ANNOTATION] = json!(v);
                });
            continue; // resolved on the next pass, with the annotation
        }
        let res = resolve(nc, &cp, now);
        let status = desired_status(nc, &res, now, &cluster);
        if nc.get("status") != Some(&status) {
            let _ = pass
                .st
                .store
                .update(Kind::EC2NodeClass, "", &name, &mut |o| {
                    o["status"] = status.clone();
                });
        }
    }
    let resolved = resolutions(pass);
    nodepool_readiness(pass, &resolved);
    drift(pass, &resolved);
}

/// NodePool `status.conditions` as Karpenter's readiness controller keeps them:
/// `NodeClassReady` (False `NodeClassNotFound` / `NodeClassNotReady`), `ValidationSucceeded`,
/// `Ready`. Only for NodePools naming an EC2NodeClass.
fn nodepool_readiness(pass: &mut Pass, classes: &BTreeMap<String, Resolution>) {
    let now = objects::ts(pass.now);
    let nodes = pass.nodes();
    for p in pass.list(Kind::NodePool).iter() {
        let r = get(p, &["spec", "template", "spec", "nodeClassRef"]);
        let kind = r.map_or("", |r| s(r, &["kind"]));
        if r.is_none() || (!kind.is_empty() && kind != "EC2NodeClass") {
            continue;
        }
        let class = r.map_or("", |r| s(r, &["name"]));
        let (ok, reason, message) = match classes.get(class) {
            None => (false, "NodeClassNotFound", "NodeClass not found on cluster"),
            Some(Resolution::NotReady { .. }) => {
                (false, "NodeClassNotReady", "NodeClass not ready")
            }
            Some(Resolution::Ready(_)) => (true, "NodeClassReady", ""),
        };
        let old: Vec<Value> = get(p, &["status", "conditions"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let generation = get(p, &["metadata", "generation"])
            .cloned()
            .unwrap_or(json!(1));
        let st = |b: bool| if b { "True" } else { "False" };
        // A budget Karpenter cannot parse blocks all voluntary disruption (fails closed).
        let budget_error = get(p, &["spec", "disruption", "budgets"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|b| crate::cron::Budget::from_value(b).err());
        let validation = match &budget_error {
            None => condition(
                &old,
                "ValidationSucceeded",
                "True",
                "ValidationSucceeded",
                "",
                &now,
                &generation,
            ),
            Some(e) => condition(
                &old,
                "ValidationSucceeded",
                "False",
                "NodePoolValidationFailed",
                e,
                &now,
                &generation,
            ),
        };
        let ready = if ok && budget_error.is_none() {
            condition(&old, "Ready", "True", "Ready", "", &now, &generation)
        } else {
            let m = if ok {
                "ValidationSucceeded=False"
            } else {
                "NodeClassReady=False"
            };
            condition(
                &old,
                "Ready",
                "False",
                "UnhealthyDependents",
                m,
                &now,
                &generation,
            )
        };
        let conds = vec![
            condition(
                &old,
                "NodeClassReady",
                st(ok),
                reason,
                message,
                &now,
                &generation,
            ),
            validation,
            ready,
        ];
        // status.resources: what the pool's nodes add up to (kubectl's NODES column).
        let name = objects::name(p).to_string();
        let (mut cpu, mut mem, mut pods, mut count) = (0i128, 0i128, 0i128, 0);
        for n in nodes
            .iter()
            .filter(|n| objects::label(n, super::karpenter::NODEPOOL_LABEL) == Some(name.as_str()))
        {
            cpu += objects::quantity_milli(get(n, &["status", "capacity", "cpu"]));
            mem += objects::quantity_milli(get(n, &["status", "capacity", "memory"]));
            pods += objects::quantity_milli(get(n, &["status", "capacity", "pods"]));
            count += 1;
        }
        let resources = json!({
            "cpu": format!("{}", cpu / 1000),
            "memory": format!("{}Ki", mem / 1000 / 1024),
            "nodes": count.to_string(),
            "pods": format!("{}", pods / 1000),
        });
        if get(p, &["status", "conditions"]) == Some(&json!(conds))
            && get(p, &["status", "resources"]) == Some(&resources)
        {
            continue;
        }
        let _ = pass.st.store.update(Kind::NodePool, "", &name, &mut |o| {
            o["status"]["conditions"] = json!(conds);
            o["status"]["resources"] = resources.clone();
        });
    }
}

fn claim_condition<'a>(c: &'a Value, ty: &str) -> Option<&'a Value> {
    get(c, &["status", "conditions"])?
        .as_array()?
        .iter()
        .find(|x| x["type"] == ty)
}

fn drift(pass: &mut Pass, classes: &BTreeMap<String, Resolution>) {
    let claims = pass.list(Kind::NodeClaim);
    let nodes = pass.nodes();
    let now = pass.now;
    for c in claims.iter().filter(|c| !objects::deleting(c)) {
        let name = objects::name(c).to_string();
        let Some(res) = classes.get(s(c, &["spec", "nodeClassRef", "name"])) else {
            continue;
        };
        let image = s(c, &["status", "imageID"]);
        if image == SCENARIO_IMAGE_ID || image.is_empty() {
            // A claim the scenario wrote: the AMI its class gives at its node's kubelet minor.
            let node = s(c, &["status", "nodeName"]);
            let Some(kubelet) = nodes
                .iter()
                .find(|n| objects::name(n) == node)
                .map(|n| s(n, &["status", "nodeInfo", "kubeletVersion"]).to_string())
            else {
                continue;
            };
            let Some(nc) = pass.st.store.get(
                Kind::EC2NodeClass,
                "",
                s(c, &["spec", "nodeClassRef", "name"]),
            ) else {
                continue;
            };
            let arch = objects::label(c, "kubernetes.io/arch")
                .unwrap_or("amd64")
                .to_string();
            let at_node = resolve(&nc, &kubelet, now);
            if let Some(r) = at_node.for_arch(&arch) {
                let id = r.id.clone();
                let _ = pass.st.store.update(Kind::NodeClaim, "", &name, &mut |o| {
                    o["status"]["imageID"] = json!(id);
                });
            }
            continue;
        }
        let launched = claim_condition(c, "Launched").is_some_and(|x| x["status"] == "True");
        let Resolution::Ready(amis) = res else {
            // Karpenter's drift check errors without resolved AMIs: nothing changes.
            continue;
        };
        let drifted = launched && !amis.iter().any(|a| a.id == image);
        let is = claim_condition(c, "Drifted").is_some_and(|x| x["status"] == "True");
        if drifted == is {
            continue;
        }
        let t = objects::ts(now);
        let _ = pass.st.store.update(Kind::NodeClaim, "", &name, &mut |o| {
            let conds = o["status"]["conditions"].as_array_mut();
            let Some(conds) = conds else {
                return;
            };
            conds.retain(|x| x["type"] != "Drifted");
            if drifted {
                conds.push(
                    json!({"type": "Drifted", "status": "True", "reason": "AMIDrift",
                    "message": "AMIDrift", "lastTransitionTime": t}),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nc(terms: Value) -> Value {
        json!({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
               "metadata": {"name": "x"}, "spec": {"amiSelectorTerms": terms}})
    }
    fn now() -> Timestamp {
        "2026-06-15T09:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn aliases_resolve_per_control_plane_minor() {
        let cp = "v1.33.5-eks-1a2b3c4";
        let r = resolve(&nc(json!([{"alias": "al2023@latest"}])), cp, now());
        let amd = r
            .for_arch("amd64")
            .cloned()
            .unwrap_or_else(|| panic!("{r:?}"));
        assert_eq!(
            amd.kubelet, cp,
            "the control plane's own build at its patch"
        );
        assert!(amd.name.contains("-1.33-"));
        let r32 = resolve(
            &nc(json!([{"alias": "al2023@latest"}])),
            "v1.32.9-eks-1a2b3c4",
            now(),
        );
        assert_ne!(r32.for_arch("amd64").map(|r| &r.id), Some(&amd.id));
        match resolve(&nc(json!([{"alias": "al2@latest"}])), cp, now()) {
            Resolution::NotReady { reason, .. } => assert_eq!(reason, "UnsupportedAlias"),
            other => panic!("{other:?}"),
        }
        match resolve(
            &nc(json!([{"alias": "al2023@v20240101"}])),
            "v1.30.14-eks-1",
            now(),
        ) {
            Resolution::NotReady { reason, .. } => assert_eq!(reason, "AMINotFound"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve(&nc(json!([{"alias": "rhel@latest"}])), cp, now()),
            Resolution::NotReady { .. }
        ));
        assert!(matches!(
            resolve(&nc(json!([{"alias": "nonsense"}])), cp, now()),
            Resolution::NotReady { .. }
        ));
    }

    #[test]
    fn pinned_terms_keep_their_version() {
        let old = amis::alias_amis(Family::Al2023, "latest", 32, now());
        let r = resolve(
            &nc(json!([{"id": old[0].id}])),
            "v1.33.5-eks-1a2b3c4",
            now(),
        );
        assert_eq!(
            r.for_arch("amd64")
                .map(|r| r.kubelet.starts_with("v1.32.9-eks-")),
            Some(true)
        );
        let mut unknown = nc(json!([{"id": "ami-0abc"}]));
        unknown["metadata"]["annotations"] = json!({AMI_VERSION_ANNOTATION: "1.31"});
        let r = resolve(&unknown, "v1.33.5-eks-1a2b3c4", now());
        assert_eq!(
            r.for_arch("amd64")
                .map(|r| r.kubelet.starts_with("v1.31.13-eks-")),
            Some(true)
        );
        let tags = resolve(
            &nc(json!([{"tags": {"team": "a"}}])),
            "v1.33.5-eks-1a2b3c4",
            now(),
        );
        assert_eq!(
            tags.for_arch("amd64").map(|r| r.kubelet.as_str()),
            Some("v1.33.5-eks-1a2b3c4")
        );
    }

    #[test]
    fn launch_image_without_classes_keeps_the_old_behaviour() {
        let none = BTreeMap::new();
        let r = json!({"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"});
        assert_eq!(launch_image(&none, Some(&r), "amd64"), Ok(None));
        let mut some = BTreeMap::new();
        some.insert("other".to_string(), not_found());
        assert_eq!(launch_image(&some, Some(&r), "amd64"), Err(()));
        some.insert("default".to_string(), not_found());
        assert_eq!(launch_image(&some, Some(&r), "amd64"), Err(()));
    }
}
