//! One rotation at a time: a run holds the Lease `kube-system/kup-rotate`
//! (coordination.k8s.io/v1) while it changes the cluster, renews it while it runs and releases
//! it at the end. Another run finding it held and not expired refuses to start; an expired one
//! (a run that was killed) is taken over. Every write carries the resourceVersion it read, so
//! two runs racing for the same Lease cannot both win: the loser gets 409.

use std::time::Duration;

use crate::cluster::retry::{Call, with_retry};
use crate::cluster::{ClusterError, Connection};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Api;
use kube::api::PostParams;

pub const LEASE_NAMESPACE: &str = "kube-system";
pub const LEASE_NAME: &str = "kup-rotate";
/// How long a holder that stops renewing keeps the Lease.
pub const LEASE_SECONDS: i32 = 60;
/// Renewed this often: two renewals can fail before the Lease expires.
pub const RENEW_EVERY: Duration = Duration::from_secs(20);

/// Someone else's live Lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub identity: String,
    /// renewTime + leaseDurationSeconds, when the Lease says.
    pub expires: Option<jiff::Timestamp>,
}

impl Holder {
    /// `held by X until T (in Ns)`, for the refusal.
    pub fn describe(&self) -> String {
        match self.expires {
            Some(t) => {
                let left = t.duration_since(jiff::Timestamp::now()).as_secs().max(0);
                format!(
                    "held by {} until {} (expires in {left}s unless renewed)",
                    self.identity,
                    t.strftime("%Y-%m-%dT%H:%M:%SZ")
                )
            }
            None => format!("held by {}", self.identity),
        }
    }
}

pub enum Acquired {
    /// Shared: the renewal task, the Ctrl-C handler and the run all hold it.
    Held(std::sync::Arc<RunLease>),
    Busy(Holder),
}

/// The Lease this run holds.
pub struct RunLease {
    conn: Connection,
    identity: String,
}

fn api(conn: &Connection) -> Api<Lease> {
    Api::namespaced(conn.client.clone(), LEASE_NAMESPACE)
}

fn now() -> MicroTime {
    MicroTime(jiff::Timestamp::now())
}

/// The holder of `lease` if it is held and not expired at `at`.
fn live_holder(lease: &Lease, at: jiff::Timestamp) -> Option<Holder> {
    let spec = lease.spec.as_ref()?;
    let identity = spec.holder_identity.as_deref().filter(|h| !h.is_empty())?;
    let since = spec.renew_time.as_ref().or(spec.acquire_time.as_ref());
    let expires = match (since, spec.lease_duration_seconds) {
        (Some(t), Some(d)) => {
            t.0.checked_add(jiff::SignedDuration::from_secs(i64::from(d)))
                .ok()
        }
        _ => None,
    };
    // Without a renew time or a duration nobody can tell when it ends: treat as live.
    if expires.is_some_and(|e| e <= at) {
        return None;
    }
    Some(Holder {
        identity: identity.to_string(),
        expires,
    })
}

fn held_by(lease: &Lease, identity: &str) -> bool {
    lease
        .spec
        .as_ref()
        .and_then(|s| s.holder_identity.as_deref())
        == Some(identity)
}

async fn read(conn: &Connection) -> Result<Option<Lease>, ClusterError> {
    let api = api(conn);
    with_retry(
        conn,
        Call {
            verb: "get",
            resource: "leases",
        },
        || api.get_opt(LEASE_NAME),
    )
    .await
}

/// Takes the Lease for `identity` (`RUNID@HOST#PID`), unless another run holds it.
pub async fn acquire(conn: &Connection, identity: &str) -> Result<Acquired, ClusterError> {
    let api = api(conn);
    let pp = PostParams::default();
    let mut last = None;
    // A 409 means another run wrote in between: read again and judge anew, a few times.
    for _ in 0..4 {
        let current = read(conn).await?;
        let (result, verb) = match current {
            Some(lease) if held_by(&lease, identity) => {
                let lease = RunLease {
                    conn: conn.clone(),
                    identity: identity.to_string(),
                };
                return Ok(Acquired::Held(lease.into()));
            }
            Some(lease) => {
                if let Some(h) = live_holder(&lease, jiff::Timestamp::now())
                    && !dead_here(&h.identity)
                {
                    return Ok(Acquired::Busy(h));
                }
                // Free or expired: take it over, on the version just read.
                let transitions = lease
                    .spec
                    .as_ref()
                    .and_then(|s| s.lease_transitions)
                    .unwrap_or(0);
                let mut next = lease.clone();
                next.spec = Some(LeaseSpec {
                    holder_identity: Some(identity.to_string()),
                    lease_duration_seconds: Some(LEASE_SECONDS),
                    acquire_time: Some(now()),
                    renew_time: Some(now()),
                    lease_transitions: Some(transitions + 1),
                    ..LeaseSpec::default()
                });
                let res = with_retry(
                    conn,
                    Call {
                        verb: "update",
                        resource: "leases",
                    },
                    || api.replace(LEASE_NAME, &pp, &next),
                )
                .await;
                (res, "update")
            }
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(LEASE_NAME.to_string()),
                        namespace: Some(LEASE_NAMESPACE.to_string()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(LeaseSpec {
                        holder_identity: Some(identity.to_string()),
                        lease_duration_seconds: Some(LEASE_SECONDS),
                        acquire_time: Some(now()),
                        renew_time: Some(now()),
                        lease_transitions: Some(0),
                        ..LeaseSpec::default()
                    }),
                };
                let res = with_retry(
                    conn,
                    Call {
                        verb: "create",
                        resource: "leases",
                    },
                    || api.create(&pp, &lease),
                )
                .await;
                (res, "create")
            }
        };
        match result {
            Ok(_) => {
                return Ok(Acquired::Held(
                    RunLease {
                        conn: conn.clone(),
                        identity: identity.to_string(),
                    }
                    .into(),
                ));
            }
            Err(ClusterError::Api { code: 409, .. }) => {
                crate::log::debug(format_args!(
                    "lease {LEASE_NAMESPACE}/{LEASE_NAME}: {verb} lost a race (409); reading again"
                ));
                last = read(conn)
                    .await?
                    .and_then(|l| live_holder(&l, jiff::Timestamp::now()));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Acquired::Busy(last.unwrap_or(Holder {
        identity: "another run (it kept changing while kup tried to take it)".to_string(),
        expires: None,
    })))
}

/// What a renewal found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Renewal {
    Renewed,
    /// Someone else holds it now (this run stopped renewing for longer than the Lease lasts).
    Lost(Option<String>),
}

impl RunLease {
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Rewrites the Lease's spec with `f` if it is still ours, on the resourceVersion just read:
    /// a 409 means someone wrote in between, so it is read and judged again (twice at most).
    async fn write(&self, f: impl Fn(&mut LeaseSpec)) -> Result<Renewal, ClusterError> {
        let api = api(&self.conn);
        let pp = PostParams::default();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let Some(mut lease) = read(&self.conn).await? else {
                return Ok(Renewal::Lost(None));
            };
            if !held_by(&lease, &self.identity) {
                return Ok(Renewal::Lost(lease.spec.and_then(|s| s.holder_identity)));
            }
            let mut spec = lease.spec.take().unwrap_or_default();
            f(&mut spec);
            lease.spec = Some(spec);
            let res = with_retry(
                &self.conn,
                Call {
                    verb: "update",
                    resource: "leases",
                },
                || api.replace(LEASE_NAME, &pp, &lease),
            )
            .await;
            match res {
                Ok(_) => return Ok(Renewal::Renewed),
                Err(ClusterError::Api { code: 409, .. }) if attempts < 2 => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Pushes renewTime to now.
    pub async fn renew(&self) -> Result<Renewal, ClusterError> {
        self.write(|s| {
            s.renew_time = Some(now());
            s.lease_duration_seconds = Some(LEASE_SECONDS);
        })
        .await
    }

    /// Gives the Lease up (holder cleared), if it is still ours. Best effort: a Lease left
    /// behind expires on its own.
    pub async fn release(&self) {
        let res = self
            .write(|s| {
                s.holder_identity = None;
                s.renew_time = Some(now());
            })
            .await;
        if let Err(e) = res {
            crate::log::debug(format_args!(
                "releasing lease {LEASE_NAMESPACE}/{LEASE_NAME}: {e}; it expires by itself within \
                 {LEASE_SECONDS}s"
            ));
        }
    }

    /// Renews every `RENEW_EVERY` until the task is aborted; calls `lost` and stops if someone
    /// else took the Lease.
    pub fn keep(
        self: std::sync::Arc<Self>,
        lost: impl FnOnce(Option<String>) + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RENEW_EVERY).await;
                match self.renew().await {
                    Ok(Renewal::Renewed) => {}
                    Ok(Renewal::Lost(holder)) => {
                        lost(holder);
                        return;
                    }
                    // Retried at the next tick; the Lease outlives two missed renewals.
                    Err(e) => crate::log::debug(format_args!(
                        "renewing lease {LEASE_NAMESPACE}/{LEASE_NAME}: {e}"
                    )),
                }
            }
        })
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// `RUNID@HOST#PID`: names the run and where it runs, for the message another run shows.
pub fn identity(run_id: &str) -> String {
    format!("{run_id}@{}#{}", hostname(), std::process::id())
}

/// (HOST, PID) of an identity kup wrote.
fn host_and_pid(identity: &str) -> Option<(&str, u32)> {
    let (_, rest) = identity.rsplit_once('@')?;
    let (host, pid) = rest.rsplit_once('#')?;
    Some((host, pid.parse().ok()?))
}

/// A holder that was a kup process on this very host and no longer runs (killed with
/// SIGKILL, so it could not release): no need to wait for its Lease to expire. Only where
/// `/proc` can tell; anywhere else the Lease simply runs out.
fn dead_here(identity: &str) -> bool {
    let Some((host, pid)) = host_and_pid(identity) else {
        return false;
    };
    let proc = std::path::Path::new("/proc");
    host == hostname()
        && pid != std::process::id()
        && proc.join("self").exists()
        && !proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(holder: Option<&str>, renewed: &str, secs: Option<i32>) -> Lease {
        Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: holder.map(str::to_string),
                renew_time: renewed.parse().ok().map(MicroTime),
                lease_duration_seconds: secs,
                ..LeaseSpec::default()
            }),
        }
    }

    #[test]
    fn live_expired_and_free_leases() {
        let at: jiff::Timestamp = "2026-11-24T07:00:30Z".parse().unwrap_or_default();
        let live = live_holder(&lease(Some("r1@h#1"), "2026-11-24T07:00:00Z", Some(60)), at);
        assert_eq!(
            live.as_ref().map(|h| h.identity.as_str()),
            Some("r1@h#1"),
            "{live:?}"
        );
        assert_eq!(
            live.and_then(|h| h.expires).map(|t| t.to_string()),
            Some("2026-11-24T07:01:00Z".to_string())
        );
        assert!(
            live_holder(&lease(Some("r1@h#1"), "2026-11-24T06:59:00Z", Some(60)), at).is_none()
        );
        assert!(live_holder(&lease(None, "2026-11-24T07:00:00Z", Some(60)), at).is_none());
        assert!(live_holder(&lease(Some(""), "2026-11-24T07:00:00Z", Some(60)), at).is_none());
        // No duration: nobody can say it ended.
        assert!(live_holder(&lease(Some("x"), "2026-11-24T07:00:00Z", None), at).is_some());
    }

    #[test]
    fn identities_name_run_host_and_process() {
        let id = identity("r-20261124-070000");
        assert!(id.starts_with("r-20261124-070000@"), "{id}");
        assert!(id.ends_with(&format!("#{}", std::process::id())), "{id}");
        assert_eq!(
            host_and_pid("r-1@ip-10-0-0-1.ec2.internal#4242"),
            Some(("ip-10-0-0-1.ec2.internal", 4242))
        );
        assert_eq!(host_and_pid("someone else"), None);
    }

    #[test]
    fn only_a_gone_process_on_this_host_is_dead() {
        // This process: alive.
        assert!(!dead_here(&identity("r-1")));
        // Another host: kup cannot tell, so it waits for the Lease to expire.
        assert!(!dead_here("r-1@some-other-host.invalid#1"));
        assert!(!dead_here("not kup's"));
        if std::path::Path::new("/proc/self").exists() {
            // PIDs top out far below this.
            assert!(dead_here(&format!("r-1@{}#4000000000", hostname())));
        }
    }
}
