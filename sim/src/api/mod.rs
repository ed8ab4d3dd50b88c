//! The Kubernetes REST API: `handle` parses the path, checks auth, applies faults, counts the
//! request and dispatches to the verb. The HTTP front (`server`) reads the request and calls it.

pub mod discovery;
pub mod metrics;
pub mod patch;
pub mod pb;
pub mod selectors;
pub mod table;
mod watch;
mod wire;

use crate::http::{App, Reply, header_str};
use crate::resources::{Kind, ResourceInfo, lookup};
use crate::store::{ApiError, DeleteOpts, Store, Stored};
use axum::http::{HeaderMap, Method, header, request::Parts};
use axum::response::Response;
use base64::Engine as _;
use pb::negotiate::Wire;
use selectors::{FieldSelector, LabelSelector};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use wire::respond;

/// The user the read-only token authenticates as.
pub const READONLY_USER: &str = "system:serviceaccount:kup:readonly";
/// The user any other caller is, for messages (a cluster admin's kubeconfig user).
pub const ADMIN_USER: &str = "kubernetes-admin";
/// The user the no-access token authenticates as (no RBAC bindings at all).
pub const NOACCESS_USER: &str = "system:serviceaccount:kup:noaccess";

fn success_status(code: u16) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code})
}

/// Server-side apply's content type.
const APPLY: &str = "application/apply-patch+yaml";

fn not_found_path() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
    .with_details(json!({}))
}

fn method_not_allowed() -> ApiError {
    ApiError::new(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    )
    .with_details(json!({}))
}

fn unsupported_media() -> ApiError {
    ApiError::new(415, "UnsupportedMediaType", "415: Unsupported Media Type")
        .with_details(json!({}))
}

/// Parsed query string (last value wins; `+` is a space).
pub(crate) fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a request goes.
#[derive(Debug)]
pub(crate) enum Route {
    Version,
    /// `/metrics` (a non-resource URL, under RBAC like the resources).
    Metrics,
    Api,
    Apis,
    Group(String),
    ResourceList(String, String),
    Resource(ResourceRoute),
    /// `/openapi/v3` (None) or one group-version's document.
    OpenApi(Option<(String, String)>),
    NotFound,
}

#[derive(Debug, Clone)]
pub(crate) struct ResourceRoute {
    pub info: &'static ResourceInfo,
    pub version: String,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

impl ResourceRoute {
    fn kind(&self) -> Kind {
        self.info.kind
    }
    fn api_version(&self) -> String {
        self.info.api_version(&self.version)
    }
    /// `pods` or `pods/eviction`.
    fn resource(&self) -> String {
        match &self.sub {
            Some(s) => format!("{}/{}", self.info.plural, s),
            None => self.info.plural.to_string(),
        }
    }
    fn ns(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }
}

pub(crate) fn parse_route(path: &str) -> Route {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["version"] => return Route::Version,
        ["metrics"] => return Route::Metrics,
        ["openapi", "v3"] => return Route::OpenApi(None),
        ["openapi", "v3", "api", v] => return Route::OpenApi(Some((String::new(), v.to_string()))),
        ["openapi", "v3", "apis", g, v] => {
            return Route::OpenApi(Some((g.to_string(), v.to_string())));
        }
        ["api"] => return Route::Api,
        ["apis"] => return Route::Apis,
        ["apis", g] => return Route::Group(g.to_string()),
        ["api", v] => return Route::ResourceList(String::new(), v.to_string()),
        ["apis", g, v] => return Route::ResourceList(g.to_string(), v.to_string()),
        ["api", v, rest @ ..] => ("", v, rest),
        ["apis", g, v, rest @ ..] => (g, v, rest),
        _ => return Route::NotFound,
    };
    let (ns, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..]
            if lookup(group, version, plural).is_some_and(|r| r.namespaced) && !ns.is_empty() =>
        {
            (Some(ns.to_string()), &rest[2..=2 + tail.len()])
        }
        _ => (None, rest),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(n.to_string()), None),
        [p, n, s] => (*p, Some(n.to_string()), Some(s.to_string())),
        _ => return Route::NotFound,
    };
    let Some(info) = lookup(group, version, plural) else {
        return Route::NotFound;
    };
    if info.namespaced != ns.is_some() && !(info.namespaced && ns.is_none() && name.is_none()) {
        // Namespaced item paths need a namespace; cluster-scoped ones can't have one.
        return Route::NotFound;
    }
    if name.as_deref() == Some("") {
        return Route::NotFound;
    }
    if let Some(s) = &sub
        && !info.has_subresource(s)
    {
        return Route::NotFound;
    }
    Route::Resource(ResourceRoute {
        info,
        version: version.to_string(),
        ns,
        name,
        sub,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
    fn is_write(self) -> bool {
        !matches!(self, Verb::Get | Verb::List | Verb::Watch)
    }
}

fn verb_of(method: &Method, r: &ResourceRoute, query: &HashMap<String, String>) -> Option<Verb> {
    let watch = query.get("watch").is_some_and(|w| w == "true" || w == "1");
    let sub = r.sub.as_deref();
    Some(match (method.as_str(), &r.name, sub) {
        ("GET" | "HEAD", None, None) => {
            if watch {
                Verb::Watch
            } else {
                Verb::List
            }
        }
        ("GET" | "HEAD", Some(_), None | Some("status" | "scale")) => Verb::Get,
        ("POST", None, None) => Verb::Create,
        ("POST", Some(_), Some("eviction" | "binding")) => Verb::Create,
        ("PUT", Some(_), None | Some("status" | "scale")) => Verb::Update,
        ("PATCH", Some(_), None | Some("status" | "scale")) => Verb::Patch,
        ("DELETE", Some(_), None) => Verb::Delete,
        ("DELETE", None, None) => Verb::DeleteCollection,
        _ => return None,
    })
}

enum Caller {
    Admin,
    ReadOnly,
    /// Authenticated, but bound to no role: discovery only, 403 on every resource.
    NoAccess,
}

fn authenticate(app: &App, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if app.token.is_none() && app.readonly_token.is_none() && app.noaccess_token.is_none() {
        return Ok(Caller::Admin);
    }
    let auth = header_str(headers, header::AUTHORIZATION);
    let given = auth.strip_prefix("Bearer ").map(str::trim);
    match given {
        Some(t) if app.token.as_deref() == Some(t) => Ok(Caller::Admin),
        Some(t) if app.readonly_token.as_deref() == Some(t) => Ok(Caller::ReadOnly),
        Some(t) if app.noaccess_token.as_deref() == Some(t) => Ok(Caller::NoAccess),
        _ => Err(ApiError::new(401, "Unauthorized", "Unauthorized")),
    }
}

fn forbidden(r: &ResourceRoute, verb: Verb, user: &str) -> ApiError {
    let res = r.resource();
    let scope = match &r.ns {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let subject = match &r.name {
        Some(n) => format!("{} \"{}\"", r.info.plural, n),
        None => r.info.plural.to_string(),
    };
    let mut details = serde_json::Map::new();
    if let Some(n) = &r.name {
        details.insert("name".into(), json!(n));
    }
    if !r.info.group.is_empty() {
        details.insert("group".into(), json!(r.info.group));
    }
    details.insert("kind".into(), json!(r.info.plural));
    ApiError::new(
        403,
        "Forbidden",
        format!(
            "{subject} is forbidden: User \"{user}\" cannot {} resource \"{res}\" in API group \"{}\" {scope}",
            verb.as_str(),
            r.info.group
        ),
    )
    .with_details(Value::Object(details))
}

/// 403 on a non-resource URL, worded as the real server words it.
fn forbidden_path(path: &str, user: &str) -> ApiError {
    ApiError::new(
        403,
        "Forbidden",
        format!("forbidden: User \"{user}\" cannot get path \"{path}\""),
    )
    .with_details(json!({}))
}

/// Serve one Kubernetes API request (the body already read).
pub async fn handle(app: Arc<App>, parts: Parts, body: &[u8], gzip: bool) -> Response {
    let path = parts.uri.path();
    let accept = header_str(&parts.headers, header::ACCEPT).to_string();
    // Errors are written in the negotiated type (responsewriters.ErrorNegotiated).
    let fail = |e: &ApiError| respond(&app, wire::negotiate_error(Reply::error(e), &accept), gzip);
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let route = parse_route(path);
    let verb = match &route {
        Route::Resource(r) => verb_of(&parts.method, r, &query),
        _ => None,
    };
    let dry_values = query_values(parts.uri.query().unwrap_or(""), "dryRun");
    let is_write = !matches!(parts.method, Method::GET | Method::HEAD);
    // Options bodies (a DELETE's DeleteOptions, an Eviction) in protobuf are read as their JSON.
    let options_json;
    let body = match (&route, verb) {
        (Route::Resource(r), Some(Verb::Delete | Verb::DeleteCollection))
        | (Route::Resource(r), Some(Verb::Create))
            if is_protobuf(&parts.headers)
                && (verb != Some(Verb::Create) || r.sub.as_deref() == Some("eviction")) =>
        {
            match pb::decode_body(r.kind(), body) {
                Ok(v) => {
                    options_json = serde_json::to_vec(&v).unwrap_or_default();
                    options_json.as_slice()
                }
                Err(e) => return fail(&e),
            }
        }
        _ => body,
    };
    let dry_asked = is_write && dry_run_asked(&parts.method, &dry_values, body);
    {
        let resource = match (&route, verb) {
            (Route::Resource(r), Some(v)) => Some((v.as_str(), r.resource())),
            _ => None,
        };
        let mut counters = app.lock_counters();
        counters.count(
            is_write && !dry_asked,
            resource.as_ref().map(|(v, r)| (*v, r.as_str())),
        );
        if dry_asked {
            counters.dry_run_writes += 1;
        }
    }
    // `/version` is public upstream too.
    if !matches!(route, Route::Version) {
        let caller = authenticate(&app, &parts.headers);
        // What the scenario's RBAC denies every caller (`apiserver.forbidden`).
        if let Ok(c) = &caller {
            let user = match c {
                Caller::Admin => ADMIN_USER,
                Caller::ReadOnly => READONLY_USER,
                Caller::NoAccess => NOACCESS_USER,
            };
            let st = app.lock_state();
            let denied = match (&route, verb) {
                (Route::Resource(r), Some(v)) if st.cluster.apiserver.forbids(r.info.plural) => {
                    Some(forbidden(r, v, user))
                }
                (Route::Metrics, _) if st.cluster.apiserver.forbids("/metrics") => {
                    Some(forbidden_path("/metrics", user))
                }
                _ => None,
            };
            drop(st);
            if let Some(e) = denied {
                return fail(&e);
            }
        }
        match caller {
            Err(e) => return fail(&e),
            Ok(Caller::ReadOnly) => {
                if let (Route::Resource(r), Some(v)) = (&route, verb)
                    && v.is_write()
                {
                    return fail(&forbidden(r, v, READONLY_USER));
                }
            }
            Ok(Caller::NoAccess) => {
                if let (Route::Resource(r), Some(v)) = (&route, verb) {
                    return fail(&forbidden(r, v, NOACCESS_USER));
                }
                if matches!(route, Route::Metrics) {
                    return fail(&forbidden_path(path, NOACCESS_USER));
                }
            }
            Ok(Caller::Admin) => {}
        }
    }
    // Faults: one draw per API request.
    let (latency, fault, cut_after) = {
        let mut state = app.lock_state();
        let refuse = state
            .faults
            .protobuf_refuse
            .filter(|_| pb::negotiate::names_protobuf(&accept));
        if let Some(code) = refuse {
            drop(state);
            // A proxy's answer: JSON whatever the Accept header says.
            return respond(&app, Reply::error(&wire::refused(code)), gzip);
        }
        let fault = if query.contains_key("continue") && state.faults.expire_next_continue > 0 {
            state.faults.expire_next_continue -= 1;
            Some(ApiError::new(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. \
                 You can start a new list without the continue parameter.",
            ))
        } else {
            app.rng
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .next_fault(&mut state.faults)
        };
        (
            state.faults.latency,
            fault,
            state.faults.watch_cut_after_events,
        )
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(e) = fault {
        return fail(&e);
    }
    let reply = match route {
        Route::Version => {
            let st = app.lock_state();
            Ok(Reply::json(200, &discovery::version(&st.cluster)))
        }
        Route::Metrics => {
            let st = app.lock_state();
            let mut r = Reply::json_bytes(200, metrics::render(&st.cluster.apiserver).into_bytes());
            r.body.pop();
            r.content_type = metrics::CONTENT_TYPE;
            Ok(r)
        }
        Route::Api => Ok(if discovery::wants_aggregated(&accept) {
            aggregated_reply(discovery::aggregated(true))
        } else {
            Reply::json(200, &discovery::api_versions(&app.server_address))
        }),
        Route::Apis => Ok(if discovery::wants_aggregated(&accept) {
            aggregated_reply(discovery::aggregated(false))
        } else {
            Reply::json(200, &discovery::api_group_list())
        }),
        Route::Group(g) => discovery::api_group(&g)
            .map(|v| Reply::json(200, &v))
            .ok_or_else(not_found_path),
        Route::ResourceList(g, v) => discovery::api_resource_list(&g, &v)
            .map(|v| Reply::json(200, &v))
            .ok_or_else(not_found_path),
        Route::OpenApi(None) => Ok(Reply::json(200, &discovery::openapi_v3_root())),
        Route::OpenApi(Some((g, v))) => discovery::openapi_v3_group(&g, &v)
            .map(|d| Reply::json(200, &d))
            .ok_or_else(not_found_path),
        Route::NotFound => Err(not_found_path()),
        Route::Resource(r) => match verb {
            None => Err(method_not_allowed()),
            Some(Verb::Watch) => {
                // Watches stay JSON (kup-sim streams no protobuf): 406 when JSON is not
                // acceptable.
                if pb::negotiate::negotiate_json(&accept, wire::endpoint(r.kind())).is_none() {
                    return fail(&wire::not_acceptable(true));
                }
                app.lock_counters().count_content_type("application/json");
                let as_table = table::wants_table(&accept);
                return watch::serve(app.clone(), r, &query, gzip, cut_after, as_table);
            }
            Some(v) => match pb::negotiate::negotiate(&accept, wire::endpoint(r.kind())) {
                // NegotiateOutputMediaType comes first in every handler.
                None => Err(wire::not_acceptable(false)),
                Some(w) => dispatch(&app, &r, v, w, &query, &dry_values, &parts.headers, body).map(
                    |reply| match w {
                        Wire::Protobuf => wire::to_protobuf(reply, r.kind(), &r.api_version()),
                        _ => reply,
                    },
                ),
            },
        },
    };
    match reply {
        Ok(reply) => respond(&app, reply, gzip),
        Err(e) => fail(&e),
    }
}

fn aggregated_reply(v: Value) -> Reply {
    let mut r = Reply::json(200, &v);
    r.content_type = discovery::AGGREGATED_CONTENT_TYPE;
    r.with_header("vary", "Accept")
}

fn parse_body(kind: Kind, body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice::<Value>(body).map_err(|e| {
        let snippet: String = String::from_utf8_lossy(&body[..body.len().min(30)]).into_owned();
        let why = if e.is_eof() { "unexpected end of JSON input".to_string() } else { e.to_string() };
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: {} ({} ...)",
            kind.name(),
            why,
            snippet
        ))
    })
}

fn is_protobuf(headers: &HeaderMap) -> bool {
    let ct = header_str(headers, header::CONTENT_TYPE);
    ct.split(';').next().unwrap_or("").trim() == pb::CONTENT_TYPE
}

/// A create/update body: JSON, or protobuf from kubectl's typed clients.
fn parse_object(kind: Kind, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    if is_protobuf(headers) {
        pb::decode_body(kind, body)
    } else {
        parse_body(kind, body)
    }
}

#[allow(clippy::too_many_arguments)]
fn dispatch(
    app: &App,
    r: &ResourceRoute,
    verb: Verb,
    media: Wire,
    query: &HashMap<String, String>,
    dry_values: &[String],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let kind = r.kind();
    let av = r.api_version();
    let name = r.name.clone().unwrap_or_default();
    let dry = dry_run(verb, r.sub.as_deref(), dry_values, body)?;
    match (verb, r.sub.as_deref()) {
        (Verb::Get, Some("scale")) => {
            let st = app.lock_state();
            let obj = st
                .store
                .get(kind, r.ns(), &name)
                .ok_or_else(|| ApiError::not_found(kind, &name))?;
            Ok(Reply::json(200, &scale_of(&obj)))
        }
        (Verb::Get, _) => {
            let st = app.lock_state();
            let s = st
                .store
                .get_stored(kind, r.ns(), &name)
                .ok_or_else(|| ApiError::not_found(kind, &name))?;
            if media == Wire::Protobuf {
                let item = s.page_item();
                drop(st);
                return wire::object_reply(kind, &av, &item);
            }
            if media == Wire::Table {
                let mut obj = s.to_value(kind);
                obj["apiVersion"] = json!(av);
                let meta = json!({"resourceVersion": s.index.resource_version.to_string()});
                let include = query.get("includeObject").map_or("", String::as_str);
                let t = table::table(kind, &r.version, &[obj], st.clock.now(), include, meta);
                return Ok(Reply::json(200, &t));
            }
            Ok(Reply::json_bytes(200, s.to_json(kind, &av)))
        }
        (Verb::List, _) => list(app, r, query, media),
        (Verb::Create, Some("eviction")) => {
            let ev = parse_body(kind, body)?;
            let mut st = app.lock_state();
            if st.store.get_stored(kind, r.ns(), &name).is_none() {
                return Err(ApiError::not_found(kind, &name));
            }
            crate::world::evict(&mut st, r.ns(), &name, &ev, dry)?;
            Ok(Reply::json(201, &success_status(201)))
        }
        (Verb::Create, Some("binding")) => {
            let b = parse_body(kind, body)?;
            let node = b
                .pointer("/target/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if node.is_empty() {
                return Err(ApiError::invalid(
                    Kind::Pod,
                    &name,
                    &[(
                        "FieldValueRequired".into(),
                        "Required value".into(),
                        "target.name".into(),
                    )],
                ));
            }
            let mut st = app.lock_state();
            let pod = st
                .store
                .get(kind, r.ns(), &name)
                .ok_or_else(|| ApiError::not_found(kind, &name))?;
            if pod
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty())
            {
                return Err(ApiError::conflict(
                    kind,
                    &name,
                    &format!("pod {name} is already assigned to node"),
                ));
            }
            write(&mut st.store, dry, |s| {
                s.update(kind, r.ns(), &name, &mut |p| {
                    p["spec"]["nodeName"] = json!(node)
                })
            })?;
            Ok(Reply::json(201, &success_status(201)))
        }
        (Verb::Create, _) => {
            let mut obj = parse_object(kind, headers, body)?;
            check_object(r, &mut obj, None)?;
            let mut st = app.lock_state();
            let out = write(&mut st.store, dry, |s| s.create(kind, obj))?;
            drop(st);
            Ok(Reply::json_bytes(201, value_json(kind, &out, &av)))
        }
        (Verb::Update, sub) => {
            let mut obj = parse_object(kind, headers, body)?;
            check_object(r, &mut obj, Some(&name))?;
            let mut st = app.lock_state();
            let current = st
                .store
                .get(kind, r.ns(), &name)
                .ok_or_else(|| ApiError::not_found(kind, &name))?;
            let merged = merge_for_subresource(&current, obj, sub)?;
            let out = write(&mut st.store, dry, |s| s.replace(kind, merged))?;
            drop(st);
            Ok(reply_for(kind, &out, &av, sub))
        }
        (Verb::Patch, sub) => {
            let ct = header_str(headers, header::CONTENT_TYPE);
            let ct = ct.split(';').next().unwrap_or("").trim();
            let p = match ct {
                "application/merge-patch+json" | "application/json-patch+json" => {
                    parse_body(kind, body)?
                }
                "application/strategic-merge-patch+json" if !kind.is_custom() => {
                    parse_body(kind, body)?
                }
                "application/strategic-merge-patch+json" => {
                    return Err(ApiError::new(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                    )
                    .with_details(json!({})));
                }
                APPLY => {
                    if query.get("fieldManager").is_none_or(|m| m.is_empty()) {
                        return Err(ApiError::new(
                            422,
                            "Invalid",
                            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                        )
                        .with_details(json!({"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [
                            {"reason": "FieldValueRequired", "message": "Required value: is required for apply patch", "field": "fieldManager"}]})));
                    }
                    let text = std::str::from_utf8(body)
                        .map_err(|_| ApiError::bad_request("apply patch is not UTF-8"))?;
                    serde_saphyr::from_str::<Value>(text)
                        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
                }
                _ => return Err(unsupported_media()),
            };
            let mut st = app.lock_state();
            let existing = st.store.get(kind, r.ns(), &name);
            if ct == APPLY && existing.is_none() && sub.is_none() {
                // Server-side apply of a missing object creates it.
                let mut obj = p;
                check_object(r, &mut obj, Some(&name))?;
                let out = write(&mut st.store, dry, |s| s.create(kind, obj))?;
                drop(st);
                return Ok(Reply::json_bytes(201, value_json(kind, &out, &av)));
            }
            let current = existing.ok_or_else(|| ApiError::not_found(kind, &name))?;
            let base = if sub == Some("scale") {
                scale_of(&current)
            } else {
                current.clone()
            };
            let mut doc = base;
            match ct {
                "application/merge-patch+json" => patch::merge_patch(&mut doc, &p),
                "application/json-patch+json" => patch::json_patch(&mut doc, &p).map_err(|e| {
                    ApiError::new(422, "Invalid", e.clone())
                        .with_details(json!({"name": name, "kind": kind.name()}))
                })?,
                // Server-side apply without field ownership: a strategic merge of the
                // applied configuration (fields are never removed by omission).
                _ => patch::strategic_merge(&mut doc, &p).map_err(ApiError::bad_request)?,
            }
            // The patch can't move the object.
            if let Some(m) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
                m.insert("name".into(), json!(name));
                if let Some(ns) = &r.ns {
                    m.insert("namespace".into(), json!(ns));
                }
            }
            let merged = merge_for_subresource(&current, doc, sub)?;
            let out = write(&mut st.store, dry, |s| s.replace(kind, merged))?;
            drop(st);
            Ok(reply_for(kind, &out, &av, sub))
        }
        (Verb::Delete, _) => {
            let opts = delete_opts(kind, query, body)?;
            let mut st = app.lock_state();
            let out = write(&mut st.store, dry, |s| s.delete(kind, r.ns(), &name, &opts))?;
            drop(st);
            Ok(Reply::json_bytes(200, value_json(kind, &out, &av)))
        }
        (Verb::DeleteCollection, _) => {
            let opts = delete_opts(kind, query, body)?;
            let ls = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
            let fs =
                FieldSelector::parse(kind, query.get("fieldSelector").map_or("", String::as_str))?;
            let mut st = app.lock_state();
            let targets: Vec<(String, String)> = st
                .store
                .scan(kind, r.ns.as_deref(), None)
                .filter(|(_, s)| ls.matches(&s.index) && fs.matches(&s.index))
                .map(|(_, s)| (s.index.namespace.clone(), s.index.name.clone()))
                .collect();
            let items: Vec<Value> = write(&mut st.store, dry, |s| {
                targets
                    .iter()
                    .filter_map(|(ns, n)| s.delete(kind, ns, n, &opts).ok())
                    .collect()
            });
            let rv = st.store.resource_version();
            drop(st);
            Ok(Reply::json(
                200,
                &json!({"kind": format!("{}List", kind.name()), "apiVersion": av,
                    "metadata": {"resourceVersion": rv.to_string()}, "items": items}),
            ))
        }
        (Verb::Watch, _) => Err(method_not_allowed()),
    }
}

/// Run a store write for real, or as a dry run.
fn write<T>(store: &mut Store, dry: bool, f: impl FnOnce(&mut Store) -> T) -> T {
    if dry { store.dry_run(f) } else { f(store) }
}

/// Every value of a query parameter (`dryRun` may repeat).
fn query_values(raw: &str, key: &str) -> Vec<String> {
    raw.split('&')
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k) == key).then(|| percent_decode(v))
        })
        .collect()
}

/// `dryRun` of a DELETE body (DeleteOptions) or an eviction body (its deleteOptions).
fn body_dry_run(body: &[u8]) -> Option<Vec<String>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    let d = v
        .get("dryRun")
        .or_else(|| v.pointer("/deleteOptions/dryRun"))?;
    Some(
        d.as_array()?
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_string())
            .collect(),
    )
}

/// Does this write ask for a dry run at all (valid or not)? Such requests change nothing, so
/// `/sim/stats` counts them apart from `writes`.
fn dry_run_asked(method: &Method, query: &[String], body: &[u8]) -> bool {
    !query.is_empty()
        || (matches!(*method, Method::DELETE | Method::POST)
            && body_dry_run(body).is_some_and(|d| !d.is_empty()))
}

/// Go's `%#v` of a []string, as the real server quotes a bad dryRun.
fn go_strings(v: &[String]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
    format!("[]string{{{}}}", items.join(", "))
}

/// 422 for a dryRun other than `All`, as ValidateDryRun says it.
fn check_dry_values(options_kind: &str, values: &[String]) -> Result<bool, ApiError> {
    if values.iter().any(|v| v != "All") {
        let why = format!(
            "Unsupported value: {}: supported values: \"All\"",
            go_strings(values)
        );
        return Err(ApiError::new(
            422,
            "Invalid",
            format!("{options_kind}.meta.k8s.io \"\" is invalid: dryRun: {why}"),
        )
        .with_details(
            json!({"group": "meta.k8s.io", "kind": options_kind, "causes": [
            {"reason": "FieldValueNotSupported", "message": why, "field": "dryRun"}]}),
        ));
    }
    Ok(!values.is_empty())
}

/// Whether a write is a dry run: `dryRun=All` in the query (Create/Update/Patch/DeleteOptions),
/// or in a DELETE's DeleteOptions body, or in an eviction's deleteOptions (which must then agree
/// with the query's, as the eviction handler's propagateDryRun requires).
fn dry_run(verb: Verb, sub: Option<&str>, query: &[String], body: &[u8]) -> Result<bool, ApiError> {
    let options_kind = match verb {
        Verb::Create => "CreateOptions",
        Verb::Update => "UpdateOptions",
        Verb::Patch => "PatchOptions",
        Verb::Delete | Verb::DeleteCollection => "DeleteOptions",
        Verb::Get | Verb::List | Verb::Watch => return Ok(false),
    };
    let in_query = check_dry_values(options_kind, query)?;
    let in_body = match (verb, sub) {
        (Verb::Delete | Verb::DeleteCollection, _) | (Verb::Create, Some("eviction")) => {
            body_dry_run(body).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    if in_body.is_empty() {
        return Ok(in_query);
    }
    let in_body_ok = check_dry_values("DeleteOptions", &in_body)?;
    if verb == Verb::Create && in_query && query != in_body.as_slice() {
        return Err(ApiError::new(
            500,
            "InternalError",
            format!(
                "Internal error occurred: Non-matching dry-run options in request and content: [{}] and [{}]",
                query.join(" "),
                in_body.join(" ")
            ),
        ));
    }
    Ok(in_body_ok)
}

fn reply_for(kind: Kind, out: &Value, av: &str, sub: Option<&str>) -> Reply {
    if sub == Some("scale") {
        Reply::json(200, &scale_of(out))
    } else {
        Reply::json_bytes(200, value_json(kind, out, av))
    }
}

/// JSON of an object (from a Value) in the same shape as stored objects are served.
fn value_json(kind: Kind, v: &Value, api_version: &str) -> Vec<u8> {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
    }
    let body = serde_json::to_vec(&v).unwrap_or_else(|_| b"{}".to_vec());
    Stored::new(Default::default(), body.into()).to_json(kind, api_version)
}

/// autoscaling/v1 Scale of a workload.
fn scale_of(obj: &Value) -> Value {
    let meta = obj.get("metadata").cloned().unwrap_or_default();
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace"), "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"), "creationTimestamp": meta.get("creationTimestamp")},
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": selector}})
}

/// PUT/PATCH of the main resource keeps the current status; of `/status` changes only status;
/// of `/scale` changes only spec.replicas.
fn merge_for_subresource(
    current: &Value,
    new: Value,
    sub: Option<&str>,
) -> Result<Value, ApiError> {
    let rv = new.pointer("/metadata/resourceVersion").cloned();
    let mut out = match sub {
        Some("status") => {
            let mut out = current.clone();
            out["status"] = new.get("status").cloned().unwrap_or(json!({}));
            out
        }
        Some("scale") => {
            let mut out = current.clone();
            let replicas = new.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
            if !replicas.is_i64() && !replicas.is_u64() {
                return Err(ApiError::bad_request("spec.replicas must be an integer"));
            }
            out["spec"]["replicas"] = replicas;
            out
        }
        _ => {
            let mut out = new;
            match current.get("status") {
                Some(s) => out["status"] = s.clone(),
                None => {
                    if let Some(m) = out.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
            out
        }
    };
    if let (Some(rv), Some(m)) = (rv, out.get_mut("metadata").and_then(Value::as_object_mut)) {
        m.insert("resourceVersion".into(), rv);
    }
    Ok(out)
}

/// The body of a create/update must be this resource, in this namespace, with this name.
fn check_object(r: &ResourceRoute, obj: &mut Value, name: Option<&str>) -> Result<(), ApiError> {
    let kind = r.kind();
    if !obj.is_object() {
        return Err(ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): expected a JSON object",
            kind.name()
        )));
    }
    if let Some(k) = obj.get("kind").and_then(Value::as_str)
        && k != kind.name()
    {
        return Err(ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): {k}",
            kind.name()
        )));
    }
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    if let Some(ns) = &r.ns {
        match obj.pointer("/metadata/namespace").and_then(Value::as_str) {
            Some(given) if !given.is_empty() && given != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => obj["metadata"]["namespace"] = json!(ns),
        }
    }
    if let Some(name) = name {
        match obj.pointer("/metadata/name").and_then(Value::as_str) {
            Some(given) if given != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({given}) does not match the name on the URL ({name})"
                )));
            }
            _ => obj["metadata"]["name"] = json!(name),
        }
    }
    Ok(())
}

fn delete_opts(
    kind: Kind,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Result<DeleteOpts, ApiError> {
    let mut opts = DeleteOpts::default();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v = parse_body(kind, body)?;
        opts.grace_period_seconds = v.get("gracePeriodSeconds").and_then(Value::as_i64);
        opts.uid = v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    if let Some(g) = query.get("gracePeriodSeconds") {
        opts.grace_period_seconds = Some(
            g.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds: {g}")))?,
        );
    }
    Ok(opts)
}

/// Continue tokens: unpadded base64url of `{"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}`,
/// KEY relative to the list's namespace.
fn encode_continue(rv: u64, start: &str) -> String {
    // Field order as upstream (serde_json's map would sort the keys).
    let start = serde_json::to_string(&format!("{start}\u{0}")).unwrap_or_default();
    let doc = format!("{{\"v\":\"meta.k8s.io/v1\",\"rv\":{rv},\"start\":{start}}}");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(doc)
}

fn decode_continue(token: &str) -> Result<(u64, String), ApiError> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v.get("rv").and_then(Value::as_u64).ok_or_else(bad)?;
    let start = v.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    Ok((rv, start.trim_end_matches('\u{0}').to_string()))
}

fn list(
    app: &App,
    r: &ResourceRoute,
    query: &HashMap<String, String>,
    media: Wire,
) -> Result<Reply, ApiError> {
    let kind = r.kind();
    let av = r.api_version();
    let ls = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
    let fs = FieldSelector::parse(kind, query.get("fieldSelector").map_or("", String::as_str))?;
    let limit: usize = match query.get("limit").map(String::as_str) {
        None | Some("") => 0,
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?,
    };
    let cont = match query.get("continue").map(String::as_str) {
        None | Some("") => None,
        Some(t) => Some(decode_continue(t)?),
    };
    let ns_prefix = r.ns.as_ref().map(|ns| format!("{ns}/"));
    // Under the lock only the page's selection: the items' bytes (shared, not copied) and their
    // protobuf caches. Encoding, concatenation and gzip happen after it, so concurrent lists
    // are served concurrently.
    let mut st = app.lock_state();
    let list_rv = cont
        .as_ref()
        .map_or(st.store.resource_version(), |(rv, _)| *rv);
    let after_key = cont.as_ref().map(|(_, start)| match &ns_prefix {
        Some(p) => format!("{p}{start}"),
        None => start.clone(),
    });
    let mut page: Vec<Stored> = Vec::new();
    let mut last_key: Option<&String> = None;
    let mut remaining = 0u64;
    for (key, s) in st.store.scan(kind, r.ns.as_deref(), after_key.as_deref()) {
        if !(ls.matches(&s.index) && fs.matches(&s.index)) {
            continue;
        }
        if limit > 0 && page.len() >= limit {
            remaining += 1;
            continue;
        }
        page.push(s.page_item());
        last_key = Some(key);
    }
    let cont_token = match (remaining > 0, last_key) {
        (true, Some(k)) => {
            let rel = match &ns_prefix {
                Some(p) => k.strip_prefix(p.as_str()).unwrap_or(k),
                None => k,
            };
            Some(encode_continue(list_rv, rel))
        }
        _ => None,
    };
    let now = st.clock.now();
    let cut = media == Wire::Protobuf && st.faults.corrupt_protobuf_pages > 0;
    if cut {
        st.faults.corrupt_protobuf_pages -= 1;
    }
    drop(st);
    let list_kind = format!("{}List", kind.name());
    match media {
        Wire::Table => {
            let objs: Vec<Value> = page
                .iter()
                .map(|s| {
                    let mut obj = s.to_value(kind);
                    obj["apiVersion"] = json!(av);
                    obj
                })
                .collect();
            let mut meta = json!({"resourceVersion": list_rv.to_string()});
            if let Some(t) = &cont_token {
                meta["continue"] = json!(t);
                meta["remainingItemCount"] = json!(remaining);
            }
            let include = query.get("includeObject").map_or("", String::as_str);
            Ok(Reply::json(
                200,
                &table::table(kind, &r.version, &objs, now, include, meta),
            ))
        }
        Wire::Protobuf => {
            let items = page
                .iter()
                .map(|s| wire::item_bytes(kind, s))
                .collect::<Result<Vec<_>, _>>()?;
            // Go writes the non-pointer strings (selfLink, continue) even when empty.
            let meta = k8s_pb::apimachinery::pkg::apis::meta::v1::ListMeta {
                self_link: Some(String::new()),
                resource_version: Some(list_rv.to_string()),
                r#continue: Some(cont_token.clone().unwrap_or_default()),
                remaining_item_count: cont_token.as_ref().map(|_| remaining as i64),
            };
            let mut body = pb::list_envelope(&av, &list_kind, &meta, &items);
            if cut {
                body.truncate(body.len() / 2);
                app.lock_counters().requests.protobuf_pages_cut += 1;
            }
            Ok(Reply {
                status: 200,
                body,
                content_type: pb::CONTENT_TYPE,
                retry_after: None,
                extra: Vec::new(),
            })
        }
        Wire::Json => Ok(Reply::json_bytes(
            200,
            json_list(kind, &av, &list_kind, &page, list_rv, cont_token, remaining),
        )),
    }
}

/// A JSON list page: the items' stored bytes concatenated between the list's head and tail.
fn json_list(
    kind: Kind,
    av: &str,
    list_kind: &str,
    page: &[Stored],
    list_rv: u64,
    cont_token: Option<String>,
    remaining: u64,
) -> Vec<u8> {
    let mut items: Vec<u8> = Vec::with_capacity(page.iter().map(|s| s.body.len() + 1).sum());
    for (i, s) in page.iter().enumerate() {
        if i > 0 {
            items.push(b',');
        }
        items.extend_from_slice(&s.list_item_json(kind, av));
    }
    let mut out = Vec::with_capacity(items.len() + 256);
    if kind.is_custom() {
        // CRD lists: alphabetical keys, `continue` always present.
        let meta = match &cont_token {
            Some(t) => format!(
                "{{\"continue\":\"{t}\",\"remainingItemCount\":{remaining},\"resourceVersion\":\"{list_rv}\"}}"
            ),
            None => format!("{{\"continue\":\"\",\"resourceVersion\":\"{list_rv}\"}}"),
        };
        out.extend_from_slice(format!("{{\"apiVersion\":\"{av}\",\"items\":[").as_bytes());
        out.extend_from_slice(&items);
        out.extend_from_slice(
            format!("],\"kind\":\"{list_kind}\",\"metadata\":{meta}}}").as_bytes(),
        );
    } else {
        let meta = match &cont_token {
            Some(t) => format!(
                "{{\"resourceVersion\":\"{list_rv}\",\"continue\":\"{t}\",\"remainingItemCount\":{remaining}}}"
            ),
            None => format!("{{\"resourceVersion\":\"{list_rv}\"}}"),
        };
        out.extend_from_slice(
            format!(
                "{{\"kind\":\"{list_kind}\",\"apiVersion\":\"{av}\",\"metadata\":{meta},\"items\":["
            )
            .as_bytes(),
        );
        out.extend_from_slice(&items);
        out.extend_from_slice(b"]}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = |p: &str| parse_route(p);
        assert!(matches!(r("/version"), Route::Version));
        assert!(matches!(r("/api/v1"), Route::ResourceList(g, v) if g.is_empty() && v == "v1"));
        match r("/api/v1/namespaces/shop/pods/p1/eviction") {
            Route::Resource(rr) => {
                assert_eq!(rr.info.kind, Kind::Pod);
                assert_eq!(rr.ns.as_deref(), Some("shop"));
                assert_eq!(rr.name.as_deref(), Some("p1"));
                assert_eq!(rr.sub.as_deref(), Some("eviction"));
            }
            other => panic!("{other:?}"),
        }
        match r("/api/v1/namespaces/shop") {
            Route::Resource(rr) => {
                assert_eq!(rr.info.kind, Kind::Namespace);
                assert_eq!(rr.name.as_deref(), Some("shop"));
            }
            other => panic!("{other:?}"),
        }
        match r("/api/v1/pods") {
            Route::Resource(rr) => assert!(rr.ns.is_none() && rr.name.is_none()),
            other => panic!("{other:?}"),
        }
        assert!(matches!(r("/api/v1/pods/x"), Route::NotFound));
        assert!(matches!(r("/api/v1/nodes/n/eviction"), Route::NotFound));
        assert!(matches!(
            r("/apis/karpenter.sh/v1beta1/nodepools/default"),
            Route::Resource(_)
        ));
        assert!(matches!(
            r("/apis/karpenter.sh/v1alpha5/nodepools"),
            Route::NotFound
        ));
        assert!(matches!(r("/nope"), Route::NotFound));
    }

    #[test]
    fn continue_token_round_trip_matches_upstream_form() {
        // ref 15's token decodes to rv 283 and the first node's name.
        let (rv, start) = decode_continue("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjgzLCJzdGFydCI6ImlwLTE5Mi0xNjgtMTAtMjEudXMtd2VzdC0yLmNvbXB1dGUuaW50ZXJuYWxcdTAwMDAifQ").unwrap();
        assert_eq!(rv, 283);
        assert_eq!(start, "ip-192-168-10-21.us-west-2.compute.internal");
        let t = encode_continue(283, "ip-192-168-10-21.us-west-2.compute.internal");
        assert_eq!(
            t,
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjgzLCJzdGFydCI6ImlwLTE5Mi0xNjgtMTAtMjEudXMtd2VzdC0yLmNvbXB1dGUuaW50ZXJuYWxcdTAwMDAifQ"
        );
        assert!(decode_continue("!!").is_err());
    }

    #[test]
    fn query_decoding() {
        let q = parse_query("labelSelector=node-type%3Dapplications&fieldSelector=a+b&x");
        assert_eq!(q["labelSelector"], "node-type=applications");
        assert_eq!(q["fieldSelector"], "a b");
        assert_eq!(q["x"], "");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
