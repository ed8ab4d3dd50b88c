//! Bounded retries for reads: 429 and 5xx are retried with exponential backoff (honouring
//! the server's `retryAfterSeconds`), everything else becomes a `ClusterError` that names the
//! verb, the resource and the server.

use super::{ClusterError, Connection};
use std::future::Future;
use std::time::Duration;

/// Attempts in all (first try + retries).
const MAX_ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a call is, for messages: `list` + `nodes`.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub verb: &'a str,
    pub resource: &'a str,
}

pub async fn with_retry<T, F, Fut>(
    conn: &Connection,
    call: Call<'_>,
    mut f: F,
) -> Result<T, ClusterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        let result = match conn.request_timeout {
            // read_timeout covers a stalled body; this bounds the whole call.
            Some(limit) => match tokio::time::timeout(limit + Duration::from_secs(1), f()).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(ClusterError::Timeout {
                        url: conn.url.clone(),
                        what: format!(
                            "{} {}, {}s",
                            call.verb,
                            call.resource,
                            limit.as_secs().max(1)
                        ),
                    });
                }
            },
            None => f().await,
        };
        match result {
            Ok(v) => return Ok(v),
            Err(err) => {
                let (retryable, server_wait) = classify(&err);
                if retryable && attempt < MAX_ATTEMPTS {
                    let wait = server_wait.map(|s| s.min(MAX_BACKOFF)).unwrap_or(backoff);
                    crate::log::debug(format_args!(
                        "{} {}: {}; retrying in {:?} (attempt {attempt}/{MAX_ATTEMPTS})",
                        call.verb,
                        call.resource,
                        short(&err),
                        wait
                    ));
                    tokio::time::sleep(wait).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    attempt += 1;
                    continue;
                }
                return Err(to_cluster_error(conn, call, err, attempt));
            }
        }
    }
}

/// Whether an error is worth retrying, and the server's own wait if it gave one.
fn classify(err: &kube::Error) -> (bool, Option<Duration>) {
    match err {
        kube::Error::Api(status) => {
            let wait = status
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s.into()));
            (matches!(status.code, 429 | 500 | 502 | 503 | 504), wait)
        }
        // A connection that broke mid-way is worth another try; one that was refused is
        // retried too (a restarting API server), within the same small budget.
        kube::Error::HyperError(_) | kube::Error::Service(_) => (true, None),
        _ => (false, None),
    }
}

fn short(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(s) => format!("{} {}", s.code, s.message),
        other => root_cause(other),
    }
}

/// The innermost message of an error chain ("Connection refused (os error 111)").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

pub fn to_cluster_error(
    conn: &Connection,
    call: Call<'_>,
    err: kube::Error,
    attempts: u32,
) -> ClusterError {
    let verb = call.verb.to_string();
    let resource = call.resource.to_string();
    match err {
        kube::Error::Api(status) => match status.code {
            401 => ClusterError::Unauthorized {
                verb,
                resource,
                url: conn.url.clone(),
                message: status.message,
            },
            403 => ClusterError::Forbidden {
                verb,
                resource,
                message: status.message,
            },
            code => ClusterError::Api {
                verb,
                resource,
                code,
                message: status.message,
                attempts,
            },
        },
        kube::Error::SerdeError(e) => ClusterError::Decode {
            resource,
            reason: e.to_string(),
        },
        kube::Error::Auth(e) => ClusterError::Credentials {
            context: conn.context.clone(),
            what: format!("{verb} {resource}"),
            reason: root_cause(&e),
        },
        other => {
            let reason = root_cause(&other);
            if reason.to_ascii_lowercase().contains("timed out")
                || reason.to_ascii_lowercase().contains("timeout")
            {
                let limit = conn
                    .request_timeout
                    .map(|d| format!(", {}s", d.as_secs()))
                    .unwrap_or_default();
                ClusterError::Timeout {
                    url: conn.url.clone(),
                    what: format!("{verb} {resource}{limit}"),
                }
            } else {
                ClusterError::Unreachable {
                    url: conn.url.clone(),
                    reason: format!("{reason} (after {attempts} attempts)"),
                }
            }
        }
    }
}
