//! Placement: for every workload, which pools and nodes its pods can go to, where they run
//! now, and what will go wrong when the old nodes are rotated. Pure: `Snapshot -> verdicts`.

pub mod rules;

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::checks::config::Config;
use crate::checks::finding::{Code, Finding, Severity};
use crate::model::{
    Labels, Node, Placement, Pod, Pool, PoolKind, PoolRef, Snapshot, Taint, Toleration,
    WorkloadKind,
};
use crate::version::Version;
pub use rules::{
    affinity_matches, blocks_scheduling, is_wildcard, labels_fit, pdb_selects, pool_labels_fit,
    requirement_matches, requirement_matches_value, selector_matches, term_matches, tolerates,
    untolerated,
};

/// Workload annotation listing codes kup must not report for it: `"KUP-PLACE-003,KUP-PLACE-004"`.
pub const IGNORE_ANNOTATION: &str = "kup.dev/ignore";

/// Where some of a workload's pods run now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunsOn {
    pub pool: PoolRef,
    pub nodes: Vec<String>,
    pub pods: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadVerdict {
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
    pub replicas: Option<i32>,
    /// Pools whose nodes (present or launched) its pods fit, sorted.
    pub fits_pools: Vec<PoolRef>,
    /// Existing nodes its pods fit (ignoring transient taints such as a cordon), sorted.
    /// Shared by the verdicts of one placement: at 5,000 nodes a list per workload would hold
    /// millions of names.
    #[serde(serialize_with = "names_list")]
    pub fits_nodes: Arc<[String]>,
    /// Pools and nodes of its bound, non-terminated pods.
    pub runs_on: Vec<RunsOn>,
    /// Non-terminated pods bound to no node.
    pub pending: usize,
    /// Pods being deleted (a deletionTimestamp): leaving, not counted in `runsOn`.
    pub terminating: usize,
    /// `ok` or the worst finding's short label.
    pub verdict: String,
    /// The worst finding's severity; null when ok.
    pub severity: Option<Severity>,
    /// Codes of its findings (after suppressions), worst first.
    pub codes: Vec<Code>,
    /// The findings themselves (reports list them once, at top level).
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

fn names_list<S: serde::Serializer>(names: &Arc<[String]>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(names.iter())
}

/// Every placement finding, after suppressions, in the order of `workload_verdicts` (without
/// building the verdicts' node lists).
pub fn placement_findings(snapshot: &Snapshot, target: &Version, config: &Config) -> Vec<Finding> {
    let ctx = Context::new(snapshot, target);
    let mut fits = Fits::default();
    sorted_subjects(snapshot)
        .iter()
        .flat_map(|s| ctx.findings(s, fits.of(&ctx, s.placement), config).0)
        .collect()
}

/// One verdict per top-level workload, sorted by namespace, kind, name.
pub fn workload_verdicts(
    snapshot: &Snapshot,
    target: &Version,
    config: &Config,
) -> Vec<WorkloadVerdict> {
    let ctx = Context::new(snapshot, target);
    let mut fits = Fits::default();
    sorted_subjects(snapshot)
        .iter()
        .map(|s| ctx.judge(s, fits.of(&ctx, s.placement), config))
        .collect()
}

fn sorted_subjects(snapshot: &Snapshot) -> Vec<Subject<'_>> {
    let mut subjects = subjects(snapshot);
    subjects.sort_by(|a, b| (a.namespace, a.kind, a.name).cmp(&(b.namespace, b.kind, b.name)));
    subjects
}

/// Where one placement fits, worked out once: most workloads share their placement with
/// many others, and matching it against every node is the costly part.
struct Fit<'a> {
    pools: Vec<&'a Pool>,
    /// Bit per node of the snapshot: fits it (deleting or not).
    nodes: Vec<u64>,
    /// Some node that is not being deleted fits.
    any_node: bool,
    /// The sorted names of the fitting nodes, built for the first verdict that needs them.
    names: OnceCell<Arc<[String]>>,
}

impl Fit<'_> {
    fn node(&self, i: usize) -> bool {
        self.nodes
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// Fits by placement.
#[derive(Default)]
struct Fits<'a> {
    by_placement: HashMap<&'a Placement, Fit<'a>>,
}

impl<'a> Fits<'a> {
    fn of(&mut self, ctx: &Context<'a>, placement: &'a Placement) -> &Fit<'a> {
        self.by_placement
            .entry(placement)
            .or_insert_with(|| ctx.fit(placement))
    }
}

/// Short words for a code in the VERDICT column.
pub fn verdict_label(code: Code) -> &'static str {
    match code {
        Code::PlaceUnschedulable => "unschedulable",
        Code::PlaceMissingToleration => "no toleration for its pool",
        Code::PlaceMissingSelector => "may land elsewhere",
        Code::PlaceWildcardToleration => "wildcard toleration",
        Code::PlaceNoLongerFits => "runs where it no longer fits",
        Code::PlaceOtherPool => "runs on another pool",
        Code::PlaceStranded => "stranded by rotation",
        Code::PlaceDaemonSetPool => "not on every pool",
        Code::PlacePolicy => "policy violation",
        other => other.title(),
    }
}

/// A node's taints that hold in steady state: not transient, not `pool`'s startup taints (its
/// pool, if known; see `Taint::is_transient`). Shared with `kup rotate`'s planner so both call the same workloads placeable.
pub fn steady_taints<'a>(
    node: &'a Node,
    pool: Option<&'a Pool>,
) -> impl Iterator<Item = &'a Taint> + use<'a> {
    let startup: &[Taint] = pool.map(|p| p.startup_taints.as_slice()).unwrap_or(&[]);
    node.taints
        .iter()
        .filter(move |t| !t.is_transient() && !startup.contains(t))
}

fn pool_name(pool: &PoolRef) -> String {
    match pool.kind {
        PoolKind::None => "nodes of no pool".to_string(),
        _ => pool.to_string(),
    }
}

fn workload_word(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deployment",
        WorkloadKind::StatefulSet => "statefulset",
        WorkloadKind::DaemonSet => "daemonset",
        WorkloadKind::ReplicaSet => "replicaset",
        WorkloadKind::Job => "job",
        WorkloadKind::CronJob => "cronjob",
        WorkloadKind::Pod => "pod",
    }
}

/// A top-level workload to judge.
struct Subject<'a> {
    kind: WorkloadKind,
    namespace: &'a str,
    name: &'a str,
    replicas: Option<i32>,
    placement: &'a Placement,
    annotations: Option<&'a Labels>,
}

type Key<'a> = (&'a str, WorkloadKind, &'a str);

/// Workloads with no (known) owner, and bare pods not already listed as workloads.
fn subjects(snapshot: &Snapshot) -> Vec<Subject<'_>> {
    let known: BTreeSet<Key> = snapshot
        .workloads
        .iter()
        .map(|w| (w.namespace.as_str(), w.kind, w.name.as_str()))
        .collect();
    let mut out: Vec<Subject> = snapshot
        .workloads
        .iter()
        .filter(|w| {
            // An owner kup did not read (a CRD controller, say) leaves this as the top.
            w.owner.as_ref().is_none_or(|o| {
                WorkloadKind::from_kind(&o.kind)
                    .is_none_or(|k| !known.contains(&(w.namespace.as_str(), k, o.name.as_str())))
            })
        })
        .map(|w| Subject {
            kind: w.kind,
            namespace: &w.namespace,
            name: &w.name,
            replicas: w.replicas,
            placement: &w.placement,
            annotations: Some(&w.annotations),
        })
        .collect();
    for p in &snapshot.pods {
        let Some(placement) = &p.placement else {
            continue;
        };
        if terminated(&p.phase)
            || known.contains(&(p.namespace.as_str(), WorkloadKind::Pod, p.name.as_str()))
        {
            continue;
        }
        out.push(Subject {
            kind: WorkloadKind::Pod,
            namespace: &p.namespace,
            name: &p.name,
            replicas: Some(1),
            placement,
            annotations: None,
        });
    }
    out
}

fn terminated(phase: &str) -> bool {
    phase == "Succeeded" || phase == "Failed"
}

struct Context<'a> {
    snapshot: &'a Snapshot,
    /// Pools by their reference, to find a node's pool's startup taints.
    pools: HashMap<&'a PoolRef, &'a Pool>,
    /// Each non-terminated pod's top workload: (namespace, kind, name) -> its pods (a
    /// reference each: at 150,000 pods, name and node pairs would cost ~5 MB).
    /// Pods being deleted are not here: they are leaving, counted in `terminating`.
    pods: HashMap<Key<'a>, Vec<&'a Pod>>,
    /// Pods with a deletionTimestamp per top workload.
    terminating: HashMap<Key<'a>, usize>,
    /// Node index by name (the first node of a name).
    node_index: HashMap<&'a str, usize>,
    /// Per node: kubelet a minor (or more) behind the target, so the node will be rotated.
    lagging: Vec<bool>,
    target: &'a Version,
}

impl<'a> Context<'a> {
    fn new(snapshot: &'a Snapshot, target: &'a Version) -> Context<'a> {
        let owners: HashMap<Key, Option<(WorkloadKind, &str)>> = snapshot
            .workloads
            .iter()
            .map(|w| {
                let owner = w
                    .owner
                    .as_ref()
                    .and_then(|o| Some((WorkloadKind::from_kind(&o.kind)?, o.name.as_str())));
                ((w.namespace.as_str(), w.kind, w.name.as_str()), owner)
            })
            .collect();
        let mut pods: HashMap<Key, Vec<&Pod>> = HashMap::new();
        let mut terminating: HashMap<Key, usize> = HashMap::new();
        for p in &snapshot.pods {
            // A deleted pod is leaving whatever its phase (a finalizer holds a Succeeded one).
            if terminated(&p.phase) && !p.deleting {
                continue;
            }
            let ns = p.namespace.as_str();
            let mut top: Key = match &p.owner {
                Some(o) => match WorkloadKind::from_kind(&o.kind) {
                    Some(k) => (ns, k, o.name.as_str()),
                    None => continue,
                },
                None => (ns, WorkloadKind::Pod, p.name.as_str()),
            };
            // Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob; bounded against cycles.
            for _ in 0..8 {
                match owners.get(&top) {
                    Some(Some((k, name))) if owners.contains_key(&(ns, *k, *name)) => {
                        top = (ns, *k, name);
                    }
                    _ => break,
                }
            }
            if p.deleting {
                *terminating.entry(top).or_default() += 1;
                continue;
            }
            pods.entry(top).or_default().push(p);
        }
        let mut node_index = HashMap::with_capacity(snapshot.nodes.len());
        for (i, n) in snapshot.nodes.iter().enumerate() {
            node_index.entry(n.name.as_str()).or_insert(i);
        }
        let lagging = snapshot
            .nodes
            .iter()
            .map(|n| {
                Version::parse(&n.kubelet_version)
                    .is_ok_and(|v| (v.major, v.minor) < (target.major, target.minor))
            })
            .collect();
        Context {
            snapshot,
            pools: snapshot.pools.iter().map(|p| (&p.pool, p)).collect(),
            pods,
            terminating,
            node_index,
            lagging,
            target,
        }
    }

    fn node(&self, name: &str) -> Option<(usize, &'a Node)> {
        let i = *self.node_index.get(name)?;
        Some((i, self.snapshot.nodes.get(i)?))
    }

    fn fit(&self, placement: &Placement) -> Fit<'a> {
        let pools = self
            .snapshot
            .pools
            .iter()
            .filter(|pool| fits_pool(placement, pool))
            .collect();
        let mut nodes = vec![0u64; self.snapshot.nodes.len().div_ceil(64)];
        let mut any_node = false;
        for (i, n) in self.snapshot.nodes.iter().enumerate() {
            if self.fits_node(placement, n) {
                nodes[i / 64] |= 1 << (i % 64);
                any_node |= !n.deleting;
            }
        }
        Fit {
            pools,
            nodes,
            any_node,
            names: OnceCell::new(),
        }
    }

    /// Existing nodes, not being deleted, that the placement fits, in snapshot order.
    fn fits_nodes<'j>(&'j self, fit: &'j Fit<'a>) -> impl Iterator<Item = &'a Node> + 'j {
        self.snapshot
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| !n.deleting && fit.node(*i))
            .map(|(_, n)| n)
    }

    /// A node's taints that hold in steady state: not transient, not its pool's startup taints.
    fn steady_taints(&self, node: &'a Node) -> impl Iterator<Item = &'a Taint> + use<'a, '_> {
        steady_taints(node, self.pools.get(&node.pool).copied())
    }

    fn fits_node(&self, placement: &Placement, node: &'a Node) -> bool {
        labels_fit(placement, &node.labels)
            && untolerated(&placement.tolerations, self.steady_taints(node)).is_empty()
    }

    /// A workload's findings, after suppressions, worst first; and its pods.
    fn findings<'s>(
        &'s self,
        s: &Subject<'a>,
        fit: &Fit<'a>,
        config: &Config,
    ) -> (Vec<Finding>, &'s [&'a Pod]) {
        let p = s.placement;
        let pods = self
            .pods
            .get(&(s.namespace, s.kind, s.name))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let subject = format!("{}/{}/{}", workload_word(s.kind), s.namespace, s.name);
        let mut findings = Vec::new();
        let j = Judged {
            s,
            subject: &subject,
            fits_pools: &fit.pools,
            fit,
        };
        if s.kind == WorkloadKind::DaemonSet {
            findings.extend(self.daemonset_findings(&j));
        } else {
            findings.extend(self.schedule_findings(&j));
            findings.extend(self.running_findings(&j, pods));
            findings.extend(
                p.tolerations
                    .iter()
                    .filter(|t| is_wildcard(t))
                    .take(1)
                    .map(|t| wildcard_finding(&j, t)),
            );
        }
        findings.extend(self.policy_findings(&j, pods, config));
        findings.retain(|f| !suppressed(s, f.code, config));
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(&b.code)));
        (findings, pods)
    }

    fn judge(&self, s: &Subject<'a>, fit: &Fit<'a>, config: &Config) -> WorkloadVerdict {
        let (findings, pods) = self.findings(s, fit, config);
        let mut runs: BTreeMap<PoolRef, (BTreeSet<String>, usize)> = BTreeMap::new();
        let mut pending = 0;
        for pod in pods {
            let Some(node) = pod.node_name.as_deref() else {
                pending += 1;
                continue;
            };
            let pool = self
                .node(node)
                .map(|(_, n)| n.pool.clone())
                .unwrap_or(PoolRef {
                    kind: PoolKind::None,
                    name: String::new(),
                });
            let e = runs.entry(pool).or_default();
            e.0.insert(node.to_string());
            e.1 += 1;
        }
        let mut pools: Vec<PoolRef> = fit.pools.iter().map(|p| p.pool.clone()).collect();
        pools.sort();
        let nodes = fit
            .names
            .get_or_init(|| {
                let mut nodes: Vec<String> = self.fits_nodes(fit).map(|n| n.name.clone()).collect();
                nodes.sort();
                nodes.into()
            })
            .clone();
        let verdict = match findings.first() {
            None => "ok".to_string(),
            Some(f) => {
                // A missing toleration that leaves nowhere to go is what the user must see.
                let label =
                    if f.code == Code::PlaceMissingToleration && f.severity == Severity::Error {
                        "unschedulable: no toleration"
                    } else {
                        verdict_label(f.code)
                    };
                match findings.len() {
                    1 => label.to_string(),
                    n => format!("{label} (+{})", n - 1),
                }
            }
        };
        WorkloadVerdict {
            namespace: s.namespace.to_string(),
            kind: s.kind,
            name: s.name.to_string(),
            replicas: s.replicas,
            fits_pools: pools,
            fits_nodes: nodes,
            runs_on: runs
                .into_iter()
                .map(|(pool, (nodes, pods))| RunsOn {
                    pool,
                    nodes: nodes.into_iter().collect(),
                    pods,
                })
                .collect(),
            pending,
            terminating: self
                .terminating
                .get(&(s.namespace, s.kind, s.name))
                .copied()
                .unwrap_or(0),
            verdict,
            severity: findings.first().map(|f| f.severity),
            codes: findings.iter().map(|f| f.code).collect(),
            findings,
        }
    }

    /// Unschedulable, selected-but-not-tolerated, tolerated-but-not-selected, stranded.
    fn schedule_findings(&self, j: &Judged) -> Vec<Finding> {
        let p = j.s.placement;
        let pools = &self.snapshot.pools;
        let mut out = Vec::new();
        // Tainted pools it selects by label but whose taints it does not tolerate.
        let refused: Vec<(&Pool, Vec<&Taint>)> = pools
            .iter()
            .filter(|pool| selects(p, pool) && pool_labels_fit(p, pool))
            .map(|pool| (pool, untolerated(&p.tolerations, &pool.taints)))
            .filter(|(_, missing)| !missing.is_empty())
            .collect();
        let nowhere = j.fits_pools.is_empty() && !j.fit.any_node;
        if !refused.is_empty() {
            let mut missing: Vec<&Taint> = Vec::new();
            for t in refused.iter().flat_map(|(_, m)| m) {
                if !missing.contains(t) {
                    missing.push(t);
                }
            }
            let taints = taint_list(&missing);
            let selected: Vec<String> = refused.iter().map(|(p, _)| pool_name(&p.pool)).collect();
            let mut f = Finding::new(
                Code::PlaceMissingToleration,
                j.subject,
                String::new(),
                format!(
                    "{} {}:\n{}",
                    add_under(j.s.kind),
                    j.subject,
                    toleration_yaml(&missing)
                ),
            );
            if nowhere {
                f.message = format!(
                    "selects {} by label but does not tolerate the taint {taints}, and fits no \
                     other pool or node: its pods stay Pending",
                    selected.join(", ")
                );
            } else {
                f.severity = Severity::Warning;
                f.message = format!(
                    "selects {} by label but does not tolerate the taint {taints}: its pods land \
                     on {} instead",
                    selected.join(", "),
                    self.elsewhere(j)
                );
            }
            out.push(f);
        } else if nowhere {
            out.push(self.unschedulable(j));
        }
        // Pools whose taint it tolerates on purpose (a keyed toleration) without selecting them.
        // It may land elsewhere: some pool or node it fits is not tainted like this one.
        let others = |pool: &Pool| {
            j.fits_pools
                .iter()
                .any(|o| o.pool != pool.pool && o.taints.iter().all(|t| !blocks_scheduling(t)))
                || self.fits_nodes(j.fit).any(|n| {
                    n.pool != pool.pool && self.steady_taints(n).all(|t| !blocks_scheduling(t))
                })
        };
        let tolerated_only: Vec<(&Pool, Vec<&Taint>)> = j
            .fits_pools
            .iter()
            .map(|pool| {
                let blocking: Vec<&Taint> = pool
                    .taints
                    .iter()
                    .filter(|t| blocks_scheduling(t))
                    .collect();
                (*pool, blocking)
            })
            .filter(|(pool, blocking)| {
                let keyed = blocking.iter().all(|t| {
                    p.tolerations
                        .iter()
                        .any(|tol| !is_wildcard(tol) && tolerates(tol, t))
                });
                !blocking.is_empty() && keyed && !selects(p, pool) && others(pool)
            })
            .collect();
        if let Some((first, _)) = tolerated_only.first() {
            let names: Vec<String> = tolerated_only
                .iter()
                .map(|(pool, blocking)| {
                    format!("{} of {}", taint_list(blocking), pool_name(&pool.pool))
                })
                .collect();
            let refs: Vec<&PoolRef> = tolerated_only.iter().map(|(p, _)| &p.pool).collect();
            out.push(Finding::new(
                Code::PlaceMissingSelector,
                j.subject,
                format!(
                    "tolerates the taint {} without selecting {} by label: its pods may also \
                     land on {}",
                    names.join(", "),
                    if refs.len() == 1 { "it" } else { "them" },
                    self.elsewhere_than(j, &refs)
                ),
                format!(
                    "{} {}:\n{}",
                    add_under(j.s.kind),
                    j.subject,
                    selector_yaml(&selector_for(first))
                ),
            ));
        }
        // Rotation replaces lagging nodes through their pool; nodes of no pool are left cordoned.
        let launching = j
            .fits_pools
            .iter()
            .any(|pool| pool.pool.kind != PoolKind::None);
        let survivors = self
            .snapshot
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| !n.deleting && j.fit.node(*i))
            .any(|(i, n)| !self.lagging[i] || n.pool.kind == PoolKind::NodeGroup);
        if !launching && j.fit.any_node && !survivors {
            let names: Vec<&str> = self.fits_nodes(j.fit).map(|n| n.name.as_str()).collect();
            out.push(Finding::new(
                Code::PlaceStranded,
                j.subject,
                format!(
                    "fits only nodes behind {} ({}) and no pool would launch a replacement: \
                     rotating them leaves its pods Pending",
                    self.target.minor_str(),
                    names.join(", ")
                ),
                self.fix_towards_a_pool(j),
            ));
        }
        out
    }

    fn unschedulable(&self, j: &Judged) -> Finding {
        Finding::new(
            Code::PlaceUnschedulable,
            j.subject,
            format!(
                "fits no pool and no node: {}",
                if self.snapshot.pools.is_empty() && self.snapshot.nodes.is_empty() {
                    "the cluster has none".to_string()
                } else {
                    "no pool's labels satisfy its nodeSelector and node affinity, or it lacks \
                     their tolerations"
                        .to_string()
                }
            ),
            self.fix_towards_a_pool(j),
        )
    }

    /// The selector and tolerations that would make it fit the first pool, as YAML.
    fn fix_towards_a_pool(&self, j: &Judged) -> String {
        let Some(pool) = self
            .snapshot
            .pools
            .iter()
            .find(|p| p.pool.kind != PoolKind::None)
        else {
            return "no pool launches nodes for it: add a Karpenter NodePool or node group whose \
                    labels and taints it matches"
                .to_string();
        };
        let missing = untolerated(&j.s.placement.tolerations, &pool.taints);
        let mut yaml = selector_yaml(&selector_for(pool));
        if !missing.is_empty() {
            yaml.push_str(&toleration_yaml(&missing));
        }
        format!(
            "to run it on {}, replace its nodeSelector/affinity and {} {}:\n{}",
            pool_name(&pool.pool),
            add_under(j.s.kind),
            j.subject,
            yaml
        )
    }

    fn elsewhere(&self, j: &Judged) -> String {
        let mut names: BTreeSet<String> = j.fits_pools.iter().map(|p| pool_name(&p.pool)).collect();
        names.extend(self.fits_nodes(j.fit).map(|n| pool_name(&n.pool)));
        names.into_iter().collect::<Vec<_>>().join(", ")
    }

    fn elsewhere_than(&self, j: &Judged, pools: &[&PoolRef]) -> String {
        let mut names: BTreeSet<String> = j
            .fits_pools
            .iter()
            .filter(|p| !pools.contains(&&p.pool))
            .map(|p| pool_name(&p.pool))
            .collect();
        names.extend(
            self.fits_nodes(j.fit)
                .filter(|n| !pools.contains(&&n.pool))
                .map(|n| pool_name(&n.pool)),
        );
        names.into_iter().collect::<Vec<_>>().join(", ")
    }

    /// Pods that run today where the template no longer fits, or outside the pools it fits.
    fn running_findings(&self, j: &Judged, pods: &[&Pod]) -> Vec<Finding> {
        let mut misfit: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut other: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for p in pods {
            let pod = p.name.as_str();
            let Some((i, node)) = p.node_name.as_deref().and_then(|n| self.node(n)) else {
                continue;
            };
            if !j.fit.node(i) {
                misfit.entry(&node.name).or_default().push(pod);
            } else if !j.fits_pools.is_empty() && !j.fits_pools.iter().any(|p| p.pool == node.pool)
            {
                other.entry(pool_name(&node.pool)).or_default().push(pod);
            }
        }
        let mut out = Vec::new();
        if !misfit.is_empty() {
            let list: Vec<String> = misfit
                .iter()
                .map(|(n, pods)| format!("{} on {n}", pods.join(", ")))
                .collect();
            out.push(Finding::new(
                Code::PlaceNoLongerFits,
                j.subject,
                format!(
                    "pods run on nodes its template no longer fits (its nodeSelector, affinity or \
                     tolerations changed after they were scheduled): {}",
                    list.join("; ")
                ),
                format!(
                    "restart it so the scheduler places it again (`kubectl -n {} rollout restart \
                     {}/{}`), or fix its template",
                    j.s.namespace,
                    workload_word(j.s.kind),
                    j.s.name
                ),
            ));
        }
        if !other.is_empty() {
            let list: Vec<String> = other
                .iter()
                .map(|(pool, pods)| format!("{} on {pool}", pods.join(", ")))
                .collect();
            let intended: Vec<String> = j.fits_pools.iter().map(|p| pool_name(&p.pool)).collect();
            out.push(Finding::new(
                Code::PlaceOtherPool,
                j.subject,
                format!(
                    "pods run outside the pools it fits ({}): {}",
                    intended.join(", "),
                    list.join("; ")
                ),
                "they move when those nodes are rotated; check afterwards with `kubectl get pods \
                 -o wide` that they run on the new nodes"
                    .to_string(),
            ));
        }
        out
    }

    /// A DaemonSet runs on every node it fits: judge it per pool.
    fn daemonset_findings(&self, j: &Judged) -> Vec<Finding> {
        let p = j.s.placement;
        let mut out = Vec::new();
        for pool in &self.snapshot.pools {
            if fits_pool(p, pool) {
                continue;
            }
            let missing = untolerated(&p.tolerations, &pool.taints);
            if pool_labels_fit(p, pool) {
                out.push(Finding::new(
                    Code::PlaceDaemonSetPool,
                    j.subject,
                    format!(
                        "will not run on {}: it does not tolerate the taint {}",
                        pool_name(&pool.pool),
                        taint_list(&missing)
                    ),
                    format!(
                        "if it must run there, {} {}:\n{}",
                        add_under(j.s.kind),
                        j.subject,
                        toleration_yaml(&missing)
                    ),
                ));
            } else {
                // Its own selector keeps it off the pool: most likely on purpose.
                let mut f = Finding::new(
                    Code::PlaceDaemonSetPool,
                    j.subject,
                    format!(
                        "will not run on {}: its nodeSelector or node affinity excludes the \
                         pool's labels",
                        pool_name(&pool.pool)
                    ),
                    "nothing to do if that is intended; otherwise widen its nodeSelector or node \
                     affinity"
                        .to_string(),
                );
                f.severity = Severity::Info;
                out.push(f);
            }
        }
        out
    }

    fn policy_findings(&self, j: &Judged, pods: &[&Pod], config: &Config) -> Vec<Finding> {
        let mut out = Vec::new();
        for policy in config
            .policies
            .iter()
            .filter(|pol| pol.namespace == j.s.namespace)
        {
            let fits_it = j.fits_pools.iter().any(|p| policy.pool.matches(&p.pool));
            let mut elsewhere: BTreeSet<String> = j
                .fits_pools
                .iter()
                .filter(|p| !policy.pool.matches(&p.pool))
                .map(|p| pool_name(&p.pool))
                .collect();
            if j.s.kind != WorkloadKind::DaemonSet {
                elsewhere.extend(
                    self.fits_nodes(j.fit)
                        .filter(|n| !policy.pool.matches(&n.pool))
                        .map(|n| pool_name(&n.pool)),
                );
            }
            let running_elsewhere: BTreeSet<String> = pods
                .iter()
                .filter_map(|p| {
                    let (_, node) = self.node(p.node_name.as_deref()?)?;
                    (!policy.pool.matches(&node.pool)).then(|| node.name.clone())
                })
                .collect();
            if fits_it && elsewhere.is_empty() && running_elsewhere.is_empty() {
                continue;
            }
            let mut why = Vec::new();
            if !fits_it {
                why.push(format!("it does not fit pool {}", policy.pool));
            }
            if !elsewhere.is_empty() {
                why.push(format!(
                    "it may land on {}",
                    elsewhere.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
            if !running_elsewhere.is_empty() {
                why.push(format!(
                    "pods run on {}",
                    running_elsewhere.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
            let remedy = match self
                .snapshot
                .pools
                .iter()
                .find(|p| policy.pool.matches(&p.pool))
            {
                Some(pool) => {
                    let mut yaml = selector_yaml(&selector_for(pool));
                    let missing = untolerated(&j.s.placement.tolerations, &pool.taints);
                    if !missing.is_empty() {
                        yaml.push_str(&toleration_yaml(&missing));
                    }
                    format!("{} {}:\n{}", add_under(j.s.kind), j.subject, yaml)
                }
                None => format!(
                    "the cluster has no pool {:?}: create it or fix the policy in .kup.yaml",
                    policy.pool
                ),
            };
            out.push(Finding::new(
                Code::PlacePolicy,
                j.subject,
                format!(
                    "policy: workloads in namespace {} must land on {}, but {}",
                    policy.namespace,
                    policy.pool,
                    why.join("; ")
                ),
                remedy,
            ));
        }
        out
    }
}

struct Judged<'j, 'a> {
    s: &'j Subject<'a>,
    subject: &'j str,
    fits_pools: &'j [&'a Pool],
    fit: &'j Fit<'a>,
}

fn wildcard_finding(j: &Judged, tol: &Toleration) -> Finding {
    let effect = rules::wildcard_scope(tol);
    Finding::new(
        Code::PlaceWildcardToleration,
        j.subject,
        format!(
            "tolerates {effect} (`operator: Exists` without a key), including the taints \
             Karpenter and kup put on nodes they drain, so its pods can come back to them"
        ),
        format!(
            "replace the wildcard in {}'s tolerations with the taints it needs, e.g.:\n{}",
            j.subject,
            "tolerations:\n  - key: \"TAINT-KEY\"\n    operator: \"Exists\"\n    effect: \"NoSchedule\"\n"
        ),
    )
}

/// Fits a pool: tolerates all its blocking taints (not its startup taints) and some node the
/// pool has or may launch satisfies the nodeSelector and an affinity term.
pub fn fits_pool(placement: &Placement, pool: &Pool) -> bool {
    untolerated(&placement.tolerations, &pool.taints).is_empty() && pool_labels_fit(placement, pool)
}

/// The placement picks this pool by label: its nodeSelector or affinity names a key the pool
/// pins (its labels, identity label or requirements). A selector on well-known keys alone (a
/// zone, an arch) does not single out a pool.
fn selects(placement: &Placement, pool: &Pool) -> bool {
    let labels = rules::pool_labels(pool);
    let pinned = |key: &str| {
        !rules::well_known(key)
            && (labels.contains_key(key) || pool.requirements.iter().any(|r| r.key == key))
    };
    placement.node_selector.keys().any(|k| pinned(k))
        || placement
            .affinity_terms
            .iter()
            .flatten()
            .any(|r| pinned(&r.key))
}

/// The nodeSelector that picks this pool: its own labels (not the well-known ones every node
/// has), else its identity label.
fn selector_for(pool: &Pool) -> Labels {
    let own: Labels = pool
        .labels
        .iter()
        .filter(|(k, _)| !rules::well_known(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !own.is_empty() {
        return own;
    }
    match pool.pool.kind.identity_label() {
        Some(key) => Labels::from([(key.to_string(), pool.pool.name.clone())]),
        None => pool.labels.clone(),
    }
}

/// `applications=true:NoSchedule`, kubectl's notation.
fn taint_list(taints: &[&Taint]) -> String {
    taints
        .iter()
        .map(|t| match &t.value {
            Some(v) if !v.is_empty() => format!("{}={v}:{}", t.key, t.effect),
            _ => format!("{}:{}", t.key, t.effect),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// JSON strings are valid YAML scalars, quoted like the workshop's manifests.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// The tolerations to paste: Exists for a taint without a value, else Equal on its value.
pub fn toleration_yaml(taints: &[&Taint]) -> String {
    let mut out = String::from("tolerations:\n");
    for t in taints {
        out.push_str(&format!("  - key: {}\n", quoted(&t.key)));
        match &t.value {
            Some(v) if !v.is_empty() => {
                out.push_str(&format!(
                    "    operator: \"Equal\"\n    value: {}\n",
                    quoted(v)
                ));
            }
            _ => out.push_str("    operator: \"Exists\"\n"),
        }
        out.push_str(&format!("    effect: {}\n", quoted(&t.effect)));
    }
    out
}

pub fn selector_yaml(labels: &Labels) -> String {
    let mut out = String::from("nodeSelector:\n");
    for (k, v) in labels {
        out.push_str(&format!("  {}: {}\n", quoted(k), quoted(v)));
    }
    out
}

/// Where in the manifest the pod template's fields go.
fn add_under(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::CronJob => "add under spec.jobTemplate.spec.template.spec of",
        WorkloadKind::Pod => "recreate with, under spec of",
        _ => "add under spec.template.spec of",
    }
}

fn suppressed(s: &Subject, code: Code, config: &Config) -> bool {
    let by_annotation = s
        .annotations
        .and_then(|a| a.get(IGNORE_ANNOTATION))
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|c| c == "*" || c.eq_ignore_ascii_case("all") || c.parse::<Code>() == Ok(code))
        });
    by_annotation || config.ignores(code, Some(s.namespace), Some(s.name))
}

#[cfg(test)]
pub(crate) mod tests;
