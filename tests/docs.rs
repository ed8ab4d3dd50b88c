//! The docs cannot drift from the code: completion scripts, man pages, the finding-code table
//! and the README's two commands are checked here, and `kup demo` is run as the README says.
//! Set `KUP_BLESS=1` to rewrite the generated files.

mod common;

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("KUP_BLESS").is_some()
}

#[test]
fn completion_scripts_are_fresh() {
    for (shell, file) in kup::commands::COMPLETION_FILES {
        let path = root().join("completions").join(file);
        let fresh = kup::commands::completion_script(*shell);
        if bless() {
            std::fs::write(&path, &fresh).unwrap();
            continue;
        }
        let on_disk = std::fs::read(&path).unwrap_or_default();
        assert!(
            on_disk == fresh,
            "{} is stale: run `KUP_BLESS=1 cargo test --test docs`",
            path.display()
        );
    }
}

/// `man/`: one page per command (`kup.1`, `kup-check.1`, ...), rendered by clap_mangen from
/// the same clap definitions as `--help`.
#[test]
fn man_pages_are_fresh() {
    let dir = root().join("man");
    let fresh = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(kup::cli::Cli::command(), fresh.path()).unwrap();
    let pages = |d: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .map(|r| r.flatten().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "1"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let want = pages(fresh.path());
    assert!(
        want.iter().any(|(n, _)| n == "kup-check.1"),
        "one page per subcommand: {:?}",
        want.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    if bless() {
        for (name, _) in pages(&dir) {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &want {
            std::fs::write(dir.join(name), text).unwrap();
        }
        return;
    }
    let have = pages(&dir);
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&have),
        names(&want),
        "man/ pages are stale: run `KUP_BLESS=1 cargo test --test docs`"
    );
    for ((name, on_disk), (_, fresh)) in have.iter().zip(&want) {
        assert!(
            on_disk == fresh,
            "man/{name} is stale: run `KUP_BLESS=1 cargo test --test docs`"
        );
    }
}

/// The byte range between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.
fn section_range(text: &str, name: &str) -> std::ops::Range<usize> {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let start = text
        .find(&begin)
        .unwrap_or_else(|| panic!("README lacks {begin}"))
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .unwrap_or_else(|| panic!("README lacks {end}"))
        + start;
    start..stop
}

fn section<'a>(text: &'a str, name: &str) -> &'a str {
    &text[section_range(text, name)]
}

#[test]
fn readme_table_of_finding_codes_is_current() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let table = kup::output::codes_markdown_table();
    let current = section(&readme, "codes");
    if bless() {
        let mut updated = readme.clone();
        updated.replace_range(
            section_range(&readme, "codes"),
            &format!("\n{}\n", table.trim()),
        );
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        current.trim(),
        table.trim(),
        "README finding codes are stale: run `KUP_BLESS=1 cargo test --test docs`"
    );
}

#[test]
fn readme_commands_are_the_ones_ci_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let setup = section(&readme, "setup");
    let commands: Vec<&str> = setup
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("```") && !l.starts_with('#'))
        .collect();
    assert_eq!(
        commands.len(),
        2,
        "exactly two set-up commands: {commands:?}"
    );
    assert!(
        commands[0].contains("demo"),
        "the first runs kup demo: {commands:?}"
    );
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == commands[1]),
        ".ci/run must call `{}` verbatim",
        commands[1]
    );
}

#[test]
fn demo_tells_the_story_on_the_simulated_cluster() {
    let run = common::kup_raw(&["demo"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("$ kup drift"), "{run:?}");
    assert!(
        run.stdout.contains("$ kup check --fail-on warning"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("v1.24.17"),
        "the lagging kubelets are shown: {run:?}"
    );
    assert!(run.stdout.contains("KUP-SKEW-001"), "{run:?}");
    assert!(run.stdout.contains("$ kup workloads"), "{run:?}");
    // The EKS section, read from kup-sim's EKS API.
    assert!(
        run.stdout
            .contains("cluster eks-upgrades-workshop in us-east-1 (1.25"),
        "{run:?}"
    );
    assert!(run.stdout.contains("NODE GROUP"), "{run:?}");
    // The whole rotation (the node group through EKS) and a drift with no lag left...
    assert!(run.stdout.contains("$ kup rotate --yes"), "{run:?}");
    assert!(run.stderr.contains("started EKS update"), "{run:?}");
    let last = run
        .stdout
        .rsplit("$ kup drift --fail-on warning")
        .next()
        .unwrap();
    assert!(
        // (how many new Karpenter nodes come up depends on timing: count none)
        last.contains(" current, 0 behind")
            && last.contains("0 beyond policy")
            && !last.contains("v1.24."),
        "{run:?}"
    );
    assert!(!last.contains("(exit code"), "{run:?}");
    // ... after the whole upgrade to the next two minors.
    assert!(
        run.stdout.contains("$ kup upgrade --to 1.27 --yes"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("upgrade done: the cluster is at 1.27 (2 hops"),
        "{run:?}"
    );
    assert!(
        last.contains("3 nodes against control plane 1.27."),
        "{run:?}"
    );
    let unknown = common::kup_raw(&["demo", "--scenario", "nope"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
}
