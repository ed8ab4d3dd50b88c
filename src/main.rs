//! The `kup` binary: parse flags, run the library, map the outcome to an exit code.

use clap::Parser;

fn main() {
    let cli = kup::cli::Cli::parse();
    let code = match kup::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    };
    std::process::exit(code);
}
