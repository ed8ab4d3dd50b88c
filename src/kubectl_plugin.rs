//! kup as a kubectl plugin: the same binary, installed (symlinked or copied) on PATH as
//! `kubectl-kup`, is what kubectl runs for `kubectl kup ...`. kubectl passes every argument
//! after `kup` as-is and its environment (KUBECONFIG included), so kup's own flags, named like
//! kubectl's (`--kubeconfig`, `--context`, `-n`, `-l`, `--request-timeout`, `-o`), behave the
//! same either way; only the name in help and usage messages changes.

use crate::cli::Cli;
use clap::FromArgMatches;
use std::ffi::OsString;
use std::path::Path;

/// The file name kubectl looks up on PATH for `kubectl kup`.
pub const PLUGIN_FILE: &str = "kubectl-kup";

/// True when argv[0] names the plugin (`/usr/local/bin/kubectl-kup`, `kubectl-kup.exe`).
pub fn run_as_plugin(argv0: &OsString) -> bool {
    Path::new(argv0)
        .file_stem()
        .is_some_and(|stem| stem == PLUGIN_FILE)
}

/// Parses the command line; usage errors and `--help` exit here as clap does, naming the
/// command the way the user typed it (`kubectl kup` or `kup`).
pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Cli {
    let args: Vec<OsString> = args.into_iter().collect();
    let mut cmd = Cli::command();
    if args.first().is_some_and(run_as_plugin) {
        cmd = cmd.bin_name("kubectl kup");
    }
    let matches = cmd.get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_is_known_by_its_file_name() {
        for (argv0, plugin) in [
            ("/usr/local/bin/kubectl-kup", true),
            ("kubectl-kup", true),
            ("C:\\bin\\kubectl-kup.exe", cfg!(windows)),
            ("/usr/bin/kup", false),
            ("kubectl-kupx", false),
            ("kubectl", false),
        ] {
            assert_eq!(run_as_plugin(&argv0.into()), plugin, "{argv0}");
        }
    }

    #[test]
    fn usage_names_kubectl_kup_when_run_as_the_plugin() {
        let mut cmd = Cli::command().bin_name("kubectl kup");
        let usage = cmd.render_usage().to_string();
        assert!(usage.contains("kubectl kup"), "{usage}");
        let cli = parse_args(
            ["/x/kubectl-kup", "drift", "--context", "prod", "-n", "apps"].map(OsString::from),
        );
        assert_eq!(cli.global.context.as_deref(), Some("prod"));
        assert_eq!(cli.global.namespace.as_deref(), Some("apps"));
        assert!(matches!(cli.command, crate::cli::Command::Drift(_)));
    }
}
