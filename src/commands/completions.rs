//! `kup completions SHELL`; the same scripts are checked in under `completions/` (a test
//! fails when they are stale).

use crate::cli::Cli;
use crate::error::KupError;
use clap_complete::Shell;
use std::io::Write;

/// The checked-in completion files, by shell.
pub const COMPLETION_FILES: &[(Shell, &str)] = &[
    (Shell::Bash, "kup.bash"),
    (Shell::Zsh, "_kup"),
    (Shell::Fish, "kup.fish"),
    (Shell::PowerShell, "_kup.ps1"),
    (Shell::Elvish, "kup.elv"),
];

pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kup", &mut buf);
    buf
}

pub fn run(shell: Shell, out: &mut dyn Write) -> Result<i32, KupError> {
    out.write_all(&completion_script(shell))?;
    Ok(crate::exit::OK)
}
