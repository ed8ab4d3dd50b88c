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
use std::io::{BufWriter, ErrorKind, Write};

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
    let stdout = std::io::stdout();
    // Reports go through a buffer and stop quietly when the reader has gone (`| head`).
    // Rotate and upgrade write progress events as they happen: their stdout stays unbuffered.
    let mut report = ReportOut {
        out: BufWriter::new(stdout.lock()),
        closed: false,
    };
    let code = match cli.command {
        Command::Completions(args) => completions::run(args.shell, &mut report),
        Command::Drift(args) => {
            drift::run(&Context::from_args(&cli.global)?, &args, &mut report).await
        }
        Command::Check(args) => {
            check::run(&Context::from_args(&cli.global)?, &args, &mut report).await
        }
        Command::Workloads(args) => {
            workloads::run(&Context::from_args(&cli.global)?, &args, &mut report).await
        }
        Command::Fleet(args) => {
            fleet::run(&Context::from_args(&cli.global)?, &args, &mut report).await
        }
        Command::Rotate(args) => {
            drop(report);
            let mut out = stdout.lock();
            return rotate::run(&Context::from_args(&cli.global)?, &args, &mut out).await;
        }
        Command::Upgrade(args) => {
            drop(report);
            let mut out = stdout.lock();
            return upgrade::run(&Context::from_args(&cli.global)?, &args, &mut out).await;
        }
        Command::Demo(args) => {
            drop(report);
            return demo::run(&cli.global, &args).await;
        }
    }?;
    report.flush()?;
    Ok(code)
}

/// A report's stdout: buffered, and once the reader has closed the pipe every later write is
/// dropped, so the command ends with its own exit code instead of a write error.
struct ReportOut<W: Write> {
    out: W,
    closed: bool,
}

impl<W: Write> ReportOut<W> {
    fn quiet(&mut self, r: std::io::Result<()>) -> std::io::Result<()> {
        match r {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

impl<W: Write> Write for ReportOut<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.out.write_all(buf);
        self.quiet(r).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.out.flush();
        self.quiet(r)
    }
}
