//! `kup rotate --abort`: undo an interrupted rotation.

use super::confirm;
use super::lease::take_lease;
use crate::cluster;
use crate::error::{KupError, exit};
use crate::output::{self, Format};
use crate::rotate::execute;
use std::io::Write;

/// `--abort`: uncordon what kup cordoned and remove the markers, holding the Lease (undoing
/// the cordons of a live run would let pods back onto nodes it is draining).
pub(super) async fn abort(
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
                output::undo_note(n, false)
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
                output::undo_note(n, true)
            )?;
        }
    }
    for s in &plan.skipped {
        writeln!(out, "{}: left alone: {}", s.name, s.reason)?;
    }
    Ok(exit::OK)
}
