//! `kup rotate`: plan the rotation of lagging nodes, then (with consent) carry it out batch by
//! batch through `rotate::execute`, streaming events (`-o json`) or progress lines (stderr) and
//! ending with a summary table.

use super::context::{Context, target_of};
use crate::cli::RotateArgs;
use crate::cluster;
use crate::cluster::drain::lease::{self, Acquired, RunLease};
use crate::error::{KupError, exit};
use crate::output::{self, Format};
use crate::rotate::execute::{self, ExecOptions, NodeResult, Outcome};
use crate::rotate::{BlockReason, PlanOptions, ReplaceAction, RotateEvent, RotatePlan};
use comfy_table::Cell;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How to continue after a stop, for messages and the `failed` event.
const RESUME_HINT: &str = "run the same `kup rotate` again: it continues from the kup.dev/rotation \
markers on the nodes; or undo the cordons with `kup rotate --abort`";

pub async fn run(ctx: &Context, args: &RotateArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    let drain_timeout = duration_flag("--drain-timeout", &args.drain_timeout)?;
    let timeout = duration_flag("--timeout", &args.timeout)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    // Refuse before reading anything: without --yes a human must be there to say yes.
    if args.step && !args.dry_run && !interactive {
        return Err(KupError::Usage(
            "--step asks before each node and needs a terminal; without one, use --batch 1 --yes"
                .to_string(),
        ));
    }
    // `--grace-period 0` means force deletion to the API server (kubectl refuses it too).
    if args.grace_period == Some(0) {
        return Err(KupError::Usage(
            "--grace-period 0 would force-delete pods without waiting for them to stop; use \
             at least 1 (or leave it out for each pod's own grace period)"
                .to_string(),
        ));
    }
    if args.abort && !args.yes && !interactive {
        return Err(KupError::Usage(
            "kup rotate --abort changes the cluster and there is no terminal to confirm it on: \
             run again with --yes"
                .to_string(),
        ));
    }
    if !args.yes && !args.dry_run && !args.abort && !interactive {
        return Err(KupError::Usage(
            "kup rotate changes the cluster and there is no terminal to confirm it on: review \
             the plan with --dry-run, then run again with --yes"
                .to_string(),
        ));
    }
    let conn = cluster::connect(&ctx.connect).await?;
    let run_id = run_id();
    if args.abort {
        // Only the nodes carry markers: no need to read every pod.
        let nodes = cluster::drain::list_nodes(&conn).await?;
        return abort(&conn, &run_id, &nodes, args.yes, ctx.format, out).await;
    }
    let scope = cluster::ReadScope {
        node_selector: None,
        workload_selector: None,
        pods: true,
        pdbs: true,
        workloads: true,
        pools: true,
        namespace: None,
    };
    let snapshot = cluster::read_snapshot(&conn, &scope).await?;

    let target = target_of(&snapshot, args.target.target.as_deref())?;
    let selector_nodes = match &ctx.selector {
        Some(sel) => Some(cluster::node_names(&conn, sel).await?.into_iter().collect()),
        None => None,
    };
    let mut opts = PlanOptions {
        nodes: args.nodes.clone(),
        pool: args.pool.clone(),
        selector_nodes,
        batch: args.batch,
        max_unavailable: args.max_unavailable,
        force: args.force,
        delete_emptydir_data: args.delete_emptydir_data,
        mode: args.mode,
        eks_node_groups: Vec::new(),
    };
    let mut plan = crate::rotate::plan(&snapshot, &target, &opts)
        .map_err(|e| KupError::Usage(e.to_string()))?;
    // Managed node groups move with EKS: asked only when the plan has nodes of one.
    let mut eks = None;
    if args.mode == crate::rotate::Mode::Replace
        && plan
            .nodes()
            .any(|n| n.pool.kind == crate::model::PoolKind::NodeGroup)
    {
        match eks_node_groups(&conn).await {
            Ok(Some((client, groups))) => {
                opts.eks_node_groups = groups;
                plan = crate::rotate::plan(&snapshot, &target, &opts)
                    .map_err(|e| KupError::Usage(e.to_string()))?;
                eks = Some(client);
            }
            Ok(None) => {}
            Err(e) if conn.eks_explicit() => return Err(e.into()),
            Err(e) => eprintln!(
                "kup rotate: EKS not available ({e}); nodes of managed node groups are left \
                 cordoned and drained (pass --cluster to make this an error)"
            ),
        }
    }
    let stopping = stopping_blockers(&plan);

    if args.dry_run {
        out.write_all(output::render_rotate_plan(&plan, ctx.format, &ctx.style).as_bytes())?;
        return Ok(if stopping.is_empty() {
            exit::OK
        } else {
            exit::FINDINGS
        });
    }
    if !stopping.is_empty() {
        if ctx.format == Format::Json {
            out.write_all(RotateEvent::plan(&plan, "-").to_json_line().as_bytes())?;
            let failed = RotateEvent::Failed {
                node: None,
                phase: None,
                pod: None,
                pdb: None,
                reason: format!(
                    "the plan is blocked, nothing was changed: {}",
                    stopping.join("; ")
                ),
                resume: "fix the blockers (or pass the flag that allows them), then run again"
                    .to_string(),
            };
            out.write_all(failed.to_json_line().as_bytes())?;
        } else {
            out.write_all(output::render_rotate_plan(&plan, ctx.format, &ctx.style).as_bytes())?;
        }
        eprintln!(
            "kup rotate: the plan is blocked, nothing was changed:\n  - {}",
            stopping.join("\n  - ")
        );
        return Ok(exit::FINDINGS);
    }
    if plan.summary.nodes == 0 {
        if ctx.format == Format::Json {
            out.write_all(RotateEvent::plan(&plan, "-").to_json_line().as_bytes())?;
            let done = RotateEvent::Done {
                nodes: 0,
                pods_moved: 0,
                took_ms: 0,
            };
            out.write_all(done.to_json_line().as_bytes())?;
        } else {
            out.write_all(output::render_rotate_plan(&plan, ctx.format, &ctx.style).as_bytes())?;
        }
        return Ok(exit::OK);
    }
    if !args.yes {
        // Interactive (checked above): show the plan and ask.
        eprint!(
            "{}",
            output::render_rotate_plan(&plan, Format::Table, &ctx.style)
        );
        if !confirm("Rotate these nodes now? [y/N] ")? {
            eprintln!("kup rotate: nothing changed");
            return Ok(exit::OK);
        }
    }

    // One run at a time changes the cluster. Taken only now: a blocked plan, or one the
    // operator declines, changes nothing at all.
    let held = match take_lease(&conn, &run_id, ctx.format, out).await? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let lease_lost = Arc::new(AtomicBool::new(false));
    let renewal = keep_lease(&held, &cancel, &lease_lost);
    let flag = cancel.clone();
    let lease_on_quit = held.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "kup rotate: interrupted; finishing the call in flight and stopping (Ctrl-C \
                 again to quit now)"
            );
            flag.store(true, Ordering::SeqCst);
            // The markers are written before each step, so quitting mid-call leaves nothing a
            // next run or --abort cannot pick up.
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("kup rotate: interrupted again; quitting. {RESUME_HINT}.");
                // Give the Lease back so the next run need not wait for it to expire.
                let _ = tokio::time::timeout(Duration::from_secs(2), lease_on_quit.release()).await;
                std::process::exit(130);
            }
        }
    });
    let exec = ExecOptions {
        run_id: run_id.to_string(),
        drain_timeout,
        grace_period: args.grace_period.map(i64::from),
        timeout,
        resume_hint: RESUME_HINT.to_string(),
        poll: Duration::from_millis(300),
        step: args.step.then_some(ask_node as fn(&str) -> bool),
        lease_lost: Some(lease_lost),
        eks,
    };
    let json = ctx.format == Format::Json;
    // Bars only where a person watches: a terminal, not -q, not --step (its prompts).
    // indicatif decides whether stderr can show them (a terminal that is not `TERM=dumb`).
    let bars = !json
        && !args.step
        && crate::log::level() >= 0
        && !indicatif::ProgressDrawTarget::stderr().is_hidden();
    let mut display = Display::new(bars);
    let outcome = {
        let mut emit = |e: &RotateEvent| {
            if json {
                let _ = out.write_all(e.to_json_line().as_bytes());
                let _ = out.flush();
            } else {
                display.event(e);
            }
        };
        execute::execute(&conn, &plan, &snapshot, &exec, &cancel, &mut emit).await
    };
    ctrl_c.abort();
    renewal.abort();
    held.release().await;
    match outcome {
        Outcome::Done { nodes } => {
            if !json {
                out.write_all(summary(&nodes, &ctx.style).as_bytes())?;
            }
            Ok(exit::OK)
        }
        Outcome::Stopped {
            nodes,
            reason,
            api_error,
            ..
        } => {
            if !json && !nodes.is_empty() {
                out.write_all(summary(&nodes, &ctx.style).as_bytes())?;
            }
            eprintln!("kup rotate stopped: {reason}\nTo continue: {RESUME_HINT}.");
            // The design's exit codes: the API failing is 3 even mid-rotation; 4 is kup
            // stopping on its own terms (timeout, PDB, interrupt).
            Ok(if api_error {
                exit::API
            } else {
                exit::ROTATE_STOPPED
            })
        }
    }
}

/// The EKS client and the managed node groups it can move (ACTIVE ones, or UPDATING: that
/// update is followed); None when the context names no EKS cluster. Groups on a custom AMI
/// are left out: EKS does not version them, their launch template does.
async fn eks_node_groups(
    conn: &cluster::Connection,
) -> Result<Option<(cluster::eks::Eks, Vec<crate::rotate::EksNodeGroup>)>, cluster::ClusterError> {
    let Some(eks) = cluster::eks::open(conn).await? else {
        return Ok(None);
    };
    let groups = eks
        .node_groups()
        .await?
        .into_iter()
        .filter(|g| matches!(g.status.as_str(), "ACTIVE" | "UPDATING"))
        .filter(|g| g.ami_type.as_deref() != Some("CUSTOM"))
        .map(|g| crate::rotate::EksNodeGroup {
            max_unavailable: g.max_unavailable_nodes(),
            name: g.name,
            version: g.version,
            status: g.status,
        })
        .collect();
    Ok(Some((eks, groups)))
}

/// Blockers that stop the run before it changes anything. A PDB that allows no disruption
/// now is not one of them: it is waited for (429s retried) until `--drain-timeout`.
fn stopping_blockers(plan: &RotatePlan) -> Vec<String> {
    plan.blockers()
        .filter(|b| b.blocking && b.reason != BlockReason::PdbAllowsNone)
        .map(|b| format!("{} ({}): {}", b.node, b.reason, b.message))
        .collect()
}

/// Longer waits than this are surely a typo, and `Instant + Duration` must not overflow.
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

fn duration_flag(flag: &str, value: &str) -> Result<Duration, KupError> {
    match cluster::parse_request_timeout(value) {
        Ok(Some(d)) if d <= MAX_WAIT => Ok(d),
        Ok(Some(_)) => Err(KupError::Usage(format!(
            "invalid {flag} \"{value}\": at most 7 days (168h)"
        ))),
        _ => Err(KupError::Usage(format!(
            "invalid {flag} \"{value}\": use a duration like 30s, 5m or 1h (not 0)"
        ))),
    }
}

/// `r-20261124-060512`: sortable, and free of `/` (the marker's separator).
fn run_id() -> String {
    format!("r-{}", jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S"))
}

/// `--step`: one question per node; anything but yes (or a read error) stops there.
fn ask_node(node: &str) -> bool {
    confirm(&format!("Rotate {node} now? [y/N] ")).unwrap_or(false)
}

fn confirm(prompt: &str) -> Result<bool, KupError> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// One line per step on stderr (hidden by -q).
/// What the operator sees on stderr while the rotation runs: indicatif bars on a terminal
/// (one overall bar, one line per node showing its current step), one line per step otherwise
/// (CI logs keep every step).
enum Display {
    Lines,
    Bars {
        multi: indicatif::MultiProgress,
        overall: Option<indicatif::ProgressBar>,
        nodes: std::collections::HashMap<String, indicatif::ProgressBar>,
    },
}

impl Display {
    fn new(bars: bool) -> Display {
        if bars {
            Display::Bars {
                multi: indicatif::MultiProgress::new(),
                overall: None,
                nodes: Default::default(),
            }
        } else {
            Display::Lines
        }
    }

    fn event(&mut self, e: &RotateEvent) {
        let Display::Bars {
            multi,
            overall,
            nodes,
        } = self
        else {
            progress(e);
            return;
        };
        let spinner =
            indicatif::ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        let node_bar = |nodes: &mut std::collections::HashMap<String, indicatif::ProgressBar>,
                        node: &str| {
            nodes
                .entry(node.to_string())
                .or_insert_with(|| {
                    let pb = multi
                        .add(indicatif::ProgressBar::new_spinner().with_style(spinner.clone()));
                    pb.set_prefix(node.to_string());
                    pb.enable_steady_tick(Duration::from_millis(120));
                    pb
                })
                .clone()
        };
        match e {
            RotateEvent::Plan {
                batches,
                node_groups,
                ..
            } => {
                let total = (batches.iter().map(Vec::len).sum::<usize>()
                    + node_groups.values().map(Vec::len).sum::<usize>())
                    as u64;
                let style = indicatif::ProgressStyle::with_template(
                    "rotate [{bar:30}] {pos}/{len} nodes  {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
                *overall = Some(multi.add(indicatif::ProgressBar::new(total).with_style(style)));
            }
            RotateEvent::Cordoned { node, batch } => {
                node_bar(nodes, node).set_message(format!("batch {batch}: cordoned"))
            }
            RotateEvent::Evicted {
                node,
                namespace,
                pod,
                ..
            } => node_bar(nodes, node).set_message(format!("evicted {namespace}/{pod}")),
            RotateEvent::Blocked {
                node,
                namespace,
                pod,
                pdb,
                ..
            } => node_bar(nodes, node).set_message(format!(
                "waiting: eviction of {namespace}/{pod} refused{}",
                pdb.as_ref()
                    .map(|p| format!(" by PodDisruptionBudget {p}"))
                    .unwrap_or_default()
            )),
            RotateEvent::Waiting {
                node,
                pods,
                waited_ms,
                ..
            } => node_bar(nodes, node).set_message(format!(
                "waiting {}s for {} pod(s) to be gone",
                waited_ms / 1000,
                pods.len()
            )),
            RotateEvent::Deleted { node } => {
                node_bar(nodes, node).set_message("deleted, waiting for the replacement")
            }
            RotateEvent::ReplacementReady {
                node,
                replacement,
                kubelet,
                ..
            } => node_bar(nodes, node)
                .set_message(format!("replacement {replacement} Ready ({kubelet})")),
            RotateEvent::Verified { node, .. } => {
                node_bar(nodes, node).finish_with_message("verified");
                if let Some(o) = overall {
                    o.inc(1);
                }
            }
            RotateEvent::NodegroupUpdate {
                nodegroup,
                update_id,
                nodes: old,
                ..
            } => {
                for node in old {
                    node_bar(nodes, node).set_message(format!(
                        "EKS update {update_id} of node group {nodegroup} in progress"
                    ));
                }
            }
            RotateEvent::NodegroupUpdated { nodegroup, .. } => {
                node_bar(nodes, nodegroup).finish_with_message("node group updated");
            }
            RotateEvent::Done { .. } => {
                if let Some(o) = overall {
                    o.finish();
                }
            }
            RotateEvent::Failed { .. } => {
                for pb in nodes.values() {
                    pb.abandon();
                }
                if let Some(o) = overall {
                    o.abandon();
                }
            }
        }
    }
}

fn progress(e: &RotateEvent) {
    let line = match e {
        RotateEvent::Plan {
            run_id,
            batches,
            node_groups,
            ..
        } => {
            let mut line = format!(
                "run {run_id}: {} node(s) in {} batch(es)",
                batches.iter().map(Vec::len).sum::<usize>(),
                batches.len()
            );
            for (group, nodes) in node_groups {
                line.push_str(&format!(
                    ", then node group {group} ({} node(s)) through EKS",
                    nodes.len()
                ));
            }
            line
        }
        RotateEvent::Cordoned { node, batch } => format!("[batch {batch}] {node}: cordoned"),
        RotateEvent::Evicted {
            node,
            namespace,
            pod,
            attempts,
            ..
        } => format!("  {node}: evicted {namespace}/{pod} ({attempts} call(s))"),
        RotateEvent::Blocked {
            node,
            namespace,
            pod,
            pdb,
            message,
            ..
        } => format!(
            "  {node}: eviction of {namespace}/{pod} refused{}: {message}; retrying",
            pdb.as_ref()
                .map(|p| format!(" by PodDisruptionBudget {p}"))
                .unwrap_or_default()
        ),
        RotateEvent::Waiting {
            node,
            pods,
            message,
            waited_ms,
        } => format!(
            "  {node}: {} pod(s) still there after {}s, {message}: {}",
            pods.len(),
            waited_ms / 1000,
            pods.join(", ")
        ),
        RotateEvent::Deleted { node } => format!("  {node}: node deleted"),
        RotateEvent::ReplacementReady {
            node,
            replacement,
            kubelet,
            ..
        } => format!("  {node}: replacement {replacement} Ready ({kubelet})"),
        RotateEvent::Verified {
            node, workloads, ..
        } => {
            if workloads.is_empty() {
                format!("  {node}: verified")
            } else {
                format!(
                    "  {node}: verified, {} available again",
                    workloads.join(", ")
                )
            }
        }
        RotateEvent::NodegroupUpdate {
            nodegroup,
            update_id,
            version,
            nodes,
            resumed,
        } => format!(
            "[node group {nodegroup}] {} EKS update {update_id} to {version} ({} node(s) to \
             replace)",
            if *resumed { "following" } else { "started" },
            nodes.len()
        ),
        RotateEvent::NodegroupUpdated {
            nodegroup,
            replacements,
            took_ms,
            ..
        } => format!(
            "[node group {nodegroup}] updated in {:.1}s; its nodes: {}",
            *took_ms as f64 / 1000.0,
            replacements.join(", ")
        ),
        RotateEvent::Done {
            nodes, pods_moved, ..
        } => format!("done: {nodes} node(s) rotated, {pods_moved} pod(s) moved"),
        RotateEvent::Failed { .. } => return,
    };
    crate::log::info(format_args!("{line}"));
}

/// NODE, VERSION (old → new), PODS MOVED, TOOK, then what is left to do.
fn summary(nodes: &[NodeResult], style: &output::Style) -> String {
    let mut t = output::kubectl_table(style);
    t.set_header(vec!["NODE", "VERSION", "REPLACEMENT", "PODS MOVED", "TOOK"]);
    let mut todo = Vec::new();
    for n in nodes {
        let version = match &n.new_kubelet {
            Some(k) => format!("{} → {k}", n.old_kubelet),
            None if matches!(
                n.action,
                ReplaceAction::DeleteNode | ReplaceAction::UpdateNodeGroup
            ) =>
            {
                format!("{} → deleted (pods found room elsewhere)", n.old_kubelet)
            }
            None => format!("{} (unchanged)", n.old_kubelet),
        };
        t.add_row(vec![
            Cell::new(&n.name),
            Cell::new(version),
            Cell::new(n.replacement.as_deref().unwrap_or("-")),
            Cell::new(n.pods_moved),
            Cell::new(format!("{:.1}s", n.took.as_secs_f64())),
        ]);
        if !matches!(
            n.action,
            ReplaceAction::DeleteNode | ReplaceAction::UpdateNodeGroup
        ) {
            todo.push(format!("{}: {}", n.name, n.message));
        }
    }
    let mut s = output::finish_table(&mut t, &[0, 3, 4]);
    for line in todo {
        s.push_str(&format!("→ {line}\n"));
    }
    s
}

/// Takes the run's Lease. `Err(exit code)` when another run holds it or the API refuses it
/// (both already reported: stderr, and a `failed` event with `-o json`).
async fn take_lease(
    conn: &cluster::Connection,
    run_id: &str,
    format: Format,
    out: &mut dyn Write,
) -> Result<Result<Arc<RunLease>, i32>, KupError> {
    let (reason, resume, code) = match lease::acquire(conn, &lease::identity(run_id)).await {
        Ok(Acquired::Held(l)) => return Ok(Ok(l)),
        Ok(Acquired::Busy(holder)) => (
            format!(
                "another kup rotate is running: Lease {}/{} is {}; nothing was changed. Wait \
                 for it to finish; if that run is dead, its Lease expires by itself and the \
                 next run takes over",
                lease::LEASE_NAMESPACE,
                lease::LEASE_NAME,
                holder.describe()
            ),
            "run again once that run has finished".to_string(),
            exit::ROTATE_STOPPED,
        ),
        Err(e) => (
            format!(
                "cannot take Lease {}/{} that keeps two runs from rotating at once: {e}",
                lease::LEASE_NAMESPACE,
                lease::LEASE_NAME
            ),
            RESUME_HINT.to_string(),
            if e.is_configuration() {
                exit::USAGE
            } else {
                exit::API
            },
        ),
    };
    if format == Format::Json {
        let failed = RotateEvent::Failed {
            node: None,
            phase: None,
            pod: None,
            pdb: None,
            reason: reason.clone(),
            resume: resume.clone(),
        };
        out.write_all(failed.to_json_line().as_bytes())?;
    }
    eprintln!("kup rotate stopped: {reason}\nTo continue: {resume}.");
    Ok(Err(code))
}

/// Renews the Lease in the background; losing it stops the run like Ctrl-C.
fn keep_lease(
    held: &Arc<RunLease>,
    cancel: &Arc<AtomicBool>,
    lost: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let flag = cancel.clone();
    let lost = lost.clone();
    held.clone().keep(move |holder| {
        eprintln!(
            "kup rotate: Lease {}/{} was taken over by {}; stopping",
            lease::LEASE_NAMESPACE,
            lease::LEASE_NAME,
            holder.as_deref().unwrap_or("nobody")
        );
        lost.store(true, Ordering::SeqCst);
        flag.store(true, Ordering::SeqCst);
    })
}

/// `--abort`: uncordon what kup cordoned and remove the markers, holding the Lease (undoing
/// the cordons of a live run would let pods back onto nodes it is draining).
async fn abort(
    conn: &cluster::Connection,
    run_id: &str,
    nodes: &[crate::model::Node],
    consent: bool,
    format: Format,
    out: &mut dyn Write,
) -> Result<i32, KupError> {
    let plan = crate::rotate::abort_plan(nodes);
    if plan.nodes.is_empty() {
        writeln!(
            out,
            "Nothing to undo: no node carries a kup.dev/rotation marker."
        )?;
        return Ok(exit::OK);
    }
    if !consent {
        for n in &plan.nodes {
            eprintln!(
                "  {}: remove marker {}{}",
                n.name,
                n.marker,
                undo_note(n, false)
            );
        }
        if !confirm("Undo these? [y/N] ")? {
            return Ok(exit::OK);
        }
    }
    let held = match take_lease(conn, run_id, format, out).await? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let done = execute::abort(conn, &plan).await;
    held.release().await;
    let done = done?;
    for n in &plan.nodes {
        if done.contains(&n.name) {
            writeln!(
                out,
                "{}: marker {} removed{}",
                n.name,
                n.marker,
                undo_note(n, true)
            )?;
        }
    }
    for s in &plan.skipped {
        writeln!(out, "{}: left alone: {}", s.name, s.reason)?;
    }
    Ok(exit::OK)
}

/// `, uncordon(ed)`, or why the node stays cordoned.
fn undo_note(n: &crate::rotate::AbortNode, done: bool) -> String {
    match (&n.keep_cordon, n.uncordon) {
        (Some(why), _) => format!(", left cordoned: {why}"),
        (None, true) if done => ", uncordoned".to_string(),
        (None, true) => ", uncordon".to_string(),
        (None, false) => String::new(),
    }
}
