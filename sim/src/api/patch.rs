//! The three PATCH flavours: JSON merge patch (RFC 7386), strategic merge patch (the subset
//! kubectl and kup send), and JSON patch (RFC 6902).
//!
//! Strategic merge follows the upstream struct tags for the fields the sim serves: lists merged
//! by key are `containers`/`initContainers`/`ephemeralContainers`/`volumes`/`env`/
//! `imagePullSecrets` (by `name`), `conditions`/`addresses` (by `type`), `volumeMounts` (by
//! `mountPath`), `ports` (by `containerPort`), `ownerReferences` (by `uid`); `finalizers` is a
//! merged set of strings. Every other list is replaced whole — including `taints` and
//! `tolerations`, which upstream has no merge strategy for (that is what lets
//! `kubectl taint NODE key-` remove a taint). Directives: `$patch: delete|replace` (maps and list
//! items), `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` and `$retainKeys`
//! are accepted and ignored.

use serde_json::{Map, Value};

/// RFC 7386.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        "conditions" | "addresses" => "type",
        "volumeMounts" => "mountPath",
        "ports" => "containerPort",
        "ownerReferences" => "uid",
        _ => return None,
    })
}

/// Strategic merge patch of `patch` into `target`.
pub fn strategic_merge(target: &mut Value, patch: &Value) -> Result<(), String> {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("delete") => {
            *target = Value::Null;
            return Ok(());
        }
        Some("replace") => {
            let mut m = p.clone();
            m.remove("$patch");
            *target = Value::Object(m);
            return Ok(());
        }
        Some(other) if other != "merge" => {
            return Err(format!("unknown patch directive $patch: {other}"));
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else {
        return Ok(());
    };
    for (k, v) in p {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(cur)), Value::Array(del)) = (t.get_mut(field), v) {
                cur.retain(|x| !del.contains(x));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match v {
            Value::Object(_) => {
                let slot = t.entry(k.clone()).or_insert(Value::Null);
                strategic_merge(slot, v)?;
                if slot.is_null() {
                    t.remove(k);
                }
            }
            Value::Array(items) => {
                let replace = items
                    .iter()
                    .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"));
                if replace {
                    let kept: Vec<Value> = items
                        .iter()
                        .filter(|i| i.get("$patch").and_then(Value::as_str) != Some("replace"))
                        .cloned()
                        .collect();
                    t.insert(k.clone(), Value::Array(kept));
                } else if let Some(key) = merge_key(k) {
                    let cur = t
                        .entry(k.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if !cur.is_array() {
                        *cur = Value::Array(Vec::new());
                    }
                    if let Value::Array(cur) = cur {
                        merge_list(cur, items, key)?;
                    }
                } else if k == "finalizers" {
                    let cur = t
                        .entry(k.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(cur) = cur {
                        for i in items {
                            if !cur.contains(i) {
                                cur.push(i.clone());
                            }
                        }
                    } else {
                        *cur = v.clone();
                    }
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

fn merge_list(cur: &mut Vec<Value>, items: &[Value], key: &str) -> Result<(), String> {
    for item in items {
        let Some(kv) = item.get(key).cloned() else {
            // An item without its merge key can't be placed; upstream rejects the patch.
            return Err(format!(
                "map: {item} does not contain declared merge key: {key}"
            ));
        };
        let pos = cur.iter().position(|c| c.get(key) == Some(&kv));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                cur.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => strategic_merge(&mut cur[i], item)?,
            None => {
                let mut fresh = Value::Object(Map::new());
                strategic_merge(&mut fresh, item)?;
                cur.push(fresh);
            }
        }
    }
    Ok(())
}

fn tokens(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("invalid JSON pointer {path:?}"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn parent_of<'a>(doc: &'a mut Value, toks: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m
                .get_mut(t)
                .ok_or_else(|| format!("path element {t:?} not found"))?,
            Value::Array(a) => {
                let i: usize = t
                    .parse()
                    .map_err(|_| format!("invalid array index {t:?}"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("array index {i} out of range"))?
            }
            _ => return Err(format!("cannot descend into a scalar at {t:?}")),
        };
    }
    Ok(cur)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let toks = tokens(path)?;
    let Some((last, parent)) = toks.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_of(doc, parent)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
            } else {
                let i: usize = last
                    .parse()
                    .map_err(|_| format!("invalid array index {last:?}"))?;
                if i > a.len() {
                    return Err(format!("array index {i} out of range"));
                }
                a.insert(i, value);
            }
        }
        _ => return Err(format!("cannot add at {path:?}")),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let toks = tokens(path)?;
    let (last, parent) = toks
        .split_last()
        .ok_or("cannot remove the whole document")?;
    match parent_of(doc, parent)? {
        Value::Object(m) => m
            .remove(last)
            .ok_or_else(|| format!("unable to remove nonexistent key: {last}")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid array index {last:?}"))?;
            if i >= a.len() {
                return Err(format!("array index {i} out of range"));
            }
            Ok(a.remove(i))
        }
        _ => Err(format!("cannot remove at {path:?}")),
    }
}

fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        Some(doc)
    } else {
        doc.pointer(path)
    }
}

/// RFC 6902.
pub fn json_patch(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let ops = patch
        .as_array()
        .ok_or("a JSON patch must be an array of operations")?;
    for op in ops {
        let name = op
            .get("op")
            .and_then(Value::as_str)
            .ok_or("operation without \"op\"")?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or("operation without \"path\"")?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("{name} operation without \"value\""))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{name} operation without \"from\""))
        };
        match name {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                if get(doc, path).is_none() {
                    return Err(format!(
                        "replace operation does not apply: doc is missing key: {path}"
                    ));
                }
                remove(doc, path).ok();
                add(doc, path, value()?)?;
            }
            "move" => {
                let v = remove(doc, from()?)?;
                add(doc, path, v)?;
            }
            "copy" => {
                let v = get(doc, from()?)
                    .cloned()
                    .ok_or("copy from a missing path")?;
                add(doc, path, v)?;
            }
            "test" => {
                if get(doc, path) != Some(&value()?) {
                    return Err(format!("testing value {path} failed"));
                }
            }
            other => return Err(format!("unexpected kind of patch operation: {other}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_deletes_with_null() {
        let mut d = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        merge_patch(&mut d, &json!({"a": {"b": null, "d": 3}, "l": [3]}));
        assert_eq!(d, json!({"a": {"c": 2, "d": 3}, "l": [3]}));
    }

    #[test]
    fn strategic_merges_by_key_and_directives() {
        let mut pod = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]},
            "spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}],
                     "tolerations": [{"key": "t1"}, {"key": "t2"}]},
            "metadata": {"finalizers": ["f1"], "labels": {"x": "1"}}});
        strategic_merge(&mut pod, &json!({
            "status": {"conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null}]},
            "spec": {"containers": [{"name": "b", "$patch": "delete"}, {"name": "c", "image": "z:1"}],
                     "tolerations": [{"key": "t3"}]},
            "metadata": {"finalizers": ["f2"], "labels": {"$patch": "replace", "y": "2"}}})).unwrap();
        assert_eq!(
            pod["status"]["conditions"],
            json!([{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}])
        );
        assert_eq!(
            pod["spec"]["containers"],
            json!([{"name": "a", "image": "x:1"}, {"name": "c", "image": "z:1"}])
        );
        assert_eq!(pod["spec"]["tolerations"], json!([{"key": "t3"}]));
        assert_eq!(pod["metadata"]["finalizers"], json!(["f1", "f2"]));
        assert_eq!(pod["metadata"]["labels"], json!({"y": "2"}));
        strategic_merge(
            &mut pod,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}}),
        )
        .unwrap();
        assert_eq!(pod["metadata"]["finalizers"], json!(["f2"]));
        assert!(
            strategic_merge(&mut pod, &json!({"spec": {"containers": [{"image": "q"}]}})).is_err()
        );
    }

    #[test]
    fn json_patch_ops() {
        let mut d = json!({"a": [1, 2], "b": {"c": "x"}});
        json_patch(
            &mut d,
            &json!([
                {"op": "add", "path": "/a/-", "value": 3},
                {"op": "add", "path": "/a/0", "value": 0},
                {"op": "remove", "path": "/a/1"},
                {"op": "replace", "path": "/b/c", "value": "y"},
                {"op": "copy", "from": "/b/c", "path": "/d"},
                {"op": "move", "from": "/d", "path": "/e"},
                {"op": "test", "path": "/e", "value": "y"},
                {"op": "add", "path": "/b/k~1s", "value": true}
            ]),
        )
        .unwrap();
        assert_eq!(
            d,
            json!({"a": [0, 2, 3], "b": {"c": "y", "k/s": true}, "e": "y"})
        );
        assert!(json_patch(&mut d, &json!([{"op": "test", "path": "/e", "value": "z"}])).is_err());
        assert!(
            json_patch(
                &mut d,
                &json!([{"op": "replace", "path": "/nope", "value": 1}])
            )
            .is_err()
        );
        assert!(json_patch(&mut d, &json!({"op": "add"})).is_err());
    }
}
