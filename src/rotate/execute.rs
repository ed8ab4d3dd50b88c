//! The executor: carries out a `RotatePlan` against the cluster, batch by batch, recording each
//! node's progress in its `kup.dev/rotation` marker so a second run (or `--abort`) knows where
//! this one stopped. All cluster calls go through `cluster::drain`; what happens is streamed as
//! `RotateEvent`s for the shell to print.
//!
//! Per batch: cordon every node (with its marker) → drain each (evict, wait until gone) →
//! replace (delete Karpenter nodes) → verify (replacement Ready at the target, evicted
//! workloads back to their Ready replicas). The next batch starts only after the verification,
//! so never more than one batch of nodes is disrupted at once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::event::RotateEvent;
use super::marker::{Marker, Phase, ROTATION_ANNOTATION};
use super::plan::{
    BlockReason, Mode, PlannedNode, PodRef, ReplaceAction, RotatePlan, WorkloadRef, late_pods,
};
use crate::cluster::drain::{self, Eviction};
use crate::cluster::{ClusterError, Connection};
use crate::model::WorkloadKind;
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
    /// Pause between polls.
    pub poll: Duration,
    /// `--step`: asked before each node is touched; `false` stops the run there (resumable).
    pub step: Option<fn(&str) -> bool>,
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
    opts: &'a ExecOptions,
    cancel: &'a AtomicBool,
    emit: &'a mut dyn FnMut(&RotateEvent),
}

/// Carries out `plan`. `cancel` is checked between calls (Ctrl-C): the in-flight call finishes,
/// markers stay, and the outcome is `Stopped`.
pub async fn execute(
    conn: &Connection,
    plan: &RotatePlan,
    opts: &ExecOptions,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(&RotateEvent),
) -> Outcome {
    let started = Instant::now();
    emit(&RotateEvent::plan(plan, &opts.run_id));
    let mut runner = Runner {
        conn,
        plan,
        opts,
        cancel,
        emit,
    };
    let mut done = Vec::new();
    for (i, batch) in plan.batches.iter().enumerate() {
        let step = match runner.within_batch_limit(&batch.nodes).await {
            Ok(()) => runner.batch(i + 1, &batch.nodes, &mut done).await,
            Err(stop) => Err(stop),
        };
        if let Err(stop) = step {
            (runner.emit)(&RotateEvent::Failed {
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
    (runner.emit)(&RotateEvent::Done {
        nodes: done.len(),
        pods_moved: done.iter().map(|n| n.pods_moved).sum(),
        took_ms: millis(started.elapsed()),
    });
    Outcome::Done { nodes: done }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Per node of a batch while it runs.
struct Progress {
    phase: Option<Phase>,
    started: Instant,
    moved: usize,
    /// Controllers of pods that reached the node after the plan: waited for like the planned.
    late: BTreeSet<WorkloadRef>,
}

impl Runner<'_> {
    fn check_cancel(&self, node: &str, phase: Option<Phase>) -> Result<(), Stop> {
        if self.cancel.load(Ordering::SeqCst) {
            return Err(Stop::at(node, phase, "interrupted (Ctrl-C)".to_string()));
        }
        Ok(())
    }

    /// Nodes left cordoned by kup (node groups, nodes without a pool, `--mode drain|cordon`)
    /// stay unschedulable after their batch: starting `nodes` on top of them must not make more
    /// than the effective batch unschedulable at once.
    async fn within_batch_limit(&self, nodes: &[PlannedNode]) -> Result<(), Stop> {
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
        if held.len() + nodes.len() <= limit {
            return Ok(());
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
                nodes.len(),
                held.len() + nodes.len(),
                todo.join("; ")
            ),
        ))
    }

    fn marker(&self, phase: Phase) -> String {
        Marker::new(self.opts.run_id.clone(), phase).to_string()
    }

    async fn sleep(&self, d: Duration) {
        // Short slices so Ctrl-C is noticed promptly.
        let until = Instant::now() + d;
        while Instant::now() < until && !self.cancel.load(Ordering::SeqCst) {
            tokio::time::sleep((until - Instant::now()).min(Duration::from_millis(100))).await;
        }
    }

    async fn batch(
        &mut self,
        index: usize,
        nodes: &[PlannedNode],
        done: &mut Vec<NodeResult>,
    ) -> Result<(), Stop> {
        let mode = self.plan.options.mode;
        let mut progress: Vec<Progress> = nodes
            .iter()
            .map(|n| Progress {
                phase: n.resume.as_ref().map(|m| m.phase),
                started: Instant::now(),
                moved: 0,
                late: BTreeSet::new(),
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
            drain::cordon(self.conn, &n.name, &self.marker(phase))
                .await
                .map_err(|e| Stop::api(&n.name, p.phase, e))?;
            p.phase = Some(phase);
            (self.emit)(&RotateEvent::Cordoned {
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

        // Drain.
        for (n, p) in nodes.iter().zip(progress.iter_mut()) {
            if p.phase >= Some(Phase::Drained) {
                continue;
            }
            (p.moved, p.late) = self.drain(n).await?;
            drain::set_marker(self.conn, &n.name, &self.marker(Phase::Drained))
                .await
                .map_err(|e| Stop::api(&n.name, p.phase, e))?;
            p.phase = Some(Phase::Drained);
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
                    drain::set_marker(self.conn, &n.name, &self.marker(Phase::Deleted))
                        .await
                        .map_err(|e| Stop::api(&n.name, p.phase, e))?;
                    p.phase = Some(Phase::Deleted);
                }
                drain::delete_node(self.conn, &n.name)
                    .await
                    .map_err(|e| Stop::api(&n.name, p.phase, e))?;
                (self.emit)(&RotateEvent::Deleted {
                    node: n.name.clone(),
                });
            }
        }

        // Verify before the next batch: deleted nodes gone, evicted workloads Ready again
        // (their pods found room, on a new node if they needed one), then name the
        // replacement Karpenter launched, if the pods needed one.
        if mode == Mode::Replace {
            for (n, p) in nodes.iter().zip(&progress) {
                if n.replacement.action == ReplaceAction::DeleteNode {
                    self.wait_node_gone(n, p.phase).await?;
                }
            }
        }
        let old: BTreeSet<&str> = self.plan.nodes().map(|n| n.name.as_str()).collect();
        let mut replacements: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (n, p) in nodes.iter().zip(&progress) {
            let verify = Instant::now();
            let workloads = self.wait_workloads(n, p.phase, &p.late).await?;
            if mode == Mode::Replace && n.replacement.action == ReplaceAction::DeleteNode {
                let fresh = self.replacement(n, &old).await?;
                if let Some((name, kubelet)) = fresh {
                    (self.emit)(&RotateEvent::ReplacementReady {
                        node: n.name.clone(),
                        replacement: name.clone(),
                        kubelet: kubelet.clone(),
                        waited_ms: millis(verify.elapsed()),
                    });
                    replacements.insert(n.name.clone(), (name, kubelet));
                }
            }
            (self.emit)(&RotateEvent::Verified {
                node: n.name.clone(),
                workloads,
                took_ms: millis(verify.elapsed()),
            });
            done.push(result(n, p, replacements.remove(&n.name)));
        }
        Ok(())
    }

    /// Evicts every planned pod of `n`, then whatever else is on it now (pods that arrived after
    /// the plan, often evicted from an earlier batch's node), until no evictable pod is left;
    /// returns how many moved. A late pod the plan would have refused stops the run.
    async fn drain(&mut self, n: &PlannedNode) -> Result<(usize, BTreeSet<WorkloadRef>), Stop> {
        let phase = Some(Phase::Cordoned);
        let deadline = Instant::now() + self.opts.drain_timeout;
        let planned: Vec<PodRef> = n
            .pods
            .iter()
            .map(|p| PodRef {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            })
            .collect();
        let mut moved = self.evict_all(n, &planned, deadline).await?;
        let mut late = BTreeSet::new();
        loop {
            self.check_cancel(&n.name, phase)?;
            let now = drain::pods_on_node(self.conn, &n.name)
                .await
                .map_err(|e| Stop::api(&n.name, phase, e))?;
            let (left, blockers) = late_pods(&n.name, &now, &self.plan.options);
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
                return Ok((moved, late));
            }
            if Instant::now() >= deadline {
                let names: Vec<String> = left.iter().map(|p| p.to_string()).collect();
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
            late.extend(now.iter().filter_map(|p| {
                let o = p.owner.as_ref()?;
                let kind = WorkloadKind::from_kind(&o.kind).filter(|k| {
                    matches!(
                        k,
                        WorkloadKind::Deployment
                            | WorkloadKind::StatefulSet
                            | WorkloadKind::ReplicaSet
                    )
                })?;
                left.iter()
                    .any(|l| l.namespace == p.namespace && l.name == p.name)
                    .then(|| WorkloadRef {
                        kind,
                        namespace: p.namespace.clone(),
                        name: o.name.clone(),
                    })
            }));
            moved += self.evict_all(n, &left, deadline).await?;
        }
    }

    /// Evicts `pods` of `n` (retrying refusals until `deadline`) and waits until each is gone;
    /// returns how many were evicted.
    async fn evict_all(
        &mut self,
        n: &PlannedNode,
        pods: &[PodRef],
        deadline: Instant,
    ) -> Result<usize, Stop> {
        let phase = Some(Phase::Cordoned);
        // (namespace, name, uid, first call, attempts)
        let mut evicted: Vec<(String, String, String, Instant, u32)> = Vec::new();
        for pod in pods {
            self.check_cancel(&n.name, phase)?;
            let Some(uid) = drain::pod_uid(self.conn, &pod.namespace, &pod.name)
                .await
                .map_err(|e| Stop::api(&n.name, phase, e))?
            else {
                continue;
            };
            let first = Instant::now();
            let mut attempts = 0u32;
            let mut backoff = Duration::from_millis(250);
            let mut reported = false;
            loop {
                self.check_cancel(&n.name, phase)?;
                attempts += 1;
                let answer =
                    drain::evict(self.conn, &pod.namespace, &pod.name, self.opts.grace_period)
                        .await
                        .map_err(|e| Stop::api(&n.name, phase, e))?;
                match answer {
                    Eviction::Accepted => {
                        evicted.push((
                            pod.namespace.clone(),
                            pod.name.clone(),
                            uid.clone(),
                            first,
                            attempts,
                        ));
                        break;
                    }
                    Eviction::Gone => break,
                    Eviction::Refused {
                        code,
                        message,
                        pdb,
                        retry_after,
                    } => {
                        let multiple = message.contains("more than one PodDisruptionBudget");
                        if multiple {
                            // Never allowed while both exist: waiting for --drain-timeout
                            // would only delay the same answer.
                            return Err(self.two_pdbs(n, pod, &message).await);
                        }
                        // A PDB just created or changed: the disruption controller has not
                        // computed it yet. Not a refusal by the budget; Retry-After says when.
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
                            (self.emit)(&RotateEvent::Blocked {
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
                            crate::log::debug(format_args!(
                                "evict {}/{}: {code} {message}; retrying",
                                pod.namespace, pod.name
                            ));
                        }
                        if Instant::now() >= deadline {
                            let left: Vec<String> = pods
                                .iter()
                                .skip_while(|p| p.name != pod.name || p.namespace != pod.namespace)
                                .map(|p| format!("{}/{}", p.namespace, p.name))
                                .collect();
                            let why = match &pdb {
                                Some(b) => format!("PodDisruptionBudget {b} still refuses"),
                                None => format!("the API server still refuses ({code})"),
                            };
                            return Err(Stop {
                                node: Some(n.name.clone()),
                                phase,
                                pod: Some(format!("{}/{}", pod.namespace, pod.name)),
                                pdb,
                                reason: format!(
                                    "node {} not drained after --drain-timeout {}s: {why} the \
                                     eviction of {}/{} ({message}); pods not evicted: {}",
                                    n.name,
                                    self.opts.drain_timeout.as_secs(),
                                    pod.namespace,
                                    pod.name,
                                    left.join(", ")
                                ),
                                api_error: false,
                            });
                        }
                        let wait = retry_after
                            .map(Duration::from_secs)
                            .unwrap_or(backoff)
                            .min(deadline.saturating_duration_since(Instant::now()))
                            .max(Duration::from_millis(50));
                        self.sleep(wait).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
        // Wait until every evicted pod is gone (404, or a new pod under the same name).
        let deadline = Instant::now() + self.opts.timeout;
        let moved = evicted.len();
        for (ns, name, uid, first, attempts) in evicted {
            loop {
                self.check_cancel(&n.name, phase)?;
                let now = drain::pod_uid(self.conn, &ns, &name)
                    .await
                    .map_err(|e| Stop::api(&n.name, phase, e))?;
                if now.as_deref() != Some(uid.as_str()) {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(Stop {
                        node: Some(n.name.clone()),
                        phase,
                        pod: Some(format!("{ns}/{name}")),
                        pdb: None,
                        reason: format!(
                            "pod {ns}/{name} was evicted but is still there after --timeout {}s; \
                             look at its finalizers and its node's kubelet",
                            self.opts.timeout.as_secs()
                        ),
                        api_error: false,
                    });
                }
                self.sleep(self.opts.poll).await;
            }
            (self.emit)(&RotateEvent::Evicted {
                node: n.name.clone(),
                namespace: ns,
                pod: name,
                attempts,
                took_ms: millis(first.elapsed()),
            });
        }
        Ok(moved)
    }

    /// The stop for an eviction refused because several PDBs select the pod (500), naming them.
    async fn two_pdbs(&mut self, n: &PlannedNode, pod: &PodRef, message: &str) -> Stop {
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
        (self.emit)(&RotateEvent::Blocked {
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
        n.blockers
            .iter()
            .find(|b| {
                !b.pdbs.is_empty() && b.pods.iter().any(|p| p.namespace == ns && p.name == name)
            })
            .map(|b| b.pdbs.join(", "))
    }

    /// Waits until the deleted node `n` is gone (Karpenter's finalizer removed it).
    async fn wait_node_gone(&self, n: &PlannedNode, phase: Option<Phase>) -> Result<(), Stop> {
        let deadline = Instant::now() + self.opts.timeout;
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
            self.sleep(self.opts.poll).await;
        }
    }

    /// A Ready, schedulable node of `n`'s pool at the target that was not being rotated.
    async fn replacement(
        &self,
        n: &PlannedNode,
        old: &BTreeSet<&str>,
    ) -> Result<Option<(String, String)>, Stop> {
        let nodes = drain::list_nodes(self.conn)
            .await
            .map_err(|e| Stop::api(&n.name, Some(Phase::Deleted), e))?;
        Ok(nodes
            .into_iter()
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
            .map(|x| (x.name, x.kubelet_version)))
    }

    /// Waits until every workload whose pods left `n` has its Ready replicas back.
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
            loop {
                self.check_cancel(&n.name, phase)?;
                let now = drain::get_workload(self.conn, w.kind, &w.namespace, &w.name)
                    .await
                    .map_err(|e| Stop::api(&n.name, phase, e))?;
                let (ready, want) = match &now {
                    None => break,
                    Some(x) => (x.ready_replicas.unwrap_or(0), x.replicas.unwrap_or(0)),
                };
                if ready >= want {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(Stop::at(
                        &n.name,
                        phase,
                        format!(
                            "{} has {ready} of {want} replicas Ready after --timeout {}s; its \
                             evicted pods have not come back (`kup workloads` shows where they \
                             can run)",
                            super::plan::workload_label(w),
                            self.opts.timeout.as_secs()
                        ),
                    ));
                }
                self.sleep(self.opts.poll).await;
            }
        }
        Ok(labels)
    }
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
