//! From kubeconfig + context to a ready `kube::Client`, with errors that name the file and
//! the context.

use super::ClusterError;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig` (or `KUBECONFIG`): one or more paths joined like `$PATH`.
    pub kubeconfig: Option<String>,
    pub context: Option<String>,
    /// `--cluster`: the EKS cluster name, overriding the one in the context's ARN.
    pub eks_cluster: Option<String>,
    /// Per-request timeout; None for none.
    pub request_timeout: Option<Duration>,
}

/// A connected cluster: the client plus what kup tells the user about where it points.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    /// The API server URL (for error messages).
    pub url: String,
    pub context: String,
    /// The kubeconfig's cluster entry name (an EKS ARN for `aws eks update-kubeconfig` contexts).
    pub kube_cluster: String,
    /// The EKS cluster: `--cluster`, else parsed from an EKS ARN naming the kubeconfig cluster
    /// or context (`aws eks update-kubeconfig` writes those).
    pub eks: Option<EksArn>,
    pub request_timeout: Option<Duration>,
}

/// `arn:aws:eks:REGION:ACCOUNT:cluster/NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EksArn {
    pub region: Option<String>,
    pub account: Option<String>,
    pub name: String,
}

impl EksArn {
    pub fn parse(s: &str) -> Option<EksArn> {
        let rest = s.strip_prefix("arn:")?;
        let mut parts = rest.splitn(5, ':');
        let (_partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let name = resource.strip_prefix("cluster/")?;
        if service != "eks" || name.is_empty() || region.is_empty() {
            return None;
        }
        Some(EksArn {
            region: Some(region.into()),
            account: Some(account.into()),
            name: name.into(),
        })
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.url)
            .field("context", &self.context)
            .finish()
    }
}

pub async fn connect(opts: &ConnectOptions) -> Result<Connection, ClusterError> {
    let (kubeconfig, shown_path) = load_kubeconfig(opts.kubeconfig.as_deref())?;
    let known = known_contexts(&kubeconfig);
    let context = match opts
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
    {
        Some(c) if !c.is_empty() => c,
        _ => {
            return Err(ClusterError::NoCurrentContext {
                path: shown_path,
                known,
            });
        }
    };
    let Some(named) = kubeconfig.contexts.iter().find(|c| c.name == context) else {
        return Err(ClusterError::UnknownContext {
            context,
            path: shown_path,
            known,
        });
    };
    let kube_cluster = named
        .context
        .as_ref()
        .map(|c| c.cluster.clone())
        .unwrap_or_default();

    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| ClusterError::BadContext {
            context: context.clone(),
            reason: e.to_string(),
        })?;
    // kup retries reads itself (bounded, visible with -v); kube's default layer would also
    // retry eviction 429s, which are a PDB's answer and belong to `rotate`.
    config.default_retry = false;
    config.read_timeout = opts.request_timeout;
    config.connect_timeout = Some(
        opts.request_timeout
            .unwrap_or(Duration::from_secs(30))
            .min(Duration::from_secs(30)),
    );
    let url = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = kube::Client::try_from(config).map_err(|e| ClusterError::BadContext {
        context: context.clone(),
        reason: e.to_string(),
    })?;
    let eks = match &opts.eks_cluster {
        Some(name) => Some(EksArn {
            region: None,
            account: None,
            name: name.clone(),
        }),
        None => EksArn::parse(&kube_cluster).or_else(|| EksArn::parse(&context)),
    };
    Ok(Connection {
        client,
        url,
        context,
        kube_cluster,
        eks,
        request_timeout: opts.request_timeout,
    })
}

/// Reads and merges every file of `--kubeconfig`/`KUBECONFIG` (first value wins, as kubectl
/// merges), or `~/.kube/config`. Returns the merged config and the path(s) for messages.
fn load_kubeconfig(flag: Option<&str>) -> Result<(Kubeconfig, String), ClusterError> {
    let joined = flag
        .map(str::to_owned)
        .or_else(|| std::env::var("KUBECONFIG").ok())
        .filter(|s| !s.is_empty());
    let paths: Vec<PathBuf> = match joined {
        Some(joined) => std::env::split_paths(&joined)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => match std::env::var_os("HOME") {
            Some(home) => vec![PathBuf::from(home).join(".kube").join("config")],
            None => return Err(ClusterError::KubeconfigMissing),
        },
    };
    if paths.is_empty() {
        return Err(ClusterError::KubeconfigMissing);
    }
    let mut merged = Kubeconfig::default();
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|e| ClusterError::KubeconfigRead {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let one = Kubeconfig::from_yaml(&text).map_err(|e| ClusterError::KubeconfigInvalid {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        merged = merged
            .merge(one)
            .map_err(|e| ClusterError::KubeconfigInvalid {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
    }
    let shown = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    Ok((merged, shown))
}

fn known_contexts(kc: &Kubeconfig) -> String {
    if kc.contexts.is_empty() {
        return "none".into();
    }
    kc.contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses kubectl-style `--request-timeout`: `0` (none), or a number with a unit
/// (`500ms`, `30s`, `2m`, `1h`, also compound `1m30s`).
pub fn parse_request_timeout(s: &str) -> Result<Option<Duration>, ClusterError> {
    let bad = || ClusterError::BadTimeout(s.to_string());
    let t = s.trim();
    if t == "0" {
        return Ok(None);
    }
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(bad)?),
            "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(bad)?),
            _ => return Err(bad()),
        };
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    Ok(if total.is_zero() { None } else { Some(total) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eks_arns() {
        let arn = EksArn::parse("arn:aws:eks:us-east-1:123456789012:cluster/eks-upgrades-workshop")
            .unwrap();
        assert_eq!(arn.name, "eks-upgrades-workshop");
        assert_eq!(arn.region.as_deref(), Some("us-east-1"));
        assert_eq!(arn.account.as_deref(), Some("123456789012"));
        assert!(EksArn::parse("arn:aws-cn:eks:cn-north-1:1:cluster/x").is_some());
        for not in [
            "kind-kind",
            "arn:aws:eks:us-east-1:1:nodegroup/x",
            "arn:aws:ec2:us-east-1:1:cluster/x",
            "arn:aws:eks::1:cluster/x",
            "arn:aws:eks:r:1:cluster/",
        ] {
            assert_eq!(EksArn::parse(not), None, "{not}");
        }
    }

    #[test]
    fn request_timeouts() {
        assert_eq!(parse_request_timeout("0").unwrap(), None);
        assert_eq!(
            parse_request_timeout("30s").unwrap(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_request_timeout("2m").unwrap(),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_request_timeout("1m30s").unwrap(),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_request_timeout("250ms").unwrap(),
            Some(Duration::from_millis(250))
        );
        for bad in ["", "30", "s", "1x", "-1s", "1.5s", "99999999999999999999s"] {
            assert!(
                parse_request_timeout(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
