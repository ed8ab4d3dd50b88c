
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kup' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kup'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kup' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'One readiness report: control plane, node version skew, findings; the exit code gates CI')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Nodes whose kubelet lags the control plane (or --target), grouped by pool')
            [CompletionResult]::new('workloads', 'workloads', [CompletionResultType]::ParameterValue, 'Each workload''s placement verdict against the node pools')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Cordon, drain and replace lagging nodes, batch by batch, resumably')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Upgrade the cluster to --to, one minor at a time: gate, control plane, add-ons, nodes, verify')
            [CompletionResult]::new('fleet', 'fleet', [CompletionResultType]::ParameterValue, '`kup check` for every context of the kubeconfig at once: one row per cluster, most urgent first')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the upgrade story against the built-in simulated cluster (no cloud account needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kup;check' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding is at or above this severity')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;drift' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a node''s verdict is at or above this severity')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;workloads' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding is at or above this severity')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;rotate' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`')
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Only nodes of this pool: NAME or KIND/NAME (nodepool, provisioner, nodegroup)')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Nodes disrupted at once')
            [CompletionResult]::new('--max-unavailable', '--max-unavailable', [CompletionResultType]::ParameterName, 'At most this many nodes (or this share of all nodes) unavailable at once')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'replace: cordon, drain, delete Karpenter nodes; drain: stop after the drain; cordon: only cordon')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'How long a node''s evictions may be refused (PDB, 429) before the run stops: `5m`, `30s`')
            [CompletionResult]::new('--grace-period', '--grace-period', [CompletionResultType]::ParameterName, 'Grace period for evicted pods, in seconds (default: each pod''s own)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for evicted pods to go and for replacements and workloads to be Ready')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan and change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Ask again before each node (needs a terminal)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Evict pods without a controller and pods marked karpenter.sh/do-not-disrupt')
            [CompletionResult]::new('--delete-emptydir-data', '--delete-emptydir-data', [CompletionResultType]::ParameterName, 'Evict pods using emptyDir volumes (their data is lost)')
            [CompletionResult]::new('--ignore-budgets', '--ignore-budgets', [CompletionResultType]::ParameterName, 'Disrupt more nodes of a Karpenter NodePool at once than its disruption budgets allow now (by default a batch holds at most that many of a pool''s nodes)')
            [CompletionResult]::new('--abort', '--abort', [CompletionResultType]::ParameterName, 'Undo an interrupted rotation: uncordon the nodes kup cordoned and remove its markers')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;upgrade' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The version to reach, e.g. `1.32` (hops one minor at a time)')
            [CompletionResult]::new('--addons', '--addons', [CompletionResultType]::ParameterName, 'EKS add-ons at each hop: its default version, the latest compatible one, or leave them')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'Karpenter nodes: kup''s rotation, Karpenter''s drift, or drift where Karpenter drifts')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Nodes kup disrupts at once when it rotates')
            [CompletionResult]::new('--hop-timeout', '--hop-timeout', [CompletionResultType]::ParameterName, 'How long one hop may take before the run stops (resumable): `2h`, `45m`')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'How long a node''s evictions may be refused (PDB, 429) before the run stops')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Gate findings at or above this severity stop the run before the hop''s first write')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (with -o markdown: a runbook) and change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Ask again before each hop and each node (needs a terminal)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;fleet' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'The version to judge every cluster against, or `+1` for each cluster''s next minor (default: each control plane''s own)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding of any cluster is at or above this severity')
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Only these contexts, comma-separated (default: every context of the kubeconfig)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only the contexts whose name this regular expression matches (anywhere: anchor with ^ $)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Clusters read at once (memory grows with it: one snapshot each)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long one cluster may take; past it, its row says it timed out')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;completions' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;demo' {
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'Built-in scenario to run the story on')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Only look at workloads in this namespace (nodes are always cluster-wide)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none')
            [CompletionResult]::new('--wire', '--wire', [CompletionResultType]::ParameterName, 'How lists of built-in kinds travel: `auto` asks for protobuf and takes JSON where the server (or a proxy) does not offer it; custom resources are always JSON')
            [CompletionResult]::new('--list-concurrency', '--list-concurrency', [CompletionResultType]::ParameterName, 'Paged lists in flight at once; above 1, pods are listed namespace by namespace')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'EKS cluster name (default: taken from an EKS context ARN)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region (default: from the context ARN, the profile, or AWS_REGION)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (default: AWS_PROFILE or the default chain)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR is honoured by `auto`)')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the simulated cluster running after the story, until Ctrl-C (prints its kubeconfig)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in all namespaces (the default; accepted for kubectl habits)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result (and errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kup;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'One readiness report: control plane, node version skew, findings; the exit code gates CI')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Nodes whose kubelet lags the control plane (or --target), grouped by pool')
            [CompletionResult]::new('workloads', 'workloads', [CompletionResultType]::ParameterValue, 'Each workload''s placement verdict against the node pools')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Cordon, drain and replace lagging nodes, batch by batch, resumably')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Upgrade the cluster to --to, one minor at a time: gate, control plane, add-ons, nodes, verify')
            [CompletionResult]::new('fleet', 'fleet', [CompletionResultType]::ParameterValue, '`kup check` for every context of the kubeconfig at once: one row per cluster, most urgent first')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the upgrade story against the built-in simulated cluster (no cloud account needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kup;help;check' {
            break
        }
        'kup;help;drift' {
            break
        }
        'kup;help;workloads' {
            break
        }
        'kup;help;rotate' {
            break
        }
        'kup;help;upgrade' {
            break
        }
        'kup;help;fleet' {
            break
        }
        'kup;help;completions' {
            break
        }
        'kup;help;demo' {
            break
        }
        'kup;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
