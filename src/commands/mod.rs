//! One module per subcommand: each connects, reads a snapshot, computes on it with the pure
//! core, renders, and returns the exit code. `run` is what `main` calls.

mod check;
mod completions;
mod context;
pub mod demo;
mod drift;
mod fleet;
mod rotate;
mod upgrade;
mod workloads;

pub use completions::{COMPLETION_FILES, completion_script};
pub use context::Context;

use crate::cli::{Cli, Command};
use crate::error::KupError;

/// Runs one kup invocation and returns its exit code (errors map through `KupError::exit_code`).
pub fn run(cli: Cli) -> Result<i32, KupError> {
    crate::log::set_level(cli.global.verbose, cli.global.quiet);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(cli))
}

pub async fn run_async(cli: Cli) -> Result<i32, KupError> {
    let junit_ok = matches!(
        cli.command,
        Command::Check(_) | Command::Workloads(_) | Command::Fleet(_)
    );
    if cli.global.output == crate::output::Format::Junit && !junit_ok {
        return Err(KupError::Usage(
            "-o junit reports checks: it is for `kup check`, `kup workloads` and `kup fleet`"
                .to_string(),
        ));
    }
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Completions(args) => completions::run(args.shell, &mut out),
        Command::Drift(args) => {
            drift::run(&Context::from_args(&cli.global)?, &args, &mut out).await
        }
        Command::Check(args) => {
            check::run(&Context::from_args(&cli.global)?, &args, &mut out).await
        }
        Command::Workloads(args) => {
            workloads::run(&Context::from_args(&cli.global)?, &args, &mut out).await
        }
        Command::Fleet(args) => {
            fleet::run(&Context::from_args(&cli.global)?, &args, &mut out).await
        }
        Command::Rotate(args) => {
            rotate::run(&Context::from_args(&cli.global)?, &args, &mut out).await
        }
        Command::Upgrade(args) => {
            upgrade::run(&Context::from_args(&cli.global)?, &args, &mut out).await
        }
        Command::Demo(args) => {
            drop(out);
            demo::run(&cli.global, &args).await
        }
    }
}
