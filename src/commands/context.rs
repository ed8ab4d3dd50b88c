//! What every cluster command needs from the global flags, validated once.

use crate::checks::Config;
use crate::cli::{ColorChoice, GlobalArgs, WireArg};
use crate::cluster::{ClusterError, ConnectOptions, ReadScope, Wire};
use crate::error::KupError;
use crate::model::Snapshot;
use crate::output::{Format, Style};
use crate::version::Version;
use std::io::IsTerminal;

#[derive(Clone, Debug)]
pub struct Context {
    pub connect: ConnectOptions,
    pub format: Format,
    pub style: Style,
    /// `-l`: nodes for drift/check, workloads for `kup workloads`.
    pub selector: Option<String>,
    pub namespace: Option<String>,
    /// `.kup.yaml` (or `--config`): suppressions and placement policies.
    pub config: Config,
}

/// The default config file, read from the current directory when present.
pub const DEFAULT_CONFIG: &str = ".kup.yaml";

impl Context {
    pub fn from_args(g: &GlobalArgs) -> Result<Context, KupError> {
        let color = match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        if let Some(sel) = &g.selector {
            validate_selector(sel)?;
        }
        if let Some(ns) = &g.namespace
            && !is_dns_label(ns)
        {
            return Err(KupError::Usage(format!(
                "invalid --namespace \"{ns}\": must be a DNS label (lowercase letters, digits, '-')"
            )));
        }
        Ok(Context {
            connect: ConnectOptions {
                kubeconfig: g.kubeconfig.clone(),
                context: g.context.clone(),
                eks_cluster: g.cluster.clone(),
                request_timeout: g.request_timeout.0,
                lists: crate::cluster::ListOptions {
                    wire: match g.wire {
                        WireArg::Auto => Wire::Auto,
                        WireArg::Protobuf => Wire::Protobuf,
                        WireArg::Json => Wire::Json,
                    },
                    concurrency: g.list_concurrency,
                },
                aws: crate::cluster::AwsOptions {
                    region: g.region.clone(),
                    profile: g.profile.clone(),
                    demo_endpoint: None,
                },
            },
            format: g.output,
            style: Style {
                color,
                width: terminal_width(),
            },
            selector: g.selector.clone(),
            namespace: g.namespace.clone(),
            config: load_config(g.config.as_deref())?,
        })
    }

    /// The read scope with `-l` on nodes; callers switch on what else they need.
    pub fn scope(&self) -> ReadScope {
        ReadScope {
            node_selector: self.selector.clone(),
            namespace: self.namespace.clone(),
            ..Default::default()
        }
    }
}

/// The version to judge the cluster against: `--target` (parsed with the flags), else the
/// control plane's own. Only without `--target` is an unreadable server version fatal (the
/// cluster's fault, exit 3); with it the checks report `KUP-VER-001` and judge against it.
pub fn target_of(snapshot: &Snapshot, flag: Option<&Version>) -> Result<Version, KupError> {
    match (flag, &snapshot.control_plane.parsed) {
        (Some(target), _) => Ok(target.clone()),
        (None, Ok(cp)) => Ok(cp.clone()),
        (None, Err(e)) => Err(ClusterError::BadServerVersion {
            version: snapshot.control_plane.git_version.clone(),
            reason: e.to_string(),
        }
        .into()),
    }
}

/// Reads `--config PATH` (which must exist), else `.kup.yaml` if present; a file that does not
/// parse is a usage error naming the file and the line.
pub fn load_config(flag: Option<&std::path::Path>) -> Result<Config, KupError> {
    let path = match flag {
        Some(p) => p.to_path_buf(),
        None => {
            let p = std::path::PathBuf::from(DEFAULT_CONFIG);
            if !p.exists() {
                return Ok(Config::default());
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| KupError::Usage(format!("cannot read config {}: {e}", path.display())))?;
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    serde_saphyr::from_str(&text)
        .map_err(|e| KupError::Usage(format!("invalid config {}: {e}", path.display())))
}

fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // COLUMNS wins (set by the user or a CI log viewer), else ask the terminal.
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0))
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Rejects selectors the API server would reject with a 400, so the user gets a usage error
/// (exit 2) instead of an API error. Accepts the kubectl syntax: `k=v`, `k==v`, `k!=v`,
/// `k in (a,b)`, `k notin (a)`, `k`, `!k`, comma-separated.
pub fn validate_selector(sel: &str) -> Result<(), KupError> {
    let bad = |why: &str| KupError::Usage(format!("invalid --selector \"{sel}\": {why}"));
    let mut depth = 0i32;
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in sel.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&sel[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(bad("unbalanced ')'"));
        }
    }
    if depth != 0 {
        return Err(bad("unbalanced '('"));
    }
    parts.push(&sel[start..]);
    for part in parts {
        let p = part.trim();
        if p.is_empty() {
            return Err(bad("empty requirement"));
        }
        let key = if let Some(k) = p.strip_prefix('!') {
            k.trim()
        } else if let Some((k, _)) = p
            .split_once("!=")
            .or_else(|| p.split_once("=="))
            .or_else(|| p.split_once('='))
        {
            k.trim()
        } else if let Some((k, rest)) = p.split_once(" in ").or_else(|| p.split_once(" notin ")) {
            let rest = rest.trim();
            if !(rest.starts_with('(') && rest.ends_with(')')) {
                return Err(bad("`in`/`notin` need a parenthesised list"));
            }
            k.trim()
        } else {
            p
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            return Err(bad(&format!("bad label key \"{key}\"")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        for ok in [
            "node-type=applications",
            "a==b,c!=d",
            "env in (prod, staging)",
            "tier notin (x)",
            "karpenter.sh/nodepool",
            "!gpu",
        ] {
            assert!(validate_selector(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a=b,", "env in prod", "(a", "a)", "=b", "a b=c"] {
            assert!(validate_selector(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn namespaces() {
        assert!(is_dns_label("kube-system"));
        assert!(!is_dns_label("Kube"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(""));
    }
}
