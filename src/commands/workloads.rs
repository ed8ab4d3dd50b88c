//! `kup workloads`: each workload's placement verdict against the node pools.

use super::context::{Context, target_of};
use crate::checks;
use crate::cli::CheckArgs;
use crate::cluster;
use crate::error::{KupError, exit};
use crate::{output, report};
use std::io::Write;

pub async fn run(ctx: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    let conn = cluster::connect(&ctx.connect).await?;
    // Every node counts for where a workload fits; `-l` narrows the workloads instead.
    let scope = cluster::ReadScope {
        node_selector: None,
        workload_selector: ctx.selector.clone(),
        pods: true,
        workloads: true,
        pools: true,
        ..ctx.scope()
    };
    let snapshot = cluster::read_snapshot(&conn, &scope).await?;
    let target = target_of(&snapshot, args.target.target.as_ref())?;
    let verdicts = checks::workload_verdicts(&snapshot, &target, &ctx.config);
    let report = report::workloads_report(&snapshot, &target, verdicts);
    match ctx.format {
        output::Format::Junit => out.write_all(
            output::render_junit(
                "kup workloads",
                &[output::JunitSuite::workloads(&conn.context, &report)],
                args.fail_on,
            )
            .as_bytes(),
        )?,
        format => output::write_workloads(&report, format, &ctx.style, out)?,
    }
    Ok(if checks::exceeds(&report.findings, args.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
