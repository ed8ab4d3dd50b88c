//! `kup-sim`: run a simulated EKS cluster until SIGINT/SIGTERM.

use clap::Parser;
use kup_sim::scenario::ScenarioSource;
use kup_sim::{SimOptions, start};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// A simulated EKS cluster (Kubernetes API + Karpenter) for kup's tests, demo and benchmark.
#[derive(Parser, Debug)]
#[command(name = "kup-sim", version)]
struct Cli {
    /// Scenario file (YAML). Without any source, the built-in workshop scenario.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Directory of Kubernetes manifests (*.yaml, *.yml) to load.
    #[arg(long)]
    manifests: Option<PathBuf>,
    /// Generate a large cluster, e.g. `nodes=5000,pods=150000,deployments=2000,pools=4`.
    #[arg(long)]
    generate: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Write a kubeconfig for this sim to PATH.
    #[arg(long, value_name = "PATH")]
    kubeconfig_out: Option<PathBuf>,
    /// Require `Authorization: Bearer TOKEN` (full access).
    #[arg(long)]
    token: Option<String>,
    /// A second token that may only read (writes get 403).
    #[arg(long)]
    readonly_token: Option<String>,
    /// A token of a user bound to no role: discovery works, every resource gets 403.
    #[arg(long)]
    noaccess_token: Option<String>,
    /// Seed for everything random (generator, uids, faults).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Control-plane gitVersion when the scenario gives none, e.g. `v1.25.16-eks-3025e55`.
    #[arg(long, value_name = "GITVERSION")]
    kube_version: Option<String>,
    /// Start the sim clock at this RFC 3339 time (e.g. `2023-12-01T00:00:00Z`) instead of the
    /// scenario's `cluster.now` (or the real time when the scenario pins none).
    #[arg(long, value_name = "RFC3339")]
    now: Option<jiff::Timestamp>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kup-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    // No source at all: scenario::load uses the built-in workshop scenario.
    let source = ScenarioSource {
        file: cli.scenario,
        text: None,
        manifests: cli.manifests,
        generate: cli.generate,
        seed: cli.seed,
        kube_version: cli.kube_version,
        now: cli.now,
    };
    let token = cli.token.clone();
    let handle = match start(SimOptions {
        source,
        listen: cli.listen,
        token: cli.token,
        readonly_token: cli.readonly_token,
        noaccess_token: cli.noaccess_token,
    })
    .await
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("kup-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &cli.kubeconfig_out
        && let Err(e) = std::fs::write(path, handle.kubeconfig_yaml(token.as_deref()))
    {
        eprintln!("kup-sim: cannot write kubeconfig {}: {e}", path.display());
        handle.shutdown().await;
        return ExitCode::FAILURE;
    }
    let signal = shutdown_signal();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", handle.url());
    let _ = out.flush();
    drop(out);
    signal.await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called (before
/// "listening" is printed), so a signal sent as soon as the line is read is never missed: its
/// default action would kill the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
