//! The executor: carries out a `RotatePlan` against the cluster, batch by batch, recording each
//! node's progress in its `kup.dev/rotation` marker so a second run (or `--abort`) knows where
//! this one stopped. All cluster calls go through `cluster::drain`; what happens is streamed as
//! `RotateEvent`s for the shell to print.
//!
//! Per batch: cordon every node (with its marker) → drain them together (evict with the pod's
//! UID as precondition, wait until gone) → replace (delete Karpenter nodes) → verify
//! (replacement Ready at the target, evicted workloads back to the Ready pods they had before
//! the drain). The next batch starts only after the verification, so never more than one batch
//! of nodes is disrupted at once. Waits poll quickly at first and back off to a cap.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::event::RotateEvent;
use super::marker::{self, Marker, Phase, ROTATION_ANNOTATION, WORKLOADS_ANNOTATION};
use super::plan::{
    BlockReason, Blocker, Mode, NodeGroupStep, PlannedNode, PodRef, ReplaceAction, RotatePlan,
    WorkloadRef, late_blockers, late_pods, leaving,
};
use crate::cluster::drain::{self, Eviction};
use crate::cluster::{ClusterError, Connection};
use crate::model::{Node as NodeModel, Snapshot, WorkloadKind};
use crate::version::{Version, minor_skew};

/// How the executor waits and what it passes on.
#[derive(Clone, Debug)]
pub struct ExecOptions {
    /// Written into every marker (`RUNID/PHASE`).
    pub run_id: String,
    /// How long a node's evictions may keep being refused (429) before the run stops.
    pub drain_timeout: Duration,
    /// `--grace-period`: passed to every eviction's deleteOptions.
    pub grace_period: Option<i64>,
    /// How long to wait for pods to go, and for replacements and workloads to come back.
    pub timeout: Duration,
    /// How to continue, for the `failed` event.
    pub resume_hint: String,
    /// The longest pause between polls of a short wait: they start at 100 ms and grow by half
    /// up to it; a long wait then polls less often (a tenth of the time waited, at most 5 s).
    pub poll: Duration,
    /// `--step`: asked before each node is touched; `false` stops the run there (resumable).
    pub step: Option<fn(&str) -> bool>,
    /// Set (with the cancel flag) when another run took the Lease: says why the run stopped.
    pub lease_lost: Option<std::sync::Arc<AtomicBool>>,
    /// The EKS client, for the plan's node-group steps (UpdateNodegroupVersion).
    pub eks: Option<crate::cluster::eks::Eks>,
}

/// What happened to one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeResult {
    pub name: String,
    pub old_kubelet: String,
    /// The replacement's kubelet (Karpenter nodes), when one was seen Ready.
    pub new_kubelet: Option<String>,
    pub replacement: Option<String>,
    pub pods_moved: usize,
    pub took: Duration,
    pub action: ReplaceAction,
    /// What the user must still do (node groups, nodes without a pool).
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done {
        nodes: Vec<NodeResult>,
    },
    /// Stopped before finishing (exit 4); the markers say where.
    Stopped {
        nodes: Vec<NodeResult>,
        node: Option<String>,
        phase: Option<Phase>,
        reason: String,
        /// The API failed (401/403/5xx after retries, unreachable): exit 3, not 4.
        api_error: bool,
    },
}

/// Why a node's work stopped.
struct Stop {
    node: Option<String>,
    phase: Option<Phase>,
    pod: Option<String>,
    pdb: Option<String>,
    reason: String,
    api_error: bool,
}

impl Stop {
    /// A stop at `node` that is not the API's fault (timeout, refusal, operator).
    fn at(node: &str, phase: Option<Phase>, reason: String) -> Stop {
        Stop {
            node: Some(node.to_string()),
            phase,
            pod: None,
            pdb: None,
            reason,
            api_error: false,
        }
    }

    fn api(node: &str, phase: Option<Phase>, e: ClusterError) -> Stop {
        Stop {
            node: Some(node.to_string()),
            phase,
            pod: None,
            pdb: None,
            reason: e.to_string(),
            api_error: true,
        }
    }
}

struct Runner<'a> {
    conn: &'a Connection,
    plan: &'a RotatePlan,
    /// What the plan was made from: late pods are judged on it like planned ones.
    snapshot: &'a Snapshot,
    opts: &'a ExecOptions,
    cancel: &'a AtomicBool,
    /// Behind a RefCell: the nodes of a batch drain concurrently (joined futures of one task),
    /// each emitting events; no borrow is held across an await.
    emit: RefCell<&'a mut dyn FnMut(&RotateEvent)>,
    /// What verification compares against, per workload of the current batch.
    baselines: RefCell<BTreeMap<WorkloadRef, Baseline>>,
    /// UIDs of the pods this batch evicted: never counted as back, even while still Ready.
    evicted: RefCell<BTreeSet<String>>,
    /// PDB predictions for late pods, to name the budget when the API does not.
    late_pdbs: RefCell<Vec<Blocker>>,
}

/// A workload before its pods were evicted.
#[derive(Clone, Debug)]
struct Baseline {
    /// None: gone, or not countable (no selector kup can express).
    spec: Option<drain::WorkloadSpec>,
    /// Its Ready, not deleting pods just before the batch's drain; None when the drain had
    /// already started in an earlier run (then its desired replicas count).
    before: Option<usize>,
    verified: bool,
}

impl Baseline {
    /// How many Ready pods make it available again: what it had, at most what it wants.
    fn target(&self) -> Option<usize> {
        let desired = usize::try_from(self.spec.as_ref()?.desired).unwrap_or(0);
        Some(self.before.map_or(desired, |b| b.min(desired)))
    }
}

/// Carries out `plan`. `cancel` is checked between calls (Ctrl-C): the in-flight call finishes,
/// markers stay, and the outcome is `Stopped`.
pub async fn execute(
    conn: &Connection,
    plan: &RotatePlan,
    snapshot: &Snapshot,
    opts: &ExecOptions,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(&RotateEvent),
) -> Outcome {
    let started = Instant::now();
    emit(&RotateEvent::plan(plan, &opts.run_id));
    let runner = Runner {
        conn,
        plan,
        snapshot,
        opts,
        cancel,
        emit: RefCell::new(emit),
        baselines: RefCell::new(BTreeMap::new()),
        evicted: RefCell::new(BTreeSet::new()),
        late_pdbs: RefCell::new(Vec::new()),
    };
    let mut done = Vec::new();
    enum Step<'p> {
        Batch(usize, &'p [PlannedNode]),
        NodeGroup(&'p NodeGroupStep),
    }
    let steps = plan
        .batches
        .iter()
        .enumerate()
        .map(|(i, b)| Step::Batch(i + 1, &b.nodes))
        .chain(plan.node_groups.iter().map(Step::NodeGroup));
    for step in steps {
        runner.baselines.borrow_mut().clear();
        runner.evicted.borrow_mut().clear();
        let step = match step {
            Step::Batch(i, nodes) => match runner.within_batch_limit(nodes, nodes.len()).await {
                Ok(fresh) => runner.batch(i, nodes, &fresh, &mut done).await,
                Err(stop) => Err(stop),
            },
            Step::NodeGroup(g) => {
                match runner
                    .within_batch_limit(&g.nodes, g.max_unavailable as usize)
                    .await
                {
                    Ok(_) => runner.node_group(g, &mut done).await,
                    Err(stop) => Err(stop),
                }
            }
        };
        if let Err(stop) = step {
            runner.emit(&RotateEvent::Failed {
                node: stop.node.clone(),
                phase: stop.phase,
                pod: stop.pod,
                pdb: stop.pdb,
                reason: stop.reason.clone(),
                resume: opts.resume_hint.clone(),
            });
            return Outcome::Stopped {
                nodes: done,
                node: stop.node,
                phase: stop.phase,
                reason: stop.reason,
                api_error: stop.api_error,
            };
        }
    }
    runner.emit(&RotateEvent::Done {
        nodes: done.len(),
        pods_moved: done.iter().map(|n| n.pods_moved).sum(),
        took_ms: millis(started.elapsed()),
    });
    Outcome::Done { nodes: done }
}

/// The controller of a pod whose replicas kup can count (Deployment, StatefulSet, ReplicaSet).
fn replicated_workload(p: &crate::model::Pod) -> Option<WorkloadRef> {
    let o = p.owner.as_ref()?;
    let kind = WorkloadKind::from_kind(&o.kind).filter(|k| {
        matches!(
            k,
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::ReplicaSet
        )
    })?;
    Some(WorkloadRef {
        kind,
        namespace: p.namespace.to_string(),
        name: o.name.to_string(),
    })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Per node of a batch while it runs.
struct Progress {
    phase: Option<Phase>,
    /// Cordoned by someone else before kup marked it (kept in every marker for `--abort`).
    already_cordoned: bool,
    started: Instant,
    moved: usize,
    /// Controllers of pods that reached the node after the plan: waited for like the planned.
    late: BTreeSet<WorkloadRef>,
    /// Workloads an earlier run recorded moving off the node: verified against their desired
    /// replicas even when their pods are long gone.
    recorded: Vec<WorkloadRef>,
}

/// The first pause between polls; each wait then grows by half up to `ExecOptions::poll`, so
/// a condition met quickly is seen quickly; past that the cap grows with the wait (a tenth of it,
/// at most `LONGEST_POLL`), so a pod stuck Terminating for 15 minutes costs a few
/// hundred lists, not thousands.
const FIRST_POLL: Duration = Duration::from_millis(100);
const LONGEST_POLL: Duration = Duration::from_secs(5);

/// A wait's pause between polls, and when the wait began.
struct Poll {
    pause: Duration,
    since: Instant,
}

impl Poll {
    fn new() -> Poll {
        Poll {
            pause: FIRST_POLL,
            since: Instant::now(),
        }
    }
}

/// While pods that must leave a node are still there: the first `waiting` event after this
/// long, then one every `WAITING_EVERY`.
const WAITING_AFTER: Duration = Duration::from_secs(10);
const WAITING_EVERY: Duration = Duration::from_secs(60);

impl Runner<'_> {
    fn emit(&self, e: &RotateEvent) {
        (self.emit.borrow_mut())(e);
    }

    fn check_cancel(&self, node: &str, phase: Option<Phase>) -> Result<(), Stop> {
        if self.cancel.load(Ordering::SeqCst) {
            let lost = self
                .opts
                .lease_lost
                .as_ref()
                .is_some_and(|l| l.load(Ordering::SeqCst));
            let why = if lost {
                "stopped: another run took over the Lease kube-system/kup-rotate (this run could \
                 not renew it in time)"
            } else {
                "interrupted (Ctrl-C)"
            };
            return Err(Stop::at(node, phase, why.to_string()));
        }
        Ok(())
    }

    /// Nodes left cordoned by kup (node groups, nodes without a pool, `--mode drain|cordon`)
    /// stay unschedulable after their batch: starting `nodes` on top of them must not make more
    /// than the effective batch unschedulable at once (`disrupting` of `nodes` at a time).
    /// Returns the fresh node list.
    async fn within_batch_limit(
        &self,
        nodes: &[PlannedNode],
        disrupting: usize,
    ) -> Result<Vec<NodeModel>, Stop> {
        let first = nodes.first().map(|n| n.name.as_str()).unwrap_or_default();
        let all = drain::list_nodes(self.conn)
            .await
            .map_err(|e| Stop::api(first, None, e))?;
        let held: Vec<&str> = all
            .iter()
            .filter(|x| {
                x.unschedulable
                    && !x.deleting
                    && x.kup_annotations.contains_key(ROTATION_ANNOTATION)
                    && !nodes.iter().any(|n| n.name == x.name)
            })
            .map(|x| x.name.as_str())
            .collect();
        let limit = self.plan.effective_batch;
        if held.len() + disrupting <= limit {
            return Ok(all);
        }
        let todo: Vec<String> = held
            .iter()
            .map(|h| {
                match self
                    .plan
                    .nodes()
                    .find(|n| n.name == *h && n.replacement.action != ReplaceAction::DeleteNode)
                {
                    Some(n) => format!("{h}: {}", n.replacement.message),
                    None => format!("{h}: replace it, or `kubectl uncordon {h}`"),
                }
            })
            .collect();
        Err(Stop::at(
            first,
            None,
            format!(
                "{} node(s) cordoned by kup are still unschedulable ({}); rotating {} more would \
                 disrupt {} nodes at once, over the batch limit of {limit} (--batch, \
                 --max-unavailable). Replace or uncordon them first ({}), or undo the cordons \
                 with `kup rotate --abort`, then run again",
                held.len(),
                held.join(", "),
                disrupting,
                held.len() + disrupting,
                todo.join("; ")
            ),
        ))
    }

    fn marker(&self, p: &Progress, phase: Phase) -> String {
        Marker::new(self.opts.run_id.clone(), phase)
            .already_cordoned(p.already_cordoned)
            .to_string()
    }

    async fn sleep(&self, d: Duration) {
        // Short slices so Ctrl-C is noticed promptly.
        let until = Instant::now() + d;
        while Instant::now() < until && !self.cancel.load(Ordering::SeqCst) {
            tokio::time::sleep((until - Instant::now()).min(Duration::from_millis(100))).await;
        }
    }

    /// Sleeps the poll's pause, then lengthens it for the next one (up to `--poll`'s cap, and
    /// past it as the wait gets long).
    async fn pause(&self, poll: &mut Poll) {
        self.sleep(poll.pause).await;
        let cap = (poll.since.elapsed() / 10)
            .min(LONGEST_POLL)
            .max(self.opts.poll)
            .max(FIRST_POLL);
        poll.pause = (poll.pause * 3 / 2).min(cap);
    }

    async fn batch(
        &self,
        index: usize,
        nodes: &[PlannedNode],
        fresh: &[NodeModel],
        done: &mut Vec<NodeResult>,
    ) -> Result<(), Stop> {
        let mode = self.plan.options.mode;
        let mut progress: Vec<Progress> = nodes
            .iter()
            .map(|n| Progress {
                phase: n.resume.as_ref().map(|m| m.phase),
                // A resumed node: what the first run found. Otherwise, as the node is now:
                // unschedulable before kup touched it means someone else cordoned it.
                already_cordoned: match &n.resume {
                    Some(m) => m.already_cordoned,
                    None => fresh.iter().any(|x| x.name == n.name && x.unschedulable),
                },
                started: Instant::now(),
                moved: 0,
                late: BTreeSet::new(),
                // A resumed node: the workloads the earlier run moved (or was moving) off it.
                recorded: match &n.resume {
                    Some(_) => fresh
                        .iter()
                        .find(|x| x.name == n.name)
                        .and_then(|x| x.kup_annotations.get(WORKLOADS_ANNOTATION))
                        .map(|text| marker::parse_workloads(text))
                        .unwrap_or_default(),
                    None => Vec::new(),
                },
            })
            .collect();

        // Cordon (again, for resumed nodes: an uncordon in between must not let pods back).
        for (n, p) in nodes.iter().zip(progress.iter_mut()) {
            self.check_cancel(&n.name, p.phase)?;
            if let Some(ask) = self.opts.step
                && p.phase.is_none()
                && !ask(&n.name)
            {
                return Err(Stop::at(
                    &n.name,
                    None,
                    "stopped before this node (--step)".into(),
                ));
            }
            let phase = p.phase.unwrap_or(Phase::Cordoned).max(Phase::Cordoned);
            if phase >= Phase::Deleted {
                continue;
            }
            // What an earlier run moved off the node stays recorded with what this one will.
            let workloads = marker::format_workloads(
                p.recorded
                    .iter()
                    .chain(n.pods.iter().filter_map(|x| x.workload.as_ref())),
            );
            drain::cordon(self.conn, &n.name, &self.marker(p, phase), &workloads)
                .await
                .map_err(|e| Stop::api(&n.name, p.phase, e))?;
            p.phase = Some(phase);
            self.emit(&RotateEvent::Cordoned {
                node: n.name.clone(),
                batch: index,
            });
        }
        if mode == Mode::Cordon {
            for (n, p) in nodes.iter().zip(&progress) {
                done.push(result(n, p, None));
            }
            return Ok(());
        }

        // What each workload has before its pods leave (after the cordon: nothing new lands).
        self.baselines_before(nodes, &progress).await?;

        // Drain the batch's nodes at once: the batch is already disrupted, and their pods
        // terminate in parallel anyway.
        let drains = nodes
            .iter()
            .zip(&progress)
            .filter(|(_, p)| p.phase < Some(Phase::Drained))
            .map(|(n, p)| async move {
                let (moved, late) = self.drain(n, &p.recorded).await?;
                drain::set_marker(self.conn, &n.name, &self.marker(p, Phase::Drained))
                    .await
                    .map_err(|e| Stop::api(&n.name, Some(Phase::Cordoned), e))?;
                Ok::<_, Stop>((n.name.clone(), moved, late))
            });
        let mut first_stop = None;
        for r in futures::future::join_all(drains).await {
            match r {
                Ok((name, moved, late)) => {
                    if let Some((_, p)) = nodes
                        .iter()
                        .zip(progress.iter_mut())
                        .find(|(n, _)| n.name == name)
                    {
                        p.moved = moved;
                        p.late = late;
                        p.phase = Some(Phase::Drained);
                    }
                }
                Err(stop) => {
                    first_stop.get_or_insert(stop);
                }
            }
        }
        if let Some(stop) = first_stop {
            return Err(stop);
        }

        // Replace.
        if mode == Mode::Replace {
            for (n, p) in nodes.iter().zip(progress.iter_mut()) {
                if n.replacement.action != ReplaceAction::DeleteNode {
                    continue;
                }
                self.check_cancel(&n.name, p.phase)?;
                // A run stopped right after recording `deleted` may not have deleted it yet:
                // deleting again is harmless (already gone, or already terminating).
                if p.phase < Some(Phase::Deleted) {
                    drain::set_marker(self.conn, &n.name, &self.marker(p, Phase::Deleted))
                        .await
                        .map_err(|e| Stop::api(&n.name, p.phase, e))?;
                    p.phase = Some(Phase::Deleted);
                }
                drain::delete_node(self.conn, &n.name)
                    .await
                    .map_err(|e| Stop::api(&n.name, p.phase, e))?;
                self.emit(&RotateEvent::Deleted {
                    node: n.name.clone(),
                });
            }
        }

        // Verify before the next batch: deleted nodes gone, evicted workloads available again
        // (their pods found room, on a new node if they needed one), then name the
        // replacement Karpenter launched, if the pods needed one.
        let verify = Instant::now();
        if mode == Mode::Replace {
            for (n, p) in nodes.iter().zip(&progress) {
                if n.replacement.action == ReplaceAction::DeleteNode {
                    self.wait_node_gone(n, p.phase).await?;
                }
            }
        }
        let mut verified = Vec::new();
        for (n, p) in nodes.iter().zip(&progress) {
            let also: BTreeSet<WorkloadRef> = p.late.iter().chain(&p.recorded).cloned().collect();
            verified.push(self.wait_workloads(n, p.phase, &also).await?);
        }
        let deleted: Vec<&PlannedNode> = nodes
            .iter()
            .filter(|n| mode == Mode::Replace && n.replacement.action == ReplaceAction::DeleteNode)
            .collect();
        // One node list for the whole batch.
        let pool_nodes = match deleted.first() {
            Some(n) => drain::list_nodes(self.conn)
                .await
                .map_err(|e| Stop::api(&n.name, Some(Phase::Deleted), e))?,
            None => Vec::new(),
        };
        let old: BTreeSet<&str> = self.plan.nodes().map(|n| n.name.as_str()).collect();
        for ((n, p), workloads) in nodes.iter().zip(&progress).zip(verified) {
            let mut replacement = None;
            if deleted.iter().any(|d| d.name == n.name) {
                replacement = self.replacement(n, &old, &pool_nodes);
                if let Some((name, kubelet)) = &replacement {
                    self.emit(&RotateEvent::ReplacementReady {
                        node: n.name.clone(),
                        replacement: name.clone(),
                        kubelet: kubelet.clone(),
                        waited_ms: millis(verify.elapsed()),
                    });
                }
            } else if n.replacement.action == ReplaceAction::LeaveDrained {
                // Left cordoned and drained: record that it was proven, so a later run skips
                // it rather than draining it again.
                drain::set_marker(self.conn, &n.name, &self.marker(p, Phase::Verified))
                    .await
                    .map_err(|e| Stop::api(&n.name, p.phase, e))?;
            }
            self.emit(&RotateEvent::Verified {
                node: n.name.clone(),
                workloads,
                took_ms: millis(verify.elapsed()),
            });
            done.push(result(n, p, replacement));
        }
        Ok(())
    }

    /// Records, for every workload whose pods the batch evicts, its desired replicas, selector
    /// and Ready pods now (one get and one list each).
    async fn baselines_before(
        &self,
        nodes: &[PlannedNode],
        progress: &[Progress],
    ) -> Result<(), Stop> {
        // Workloads of nodes an earlier run already drained have already dipped: no baseline.
        let mut dipped = BTreeSet::new();
        let mut todo = BTreeSet::new();
        for (n, p) in nodes.iter().zip(progress) {
            // A node an earlier run touched may have lost pods to it already (evicted, still
            // terminating): counting now would take the dip as the baseline. The workloads it
            // recorded count as dipped wherever else they have pods.
            let resumed = n.resume.is_some() || p.phase >= Some(Phase::Drained);
            for w in n
                .pods
                .iter()
                .filter_map(|x| x.workload.as_ref())
                .chain(&p.recorded)
            {
                if resumed {
                    dipped.insert(w);
                }
                todo.insert((w, n.name.as_str()));
            }
        }
        for (w, node) in todo {
            if self.baselines.borrow().contains_key(w) {
                continue;
            }
            let b = self.baseline(w, node, !dipped.contains(w)).await?;
            self.baselines.borrow_mut().insert(w.clone(), b);
        }
        Ok(())
    }

    async fn baseline(&self, w: &WorkloadRef, node: &str, count: bool) -> Result<Baseline, Stop> {
        let phase = Some(Phase::Cordoned);
        let spec = drain::workload_spec(self.conn, w.kind, &w.namespace, &w.name)
            .await
            .map_err(|e| Stop::api(node, phase, e))?
            .filter(|s| s.selector.is_some());
        let before = match (&spec, count) {
            (Some(s), true) => Some(self.available(w, s, node, phase).await?),
            _ => None,
        };
        Ok(Baseline {
            spec,
            before,
            verified: false,
        })
    }

    /// The workload's Ready pods that are not terminating and were not evicted by this batch,
    /// from a fresh list: `status.readyReplicas` alone can say "back" before the count dips.
    async fn available(
        &self,
        w: &WorkloadRef,
        spec: &drain::WorkloadSpec,
        node: &str,
        phase: Option<Phase>,
    ) -> Result<usize, Stop> {
        let Some(selector) = spec.selector.as_deref() else {
            return Ok(0);
        };
        let pods = drain::pods_matching(self.conn, &w.namespace, selector)
            .await
            .map_err(|e| Stop::api(node, phase, e))?;
        let evicted = self.evicted.borrow();
        Ok(pods
            .iter()
            .filter(|p| p.ready && !p.deleting && !evicted.contains(&p.uid))
            .count())
    }

    /// Evicts every evictable pod on `n` as a fresh list shows it — the planned ones and those
    /// that arrived after the plan (often evicted from an earlier batch's node), in one wave —
    /// and again until none is left; returns how many moved. A late pod the plan would have
    /// refused stops the run.
    /// Adds the workloads found during the drain (late pods, pods already terminating) to the
    /// node's `kup.dev/rotation-workloads`, so a run that dies now still verifies them when
    /// resumed. One patch, only when they add something.
    async fn record_workloads(
        &self,
        n: &PlannedNode,
        recorded: &[WorkloadRef],
        late: &BTreeSet<WorkloadRef>,
    ) -> Result<(), Stop> {
        let known: BTreeSet<&WorkloadRef> = recorded
            .iter()
            .chain(n.pods.iter().filter_map(|x| x.workload.as_ref()))
            .collect();
        if late.iter().all(|w| known.contains(w)) {
            return Ok(());
        }
        let text = marker::format_workloads(known.into_iter().chain(late));
        drain::record_workloads(self.conn, &n.name, &text)
            .await
            .map_err(|e| Stop::api(&n.name, Some(Phase::Cordoned), e))
    }

    async fn drain(
        &self,
        n: &PlannedNode,
        recorded: &[WorkloadRef],
    ) -> Result<(usize, BTreeSet<WorkloadRef>), Stop> {
        let phase = Some(Phase::Cordoned);
        let deadline = Instant::now() + self.opts.drain_timeout;
        let planned: BTreeSet<(&str, &str)> = n
            .pods
            .iter()
            .map(|p| (p.namespace.as_str(), p.name.as_str()))
            .collect();
        let is_late = |ns: &str, name: &str| !planned.contains(&(ns, name));
        let mut moved = 0;
        let mut last = None;
        let mut late = BTreeSet::new();
        loop {
            self.check_cancel(&n.name, phase)?;
            // The list that saw the last evicted pod go is fresh enough to look for late ones.
            let now = match last.take() {
                Some(pods) => pods,
                None => drain::pods_on_node(self.conn, &n.name)
                    .await
                    .map_err(|e| Stop::api(&n.name, phase, e))?,
            };
            let (left, mut blockers) = late_pods(&n.name, &now, &self.plan.options);
            let newcomers: Vec<crate::model::Pod> = now
                .iter()
                .filter(|p| is_late(&p.namespace, &p.name))
                .cloned()
                .collect();
            if !newcomers.is_empty() {
                // What the plan would have said of them, too. A PDB allowing nothing now is
                // waited for like a planned one (and named when the API does not name it).
                let (pdb, other): (Vec<Blocker>, Vec<Blocker>) =
                    late_blockers(self.snapshot, self.plan, &n.name, &newcomers)
                        .into_iter()
                        .partition(|b| b.reason == BlockReason::PdbAllowsNone);
                self.late_pdbs.borrow_mut().extend(pdb);
                blockers.extend(other);
            }
            if let Some(b) = blockers.iter().find(|b| b.blocking) {
                return Err(Stop {
                    node: Some(n.name.clone()),
                    phase,
                    pod: b.pods.first().map(|p| p.to_string()),
                    pdb: None,
                    reason: format!(
                        "a pod reached node {} after the plan was made and is refused: {}",
                        n.name, b.message
                    ),
                    api_error: false,
                });
            }
            if left.is_empty() {
                // Pods already terminating (an earlier run's evictions, say) have not left
                // yet: the node is drained only once they are gone.
                let going: Vec<(PodRef, String)> = now
                    .iter()
                    .filter(|p| leaving(p))
                    .map(|p| {
                        let pod = PodRef {
                            namespace: p.namespace.to_string(),
                            name: p.name.clone(),
                        };
                        (pod, p.uid.clone())
                    })
                    .collect();
                if going.is_empty() {
                    return Ok((moved, late));
                }
                // Their workloads are verified like the evicted ones, against their desired
                // replicas: they have dipped already, so what they have now proves nothing.
                for p in now.iter().filter(|p| leaving(p)) {
                    let Some(w) = replicated_workload(p) else {
                        continue;
                    };
                    let known = self.baselines.borrow_mut().get_mut(&w).map(|b| {
                        b.before = None;
                    });
                    if known.is_none() {
                        let b = self.baseline(&w, &n.name, false).await?;
                        self.baselines.borrow_mut().insert(w.clone(), b);
                    }
                    late.insert(w);
                }
                self.record_workloads(n, recorded, &late).await?;
                if Instant::now() >= deadline {
                    return Err(Stop::at(
                        &n.name,
                        phase,
                        format!(
                            "node {} not drained after --drain-timeout {}s: pods keep being \
                             deleted on it: {}",
                            n.name,
                            self.opts.drain_timeout.as_secs(),
                            going
                                .iter()
                                .map(|(p, _)| p.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                last = Some(self.wait_gone(n, going, |_| {}).await?);
                continue;
            }
            if Instant::now() >= deadline {
                let names: Vec<String> = left.iter().map(|(p, _)| p.to_string()).collect();
                return Err(Stop {
                    node: Some(n.name.clone()),
                    phase,
                    pod: names.first().cloned(),
                    pdb: None,
                    reason: format!(
                        "node {} not drained after --drain-timeout {}s: pods keep arriving on it \
                         (do they tolerate node.kubernetes.io/unschedulable?): {}",
                        n.name,
                        self.opts.drain_timeout.as_secs(),
                        names.join(", ")
                    ),
                    api_error: false,
                });
            }
            // Their controllers, to verify they come back (replica counts kup can read).
            let found: Vec<WorkloadRef> = now
                .iter()
                .filter(|p| {
                    is_late(&p.namespace, &p.name)
                        && left
                            .iter()
                            .any(|(l, _)| l.namespace == p.namespace && l.name == p.name)
                })
                .filter_map(replicated_workload)
                .collect();
            for w in found {
                if !self.baselines.borrow().contains_key(&w) {
                    let b = self.baseline(&w, &n.name, true).await?;
                    self.baselines.borrow_mut().insert(w.clone(), b);
                }
                late.insert(w);
            }
            self.record_workloads(n, recorded, &late).await?;
            let (more, pods) = self.evict_all(n, &left, deadline).await?;
            moved += more;
            last = pods;
        }
    }

    /// Evicts `pods` of `n` (each with the UID it must still have; refusals retried until
    /// `deadline`), then waits until each is gone; returns how many were evicted and the pod
    /// list that showed the last one gone.
    async fn evict_all(
        &self,
        n: &PlannedNode,
        pods: &[(PodRef, String)],
        deadline: Instant,
    ) -> Result<(usize, Option<Vec<crate::model::Pod>>), Stop> {
        // kubectl drain evicts a node's pods concurrently: a PDB holding one pod back must not
        // hold back the others.
        let calls = pods
            .iter()
            .map(|(pod, uid)| self.evict_one(n, pod, uid, pods, deadline));
        let mut evicted = Vec::new();
        let mut first_stop = None;
        for r in futures::future::join_all(calls).await {
            match r {
                Ok(Some(e)) => evicted.push(e),
                Ok(None) => {}
                Err(stop) => {
                    first_stop.get_or_insert(stop);
                }
            }
        }
        if let Some(stop) = first_stop {
            return Err(stop);
        }
        if evicted.is_empty() {
            return Ok((0, None));
        }
        self.evicted
            .borrow_mut()
            .extend(evicted.iter().map(|e| e.uid.clone()));
        let moved = evicted.len();
        let waiting = evicted
            .iter()
            .map(|e| (e.pod.clone(), e.uid.clone()))
            .collect();
        let now = self
            .wait_gone(n, waiting, |uid| {
                if let Some(e) = evicted.iter().find(|e| e.uid == uid) {
                    self.emit(&RotateEvent::Evicted {
                        node: n.name.clone(),
                        namespace: e.pod.namespace.clone(),
                        pod: e.pod.name.clone(),
                        attempts: e.attempts,
                        took_ms: millis(e.first.elapsed()),
                    });
                }
            })
            .await?;
        Ok((moved, Some(now)))
    }

    /// Waits until none of `waiting` (pod, UID) is on node `n` any more: pods this run evicted,
    /// or pods already terminating when it came (an earlier run's evictions, held by a
    /// finalizer or by a kubelet that does not confirm). `gone` is told each UID as it goes.
    /// Says what it waits for after `WAITING_AFTER` (then every `WAITING_EVERY`), and stops
    /// after `--timeout` naming them: a pod that still exists has not left, whatever its phase.
    /// Returns the pod list that showed the last one gone.
    async fn wait_gone(
        &self,
        n: &PlannedNode,
        mut waiting: Vec<(PodRef, String)>,
        mut gone: impl FnMut(&str),
    ) -> Result<Vec<crate::model::Pod>, Stop> {
        let phase = Some(Phase::Cordoned);
        let deadline = Instant::now() + self.opts.timeout;
        let mut pause = Poll::new();
        let mut next_report = pause.since + WAITING_AFTER;
        loop {
            self.check_cancel(&n.name, phase)?;
            let now = drain::pods_on_node(self.conn, &n.name)
                .await
                .map_err(|e| Stop::api(&n.name, phase, e))?;
            let uids: BTreeSet<&str> = now.iter().map(|p| p.uid.as_str()).collect();
            waiting.retain(|(_, uid)| {
                let here = uids.contains(uid.as_str());
                if !here {
                    gone(uid);
                }
                here
            });
            if waiting.is_empty() {
                return Ok(now);
            }
            let terminating = waiting
                .iter()
                .filter(|(_, uid)| now.iter().any(|p| &p.uid == uid && p.deleting))
                .count();
            let pods: Vec<String> = waiting.iter().map(|(p, _)| p.to_string()).collect();
            let state = match terminating {
                t if t == waiting.len() => "terminating (deletionTimestamp set)".to_string(),
                0 => "not yet terminating".to_string(),
                t => format!("{t} of them terminating"),
            };
            if Instant::now() >= deadline {
                return Err(Stop {
                    node: Some(n.name.clone()),
                    phase,
                    pod: pods.first().cloned(),
                    pdb: None,
                    reason: format!(
                        "{} pod(s) still on node {} after --timeout {}s, {state}: {}; a pod that \
                         still exists has not left. Look at its finalizers (`kubectl get pod -n \
                         NS NAME -o jsonpath='{{.metadata.finalizers}}'`) and at the node's \
                         kubelet; run again once they are gone",
                        pods.len(),
                        n.name,
                        self.opts.timeout.as_secs(),
                        pods.join(", ")
                    ),
                    api_error: false,
                });
            }
            if Instant::now() >= next_report {
                next_report = Instant::now() + WAITING_EVERY;
                self.emit(&RotateEvent::Waiting {
                    node: n.name.clone(),
                    pods,
                    message: format!(
                        "{state}, waiting for them to be gone (up to --timeout {}s)",
                        self.opts.timeout.as_secs()
                    ),
                    waited_ms: millis(pause.since.elapsed()),
                });
            }
            self.pause(&mut pause).await;
        }
    }

    /// One pod's eviction, retried while refused until `deadline`. None when it was already
    /// gone (404, or its name now belongs to a successor).
    async fn evict_one(
        &self,
        n: &PlannedNode,
        pod: &PodRef,
        uid: &str,
        all: &[(PodRef, String)],
        deadline: Instant,
    ) -> Result<Option<Evicted>, Stop> {
        let phase = Some(Phase::Cordoned);
        let first = Instant::now();
        let mut attempts = 0u32;
        let mut backoff = Duration::from_millis(200);
        let mut reported = false;
        loop {
            self.check_cancel(&n.name, phase)?;
            attempts += 1;
            let answer = drain::evict(
                self.conn,
                &pod.namespace,
                &pod.name,
                uid,
                self.opts.grace_period,
            )
            .await
            .map_err(|e| Stop::api(&n.name, phase, e))?;
            let (code, message, pdb, retry_after) = match answer {
                Eviction::Accepted => {
                    return Ok(Some(Evicted {
                        pod: pod.clone(),
                        uid: uid.to_string(),
                        first,
                        attempts,
                    }));
                }
                Eviction::Gone => return Ok(None),
                Eviction::Refused {
                    code,
                    message,
                    pdb,
                    retry_after,
                } => (code, message, pdb, retry_after),
            };
            if message.contains("more than one PodDisruptionBudget") {
                // Never allowed while both exist: waiting for --drain-timeout would only delay
                // the same answer.
                return Err(self.two_pdbs(n, pod, &message).await);
            }
            // A PDB just created or changed: the disruption controller has not computed it
            // yet. Not a refusal by the budget; Retry-After says when.
            let unobserved = message.contains("still being processed");
            let by_policy = pdb.is_some();
            let pdb = pdb.or_else(|| self.planned_pdb(n, &pod.namespace, &pod.name));
            if by_policy && !reported {
                reported = true;
                let message = if unobserved {
                    unobserved_message(pdb.as_deref(), retry_after, &message)
                } else {
                    message.clone()
                };
                self.emit(&RotateEvent::Blocked {
                    node: n.name.clone(),
                    namespace: pod.namespace.clone(),
                    pod: pod.name.clone(),
                    pdb: pdb.clone(),
                    reason: BlockReason::PdbAllowsNone,
                    message,
                    retry_after_secs: retry_after,
                    waited_ms: millis(first.elapsed()),
                });
            } else if !by_policy {
                crate::log::debug(format_args!("evict {pod}: {code} {message}; retrying"));
            }
            if Instant::now() >= deadline {
                let left: Vec<String> = all.iter().map(|(p, _)| p.to_string()).collect();
                let why = match &pdb {
                    Some(b) => format!("PodDisruptionBudget {b} still refuses"),
                    None => format!("the API server still refuses ({code})"),
                };
                return Err(Stop {
                    node: Some(n.name.clone()),
                    phase,
                    pod: Some(pod.to_string()),
                    pdb,
                    reason: format!(
                        "node {} not drained after --drain-timeout {}s: {why} the eviction of \
                         {pod} ({message}); pods being evicted from it: {}",
                        n.name,
                        self.opts.drain_timeout.as_secs(),
                        left.join(", ")
                    ),
                    api_error: false,
                });
            }
            // Retried soon at first (a PDB frees up as soon as a replacement is Ready), then
            // less often; never past the deadline, never sooner than the server asks.
            let wait = retry_after
                .map(Duration::from_secs)
                .unwrap_or(backoff)
                .min(deadline.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(50));
            self.sleep(wait).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }

    /// The stop for an eviction refused because several PDBs select the pod (500), naming them.
    async fn two_pdbs(&self, n: &PlannedNode, pod: &PodRef, message: &str) -> Stop {
        let phase = Some(Phase::Cordoned);
        let names = match drain::pdbs_selecting(self.conn, &pod.namespace, &pod.name).await {
            Ok(names) if !names.is_empty() => names,
            Ok(_) => Vec::new(),
            Err(e) => return Stop::api(&n.name, phase, e),
        };
        let which = if names.is_empty() {
            format!(
                "more than one PodDisruptionBudget (`kubectl get pdb -n {}`)",
                pod.namespace
            )
        } else {
            format!("PodDisruptionBudgets {}", names.join(" and "))
        };
        self.emit(&RotateEvent::Blocked {
            node: n.name.clone(),
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
            pdb: (!names.is_empty()).then(|| names.join(", ")),
            reason: BlockReason::MultiplePdbs,
            message: message.to_string(),
            retry_after_secs: None,
            waited_ms: 0,
        });
        Stop {
            node: Some(n.name.clone()),
            phase,
            pod: Some(pod.to_string()),
            pdb: (!names.is_empty()).then(|| names.join(", ")),
            reason: format!(
                "pod {pod} is selected by {which}: the Eviction API refuses such a pod until \
                 only one selects it ({message}); delete or narrow one of them, then run again"
            ),
            api_error: false,
        }
    }

    /// The PDB the plan predicted for a pod, for messages when the API names none.
    fn planned_pdb(&self, n: &PlannedNode, ns: &str, name: &str) -> Option<String> {
        let names = |b: &Blocker| {
            (!b.pdbs.is_empty() && b.pods.iter().any(|p| p.namespace == ns && p.name == name))
                .then(|| b.pdbs.join(", "))
        };
        n.blockers
            .iter()
            .find_map(names)
            .or_else(|| self.late_pdbs.borrow().iter().find_map(names))
    }

    /// Waits until the deleted node `n` is gone (Karpenter's finalizer removed it).
    async fn wait_node_gone(&self, n: &PlannedNode, phase: Option<Phase>) -> Result<(), Stop> {
        let deadline = Instant::now() + self.opts.timeout;
        let mut pause = Poll::new();
        loop {
            self.check_cancel(&n.name, phase)?;
            let node = drain::get_node(self.conn, &n.name)
                .await
                .map_err(|e| Stop::api(&n.name, phase, e))?;
            if node.is_none() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Stop::at(
                    &n.name,
                    phase,
                    format!(
                        "node {} was deleted but is still there after --timeout {}s: Karpenter's \
                         termination finalizer has not removed it (is Karpenter running?)",
                        n.name,
                        self.opts.timeout.as_secs()
                    ),
                ));
            }
            self.pause(&mut pause).await;
        }
    }

    /// A Ready, schedulable node of `n`'s pool at the target that was not being rotated.
    fn replacement(
        &self,
        n: &PlannedNode,
        old: &BTreeSet<&str>,
        nodes: &[NodeModel],
    ) -> Option<(String, String)> {
        nodes
            .iter()
            .filter(|x| {
                x.pool == n.pool
                    && !old.contains(x.name.as_str())
                    && x.ready == Some(true)
                    && !x.unschedulable
                    && !x.deleting
                    && at_target(&x.kubelet_version, &self.plan.target)
            })
            // The newest: most likely the one launched for the evicted pods.
            .max_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)))
            .map(|x| (x.name.clone(), x.kubelet_version.clone()))
    }

    /// Waits until every workload whose pods left `n` is available again: from a fresh pod
    /// list, its Ready pods that are not terminating and not among the evicted reach what it
    /// had before the drain (at most its desired replicas).
    async fn wait_workloads(
        &self,
        n: &PlannedNode,
        phase: Option<Phase>,
        late: &BTreeSet<WorkloadRef>,
    ) -> Result<Vec<String>, Stop> {
        let workloads: BTreeSet<&WorkloadRef> = n
            .pods
            .iter()
            .filter_map(|p| p.workload.as_ref())
            .chain(late)
            .collect();
        let labels: Vec<String> = workloads
            .iter()
            .map(|w| super::plan::workload_label(w))
            .collect();
        let deadline = Instant::now() + self.opts.timeout;
        for w in workloads {
            // Normally recorded before the drain; a node resumed past it gets one now.
            let known = self.baselines.borrow().get(w).cloned();
            let b = match known {
                Some(b) => b,
                None => {
                    let b = self.baseline(w, &n.name, false).await?;
                    self.baselines.borrow_mut().insert(w.clone(), b.clone());
                    b
                }
            };
            let (Some(spec), Some(target)) = (&b.spec, b.target()) else {
                continue;
            };
            if b.verified {
                continue;
            }
            let mut pause = Poll::new();
            loop {
                self.check_cancel(&n.name, phase)?;
                let now = self.available(w, spec, &n.name, phase).await?;
                if now >= target {
                    if let Some(b) = self.baselines.borrow_mut().get_mut(w) {
                        b.verified = true;
                    }
                    break;
                }
                if Instant::now() >= deadline {
                    let had = match b.before {
                        Some(before) => format!("it had {before} before the drain"),
                        None => "its desired replicas".to_string(),
                    };
                    return Err(Stop::at(
                        &n.name,
                        phase,
                        format!(
                            "{} has {now} Ready pod(s) of the {target} it needs ({had}) after \
                             --timeout {}s; its evicted pods have not come back (`kup \
                             workloads` shows where they can run)",
                            super::plan::workload_label(w),
                            self.opts.timeout.as_secs()
                        ),
                    ));
                }
                self.pause(&mut pause).await;
            }
        }
        Ok(labels)
    }
}

/// Managed node groups: EKS replaces the nodes (new ones first, then the old ones drained
/// through the Eviction API, `maxUnavailable` at a time); kup starts the update (or follows
/// the one in progress), waits for it, then verifies like a batch: the group's nodes Ready at
/// the target, the old ones gone, the evicted workloads available again. Nothing is marked on
/// the nodes: EKS's update is the state a second run resumes from.
impl Runner<'_> {
    async fn node_group(&self, g: &NodeGroupStep, done: &mut Vec<NodeResult>) -> Result<(), Stop> {
        let first = g.nodes.first().map(|n| n.name.as_str()).unwrap_or(&g.name);
        self.check_cancel(first, None)?;
        let Some(eks) = &self.opts.eks else {
            return Err(Stop::at(
                first,
                None,
                format!("node group {}: no EKS client to update it", g.name),
            ));
        };
        if let Some(ask) = self.opts.step
            && !ask(&format!("node group {} (through EKS)", g.name))
        {
            return Err(Stop::at(
                first,
                None,
                "stopped before this node group (--step)".into(),
            ));
        }
        let started = Instant::now();
        let progress: Vec<Progress> = g
            .nodes
            .iter()
            .map(|_| Progress {
                phase: None,
                already_cordoned: false,
                started,
                moved: 0,
                late: BTreeSet::new(),
                recorded: Vec::new(),
            })
            .collect();
        self.baselines_before(&g.nodes, &progress).await?;
        let api = |e| Stop::api(first, None, e);

        // An update in progress (an earlier run killed while following it, or someone else's)
        // is followed rather than refused with ResourceInUseException.
        let in_progress = if g.in_progress {
            self.update_in_progress(eks, &g.name, first).await?
        } else {
            None
        };
        let resumed = in_progress.is_some();
        let id = match in_progress {
            Some(id) => id,
            None => eks
                .update_nodegroup_version(&g.name, &g.to)
                .await
                .map_err(api)?,
        };
        self.emit(&RotateEvent::NodegroupUpdate {
            nodegroup: g.name.clone(),
            update_id: id.clone(),
            version: g.to.clone(),
            nodes: g.nodes.iter().map(|n| n.name.clone()).collect(),
            resumed,
        });

        // EKS replaces max_unavailable nodes per wave; each wave gets --timeout.
        let waves = g.nodes.len().div_ceil(g.max_unavailable.max(1) as usize) as u32;
        let deadline = started + self.opts.timeout * (waves + 1);
        let mut pause = Poll::new();
        loop {
            self.check_cancel(first, None)?;
            let update = eks.describe_update(&g.name, &id).await.map_err(api)?;
            match update.status.as_str() {
                "Successful" => break,
                "Failed" | "Cancelled" => {
                    return Err(Stop::at(
                        first,
                        None,
                        format!(
                            "EKS update {id} of node group {} {}: {}; fix the cause (a \
                             PodDisruptionBudget that never allows the eviction, say), then run \
                             kup rotate again: it starts a new update",
                            g.name,
                            update.status.to_lowercase(),
                            if update.errors.is_empty() {
                                "no error given".to_string()
                            } else {
                                update.errors.join("; ")
                            }
                        ),
                    ));
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return Err(Stop::at(
                    first,
                    None,
                    format!(
                        "EKS update {id} of node group {} is still {} after {}s; EKS goes on \
                         by itself: run kup rotate again to follow it",
                        g.name,
                        update.status,
                        (deadline - started).as_secs()
                    ),
                ));
            }
            self.pause(&mut pause).await;
        }

        // The update says Successful: the old nodes gone, the group's nodes Ready at the target.
        let old: BTreeSet<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
        let mut pause = Poll::new();
        let replacements = loop {
            self.check_cancel(first, None)?;
            let all = drain::list_nodes(self.conn).await.map_err(api)?;
            let group: Vec<&NodeModel> = all.iter().filter(|x| x.pool == g.nodes[0].pool).collect();
            let left: Vec<&str> = group
                .iter()
                .filter(|x| old.contains(x.name.as_str()))
                .map(|x| x.name.as_str())
                .collect();
            let ready = group.iter().all(|x| {
                x.ready == Some(true)
                    && !x.deleting
                    && at_target(&x.kubelet_version, &self.plan.target)
            });
            if left.is_empty() && ready && !group.is_empty() {
                break group
                    .iter()
                    .map(|x| (x.name.clone(), x.kubelet_version.clone()))
                    .collect::<Vec<_>>();
            }
            if Instant::now() >= deadline {
                return Err(Stop::at(
                    first,
                    None,
                    format!(
                        "EKS reports update {id} of node group {} successful, but after the \
                         wait {} old node(s) remain ({}) or its nodes are not all Ready at {}",
                        g.name,
                        left.len(),
                        left.join(", "),
                        self.plan.target.minor_str()
                    ),
                ));
            }
            self.pause(&mut pause).await;
        };

        // The evicted workloads, back to what they had.
        let verify = Instant::now();
        for n in &g.nodes {
            let workloads = self.wait_workloads(n, None, &BTreeSet::new()).await?;
            self.emit(&RotateEvent::Verified {
                node: n.name.clone(),
                workloads,
                took_ms: millis(verify.elapsed()),
            });
        }
        for (i, n) in g.nodes.iter().enumerate() {
            // Pair old and new nodes in order, for the summary table.
            let new = replacements.get(i % replacements.len().max(1));
            done.push(NodeResult {
                name: n.name.clone(),
                old_kubelet: n.kubelet.clone(),
                new_kubelet: new.map(|(_, k)| k.clone()),
                replacement: new.map(|(name, _)| name.clone()),
                pods_moved: n.pods.len(),
                took: started.elapsed(),
                action: ReplaceAction::UpdateNodeGroup,
                message: format!("replaced by EKS update {id} of node group {}", g.name),
            });
        }
        self.emit(&RotateEvent::NodegroupUpdated {
            nodegroup: g.name.clone(),
            update_id: id,
            replacements: replacements.into_iter().map(|(n, _)| n).collect(),
            took_ms: millis(started.elapsed()),
        });
        Ok(())
    }

    /// The id of the group's update in progress, if any (newest first).
    async fn update_in_progress(
        &self,
        eks: &crate::cluster::eks::Eks,
        group: &str,
        node: &str,
    ) -> Result<Option<String>, Stop> {
        let ids = eks
            .nodegroup_updates(group)
            .await
            .map_err(|e| Stop::api(node, None, e))?;
        for id in ids {
            let u = eks
                .describe_update(group, &id)
                .await
                .map_err(|e| Stop::api(node, None, e))?;
            if u.status == "InProgress" {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}

/// An accepted eviction, waited on until the pod is gone.
struct Evicted {
    pod: PodRef,
    uid: String,
    first: Instant,
    attempts: u32,
}

/// The 429 for a PDB the disruption controller has not processed yet: not the budget refusing.
fn unobserved_message(pdb: Option<&str>, retry_after: Option<u64>, message: &str) -> String {
    format!(
        "PodDisruptionBudget {} is new or just changed and the API server has not processed it \
         yet; waiting{} ({message})",
        pdb.unwrap_or("?"),
        retry_after
            .map(|s| format!(" {s}s as it asks"))
            .unwrap_or_default()
    )
}

fn at_target(kubelet: &str, target: &Version) -> bool {
    Version::parse(kubelet).is_ok_and(|v| minor_skew(&v, target) >= 0)
}

fn result(n: &PlannedNode, p: &Progress, replacement: Option<(String, String)>) -> NodeResult {
    let (replacement, new_kubelet) = match replacement {
        Some((r, k)) => (Some(r), Some(k)),
        None => (None, None),
    };
    NodeResult {
        name: n.name.clone(),
        old_kubelet: n.kubelet.clone(),
        new_kubelet,
        replacement,
        pods_moved: p.moved,
        took: p.started.elapsed(),
        action: n.replacement.action,
        message: n.replacement.message.clone(),
    }
}

/// `--abort`: uncordon what kup cordoned and remove the markers. Returns the nodes undone.
pub async fn abort(
    conn: &Connection,
    plan: &super::plan::AbortPlan,
) -> Result<Vec<String>, ClusterError> {
    let mut undone = Vec::new();
    for n in &plan.nodes {
        drain::unmark(conn, &n.name, n.uncordon).await?;
        undone.push(n.name.clone());
    }
    Ok(undone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdb_not_yet_processed_gets_its_own_wording() {
        let m = unobserved_message(
            Some("default/nginx-pdb"),
            Some(10),
            "The disruption budget nginx-pdb is still being processed by the server.",
        );
        assert!(m.starts_with("PodDisruptionBudget default/nginx-pdb is new or just changed"));
        assert!(m.contains("waiting 10s as it asks"), "{m}");
    }

    #[test]
    fn target_versions() {
        let target = Version::parse("1.25").unwrap_or_else(|_| unreachable!());
        assert!(at_target("v1.25.16-eks-3025e55", &target));
        assert!(at_target("v1.26.1", &target));
        assert!(!at_target("v1.24.17-eks-a59e1f0", &target));
        assert!(!at_target("garbage", &target));
    }
}
