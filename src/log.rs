//! Diagnostics on stderr, by `-v`/`-q`. Output proper goes to stdout; this never does.

use std::sync::atomic::{AtomicI8, Ordering};

/// -1 quiet, 0 normal, 1+ verbose.
static LEVEL: AtomicI8 = AtomicI8::new(0);

pub fn set_level(verbose: u8, quiet: bool) {
    let level = if quiet {
        -1
    } else {
        i8::try_from(verbose).unwrap_or(i8::MAX)
    };
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn level() -> i8 {
    LEVEL.load(Ordering::Relaxed)
}

/// Progress notes (hidden by -q).
pub fn info(args: std::fmt::Arguments<'_>) {
    if level() >= 0 {
        eprintln!("{args}");
    }
}

/// Details (shown with -v).
pub fn debug(args: std::fmt::Arguments<'_>) {
    if level() >= 1 {
        eprintln!("kup: {args}");
    }
}
