
use builtin;
use str;

set edit:completion:arg-completer[kup] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'kup'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'kup'= {
            cand --kubeconfig 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)'
            cand --context 'The kubeconfig context to use (default: current-context)'
            cand -n 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand --namespace 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand -l 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --selector 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --request-timeout 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none'
            cand --config 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present'
            cand --cluster 'EKS cluster name (default: taken from an EKS context ARN)'
            cand --region 'AWS region (default: from the context ARN, the profile, or AWS_REGION)'
            cand --profile 'AWS profile (default: AWS_PROFILE or the default chain)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour the output (NO_COLOR is honoured by `auto`)'
            cand -A 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand --all-namespaces 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print nothing but the result (and errors)'
            cand --quiet 'Print nothing but the result (and errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'One readiness report: control plane, node version skew, findings; the exit code gates CI'
            cand drift 'Nodes whose kubelet lags the control plane (or --target), grouped by pool'
            cand workloads 'Each workload''s placement verdict against the node pools'
            cand rotate 'Cordon, drain and replace lagging nodes, batch by batch, resumably'
            cand completions 'Print a shell completion script'
            cand demo 'Run the upgrade story against the built-in simulated cluster (no cloud account needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kup;check'= {
            cand --target 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`'
            cand --fail-on 'Exit 1 when a finding is at or above this severity'
            cand --kubeconfig 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)'
            cand --context 'The kubeconfig context to use (default: current-context)'
            cand -n 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand --namespace 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand -l 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --selector 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --request-timeout 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none'
            cand --config 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present'
            cand --cluster 'EKS cluster name (default: taken from an EKS context ARN)'
            cand --region 'AWS region (default: from the context ARN, the profile, or AWS_REGION)'
            cand --profile 'AWS profile (default: AWS_PROFILE or the default chain)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour the output (NO_COLOR is honoured by `auto`)'
            cand -A 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand --all-namespaces 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print nothing but the result (and errors)'
            cand --quiet 'Print nothing but the result (and errors)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kup;drift'= {
            cand --target 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`'
            cand --fail-on 'Exit 1 when a node''s verdict is at or above this severity'
            cand --kubeconfig 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)'
            cand --context 'The kubeconfig context to use (default: current-context)'
            cand -n 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand --namespace 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand -l 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --selector 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --request-timeout 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none'
            cand --config 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present'
            cand --cluster 'EKS cluster name (default: taken from an EKS context ARN)'
            cand --region 'AWS region (default: from the context ARN, the profile, or AWS_REGION)'
            cand --profile 'AWS profile (default: AWS_PROFILE or the default chain)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour the output (NO_COLOR is honoured by `auto`)'
            cand -A 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand --all-namespaces 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print nothing but the result (and errors)'
            cand --quiet 'Print nothing but the result (and errors)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kup;workloads'= {
            cand --target 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`'
            cand --fail-on 'Exit 1 when a finding is at or above this severity'
            cand --kubeconfig 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)'
            cand --context 'The kubeconfig context to use (default: current-context)'
            cand -n 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand --namespace 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand -l 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --selector 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --request-timeout 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none'
            cand --config 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present'
            cand --cluster 'EKS cluster name (default: taken from an EKS context ARN)'
            cand --region 'AWS region (default: from the context ARN, the profile, or AWS_REGION)'
            cand --profile 'AWS profile (default: AWS_PROFILE or the default chain)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour the output (NO_COLOR is honoured by `auto`)'
            cand -A 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand --all-namespaces 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print nothing but the result (and errors)'
            cand --quiet 'Print nothing but the result (and errors)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kup;rotate'= {
            cand --target 'The Kubernetes version you are upgrading to (default: the control plane''s own), e.g. `1.26`'
            cand --kubeconfig 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)'
            cand --context 'The kubeconfig context to use (default: current-context)'
            cand -n 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand --namespace 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand -l 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --selector 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --request-timeout 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none'
            cand --config 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present'
            cand --cluster 'EKS cluster name (default: taken from an EKS context ARN)'
            cand --region 'AWS region (default: from the context ARN, the profile, or AWS_REGION)'
            cand --profile 'AWS profile (default: AWS_PROFILE or the default chain)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour the output (NO_COLOR is honoured by `auto`)'
            cand -A 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand --all-namespaces 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print nothing but the result (and errors)'
            cand --quiet 'Print nothing but the result (and errors)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kup;completions'= {
            cand --kubeconfig 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)'
            cand --context 'The kubeconfig context to use (default: current-context)'
            cand -n 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand --namespace 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand -l 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --selector 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --request-timeout 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none'
            cand --config 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present'
            cand --cluster 'EKS cluster name (default: taken from an EKS context ARN)'
            cand --region 'AWS region (default: from the context ARN, the profile, or AWS_REGION)'
            cand --profile 'AWS profile (default: AWS_PROFILE or the default chain)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour the output (NO_COLOR is honoured by `auto`)'
            cand -A 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand --all-namespaces 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print nothing but the result (and errors)'
            cand --quiet 'Print nothing but the result (and errors)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kup;demo'= {
            cand --scenario 'Built-in scenario to run the story on'
            cand --kubeconfig 'Path(s) to kubeconfig files, separated like $KUBECONFIG (also read from KUBECONFIG)'
            cand --context 'The kubeconfig context to use (default: current-context)'
            cand -n 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand --namespace 'Only look at workloads in this namespace (nodes are always cluster-wide)'
            cand -l 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --selector 'Label selector for the nodes (drift, check, rotate) or workloads (workloads), e.g. `node-type=applications`'
            cand --request-timeout 'Timeout of a single API request, like kubectl: `30s`, `1m`, `0` for none'
            cand --config 'kup''s config file (suppressions and placement policies); default `.kup.yaml` if present'
            cand --cluster 'EKS cluster name (default: taken from an EKS context ARN)'
            cand --region 'AWS region (default: from the context ARN, the profile, or AWS_REGION)'
            cand --profile 'AWS profile (default: AWS_PROFILE or the default chain)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour the output (NO_COLOR is honoured by `auto`)'
            cand --keep 'Keep the simulated cluster running after the story, until Ctrl-C (prints its kubeconfig)'
            cand -A 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand --all-namespaces 'Look at workloads in all namespaces (the default; accepted for kubectl habits)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print nothing but the result (and errors)'
            cand --quiet 'Print nothing but the result (and errors)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kup;help'= {
            cand check 'One readiness report: control plane, node version skew, findings; the exit code gates CI'
            cand drift 'Nodes whose kubelet lags the control plane (or --target), grouped by pool'
            cand workloads 'Each workload''s placement verdict against the node pools'
            cand rotate 'Cordon, drain and replace lagging nodes, batch by batch, resumably'
            cand completions 'Print a shell completion script'
            cand demo 'Run the upgrade story against the built-in simulated cluster (no cloud account needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kup;help;check'= {
        }
        &'kup;help;drift'= {
        }
        &'kup;help;workloads'= {
        }
        &'kup;help;rotate'= {
        }
        &'kup;help;completions'= {
        }
        &'kup;help;demo'= {
        }
        &'kup;help;help'= {
        }
    ]
    $completions[$command]
}
