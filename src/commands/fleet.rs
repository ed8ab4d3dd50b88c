//! `kup fleet`: `kup check` for many contexts at once, at most `--parallel` at a time, each with
//! its own timeout, each turned into one row as soon as it is read (its snapshot and report are
//! dropped then, so memory grows with the parallelism, not with the fleet).

use super::check::read_report;
use super::context::{Context, target_of};
use crate::cli::FleetArgs;
use crate::cluster::{self, ClusterError, ConnectOptions};
use crate::error::KupError;
use crate::fleet::{self, FleetRow, FleetTarget};
use crate::model::Snapshot;
use crate::output::{self, human_duration};
use crate::version::Version;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

pub async fn run(ctx: &Context, args: &FleetArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    if ctx.connect.context.is_some() {
        return Err(KupError::Usage(
            "kup fleet reads many contexts: choose them with --contexts A,B or --match REGEX, \
             not --context"
                .to_string(),
        ));
    }
    if ctx.connect.eks_cluster.is_some() {
        return Err(KupError::Usage(
            "--cluster names one EKS cluster; kup fleet takes each context's own (from its \
             ARN or exec entry)"
                .to_string(),
        ));
    }
    let known = cluster::context_names(ctx.connect.kubeconfig.as_deref())?;
    let chosen = fleet::select_contexts(&known, &args.contexts, args.matching.as_ref())
        .map_err(KupError::Usage)?;
    let total = chosen.len();
    let shared = Arc::new((ctx.clone(), args.target.clone()));
    let permits = Arc::new(tokio::sync::Semaphore::new(args.parallel.get()));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, context) in chosen.iter().cloned().enumerate() {
        let shared = Arc::clone(&shared);
        let permits = Arc::clone(&permits);
        let timeout = args.timeout;
        let runtime = tokio::runtime::Handle::current();
        tasks.spawn(async move {
            // (the semaphore is never closed)
            let _permit = permits.acquire_owned().await.ok();
            // The check's future is not `Send` as rustc sees it (closures in the EKS reads
            // trip its higher-ranked lifetime check), so it cannot be spawned; each cluster
            // is driven on a blocking-pool thread instead, its I/O still on the runtime, so
            // clusters are read (and parsed) in parallel on every core.
            let row = tokio::task::spawn_blocking(move || {
                let (ctx, target) = &*shared;
                runtime.block_on(one_cluster(ctx, context.clone(), target.as_ref(), timeout))
            })
            .await;
            (i, row)
        });
    }
    let progress = std::io::stderr().is_terminal() && crate::log::level() >= 0;
    let mut rows: Vec<Option<FleetRow>> = vec![None; total];
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        // A panic in one cluster's task must not take the others' rows with it.
        let (i, row) = match joined {
            Ok((i, Ok(row))) => (i, row),
            Ok((i, Err(e))) => (
                i,
                FleetRow::unreadable(&chosen[i], format!("kup failed: {e}")),
            ),
            Err(e) => {
                let i = rows.iter().position(Option::is_none).unwrap_or(0);
                (
                    i,
                    FleetRow::unreadable(&chosen[i], format!("kup failed: {e}")),
                )
            }
        };
        rows[i] = Some(row);
        done += 1;
        if progress {
            eprint!("\rkup fleet: {done}/{total} clusters read");
            let _ = std::io::stderr().flush();
        }
    }
    if progress {
        eprint!("\r\x1b[K");
    }
    let rows: Vec<FleetRow> = rows
        .into_iter()
        .zip(&chosen)
        .map(|(r, c)| r.unwrap_or_else(|| FleetRow::unreadable(c, "not read".to_string())))
        .collect();
    let code = fleet::exit_code(&rows, args.fail_on);
    let report = fleet::fleet_report(args.target.as_ref(), rows);
    output::write_fleet(&report, ctx.format, &ctx.style, args.fail_on, out)?;
    Ok(code)
}

/// One context's row: its check report made compact, or why it could not be read.
async fn one_cluster(
    ctx: &Context,
    context: String,
    target: Option<&FleetTarget>,
    timeout: Duration,
) -> FleetRow {
    let connect = ConnectOptions {
        context: Some(context.clone()),
        ..ctx.connect.clone()
    };
    let pick = |s: &Snapshot| -> Result<Version, KupError> {
        match target {
            None => target_of(s, None),
            Some(t) => match FleetTarget::resolve(Some(t), s.control_plane.parsed.as_ref().ok()) {
                Some(v) => Ok(v),
                None => Err(ClusterError::BadServerVersion {
                    version: s.control_plane.git_version.clone(),
                    reason: "+1 needs the control plane's version".to_string(),
                }
                .into()),
            },
        }
    };
    match tokio::time::timeout(timeout, read_report(ctx, &connect, &pick)).await {
        Ok(Ok(checked)) => FleetRow::of(&context, checked.eks_cluster, checked.report),
        Ok(Err(e)) => FleetRow::unreadable(&context, e.to_string()),
        Err(_) => FleetRow::unreadable(
            &context,
            format!(
                "timed out after {} (--timeout)",
                human_duration(timeout.as_secs() as i64)
            ),
        ),
    }
}
