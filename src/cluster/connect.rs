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
    pub aws: AwsOptions,
    /// `--wire` and `--list-concurrency`.
    pub lists: super::ListOptions,
}

/// How to call AWS: `--region`, `--profile`, and `kup demo`'s simulated endpoint.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// `kup demo` points EKS calls at its simulated cluster with throwaway credentials.
    pub demo_endpoint: Option<String>,
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
    /// Where `eks` came from, for messages: `--cluster`, `the context's EKS ARN`, ...
    pub eks_source: &'static str,
    /// What the context's exec credential entry says about AWS (cluster, region, profile).
    pub exec_hints: ExecHints,
    pub aws: AwsOptions,
    pub request_timeout: Option<Duration>,
    /// How lists travel and how many run at once.
    pub lists: super::wire::Lists,
}

/// What an exec credential entry tells about EKS: `aws eks get-token --cluster-name N
/// --region R --profile P` (as `aws eks update-kubeconfig` writes it), `aws-iam-authenticator
/// token -i N`, and `AWS_PROFILE` / `AWS_REGION` in its env (as eksctl writes it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecHints {
    pub cluster: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

impl ExecHints {
    pub fn of(exec: &kube::config::ExecConfig) -> ExecHints {
        let command = exec.command.as_deref().unwrap_or("");
        let program = std::path::Path::new(command)
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("");
        let args = exec.args.as_deref().unwrap_or(&[]);
        let mut hints = ExecHints::default();
        let value = |flag: &str| -> Option<String> {
            args.iter().enumerate().find_map(|(i, a)| {
                if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                    Some(v.to_string())
                } else if a == flag {
                    args.get(i + 1).cloned()
                } else {
                    None
                }
            })
        };
        let is_get_token = matches!(program, "aws" | "aws.exe")
            && args.iter().any(|a| a == "eks")
            && args.iter().any(|a| a == "get-token");
        if is_get_token {
            // (`--cluster-id` is an Outposts cluster's id, not its name.)
            hints.cluster = value("--cluster-name");
            hints.region = value("--region");
            hints.profile = value("--profile");
        } else if program.starts_with("aws-iam-authenticator") {
            hints.cluster = value("-i").or_else(|| value("--cluster-id"));
            hints.region = value("--region");
        }
        for pair in exec.env.iter().flatten() {
            let (Some(name), Some(v)) = (pair.get("name"), pair.get("value")) else {
                continue;
            };
            match name.as_str() {
                "AWS_PROFILE" if hints.profile.is_none() => hints.profile = Some(v.clone()),
                "AWS_REGION" | "AWS_DEFAULT_REGION" if hints.region.is_none() => {
                    hints.region = Some(v.clone())
                }
                _ => {}
            }
        }
        hints.cluster = hints.cluster.filter(|c| !c.is_empty());
        hints
    }
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

impl Connection {
    /// The EKS cluster was named with `--cluster`: failing to read it is then an error, not a
    /// skipped section.
    pub fn eks_explicit(&self) -> bool {
        self.eks_source == EKS_SOURCE_FLAG
    }
}

const EKS_SOURCE_FLAG: &str = "--cluster";

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
    let exec_hints = named
        .context
        .as_ref()
        .and_then(|c| c.user.as_deref())
        .and_then(|user| kubeconfig.auth_infos.iter().find(|a| a.name == user))
        .and_then(|a| a.auth_info.as_ref())
        .and_then(|a| a.exec.as_ref())
        .map(ExecHints::of)
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
    let (eks, eks_source) = eks_identity(opts, &kube_cluster, &context, &exec_hints);
    Ok(Connection {
        client,
        url,
        context,
        kube_cluster,
        eks,
        eks_source,
        exec_hints,
        aws: opts.aws.clone(),
        request_timeout: opts.request_timeout,
        lists: super::wire::Lists::new(opts.lists),
    })
}

/// Which EKS cluster this context is: `--cluster`, else an EKS ARN naming the kubeconfig
/// cluster or the context (`aws eks update-kubeconfig`), else the exec entry's cluster name.
fn eks_identity(
    opts: &ConnectOptions,
    kube_cluster: &str,
    context: &str,
    exec: &ExecHints,
) -> (Option<EksArn>, &'static str) {
    if let Some(name) = &opts.eks_cluster {
        // The context's ARN still tells the region (`--region` overrides it).
        let region = EksArn::parse(kube_cluster)
            .or_else(|| EksArn::parse(context))
            .and_then(|a| a.region);
        let eks = EksArn {
            region,
            account: None,
            name: name.clone(),
        };
        return (Some(eks), EKS_SOURCE_FLAG);
    }
    if let Some(arn) = EksArn::parse(kube_cluster) {
        return (Some(arn), "the kubeconfig cluster's EKS ARN");
    }
    if let Some(arn) = EksArn::parse(context) {
        return (Some(arn), "the context's EKS ARN");
    }
    if let Some(name) = &exec.cluster {
        let eks = EksArn {
            region: None,
            account: None,
            name: name.clone(),
        };
        return (Some(eks), "the context's `aws eks get-token` entry");
    }
    (None, "")
}

/// Reads and merges every file of `--kubeconfig`/`KUBECONFIG` (first value wins, as kubectl
/// merges), or `~/.kube/config`. Returns the merged config and the path(s) for messages.
/// The context names of the kubeconfig(s) (`--kubeconfig`, else `KUBECONFIG`, else
/// `~/.kube/config`, merged like kubectl), in file order: what `kup fleet` reads.
pub fn context_names(flag: Option<&str>) -> Result<Vec<String>, ClusterError> {
    let (kubeconfig, _) = load_kubeconfig(flag)?;
    Ok(kubeconfig.contexts.into_iter().map(|c| c.name).collect())
}

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

    fn exec(command: &str, args: &[&str], env: &[(&str, &str)]) -> kube::config::ExecConfig {
        kube::config::ExecConfig {
            command: Some(command.into()),
            args: Some(args.iter().map(|a| a.to_string()).collect()),
            env: Some(
                env.iter()
                    .map(|(k, v)| {
                        [
                            ("name".to_string(), k.to_string()),
                            ("value".to_string(), v.to_string()),
                        ]
                        .into_iter()
                        .collect()
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn exec_entries_name_the_cluster_region_and_profile() {
        // As `aws eks update-kubeconfig --profile prod` writes it.
        let h = ExecHints::of(&exec(
            "aws",
            &[
                "--region",
                "eu-west-1",
                "eks",
                "get-token",
                "--cluster-name",
                "prod",
                "--output",
                "json",
            ],
            &[("AWS_PROFILE", "ops")],
        ));
        assert_eq!(
            h,
            ExecHints {
                cluster: Some("prod".into()),
                region: Some("eu-west-1".into()),
                profile: Some("ops".into()),
            }
        );
        // `--flag=value`, a full path, `--profile` winning over env.
        let h = ExecHints::of(&exec(
            "/usr/local/bin/aws",
            &["eks", "get-token", "--cluster-name=dev", "--profile=p1"],
            &[("AWS_PROFILE", "p2"), ("AWS_REGION", "us-east-2")],
        ));
        assert_eq!(h.cluster.as_deref(), Some("dev"));
        assert_eq!(h.profile.as_deref(), Some("p1"));
        assert_eq!(h.region.as_deref(), Some("us-east-2"));
        let h = ExecHints::of(&exec("aws-iam-authenticator", &["token", "-i", "old"], &[]));
        assert_eq!(h.cluster.as_deref(), Some("old"));
        // Other plugins say nothing about EKS.
        let h = ExecHints::of(&exec(
            "gke-gcloud-auth-plugin",
            &["--cluster-name", "x"],
            &[],
        ));
        assert_eq!(h, ExecHints::default());
    }

    #[test]
    fn eks_identity_order() {
        let arn = "arn:aws:eks:us-east-1:123456789012:cluster/from-arn";
        let exec = ExecHints {
            cluster: Some("from-exec".into()),
            ..Default::default()
        };
        let flag = ConnectOptions {
            eks_cluster: Some("from-flag".into()),
            ..Default::default()
        };
        let none = ConnectOptions::default();
        let (e, src) = eks_identity(&flag, arn, "ctx", &exec);
        assert_eq!((e.unwrap().name.as_str(), src), ("from-flag", "--cluster"));
        let (e, _) = eks_identity(&none, arn, "ctx", &exec);
        let e = e.unwrap();
        assert_eq!(
            (e.name.as_str(), e.region.as_deref()),
            ("from-arn", Some("us-east-1"))
        );
        let (e, _) = eks_identity(&none, "kind", arn, &exec);
        assert_eq!(e.unwrap().name, "from-arn");
        let (e, _) = eks_identity(&none, "kind", "ctx", &exec);
        assert_eq!(e.unwrap().name, "from-exec");
        assert_eq!(
            eks_identity(&none, "kind", "ctx", &ExecHints::default()).0,
            None
        );
        // --cluster keeps the ARN's region.
        let (e, _) = eks_identity(&flag, arn, "ctx", &exec);
        assert_eq!(e.unwrap().region.as_deref(), Some("us-east-1"));
    }
}
