//! xmllint (libxml2-utils, installed by .ci/run) validating `-o junit` documents against the
//! JUnit schema in tests/data/junit.xsd.

use std::path::{Path, PathBuf};

fn xmllint() -> PathBuf {
    std::env::var_os("KUP_XMLLINT")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("xmllint"))
                .find(|p| p.is_file())
        })
        .expect(
            "xmllint not found (set KUP_XMLLINT or install it: apt-get install libxml2-utils, \
             as .ci/run does)",
        )
}

/// xmllint's verdict on XML against the schema: Ok, or its complaint.
pub fn validate(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit.xsd");
    let out = std::process::Command::new(xmllint())
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
