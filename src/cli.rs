//! Command-line definitions (clap derive). They also feed the shell completions in
//! `completions/`. Flags follow kubectl and the AWS CLI; every flag also reads a `KUP_*`
//! environment variable.

use crate::checks::FailOn;
use crate::output::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};

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
        default_value = "30s"
    )]
    pub request_timeout: String,

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
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Run the upgrade story against the built-in simulated cluster (no cloud account needed).
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The Kubernetes version you are upgrading to (default: the control plane's own), e.g. `1.26`.
    #[arg(long, env = "KUP_TARGET", value_name = "VERSION")]
    pub target: Option<String>,
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
    pub pool: Option<String>,
    /// Nodes disrupted at once.
    #[arg(long, env = "KUP_BATCH", value_name = "N", default_value_t = 1)]
    pub batch: usize,
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
    /// How long a node's evictions may be refused (PDB, 429) before the run stops: `5m`, `30s`.
    #[arg(
        long,
        env = "KUP_DRAIN_TIMEOUT",
        value_name = "DURATION",
        default_value = "5m"
    )]
    pub drain_timeout: String,
    /// Grace period for evicted pods, in seconds (default: each pod's own).
    #[arg(long, env = "KUP_GRACE_PERIOD", value_name = "SECONDS")]
    pub grace_period: Option<u32>,
    /// How long to wait for evicted pods to go and for replacements and workloads to be Ready.
    #[arg(
        long,
        env = "KUP_TIMEOUT",
        value_name = "DURATION",
        default_value = "15m"
    )]
    pub timeout: String,
    /// Undo an interrupted rotation: uncordon the nodes kup cordoned and remove its markers.
    #[arg(long, env = "KUP_ABORT", conflicts_with_all = ["dry_run", "nodes"])]
    pub abort: bool,
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

impl Cli {
    /// The clap command, for completions and docs.
    pub fn command() -> clap::Command {
        <Cli as clap::CommandFactory>::command()
    }
}
