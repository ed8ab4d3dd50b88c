//! `kup rotate`: plan the rotation of lagging nodes, then (with consent) carry it out batch by
//! batch through `rotate::execute`, streaming events (`-o json`) or progress lines (stderr) and
//! ending with a summary table.

use super::context::{Context, target_of};
use crate::cli::RotateArgs;
use crate::cluster;
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
    if args.abort {
        // Only the nodes carry markers: no need to read every pod.
        let nodes = cluster::drain::list_nodes(&conn).await?;
        return abort(&conn, &nodes, args.yes, out).await;
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
    let opts = PlanOptions {
        nodes: args.nodes.clone(),
        pool: args.pool.clone(),
        selector_nodes,
        batch: args.batch,
        max_unavailable: args.max_unavailable,
        force: args.force,
        delete_emptydir_data: args.delete_emptydir_data,
        mode: args.mode,
    };
    let plan = crate::rotate::plan(&snapshot, &target, &opts)
        .map_err(|e| KupError::Usage(e.to_string()))?;
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

    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
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
                std::process::exit(130);
            }
        }
    });
    let exec = ExecOptions {
        run_id: run_id(),
        drain_timeout,
        grace_period: args.grace_period.map(i64::from),
        timeout,
        resume_hint: RESUME_HINT.to_string(),
        poll: Duration::from_millis(300),
        step: args.step.then_some(ask_node as fn(&str) -> bool),
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
        execute::execute(&conn, &plan, &exec, &cancel, &mut emit).await
    };
    ctrl_c.abort();
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
            RotateEvent::Plan { batches, .. } => {
                let total = batches.iter().map(Vec::len).sum::<usize>() as u64;
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
            run_id, batches, ..
        } => format!(
            "run {run_id}: {} node(s) in {} batch(es)",
            batches.iter().map(Vec::len).sum::<usize>(),
            batches.len()
        ),
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
            None if n.action == ReplaceAction::DeleteNode => {
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
        if n.action != ReplaceAction::DeleteNode {
            todo.push(format!("{}: {}", n.name, n.message));
        }
    }
    let mut s = output::finish_table(&mut t, &[0, 3, 4]);
    for line in todo {
        s.push_str(&format!("→ {line}\n"));
    }
    s
}

/// `--abort`: uncordon what kup cordoned and remove the markers.
async fn abort(
    conn: &cluster::Connection,
    nodes: &[crate::model::Node],
    consent: bool,
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
                if n.uncordon { ", uncordon" } else { "" }
            );
        }
        if !confirm("Undo these? [y/N] ")? {
            return Ok(exit::OK);
        }
    }
    let done = execute::abort(conn, &plan).await?;
    for n in &plan.nodes {
        if done.contains(&n.name) {
            writeln!(
                out,
                "{}: marker {} removed{}",
                n.name,
                n.marker,
                if n.uncordon { ", uncordoned" } else { "" }
            )?;
        }
    }
    for s in &plan.skipped {
        writeln!(out, "{}: left alone: {}", s.name, s.reason)?;
    }
    Ok(exit::OK)
}
