//! `kup demo`: the upgrade story of the workshop, run with the real code paths against
//! kup-sim started in-process on a loopback port.

use super::context::Context;
use crate::cli::{Cli, Command, DemoArgs, GlobalArgs};
use crate::error::KupError;
use clap::Parser;
use std::io::Write;
use std::path::PathBuf;

/// The story: why, then the command exactly as a user types it. Each line is parsed with
/// kup's own flags and run through the same code as on a real cluster.
const STORY: &[(&str, &str)] = &[
    (
        "The EKS control plane has just been upgraded. Which nodes still run the old kubelet?",
        "kup drift",
    ),
    (
        "Is the cluster ready, by the version-skew policy? (--fail-on warning makes lagging nodes fail CI)",
        "kup check --fail-on warning",
    ),
    (
        "Karpenter only launches new nodes for pods with the pool's nodeSelector AND toleration. Will they land?",
        "kup workloads",
    ),
    (
        "Planning the next upgrade: what must move before the control plane may go to 1.26?",
        "kup drift --target 1.26",
    ),
    (
        "Replace every lagging node step by step: the Karpenter node is cordoned, drained through its PDBs and deleted; the managed node group moves with EKS's UpdateNodegroupVersion",
        "kup rotate --yes",
    ),
    (
        "Every node now runs the control plane's version",
        "kup drift --fail-on warning",
    ),
    (
        "Now the next two minors: the plan, hop by hop (with -o markdown, a runbook to review)",
        "kup upgrade --to 1.27 --dry-run",
    ),
    (
        "kube-proxy runs here without an EKS add-on, and the plan's gate of 1.27 says it would lag too far: the manual step, as the runbook says",
        KUBE_PROXY_STEP,
    ),
    (
        "Upgrade: for each hop the gate, the control plane, the add-ons, the node group, the other nodes, the verdict",
        "kup upgrade --to 1.27 --yes",
    ),
    (
        "Every node runs 1.27, like the control plane",
        "kup drift --fail-on warning",
    ),
];

/// The one step that is not kup's: a self-managed kube-proxy moved to the nodes' minor (1.25),
/// so it stays within its skew policy at 1.27.
const KUBE_PROXY_STEP: &str = "kubectl set image daemonset/kube-proxy -n kube-system kube-proxy=602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.25.16-minimal-eksbuild.1";

pub async fn run(global: &GlobalArgs, args: &DemoArgs) -> Result<i32, KupError> {
    let Some(text) = kup_sim::scenario::builtin(&args.scenario) else {
        return Err(KupError::Usage(format!(
            "unknown demo scenario \"{}\" (built in: {})",
            args.scenario,
            kup_sim::scenario::BUILTIN_NAMES.join(", ")
        )));
    };
    let source = kup_sim::scenario::ScenarioSource {
        text: Some((format!("builtin:{}", args.scenario), text.to_string())),
        ..Default::default()
    };
    let opts = kup_sim::SimOptions {
        source,
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        token: None,
        readonly_token: None,
        noaccess_token: None,
    };
    let sim = kup_sim::start(opts)
        .await
        .map_err(|e| KupError::Sim(e.to_string()))?;
    let dir = demo_dir();
    std::fs::create_dir_all(&dir)?;
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig_yaml(None))?;

    let result = story(global, &kubeconfig, &args.scenario, &sim.url()).await;
    if args.keep && result.is_ok() {
        println!(
            "\nThe simulated cluster keeps running at {} — try kubectl or kup against it:",
            sim.url()
        );
        println!(
            "  export KUBECONFIG={}\nPress Ctrl-C to stop.",
            kubeconfig.display()
        );
        let _ = tokio::signal::ctrl_c().await;
    }
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn story(
    global: &GlobalArgs,
    kubeconfig: &std::path::Path,
    scenario: &str,
    url: &str,
) -> Result<i32, KupError> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "kup demo: the Karpenter upgrade story on a simulated EKS cluster"
    )?;
    writeln!(
        out,
        "(kup-sim, scenario \"{scenario}\", serving the Kubernetes and EKS APIs at {url})\n"
    )?;
    writeln!(out, "$ export KUBECONFIG={}", kubeconfig.display())?;
    for (why, line) in STORY {
        writeln!(out, "\n# {why}\n$ {line}")?;
        out.flush()?;
        if *line == KUBE_PROXY_STEP {
            let ctx = demo_context(global, kubeconfig, url, &Cli::parse_from(["kup", "drift"]))?;
            let conn = crate::cluster::connect(&ctx.connect).await?;
            let image = line.rsplit_once("kube-proxy=").map_or("", |(_, i)| i);
            crate::cluster::set_daemonset_image(&conn, "kube-proxy", "kube-proxy", image).await?;
            writeln!(out, "daemonset.apps/kube-proxy image updated")?;
            continue;
        }
        let parsed = Cli::try_parse_from(line.split_whitespace())
            .map_err(|e| KupError::Usage(format!("demo step `{line}`: {e}")))?;
        let ctx = demo_context(global, kubeconfig, url, &parsed)?;
        let code = match parsed.command {
            Command::Drift(a) => super::drift::run(&ctx, &a, &mut out).await?,
            Command::Check(a) => super::check::run(&ctx, &a, &mut out).await?,
            Command::Workloads(a) => super::workloads::run(&ctx, &a, &mut out).await?,
            Command::Rotate(a) => super::rotate::run(&ctx, &a, &mut out).await?,
            Command::Upgrade(a) => super::upgrade::run(&ctx, &a, &mut out).await?,
            Command::Fleet(a) => super::fleet::run(&ctx, &a, &mut out).await?,
            Command::Completions(_) | Command::Demo(_) => {
                return Err(KupError::Usage(format!(
                    "demo step `{line}` is not a cluster command"
                )));
            }
        };
        if code != 0 {
            writeln!(out, "(exit code {code})")?;
        }
    }
    Ok(crate::exit::OK)
}

fn demo_dir() -> PathBuf {
    std::env::temp_dir().join(format!("kup-demo-{}", std::process::id()))
}

/// The step's own flags, on the demo's cluster, shown the way the user asked for.
fn demo_context(
    global: &GlobalArgs,
    kubeconfig: &std::path::Path,
    url: &str,
    parsed: &Cli,
) -> Result<Context, KupError> {
    let mut g = parsed.global.clone();
    g.kubeconfig = Some(kubeconfig.display().to_string());
    g.context = None;
    (g.output, g.color, g.verbose, g.quiet) =
        (global.output, global.color, global.verbose, global.quiet);
    let mut ctx = Context::from_args(&g)?;
    // kup-sim also serves the EKS API; no AWS account or credentials involved.
    ctx.connect.aws.demo_endpoint = Some(url.to_string());
    Ok(ctx)
}
