//! `kup drift`: nodes whose kubelet lags the control plane (or `--target`), grouped by pool.

use super::context::{Context, target_of};
use crate::checks;
use crate::cli::DriftArgs;
use crate::cluster;
use crate::error::{KupError, exit};
use crate::{output, report};
use std::io::Write;

pub async fn run(ctx: &Context, args: &DriftArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    let conn = cluster::connect(&ctx.connect).await?;
    let scope = cluster::ReadScope {
        pods: true,
        karpenter: true,
        ..ctx.scope()
    };
    let snapshot = cluster::read_snapshot(&conn, &scope).await?;
    let target = target_of(&snapshot, args.target.target.as_ref())?;
    let report = report::drift_report(&snapshot, &target);
    output::write_drift(&report, ctx.format, &ctx.style, out)?;
    let run = checks::Run {
        target: &target,
        families: &[checks::Family::Skew, checks::Family::Version],
        skew_nodes: None,
    };
    let findings = checks::run(&snapshot, &ctx.config, &run);
    Ok(if checks::exceeds(&findings, args.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
