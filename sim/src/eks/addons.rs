//! EKS add-ons: ListAddons, DescribeAddon, DescribeAddonVersions, UpdateAddon, and the
//! add-on side of ListUpdates/DescribeUpdate (`?addonName=`), as restJson1 serves them.
//!
//! The installed add-ons come from the scenario (`eks.addons:`); the versions on offer from
//! `addon_catalogue.rs`. An update is `InProgress` (the add-on `UPDATING`) for
//! [`UPDATE_TIME`] of sim time, then `Successful`: the add-on moves to the new version and is
//! `ACTIVE` with no health issues. Time is looked at lazily, on each EKS request.

use super::addon_catalogue::{self, AddonVersion};
use super::{
    EksError, epoch, first, invalid, page, paging, query_max, request_body, uuid_like, versions,
    with_next,
};
use crate::eks_state::UpdateStatus;
use crate::scenario::AddonSpec;
use crate::state::SimState;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// How long an add-on update takes in sim time.
pub const UPDATE_TIME: SignedDuration = SignedDuration::from_secs(90);

#[derive(Clone, Debug)]
pub struct Addon {
    pub name: String,
    pub version: String,
    /// AddonStatus: ACTIVE, DEGRADED, UPDATING, ...
    pub status: String,
    /// AddonIssue objects, as served.
    pub issues: Vec<Value>,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    pub service_account_role_arn: Option<String>,
    pub configuration_values: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AddonUpdate {
    pub id: String,
    pub addon: String,
    /// The version it moves to (None: a configuration-only update).
    pub version: Option<String>,
    /// UpdateParam objects, as served.
    pub params: Vec<Value>,
    pub status: UpdateStatus,
    pub created_at: Timestamp,
    pub client_request_token: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct AddonsState {
    pub addons: Vec<Addon>,
    pub updates: Vec<AddonUpdate>,
}

impl AddonsState {
    /// The scenario's add-ons, installed at `created`.
    pub fn new(specs: &[AddonSpec], created: Timestamp) -> Self {
        let addons = specs
            .iter()
            .map(|s| {
                Addon {
                name: s.name.clone(),
                version: s.version.clone().unwrap_or_default(),
                status: s.status.clone().unwrap_or_else(|| "ACTIVE".into()),
                issues: s
                    .issues
                    .iter()
                    .map(|i| {
                        json!({"code": i.code, "message": i.message, "resourceIds": i.resource_ids})
                    })
                    .collect(),
                created_at: created,
                modified_at: created,
                service_account_role_arn: s.service_account_role_arn.clone(),
                configuration_values: s.configuration_values.clone(),
            }
            })
            .collect();
        AddonsState {
            addons,
            updates: Vec::new(),
        }
    }
}

/// Finish the add-on updates whose time has come.
pub fn settle(st: &mut SimState) {
    let now = st.clock.now();
    let state = &mut st.eks.addons;
    for u in state.updates.iter_mut() {
        let done_at = u.created_at + UPDATE_TIME;
        if u.status != UpdateStatus::InProgress || now < done_at {
            continue;
        }
        u.status = UpdateStatus::Successful;
        if let Some(a) = state.addons.iter_mut().find(|a| a.name == u.addon) {
            if let Some(v) = &u.version {
                a.version = v.clone();
            }
            a.status = "ACTIVE".into();
            a.issues.clear();
            a.modified_at = done_at;
        }
    }
}

/// Released minors of the simulated EKS calendar, oldest first.
fn calendar(st: &SimState) -> Vec<versions::VersionInfo> {
    let now = st.clock.now();
    versions::table(&st.eks.settings.versions)
        .into_iter()
        .filter(|v| v.release <= now)
        .collect()
}

fn addon_not_found(st: &SimState, name: &str) -> EksError {
    EksError::new(
        404,
        "ResourceNotFoundException",
        format!("No addon: {name} found in cluster: {}", st.cluster.name),
    )
    .with("clusterName", &st.cluster.name)
    .with("addonName", name)
}

fn find<'a>(st: &'a SimState, name: &str) -> Result<&'a Addon, EksError> {
    st.eks
        .addons
        .addons
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| addon_not_found(st, name))
}

pub(super) fn list_addons(st: &SimState, q: &[(String, String)]) -> Result<Value, EksError> {
    let (start, size) = paging(first(q, "nextToken"), query_max(q)?)?;
    let names: Vec<String> = st
        .eks
        .addons
        .addons
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let (items, next) = page(&names, start, size);
    Ok(with_next(json!({"addons": items}), next))
}

fn addon_json(st: &SimState, a: &Addon) -> Value {
    let c = &st.cluster;
    let uid = uuid_like(
        crate::world::objects::fnv64(&format!("{}/addon/{}", c.name, a.name)),
        0,
    );
    let mut v = json!({
        "addonName": a.name,
        "clusterName": c.name,
        "status": a.status,
        "addonVersion": a.version,
        "health": {"issues": a.issues},
        "addonArn": format!("arn:aws:eks:{}:{}:addon/{}/{}/{uid}", c.region, c.account_id, c.name, a.name),
        "createdAt": epoch(a.created_at),
        "modifiedAt": epoch(a.modified_at),
        "tags": {},
        "podIdentityAssociations": [],
    });
    if let Some(r) = &a.service_account_role_arn {
        v["serviceAccountRoleArn"] = json!(r);
    }
    if let Some(c) = &a.configuration_values {
        v["configurationValues"] = json!(c);
    }
    v
}

pub(super) fn describe_addon(st: &SimState, name: &str) -> Result<Value, EksError> {
    let a = find(st, name)?;
    Ok(json!({"addon": addon_json(st, a)}))
}

fn version_info(v: &AddonVersion, minor: Option<u32>) -> Option<Value> {
    let compat: Vec<Value> = v
        .compatibilities
        .iter()
        .filter(|(m, _)| minor.is_none_or(|k| k == *m))
        .map(|&(m, d)| {
            json!({"clusterVersion": format!("1.{m}"), "platformVersions": ["*"], "defaultVersion": d})
        })
        .collect();
    if compat.is_empty() {
        return None;
    }
    Some(json!({
        "addonVersion": v.version,
        "architecture": ["amd64", "arm64"],
        "computeTypes": ["ec2"],
        "compatibilities": compat,
        "requiresConfiguration": false,
        "requiresIamPermissions": matches!(v.addon.as_str(), "vpc-cni" | "aws-ebs-csi-driver"),
    }))
}

pub(super) fn describe_addon_versions(
    st: &SimState,
    q: &[(String, String)],
) -> Result<Value, EksError> {
    // A version EKS doesn't know matches nothing (an empty list, not an error).
    let minor = match first(q, "kubernetesVersion").filter(|s| !s.is_empty()) {
        None => None,
        Some(k) if k.starts_with("1.") && k.matches('.').count() == 1 => Some(versions::minor(k)),
        Some(_) => Some(0),
    };
    let name = first(q, "addonName").filter(|s| !s.is_empty());
    let list_filter = |key: &str, value: &str| {
        let want = super::all_of(q, key);
        want.is_empty() || want.contains(&value)
    };
    let cat = addon_catalogue::catalogue(&calendar(st));
    let mut infos = Vec::new();
    for (addon, kind) in addon_catalogue::ADDONS {
        if name.is_some_and(|n| n != *addon)
            || !list_filter("types", kind)
            || !list_filter("publishers", "eks")
            || !list_filter("owners", "aws")
        {
            continue;
        }
        let versions: Vec<Value> = cat
            .iter()
            .filter(|v| v.addon == *addon)
            .filter_map(|v| version_info(v, minor))
            .collect();
        if versions.is_empty() {
            continue;
        }
        infos.push(json!({
            "addonName": addon,
            "type": kind,
            "addonVersions": versions,
            "publisher": "eks",
            "owner": "aws",
            "defaultNamespace": "kube-system",
        }));
    }
    let (start, size) = paging(first(q, "nextToken"), query_max(q)?)?;
    let (items, next) = page(&infos, start, size);
    Ok(with_next(json!({"addons": items}), next))
}

fn update_json(u: &AddonUpdate) -> Value {
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "type": "AddonUpdate",
        "params": u.params,
        "createdAt": epoch(u.created_at),
        "errors": [],
    })
}

pub(super) fn update_addon(st: &mut SimState, name: &str, body: &[u8]) -> Result<Value, EksError> {
    let cluster = st.cluster.name.clone();
    find(st, name)?;
    let req = request_body(body)?;
    let text = |k: &str| req.get(k).and_then(Value::as_str).map(str::to_string);
    let bad = |m: String| {
        invalid(m)
            .with("clusterName", &cluster)
            .with("addonName", name)
    };
    let token = text("clientRequestToken");
    if let Some(t) = &token
        && let Some(u) = st
            .eks
            .addons
            .updates
            .iter()
            .find(|u| u.addon == name && u.client_request_token.as_deref() == Some(t))
    {
        return Ok(json!({"update": update_json(u)}));
    }
    let cp_minor = super::control_plane_minor(&st.cluster.git_version);
    let version = text("addonVersion").filter(|v| !v.is_empty());
    if let Some(v) = &version {
        let cat = addon_catalogue::catalogue(&calendar(st));
        let known = cat.iter().find(|a| a.addon == name && a.version == *v);
        match known {
            None => {
                return Err(bad(format!(
                    "Addon version {v} specified is not supported for addon {name}"
                )));
            }
            Some(a) if !a.compatible_with(cp_minor) => {
                return Err(bad(format!(
                    "Addon version {v} specified is not supported for addon {name} with cluster version 1.{cp_minor}"
                )));
            }
            Some(_) => {}
        }
    }
    let resolve = text("resolveConflicts");
    if let Some(r) = &resolve
        && !matches!(r.as_str(), "OVERWRITE" | "NONE" | "PRESERVE")
    {
        return Err(bad(format!(
            "1 validation error detected: Value '{r}' at 'resolveConflicts' failed to satisfy constraint: Member must satisfy enum value set: [OVERWRITE, NONE, PRESERVE]"
        )));
    }
    if st
        .eks
        .addons
        .updates
        .iter()
        .any(|u| u.addon == name && u.status == UpdateStatus::InProgress)
    {
        return Err(EksError::new(
            409,
            "ResourceInUseException",
            format!("Addon {name} cannot be updated as it is currently in UPDATING state"),
        )
        .with("clusterName", &cluster)
        .with("addonName", name));
    }
    let mut params = Vec::new();
    for (kind, value) in [
        ("AddonVersion", &version),
        ("ResolveConflicts", &resolve),
        ("ServiceAccountRoleArn", &text("serviceAccountRoleArn")),
        ("ConfigurationValues", &text("configurationValues")),
    ] {
        if let Some(v) = value {
            params.push(json!({"type": kind, "value": v}));
        }
    }
    let now = st.clock.now();
    st.eks.serial += 1;
    let u = AddonUpdate {
        id: uuid_like(st.seed, st.eks.serial),
        addon: name.to_string(),
        version,
        params,
        status: UpdateStatus::InProgress,
        created_at: now,
        client_request_token: token,
    };
    let out = json!({"update": update_json(&u)});
    st.eks.addons.updates.push(u);
    if let Some(a) = st.eks.addons.addons.iter_mut().find(|a| a.name == name) {
        a.status = "UPDATING".into();
        a.modified_at = now;
        if let Some(r) = text("serviceAccountRoleArn") {
            a.service_account_role_arn = Some(r);
        }
        if let Some(c) = text("configurationValues") {
            a.configuration_values = Some(c);
        }
    }
    Ok(out)
}

/// ListUpdates `?addonName=`.
pub(super) fn list_updates(
    st: &SimState,
    addon: &str,
    q: &[(String, String)],
) -> Result<Value, EksError> {
    find(st, addon)?;
    let (start, size) = paging(first(q, "nextToken"), query_max(q)?)?;
    let ids: Vec<String> = st
        .eks
        .addons
        .updates
        .iter()
        .filter(|u| u.addon == addon)
        .map(|u| u.id.clone())
        .collect();
    let (items, next) = page(&ids, start, size);
    Ok(with_next(json!({"updateIds": items}), next))
}

/// DescribeUpdate `?addonName=`.
pub(super) fn describe_update(st: &SimState, id: &str, addon: &str) -> Result<Value, EksError> {
    find(st, addon)?;
    st.eks
        .addons
        .updates
        .iter()
        .find(|u| u.id == id && u.addon == addon)
        .map(|u| json!({"update": update_json(u)}))
        .ok_or_else(|| {
            EksError::new(
                404,
                "ResourceNotFoundException",
                format!("No update found for ID: {id}"),
            )
            .with("clusterName", &st.cluster.name)
            .with("addonName", addon)
        })
}
