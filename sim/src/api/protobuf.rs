//! Just enough of the Kubernetes protobuf encoding to accept what kubectl's typed clients send
//! (`kubectl create namespace|deployment|poddisruptionbudget` POST
//! `application/vnd.kubernetes.protobuf`): the `k8s\0` + runtime.Unknown envelope and the
//! fields those generators fill. Unknown fields are skipped; other kinds get a 415.

use crate::resources::Kind;
use crate::store::ApiError;
use serde_json::{Map, Value, json};

pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    Msg(fn(u64) -> Option<(&'static str, Ty)>),
    RepStr,
    RepMsg(fn(u64) -> Option<(&'static str, Ty)>),
    MapStr,
    IntOrStr,
}

fn object_meta(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("name", Ty::Str),
        2 => ("generateName", Ty::Str),
        3 => ("namespace", Ty::Str),
        11 => ("labels", Ty::MapStr),
        12 => ("annotations", Ty::MapStr),
        14 => ("finalizers", Ty::RepStr),
        _ => return None,
    })
}

fn namespace(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("metadata", Ty::Msg(object_meta)),
        2 => (
            "spec",
            Ty::Msg(|f| (f == 1).then_some(("finalizers", Ty::RepStr))),
        ),
        _ => return None,
    })
}

fn label_selector(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("matchLabels", Ty::MapStr),
        2 => (
            "matchExpressions",
            Ty::RepMsg(|f| match f {
                1 => Some(("key", Ty::Str)),
                2 => Some(("operator", Ty::Str)),
                3 => Some(("values", Ty::RepStr)),
                _ => None,
            }),
        ),
        _ => return None,
    })
}

fn container_port(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("name", Ty::Str),
        2 => ("hostPort", Ty::Int),
        3 => ("containerPort", Ty::Int),
        4 => ("protocol", Ty::Str),
        _ => return None,
    })
}

fn container(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("name", Ty::Str),
        2 => ("image", Ty::Str),
        3 => ("command", Ty::RepStr),
        4 => ("args", Ty::RepStr),
        6 => ("ports", Ty::RepMsg(container_port)),
        8 => ("resources", Ty::Msg(|_| None)),
        13 => ("terminationMessagePath", Ty::Str),
        14 => ("imagePullPolicy", Ty::Str),
        _ => return None,
    })
}

fn pod_spec(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        2 => ("containers", Ty::RepMsg(container)),
        3 => ("restartPolicy", Ty::Str),
        4 => ("terminationGracePeriodSeconds", Ty::Int),
        7 => ("nodeSelector", Ty::MapStr),
        _ => return None,
    })
}

fn pod_template(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("metadata", Ty::Msg(object_meta)),
        2 => ("spec", Ty::Msg(pod_spec)),
        _ => return None,
    })
}

fn deployment(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("metadata", Ty::Msg(object_meta)),
        2 => (
            "spec",
            Ty::Msg(|f| match f {
                1 => Some(("replicas", Ty::Int)),
                2 => Some(("selector", Ty::Msg(label_selector))),
                3 => Some(("template", Ty::Msg(pod_template))),
                _ => None,
            }),
        ),
        _ => return None,
    })
}

fn pdb(f: u64) -> Option<(&'static str, Ty)> {
    Some(match f {
        1 => ("metadata", Ty::Msg(object_meta)),
        2 => (
            "spec",
            Ty::Msg(|f| match f {
                1 => Some(("minAvailable", Ty::IntOrStr)),
                2 => Some(("selector", Ty::Msg(label_selector))),
                3 => Some(("maxUnavailable", Ty::IntOrStr)),
                _ => None,
            }),
        ),
        _ => return None,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.varint()?).ok()?;
        let out = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }
    /// (field, wire type, payload for length-delimited, value for varints)
    fn field(&mut self) -> Option<(u64, u64, &'a [u8], u64)> {
        let key = self.varint()?;
        let (field, wt) = (key >> 3, key & 7);
        match wt {
            0 => Some((field, wt, &[], self.varint()?)),
            1 => {
                self.pos = self.pos.checked_add(8).filter(|p| *p <= self.b.len())?;
                Some((field, wt, &[], 0))
            }
            2 => Some((field, wt, self.bytes()?, 0)),
            5 => {
                self.pos = self.pos.checked_add(4).filter(|p| *p <= self.b.len())?;
                Some((field, wt, &[], 0))
            }
            _ => None,
        }
    }
    fn done(&self) -> bool {
        self.pos >= self.b.len()
    }
}

fn str_of(b: &[u8]) -> Option<Value> {
    std::str::from_utf8(b)
        .ok()
        .map(|s| Value::String(s.to_string()))
}

fn message(b: &[u8], schema: fn(u64) -> Option<(&'static str, Ty)>) -> Option<Value> {
    let mut r = Reader { b, pos: 0 };
    let mut out = Map::new();
    while !r.done() {
        let (field, wt, payload, v) = r.field()?;
        let Some((name, ty)) = schema(field) else {
            continue;
        };
        match (ty, wt) {
            // Go's encoder writes empty strings and zeros that JSON would omit; drop them so
            // defaulting works (replicas is a pointer, where 0 means 0).
            (Ty::Str, 2) => {
                if !payload.is_empty() {
                    out.insert(name.into(), str_of(payload)?);
                }
            }
            (Ty::Int, 0) => {
                // int32/int64 fields: negative values are 64-bit two's complement.
                if v != 0 || name == "replicas" {
                    out.insert(name.into(), json!(v as i64));
                }
            }
            (Ty::Msg(s), 2) => {
                out.insert(name.into(), message(payload, s)?);
            }
            (Ty::RepStr, 2) => {
                let e = out.entry(name).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = e {
                    a.push(str_of(payload)?);
                }
            }
            (Ty::RepMsg(s), 2) => {
                let item = message(payload, s)?;
                let e = out.entry(name).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = e {
                    a.push(item);
                }
            }
            (Ty::MapStr, 2) => {
                let entry = message(payload, |f| match f {
                    1 => Some(("key", Ty::Str)),
                    2 => Some(("value", Ty::Str)),
                    _ => None,
                })?;
                let k = entry
                    .get("key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let val = entry.get("value").cloned().unwrap_or(json!(""));
                let e = out.entry(name).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = e {
                    m.insert(k, val);
                }
            }
            (Ty::IntOrStr, 2) => {
                let ios = message(payload, |f| match f {
                    1 => Some(("type", Ty::Int)),
                    2 => Some(("intVal", Ty::Int)),
                    3 => Some(("strVal", Ty::Str)),
                    _ => None,
                })?;
                let v = if ios.get("type").and_then(Value::as_i64) == Some(1) {
                    ios.get("strVal").cloned().unwrap_or(json!(""))
                } else {
                    ios.get("intVal").cloned().unwrap_or(json!(0))
                };
                out.insert(name.into(), v);
            }
            _ => return None,
        }
    }
    Some(Value::Object(out))
}

/// Decode a protobuf request body for `kind` into the object's JSON.
pub fn decode(kind: Kind, body: &[u8]) -> Result<Value, ApiError> {
    let schema: fn(u64) -> Option<(&'static str, Ty)> = match kind {
        Kind::Namespace => namespace,
        Kind::Deployment => deployment,
        Kind::PodDisruptionBudget => pdb,
        _ => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "kup-sim does not decode protobuf {} objects; send application/json",
                    kind.name()
                ),
            )
            .with_details(json!({})));
        }
    };
    let bad = || {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): invalid protobuf",
            kind.name()
        ))
    };
    let rest = body.strip_prefix(b"k8s\x00").ok_or_else(bad)?;
    // runtime.Unknown: field 2 is the raw object.
    let mut r = Reader { b: rest, pos: 0 };
    let mut raw: Option<&[u8]> = None;
    while !r.done() {
        let (field, wt, payload, _) = r.field().ok_or_else(bad)?;
        if field == 2 && wt == 2 {
            raw = Some(payload);
        }
    }
    let mut obj = message(raw.ok_or_else(bad)?, schema).ok_or_else(bad)?;
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".into(), json!(kind.api_version()));
        m.insert("kind".into(), json!(kind.name()));
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn namespace_from_kubectl_create() {
        let label = [field(1, b"team"), field(2, b"a")].concat();
        let meta = [field(1, b"foo"), field(11, &label)].concat();
        let ns = field(1, &meta);
        let type_meta = [field(1, b"v1"), field(2, b"Namespace")].concat();
        let body = [b"k8s\x00".to_vec(), field(1, &type_meta), field(2, &ns)].concat();
        let v = decode(Kind::Namespace, &body).unwrap();
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "foo", "labels": {"team": "a"}}})
        );
        assert_eq!(decode(Kind::Namespace, b"garbage").unwrap_err().code, 400);
        assert_eq!(decode(Kind::Node, &body).unwrap_err().code, 415);
    }
}
