//! Discovery documents shaped like a real kube-apiserver's (refs 01-08, 82-85, 89, 89b):
//! `/version`, `/api`, `/api/v1`, `/apis`, `/apis/GROUP`, `/apis/GROUP/VERSION`, and
//! aggregated discovery v2 (`APIGroupDiscoveryList`) for `/api` and `/apis`.

use crate::resources::{RESOURCES, ResourceInfo, groups};
use crate::scenario::ClusterInfo;
use serde_json::{Value, json};

pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// `/version`: EKS reports the minor with a `+` (`"25+"`) when the gitVersion has a suffix.
pub fn version(cluster: &ClusterInfo) -> Value {
    let git = cluster
        .served_version
        .as_deref()
        .unwrap_or(&cluster.git_version)
        .trim();
    let core = git.trim_start_matches('v');
    let (numbers, suffix) = match core.split_once(['-', '+']) {
        Some((n, _)) => (n, true),
        None => (core, false),
    };
    let mut parts = numbers.split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor_num = parts.next().unwrap_or("0").to_string();
    let minor = if suffix {
        format!("{minor_num}+")
    } else {
        minor_num.clone()
    };
    let mut v = serde_json::Map::new();
    v.insert("major".into(), json!(major));
    v.insert("minor".into(), json!(minor));
    // Servers from 1.32 on also report emulation/compatibility versions.
    if let Ok(m) = minor_num.parse::<u32>()
        && m >= 32
    {
        v.insert("emulationMajor".into(), json!(major));
        v.insert("emulationMinor".into(), json!(minor_num));
        v.insert("minCompatibilityMajor".into(), json!(major));
        v.insert("minCompatibilityMinor".into(), json!((m - 1).to_string()));
    }
    v.insert("gitVersion".into(), json!(git));
    v.insert(
        "gitCommit".into(),
        json!("0000000000000000000000000000000000000000"),
    );
    v.insert("gitTreeState".into(), json!("clean"));
    v.insert("buildDate".into(), json!("2024-01-01T00:00:00Z"));
    v.insert("goVersion".into(), json!("go1.22.5"));
    v.insert("compiler".into(), json!("gc"));
    v.insert("platform".into(), json!("linux/amd64"));
    Value::Object(v)
}

pub fn api_versions(server_address: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]})
}

fn group_versions(group: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group) {
        for v in r.versions {
            if !out.contains(v) {
                out.push(v);
            }
        }
    }
    // Kubernetes version priority: GA before beta before alpha, higher numbers first.
    out.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
    out
}

fn version_priority(v: &str) -> (u8, u32, u32) {
    let rest = v.trim_start_matches('v');
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (stage, n) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n)
    } else {
        (2, "")
    };
    (stage, major, n.parse().unwrap_or(0))
}

fn group_doc(group: &str) -> Value {
    let versions = group_versions(group);
    let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    json!({"name": group, "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
        "preferredVersion": gv(versions.first().copied().unwrap_or("v1"))})
}

/// `/apis/GROUP`, if the group is served.
pub fn api_group(group: &str) -> Option<Value> {
    if group.is_empty() || !groups().contains(&group) {
        return None;
    }
    let mut doc = group_doc(group);
    if let Some(m) = doc.as_object_mut() {
        let mut out = serde_json::Map::new();
        out.insert("kind".into(), json!("APIGroup"));
        out.insert("apiVersion".into(), json!("v1"));
        out.append(m);
        return Some(Value::Object(out));
    }
    Some(doc)
}

pub fn api_group_list() -> Value {
    let gs: Vec<Value> = groups()
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(group_doc)
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": gs})
}

fn resources_of(group: &str, version: &str) -> Vec<&'static ResourceInfo> {
    let mut rs: Vec<&ResourceInfo> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.versions.contains(&version))
        .collect();
    rs.sort_by_key(|r| r.plural);
    rs
}

/// (kind, group, version, verbs) of a subresource.
fn subresource_shape(
    r: &ResourceInfo,
    sub: &str,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
) {
    match sub {
        "eviction" => ("Eviction", "policy", "v1", &["create"]),
        "binding" => ("Binding", "", "", &["create"]),
        "scale" => ("Scale", "autoscaling", "v1", &["get", "patch", "update"]),
        _ => (r.kind_name, "", "", &["get", "patch", "update"]),
    }
}

/// `/api/v1` or `/apis/GROUP/VERSION`, if served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let rs = resources_of(group, version);
    if rs.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for r in rs {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), json!(r.plural));
        m.insert("singularName".into(), json!(r.singular));
        m.insert("namespaced".into(), json!(r.namespaced));
        m.insert("kind".into(), json!(r.kind_name));
        m.insert("verbs".into(), json!(r.verbs()));
        if !r.short_names.is_empty() {
            m.insert("shortNames".into(), json!(r.short_names));
        }
        if !r.categories().is_empty() {
            m.insert("categories".into(), json!(r.categories()));
        }
        out.push(Value::Object(m));
        let mut subs: Vec<&str> = r.subresources.to_vec();
        subs.sort();
        for sub in subs {
            let (kind, g, v, verbs) = subresource_shape(r, sub);
            let mut m = serde_json::Map::new();
            m.insert("name".into(), json!(format!("{}/{}", r.plural, sub)));
            m.insert("singularName".into(), json!(""));
            m.insert("namespaced".into(), json!(r.namespaced));
            if !g.is_empty() {
                m.insert("group".into(), json!(g));
                m.insert("version".into(), json!(v));
            }
            m.insert("kind".into(), json!(kind));
            m.insert("verbs".into(), json!(verbs));
            out.push(Value::Object(m));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}),
    )
}

fn aggregated_group(group: &str) -> Value {
    let custom = crate::resources::is_crd_group(group);
    let versions: Vec<Value> = group_versions(group)
        .into_iter()
        .map(|version| {
            let resources: Vec<Value> = resources_of(group, version)
                .into_iter()
                .map(|r| {
                    // Built-ins leave responseKind group/version empty; CRDs fill them.
                    let rk = |kind: &str| {
                        if custom {
                            json!({"group": group, "version": version, "kind": kind})
                        } else {
                            json!({"group": "", "version": "", "kind": kind})
                        }
                    };
                    let mut subs: Vec<&str> = r.subresources.to_vec();
                    subs.sort();
                    let subs: Vec<Value> = subs
                        .into_iter()
                        .map(|s| {
                            let (kind, g, v, verbs) = subresource_shape(r, s);
                            let response_kind = if g.is_empty() {
                                rk(kind)
                            } else {
                                json!({"group": g, "version": v, "kind": kind})
                            };
                            json!({"subresource": s, "responseKind": response_kind, "verbs": verbs})
                        })
                        .collect();
                    let mut m = serde_json::Map::new();
                    m.insert("resource".into(), json!(r.plural));
                    m.insert("responseKind".into(), rk(r.kind_name));
                    m.insert(
                        "scope".into(),
                        json!(if r.namespaced {
                            "Namespaced"
                        } else {
                            "Cluster"
                        }),
                    );
                    m.insert("singularResource".into(), json!(r.singular));
                    m.insert("verbs".into(), json!(r.verbs()));
                    if !r.short_names.is_empty() {
                        m.insert("shortNames".into(), json!(r.short_names));
                    }
                    if !r.categories().is_empty() {
                        m.insert("categories".into(), json!(r.categories()));
                    }
                    if !subs.is_empty() {
                        m.insert("subresources".into(), Value::Array(subs));
                    }
                    Value::Object(m)
                })
                .collect();
            json!({"version": version, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let metadata = if group.is_empty() {
        json!({})
    } else {
        json!({"name": group})
    };
    json!({"metadata": metadata, "versions": versions})
}

/// Aggregated discovery: `/api` (core only) or `/apis` (every named group).
pub fn aggregated(core: bool) -> Value {
    let items: Vec<Value> = if core {
        vec![aggregated_group("")]
    } else {
        groups()
            .into_iter()
            .filter(|g| !g.is_empty())
            .map(aggregated_group)
            .collect()
    };
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// Does this Accept header ask for aggregated discovery v2?
pub fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let p: String = part.chars().filter(|c| !c.is_whitespace()).collect();
        p.contains("g=apidiscovery.k8s.io")
            && p.contains("v=v2")
            && p.contains("as=APIGroupDiscoveryList")
    })
}

/// `/openapi/v3`: the group-versions with a document each. Only enough for kubectl's
/// query-parameter check (`fieldValidation` on PATCH, so it leaves validation to the server);
/// no schemas, so kubectl falls back to its built-in patch logic.
pub fn openapi_v3_root() -> Value {
    let mut paths = serde_json::Map::new();
    for g in groups() {
        for v in group_versions(g) {
            let key = if g.is_empty() {
                format!("api/{v}")
            } else {
                format!("apis/{g}/{v}")
            };
            let url = format!("/openapi/v3/{key}?hash=0000000000000000");
            paths.insert(key, json!({"serverRelativeURL": url}));
        }
    }
    json!({"paths": paths})
}

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/GROUP/VERSION`.
pub fn openapi_v3_group(group: &str, version: &str) -> Option<Value> {
    let rs = resources_of(group, version);
    if rs.is_empty() {
        return None;
    }
    let prefix = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let mut paths = serde_json::Map::new();
    for r in rs {
        let item = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.plural)
        };
        let gvk = json!({"group": group, "version": version, "kind": r.kind_name});
        let params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}}
        ]);
        let op = |id: &str| {
            json!({"operationId": id, "x-kubernetes-action": id, "x-kubernetes-group-version-kind": gvk,
                "parameters": params, "responses": {"200": {"description": "OK"}}})
        };
        paths.insert(item, json!({"patch": op("patch"), "put": op("put")}));
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths, "components": {"schemas": {}}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(v: &str) -> ClusterInfo {
        ClusterInfo {
            git_version: v.into(),
            name: "c".into(),
            region: "us-west-2".into(),
            platform_version: "eks.1".into(),
            account_id: "123456789012".into(),
            served_version: None,
            apiserver: Default::default(),
        }
    }

    #[test]
    fn version_minor_plus_for_eks() {
        let v = version(&cluster("v1.25.16-eks-3025e55"));
        assert_eq!(v["major"], "1");
        assert_eq!(v["minor"], "25+");
        assert!(v.get("emulationMajor").is_none());
        let v = version(&cluster("v1.36.2"));
        assert_eq!(v["minor"], "36");
        assert_eq!(v["minCompatibilityMinor"], "35");
    }

    #[test]
    fn resource_lists() {
        let core = api_resource_list("", "v1").unwrap();
        let names: Vec<&str> = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"pods/eviction") && names.contains(&"nodes/status"));
        let ev = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "pods/eviction")
            .unwrap();
        assert_eq!(ev["group"], "policy");
        assert!(api_resource_list("karpenter.sh", "v1beta1").is_some());
        assert!(api_resource_list("karpenter.sh", "v9").is_none());
        assert_eq!(
            api_group("karpenter.sh").unwrap()["preferredVersion"]["version"],
            "v1"
        );
        assert!(wants_aggregated(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
        ));
        assert!(!wants_aggregated("application/json"));
        let agg = aggregated(false);
        // apps, batch, policy, coordination.k8s.io, karpenter.sh, karpenter.k8s.aws
        assert_eq!(agg["items"].as_array().unwrap().len(), 6);
        assert_eq!(
            api_group("karpenter.k8s.aws").unwrap()["preferredVersion"]["version"],
            "v1"
        );
    }
}
