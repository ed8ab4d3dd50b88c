//! The object store: every object of the simulated cluster, resource versions,
//! and the change feed that watches and the world loop read.
//!
//! CONTRACT (shared by the HTTP side and the world; change it only together):
//! - Objects go in and out as `serde_json::Value` in the JSON of the k8s-openapi types
//!   (apiVersion/kind set). How they are kept inside is the store's business
//!   (must hold 150,000 ~6 KB pods in well under 2 GiB and serve a 500-item page fast).
//! - `ns` is "" for cluster-scoped kinds.
//! - Every successful write bumps the global resourceVersion and emits one `Change`.
//! - The store does no scheduling or controller work: the world does that by calling
//!   these methods, exactly as a controller would call the API.
//!
//! How objects are kept: each object is its compact JSON *without* `apiVersion`/`kind` (so a
//! built-in list page is a plain concatenation of stored bytes, and the apiVersion of a
//! multi-version CR can be chosen when serving) plus a small parsed index (`ObjIndex`) for
//! selectors. `get`/`list` parse the bytes back into a `Value`.
//!
//! Defaulting and validation happen here (on create and on every replace/update), like the
//! real server's decode + admission: pods get `status.phase: Pending`,
//! `spec.terminationGracePeriodSeconds: 30` and the other defaults of ref 22; workloads the
//! defaults of ref 21. Names are validated (422 Invalid), pods need containers.
//!
//! Deletion (`delete`): unbound pods and objects without finalizers go at once (one Deleted
//! change; a pod already Terminating that gets a shorter grace period first gets a Modified
//! change, as the real server does). Bound pods get `deletionTimestamp = now + grace` and
//! `deletionGracePeriodSeconds`; objects with finalizers get `deletionTimestamp = now`. A write
//! (`update`/`replace`) that leaves an object being deleted with no finalizers removes it
//! (for pods only when `deletionGracePeriodSeconds` is 0 or the pod is unbound: otherwise the
//! kubelet, i.e. the world, calls `remove`).

use crate::clock::Clock;
use crate::resources::Kind;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many changes the broadcast channel buffers per subscriber before the subscriber lags
/// (a lagging watch is closed, like a real "too old resource version").
pub const CHANNEL_CAPACITY: usize = 4096;
/// How many past changes are kept to serve a watch from an older resourceVersion.
pub const HISTORY: usize = 10_000;

/// A Kubernetes-style API error; the HTTP side turns it into a `Status` object.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    /// Status `reason` ("NotFound", "AlreadyExists", "Conflict", "Invalid", "TooManyRequests",
    /// "Forbidden", "Unauthorized", "BadRequest", "MethodNotAllowed", "UnsupportedMediaType",
    /// "InternalError"); empty for the two-PDB eviction 500, which has none upstream.
    pub reason: String,
    pub message: String,
    /// Status `details` (name, group, kind, causes) as the real server sends it, if any.
    pub details: Option<Value>,
    /// Retry-After header value in seconds, if any.
    pub retry_after: Option<u64>,
}

/// `details` of a Status for one object of a resource: {name, group (non-core), kind: plural}.
fn details_for(kind: Kind, name: &str) -> Value {
    let mut d = Map::new();
    if !name.is_empty() {
        d.insert("name".into(), Value::String(name.into()));
    }
    if !kind.group().is_empty() {
        d.insert("group".into(), Value::String(kind.group().into()));
    }
    d.insert("kind".into(), Value::String(kind.plural().into()));
    Value::Object(d)
}

fn qualified_plural(kind: Kind) -> String {
    if kind.group().is_empty() {
        kind.plural().to_string()
    } else {
        format!("{}.{}", kind.plural(), kind.group())
    }
}

impl ApiError {
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason: reason.into(),
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    /// 404 `pods "x" not found` (ref 60).
    pub fn not_found(kind: Kind, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", qualified_plural(kind), name),
        )
        .with_details(details_for(kind, name))
    }
    /// 409 `nodes "x" already exists` (ref 61).
    pub fn already_exists(kind: Kind, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", qualified_plural(kind), name),
        )
        .with_details(details_for(kind, name))
    }
    /// 409 Conflict on a stale resourceVersion or a failed precondition.
    pub fn conflict(kind: Kind, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": {}",
                qualified_plural(kind),
                name,
                why
            ),
        )
        .with_details(details_for(kind, name))
    }
    /// 422 Invalid; `causes` are (reason, message, field). details.kind is the Kind (ref 62).
    pub fn invalid(kind: Kind, name: &str, causes: &[(String, String, String)]) -> Self {
        let parts: Vec<String> = causes
            .iter()
            .map(|(_, msg, field)| format!("{field}: {msg}"))
            .collect();
        let joined = if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("[{}]", parts.join(", "))
        };
        let mut d = Map::new();
        d.insert("name".into(), Value::String(name.into()));
        if !kind.group().is_empty() {
            d.insert("group".into(), Value::String(kind.group().into()));
        }
        d.insert("kind".into(), Value::String(kind.name().into()));
        d.insert(
            "causes".into(),
            Value::Array(
                causes
                    .iter()
                    .map(|(reason, msg, field)| json!({"reason": reason, "message": msg, "field": field}))
                    .collect(),
            ),
        );
        Self::new(
            422,
            "Invalid",
            format!("{} \"{}\" is invalid: {}", kind.name(), name, joined),
        )
        .with_details(Value::Object(d))
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }
    /// 410 Expired for a watch/list from a resourceVersion older than the kept history.
    pub fn gone(asked: u64, oldest: u64) -> Self {
        Self::new(
            410,
            "Expired",
            format!("too old resource version: {asked} ({oldest})"),
        )
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    /// Watch event `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

/// One change, as a watch stream sends it.
#[derive(Clone, Debug)]
pub struct Change {
    pub kind: Kind,
    pub change: ChangeType,
    pub resource_version: u64,
    /// The object after the change (before it, for Deleted).
    pub object: std::sync::Arc<Value>,
    /// The index of the object before the change (None for Added): lets a watch with a
    /// selector turn "left the selection" into DELETED and "entered it" into ADDED, as upstream.
    pub previous: Option<std::sync::Arc<ObjIndex>>,
}

/// Options for delete (DeleteOptions that matter here).
#[derive(Clone, Debug, Default)]
pub struct DeleteOpts {
    /// None: the object's default (pods: spec.terminationGracePeriodSeconds, 30).
    pub grace_period_seconds: Option<i64>,
    /// Precondition on metadata.uid.
    pub uid: Option<String>,
}

/// The parsed part of a stored object that selectors and the HTTP side need.
#[derive(Clone, Debug, Default)]
pub struct ObjIndex {
    pub namespace: String,
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub uid: String,
    pub resource_version: u64,
    /// spec.nodeName (pods).
    pub node_name: Option<String>,
    /// status.phase (pods, namespaces), or a Secret's `type` (the only served kind with a
    /// top-level `type`; the field selector `type=` reads it).
    pub phase: Option<String>,
    /// spec.unschedulable (nodes).
    pub unschedulable: bool,
    pub deleting: bool,
    pub finalizers: usize,
}

impl ObjIndex {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The index of an object given as JSON.
    pub fn of(obj: &Value) -> ObjIndex {
        let meta = obj.get("metadata");
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
        let labels = meta
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        ObjIndex {
            namespace: s(meta.and_then(|m| m.get("namespace"))),
            name: s(meta.and_then(|m| m.get("name"))),
            labels,
            uid: s(meta.and_then(|m| m.get("uid"))),
            resource_version: meta
                .and_then(|m| m.get("resourceVersion"))
                .and_then(Value::as_str)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            node_name: obj
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .map(str::to_string),
            phase: obj
                .pointer("/status/phase")
                .or_else(|| obj.get("type"))
                .and_then(Value::as_str)
                .map(str::to_string),
            unschedulable: obj
                .pointer("/spec/unschedulable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            deleting: meta
                .and_then(|m| m.get("deletionTimestamp"))
                .is_some_and(|v| !v.is_null()),
            finalizers: meta
                .and_then(|m| m.get("finalizers"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
        }
    }
}

/// One stored object: its index and its compact JSON without `apiVersion`/`kind`.
#[derive(Clone, Debug)]
pub struct Stored {
    pub index: ObjIndex,
    pub body: Bytes,
    /// Its protobuf message bytes, encoded at the first protobuf read (built-in kinds) and
    /// shared by clones; a write stores a new `Stored`, so the cache goes with the old one.
    pub pb: PbCache,
}

/// A lazily filled, shared cache of an object's protobuf bytes (filled outside the state lock).
#[derive(Clone, Debug, Default)]
pub struct PbCache(Arc<std::sync::OnceLock<Bytes>>);

impl PbCache {
    /// The cached bytes, or `encode`'s (then cached); an error is not cached.
    pub fn get_or_encode<E>(&self, encode: impl FnOnce() -> Result<Bytes, E>) -> Result<Bytes, E> {
        if let Some(b) = self.0.get() {
            return Ok(b.clone());
        }
        let b = encode()?;
        Ok(self.0.get_or_init(|| b).clone())
    }
}

impl Stored {
    pub fn new(index: ObjIndex, body: Bytes) -> Self {
        Stored {
            index,
            body,
            pb: PbCache::default(),
        }
    }

    /// The body and cache without the index: what a list page takes out of the lock.
    pub fn page_item(&self) -> Stored {
        Stored {
            index: ObjIndex::default(),
            body: self.body.clone(),
            pb: self.pb.clone(),
        }
    }

    /// The object's JSON with `apiVersion`/`kind` (built-ins: `kind` first, as upstream's
    /// struct order; custom resources: alphabetical, `apiVersion` first).
    pub fn to_json(&self, kind: Kind, api_version: &str) -> Vec<u8> {
        wrap_body(&self.body, kind, api_version)
    }

    /// As `to_json` for a list item: built-in items carry no apiVersion/kind, CR items do.
    pub fn list_item_json(&self, kind: Kind, api_version: &str) -> Vec<u8> {
        if kind.is_custom() {
            wrap_body(&self.body, kind, api_version)
        } else {
            self.body.to_vec()
        }
    }

    pub fn to_value(&self, kind: Kind) -> Value {
        let mut v: Value =
            serde_json::from_slice(&self.body).unwrap_or_else(|_| Value::Object(Map::new()));
        if let Some(m) = v.as_object_mut() {
            m.insert("apiVersion".into(), Value::String(kind.api_version()));
            m.insert("kind".into(), Value::String(kind.name().into()));
        }
        v
    }
}

/// Fields of the karpenter.sh CRDs (v1.0.9) that only one served version's schema has. Objects
/// are held as the storage version (v1) holds them, so writes lose the v1beta1-only ones; reads
/// at v1beta1 lose the v1-only ones (the real server prunes by the schema of each version).
const V1BETA1_ONLY: &[(Kind, &[&str])] = &[
    (
        Kind::NodePool,
        &[
            "/spec/disruption/expireAfter",
            "/spec/template/spec/kubelet",
            "/spec/template/spec/resources",
            "/spec/template/spec/nodeClassRef/apiVersion",
        ],
    ),
    (
        Kind::NodeClaim,
        &["/spec/kubelet", "/spec/nodeClassRef/apiVersion"],
    ),
];
const V1_ONLY: &[(Kind, &[&str])] = &[
    (
        Kind::NodePool,
        &[
            "/spec/template/spec/expireAfter",
            "/spec/template/spec/terminationGracePeriod",
            "/spec/template/spec/nodeClassRef/group",
        ],
    ),
    (
        Kind::NodeClaim,
        &[
            "/spec/expireAfter",
            "/spec/terminationGracePeriod",
            "/spec/nodeClassRef/group",
            "/status/lastPodEventTime",
        ],
    ),
];

fn prune(obj: &mut Value, kind: Kind, table: &[(Kind, &[&str])]) {
    for (_, paths) in table.iter().filter(|(k, _)| *k == kind) {
        for path in *paths {
            let (parent, field) = path.rsplit_once('/').unwrap_or(("", path));
            if let Some(m) = obj.pointer_mut(parent).and_then(Value::as_object_mut) {
                m.remove(field);
            }
        }
    }
}

fn wrap_body(body: &[u8], kind: Kind, api_version: &str) -> Vec<u8> {
    if api_version == "karpenter.sh/v1beta1" && matches!(kind, Kind::NodePool | Kind::NodeClaim) {
        // Few objects: parse, prune what the v1beta1 schema lacks, write again.
        if let Ok(mut v) = serde_json::from_slice::<Value>(body) {
            prune(&mut v, kind, V1_ONLY);
            if let Ok(b) = serde_json::to_vec(&v) {
                return wrap_plain(&b, kind, api_version);
            }
        }
    }
    if kind == Kind::EC2NodeClass
        && let Ok(mut v) = serde_json::from_slice::<Value>(body)
    {
        // The provider's conversion webhook: one storage, read at either version.
        crate::nodeclass_conversion::convert(&mut v, api_version);
        if let Ok(b) = serde_json::to_vec(&v) {
            return wrap_plain(&b, kind, api_version);
        }
    }
    wrap_plain(body, kind, api_version)
}

fn wrap_plain(body: &[u8], kind: Kind, api_version: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    let head = if kind.is_custom() {
        format!(
            "{{\"apiVersion\":\"{}\",\"kind\":\"{}\"",
            api_version,
            kind.name()
        )
    } else {
        format!(
            "{{\"kind\":\"{}\",\"apiVersion\":\"{}\"",
            kind.name(),
            api_version
        )
    };
    out.extend_from_slice(head.as_bytes());
    // body is `{...}`; `{}` gets no comma.
    let rest = body.get(1..).unwrap_or(b"}");
    if rest.first().is_some_and(|b| *b != b'}') {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    out
}

struct HistEntry {
    kind: Kind,
    change: ChangeType,
    rv: u64,
    body: Bytes,
    previous: Option<Arc<ObjIndex>>,
}

pub struct Store {
    objects: Vec<BTreeMap<String, Stored>>,
    rv: u64,
    uid_counter: u64,
    uid_seed: u64,
    clock: Option<Clock>,
    tx: broadcast::Sender<Change>,
    history: VecDeque<HistEntry>,
    /// Inside `dry_run`: writes compute their result but store nothing.
    dry: bool,
}

/// The map key: `ns/name` (namespaced) or `name`: sorts like the real server's etcd keys.
pub fn object_key(kind: Kind, ns: &str, name: &str) -> String {
    if kind.namespaced() {
        format!("{ns}/{name}")
    } else {
        name.to_string()
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// RFC 3339 with whole seconds, as Kubernetes writes metav1.Time.
pub fn format_time(ts: jiff::Timestamp) -> String {
    format!("{:.0}", ts)
}

impl Store {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        Store {
            objects: Kind::ALL.iter().map(|_| BTreeMap::new()).collect(),
            rv: 1,
            uid_counter: 0,
            uid_seed: 0x5EED,
            clock: None,
            tx,
            history: VecDeque::new(),
            dry: false,
        }
    }
    /// Use the sim clock for timestamps (creationTimestamp, deletionTimestamp); without it,
    /// real time.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = Some(clock);
    }
    /// Seed for generated uids and generateName suffixes (reproducible runs).
    pub fn set_seed(&mut self, seed: u64) {
        self.uid_seed = seed ^ 0x5EED;
    }
    pub fn now(&self) -> jiff::Timestamp {
        self.clock
            .as_ref()
            .map_or_else(jiff::Timestamp::now, Clock::now)
    }
    /// Run writes as a `dryRun=All` request does: validated and answered with the object as it
    /// would be (a new object without resourceVersion, a changed one with its current one), with
    /// nothing stored, no resourceVersion spent, no watch event and no uid or name drawn.
    pub fn dry_run<T>(&mut self, f: impl FnOnce(&mut Store) -> T) -> T {
        let (was, uid_counter) = (self.dry, self.uid_counter);
        self.dry = true;
        let out = f(self);
        self.dry = was;
        self.uid_counter = uid_counter;
        out
    }
    /// Current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }
    pub fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<Value> {
        self.get_stored(kind, ns, name).map(|s| s.to_value(kind))
    }
    /// The stored form (bytes + index) of one object.
    pub fn get_stored(&self, kind: Kind, ns: &str, name: &str) -> Option<&Stored> {
        self.objects[kind.index()].get(&object_key(kind, ns, name))
    }
    /// Number of objects of a kind.
    pub fn count(&self, kind: Kind) -> usize {
        self.objects[kind.index()].len()
    }
    /// All objects of a kind (in one namespace, or all), sorted by namespace/name.
    pub fn list(&self, kind: Kind, ns: Option<&str>) -> Vec<Value> {
        self.scan(kind, ns, None)
            .map(|(_, s)| s.to_value(kind))
            .collect()
    }
    /// Objects of a kind whose index passes `keep`, sorted by namespace/name. Parsing every
    /// object is the expensive part of `list` (150,000 pods: seconds and gigabytes), so
    /// filter on the index (node, phase, labels, deleting) first where possible.
    pub fn list_where(
        &self,
        kind: Kind,
        ns: Option<&str>,
        keep: &dyn Fn(&ObjIndex) -> bool,
    ) -> Vec<Value> {
        self.scan(kind, ns, None)
            .filter(|(_, s)| keep(&s.index))
            .map(|(_, s)| s.to_value(kind))
            .collect()
    }
    /// Stored objects of a kind in key order (`ns/name` or `name`), optionally in one namespace
    /// and strictly after the key `after` (a continue token's start).
    pub fn scan<'a>(
        &'a self,
        kind: Kind,
        ns: Option<&str>,
        after: Option<&str>,
    ) -> Box<dyn Iterator<Item = (&'a String, &'a Stored)> + 'a> {
        let map = &self.objects[kind.index()];
        let lower = match after {
            Some(a) => Bound::Excluded(a.to_string()),
            None => Bound::Unbounded,
        };
        match ns.filter(|_| kind.namespaced()) {
            Some(ns) => {
                let prefix = format!("{ns}/");
                let lower = match lower {
                    Bound::Excluded(a) if a.as_str() >= prefix.as_str() => Bound::Excluded(a),
                    _ => Bound::Included(prefix.clone()),
                };
                Box::new(
                    map.range((lower, Bound::Unbounded))
                        .take_while(move |(k, _)| k.starts_with(&prefix)),
                )
            }
            None => Box::new(map.range((lower, Bound::Unbounded))),
        }
    }
    /// Create: fills metadata.uid, resourceVersion, creationTimestamp, generation (and
    /// generateName -> name); 409 AlreadyExists if the name is taken.
    pub fn create(&mut self, kind: Kind, obj: Value) -> Result<Value, ApiError> {
        self.insert_new(kind, obj, false)
    }

    /// Like `create`, for objects that existed before the sim started (the scenario): a given
    /// metadata.uid and creationTimestamp are kept, so ages and owner references read as written.
    pub fn restore(&mut self, kind: Kind, obj: Value) -> Result<Value, ApiError> {
        self.insert_new(kind, obj, true)
    }

    fn insert_new(
        &mut self,
        kind: Kind,
        obj: Value,
        keep_identity: bool,
    ) -> Result<Value, ApiError> {
        let mut obj = obj;
        if !obj.is_object() {
            return Err(ApiError::bad_request(format!(
                "the object provided is not a {} object",
                kind.name()
            )));
        }
        let now = format_time(self.now());
        {
            let meta = meta_mut(&mut obj);
            let has_name = meta
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            if !has_name
                && let Some(prefix) = meta
                    .get("generateName")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            {
                let suffix = self.random_suffix();
                let meta = meta_mut(&mut obj);
                meta.insert("name".into(), Value::String(format!("{prefix}{suffix}")));
            }
        }
        let uid = self.new_uid();
        {
            let meta = meta_mut(&mut obj);
            let given = |meta: &serde_json::Map<String, Value>, key: &str| {
                meta.get(key)
                    .and_then(Value::as_str)
                    .filter(|v| keep_identity && !v.is_empty())
                    .map(str::to_string)
            };
            let uid = given(meta, "uid").unwrap_or(uid);
            let created = given(meta, "creationTimestamp").unwrap_or(now);
            meta.insert("uid".into(), Value::String(uid));
            meta.insert("creationTimestamp".into(), Value::String(created));
            meta.insert("generation".into(), json!(1));
            meta.remove("deletionTimestamp");
            meta.remove("deletionGracePeriodSeconds");
        }
        normalize_scope(kind, &mut obj);
        apply_defaults(kind, &mut obj, true);
        validate(kind, &obj)?;
        let (ns, name) = ns_name(&obj);
        let key = object_key(kind, &ns, &name);
        if self.objects[kind.index()].contains_key(&key) {
            return Err(ApiError::already_exists(kind, &name));
        }
        self.commit(kind, key, obj, ChangeType::Added)
    }
    /// Replace the whole object (PUT semantics; 409 Conflict on a stale metadata.resourceVersion
    /// when one is given).
    pub fn replace(&mut self, kind: Kind, obj: Value) -> Result<Value, ApiError> {
        let mut obj = obj;
        if !obj.is_object() {
            return Err(ApiError::bad_request(format!(
                "the object provided is not a {} object",
                kind.name()
            )));
        }
        normalize_scope(kind, &mut obj);
        let (ns, name) = ns_name(&obj);
        let old = self
            .get(kind, &ns, &name)
            .ok_or_else(|| ApiError::not_found(kind, &name))?;
        if let Some(given) = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
        {
            let current = old
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !given.is_empty() && given != current {
                return Err(ApiError::conflict(
                    kind,
                    &name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
        }
        // The API can't set or clear these with an update.
        for field in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            let old_v = old.get("metadata").and_then(|m| m.get(field)).cloned();
            let meta = meta_mut(&mut obj);
            match old_v {
                Some(v) => meta.insert(field.into(), v),
                None => meta.remove(field),
            };
        }
        self.write_existing(kind, &old, obj)
    }
    /// Read-modify-write of one object, as the controllers do it.
    pub fn update(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        f: &mut dyn FnMut(&mut Value),
    ) -> Result<Value, ApiError> {
        let old = self
            .get(kind, ns, name)
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        let mut obj = old.clone();
        f(&mut obj);
        // Identity stays: the closure may not rename or re-uid the object.
        for field in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
        ] {
            let old_v = old.get("metadata").and_then(|m| m.get(field)).cloned();
            let meta = meta_mut(&mut obj);
            match old_v {
                Some(v) => meta.insert(field.into(), v),
                None => meta.remove(field),
            };
        }
        self.write_existing(kind, &old, obj)
    }
    /// API delete: an object with finalizers, or a pod bound to a node, only gets
    /// deletionTimestamp (+ deletionGracePeriodSeconds for pods) and stays until removed;
    /// anything else is removed at once.
    pub fn delete(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        opts: &DeleteOpts,
    ) -> Result<Value, ApiError> {
        let ns = if kind.namespaced() { ns } else { "" };
        let old = self
            .get(kind, ns, name)
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        let uid = old
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Some(want) = &opts.uid
            && want != uid
        {
            return Err(ApiError::conflict(
                kind,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {want}, UID in object meta: {uid}"
                ),
            ));
        }
        let idx = ObjIndex::of(&old);
        let key = object_key(kind, ns, name);
        let is_pod = kind == Kind::Pod;
        let bound = is_pod && idx.node_name.as_deref().is_some_and(|n| !n.is_empty());
        let grace = if !is_pod || !bound {
            0
        } else {
            opts.grace_period_seconds
                .or_else(|| {
                    old.pointer("/spec/terminationGracePeriodSeconds")
                        .and_then(Value::as_i64)
                })
                .unwrap_or(30)
                .max(0)
        };
        let now = self.now();
        let stamp = |secs: i64| format_time(now + jiff::SignedDuration::from_secs(secs));
        if idx.deleting {
            // Already terminating: only a shorter grace period changes anything.
            let current = old
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if !is_pod || grace >= current {
                return Ok(old);
            }
            let mut obj = old.clone();
            let meta = meta_mut(&mut obj);
            meta.insert("deletionTimestamp".into(), Value::String(stamp(grace)));
            meta.insert("deletionGracePeriodSeconds".into(), json!(grace));
            let obj = self.commit(kind, key.clone(), obj, ChangeType::Modified)?;
            if grace == 0 && idx.finalizers == 0 && !self.dry {
                return Ok(self.remove_key(kind, &key).unwrap_or(obj));
            }
            return Ok(obj);
        }
        if idx.finalizers > 0 || grace > 0 {
            let mut obj = old.clone();
            let meta = meta_mut(&mut obj);
            meta.insert("deletionTimestamp".into(), Value::String(stamp(grace)));
            meta.insert("deletionGracePeriodSeconds".into(), json!(grace));
            return self.commit(kind, key, obj, ChangeType::Modified);
        }
        self.remove_key(kind, &key)
            .ok_or_else(|| ApiError::not_found(kind, name))
    }
    /// Remove for good (the kubelet confirming a pod's deletion, the last finalizer going).
    pub fn remove(&mut self, kind: Kind, ns: &str, name: &str) -> Option<Value> {
        let ns = if kind.namespaced() { ns } else { "" };
        self.remove_key(kind, &object_key(kind, ns, name))
    }
    /// Subscribe to every change from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
    /// For a watch from `rv`: the kept changes after `rv` (all kinds, oldest first) and a
    /// receiver for everything after them, taken atomically (the caller holds the lock).
    /// 410 Expired when changes after `rv` have already left the history.
    pub fn watch_from(
        &self,
        rv: u64,
    ) -> Result<(Vec<Change>, broadcast::Receiver<Change>), ApiError> {
        let rx = self.tx.subscribe();
        if rv >= self.rv {
            return Ok((Vec::new(), rx));
        }
        let oldest = self.history.front().map_or(self.rv + 1, |h| h.rv);
        if oldest > rv + 1 {
            return Err(ApiError::gone(rv, oldest.saturating_sub(1)));
        }
        let replay = self
            .history
            .iter()
            .filter(|h| h.rv > rv)
            .map(|h| Change {
                kind: h.kind,
                change: h.change,
                resource_version: h.rv,
                previous: h.previous.clone(),
                object: Arc::new(Stored::new(ObjIndex::default(), h.body.clone()).to_value(h.kind)),
            })
            .collect();
        Ok((replay, rx))
    }

    // ---- internals ----

    fn new_uid(&mut self) -> String {
        self.uid_counter += 1;
        let mut st = self
            .uid_seed
            .wrapping_add(self.uid_counter.wrapping_mul(0x9E37_79B9));
        let a = splitmix64(&mut st);
        let b = splitmix64(&mut st);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    fn random_suffix(&mut self) -> String {
        // Same alphabet as the apiserver's generateName (no vowels, no confusable digits).
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        self.uid_counter += 1;
        let mut st = self.uid_seed ^ self.uid_counter.wrapping_mul(0xA24B_AED4_963E_E407);
        let mut x = splitmix64(&mut st);
        (0..5)
            .map(|_| {
                let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
                x /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }

    fn write_existing(
        &mut self,
        kind: Kind,
        old: &Value,
        mut obj: Value,
    ) -> Result<Value, ApiError> {
        normalize_scope(kind, &mut obj);
        apply_defaults(kind, &mut obj, false);
        if kind == Kind::DaemonSet {
            // PrepareForUpdate: a template change moves the template generation on; else it
            // stays what it was, whatever the update says.
            let old_gen = ds_template_generation(old).unwrap_or(1);
            let changed = old.pointer("/spec/template") != obj.pointer("/spec/template");
            set_ds_template_generation(&mut obj, old_gen + u64::from(changed));
        }
        validate(kind, &obj)?;
        let (ns, name) = ns_name(&obj);
        // spec changes bump generation (status and metadata writes don't).
        if old.get("spec") != obj.get("spec") {
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                + 1;
            meta_mut(&mut obj).insert("generation".into(), json!(g));
        }
        let key = object_key(kind, &ns, &name);
        let idx = ObjIndex::of(&obj);
        let obj = self.commit(kind, key.clone(), obj, ChangeType::Modified)?;
        if idx.deleting && idx.finalizers == 0 {
            let grace = obj
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let bound = idx.node_name.as_deref().is_some_and(|n| !n.is_empty());
            if (kind != Kind::Pod || grace == 0 || !bound) && !self.dry {
                return Ok(self.remove_key(kind, &key).unwrap_or(obj));
            }
        }
        Ok(obj)
    }

    /// Store `obj` under `key` with a new resourceVersion; emit the change.
    fn commit(
        &mut self,
        kind: Kind,
        key: String,
        mut obj: Value,
        change: ChangeType,
    ) -> Result<Value, ApiError> {
        if self.dry {
            let meta = meta_mut(&mut obj);
            match self.objects[kind.index()].get(&key) {
                Some(old) => {
                    let rv = old.index.resource_version.to_string();
                    meta.insert("resourceVersion".into(), Value::String(rv))
                }
                None => meta.remove("resourceVersion"),
            };
            return split_body(obj).map(|(_, obj)| obj);
        }
        self.rv += 1;
        let rv = self.rv;
        meta_mut(&mut obj).insert("resourceVersion".into(), Value::String(rv.to_string()));
        let (body, obj) = split_body(obj)?;
        let index = ObjIndex::of(&obj);
        let previous = self.objects[kind.index()]
            .insert(key, Stored::new(index, body.clone()))
            .map(|old| Arc::new(old.index));
        self.emit(kind, change, rv, body, obj.clone(), previous);
        Ok(obj)
    }

    fn remove_key(&mut self, kind: Kind, key: &str) -> Option<Value> {
        if self.dry {
            return self.objects[kind.index()]
                .get(key)
                .map(|s| s.to_value(kind));
        }
        let stored = self.objects[kind.index()].remove(key)?;
        self.rv += 1;
        let rv = self.rv;
        let mut obj = stored.to_value(kind);
        meta_mut(&mut obj).insert("resourceVersion".into(), Value::String(rv.to_string()));
        let body = match split_body(obj.clone()) {
            Ok((b, _)) => b,
            Err(_) => stored.body.clone(),
        };
        let previous = Some(Arc::new(stored.index));
        self.emit(kind, ChangeType::Deleted, rv, body, obj.clone(), previous);
        Some(obj)
    }

    fn emit(
        &mut self,
        kind: Kind,
        change: ChangeType,
        rv: u64,
        body: Bytes,
        obj: Value,
        previous: Option<Arc<ObjIndex>>,
    ) {
        if self.history.len() >= HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(HistEntry {
            kind,
            change,
            rv,
            body,
            previous: previous.clone(),
        });
        if self.tx.receiver_count() > 0 {
            // An error only means every receiver went away meanwhile.
            let _ = self.tx.send(Change {
                kind,
                change,
                resource_version: rv,
                object: Arc::new(obj),
                previous,
            });
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// Serialize `obj` without apiVersion/kind; give back the bytes and the object (with them).
fn split_body(mut obj: Value) -> Result<(Bytes, Value), ApiError> {
    let map = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::internal("object is not a JSON object"))?;
    let api_version = map.remove("apiVersion");
    let kind = map.remove("kind");
    let mut body = serde_json::to_vec(&obj).map_err(|e| ApiError::internal(e.to_string()))?;
    // to_vec grows by doubling: without this, 150,000 pods keep ~40% slack.
    body.shrink_to_fit();
    if let Some(map) = obj.as_object_mut() {
        if let Some(v) = api_version {
            map.insert("apiVersion".into(), v);
        }
        if let Some(k) = kind {
            map.insert("kind".into(), k);
        }
    }
    Ok((Bytes::from(body), obj))
}

fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let map = match obj {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    };
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    match meta {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    }
}

fn ns_name(obj: &Value) -> (String, String) {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (s("/metadata/namespace"), s("/metadata/name"))
}

/// Set apiVersion/kind to the stored version, drop namespace on cluster-scoped objects and
/// default it on namespaced ones.
fn normalize_scope(kind: Kind, obj: &mut Value) {
    let namespaced = kind.namespaced();
    let meta = meta_mut(obj);
    if namespaced {
        let empty = meta
            .get("namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if empty {
            meta.insert("namespace".into(), Value::String("default".into()));
        }
    } else {
        meta.remove("namespace");
    }
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".into(), Value::String(kind.api_version()));
        m.insert("kind".into(), Value::String(kind.name().into()));
    }
}

fn set_default(map: &mut Map<String, Value>, key: &str, v: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.into(), v);
    }
}

/// The DaemonSet annotation a real server derives from spec.templateGeneration.
pub const DS_TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

fn ds_template_generation(obj: &Value) -> Option<u64> {
    obj.get("metadata")?
        .get("annotations")?
        .get(DS_TEMPLATE_GENERATION)?
        .as_str()?
        .parse()
        .ok()
}

fn set_ds_template_generation(obj: &mut Value, generation: u64) {
    if let Some(meta) = obj_at(obj, "metadata") {
        let ann = meta.entry("annotations").or_insert_with(|| json!({}));
        if !ann.is_object() {
            *ann = json!({});
        }
        if let Some(ann) = ann.as_object_mut() {
            ann.insert(DS_TEMPLATE_GENERATION.into(), json!(generation.to_string()));
        }
    }
}

fn obj_at<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let m = v.as_object_mut()?;
    let e = m.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if e.is_null() {
        *e = Value::Object(Map::new());
    }
    e.as_object_mut()
}

/// Pod spec defaults the real server fills (refs 21, 22).
fn default_pod_spec(spec: &mut Map<String, Value>) {
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        if let Some(Value::Array(cs)) = spec.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_default(c, "terminationMessagePolicy", json!("File"));
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                let tag = image.rsplit('/').next().unwrap_or("");
                let latest =
                    !image.contains('@') && (!tag.contains(':') || tag.ends_with(":latest"));
                set_default(
                    c,
                    "imagePullPolicy",
                    json!(if latest { "Always" } else { "IfNotPresent" }),
                );
                if let Some(Value::Array(ports)) = c.get_mut("ports") {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_default(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

fn default_template(obj: &mut Value) {
    if let Some(spec) = obj
        .get_mut("spec")
        .and_then(|s| s.get_mut("template"))
        .and_then(|t| obj_at(t, "spec"))
    {
        default_pod_spec(spec);
    }
}

fn apply_defaults(kind: Kind, obj: &mut Value, creating: bool) {
    match kind {
        Kind::Pod => {
            if let Some(spec) = obj_at(obj, "spec") {
                default_pod_spec(spec);
                set_default(spec, "serviceAccountName", json!("default"));
                set_default(spec, "serviceAccount", json!("default"));
                set_default(spec, "priority", json!(0));
                set_default(spec, "enableServiceLinks", json!(true));
                set_default(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
                if creating {
                    // DefaultTolerationSeconds admission.
                    let tolerations = spec
                        .entry("tolerations")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(ts) = tolerations {
                        for key in [
                            "node.kubernetes.io/not-ready",
                            "node.kubernetes.io/unreachable",
                        ] {
                            let present = ts.iter().any(|t| {
                                t.get("key").and_then(Value::as_str) == Some(key)
                                    && t.get("effect")
                                        .and_then(Value::as_str)
                                        .is_none_or(|e| e == "NoExecute")
                            });
                            if !present {
                                ts.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
                            }
                        }
                    }
                }
            }
            if let Some(status) = obj_at(obj, "status") {
                set_default(status, "phase", json!("Pending"));
            }
        }
        Kind::Deployment => {
            if let Some(spec) = obj_at(obj, "spec") {
                set_default(spec, "replicas", json!(1));
                set_default(
                    spec,
                    "strategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
                );
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(spec, "progressDeadlineSeconds", json!(600));
            }
            default_template(obj);
            obj_at(obj, "status");
        }
        Kind::ReplicaSet => {
            if let Some(spec) = obj_at(obj, "spec") {
                set_default(spec, "replicas", json!(1));
            }
            default_template(obj);
            if let Some(status) = obj_at(obj, "status") {
                set_default(status, "replicas", json!(0));
            }
        }
        Kind::StatefulSet => {
            if let Some(spec) = obj_at(obj, "spec") {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "podManagementPolicy", json!("OrderedReady"));
                set_default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
                );
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(
                    spec,
                    "persistentVolumeClaimRetentionPolicy",
                    json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
                );
            }
            default_template(obj);
            if let Some(status) = obj_at(obj, "status") {
                set_default(status, "replicas", json!(0));
                set_default(status, "availableReplicas", json!(0));
            }
        }
        Kind::DaemonSet => {
            // The template generation (internal spec.templateGeneration, served as this
            // annotation): 1 on create unless given; write_existing moves it.
            if creating {
                let given = obj
                    .pointer("/metadata/annotations/deprecated.daemonset.template.generation")
                    .and_then(Value::as_str)
                    .and_then(|g| g.parse::<u64>().ok())
                    .filter(|g| *g >= 1)
                    .unwrap_or(1);
                set_ds_template_generation(obj, given);
            }
            if let Some(spec) = obj_at(obj, "spec") {
                set_default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
                );
                set_default(spec, "revisionHistoryLimit", json!(10));
            }
            default_template(obj);
            if let Some(status) = obj_at(obj, "status") {
                for f in [
                    "currentNumberScheduled",
                    "numberMisscheduled",
                    "desiredNumberScheduled",
                    "numberReady",
                ] {
                    set_default(status, f, json!(0));
                }
            }
        }
        Kind::PodDisruptionBudget => {
            if let Some(status) = obj_at(obj, "status") {
                for f in [
                    "disruptionsAllowed",
                    "currentHealthy",
                    "desiredHealthy",
                    "expectedPods",
                ] {
                    set_default(status, f, json!(0));
                }
            }
        }
        Kind::Namespace => {
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some(labels) = obj.get_mut("metadata").and_then(|m| obj_at(m, "labels")) {
                labels.insert("kubernetes.io/metadata.name".into(), Value::String(name));
            }
            if let Some(spec) = obj_at(obj, "spec") {
                set_default(spec, "finalizers", json!(["kubernetes"]));
            }
            if let Some(status) = obj_at(obj, "status") {
                set_default(status, "phase", json!("Active"));
            }
        }
        Kind::Node => {
            obj_at(obj, "spec");
            obj_at(obj, "status");
        }
        Kind::NodePool | Kind::NodeClaim => {
            prune(obj, kind, V1BETA1_ONLY);
            // The v1 schema's default, applied when the stored object is read.
            if kind == Kind::NodePool
                && let Some(tspec) = obj
                    .pointer_mut("/spec/template/spec")
                    .and_then(Value::as_object_mut)
            {
                tspec.entry("expireAfter").or_insert_with(|| json!("720h"));
            }
        }
        Kind::Secret => {
            if let Some(m) = obj.as_object_mut() {
                set_default(m, "type", json!("Opaque"));
            }
        }
        Kind::Provisioner | Kind::EC2NodeClass | Kind::Job | Kind::CronJob | Kind::Lease => {}
    }
}

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// RFC 1123 subdomain: what metadata.name must be for every kind served here.
pub fn is_dns1123_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

fn validate(kind: Kind, obj: &Value) -> Result<(), ApiError> {
    let (_, name) = ns_name(obj);
    let mut causes: Vec<(String, String, String)> = Vec::new();
    if name.is_empty() {
        causes.push((
            "FieldValueRequired".into(),
            "Required value: name or generateName is required".into(),
            "metadata.name".into(),
        ));
    } else if !is_dns1123_subdomain(&name) {
        causes.push((
            "FieldValueInvalid".into(),
            format!("Invalid value: \"{name}\": {DNS1123_SUBDOMAIN_MSG}"),
            "metadata.name".into(),
        ));
    }
    for r in obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // ValidateOwnerReferences: the path has no index.
        for (field, what) in [
            ("apiVersion", "version"),
            ("kind", "kind"),
            ("name", "name"),
            ("uid", "uid"),
        ] {
            let v = r.get(field).and_then(Value::as_str).unwrap_or("");
            let empty = if field == "apiVersion" {
                v.rsplit('/').next().unwrap_or("").is_empty()
            } else {
                v.is_empty()
            };
            if empty {
                causes.push((
                    "FieldValueInvalid".into(),
                    format!("Invalid value: {v:?}: {what} must not be empty"),
                    format!("metadata.ownerReferences.{field}"),
                ));
            }
        }
    }
    if kind == Kind::Pod {
        let n = obj
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if n == 0 {
            causes.push((
                "FieldValueRequired".into(),
                "Required value".into(),
                "spec.containers".into(),
            ));
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(kind, &name, &causes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: Option<&str>) -> Value {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": "nginx"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}});
        if let Some(n) = node {
            p["spec"]["nodeName"] = json!(n);
        }
        p
    }

    #[test]
    fn create_fills_metadata_and_defaults() {
        let mut s = Store::new();
        let p = s.create(Kind::Pod, pod("a", None)).unwrap();
        assert_eq!(p["status"]["phase"], "Pending");
        assert_eq!(p["spec"]["terminationGracePeriodSeconds"], 30);
        assert_eq!(
            p["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        assert_eq!(
            p["metadata"]["resourceVersion"],
            s.resource_version().to_string()
        );
        assert_eq!(p["metadata"]["uid"].as_str().unwrap().len(), 36);
        let got = s.get(Kind::Pod, "shop", "a").unwrap();
        assert_eq!(got, p);
        let err = s.create(Kind::Pod, pod("a", None)).unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(err.details.unwrap()["kind"], "pods");
    }

    #[test]
    fn generate_name_and_validation() {
        let mut s = Store::new();
        let mut p = pod("", None);
        p["metadata"].as_object_mut().unwrap().remove("name");
        p["metadata"]["generateName"] = json!("web-");
        let p = s.create(Kind::Pod, p).unwrap();
        let name = p["metadata"]["name"].as_str().unwrap();
        assert!(name.starts_with("web-") && name.len() == 9, "{name}");
        let err = s.create(Kind::Pod, pod("Bad_Name", None)).unwrap_err();
        assert_eq!(err.code, 422);
        let d = err.details.unwrap();
        assert_eq!(d["kind"], "Pod");
        assert_eq!(d["causes"][0]["field"], "metadata.name");
        let mut nc = pod("ok", None);
        nc["spec"]["containers"] = json!([]);
        assert_eq!(s.create(Kind::Pod, nc).unwrap_err().code, 422);
    }

    #[test]
    fn delete_bound_pod_is_graceful_then_removed() {
        let mut s = Store::new();
        s.create(Kind::Pod, pod("a", Some("n1"))).unwrap();
        s.create(Kind::Pod, pod("b", None)).unwrap();
        let mut rx = s.subscribe();
        let d = s
            .delete(Kind::Pod, "shop", "a", &DeleteOpts::default())
            .unwrap();
        assert_eq!(d["metadata"]["deletionGracePeriodSeconds"], 30);
        assert!(s.get(Kind::Pod, "shop", "a").is_some());
        s.delete(Kind::Pod, "shop", "b", &DeleteOpts::default())
            .unwrap();
        assert!(s.get(Kind::Pod, "shop", "b").is_none());
        // grace 0 on a terminating pod: MODIFIED then DELETED
        s.delete(
            Kind::Pod,
            "shop",
            "a",
            &DeleteOpts {
                grace_period_seconds: Some(0),
                uid: None,
            },
        )
        .unwrap();
        assert!(s.get(Kind::Pod, "shop", "a").is_none());
        let kinds: Vec<ChangeType> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|c| c.change)
            .collect();
        assert_eq!(
            kinds,
            vec![
                ChangeType::Modified,
                ChangeType::Deleted,
                ChangeType::Modified,
                ChangeType::Deleted
            ]
        );
    }

    #[test]
    fn finalizers_keep_object_until_cleared() {
        let mut s = Store::new();
        s.create(Kind::Node, json!({"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","finalizers":["karpenter.sh/termination"]}}))
            .unwrap();
        let d = s
            .delete(Kind::Node, "", "n1", &DeleteOpts::default())
            .unwrap();
        assert!(d["metadata"]["deletionTimestamp"].is_string());
        assert!(s.get(Kind::Node, "", "n1").is_some());
        s.update(Kind::Node, "", "n1", &mut |n| {
            n["metadata"]["finalizers"] = json!([]);
        })
        .unwrap();
        assert!(s.get(Kind::Node, "", "n1").is_none());
    }

    #[test]
    fn replace_conflict_and_generation() {
        let mut s = Store::new();
        let d = s
            .create(Kind::Deployment, json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"x"},"spec":{"replicas":1,"template":{"spec":{"containers":[]}}}}))
            .unwrap();
        assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
        let mut stale = d.clone();
        s.update(Kind::Deployment, "x", "d", &mut |o| {
            o["status"] = json!({"replicas": 1})
        })
        .unwrap();
        assert_eq!(
            s.get(Kind::Deployment, "x", "d").unwrap()["metadata"]["generation"],
            1
        );
        stale["spec"]["replicas"] = json!(3);
        assert_eq!(
            s.replace(Kind::Deployment, stale.clone()).unwrap_err().code,
            409
        );
        stale["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("resourceVersion");
        let r = s.replace(Kind::Deployment, stale).unwrap();
        assert_eq!(r["metadata"]["generation"], 2);
    }

    #[test]
    fn scan_paging_and_namespaces() {
        let mut s = Store::new();
        for ns in ["a", "a-b", "b"] {
            for n in ["p1", "p2"] {
                let mut p = pod(n, None);
                p["metadata"]["namespace"] = json!(ns);
                s.create(Kind::Pod, p).unwrap();
            }
        }
        let keys: Vec<&String> = s.scan(Kind::Pod, Some("a"), None).map(|(k, _)| k).collect();
        assert_eq!(keys, ["a/p1", "a/p2"]);
        let after: Vec<&String> = s
            .scan(Kind::Pod, None, Some("a/p2"))
            .map(|(k, _)| k)
            .collect();
        // etcd key order: "a-b/..." sorts before "a/...".
        assert_eq!(after, ["b/p1", "b/p2"]);
        let item = s.get_stored(Kind::Pod, "b", "p1").unwrap();
        assert!(
            item.list_item_json(Kind::Pod, "v1")
                .starts_with(b"{\"metadata\"")
        );
        assert!(
            item.to_json(Kind::Pod, "v1")
                .starts_with(b"{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\"")
        );
    }

    #[test]
    fn watch_history_and_gone() {
        let mut s = Store::new();
        let rv0 = s.resource_version();
        s.create(Kind::Pod, pod("a", None)).unwrap();
        s.create(Kind::Pod, pod("b", None)).unwrap();
        let (replay, _rx) = s.watch_from(rv0).unwrap();
        assert_eq!(replay.len(), 2);
        assert_eq!(replay[1].object["metadata"]["name"], "b");
        for i in 0..HISTORY + 5 {
            s.create(Kind::Pod, pod(&format!("x{i}"), None)).unwrap();
        }
        assert_eq!(s.watch_from(rv0).unwrap_err().code, 410);
    }
}
