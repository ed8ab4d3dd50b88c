//! Reads one `Snapshot` of a cluster: `/version`, then every list the command needs,
//! concurrently, each paged and parsed by lean views straight into compact model structs
//! (k8s-openapi types only name the resource URLs here).

use super::list::{Parser, list_all, list_lean};
use super::retry::{Call, with_retry};
use super::{ClusterError, Connection, convert, lean};
use crate::model::{ControlPlane, Pool, Snapshot};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

const KARPENTER_GROUP: &str = "karpenter.sh";

/// What a command needs read; everything not asked for costs no request.
#[derive(Clone, Debug, Default)]
pub struct ReadScope {
    /// Label selector for nodes (`-l` of drift and check).
    pub node_selector: Option<String>,
    /// Label selector for workloads (`-l` of workloads).
    pub workload_selector: Option<String>,
    pub pods: bool,
    pub pdbs: bool,
    pub workloads: bool,
    pub pools: bool,
    /// Karpenter's NodePools (disruption), EC2NodeClasses, NodeClaims and controller.
    pub karpenter: bool,
    /// Only this namespace's workloads (`-n`); nodes and pods stay cluster-wide.
    pub namespace: Option<String>,
}

pub async fn read_snapshot(conn: &Connection, scope: &ReadScope) -> Result<Snapshot, ClusterError> {
    let started = std::time::Instant::now();
    crate::log::debug(format_args!(
        "reading the cluster at {} (context {})",
        conn.url, conn.context
    ));
    let client = conn.client.clone();

    let version = with_retry(
        conn,
        Call {
            verb: "get",
            resource: "/version",
        },
        || server_version(&client),
    );
    let node_url = Api::<Node>::all(client.clone()).resource_url().to_string();
    let nodes = list_lean(
        conn,
        &node_url,
        "nodes",
        scope.node_selector.as_deref(),
        parsers::NODES,
    );
    let pods = async {
        if !scope.pods {
            return Ok(Vec::new());
        }
        // Pod labels only serve PDB selectors: without PDBs they are not kept.
        let parse = if scope.pdbs {
            parsers::PODS_WITH_LABELS
        } else {
            parsers::PODS
        };
        list_pods(conn, parse).await
    };
    let pdbs = async {
        if !scope.pdbs {
            return Ok(Vec::new());
        }
        let api: Api<PodDisruptionBudget> = scoped(&client, scope.namespace.as_deref());
        list_lean(
            conn,
            api.resource_url(),
            "poddisruptionbudgets",
            None,
            parsers::PDBS,
        )
        .await
    };
    let workloads = async {
        if !scope.workloads {
            return Ok(Vec::new());
        }
        let (sel, ns) = (
            scope.workload_selector.as_deref(),
            scope.namespace.as_deref(),
        );
        let (d_url, s_url, ds_url, rs_url, job_url, cj_url) = (
            scoped::<Deployment>(&client, ns).resource_url().to_string(),
            scoped::<StatefulSet>(&client, ns)
                .resource_url()
                .to_string(),
            scoped::<DaemonSet>(&client, ns).resource_url().to_string(),
            scoped::<ReplicaSet>(&client, ns).resource_url().to_string(),
            scoped::<Job>(&client, ns).resource_url().to_string(),
            scoped::<CronJob>(&client, ns).resource_url().to_string(),
        );
        let (d, s, ds, rs, jobs, cron_jobs) = futures::try_join!(
            list_lean(conn, &d_url, "deployments", sel, parsers::DEPLOYMENTS),
            list_lean(conn, &s_url, "statefulsets", sel, parsers::STATEFULSETS),
            list_lean(conn, &ds_url, "daemonsets", sel, parsers::DAEMONSETS),
            list_lean(conn, &rs_url, "replicasets", sel, parsers::REPLICASETS),
            list_lean(conn, &job_url, "jobs", sel, parsers::JOBS),
            list_lean(conn, &cj_url, "cronjobs", sel, parsers::CRONJOBS),
        )?;
        Ok::<_, ClusterError>(
            d.into_iter()
                .chain(s)
                .chain(ds)
                .chain(rs)
                .chain(jobs)
                .chain(cron_jobs)
                .collect(),
        )
    };
    let pools = async {
        if !scope.pools {
            return Ok(Vec::new());
        }
        karpenter_pools(conn).await
    };

    let karpenter = async {
        if !scope.karpenter {
            return Ok(None);
        }
        super::karpenter::read(conn).await.map(Some)
    };

    let ((info, server_now), nodes, pods, pdbs, workloads, pools, karpenter) =
        futures::try_join!(version, nodes, pods, pdbs, workloads, pools, karpenter)?;
    if crate::log::level() >= 1 {
        crate::log::debug(format_args!(
            "read {} nodes, {} pods, {} PDBs, {} workloads, {} pools in {:.2?}{}",
            nodes.len(),
            pods.len(),
            pdbs.len(),
            workloads.len(),
            pools.len(),
            started.elapsed(),
            peak_memory()
                .map(|m| format!(" (peak RSS so far {m})"))
                .unwrap_or_default()
        ));
    }
    let control_plane = ControlPlane::new(
        info.git_version,
        info.major,
        info.minor,
        info.platform,
        conn.eks.as_ref().map(|e| e.name.clone()),
    );
    let mut pools = pools;
    if scope.pools {
        let derived = crate::pools::node_group_pools(&nodes, &pools);
        pools.extend(derived);
    }
    Ok(Snapshot {
        control_plane,
        nodes,
        pods,
        pdbs,
        workloads,
        pools,
        taken_at: Some(server_now.unwrap_or_else(jiff::Timestamp::now)),
        eks: Default::default(),
        karpenter,
        core_components: Vec::new(),
        apis: None,
    })
}

/// Every pod: one cluster-wide paged list, or with `--list-concurrency` above 1 one paged list
/// per namespace (from a namespace list), as many at once as the connection allows. The shards
/// run unordered, so one big namespace does not hold the others back, and are put back in
/// namespace order: the result is what the cluster-wide list gives (by namespace, then name).
async fn list_pods(
    conn: &Connection,
    parse: Parser<crate::model::Pod>,
) -> Result<Vec<crate::model::Pod>, ClusterError> {
    use futures::{StreamExt, TryStreamExt};
    let all = Api::<Pod>::all(conn.client.clone());
    if !conn.lists.sharded() {
        return list_lean(conn, all.resource_url(), "pods", None, parse).await;
    }
    let namespaces = match list_lean(
        conn,
        Api::<Namespace>::all(conn.client.clone()).resource_url(),
        "namespaces",
        None,
        parsers::NAMESPACE_NAMES,
    )
    .await
    {
        Ok(names) => names,
        // A role that may list pods everywhere but not namespaces still gets its report.
        Err(ClusterError::Forbidden { .. }) => {
            crate::log::debug(format_args!(
                "list namespaces: forbidden; listing pods cluster-wide in one list"
            ));
            return list_lean(conn, all.resource_url(), "pods", None, parse).await;
        }
        Err(e) => return Err(e),
    };
    let width = conn.lists.options.concurrency.get();
    // Each shard joins the result as it ends and is freed at once: collecting the shards
    // first and concatenating them would hold every pod twice (~23 MB more at 150k pods).
    let mut pods: Vec<crate::model::Pod> = futures::stream::iter(namespaces.iter())
        .map(|ns| async move {
            let api = Api::<Pod>::namespaced(conn.client.clone(), ns);
            list_lean(conn, api.resource_url(), "pods", None, parse).await
        })
        .buffer_unordered(width)
        .try_fold(Vec::new(), |mut all, shard| async move {
            all.extend(shard);
            Ok(all)
        })
        .await?;
    // Back in namespace order, and by name within one (the order each shard's list has), in
    // place: a stable sort would borrow half the vector again.
    let order: std::collections::HashMap<&str, usize> = namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| (ns.as_str(), i))
        .collect();
    pods.sort_unstable_by(|a, b| {
        let rank = |p: &crate::model::Pod| order.get(p.namespace.as_str()).copied();
        (rank(a), &a.name).cmp(&(rank(b), &b.name))
    });
    pods.shrink_to_fit();
    Ok(pods)
}

/// Each list's page parsers: JSON always, protobuf for the built-in kinds.
mod parsers {
    use super::super::lean_pb;
    use super::super::list::Parser;
    use super::lean;
    use crate::model::{Node, Pdb, Pod, Workload};

    /// A parser pair: the JSON view and the protobuf message of one kind, converted alike.
    macro_rules! both {
        ($json:expr, $protobuf:expr) => {
            Parser::both(
                |b, m, o| lean::parse_page(b, m, $json, o),
                |b, m, o| lean_pb::parse_page(b, m, $protobuf, o),
            )
        };
        ($convert:expr) => {
            both!($convert, $convert)
        };
    }

    pub const NODES: Parser<Node> = both!(lean::node);
    pub const NODE_NAMES: Parser<String> = both!(lean::name);
    pub const NAMESPACE_NAMES: Parser<String> = NODE_NAMES;
    pub const PODS: Parser<Pod> = both!(lean::pod::<lean::NoLabels>);
    pub const PODS_WITH_LABELS: Parser<Pod> = both!(lean::pod::<lean::AllLabels>);
    pub const PDBS: Parser<Pdb> = both!(lean::pdb);
    // The three share one JSON view, but `readyReplicas` has its own field number in each.
    pub const DEPLOYMENTS: Parser<Workload> = both!(lean::deployment, lean_pb::deployment);
    pub const STATEFULSETS: Parser<Workload> = both!(lean::stateful_set, lean_pb::stateful_set);
    pub const REPLICASETS: Parser<Workload> = both!(lean::replica_set, lean_pb::replica_set);
    pub const DAEMONSETS: Parser<Workload> = both!(lean::daemon_set);
    pub const JOBS: Parser<Workload> = both!(lean::job);
    pub const CRONJOBS: Parser<Workload> = both!(lean::cron_job);
}

/// A namespaced resource's API in one namespace (`-n`) or across all.
fn scoped<K>(client: &kube::Client, ns: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Names of the nodes a label selector picks (the server does the matching, exactly as for
/// `kubectl get nodes -l`).
pub async fn node_names(
    conn: &Connection,
    selector: &str,
) -> Result<std::collections::BTreeSet<String>, ClusterError> {
    let names = list_lean(
        conn,
        Api::<Node>::all(conn.client.clone()).resource_url(),
        "nodes",
        Some(selector),
        parsers::NODE_NAMES,
    )
    .await?;
    Ok(names.into_iter().collect())
}

/// `/version`, and the server's clock from the response's `Date` header: ages are measured
/// on the server's clock (as kubectl's server-side tables are), so a client whose clock is
/// off still shows them right.
async fn server_version(
    client: &kube::Client,
) -> Result<
    (
        k8s_openapi::apimachinery::pkg::version::Info,
        Option<jiff::Timestamp>,
    ),
    kube::Error,
> {
    let req = http::Request::get("/version")
        .body(kube::client::Body::from(Vec::new()))
        .map_err(kube::Error::HttpError)?;
    let res = client.send(req).await?;
    let date = res
        .headers()
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    let status = res.status();
    let bytes = res.into_body().collect_bytes().await?;
    if !status.is_success() {
        let fallback = || {
            kube::core::Status::failure(&String::from_utf8_lossy(&bytes), "")
                .with_code(status.as_u16())
        };
        let parsed: kube::core::Status =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| fallback());
        return Err(kube::Error::Api(Box::new(parsed)));
    }
    let info = serde_json::from_slice(&bytes).map_err(kube::Error::SerdeError)?;
    Ok((info, date))
}

/// The process's peak RSS (Linux `VmHWM`), for `-v`: how much reading the cluster cost.
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}

/// An HTTP `Date` (IMF-fixdate, `Tue, 24 Nov 2026 05:51:24 GMT`).
fn parse_http_date(s: &str) -> Option<jiff::Timestamp> {
    jiff::fmt::rfc2822::parse(s).ok().map(|z| z.timestamp())
}

/// Karpenter pools found through discovery: NodePools at the newest served version (v1 over
/// v1beta1: both name the same objects) and v1alpha5 Provisioners. Absent CRDs are fine.
async fn karpenter_pools(conn: &Connection) -> Result<Vec<Pool>, ClusterError> {
    let client = &conn.client;
    let groups = with_retry(
        conn,
        Call {
            verb: "get",
            resource: "/apis",
        },
        || client.list_api_groups(),
    )
    .await?;
    let Some(group) = groups
        .groups
        .into_iter()
        .find(|g| g.name == KARPENTER_GROUP)
    else {
        return Ok(Vec::new());
    };
    let served: Vec<String> = group.versions.into_iter().map(|v| v.version).collect();
    let mut pools = Vec::new();
    let mut nodepools_found = false;
    for (version, kind, plural) in [
        ("v1", "NodePool", "nodepools"),
        ("v1beta1", "NodePool", "nodepools"),
        ("v1alpha5", "Provisioner", "provisioners"),
    ] {
        if (plural == "nodepools" && nodepools_found) || !served.iter().any(|s| s == version) {
            continue;
        }
        if !serves(conn, version, plural).await? {
            continue;
        }
        nodepools_found |= plural == "nodepools";
        pools.extend(list_custom(conn, version, kind, plural).await?);
    }
    Ok(pools)
}

/// Whether `karpenter.sh/VERSION` serves `plural` (a version may carry only some kinds).
async fn serves(conn: &Connection, version: &str, plural: &str) -> Result<bool, ClusterError> {
    let gv = format!("{KARPENTER_GROUP}/{version}");
    let list = with_retry(
        conn,
        Call {
            verb: "get",
            resource: "/apis/karpenter.sh",
        },
        || conn.client.list_api_group_resources(&gv),
    )
    .await?;
    Ok(list.resources.iter().any(|r| r.name == plural))
}

async fn list_custom(
    conn: &Connection,
    version: &str,
    kind: &str,
    plural: &'static str,
) -> Result<Vec<Pool>, ClusterError> {
    let gvk = GroupVersionKind::gvk(KARPENTER_GROUP, version, kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
    let api: Api<DynamicObject> = Api::all_with(conn.client.clone(), &resource);
    let api_version = format!("{KARPENTER_GROUP}/{version}");
    list_all(conn, api, plural, None, |o| {
        Some(convert::karpenter_pool(o, &api_version))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        let t = parse_http_date("Tue, 24 Nov 2026 05:51:24 GMT").expect("IMF-fixdate");
        assert_eq!(t.to_string(), "2026-11-24T05:51:24Z");
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
