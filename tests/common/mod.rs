//! Shared by the end-to-end tests: a kup-sim cluster started in-process on a loopback port,
//! a kubeconfig pointing at it, and the real `kup` binary run against it over HTTP.
#![allow(dead_code)]

pub mod xmllint;

use std::path::{Path, PathBuf};
use std::process::Output;

pub struct Sim {
    pub handle: Option<kup_sim::SimHandle>,
    pub url: String,
    pub kubeconfig: PathBuf,
    pub dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

#[derive(Default)]
pub struct SimSpec<'a> {
    /// A built-in scenario name ("workshop", "no-lag", ...).
    pub builtin: Option<&'a str>,
    /// A scenario of the test's own, as YAML (instead of `builtin`).
    pub yaml: Option<&'a str>,
    /// `--generate` spec.
    pub generate: Option<&'a str>,
    pub token: Option<&'a str>,
    pub readonly_token: Option<&'a str>,
    pub noaccess_token: Option<&'a str>,
    /// Plain manifests added to the scenario (`--manifests DIR`): (file name, YAML).
    pub manifests: &'a [(&'a str, &'a str)],
    /// Where the sim clock starts (RFC 3339), over the scenario's own pin. Without either,
    /// [`TEST_NOW`]: no test runs on today's date.
    pub now: Option<&'a str>,
}

/// The sim clock's start for tests whose scenario pins none.
pub const TEST_NOW: &str = "2025-06-02T09:00:00Z";

impl Sim {
    pub fn builtin(name: &str) -> Sim {
        Sim::start(SimSpec {
            builtin: Some(name),
            ..Default::default()
        })
    }

    pub fn start(spec: SimSpec<'_>) -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let text = spec.builtin.map(|name| {
            let yaml = kup_sim::scenario::builtin(name)
                .unwrap_or_else(|| panic!("no built-in scenario {name}"));
            (format!("builtin:{name}"), yaml.to_string())
        });
        let text = text.or_else(|| spec.yaml.map(|y| ("test.yaml".to_string(), y.to_string())));
        let manifest_dir = tempfile::tempdir().unwrap();
        for (name, yaml) in spec.manifests {
            std::fs::write(manifest_dir.path().join(name), yaml).unwrap();
        }
        // A scenario that pins its own day keeps it (`now` would override it).
        let pins_none = text
            .as_ref()
            .is_none_or(|(_, yaml)| !yaml.lines().any(|l| l.trim_start().starts_with("now:")));
        let source = kup_sim::scenario::ScenarioSource {
            text,
            manifests: (!spec.manifests.is_empty()).then(|| manifest_dir.path().to_path_buf()),
            generate: spec.generate.map(str::to_string),
            seed: 7,
            now: spec
                .now
                .or(pins_none.then_some(TEST_NOW))
                .map(|t| t.parse().expect("an RFC 3339 time")),
            ..Default::default()
        };
        let opts = kup_sim::SimOptions {
            source,
            listen: "127.0.0.1:0".parse().unwrap(),
            token: spec.token.map(str::to_string),
            readonly_token: spec.readonly_token.map(str::to_string),
            noaccess_token: spec.noaccess_token.map(str::to_string),
        };
        let handle = runtime
            .block_on(kup_sim::start(opts))
            .expect("kup-sim starts");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, handle.kubeconfig_yaml(spec.token)).unwrap();
        let url = handle.url();
        Sim {
            handle: Some(handle),
            url,
            kubeconfig,
            dir,
            runtime,
        }
    }

    /// Writes another kubeconfig for this sim with a different token.
    pub fn kubeconfig_with_token(&self, token: &str) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{token}"));
        std::fs::write(
            &path,
            self.handle.as_ref().unwrap().kubeconfig_yaml(Some(token)),
        )
        .unwrap();
        path
    }

    /// Replaces the sim's fault configuration (read on every API request).
    pub fn set_faults(&self, faults: kup_sim::scenario::FaultConfig) {
        self.handle.as_ref().unwrap().shared.lock().unwrap().faults = faults;
    }

    pub fn stats(&self) -> serde_json::Value {
        self.handle.as_ref().unwrap().stats()
    }

    /// Runs `kup ARGS` against this sim.
    pub fn kup(&self, args: &[&str]) -> Run {
        kup_with_kubeconfig(&self.kubeconfig, args)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

/// The outcome of one `kup` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A `kup` command with a clean environment (no KUBECONFIG/KUP_* leaking in, no colour).
pub fn kup_command() -> std::process::Command {
    clean_command(env!("CARGO_BIN_EXE_kup"))
}

/// PROGRAM with the environment `kup_command` gives kup (for a program that runs kup, such as
/// kubectl running the plugin).
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    for (k, _) in std::env::vars_os() {
        if let Some(k) = k.to_str()
            && (k.starts_with("KUP_") || k == "KUBECONFIG" || k.starts_with("AWS_"))
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1").env("HOME", std::env::temp_dir());
    // No AWS credentials unless a test gives some: the EKS section is skipped at once (no
    // instance-metadata probing, no ~/.aws of the machine running the tests).
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/kup-test/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/kup-test/aws-credentials",
        );
    cmd
}

pub fn kup_with_kubeconfig(kubeconfig: &Path, args: &[&str]) -> Run {
    let out = kup_command()
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .expect("kup runs");
    Run::from(out)
}

pub fn kup_raw(args: &[&str]) -> Run {
    Run::from(kup_command().args(args).output().expect("kup runs"))
}

impl Sim {
    /// Runs `kup ARGS` with the AWS settings that point EKS calls at this sim
    /// (`AWS_ENDPOINT_URL`, throwaway keys; the sim does not check signatures).
    pub fn kup_eks(&self, args: &[&str]) -> Run {
        self.kup_env(args, &self.eks_env())
    }

    pub fn eks_env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.url.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "AKIAKUPTEST".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "kup-test-secret".into()),
        ]
    }

    /// Runs `kup ARGS` against this sim with extra environment variables.
    pub fn kup_env(&self, args: &[&str], env: &[(String, String)]) -> Run {
        let mut cmd = kup_command();
        if !args.contains(&"--kubeconfig") {
            cmd.arg("--kubeconfig").arg(&self.kubeconfig);
        }
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("kup runs"))
    }
}

/// One raw HTTP request to a sim (no auth): (status, body).
pub fn http_request(
    url: &str,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {resp}"));
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}
