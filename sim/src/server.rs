//! Starting and stopping a sim: load the scenario, fill the store, settle the world, listen.
//! The HTTP front: every request is read here and goes to the `/sim/*` endpoints, the EKS
//! REST-JSON API (`eks/`) or the Kubernetes REST API (`api/`), which know nothing of each other.
//! The `/sim/*` endpoints (no auth, no faults, not counted):
//! - `GET /sim/stats`: request counters + safety counters (see `stats.rs`).
//! - `POST /sim/stats/reset`: zero the request counters (`writes`, `bytes_sent` too).
//! - `GET /sim/time`: `{"now": RFC 3339 sim time, "speed": f64}`.
//! - `GET /sim/faults`, `PUT /sim/faults`: the fault configuration (`faults.rs` gives the body).
//! - `GET /sim/control-plane`, `PUT /sim/control-plane {"version": V}`: the control plane's
//!   gitVersion (`/version`, EKS DescribeCluster), moved as an upgrade would move it.

use crate::clock::Clock;
use crate::faults::FaultRng;
use crate::http::{App, Reply, encode, finish, header_str};
use crate::resources::{Kind, lookup_kind};
use crate::scenario::{self, ScenarioSource};
use crate::state::{Shared, SimState};
use crate::stats::Counters;
use crate::store::{ApiError, Store};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub struct SimOptions {
    pub source: ScenarioSource,
    pub listen: SocketAddr,
    /// Bearer token with full access; None (and no read-only token): no auth at all.
    pub token: Option<String>,
    /// Bearer token that may only read (writes get 403).
    pub readonly_token: Option<String>,
    /// Bearer token of a user bound to no role: discovery works, every resource gets 403.
    pub noaccess_token: Option<String>,
}

impl Default for SimOptions {
    /// The built-in workshop scenario on a free loopback port, no auth.
    fn default() -> Self {
        SimOptions {
            source: ScenarioSource::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            readonly_token: None,
            noaccess_token: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("bad scenario: {0}")]
    Scenario(#[from] scenario::ScenarioError),
    #[error("cannot load object #{index} ({what}) of the scenario: {reason}")]
    Object {
        index: usize,
        what: String,
        reason: String,
    },
    #[error("{0}")]
    Internal(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

pub struct SimHandle {
    pub addr: SocketAddr,
    pub shared: Shared,
    app: Arc<App>,
    shutdown_tx: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    world: tokio::task::JoinHandle<()>,
}

/// Put the scenario's objects into a fresh state and settle the world.
/// `generated` (the `--generate` objects) is streamed straight into the store: holding
/// 150,000 pods as `Value`s first would take gigabytes.
pub fn build_state(
    sc: scenario::Scenario,
    generated: Option<scenario::Generated>,
) -> Result<SimState, SimError> {
    let clock = Clock::starting_at(sc.timing.speed, sc.now);
    let mut store = Store::new();
    store.set_clock(clock.clone());
    store.set_seed(sc.seed);
    let mut index = 0usize;
    for obj in sc.objects {
        load_object(&mut store, index, obj)?;
        index += 1;
    }
    if let Some(g) = generated {
        let mut failed: Option<SimError> = None;
        g.for_each(&mut |obj| {
            if failed.is_none() {
                failed = load_object(&mut store, index, obj).err();
                index += 1;
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
    }
    let eks = crate::eks_state::EksState::new(sc.eks, clock.now());
    let mut state = SimState {
        store,
        clock,
        cluster: sc.cluster,
        timing: sc.timing,
        faults: sc.faults,
        node_groups: sc.node_groups,
        safety: Default::default(),
        seed: sc.seed,
        eks,
    };
    crate::world::settle(&mut state);
    Ok(state)
}

fn load_object(store: &mut Store, index: usize, obj: Value) -> Result<(), SimError> {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind_name = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let what = format!("{api_version} {kind_name} {name}");
    let info = lookup_kind(api_version, kind_name).ok_or_else(|| SimError::Object {
        index,
        what: what.clone(),
        reason: "kup-sim does not serve this kind".into(),
    })?;
    store
        .restore(info.kind, obj)
        .map_err(|e| SimError::Object {
            index,
            what,
            reason: e.message,
        })?;
    Ok(())
}

/// Load the scenario, fill the store, settle, bind, spawn the world and the server; returns
/// once the listener is open.
pub async fn start(opts: SimOptions) -> Result<SimHandle, SimError> {
    let (sc, generated) = scenario::load_deferred(&opts.source)?;
    let seed = sc.seed;
    // Loading 150,000 pods takes a while: keep it off the async workers (spawn_blocking also
    // works on a current-thread runtime, unlike block_in_place).
    let state = tokio::task::spawn_blocking(move || build_state(sc, generated))
        .await
        .map_err(|e| SimError::Internal(format!("loading the scenario failed: {e}")))??;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: opts.listen,
        source,
    })?;
    let shared: Shared = Arc::new(Mutex::new(state));
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let app = Arc::new(App {
        shared: shared.clone(),
        token: opts.token,
        readonly_token: opts.readonly_token,
        noaccess_token: opts.noaccess_token,
        counters: Mutex::new(Counters::default()),
        rng: Mutex::new(FaultRng::new(seed)),
        server_address: addr.to_string(),
        shutdown: shutdown_rx.clone(),
    });
    let world = tokio::spawn(crate::world::run(shared.clone()));
    let router = router(app.clone());
    let mut stop = shutdown_rx;
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stop.wait_for(|v| *v).await;
        });
        if let Err(e) = serve.await {
            eprintln!("kup-sim: server error: {e}");
        }
    });
    Ok(SimHandle {
        addr,
        shared,
        app,
        shutdown_tx,
        server,
        world,
    })
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The EKS-style ARN the kubeconfig names its cluster, context and user after.
    pub fn cluster_arn(&self) -> String {
        let st = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        format!(
            "arn:aws:eks:{}:{}:cluster/{}",
            st.cluster.region, st.cluster.account_id, st.cluster.name
        )
    }

    /// A kubeconfig for this sim, named as `aws eks update-kubeconfig` names things.
    pub fn kubeconfig_yaml(&self, token: Option<&str>) -> String {
        let arn = self.cluster_arn();
        let user = match token {
            Some(t) => format!("    token: {}\n", yaml_quote(t)),
            None => "    {}\n".to_string(),
        };
        let user = if token.is_some() {
            format!("  user:\n{user}")
        } else {
            "  user: {}\n".to_string()
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: {url}\n  name: {a}\ncontexts:\n- context:\n    cluster: {a}\n    user: {a}\n  name: {a}\ncurrent-context: {a}\npreferences: {{}}\nusers:\n- name: {a}\n{user}",
            url = self.url(),
            a = yaml_quote(&arn),
        )
    }

    /// The `/sim/stats` document.
    pub fn stats(&self) -> Value {
        stats_json(&self.app)
    }

    /// Stop serving (watch streams end) and the world loop.
    pub async fn shutdown(self) {
        let _ = self.shutdown_tx.send(true);
        self.world.abort();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.server).await;
    }
}

fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn stats_json(app: &App) -> Value {
    let safety = app
        .shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .safety
        .clone();
    let counters = app
        .counters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    counters.to_json(&safety)
}

/// Largest request body accepted.
const MAX_BODY: usize = 64 << 20;

fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new()
        .fallback(handle)
        .layer(axum::middleware::map_response_with_state(
            app.clone(),
            sim_date,
        ))
        .with_state(app)
}

/// Every response carries the sim clock's time in `Date` (hyper only adds its own when none is
/// set), so clients that take "now" from the server see ages in sim time, as kubectl's
/// server-side tables do.
async fn sim_date(State(app): State<Arc<App>>, mut res: Response) -> Response {
    let now = app.lock_state().clock.now();
    if let Ok(v) =
        axum::http::HeaderValue::from_str(&now.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        res.headers_mut().insert(header::DATE, v);
    }
    res
}

/// Read the request, then hand it to whichever API owns the path.
async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let gzip = header_str(&parts.headers, header::ACCEPT_ENCODING).contains("gzip");
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::bad_request("request body too large or unreadable");
            return finish(&app, Reply::error(&e), gzip);
        }
    };
    let path = parts.uri.path();
    if path == "/sim" || path.starts_with("/sim/") {
        return encode(
            &app,
            sim_endpoint(&app, &parts.method, path, &body),
            gzip,
            false,
        );
    }
    // So does SSM's GetParameter (AWS JSON 1.1 on `POST /`), for alias resolution.
    if crate::ssm::owns(&parts.method, path, &parts.headers) {
        return finish(&app, crate::ssm::handle(&app, &parts.headers, &body), gzip);
    }
    // The EKS REST API shares the port; it has its own auth (SigV4, unchecked) and faults.
    if crate::eks::owns(path) {
        let query = parts.uri.query().unwrap_or("");
        let reply = crate::eks::handle(&app, &parts.method, path, query, &parts.headers, &body);
        return finish(&app, reply, gzip);
    }
    crate::api::handle(app.clone(), parts, &body, gzip).await
}

/// A new control-plane gitVersion from `v1.34.2-eks-1a2b3c4` (kept as given) or `1.34` /
/// `v1.34` (the sim's patch for that minor, with the current build suffix).
pub(crate) fn control_plane_version(wanted: &str, current: &str) -> Option<String> {
    let core = wanted.trim_start_matches('v');
    let numbers = core.split(['-', '+']).next()?;
    let parts: Vec<&str> = numbers.split('.').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if parts.len() == 3 {
        return Some(format!("v{core}"));
    }
    let suffix = current.split_once("-eks-").map_or("1a2b3c4", |(_, s)| s);
    Some(format!(
        "v{}-eks-{suffix}",
        scenario::full_version_for(numbers)
    ))
}

/// `/sim/*`.
fn sim_endpoint(app: &App, method: &Method, path: &str, body: &[u8]) -> Reply {
    let ok = |v: Value| Reply::json(200, &v);
    let err =
        |code: u16, reason: &str, msg: String| Reply::error(&ApiError::new(code, reason, msg));
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "/sim/stats") => ok(stats_json(app)),
        ("POST", "/sim/stats/reset") => {
            *app.counters.lock().unwrap_or_else(|e| e.into_inner()) = Counters::default();
            ok(json!({"reset": true}))
        }
        ("GET", "/sim/time") => {
            let st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
            ok(json!({"now": crate::store::format_time(st.clock.now()), "speed": st.clock.speed()}))
        }
        ("GET", "/sim/faults") => {
            let st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
            ok(serde_json::to_value(&st.faults).unwrap_or_default())
        }
        ("PUT", "/sim/faults") => match crate::faults::parse_config(body) {
            Ok(cfg) => {
                let v = serde_json::to_value(&cfg).unwrap_or_default();
                let mut st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
                st.faults = cfg;
                // A kubelet may have come back (stuck_kubelet_nodes): let the world look.
                st.eks.wake = true;
                ok(v)
            }
            Err(e) => err(400, "BadRequest", e),
        },
        ("GET", "/sim/control-plane") => {
            let st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
            ok(json!({"version": st.cluster.git_version}))
        }
        ("PUT", "/sim/control-plane") => {
            let wanted = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_string));
            let mut st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
            match wanted
                .as_deref()
                .and_then(|v| control_plane_version(v, &st.cluster.git_version))
            {
                Some(v) => {
                    let previous = std::mem::replace(&mut st.cluster.git_version, v.clone());
                    // Karpenter re-resolves its aliases: let the world look now.
                    st.eks.wake = true;
                    ok(json!({"version": v, "previous": previous}))
                }
                None => err(
                    400,
                    "BadRequest",
                    format!(
                        "body must be {{\"version\": V}} with V like \"v1.34.2-eks-1a2b3c4\" or \"1.34\", got {}",
                        String::from_utf8_lossy(body)
                    ),
                ),
            }
        }
        ("GET", "/sim/objects") => {
            // Handy for debugging: object counts per kind.
            let st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
            let counts: serde_json::Map<String, Value> = Kind::ALL
                .iter()
                .map(|k| (k.plural().to_string(), json!(st.store.count(*k))))
                .collect();
            ok(Value::Object(counts))
        }
        (
            _,
            "/sim/stats" | "/sim/stats/reset" | "/sim/time" | "/sim/faults" | "/sim/objects"
            | "/sim/control-plane",
        ) => err(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".into(),
        ),
        _ => err(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
        ),
    }
}
