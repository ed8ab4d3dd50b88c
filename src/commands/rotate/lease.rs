//! The run's Lease (one `kup rotate` changes the cluster at a time) and Ctrl-C, as the
//! command wires them around the executor.

use super::RESUME_HINT;
use crate::cluster;
use crate::cluster::drain::lease::{self, Acquired, RunLease};
use crate::error::{KupError, exit};
use crate::output::Format;
use crate::rotate::RotateEvent;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Takes the run's Lease. `Err(exit code)` when another run holds it or the API refuses it
/// (both already reported: stderr, and a `failed` event with `-o json`).
pub(super) async fn take_lease(
    conn: &cluster::Connection,
    run_id: &str,
    format: Format,
    out: &mut dyn Write,
) -> Result<Result<Arc<RunLease>, i32>, KupError> {
    let (reason, resume, code) = match lease::acquire(conn, &lease::identity(run_id)).await {
        Ok(Acquired::Held(l)) => return Ok(Ok(l)),
        Ok(Acquired::Busy(holder)) => (
            format!(
                "another kup rotate is running: Lease {}/{} is {}; nothing was changed. Wait \
                 for it to finish; if that run is dead, its Lease expires by itself and the \
                 next run takes over",
                lease::LEASE_NAMESPACE,
                lease::LEASE_NAME,
                holder.describe()
            ),
            "run again once that run has finished".to_string(),
            exit::ROTATE_STOPPED,
        ),
        Err(e) => (
            format!(
                "cannot take Lease {}/{} that keeps two runs from rotating at once: {e}",
                lease::LEASE_NAMESPACE,
                lease::LEASE_NAME
            ),
            RESUME_HINT.to_string(),
            if e.is_configuration() {
                exit::USAGE
            } else {
                exit::API
            },
        ),
    };
    if format == Format::Json {
        let failed = RotateEvent::Failed {
            node: None,
            phase: None,
            pod: None,
            pdb: None,
            reason: reason.clone(),
            resume: resume.clone(),
        };
        out.write_all(failed.to_json_line().as_bytes())?;
    }
    eprintln!("kup rotate stopped: {reason}\nTo continue: {resume}.");
    Ok(Err(code))
}

/// Renews the Lease in the background; losing it stops the run like Ctrl-C.
pub(super) fn keep_lease(
    held: &Arc<RunLease>,
    cancel: &Arc<AtomicBool>,
    lost: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let flag = cancel.clone();
    let lost = lost.clone();
    held.clone().keep(move |holder| {
        eprintln!(
            "kup rotate: Lease {}/{} was taken over by {}; stopping",
            lease::LEASE_NAMESPACE,
            lease::LEASE_NAME,
            holder.as_deref().unwrap_or("nobody")
        );
        lost.store(true, Ordering::SeqCst);
        flag.store(true, Ordering::SeqCst);
    })
}

/// Ctrl-C stops the run after the call in flight; a second one quits at once.
pub(super) fn on_ctrl_c(
    cancel: &Arc<AtomicBool>,
    held: &Arc<RunLease>,
) -> tokio::task::JoinHandle<()> {
    let flag = cancel.clone();
    let lease_on_quit = held.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "kup rotate: interrupted; finishing the call in flight and stopping (Ctrl-C \
                 again to quit now)"
            );
            flag.store(true, Ordering::SeqCst);
            // The markers are written before each step, so quitting mid-call leaves nothing a
            // next run or --abort cannot pick up.
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("kup rotate: interrupted again; quitting. {RESUME_HINT}.");
                // Give the Lease back so the next run need not wait for it to expire.
                let _ = tokio::time::timeout(Duration::from_secs(2), lease_on_quit.release()).await;
                std::process::exit(130);
            }
        }
    })
}
