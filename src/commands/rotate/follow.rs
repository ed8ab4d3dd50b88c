//! `kup rotate --mode karpenter`: kup changes nothing; it follows Karpenter's own drift of the
//! selected NodePools until every node is at the target and the workloads are Ready again
//! (exit 0), or `--timeout` passes (exit 4, naming what holds the rest).

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::checks::karpenter::{follow_status, pool_movements, workloads_on_pools};
use crate::cli::RotateArgs;
use crate::cluster::{self, Connection, ReadScope};
use crate::commands::context::Context;
use crate::error::{KupError, exit};
use crate::model::{PoolKind, Snapshot};
use crate::output::{Format, follow_end, follow_progress};
use crate::version::Version;

/// Between reads, as kup's other waits: quick at first (and again after any change), then half
/// as long again each time, up to a tenth of the time waited, between `MIN_CAP` and
/// `LONGEST_POLL` (Karpenter re-checks drift every few minutes; a full read is not free).
const FIRST_POLL: Duration = Duration::from_millis(250);
const MIN_CAP: Duration = Duration::from_secs(1);
const LONGEST_POLL: Duration = Duration::from_secs(5);

pub async fn follow(
    ctx: &Context,
    args: &RotateArgs,
    conn: &Connection,
    scope: &ReadScope,
    first: Snapshot,
    target: &Version,
    out: &mut dyn Write,
) -> Result<i32, KupError> {
    let json = ctx.format == Format::Json;
    let only = match &args.pool {
        Some(p) if p.kind.is_some_and(|k| k != PoolKind::NodePool) => {
            return Err(KupError::Usage(format!(
                "--mode karpenter follows Karpenter NodePools; {p} is not one"
            )));
        }
        Some(p) => Some(p.name.clone()),
        None => None,
    };
    if let Some(name) = &only
        && !first
            .karpenter
            .as_ref()
            .and_then(|k| k.node_pools.as_ref())
            .is_some_and(|ps| ps.iter().any(|p| &p.name == name))
    {
        return Err(KupError::Usage(format!("no NodePool {name:?}")));
    }
    let started = Instant::now();
    let mut snapshot = first;
    let mut last = String::new();
    let mut pause = FIRST_POLL;
    // The workloads to see Ready again: those with pods on the followed pools' nodes, at the
    // start or at any read since (pods that moved on to replacements stay watched).
    let mut watched = BTreeSet::new();
    loop {
        let pools: Vec<String> = pool_movements(&snapshot, target)
            .into_iter()
            .map(|m| m.node_pool)
            .filter(|p| only.as_ref().is_none_or(|o| o == p))
            .collect();
        watched.extend(workloads_on_pools(&snapshot, &pools));
        let st = follow_status(&snapshot, target, only.as_deref(), &watched);
        let line = follow_progress(&st, json);
        if line != last {
            out.write_all(line.as_bytes())?;
            out.flush()?;
            last = line;
            pause = FIRST_POLL;
        }
        if st.done() {
            let took = started.elapsed().as_millis();
            out.write_all(follow_end(&st, json, took, None).as_bytes())?;
            return Ok(exit::OK);
        }
        if st.cannot_move() {
            let why = "nothing can move the remaining nodes";
            out.write_all(follow_end(&st, json, 0, Some(why)).as_bytes())?;
            return Ok(exit::ROTATE_STOPPED);
        }
        let waited = started.elapsed();
        if waited >= args.timeout {
            let why = format!(
                "Karpenter has not finished after --timeout {}",
                humantime(args.timeout)
            );
            out.write_all(follow_end(&st, json, 0, Some(&why)).as_bytes())?;
            return Ok(exit::ROTATE_STOPPED);
        }
        tokio::time::sleep(pause.min(args.timeout - waited)).await;
        let cap = (waited / 10).clamp(MIN_CAP, LONGEST_POLL);
        pause = (pause * 3 / 2).min(cap);
        snapshot = cluster::read_snapshot(conn, scope).await?;
    }
}

fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}
