//! `kup rotate`: plan the rotation of lagging nodes, then (with consent) carry it out batch by
//! batch through `rotate::execute`, streaming events (`-o json`) or progress lines (stderr) and
//! ending with a summary table.

mod abort;
mod follow;
mod lease;

use super::context::{Context, target_of};
use crate::cli::RotateArgs;
use crate::cluster;
use crate::error::{KupError, exit};
use crate::output::{self, Format};
use crate::rotate::execute::{self, ExecOptions, Outcome};
use crate::rotate::{EksNodeGroup, PlanOptions, RotateEvent};
use lease::{keep_lease, on_ctrl_c, take_lease};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How to continue after a stop, for messages and the `failed` event.
const RESUME_HINT: &str = "run the same `kup rotate` again: it continues from the kup.dev/rotation \
markers on the nodes; or undo the cordons with `kup rotate --abort`";

pub async fn run(ctx: &Context, args: &RotateArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    // Refuse before reading anything: without --yes a human must be there to say yes.
    if args.step && !args.dry_run && !interactive {
        return Err(KupError::Usage(
            "--step asks before each node and needs a terminal; without one, use --batch 1 --yes"
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
    // `--mode karpenter` changes nothing: nothing to confirm.
    let changes = args.mode != crate::rotate::Mode::Karpenter;
    if changes && !args.yes && !args.dry_run && !args.abort && !interactive {
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
        return abort::abort(&conn, &run_id, &nodes, args.yes, ctx.format, out).await;
    }
    let scope = cluster::ReadScope {
        pods: true,
        pdbs: true,
        workloads: true,
        pools: true,
        karpenter: true,
        ..Default::default()
    };
    let snapshot = cluster::read_snapshot(&conn, &scope).await?;
    let target = target_of(&snapshot, args.target.target.as_ref())?;
    if args.mode == crate::rotate::Mode::Karpenter {
        return follow::follow(ctx, args, &conn, &scope, snapshot, &target, out).await;
    }
    let selector_nodes = match &ctx.selector {
        Some(sel) => Some(cluster::node_names(&conn, sel).await?.into_iter().collect()),
        None => None,
    };
    let mut opts = PlanOptions {
        nodes: args.nodes.clone(),
        pool: args.pool.clone(),
        selector_nodes,
        batch: args.batch.get(),
        max_unavailable: args.max_unavailable,
        force: args.force,
        delete_emptydir_data: args.delete_emptydir_data,
        mode: args.mode,
        eks_node_groups: Vec::new(),
        ignore_budgets: args.ignore_budgets,
    };
    let usage = |e: crate::rotate::PlanError| KupError::Usage(e.to_string());
    // Managed node groups move with EKS: asked only when the plan will hold nodes of one, and
    // before planning, so that there is one plan.
    let mut eks = None;
    if crate::rotate::needs_node_groups(&snapshot, &target, &opts).map_err(usage)? {
        match node_groups(&conn).await {
            Ok(Some((client, groups))) => {
                opts.eks_node_groups = EksNodeGroup::movable(&groups);
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
    let plan = crate::rotate::plan(&snapshot, &target, &opts).map_err(usage)?;
    let stopping: Vec<String> = plan
        .stopping_blockers()
        .map(|b| format!("{} ({}): {}", b.node, b.reason, b.message))
        .collect();

    if args.dry_run {
        out.write_all(output::render_rotate_plan(&plan, ctx.format, &ctx.style).as_bytes())?;
        return Ok(if plan.is_clear() {
            exit::OK
        } else {
            exit::FINDINGS
        });
    }
    if !plan.is_clear() {
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
        out.write_all(output::plan_not_run(&plan, &failed, ctx.format, &ctx.style).as_bytes())?;
        eprintln!(
            "kup rotate: the plan is blocked, nothing was changed:\n  - {}",
            stopping.join("\n  - ")
        );
        return Ok(exit::FINDINGS);
    }
    if plan.summary.nodes == 0 {
        let done = RotateEvent::Done {
            nodes: 0,
            pods_moved: 0,
            took_ms: 0,
        };
        out.write_all(output::plan_not_run(&plan, &done, ctx.format, &ctx.style).as_bytes())?;
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
    let ctrl_c = on_ctrl_c(&cancel, &held);
    let exec = ExecOptions {
        run_id: run_id.to_string(),
        drain_timeout: args.drain_timeout,
        grace_period: args.grace_period.map(i64::from),
        timeout: args.timeout,
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
    let mut progress = output::Progress::new(bars);
    let outcome = {
        let mut emit = |e: &RotateEvent| {
            if json {
                let _ = out.write_all(e.to_json_line().as_bytes());
                let _ = out.flush();
            } else {
                progress.event(e);
            }
        };
        execute::execute(&conn, &plan, &snapshot, &exec, &cancel, &mut emit).await
    };
    ctrl_c.abort();
    renewal.abort();
    held.release().await;
    let (nodes, stopped) = match outcome {
        Outcome::Done { nodes } => (nodes, None),
        Outcome::Stopped {
            nodes,
            reason,
            api_error,
            ..
        } => (nodes, Some((reason, api_error))),
    };
    if !json && !nodes.is_empty() {
        out.write_all(output::run_summary(&nodes, &ctx.style).as_bytes())?;
    }
    let Some((reason, api_error)) = stopped else {
        return Ok(exit::OK);
    };
    eprintln!("kup rotate stopped: {reason}\nTo continue: {RESUME_HINT}.");
    // The design's exit codes: the API failing is 3 even mid-rotation; 4 is kup stopping on
    // its own terms (timeout, PDB, interrupt).
    Ok(if api_error {
        exit::API
    } else {
        exit::ROTATE_STOPPED
    })
}

/// The EKS client and what EKS says of the node groups; None when the context names no EKS
/// cluster.
async fn node_groups(
    conn: &cluster::Connection,
) -> Result<Option<(cluster::eks::Eks, Vec<crate::eks::NodeGroup>)>, cluster::ClusterError> {
    let Some(eks) = cluster::eks::open(conn).await? else {
        return Ok(None);
    };
    let groups = eks.node_groups().await?;
    Ok(Some((eks, groups)))
}

/// `r-20261124-060512`: sortable, and free of `/` (the marker's separator).
fn run_id() -> String {
    format!("r-{}", jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S"))
}

/// `--step`: one question per node; anything but yes (or a read error) stops there.
fn ask_node(node: &str) -> bool {
    confirm(&format!("Rotate {node} now? [y/N] ")).unwrap_or(false)
}

/// A yes/no question on stderr (the `--yes`-less runs of `rotate` and `upgrade`).
pub(super) fn confirm(prompt: &str) -> Result<bool, KupError> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
