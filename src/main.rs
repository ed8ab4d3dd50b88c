//! The `kup` binary (also the kubectl plugin `kubectl-kup`): parse flags, run the library, map the outcome to an exit code.

fn main() {
    let cli = kup::kubectl_plugin::parse_args(std::env::args_os());
    let code = match kup::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    };
    std::process::exit(code);
}
