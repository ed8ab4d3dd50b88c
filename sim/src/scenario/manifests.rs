//! Plain Kubernetes manifests: the `objects:` list of a scenario and `--manifests DIR`
//! (every `*.yaml`/`*.yml`, sorted, multi-document, each document an object or a `List`).

use super::ScenarioError;
use crate::resources::Kind;
use serde_json::Value;
use std::path::Path;

/// Every object of every `*.yaml`/`*.yml` file in `dir` (sorted by file name).
pub fn load_dir(dir: &Path) -> Result<Vec<Value>, ScenarioError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|source| ScenarioError::Io {
        file: shown.clone(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ScenarioError::Io {
            file: shown.clone(),
            source,
        })?;
        let path = entry.path();
        let is_yaml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "yaml" || e == "yml");
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut objects = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| ScenarioError::Io {
            file: name.clone(),
            source,
        })?;
        objects.extend(parse(&name, &text)?);
    }
    Ok(objects)
}

/// Parse multi-document YAML (or JSON) text into checked objects; `name` is used in errors.
pub fn parse(name: &str, text: &str) -> Result<Vec<Value>, ScenarioError> {
    let mut objects = Vec::new();
    for (start_line, doc) in split_documents(text) {
        if doc.lines().all(|l| {
            let t = l.trim();
            t.is_empty() || t.starts_with('#')
        }) {
            continue;
        }
        let value: Value = serde_saphyr::from_str(&doc)
            .map_err(|e| ScenarioError::from_yaml(name, start_line - 1, &e))?;
        if value.is_null() {
            continue;
        }
        let first_line = start_line
            + doc
                .lines()
                .take_while(|l| l.trim().is_empty() || l.trim().starts_with('#'))
                .count() as u64;
        objects.extend(check_object(value).map_err(|m| ScenarioError::at(name, first_line, 1, m))?);
    }
    Ok(objects)
}

/// Split at `---` lines; each document with the (1-based) line it starts on.
fn split_documents(text: &str) -> Vec<(u64, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1u64;
    for (i, line) in text.lines().enumerate() {
        let marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if marker || line == "..." {
            docs.push((start, std::mem::take(&mut current)));
            start = i as u64 + 2;
            // `--- {inline}`: the rest of the line belongs to the new document.
            if marker && !line[3..].trim().is_empty() && !line[3..].trim().starts_with('#') {
                start = i as u64 + 1;
                current.push_str(&line[3..]);
                current.push('\n');
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push((start, current));
    docs
}

/// Check one manifest (flattening a `List`): apiVersion and kind served by kup-sim, a name,
/// and the namespace defaulted to `default` for namespaced kinds.
pub(crate) fn check_object(mut value: Value) -> Result<Vec<Value>, String> {
    let Some(obj) = value.as_object() else {
        return Err(format!(
            "expected a Kubernetes object (a mapping), got {}",
            type_name(&value)
        ));
    };
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("object has no kind")?
        .to_string();
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{kind}: object has no apiVersion"))?
        .to_string();
    if kind == "List" || kind.ends_with("List") && obj.contains_key("items") {
        let items = match value.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                return Err(format!(
                    "{kind}: items must be a list, got {}",
                    type_name(&other)
                ));
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            out.extend(check_object(item).map_err(|m| format!("{kind} item {i}: {m}"))?);
        }
        return Ok(out);
    }
    let Some(k) = Kind::from_name(&kind) else {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        return Err(format!(
            "kind {kind:?} is not simulated by kup-sim (it serves {})",
            known.join(", ")
        ));
    };
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
    let info = k.info();
    if group != info.group || !info.versions.contains(&version) {
        let served: Vec<String> = info.versions.iter().map(|v| info.api_version(v)).collect();
        return Err(format!(
            "{kind} is served at {}, not {api_version:?}",
            served.join(" and ")
        ));
    }
    let name = value.pointer("/metadata/name");
    if let Some(other) = name.filter(|n| !n.is_string()) {
        return Err(format!(
            "{kind}: metadata.name must be a string, got {} (quote it)",
            type_name(other)
        ));
    }
    if name.and_then(Value::as_str).unwrap_or_default().is_empty() {
        return Err(format!(
            "{kind}: metadata.name is missing (generateName is not supported in scenarios)"
        ));
    }
    if k.namespaced() {
        if value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .is_none()
        {
            value["metadata"]["namespace"] = Value::String("default".into());
        }
    } else if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("namespace");
    }
    Ok(vec![value])
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
