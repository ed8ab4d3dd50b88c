//! Command-line definitions (clap derive). They also feed the shell completions in
//! `completions/`. Flags follow kubectl and the AWS CLI; every flag also reads a `KUP_*`
//! environment variable.

use crate::checks::FailOn;
use crate::model::PoolFilter;
use crate::output::Format;
use crate::version::Version;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::num::NonZeroUsize;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "kup",
    version,
    about = "Upgrade assistant for Kubernetes: EKS control plane, kubelet drift, placement, safe node rotation",
    long_about = "kup inspects a cluster before and during an upgrade: the control-plane version, the nodes whose \
kubelet lags it, the workloads that will (not) land on the node pools, and it replaces old nodes step by step.\n\n\
Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on; 2 usage or configuration error; \
3 the cluster or cloud API failed; 4 rotate stopped before finishing (resumable).",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG).
    #[arg(long, global = true, env = "KUP_KUBECONFIG", value_name = "PATH")]
    pub kubeconfig: Option<String>,

    /// The kubeconfig context to use (default: current-context).
    #[arg(long, global = true, env = "KUP_CONTEXT", value_name = "NAME")]
    pub context: Option<String>,

    /// Only look at workloads in this namespace (nodes are always cluster-wide).
    #[arg(
        short = 'n',
        long,
        global = true,
        env = "KUP_NAMESPACE",
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// Look at workloads in all namespaces (the default; accepted for kubectl habits).
    #[arg(short = 'A', long, global = true, env = "KUP_ALL_NAMESPACES")]
    pub all_namespaces: bool,

    /// Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`.
    #[arg(
        short = 'l',
        long,
        global = true,
        env = "KUP_SELECTOR",
        value_name = "SELECTOR"
    )]
    pub selector: Option<String>,

    /// Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none.
    #[arg(
        long,
        global = true,
        env = "KUP_REQUEST_TIMEOUT",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = RequestTimeout::parse
    )]
    pub request_timeout: RequestTimeout,

    /// How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the
    /// server (or a proxy) does not offer it; custom resources are always JSON.
    #[arg(long, global = true, env = "KUP_WIRE", value_enum, default_value_t = WireArg::Auto)]
    pub wire: WireArg,

    /// Paged lists in flight at once; above 1, pods are listed namespace by namespace.
    #[arg(
        long,
        global = true,
        env = "KUP_LIST_CONCURRENCY",
        value_name = "N",
        default_value = "4"
    )]
    pub list_concurrency: NonZeroUsize,

    /// kup's config file (suppressions and placement policies); default `.kup.yaml` if present.
    #[arg(long, global = true, env = "KUP_CONFIG", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,

    /// EKS cluster name (default: taken from an EKS context ARN).
    #[arg(long, global = true, env = "KUP_CLUSTER", value_name = "NAME")]
    pub cluster: Option<String>,

    /// AWS region (default: from the context ARN, the profile, or AWS_REGION).
    #[arg(long, global = true, env = "KUP_REGION", value_name = "REGION")]
    pub region: Option<String>,

    /// AWS profile (default: AWS_PROFILE or the default chain).
    #[arg(long, global = true, env = "KUP_PROFILE", value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Output format.
    #[arg(short = 'o', long, global = true, env = "KUP_OUTPUT", value_enum, default_value_t = Format::Table)]
    pub output: Format,

    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, global = true, env = "KUP_COLOR", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// More detail on stderr (repeat for more).
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Print nothing but the result (and errors).
    #[arg(short = 'q', long, global = true, env = "KUP_QUIET")]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WireArg {
    /// Protobuf for built-in kinds where the server offers it, else JSON.
    Auto,
    /// Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds.
    Protobuf,
    /// JSON only.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One readiness report: control plane, node version skew, findings; the exit code gates CI.
    Check(CheckArgs),
    /// Nodes whose kubelet lags the control plane (or --target), grouped by pool.
    Drift(DriftArgs),
    /// Each workload's placement verdict against the node pools.
    Workloads(CheckArgs),
    /// Cordon, drain and replace lagging nodes, batch by batch, resumably.
    Rotate(RotateArgs),
    /// Upgrade the cluster to --to, one minor at a time: gate, control plane, add-ons, nodes, verify.
    Upgrade(UpgradeArgs),
    /// `kup check` for every context of the kubeconfig at once: one row per cluster, most urgent first.
    Fleet(FleetArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Run the upgrade story against the built-in simulated cluster (no cloud account needed).
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The Kubernetes version you are upgrading to (default: the control plane's own), e.g. `1.26`.
    #[arg(long, env = "KUP_TARGET", value_name = "VERSION")]
    pub target: Option<Version>,
}

#[derive(Debug, Clone, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Exit 1 when a node's verdict is at or above this severity.
    #[arg(long, env = "KUP_FAIL_ON", value_enum, default_value_t = FailOn::Never)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, env = "KUP_FAIL_ON", value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    /// Nodes to rotate (default: every node whose kubelet lags the target).
    #[arg(value_name = "NODE")]
    pub nodes: Vec<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only nodes of this pool: NAME or KIND/NAME (nodepool, provisioner, nodegroup).
    #[arg(long, env = "KUP_POOL", value_name = "POOL")]
    pub pool: Option<PoolFilter>,
    /// Nodes disrupted at once.
    #[arg(long, env = "KUP_BATCH", value_name = "N", default_value = "1")]
    pub batch: NonZeroUsize,
    /// At most this many nodes (or this share of all nodes) unavailable at once.
    #[arg(long, env = "KUP_MAX_UNAVAILABLE", value_name = "N|P%")]
    pub max_unavailable: Option<crate::rotate::MaxUnavailable>,
    /// replace: cordon, drain, delete Karpenter nodes; drain: stop after the drain; cordon: only cordon.
    #[arg(long, env = "KUP_MODE", value_enum, default_value_t = crate::rotate::Mode::Replace)]
    pub mode: crate::rotate::Mode,
    /// Print the plan and change nothing.
    #[arg(long, env = "KUP_DRY_RUN")]
    pub dry_run: bool,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(short = 'y', long, env = "KUP_YES")]
    pub yes: bool,
    /// Ask again before each node (needs a terminal).
    #[arg(long, env = "KUP_STEP")]
    pub step: bool,
    /// Evict pods without a controller and pods marked karpenter.sh/do-not-disrupt.
    #[arg(long, env = "KUP_FORCE")]
    pub force: bool,
    /// Evict pods using emptyDir volumes (their data is lost).
    #[arg(long, env = "KUP_DELETE_EMPTYDIR_DATA")]
    pub delete_emptydir_data: bool,
    /// Disrupt more nodes of a Karpenter NodePool at once than its disruption budgets allow
    /// now (by default a batch holds at most that many of a pool's nodes).
    #[arg(long, env = "KUP_IGNORE_BUDGETS")]
    pub ignore_budgets: bool,
    /// How long a node's evictions may be refused (PDB, 429) before the run stops: `5m`, `30s`.
    #[arg(
        long,
        env = "KUP_DRAIN_TIMEOUT",
        value_name = "DURATION",
        default_value = "5m",
        value_parser = parse_wait
    )]
    pub drain_timeout: Duration,
    /// Grace period for evicted pods, in seconds (default: each pod's own).
    #[arg(long, env = "KUP_GRACE_PERIOD", value_name = "SECONDS", value_parser = parse_grace_period)]
    pub grace_period: Option<u32>,
    /// How long to wait for evicted pods to go and for replacements and workloads to be Ready.
    #[arg(
        long,
        env = "KUP_TIMEOUT",
        value_name = "DURATION",
        default_value = "15m",
        value_parser = parse_wait
    )]
    pub timeout: Duration,
    /// Undo an interrupted rotation: uncordon the nodes kup cordoned and remove its markers.
    #[arg(long, env = "KUP_ABORT", conflicts_with_all = ["dry_run", "nodes"])]
    pub abort: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UpgradeArgs {
    /// The version to reach, e.g. `1.32` (hops one minor at a time).
    #[arg(long, env = "KUP_TO", value_name = "VERSION")]
    pub to: Version,
    /// Print the plan (with -o markdown: a runbook) and change nothing.
    #[arg(long, env = "KUP_DRY_RUN")]
    pub dry_run: bool,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(short = 'y', long, env = "KUP_YES")]
    pub yes: bool,
    /// Ask again before each hop and each node (needs a terminal).
    #[arg(long, env = "KUP_STEP")]
    pub step: bool,
    /// EKS add-ons at each hop: its default version, the latest compatible one, or leave them.
    #[arg(long, env = "KUP_ADDONS", value_enum, default_value_t = crate::upgrade::AddonsMode::Default)]
    pub addons: crate::upgrade::AddonsMode,
    /// Karpenter nodes: kup's rotation, Karpenter's drift, or drift where Karpenter drifts.
    #[arg(long, env = "KUP_NODES", value_enum, default_value_t = crate::upgrade::NodesMode::Auto)]
    pub nodes: crate::upgrade::NodesMode,
    /// Nodes kup disrupts at once when it rotates.
    #[arg(long, env = "KUP_BATCH", value_name = "N", default_value = "1")]
    pub batch: NonZeroUsize,
    /// How long one hop may take before the run stops (resumable): `2h`, `45m`.
    #[arg(
        long,
        env = "KUP_HOP_TIMEOUT",
        value_name = "DURATION",
        default_value = "2h",
        value_parser = parse_wait
    )]
    pub hop_timeout: Duration,
    /// How long a node's evictions may be refused (PDB, 429) before the run stops.
    #[arg(
        long,
        env = "KUP_DRAIN_TIMEOUT",
        value_name = "DURATION",
        default_value = "5m",
        value_parser = parse_wait
    )]
    pub drain_timeout: Duration,
    /// Gate findings at or above this severity stop the run before the hop's first write.
    #[arg(long, env = "KUP_FAIL_ON", value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Args)]
pub struct FleetArgs {
    /// The version to judge every cluster against, or `+1` for each cluster's next minor
    /// (default: each control plane's own).
    #[arg(long, env = "KUP_TARGET", value_name = "VERSION|+1")]
    pub target: Option<crate::fleet::FleetTarget>,
    /// Exit 1 when a finding of any cluster is at or above this severity.
    #[arg(long, env = "KUP_FAIL_ON", value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Only these contexts, comma-separated (default: every context of the kubeconfig).
    #[arg(long, env = "KUP_CONTEXTS", value_name = "A,B", value_delimiter = ',')]
    pub contexts: Vec<String>,
    /// Only the contexts whose name this regular expression matches (anywhere: anchor with ^ $).
    #[arg(long = "match", env = "KUP_MATCH", value_name = "REGEX")]
    pub matching: Option<regex::Regex>,
    /// Clusters read at once (memory grows with it: one snapshot each).
    #[arg(long, env = "KUP_PARALLEL", value_name = "N", default_value = "8")]
    pub parallel: NonZeroUsize,
    /// How long one cluster may take; past it, its row says it timed out.
    #[arg(
        long,
        env = "KUP_TIMEOUT",
        value_name = "DURATION",
        default_value = "2m",
        value_parser = parse_wait
    )]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Built-in scenario to run the story on.
    #[arg(
        long,
        env = "KUP_DEMO_SCENARIO",
        default_value = "workshop",
        value_name = "NAME"
    )]
    pub scenario: String,
    /// Keep the simulated cluster running after the story, until Ctrl-C (prints its kubeconfig).
    #[arg(long)]
    pub keep: bool,
}

/// `--request-timeout`: None for `0` (no timeout), like kubectl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTimeout(pub Option<Duration>);

impl RequestTimeout {
    fn parse(s: &str) -> Result<RequestTimeout, String> {
        parse_duration(s)
            .map(RequestTimeout)
            .ok_or_else(|| "use a duration like 30s, 2m or 0".to_string())
    }
}

/// Longer waits than this are surely a typo, and `Instant + Duration` must not overflow.
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// `--timeout`, `--drain-timeout`: a duration above zero, at most 7 days.
fn parse_wait(s: &str) -> Result<Duration, String> {
    match parse_duration(s) {
        Some(Some(d)) if d <= MAX_WAIT => Ok(d),
        Some(Some(_)) => Err("at most 7 days (168h)".to_string()),
        _ => Err("use a duration like 30s, 5m or 1h (not 0)".to_string()),
    }
}

/// `--grace-period 0` means force deletion to the API server (kubectl refuses it too).
fn parse_grace_period(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(0) => Err(
            "0 would force-delete pods without waiting for them to stop; use at \
                      least 1 (or leave it out for each pod's own grace period)"
                .to_string(),
        ),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}: give a number of seconds")),
    }
}

/// Parses a kubectl-style duration: `0` (None: no limit), or a number with a unit (`500ms`,
/// `30s`, `2m`, `1h`, also compound `1m30s`). None of the outer Option: not a duration.
pub fn parse_duration(s: &str) -> Option<Option<Duration>> {
    let t = s.trim();
    if t == "0" {
        return Some(None);
    }
    if t.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(part)?;
    }
    Some(if total.is_zero() { None } else { Some(total) })
}

impl Cli {
    /// The clap command, for completions and docs.
    pub fn command() -> clap::Command {
        <Cli as clap::CommandFactory>::command()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Some(None));
        assert_eq!(parse_duration("30s"), Some(Some(Duration::from_secs(30))));
        assert_eq!(parse_duration("2m"), Some(Some(Duration::from_secs(120))));
        assert_eq!(parse_duration("1m30s"), Some(Some(Duration::from_secs(90))));
        assert_eq!(
            parse_duration("250ms"),
            Some(Some(Duration::from_millis(250)))
        );
        for bad in ["", "30", "s", "1x", "-1s", "1.5s", "99999999999999999999s"] {
            assert_eq!(parse_duration(bad), None, "{bad:?} should be rejected");
        }
        assert!(parse_wait("0").is_err());
        assert!(parse_wait("8760h").is_err());
        assert_eq!(parse_wait("5m"), Ok(Duration::from_secs(300)));
    }

    /// Every flag value is typed before any command runs: a bad one is clap's usage error
    /// (exit 2), never a request.
    #[test]
    fn flags_are_typed_before_anything_runs() {
        let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
        for bad in [
            &["kup", "drift", "--target", "1.x"][..],
            &["kup", "rotate", "--batch", "0"],
            &["kup", "rotate", "--pool", "fleet/default"],
            &["kup", "rotate", "--pool", "nodepool/"],
            &["kup", "rotate", "--drain-timeout", "0"],
            &["kup", "rotate", "--grace-period", "0"],
            &["kup", "drift", "--request-timeout", "5x"],
            &["kup", "fleet", "--parallel", "0"],
            &["kup", "fleet", "--target", "+2"],
            &["kup", "fleet", "--match", "(["],
            &["kup", "fleet", "--timeout", "0"],
        ] {
            let err = parse(bad).err();
            assert_eq!(err.map(|e| e.exit_code()), Some(2), "{bad:?}");
        }
        let Ok(cli) = parse(&[
            "kup",
            "rotate",
            "--pool",
            "nodegroups/mng-1",
            "--batch",
            "3",
        ]) else {
            panic!("valid flags")
        };
        let Command::Rotate(r) = cli.command else {
            panic!("rotate")
        };
        assert_eq!(r.batch.get(), 3);
        assert_eq!(
            r.pool.map(|p| p.to_string()).as_deref(),
            Some("nodegroup/mng-1")
        );
        assert_eq!(r.timeout, Duration::from_secs(15 * 60));
        assert_eq!(
            cli.global.request_timeout,
            RequestTimeout(Some(Duration::from_secs(30)))
        );
    }
}
