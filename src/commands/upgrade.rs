//! `kup upgrade --to 1.NN`: plan the hops, then (with consent, holding kup's Lease) run them:
//! for each hop the gate, UpdateClusterVersion and its wait, the add-ons, the nodes (managed
//! node groups through EKS and kup's rotation, Karpenter's drift where it drifts), then the
//! verdict. Every step starts from what the cluster and EKS show (`upgrade::resume`), so a run
//! stopped anywhere continues with the same command and never starts a second control-plane
//! update.

use std::collections::{BTreeSet, HashSet};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::check::{confirm_aliases, read_extras};
use super::context::Context;
use super::rotate::confirm;
use crate::checks::karpenter::{Moves, follow_status, pool_movements, workloads_on_pools};
use crate::checks::{self, Family, Severity};
use crate::cli::UpgradeArgs;
use crate::cluster::drain::lease::{self, Acquired};
use crate::cluster::eks::Eks;
use crate::cluster::{self, Connection, ReadScope};
use crate::eks::EksSection;
use crate::error::{KupError, exit};
use crate::model::{PoolKind, Snapshot};
use crate::output::{self, Format};
use crate::rotate::execute::{self, ExecOptions, Outcome};
use crate::rotate::{BlockReason, EksNodeGroup, PlanOptions, RotateEvent};
use crate::upgrade::{
    self, AddonsMode, NodesMode, Observed, Step, UpdateSeen, UpgradeEvent, UpgradeOptions, verify,
};
use crate::version::{Version, minor_below};

const RESUME: &str = "run the same `kup upgrade` again: it continues from what EKS and the \
cluster show (the update in progress, the node markers)";
/// Between polls of EKS and the cluster.
const POLL: Duration = Duration::from_millis(500);

/// Why a run stopped after it changed something (exit 4, or 3 for the API).
struct Stop {
    hop: Option<String>,
    step: &'static str,
    reason: String,
    api: bool,
}

impl Stop {
    fn new(hop: &Version, step: &'static str, reason: impl Into<String>) -> Stop {
        Stop {
            hop: Some(hop.minor_str()),
            step,
            reason: reason.into(),
            api: false,
        }
    }
}

fn full_scope() -> ReadScope {
    ReadScope {
        pods: true,
        pdbs: true,
        workloads: true,
        pools: true,
        karpenter: true,
        ..Default::default()
    }
}

pub async fn run(ctx: &Context, args: &UpgradeArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if args.step && !args.dry_run && !interactive {
        return Err(KupError::Usage(
            "--step asks before each hop and needs a terminal; without one, use --yes".into(),
        ));
    }
    if !args.yes && !args.dry_run && !interactive {
        return Err(KupError::Usage(
            "kup upgrade changes the cluster and there is no terminal to confirm it on: review \
             the plan with --dry-run, then run again with --yes"
                .into(),
        ));
    }
    let conn = cluster::connect(&ctx.connect).await?;
    let eks = match cluster::eks::open(&conn).await {
        Ok(e) => e,
        Err(e) if conn.eks_explicit() || !args.dry_run => return Err(e.into()),
        Err(_) => None,
    };
    if eks.is_none() && !args.dry_run {
        return Err(KupError::Usage(
            "kup upgrade moves the control plane through EKS, and the context names no EKS \
             cluster (no EKS ARN, no `aws eks get-token` entry): pass --cluster NAME"
                .into(),
        ));
    }
    let mut snapshot = read(&conn, eks.as_ref()).await?;
    let opts = UpgradeOptions {
        to: args.to.clone(),
        fail_on: args.fail_on,
        nodes: args.nodes,
        addons: args.addons,
        batch: args.batch.get(),
    };
    // The plan's gates judge every hop: SSM is asked at each.
    if let (Some(eks), Some(cp)) = (&eks, snapshot.control_plane.version().cloned()) {
        confirm_aliases(eks, &mut snapshot, &upgrade::hops(&cp, &opts.to)).await;
    }
    let plan = upgrade::plan(
        &snapshot,
        &ctx.config,
        &opts,
        &upgrade::addon_offers(&snapshot, &opts),
    )
    .map_err(|e| KupError::Usage(e.to_string()))?;
    if args.dry_run {
        out.write_all(output::render_upgrade_plan(&plan, ctx.format, &ctx.style).as_bytes())?;
        return Ok(if plan.blocked_now() {
            exit::FINDINGS
        } else {
            exit::OK
        });
    }
    if !args.yes {
        eprint!(
            "{}",
            output::render_upgrade_plan(&plan, Format::Table, &ctx.style)
        );
        if !confirm(&format!("Upgrade the cluster to {} now? [y/N] ", plan.to))? {
            eprintln!("kup upgrade: nothing changed");
            return Ok(exit::OK);
        }
    }
    let Some(eks) = eks else {
        return Ok(exit::USAGE);
    };
    let run_id = format!("u-{}", jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S"));
    let json = ctx.format == Format::Json;
    // What the run did, for the summary table at the end.
    let seen = std::cell::RefCell::new(Vec::<UpgradeEvent>::new());
    let mut emit = |e: &UpgradeEvent, out: &mut dyn Write| {
        seen.borrow_mut().push(e.clone());
        if json {
            let _ = out.write_all(e.to_json_line().as_bytes());
            let _ = out.flush();
        } else if let Some(line) = output::upgrade_line(e) {
            crate::log::info(format_args!("{line}"));
        }
    };
    emit(
        &UpgradeEvent::Plan {
            run_id: run_id.clone(),
            plan: plan.clone(),
        },
        out,
    );
    // One kup changes the cluster at a time: the Lease `kup rotate` takes too.
    let held = match lease::acquire(&conn, &lease::identity(&run_id)).await {
        Ok(Acquired::Held(l)) => l,
        Ok(Acquired::Busy(holder)) => {
            let reason = format!(
                "another kup run is changing the cluster: Lease {}/{} is {}; nothing was changed",
                lease::LEASE_NAMESPACE,
                lease::LEASE_NAME,
                holder.describe()
            );
            return finish_stop(
                Stop {
                    hop: None,
                    step: "lease",
                    reason,
                    api: false,
                },
                &mut emit,
                out,
            );
        }
        Err(e) => return Err(e.into()),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let lost = Arc::new(AtomicBool::new(false));
    let renewal = {
        let (flag, lost) = (cancel.clone(), lost.clone());
        held.clone().keep(move |_| {
            lost.store(true, Ordering::SeqCst);
            flag.store(true, Ordering::SeqCst);
        })
    };
    let ctrl_c = {
        let flag = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("kup upgrade: interrupted; stopping after the call in flight");
                flag.store(true, Ordering::SeqCst);
            }
        })
    };
    let runner = Runner {
        ctx,
        args,
        conn: &conn,
        eks: &eks,
        run_id,
        cancel: cancel.clone(),
        lost,
        to: Version::new(args.to.major, args.to.minor, None),
    };
    let result = runner.run(&mut emit, out).await;
    ctrl_c.abort();
    renewal.abort();
    held.release().await;
    let code = match result {
        Ok(Ok(())) => Ok(exit::OK),
        Ok(Err(Gated { hop, reason })) => {
            emit(
                &UpgradeEvent::Failed {
                    hop: Some(hop),
                    step: "gate".into(),
                    reason,
                    resume: "fix the blockers (`kup check --target HOP` shows how), then run \
                             the same `kup upgrade` again"
                        .into(),
                },
                out,
            );
            Ok(exit::FINDINGS)
        }
        Err(stop) => finish_stop(stop, &mut emit, out),
    };
    if !json {
        let summary = output::upgrade_summary(&seen.borrow());
        out.write_all(summary.as_bytes())?;
    }
    code
}

/// The gate stopped the run before the hop's first write (exit 1).
struct Gated {
    hop: String,
    reason: String,
}

type Emit<'a> = dyn FnMut(&UpgradeEvent, &mut dyn Write) + 'a;

fn finish_stop(stop: Stop, emit: &mut Emit<'_>, out: &mut dyn Write) -> Result<i32, KupError> {
    emit(
        &UpgradeEvent::Failed {
            hop: stop.hop.clone(),
            step: stop.step.to_string(),
            reason: stop.reason.clone(),
            resume: RESUME.to_string(),
        },
        out,
    );
    eprintln!(
        "kup upgrade stopped: {}\nTo continue: {RESUME}.",
        stop.reason
    );
    Ok(if stop.api {
        exit::API
    } else {
        exit::ROTATE_STOPPED
    })
}

struct Runner<'a> {
    ctx: &'a Context,
    args: &'a UpgradeArgs,
    conn: &'a Connection,
    eks: &'a Eks,
    run_id: String,
    cancel: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
    to: Version,
}

fn api(hop: Option<&Version>, step: &'static str) -> impl Fn(cluster::ClusterError) -> Stop {
    let hop = hop.map(|h| h.minor_str());
    move |e| Stop {
        hop: hop.clone(),
        step,
        reason: e.to_string(),
        api: true,
    }
}

impl Runner<'_> {
    async fn run(
        &self,
        emit: &mut Emit<'_>,
        out: &mut dyn Write,
    ) -> Result<Result<(), Gated>, Stop> {
        let started = Instant::now();
        let mut announced: HashSet<String> = HashSet::new();
        let mut hops_done = 0;
        // A hop whose node step finished yet still shows something behind would loop forever.
        let mut nodes_done: Option<String> = None;
        loop {
            self.check_cancel(None)?;
            let (snapshot, observed) = self.observe().await?;
            let r = upgrade::resume(&observed, &self.to);
            let hop = r.hop.clone();
            let hop_name = hop.minor_str();
            if r.step != Step::Done && announced.insert(hop_name.clone()) {
                emit(
                    &UpgradeEvent::HopStarted {
                        hop: hop_name.clone(),
                        resumed: r.step != Step::Gate,
                    },
                    out,
                );
            }
            let hop_started = Instant::now();
            match r.step {
                Step::Done => {
                    emit(
                        &UpgradeEvent::Done {
                            version: self.to.minor_str(),
                            hops: hops_done,
                            took_ms: started.elapsed().as_millis() as u64,
                        },
                        out,
                    );
                    return Ok(Ok(()));
                }
                Step::Gate => {
                    if let Some(reason) = self.gate(&hop, emit, out).await? {
                        return Ok(Err(Gated {
                            hop: hop_name,
                            reason,
                        }));
                    }
                    if self.args.step
                        && !confirm(&format!("Start hop {hop_name} now? [y/N] ")).unwrap_or(false)
                    {
                        return Err(Stop::new(&hop, "gate", "stopped before the hop, as asked"));
                    }
                    let id = self
                        .eks
                        .update_cluster_version(&hop_name)
                        .await
                        .map_err(api(Some(&hop), "cluster-update"))?;
                    emit(
                        &UpgradeEvent::ClusterUpdate {
                            hop: hop_name.clone(),
                            update_id: id.clone(),
                            status: "InProgress".into(),
                            resumed: false,
                        },
                        out,
                    );
                    self.wait_update(&hop, &id, false, emit, out).await?;
                }
                Step::FollowUpdate(id) => {
                    self.wait_update(&hop, &id, true, emit, out).await?;
                }
                Step::WaitOther(id) => self.wait_other(&hop, &id).await?,
                Step::Nodes => {
                    drop(snapshot);
                    if nodes_done.as_deref() == Some(hop_name.as_str()) {
                        return Err(Stop::new(
                            &hop,
                            "verify",
                            format!(
                                "{} node(s) or managed node group(s) are still behind {hop_name} after the hop's node step (a node group without nodes, or a node no pool replaces): move them, then run again",
                                observed.behind
                            ),
                        ));
                    }
                    let nodes = self.nodes(&hop, emit, out).await?;
                    nodes_done = Some(hop_name.clone());
                    hops_done += 1;
                    emit(
                        &UpgradeEvent::HopDone {
                            hop: hop_name,
                            nodes,
                            took_ms: hop_started.elapsed().as_millis() as u64,
                        },
                        out,
                    );
                }
            }
        }
    }

    fn check_cancel(&self, hop: Option<&Version>) -> Result<(), Stop> {
        if !self.cancel.load(Ordering::SeqCst) {
            return Ok(());
        }
        let reason = if self.lost.load(Ordering::SeqCst) {
            "another run took kup's Lease"
        } else {
            "interrupted"
        };
        Err(Stop {
            hop: hop.map(|h| h.minor_str()),
            step: "interrupted",
            reason: reason.into(),
            api: false,
        })
    }

    /// Until a cluster update of another kind (not a version update) is no longer InProgress,
    /// within --hop-timeout: EKS would refuse UpdateClusterVersion meanwhile.
    async fn wait_other(&self, hop: &Version, id: &str) -> Result<(), Stop> {
        let started = Instant::now();
        crate::log::info(format_args!(
            "kup upgrade: EKS update {id} (not a version update) is in progress; waiting for it"
        ));
        loop {
            self.check_cancel(Some(hop))?;
            let u = self
                .eks
                .describe_cluster_update(id)
                .await
                .map_err(api(Some(hop), "cluster-update"))?;
            if u.status != "InProgress" {
                return Ok(());
            }
            if started.elapsed() >= self.args.hop_timeout {
                return Err(Stop::new(
                    hop,
                    "cluster-update",
                    format!("EKS update {id} is still InProgress after --hop-timeout"),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// `/version`, the nodes, EKS's node groups and the cluster's updates.
    async fn observe(&self) -> Result<(Snapshot, Observed), Stop> {
        let read = api(None, "observe");
        let snapshot = cluster::read_snapshot(self.conn, &ReadScope::default())
            .await
            .map_err(&read)?;
        let cp = snapshot
            .control_plane
            .version()
            .cloned()
            .ok_or_else(|| Stop {
                hop: None,
                step: "observe",
                reason: format!(
                    "cannot read the control plane's version {:?}",
                    snapshot.control_plane.git_version
                ),
                api: true,
            })?;
        let (updates, groups) =
            futures::try_join!(self.eks.cluster_updates(), self.eks.node_groups())
                .map_err(&read)?;
        let below = |v: &str| minor_below(v, &cp);
        let behind = snapshot
            .nodes
            .iter()
            .filter(|n| !n.deleting && below(&n.kubelet_version))
            .count()
            + groups
                .iter()
                .filter(|g| g.version.as_deref().is_some_and(below))
                .count();
        let observed = Observed {
            control_plane: cp,
            updates: updates
                .into_iter()
                .map(|u| UpdateSeen {
                    id: u.id,
                    version: u.version,
                    status: u.status,
                })
                .collect(),
            behind,
        };
        Ok((snapshot, observed))
    }

    /// `kup check --target HOP` on the cluster now; the blockers when it stops the run.
    async fn gate(
        &self,
        hop: &Version,
        emit: &mut Emit<'_>,
        out: &mut dyn Write,
    ) -> Result<Option<String>, Stop> {
        let mut snapshot = read(self.conn, Some(self.eks)).await.map_err(|e| match e {
            KupError::Cluster(e) => api(Some(hop), "gate")(e),
            e => Stop::new(hop, "gate", e.to_string()),
        })?;
        confirm_aliases(self.eks, &mut snapshot, std::slice::from_ref(hop)).await;
        let run = checks::Run {
            target: hop,
            families: &Family::ALL,
            skew_nodes: None,
        };
        let findings = checks::run(&snapshot, &self.ctx.config, &run);
        // With --nodes karpenter, a pool Karpenter will not drift has nobody to move it.
        let unmoved = upgrade::unmoved_pools(&snapshot, hop, self.args.nodes);
        let blockers: Vec<_> = findings
            .iter()
            .filter(|f| checks::exceeds(std::slice::from_ref(f), self.args.fail_on))
            .cloned()
            .collect();
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        emit(
            &UpgradeEvent::Gate {
                hop: hop.minor_str(),
                passed: blockers.is_empty() && unmoved.is_empty(),
                blockers: blockers.clone(),
                errors: count(Severity::Error),
                warnings: count(Severity::Warning),
            },
            out,
        );
        if blockers.is_empty() && unmoved.is_empty() {
            return Ok(None);
        }
        let named: Vec<String> = blockers
            .iter()
            .map(|f| format!("{} {}: {}", f.code, f.subject, f.message))
            .chain(unmoved)
            .collect();
        eprintln!(
            "kup upgrade: the gate of hop {} stops the run before any change of that hop:\n  - {}\nFix them (`kup check --target {}` shows how), then run again.",
            hop.minor_str(),
            named.join("\n  - "),
            hop.minor_str()
        );
        Ok(Some(format!(
            "the gate of hop {} found {} blocker(s), nothing of that hop was changed: {}",
            hop.minor_str(),
            named.len(),
            named.join("; ")
        )))
    }

    /// Until the update is Successful, the cluster ACTIVE and `/version` at the hop.
    async fn wait_update(
        &self,
        hop: &Version,
        id: &str,
        resumed: bool,
        emit: &mut Emit<'_>,
        out: &mut dyn Write,
    ) -> Result<(), Stop> {
        let started = Instant::now();
        let mut told = !resumed;
        loop {
            self.check_cancel(Some(hop))?;
            let u = self
                .eks
                .describe_cluster_update(id)
                .await
                .map_err(api(Some(hop), "cluster-update"))?;
            if !told {
                told = true;
                emit(
                    &UpgradeEvent::ClusterUpdate {
                        hop: hop.minor_str(),
                        update_id: id.to_string(),
                        status: u.status.clone(),
                        resumed: true,
                    },
                    out,
                );
            }
            match u.status.as_str() {
                "Failed" | "Cancelled" => {
                    return Err(Stop::new(
                        hop,
                        "cluster-update",
                        format!(
                            "EKS update {id} of the control plane to {} {}: {}",
                            hop.minor_str(),
                            u.status.to_lowercase(),
                            if u.errors.is_empty() {
                                "no error detail".to_string()
                            } else {
                                u.errors.join("; ")
                            }
                        ),
                    ));
                }
                "Successful" => {
                    let c = self
                        .eks
                        .describe_cluster()
                        .await
                        .map_err(api(Some(hop), "cluster-update"))?;
                    let served = cluster::read_snapshot(self.conn, &ReadScope::default())
                        .await
                        .map_err(api(Some(hop), "cluster-update"))?;
                    let at = served
                        .control_plane
                        .version()
                        .is_some_and(|v| (v.major, v.minor) >= (hop.major, hop.minor));
                    if c.status == "ACTIVE" && at {
                        emit(
                            &UpgradeEvent::ClusterUpdate {
                                hop: hop.minor_str(),
                                update_id: id.to_string(),
                                status: "Successful".into(),
                                resumed,
                            },
                            out,
                        );
                        return Ok(());
                    }
                }
                _ => {}
            }
            if started.elapsed() >= self.args.hop_timeout {
                return Err(Stop::new(
                    hop,
                    "cluster-update",
                    format!("EKS update {id} is still {} after --hop-timeout", u.status),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The hop's nodes: node groups (EKS) and the nodes kup rotates, then Karpenter's drift,
    /// then the verdict. Returns how many nodes run the hop.
    async fn nodes(
        &self,
        hop: &Version,
        emit: &mut Emit<'_>,
        out: &mut dyn Write,
    ) -> Result<usize, Stop> {
        self.addons(hop, emit, out).await?;
        let read = api(Some(hop), "nodes");
        // While Karpenter's own drift takes every disruption its budgets allow, kup's rotation
        // of that pool waits for it rather than stopping (the budget frees as nodes finish).
        let waited = Instant::now();
        let mut said_waiting = false;
        let (before, drifting, plan) = loop {
            self.check_cancel(Some(hop))?;
            let before = cluster::read_snapshot(self.conn, &full_scope())
                .await
                .map_err(&read)?;
            let groups = self.eks.node_groups().await.map_err(&read)?;
            let drifting: BTreeSet<String> = match self.args.nodes {
                NodesMode::Rotate => BTreeSet::new(),
                NodesMode::Auto | NodesMode::Karpenter => pool_movements(&before, hop)
                    .into_iter()
                    .filter(|m| m.moves == Moves::KarpenterDrifts)
                    .map(|m| m.node_pool)
                    .collect(),
            };
            let behind = |v: &str| minor_below(v, hop);
            if let Some(m) = upgrade::unmoved_pools(&before, hop, self.args.nodes).first() {
                return Err(Stop::new(hop, "nodes", m.clone()));
            }
            let for_kup: BTreeSet<String> = before
                .nodes
                .iter()
                .filter(|n| !n.deleting && behind(&n.kubelet_version))
                .filter(|n| !(n.pool.kind == PoolKind::NodePool && drifting.contains(&n.pool.name)))
                .map(|n| n.name.clone())
                .collect();
            let plan = if for_kup.is_empty() {
                None
            } else {
                let opts = PlanOptions {
                    selector_nodes: Some(for_kup.into_iter().collect()),
                    batch: self.args.batch.get(),
                    eks_node_groups: EksNodeGroup::movable(&groups),
                    ..Default::default()
                };
                Some(
                    crate::rotate::plan(&before, hop, &opts)
                        .map_err(|e| Stop::new(hop, "nodes", e.to_string()))?,
                )
            };
            let budget_in_use = plan.as_ref().is_some_and(|p| {
                !p.is_clear()
                    && p.stopping_blockers()
                        .all(|b| b.reason == BlockReason::BudgetInUse)
            });
            if budget_in_use && waited.elapsed() < self.args.hop_timeout {
                if !said_waiting {
                    crate::log::info(format_args!(
                        "hop {}: waiting for Karpenter's own disruptions to free the NodePool budget \
                         (up to --hop-timeout)",
                        hop.minor_str()
                    ));
                    said_waiting = true;
                }
                tokio::time::sleep(POLL).await;
                continue;
            }
            break (before, drifting, plan);
        };
        if let Some(plan) = plan {
            if !plan.is_clear() {
                let why: Vec<String> = plan
                    .stopping_blockers()
                    .map(|b| format!("{} ({}): {}", b.node, b.reason, b.message))
                    .collect();
                return Err(Stop::new(
                    hop,
                    "nodes",
                    format!("the nodes' rotation is blocked: {}", why.join("; ")),
                ));
            }
            let exec = ExecOptions {
                run_id: self.run_id.clone(),
                drain_timeout: self.args.drain_timeout,
                grace_period: None,
                timeout: self.args.hop_timeout,
                resume_hint: RESUME.to_string(),
                poll: Duration::from_millis(300),
                step: None,
                lease_lost: Some(self.lost.clone()),
                eks: Some(self.eks.clone()),
            };
            let json = self.ctx.format == Format::Json;
            let mut progress = output::Progress::new(false);
            let outcome = {
                let mut forward = |e: &RotateEvent| {
                    // The upgrade has its own plan, done and failed events.
                    if matches!(
                        e,
                        RotateEvent::Plan { .. }
                            | RotateEvent::Done { .. }
                            | RotateEvent::Failed { .. }
                    ) {
                        return;
                    }
                    if json {
                        let _ = out.write_all(e.to_json_line().as_bytes());
                        let _ = out.flush();
                    } else {
                        progress.event(e);
                    }
                };
                execute::execute(self.conn, &plan, &before, &exec, &self.cancel, &mut forward).await
            };
            if let Outcome::Stopped {
                reason, api_error, ..
            } = outcome
            {
                return Err(Stop {
                    hop: Some(hop.minor_str()),
                    step: "nodes",
                    reason,
                    api: api_error,
                });
            }
        }
        let started = Instant::now();
        if !drifting.is_empty() {
            let mut last = None;
            // As `kup rotate --mode karpenter`: the workloads that had pods on the drifting
            // pools' nodes must be Ready again before the pools count as done.
            let pools: Vec<String> = drifting.iter().cloned().collect();
            let mut watched = BTreeSet::new();
            loop {
                self.check_cancel(Some(hop))?;
                let snap = cluster::read_snapshot(self.conn, &full_scope())
                    .await
                    .map_err(&read)?;
                watched.extend(workloads_on_pools(&snap, &pools));
                let st = follow_status(&snap, hop, None, &watched);
                let now = (
                    st.behind.len(),
                    st.pools.iter().map(|p| p.drifted).sum::<usize>(),
                    st.pools.iter().map(|p| p.being_replaced).sum::<usize>(),
                );
                if last != Some(now) {
                    emit(
                        &UpgradeEvent::KarpenterDrift {
                            hop: hop.minor_str(),
                            behind: now.0,
                            drifted: now.1,
                            being_replaced: now.2,
                        },
                        out,
                    );
                    last = Some(now);
                }
                if st.done() {
                    break;
                }
                // As `kup rotate --mode karpenter`: when no pool can ever move its nodes
                // (pinned, blocked, a budget that never allows Drifted), waiting changes nothing.
                if st.cannot_move() {
                    return Err(Stop::new(
                        hop,
                        "nodes",
                        format!(
                            "nothing can move the remaining nodes: {} (held by {})",
                            st.behind.join(", "),
                            st.blocked_by.join("; ")
                        ),
                    ));
                }
                if started.elapsed() >= self.args.hop_timeout {
                    return Err(Stop::new(
                        hop,
                        "nodes",
                        format!(
                            "Karpenter has not replaced every node within --hop-timeout: {}{}",
                            st.behind.join(", "),
                            if st.blocked_by.is_empty() {
                                String::new()
                            } else {
                                format!(" (held by {})", st.blocked_by.join("; "))
                            }
                        ),
                    ));
                }
                tokio::time::sleep(POLL).await;
            }
        }
        // The verdict, once the replacements' pods had their time to become Ready.
        loop {
            self.check_cancel(Some(hop))?;
            let after = cluster::read_snapshot(self.conn, &full_scope())
                .await
                .map_err(&read)?;
            let v = verify(&before, &after, hop);
            if v.ok() {
                return Ok(after.nodes.iter().filter(|n| !n.deleting).count());
            }
            if started.elapsed() >= self.args.hop_timeout {
                return Err(Stop::new(hop, "verify", v.describe()));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Runner<'_> {
    /// Every installed EKS add-on to the hop's default (or latest) version, one at a time,
    /// each waited for until ACTIVE. One already updating is waited for, not updated again.
    async fn addons(
        &self,
        hop: &Version,
        emit: &mut Emit<'_>,
        out: &mut dyn Write,
    ) -> Result<(), Stop> {
        if self.args.addons == AddonsMode::Skip {
            return Ok(());
        }
        let fail = api(Some(hop), "addon-update");
        let installed = match self.eks.installed_addons().await {
            Ok(a) => a,
            Err(e) => {
                crate::log::info(format_args!(
                    "kup upgrade: EKS add-ons not read ({e}); they are left as they are"
                ));
                return Ok(());
            }
        };
        let started = Instant::now();
        let hop_name = hop.minor_str();
        for a in installed {
            let mut a = a;
            while a.status == "UPDATING" {
                self.check_cancel(Some(hop))?;
                if started.elapsed() >= self.args.hop_timeout {
                    return Err(Stop::new(
                        hop,
                        "addon-update",
                        format!("add-on {} still UPDATING after --hop-timeout", a.name),
                    ));
                }
                tokio::time::sleep(POLL).await;
                a = self.eks.describe_addon(&a.name).await.map_err(&fail)?;
            }
            let offered = self
                .eks
                .addon_versions(&a.name)
                .await
                .map_err(&fail)?
                .offered_for(&hop_name);
            let latest = self.args.addons == AddonsMode::Latest;
            let Some(to) = upgrade::addons::target_version(&a.version, &offered, latest) else {
                continue;
            };
            let id = self.eks.update_addon(&a.name, &to).await.map_err(&fail)?;
            let event = |status: &str| UpgradeEvent::AddonUpdate {
                hop: hop_name.clone(),
                addon: a.name.clone(),
                from: Some(a.version.clone()),
                to: to.clone(),
                status: status.to_string(),
            };
            emit(&event("InProgress"), out);
            // After EKS's update succeeds, the add-on itself must come back ACTIVE; what it says
            // meanwhile (DEGRADED and its health issues) is what a timeout reports.
            let mut addon_says = None;
            loop {
                self.check_cancel(Some(hop))?;
                let u = self
                    .eks
                    .describe_addon_update(&a.name, &id)
                    .await
                    .map_err(&fail)?;
                match u.status.as_str() {
                    "Successful" => {
                        let now = self.eks.describe_addon(&a.name).await.map_err(&fail)?;
                        if now.status == "ACTIVE" {
                            emit(&event("Successful"), out);
                            break;
                        }
                        addon_says = Some(if now.health_issues.is_empty() {
                            now.status
                        } else {
                            format!("{} ({})", now.status, now.health_issues.join("; "))
                        });
                    }
                    "Failed" | "Cancelled" => {
                        return Err(Stop::new(
                            hop,
                            "addon-update",
                            format!(
                                "EKS update {id} of add-on {} to {to} {}: {}",
                                a.name,
                                u.status.to_lowercase(),
                                u.errors.join("; ")
                            ),
                        ));
                    }
                    _ => {}
                }
                if started.elapsed() >= self.args.hop_timeout {
                    return Err(Stop::new(
                        hop,
                        "addon-update",
                        match &addon_says {
                            Some(state) => format!(
                                "EKS update {id} of add-on {} succeeded, but the add-on is still {state} after --hop-timeout",
                                a.name
                            ),
                            None => format!(
                                "EKS update {id} of add-on {} is still {} after --hop-timeout",
                                a.name, u.status
                            ),
                        },
                    ));
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Ok(())
    }
}

/// The snapshot with EKS and what `kup check` reads beside it (core components, removed-API
/// sources) read into it: the gates judge what `kup check --target HOP` would.
async fn read(conn: &Connection, eks: Option<&Eks>) -> Result<Snapshot, KupError> {
    let scope = full_scope();
    let eks_read = async {
        match eks {
            Some(e) => e.read().await.map(Some),
            None => Ok(None),
        }
    };
    let (mut snapshot, info, (core, apis)) = futures::try_join!(
        cluster::read_snapshot(conn, &scope),
        eks_read,
        read_extras(conn)
    )?;
    snapshot.core_components = core;
    snapshot.apis = Some(apis);
    snapshot.eks = match info {
        Some(i) => EksSection::Read(Box::new(i)),
        None => EksSection::Skipped {
            reason: "the context names no EKS cluster; pass --cluster NAME to read it".into(),
        },
    };
    Ok(snapshot)
}
