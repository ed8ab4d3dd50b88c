//! `kup demo`: the upgrade story of the workshop, run with the real code paths against
//! kup-sim started in-process on a loopback port.

use super::context::Context;
use crate::checks::FailOn;
use crate::cli::{CheckArgs, DemoArgs, DriftArgs, GlobalArgs, TargetArgs};
use crate::error::KupError;
use std::io::Write;
use std::path::PathBuf;

/// One step of the story: what the user would type, and why.
struct Step {
    why: &'static str,
    shown: &'static str,
    run: StepKind,
}

enum StepKind {
    Drift {
        target: Option<&'static str>,
    },
    Check {
        target: Option<&'static str>,
        fail_on: FailOn,
    },
    Workloads,
}

const STORY: &[Step] = &[
    Step {
        why: "The EKS control plane has just been upgraded. Which nodes still run the old kubelet?",
        shown: "kup drift",
        run: StepKind::Drift { target: None },
    },
    Step {
        why: "Is the cluster ready, by the version-skew policy? (--fail-on warning makes lagging nodes fail CI)",
        shown: "kup check --fail-on warning",
        run: StepKind::Check {
            target: None,
            fail_on: FailOn::Warning,
        },
    },
    Step {
        why: "Karpenter only launches new nodes for pods with the pool's nodeSelector AND toleration. Will they land?",
        shown: "kup workloads",
        run: StepKind::Workloads,
    },
    Step {
        why: "Planning the next upgrade: what must move before the control plane may go to 1.26?",
        shown: "kup drift --target 1.26",
        run: StepKind::Drift {
            target: Some("1.26"),
        },
    },
];

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
    let mut g = global.clone();
    g.kubeconfig = Some(kubeconfig.display().to_string());
    g.context = None;
    let ctx = Context::from_args(&g)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "kup demo: the Karpenter upgrade story on a simulated EKS cluster"
    )?;
    writeln!(
        out,
        "(kup-sim, scenario \"{scenario}\", serving the Kubernetes API at {url})\n"
    )?;
    writeln!(out, "$ export KUBECONFIG={}", kubeconfig.display())?;
    for step in STORY {
        writeln!(out, "\n# {}\n$ {}", step.why, step.shown)?;
        out.flush()?;
        let code = match step.run {
            StepKind::Drift { target } => {
                let args = DriftArgs {
                    target: TargetArgs {
                        target: target.map(str::to_string),
                    },
                    fail_on: FailOn::Never,
                };
                super::drift::run(&ctx, &args, &mut out).await?
            }
            StepKind::Workloads => {
                let args = CheckArgs {
                    target: TargetArgs { target: None },
                    fail_on: FailOn::Error,
                };
                super::workloads::run(&ctx, &args, &mut out).await?
            }
            StepKind::Check { target, fail_on } => {
                let args = CheckArgs {
                    target: TargetArgs {
                        target: target.map(str::to_string),
                    },
                    fail_on,
                };
                super::check::run(&ctx, &args, &mut out).await?
            }
        };
        if code != 0 {
            writeln!(out, "(exit code {code})")?;
        }
    }
    writeln!(
        out,
        "\nNext: `kup rotate` will replace the lagging nodes step by step (coming in a later version)."
    )?;
    Ok(crate::exit::OK)
}

fn demo_dir() -> PathBuf {
    std::env::temp_dir().join(format!("kup-demo-{}", std::process::id()))
}
