//! The EKS REST-JSON API (restJson1, as `aws-sdk-eks` calls it) for the simulated cluster,
//! served on the same port as its Kubernetes API: `/clusters/...` and `/cluster-versions`.
//!
//! Signatures are not checked. A request without an `Authorization` header gets 403
//! MissingAuthenticationTokenException; one signed with access key id `AKIANOACCESS` gets
//! 403 AccessDeniedException. Errors are the HTTP status, `x-amzn-ErrorType: CODE` and a JSON
//! body `{"message": ...}` (plus clusterName/nodegroupName where the model has them).
//! `FaultConfig::eks_fail_next` forces throttling/server errors; the k8s fault rates don't apply.

pub mod addon_catalogue;
pub mod addons;
pub mod cluster_update;
pub mod deprecations;
pub mod insights;
pub mod versions;

use crate::eks_state::{NodegroupUpdate, Phase, UpdateStatus};
use crate::http::{App, Reply};
use crate::state::SimState;
use axum::http::{HeaderMap, Method, header};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// The access key id that is denied everything (so clients can test a 403).
pub const NOACCESS_KEY_ID: &str = "AKIANOACCESS";
/// Largest page any list operation returns.
const MAX_RESULTS: usize = 100;

/// Paths the EKS API owns.
pub fn owns(path: &str) -> bool {
    path == "/clusters"
        || path.starts_with("/clusters/")
        || path == "/cluster-versions"
        || path.starts_with("/cluster-versions/")
        || path.starts_with("/addons/")
}

/// An EKS error: status, error code (x-amzn-ErrorType) and body.
struct EksError {
    status: u16,
    code: &'static str,
    body: Value,
}

impl EksError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        EksError {
            status,
            code,
            body: json!({"message": message.into()}),
        }
    }
    fn with(mut self, key: &str, value: &str) -> Self {
        self.body[key] = json!(value);
        self
    }
    fn reply(self) -> Reply {
        Reply::json(self.status, &self.body).with_header("x-amzn-errortype", self.code)
    }
}

fn cluster_not_found(name: &str) -> EksError {
    EksError::new(
        404,
        "ResourceNotFoundException",
        format!("No cluster found for name: {name}."),
    )
    .with("clusterName", name)
}

fn nodegroup_not_found(cluster: &str, ng: &str) -> EksError {
    EksError::new(
        404,
        "ResourceNotFoundException",
        format!("No node group found for name: {ng}."),
    )
    .with("clusterName", cluster)
    .with("nodegroupName", ng)
}

fn invalid(message: impl Into<String>) -> EksError {
    EksError::new(400, "InvalidParameterException", message)
}

/// Seconds since the epoch with milliseconds, as restJson1 sends timestamps.
pub fn epoch(t: Timestamp) -> f64 {
    t.as_millisecond() as f64 / 1000.0
}

/// Minor of `v1.25.16-eks-3025e55`, `1.25` or `v1.24.17-eks-a59e1f0` (0 when unparsable).
pub fn control_plane_minor(v: &str) -> u32 {
    versions::minor(v)
}

/// `1.25.16` of `v1.25.16-eks-3025e55`.
fn patch_of(git_version: &str) -> String {
    git_version
        .trim_start_matches('v')
        .split(['-', '+'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Operation name of a request (for stats and errors), with its path parameters.
fn operation(method: &Method, segs: &[String]) -> (&'static str, Vec<String>) {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let op = match (method.as_str(), s.as_slice()) {
        ("GET", ["cluster-versions"]) => "DescribeClusterVersions",
        ("GET", ["addons", "supported-versions"]) => "DescribeAddonVersions",
        ("GET", ["clusters", _, "addons"]) => "ListAddons",
        ("GET", ["clusters", _, "addons", _]) => "DescribeAddon",
        ("POST", ["clusters", _, "addons", _, "update"]) => "UpdateAddon",
        ("GET", ["clusters", _]) => "DescribeCluster",
        ("GET", ["clusters", _, "node-groups"]) => "ListNodegroups",
        ("GET", ["clusters", _, "node-groups", _]) => "DescribeNodegroup",
        ("POST", ["clusters", _, "node-groups", _, "update-version"]) => "UpdateNodegroupVersion",
        ("POST", ["clusters", _, "updates"]) => "UpdateClusterVersion",
        ("GET", ["clusters", _, "updates"]) => "ListUpdates",
        ("GET", ["clusters", _, "updates", _]) => "DescribeUpdate",
        ("POST", ["clusters", _, "insights"]) => "ListInsights",
        ("GET", ["clusters", _, "insights", _]) => "DescribeInsight",
        _ => "Unknown",
    };
    let params = segs
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, v)| v.clone())
        .collect();
    (op, params)
}

fn path_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%')
            .then(|| b.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters, every value of repeated keys kept (restJson1 lists repeat the key).
fn query_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                path_decode(&k.replace('+', " ")),
                path_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn first<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn all_of<'a>(q: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    q.iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
        .filter(|v| !v.is_empty())
        .collect()
}

/// The access key id of a SigV4 `Authorization` header.
fn access_key_id(auth: &str) -> Option<&str> {
    let cred = auth.split("Credential=").nth(1)?;
    cred.split('/').next()
}

/// Handle one EKS request (the caller has read the body).
pub fn handle(
    app: &App,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let segs: Vec<String> = path.trim_matches('/').split('/').map(path_decode).collect();
    let (op, params) = operation(method, &segs);
    app.counters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .count_eks(op);
    let mut st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth.is_empty() {
        return EksError::new(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
        .reply();
    }
    if access_key_id(auth) == Some(NOACCESS_KEY_ID) {
        let c = &st.cluster;
        return EksError::new(
            403,
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::{}:user/noaccess is not authorized to perform: eks:{op} on resource: arn:aws:eks:{}:{}:cluster/{}",
                c.account_id, c.region, c.account_id, c.name
            ),
        )
        .reply();
    }
    if st.faults.eks_fail_next > 0 {
        st.faults.eks_fail_next -= 1;
        return match st.faults.eks_fail_next_code {
            429 => EksError::new(429, "ThrottlingException", "Rate exceeded"),
            503 => EksError::new(503, "ServiceUnavailableException", "Service Unavailable"),
            _ => EksError::new(500, "ServerException", "An internal error occurred."),
        }
        .reply();
    }
    addons::settle(&mut st);
    let q = query_pairs(query);
    let endpoint = format!("http://{}", app.server_address);
    let out = match op {
        "DescribeClusterVersions" => describe_cluster_versions(&st, &q),
        "DescribeAddonVersions" => addons::describe_addon_versions(&st, &q),
        "Unknown" => Err(EksError::new(
            404,
            "UnknownOperationException",
            format!("kup-sim does not serve {method} {path}"),
        )),
        _ => {
            let cluster = params.first().cloned().unwrap_or_default();
            if cluster != st.cluster.name {
                Err(cluster_not_found(&cluster))
            } else {
                let arg = params.get(1).map(String::as_str).unwrap_or("");
                match op {
                    "DescribeCluster" => Ok(json!({"cluster": cluster_json(&st, &endpoint)})),
                    "ListNodegroups" => list_nodegroups(&st, &q),
                    "DescribeNodegroup" => {
                        nodegroup_json(&mut st, arg).map(|n| json!({"nodegroup": n}))
                    }
                    "UpdateNodegroupVersion" => update_nodegroup_version(&mut st, arg, body),
                    "UpdateClusterVersion" => cluster_update::start(&mut st, body),
                    "ListUpdates" => list_updates(&st, &q),
                    "DescribeUpdate" => describe_update(&st, arg, &q),
                    "ListInsights" => list_insights(&st, body),
                    "DescribeInsight" => describe_insight(&st, arg),
                    "ListAddons" => addons::list_addons(&st, &q),
                    "DescribeAddon" => addons::describe_addon(&st, arg),
                    "UpdateAddon" => addons::update_addon(&mut st, arg, body),
                    _ => Err(EksError::new(
                        404,
                        "UnknownOperationException",
                        "unknown operation",
                    )),
                }
            }
        }
    };
    match out {
        Ok(v) => Reply::json(200, &v),
        Err(e) => e.reply(),
    }
}

/// Start offset from a nextToken and the page size from maxResults.
fn paging(next_token: Option<&str>, max_results: Option<i64>) -> Result<(usize, usize), EksError> {
    let start = match next_token {
        None | Some("") => 0,
        Some(t) => t
            .strip_prefix("kup-sim-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| invalid("The nextToken is invalid."))?,
    };
    let size = match max_results {
        None => MAX_RESULTS,
        Some(n) if (1..=MAX_RESULTS as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100"
            )));
        }
    };
    Ok((start, size))
}

fn page<T: Clone>(items: &[T], start: usize, size: usize) -> (Vec<T>, Option<String>) {
    let end = (start + size).min(items.len());
    let page = items
        .get(start.min(items.len())..end)
        .unwrap_or(&[])
        .to_vec();
    let next = (end < items.len()).then(|| format!("kup-sim-{end}"));
    (page, next)
}

fn query_max(q: &[(String, String)]) -> Result<Option<i64>, EksError> {
    match first(q, "maxResults") {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| invalid(format!("maxResults {s:?} is not a number"))),
    }
}

fn with_next(mut v: Value, next: Option<String>) -> Value {
    if let Some(n) = next {
        v["nextToken"] = json!(n);
    }
    v
}

fn cluster_json(st: &SimState, endpoint: &str) -> Value {
    let c = &st.cluster;
    let now = st.clock.now();
    let minor = control_plane_minor(&c.git_version);
    let h = crate::world::objects::fnv64(&c.name);
    json!({
        "name": c.name,
        "arn": format!("arn:aws:eks:{}:{}:cluster/{}", c.region, c.account_id, c.name),
        "createdAt": epoch(st.eks.cluster_created(now)),
        "version": format!("1.{minor}"),
        "endpoint": endpoint,
        "roleArn": format!("arn:aws:iam::{}:role/{}-cluster-role", c.account_id, c.name),
        "resourcesVpcConfig": {
            "subnetIds": subnets(c),
            "securityGroupIds": [],
            "clusterSecurityGroupId": format!("sg-{:017x}", h >> 4),
            "vpcId": format!("vpc-{:017x}", h >> 5),
            "endpointPublicAccess": true,
            "endpointPrivateAccess": true,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4", "elasticLoadBalancing": {"enabled": false}},
        "logging": {"clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": false}]},
        "identity": {"oidc": {"issuer": format!("https://oidc.eks.{}.amazonaws.com/id/{:016X}{:016X}", c.region, h, h.rotate_left(21))}},
        "status": if cluster_update::active(st).is_some() { "UPDATING" } else { "ACTIVE" },
        "platformVersion": c.platform_version,
        "tags": {},
        "health": {"issues": []},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
        "upgradePolicy": {"supportType": "STANDARD"},
    })
}

fn subnets(c: &crate::scenario::ClusterInfo) -> Vec<String> {
    (0..3u64)
        .map(|i| {
            format!(
                "subnet-{:017x}",
                crate::world::objects::fnv64(&format!("{}/{i}", c.name)) >> 4
            )
        })
        .collect()
}

fn list_nodegroups(st: &SimState, q: &[(String, String)]) -> Result<Value, EksError> {
    let (start, size) = paging(first(q, "nextToken"), query_max(q)?)?;
    let names: Vec<String> = st.node_groups.iter().map(|g| g.name.clone()).collect();
    let (items, next) = page(&names, start, size);
    Ok(with_next(json!({"nodegroups": items}), next))
}

/// `NoSchedule` -> `NO_SCHEDULE`.
fn eks_effect(k8s: &str) -> &'static str {
    match k8s {
        "NoExecute" => "NO_EXECUTE",
        "PreferNoSchedule" => "PREFER_NO_SCHEDULE",
        _ => "NO_SCHEDULE",
    }
}

fn nodegroup_json(st: &mut SimState, name: &str) -> Result<Value, EksError> {
    let cluster = st.cluster.clone();
    let Some(g) = st.node_groups.iter().find(|g| g.name == name).cloned() else {
        return Err(nodegroup_not_found(&cluster.name, name));
    };
    let now = st.clock.now();
    let size = crate::world::group_nodes(st, name).len() as u32;
    let updating = st.eks.active_update(name).is_some();
    let gs = st.eks.group(name, now).clone();
    let uid = uuid_like(
        crate::world::objects::fnv64(&format!("{}/{}", cluster.name, name)),
        0,
    );
    let taints: Vec<Value> = g
        .taints
        .iter()
        .map(|t| {
            let mut m = Map::new();
            m.insert("key".into(), t.get("key").cloned().unwrap_or(json!("")));
            if let Some(v) = t.get("value").filter(|v| !v.is_null()) {
                m.insert("value".into(), v.clone());
            }
            m.insert(
                "effect".into(),
                json!(eks_effect(
                    t.get("effect").and_then(Value::as_str).unwrap_or("")
                )),
            );
            Value::Object(m)
        })
        .collect();
    Ok(json!({
        "nodegroupName": g.name,
        "nodegroupArn": format!("arn:aws:eks:{}:{}:nodegroup/{}/{}/{uid}", cluster.region, cluster.account_id, cluster.name, g.name),
        "clusterName": cluster.name,
        "version": g.version,
        "releaseVersion": g.release_version,
        "createdAt": epoch(gs.created_at),
        "modifiedAt": epoch(gs.modified_at),
        "status": if updating { "UPDATING" } else { "ACTIVE" },
        "capacityType": "ON_DEMAND",
        "scalingConfig": {"minSize": g.min_size.min(size), "maxSize": g.max_size.max(size), "desiredSize": size},
        "instanceTypes": g.instance_types,
        "subnets": subnets(&cluster),
        "amiType": g.ami_type,
        "nodeRole": format!("arn:aws:iam::{}:role/{}-node-role", cluster.account_id, cluster.name),
        "labels": g.labels,
        "taints": taints,
        "resources": {"autoScalingGroups": [{"name": format!("eks-{}-{uid}", g.name)}]},
        "diskSize": 20,
        "health": {"issues": []},
        "updateConfig": {"maxUnavailable": g.max_unavailable.max(1)},
        "tags": {},
    }))
}

fn update_json(u: &NodegroupUpdate) -> Value {
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "type": "VersionUpdate",
        "params": [
            {"type": "Version", "value": u.version},
            {"type": "ReleaseVersion", "value": u.release_version},
        ],
        "createdAt": epoch(u.created_at),
        "errors": u.errors,
    })
}

/// A request's JSON body (`{}` when empty), or 400 SerializationException.
fn request_body(body: &[u8]) -> Result<Value, EksError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| {
        EksError::new(
            400,
            "SerializationException",
            format!("invalid JSON body: {e}"),
        )
    })
}

fn update_nodegroup_version(st: &mut SimState, name: &str, body: &[u8]) -> Result<Value, EksError> {
    let cluster = st.cluster.clone();
    let Some(g) = st.node_groups.iter().find(|g| g.name == name).cloned() else {
        return Err(nodegroup_not_found(&cluster.name, name));
    };
    let req = request_body(body)?;
    let text = |k: &str| req.get(k).and_then(Value::as_str).map(str::to_string);
    let cp_minor = control_plane_minor(&cluster.git_version);
    let version = text("version").unwrap_or_else(|| format!("1.{cp_minor}"));
    let minor = versions::minor(&version);
    if minor == 0 || !version.starts_with("1.") || version.matches('.').count() != 1 {
        return Err(invalid(format!(
            "Requested Kubernetes version {version} is invalid."
        ))
        .with("clusterName", &cluster.name)
        .with("nodegroupName", name));
    }
    if minor > cp_minor {
        return Err(invalid(format!(
            "Requested Nodegroup version {version} is newer than the cluster version 1.{cp_minor}. Node group version can't be higher than the cluster version."
        ))
        .with("clusterName", &cluster.name)
        .with("nodegroupName", name));
    }
    if minor < versions::minor(&g.version) {
        return Err(invalid(format!(
            "Requested Nodegroup version {version} is older than the node group's version {}; downgrades are not supported.",
            g.version
        ))
        .with("clusterName", &cluster.name)
        .with("nodegroupName", name));
    }
    let token = text("clientRequestToken");
    if let Some(t) = &token
        && let Some(u) = st
            .eks
            .updates
            .iter()
            .find(|u| u.nodegroup == name && u.client_request_token.as_deref() == Some(t))
    {
        return Ok(json!({"update": update_json(u)}));
    }
    if st.eks.active_update(name).is_some() {
        return Err(EksError::new(
            409,
            "ResourceInUseException",
            format!("Nodegroup {name} cannot be updated as it is currently not in Active State"),
        )
        .with("clusterName", &cluster.name)
        .with("nodegroupName", name));
    }
    let cp_patch = patch_of(&cluster.git_version);
    let patch = if minor == cp_minor {
        cp_patch.clone()
    } else {
        crate::scenario::full_version_for(&version)
    };
    let release_version = text("releaseVersion").unwrap_or_else(|| format!("{patch}-20241121"));
    let release_patch = release_version
        .split('-')
        .next()
        .unwrap_or(&patch)
        .to_string();
    if versions::minor(&release_patch) != minor {
        return Err(invalid(format!(
            "Requested release version {release_version} is not valid for Kubernetes version {version}."
        ))
        .with("clusterName", &cluster.name)
        .with("nodegroupName", name));
    }
    // The control plane's build suffix when the patch matches, else one from the release.
    let suffix = match cluster.git_version.split_once("-eks-") {
        Some((v, s)) if v.trim_start_matches('v') == release_patch => s.to_string(),
        _ => format!(
            "{:07x}",
            crate::world::objects::fnv64(&release_version) & 0xfff_ffff
        ),
    };
    let now = st.clock.now();
    let seed = st.seed;
    st.eks.serial += 1;
    let id = uuid_like(seed, st.eks.serial);
    let u = NodegroupUpdate {
        id,
        nodegroup: name.to_string(),
        version,
        release_version,
        kubelet_version: format!("v{release_patch}-eks-{suffix}"),
        force: req.get("force").and_then(Value::as_bool).unwrap_or(false),
        started: false,
        client_request_token: token,
        status: UpdateStatus::InProgress,
        created_at: now,
        errors: Vec::new(),
        phase: Phase::ScaleUp,
        surge: 0,
        original_size: 0,
        launches: Vec::new(),
        draining: Vec::new(),
        zones: Vec::new(),
    };
    let out = json!({"update": update_json(&u)});
    st.eks.updates.push(u);
    let gs = st.eks.group(name, now);
    gs.updating = true;
    gs.modified_at = now;
    // The world must look at it even when no object changes.
    st.eks.wake = true;
    Ok(out)
}

fn list_updates(st: &SimState, q: &[(String, String)]) -> Result<Value, EksError> {
    if let Some(a) = first(q, "addonName").filter(|a| !a.is_empty()) {
        return addons::list_updates(st, a, q);
    }
    let ng = first(q, "nodegroupName").unwrap_or("");
    if !ng.is_empty() && !st.node_groups.iter().any(|g| g.name == ng) {
        return Err(nodegroup_not_found(&st.cluster.name, ng));
    }
    let (start, size) = paging(first(q, "nextToken"), query_max(q)?)?;
    // Cluster updates when no node group is named.
    let ids: Vec<String> = if ng.is_empty() {
        st.eks
            .cluster_updates
            .iter()
            .map(|u| u.id.clone())
            .collect()
    } else {
        st.eks
            .updates
            .iter()
            .filter(|u| u.nodegroup == ng)
            .map(|u| u.id.clone())
            .collect()
    };
    let (items, next) = page(&ids, start, size);
    Ok(with_next(json!({"updateIds": items}), next))
}

fn describe_update(st: &SimState, id: &str, q: &[(String, String)]) -> Result<Value, EksError> {
    if let Some(a) = first(q, "addonName").filter(|a| !a.is_empty()) {
        return addons::describe_update(st, id, a);
    }
    let ng = first(q, "nodegroupName").unwrap_or("");
    if !ng.is_empty() && !st.node_groups.iter().any(|g| g.name == ng) {
        return Err(nodegroup_not_found(&st.cluster.name, ng));
    }
    let cluster = ng
        .is_empty()
        .then(|| st.eks.cluster_updates.iter().find(|u| u.id == id))
        .flatten()
        .map(|u| json!({"update": u.json()}));
    let nodegroup = || {
        st.eks
            .updates
            .iter()
            .find(|u| u.id == id && u.nodegroup == ng)
            .map(|u| json!({"update": update_json(u)}))
    };
    cluster
        .or_else(nodegroup)
        .ok_or_else(|| update_not_found(st, id))
}

/// DescribeUpdate's 404 for an update ID this cluster (or node group, add-on) never had.
fn update_not_found(st: &SimState, id: &str) -> EksError {
    EksError::new(
        404,
        "ResourceNotFoundException",
        format!("No update found for ID: {id}"),
    )
    .with("clusterName", &st.cluster.name)
}

fn list_insights(st: &SimState, body: &[u8]) -> Result<Value, EksError> {
    let req = request_body(body)?;
    let strings = |k: &str| -> Vec<String> {
        req.pointer(&format!("/filter/{k}"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (cats, kvs, stats) = (
        strings("categories"),
        strings("kubernetesVersions"),
        strings("statuses"),
    );
    let keep = |i: &Value, key: &str, want: &[String]| {
        want.is_empty()
            || want
                .iter()
                .any(|w| i.pointer(key).and_then(Value::as_str) == Some(w))
    };
    let list: Vec<Value> = insights::all(st)
        .into_iter()
        .filter(|i| {
            keep(i, "/category", &cats)
                && keep(i, "/kubernetesVersion", &kvs)
                && keep(i, "/insightStatus/status", &stats)
        })
        .map(|i| insights::summary(&i))
        .collect();
    let (start, size) = paging(
        req.get("nextToken").and_then(Value::as_str),
        req.get("maxResults").and_then(Value::as_i64),
    )?;
    let (items, next) = page(&list, start, size);
    Ok(with_next(json!({"insights": items}), next))
}

fn describe_insight(st: &SimState, id: &str) -> Result<Value, EksError> {
    insights::all(st)
        .into_iter()
        .find(|i| i["id"] == json!(id))
        .map(|i| json!({"insight": i}))
        .ok_or_else(|| {
            EksError::new(
                404,
                "ResourceNotFoundException",
                format!("No insight found for id: {id}"),
            )
            .with("clusterName", &st.cluster.name)
        })
}

fn describe_cluster_versions(st: &SimState, q: &[(String, String)]) -> Result<Value, EksError> {
    if let Some(t) = first(q, "clusterType")
        && t != "eks"
    {
        return Err(invalid(format!("Unsupported cluster type: {t}")));
    }
    let now = st.clock.now();
    let wanted = all_of(q, "clusterVersions");
    let flag = |k: &str| first(q, k) == Some("true");
    let status = first(q, "status");
    let version_status = first(q, "versionStatus");
    let list: Vec<Value> = versions::released(&st.eks.settings.versions, now)
        .into_iter()
        .filter(|v| wanted.is_empty() || wanted.contains(&v.version.as_str()))
        .filter(|v| !flag("defaultOnly") || v.default)
        .filter(|v| {
            flag("includeAll")
                || !wanted.is_empty()
                || status.is_some()
                || version_status.is_some()
                || versions::version_status(v, now) != "UNSUPPORTED"
        })
        .filter(|v| status.is_none_or(|s| s == versions::cluster_version_status(v, now)))
        .filter(|v| version_status.is_none_or(|s| s == versions::version_status(v, now)))
        .map(|v| {
            json!({
                "clusterVersion": v.version,
                "clusterType": "eks",
                "defaultPlatformVersion": v.platform,
                "defaultVersion": v.default,
                "releaseDate": epoch(v.release),
                "endOfStandardSupportDate": epoch(v.end_standard),
                "endOfExtendedSupportDate": epoch(v.end_extended),
                "status": versions::cluster_version_status(&v, now),
                "versionStatus": versions::version_status(&v, now),
                "kubernetesPatchVersion": v.patch,
            })
        })
        .collect();
    let (start, size) = paging(first(q, "nextToken"), query_max(q)?)?;
    let (items, next) = page(&list, start, size);
    Ok(with_next(json!({"clusterVersions": items}), next))
}

/// A uuid-shaped id, reproducible for a seed and a counter:
/// `8-4-4-4-12` hex digits (deterministic, version-4 shaped).
pub fn uuid_like(seed: u64, n: u64) -> String {
    let a = crate::world::objects::splitmix(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let b = crate::world::objects::splitmix(a ^ n);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}
