# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kup_global_optspecs
    string join \n kubeconfig= context= n/namespace= A/all-namespaces l/selector= request-timeout= wire= list-concurrency= config= cluster= region= profile= o/output= color= v/verbose q/quiet h/help V/version
end

function __fish_kup_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kup_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kup_using_subcommand
    set -l cmd (__fish_kup_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kup -n "__fish_kup_needs_command" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_needs_command" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_needs_command" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_needs_command" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_needs_command" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_needs_command" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_needs_command" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_needs_command" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_needs_command" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_needs_command" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_needs_command" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_needs_command" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_needs_command" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_needs_command" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_needs_command" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_needs_command" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_needs_command" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_needs_command" -f -a "check" -d 'One readiness report: control plane, node version skew, findings; the exit code gates CI'
complete -c kup -n "__fish_kup_needs_command" -f -a "drift" -d 'Nodes whose kubelet lags the control plane (or --target), grouped by pool'
complete -c kup -n "__fish_kup_needs_command" -f -a "workloads" -d 'Each workload\'s placement verdict against the node pools'
complete -c kup -n "__fish_kup_needs_command" -f -a "rotate" -d 'Cordon, drain and replace lagging nodes, batch by batch, resumably'
complete -c kup -n "__fish_kup_needs_command" -f -a "upgrade" -d 'Upgrade the cluster to --to, one minor at a time: gate, control plane, add-ons, nodes, verify'
complete -c kup -n "__fish_kup_needs_command" -f -a "fleet" -d '`kup check` for every context of the kubeconfig at once: one row per cluster, most urgent first'
complete -c kup -n "__fish_kup_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c kup -n "__fish_kup_needs_command" -f -a "demo" -d 'Run the upgrade story against the built-in simulated cluster (no cloud account needed)'
complete -c kup -n "__fish_kup_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kup -n "__fish_kup_using_subcommand check" -l target -d 'The Kubernetes version you are upgrading to (default: the control plane\'s own), e.g. `1.26`' -r
complete -c kup -n "__fish_kup_using_subcommand check" -l fail-on -d 'Exit 1 when a finding is at or above this severity' -r -f -a "error\t''
warning\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand check" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand check" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand check" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand check" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand check" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand check" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand check" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand check" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand check" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand check" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand check" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand check" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand check" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand check" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand check" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand check" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand check" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand drift" -l target -d 'The Kubernetes version you are upgrading to (default: the control plane\'s own), e.g. `1.26`' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -l fail-on -d 'Exit 1 when a node\'s verdict is at or above this severity' -r -f -a "error\t''
warning\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand drift" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand drift" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand drift" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand drift" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand drift" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand drift" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand drift" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand drift" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand drift" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand drift" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand workloads" -l target -d 'The Kubernetes version you are upgrading to (default: the control plane\'s own), e.g. `1.26`' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -l fail-on -d 'Exit 1 when a finding is at or above this severity' -r -f -a "error\t''
warning\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand workloads" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand workloads" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand workloads" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand workloads" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand workloads" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand workloads" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand workloads" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand workloads" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand workloads" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand workloads" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand rotate" -l target -d 'The Kubernetes version you are upgrading to (default: the control plane\'s own), e.g. `1.26`' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l pool -d 'Only nodes of this pool: NAME or KIND/NAME (nodepool, provisioner, nodegroup)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l batch -d 'Nodes disrupted at once' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l max-unavailable -d 'At most this many nodes (or this share of all nodes) unavailable at once' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l mode -d 'replace: cordon, drain, delete Karpenter nodes; drain: stop after the drain; cordon: only cordon' -r -f -a "replace\t'Cordon, drain, then replace (delete Karpenter nodes; others are left drained)'
drain\t'Cordon and drain, then stop'
cordon\t'Only cordon'
karpenter\t'Change nothing: follow Karpenter\'s own drift of the selected NodePools to the end'"
complete -c kup -n "__fish_kup_using_subcommand rotate" -l drain-timeout -d 'How long a node\'s evictions may be refused (PDB, 429) before the run stops: `5m`, `30s`' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l grace-period -d 'Grace period for evicted pods, in seconds (default: each pod\'s own)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l timeout -d 'How long to wait for evicted pods to go and for replacements and workloads to be Ready' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand rotate" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand rotate" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand rotate" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand rotate" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand rotate" -l dry-run -d 'Print the plan and change nothing'
complete -c kup -n "__fish_kup_using_subcommand rotate" -s y -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c kup -n "__fish_kup_using_subcommand rotate" -l step -d 'Ask again before each node (needs a terminal)'
complete -c kup -n "__fish_kup_using_subcommand rotate" -l force -d 'Evict pods without a controller and pods marked karpenter.sh/do-not-disrupt'
complete -c kup -n "__fish_kup_using_subcommand rotate" -l delete-emptydir-data -d 'Evict pods using emptyDir volumes (their data is lost)'
complete -c kup -n "__fish_kup_using_subcommand rotate" -l ignore-budgets -d 'Disrupt more nodes of a Karpenter NodePool at once than its disruption budgets allow now (by default a batch holds at most that many of a pool\'s nodes)'
complete -c kup -n "__fish_kup_using_subcommand rotate" -l abort -d 'Undo an interrupted rotation: uncordon the nodes kup cordoned and remove its markers'
complete -c kup -n "__fish_kup_using_subcommand rotate" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand rotate" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand rotate" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand rotate" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l to -d 'The version to reach, e.g. `1.32` (hops one minor at a time)' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l addons -d 'EKS add-ons at each hop: its default version, the latest compatible one, or leave them' -r -f -a "default\t'The hop\'s default version of each add-on'
latest\t'The newest version compatible with the hop'
skip\t'Leave the add-ons alone'"
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l nodes -d 'Karpenter nodes: kup\'s rotation, Karpenter\'s drift, or drift where Karpenter drifts' -r -f -a "rotate\t'kup rotates every lagging node itself (cordon, drain, replace)'
karpenter\t'Karpenter\'s drift replaces them; kup waits (pools that do not drift block the plan)'
auto\t'Karpenter where it drifts the pool, kup\'s rotation elsewhere'"
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l batch -d 'Nodes kup disrupts at once when it rotates' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l hop-timeout -d 'How long one hop may take before the run stops (resumable): `2h`, `45m`' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l drain-timeout -d 'How long a node\'s evictions may be refused (PDB, 429) before the run stops' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l fail-on -d 'Gate findings at or above this severity stop the run before the hop\'s first write' -r -f -a "error\t''
warning\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l dry-run -d 'Print the plan (with -o markdown: a runbook) and change nothing'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s y -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -l step -d 'Ask again before each hop and each node (needs a terminal)'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand upgrade" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand fleet" -l target -d 'The version to judge every cluster against, or `+1` for each cluster\'s next minor (default: each control plane\'s own)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l fail-on -d 'Exit 1 when a finding of any cluster is at or above this severity' -r -f -a "error\t''
warning\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand fleet" -l contexts -d 'Only these contexts, comma-separated (default: every context of the kubeconfig)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l match -d 'Only the contexts whose name this regular expression matches (anywhere: anchor with ^ $)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l parallel -d 'Clusters read at once (memory grows with it: one snapshot each)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l timeout -d 'How long one cluster may take; past it, its row says it timed out' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand fleet" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand fleet" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand fleet" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand fleet" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand fleet" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand fleet" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand fleet" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand fleet" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand fleet" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand completions" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand completions" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand completions" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand completions" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand completions" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand completions" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand completions" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand completions" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand demo" -l scenario -d 'Built-in scenario to run the story on' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -l kubeconfig -d 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -s n -l namespace -d 'Only look at workloads in this namespace (nodes are always cluster-wide)' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -s l -l selector -d 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -l request-timeout -d 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -l wire -d 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON' -r -f -a "auto\t'Protobuf for built-in kinds where the server offers it, else JSON'
protobuf\t'Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for built-in kinds'
json\t'JSON only'"
complete -c kup -n "__fish_kup_using_subcommand demo" -l list-concurrency -d 'Paged lists in flight at once; above 1, pods are listed namespace by namespace' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -l config -d 'kup\'s config file (suppressions and placement policies); default `.kup.yaml` if present' -r -F
complete -c kup -n "__fish_kup_using_subcommand demo" -l cluster -d 'EKS cluster name (default: taken from an EKS context ARN)' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -l region -d 'AWS region (default: from the context ARN, the profile, or AWS_REGION)' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -l profile -d 'AWS profile (default: AWS_PROFILE or the default chain)' -r
complete -c kup -n "__fish_kup_using_subcommand demo" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
markdown\t''
junit\t'JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only'"
complete -c kup -n "__fish_kup_using_subcommand demo" -l color -d 'When to colour the output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kup -n "__fish_kup_using_subcommand demo" -l keep -d 'Keep the simulated cluster running after the story, until Ctrl-C (prints its kubeconfig)'
complete -c kup -n "__fish_kup_using_subcommand demo" -s A -l all-namespaces -d 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
complete -c kup -n "__fish_kup_using_subcommand demo" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c kup -n "__fish_kup_using_subcommand demo" -s q -l quiet -d 'Print nothing but the result (and errors)'
complete -c kup -n "__fish_kup_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kup -n "__fish_kup_using_subcommand demo" -s V -l version -d 'Print version'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "check" -d 'One readiness report: control plane, node version skew, findings; the exit code gates CI'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "drift" -d 'Nodes whose kubelet lags the control plane (or --target), grouped by pool'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "workloads" -d 'Each workload\'s placement verdict against the node pools'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "rotate" -d 'Cordon, drain and replace lagging nodes, batch by batch, resumably'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "upgrade" -d 'Upgrade the cluster to --to, one minor at a time: gate, control plane, add-ons, nodes, verify'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "fleet" -d '`kup check` for every context of the kubeconfig at once: one row per cluster, most urgent first'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "completions" -d 'Print a shell completion script'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "demo" -d 'Run the upgrade story against the built-in simulated cluster (no cloud account needed)'
complete -c kup -n "__fish_kup_using_subcommand help; and not __fish_seen_subcommand_from check drift workloads rotate upgrade fleet completions demo help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
