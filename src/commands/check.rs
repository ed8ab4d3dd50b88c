//! `kup check`: the readiness report. Its exit code gates CI through `--fail-on`.

use super::context::{Context, target_of};
use crate::checks;
use crate::cli::CheckArgs;
use crate::cluster;
use crate::error::{KupError, exit};
use crate::{output, report};
use std::io::Write;

pub async fn run(ctx: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    let conn = cluster::connect(&ctx.connect).await?;
    // Placement needs every node (a pool's shape comes from them); `-l` narrows the skew part.
    let scope = cluster::ReadScope {
        node_selector: None,
        pods: true,
        pdbs: true,
        workloads: true,
        pools: true,
        ..ctx.scope()
    };
    let (mut snapshot, selected) = match &ctx.selector {
        None => (cluster::read_snapshot(&conn, &scope).await?, None),
        Some(sel) => {
            let (s, names) = futures::try_join!(
                cluster::read_snapshot(&conn, &scope),
                cluster::node_names(&conn, sel)
            )?;
            (s, Some(names))
        }
    };
    let target = target_of(&snapshot, args.target.target.as_deref())?;
    let placement = checks::placement_findings(&snapshot, &target, &ctx.config);
    if let Some(names) = selected {
        snapshot.nodes.retain(|n| names.contains(&n.name));
    }
    let report = report::check_report(&snapshot, &target, placement);
    out.write_all(output::render_check(&report, ctx.format, &ctx.style).as_bytes())?;
    Ok(if checks::exceeds(&report.findings, args.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
