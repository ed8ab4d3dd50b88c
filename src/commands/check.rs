//! `kup check`: the readiness report. Its exit code gates CI through `--fail-on`.

use super::context::{Context, target_of};
use crate::addons::CoreComponent;
use crate::apis::ApiUsage;
use crate::checks;
use crate::cli::CheckArgs;
use crate::cluster::eks::Eks;
use crate::cluster::{self, ClusterError, ConnectOptions, Connection};
use crate::eks::EksSection;
use crate::error::{KupError, exit};
use crate::model::Snapshot;
use crate::output::Format;
use crate::version::Version;
use crate::{output, report};
use std::io::Write;

pub async fn run(ctx: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<i32, KupError> {
    let flag = args.target.target.as_ref();
    let checked = read_report(ctx, &ctx.connect, &|s: &Snapshot| target_of(s, flag)).await?;
    let report = checked.report;
    match ctx.format {
        Format::Junit => out.write_all(
            output::render_junit(
                "kup check",
                &[output::JunitSuite::check(&checked.context, &report)],
                args.fail_on,
            )
            .as_bytes(),
        )?,
        format => output::write_check(&report, format, &ctx.style, out)?,
    }
    Ok(if checks::exceeds(&report.findings, args.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// One cluster's readiness report, and where it was read.
pub(super) struct Checked {
    pub report: report::CheckReport,
    /// The kubeconfig context.
    pub context: String,
    /// The EKS cluster the context names (as `kup check` derives it), if any.
    pub eks_cluster: Option<String>,
}

/// Connects with CONNECT and makes the readiness report against the version TARGET picks
/// from the snapshot. `kup fleet` calls it once per context.
pub(super) async fn read_report(
    ctx: &Context,
    connect: &ConnectOptions,
    target: &(dyn Fn(&Snapshot) -> Result<Version, KupError> + Sync),
) -> Result<Checked, KupError> {
    let conn = cluster::connect(connect).await?;
    // Placement needs every node (a pool's shape comes from them); `-l` narrows the skew part.
    let scope = cluster::ReadScope {
        node_selector: None,
        pods: true,
        pdbs: true,
        workloads: true,
        pools: true,
        karpenter: true,
        ..ctx.scope()
    };
    let kube = async {
        match &ctx.selector {
            None => Ok((cluster::read_snapshot(&conn, &scope).await?, None)),
            Some(sel) => {
                let (s, names) = futures::try_join!(
                    cluster::read_snapshot(&conn, &scope),
                    cluster::node_names(&conn, sel)
                )?;
                Ok::<_, ClusterError>((s, Some(names)))
            }
        }
    };
    // EKS is read alongside the Kubernetes API; it only fails the command when asked for by name.
    // Either failing ends the command at once.
    let ((mut snapshot, selected), (eks, client), (core, apis)) =
        futures::try_join!(kube, read_eks(&conn), read_extras(&conn))?;
    snapshot.eks = eks;
    snapshot.core_components = core;
    snapshot.apis = Some(apis);
    let target = target(&snapshot)?;
    if let Some(client) = &client {
        confirm_aliases(client, &mut snapshot, std::slice::from_ref(&target)).await;
    }
    let run = checks::Run {
        target: &target,
        families: &checks::Family::ALL,
        skew_nodes: selected.as_ref(),
    };
    let findings = checks::run(&snapshot, &ctx.config, &run);
    // The report's node counts cover the `-l` nodes, as its skew findings do.
    if let Some(names) = &selected {
        snapshot.nodes.retain(|n| names.contains(&n.name));
    }
    let report = report::check_report(&snapshot, &target, findings);
    Ok(Checked {
        report,
        eks_cluster: conn.eks.as_ref().map(|e| e.name.clone()),
        context: conn.context,
    })
}

/// The EKS section: read, or skipped with the reason — unless `--cluster` named the cluster,
/// in which case an EKS failure fails the command (exit 3).
/// What the checks judge beside the snapshot, read at the same time: kube-system's core
/// components and the sources of removed-API use. `kup upgrade`'s gates read the same.
pub(super) async fn read_extras(
    conn: &Connection,
) -> Result<(Vec<CoreComponent>, ApiUsage), ClusterError> {
    futures::try_join!(cluster::core_components(conn), cluster::apis::read(conn))
}

/// Each EC2NodeClass alias resolved through SSM at each target, the way Karpenter will.
pub(super) async fn confirm_aliases(eks: &Eks, snapshot: &mut Snapshot, targets: &[Version]) {
    if let Some(k) = snapshot.karpenter.as_mut() {
        let mut asked = Vec::new();
        for t in targets {
            asked.extend(eks.confirm_aliases(k, t).await);
        }
        k.aliases = asked;
    }
}

async fn read_eks(conn: &Connection) -> Result<(EksSection, Option<Eks>), ClusterError> {
    let explicit = conn.eks_explicit();
    let read = async {
        match cluster::eks::open(conn).await? {
            None => Ok(None),
            Some(eks) => eks.read().await.map(|info| Some((info, eks))),
        }
    };
    let section = match read.await {
        Ok(Some((info, eks))) => return Ok((EksSection::Read(Box::new(info)), Some(eks))),
        Ok(None) => Ok(EksSection::Skipped {
            reason: "the context names no EKS cluster (no EKS ARN, no `aws eks get-token` \
                     entry); pass --cluster NAME to read it"
                .into(),
        }),
        Err(e) if explicit => Err(e),
        Err(e) => Ok(EksSection::Skipped {
            reason: format!("{e} (pass --cluster to make this an error)"),
        }),
    };
    section.map(|s| (s, None))
}
