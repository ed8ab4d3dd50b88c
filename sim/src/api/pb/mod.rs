//! Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) for the built-in kinds, with the
//! k8s-pb messages: JSON (as the store keeps objects) -> message -> bytes and back, the
//! `k8s\0` and `runtime.Unknown` envelope, lists as concatenations of cached item bytes, and the
//! Status of an error. Custom resources have no protobuf form (the API server serves CRDs as JSON only).

pub mod convert;
#[allow(clippy::field_reassign_with_default, clippy::single_match)]
#[rustfmt::skip]
mod json_conv;
pub mod negotiate;

use crate::resources::Kind;
use crate::store::ApiError;
use convert::{Conv, ConvError, Path};
use k8s_pb::api::{apps, batch, coordination, core, policy};
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};
use serde_json::{Value, json};

pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
/// The serializer's magic number (runtime/serializer/protobuf: protoEncodingPrefix).
pub const MAGIC: &[u8; 4] = b"k8s\x00";

/// Kinds with a protobuf form: every built-in kind kup-sim serves.
pub fn supports(kind: Kind) -> bool {
    !kind.is_custom()
}

fn enc<T: Conv + Message>(v: &Value) -> Result<Vec<u8>, ConvError> {
    T::from_json(v, &Path::Root).map(|m| m.encode_to_vec())
}

fn dec<T: Conv + Message + Default>(raw: &[u8]) -> Result<Value, String> {
    T::decode(raw)
        .map(|m| m.to_json())
        .map_err(|e| e.to_string())
}

/// An object (JSON, with or without apiVersion/kind) as its protobuf message bytes.
pub fn encode_value(kind: Kind, v: &Value) -> Result<Vec<u8>, ConvError> {
    match kind {
        Kind::Namespace => enc::<core::v1::Namespace>(v),
        Kind::Node => enc::<core::v1::Node>(v),
        Kind::Pod => enc::<core::v1::Pod>(v),
        Kind::Secret => enc::<core::v1::Secret>(v),
        Kind::Deployment => enc::<apps::v1::Deployment>(v),
        Kind::ReplicaSet => enc::<apps::v1::ReplicaSet>(v),
        Kind::StatefulSet => enc::<apps::v1::StatefulSet>(v),
        Kind::DaemonSet => enc::<apps::v1::DaemonSet>(v),
        Kind::Job => enc::<batch::v1::Job>(v),
        Kind::CronJob => enc::<batch::v1::CronJob>(v),
        Kind::PodDisruptionBudget => enc::<policy::v1::PodDisruptionBudget>(v),
        Kind::Lease => enc::<coordination::v1::Lease>(v),
        Kind::Provisioner | Kind::NodePool | Kind::NodeClaim | Kind::EC2NodeClass => {
            Err(ConvError {
                path: String::new(),
                expected: "a built-in kind (custom resources have no protobuf form)",
            })
        }
    }
}

/// A stored object's JSON bytes as its protobuf message bytes.
pub fn encode_item(kind: Kind, body: &[u8]) -> Result<Vec<u8>, ConvError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| ConvError {
        path: String::new(),
        expected: "a JSON object",
    })?;
    encode_value(kind, &v)
}

/// A message of `kind` as JSON (without apiVersion/kind).
pub fn decode_item(kind: Kind, raw: &[u8]) -> Result<Value, String> {
    match kind {
        Kind::Namespace => dec::<core::v1::Namespace>(raw),
        Kind::Node => dec::<core::v1::Node>(raw),
        Kind::Pod => dec::<core::v1::Pod>(raw),
        Kind::Secret => dec::<core::v1::Secret>(raw),
        Kind::Deployment => dec::<apps::v1::Deployment>(raw),
        Kind::ReplicaSet => dec::<apps::v1::ReplicaSet>(raw),
        Kind::StatefulSet => dec::<apps::v1::StatefulSet>(raw),
        Kind::DaemonSet => dec::<apps::v1::DaemonSet>(raw),
        Kind::Job => dec::<batch::v1::Job>(raw),
        Kind::CronJob => dec::<batch::v1::CronJob>(raw),
        Kind::PodDisruptionBudget => dec::<policy::v1::PodDisruptionBudget>(raw),
        Kind::Lease => dec::<coordination::v1::Lease>(raw),
        Kind::Provisioner | Kind::NodePool | Kind::NodeClaim | Kind::EC2NodeClass => {
            Err("custom resources have no protobuf form".to_string())
        }
    }
}

/// The 500 a stored object that cannot be encoded gets (a field of the wrong JSON type).
pub fn encode_error(kind: Kind, ns: &str, name: &str, e: &ConvError) -> ApiError {
    let who = if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    };
    ApiError::internal(format!(
        "unable to encode {} {who} as {CONTENT_TYPE}: {e}",
        kind.name()
    ))
}

/// Bytes of the envelope around `raw_len` bytes of raw object, split so the raw object can be
/// written between `head` and `tail` without copying it (Unknown.NestedMarshalTo's field order:
/// typeMeta, raw, contentEncoding "", contentType "").
fn envelope_parts(api_version: &str, kind: &str, raw_len: usize) -> (Vec<u8>, Vec<u8>) {
    let tm = TypeMeta {
        api_version: Some(api_version.to_string()),
        kind: Some(kind.to_string()),
    };
    let mut head = Vec::with_capacity(64);
    head.extend_from_slice(MAGIC);
    encode_key(1, WireType::LengthDelimited, &mut head);
    encode_varint(tm.encoded_len() as u64, &mut head);
    tm.encode_raw(&mut head);
    encode_key(2, WireType::LengthDelimited, &mut head);
    encode_varint(raw_len as u64, &mut head);
    // contentEncoding (3) and contentType (4): empty, written anyway as Go does.
    let tail = vec![0x1a, 0x00, 0x22, 0x00];
    (head, tail)
}

/// One object in the envelope (a GET's answer, a Status).
pub fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let (head, tail) = envelope_parts(api_version, kind, raw.len());
    let mut out = Vec::with_capacity(head.len() + raw.len() + tail.len());
    out.extend_from_slice(&head);
    out.extend_from_slice(raw);
    out.extend_from_slice(&tail);
    out
}

/// A list in the envelope: `{metadata: 1 ListMeta, items: 2 repeated}` written from already
/// encoded items (each stored object's cached message bytes).
pub fn list_envelope<B: AsRef<[u8]>>(
    api_version: &str,
    list_kind: &str,
    meta: &meta::ListMeta,
    items: &[B],
) -> Vec<u8> {
    let meta_len = meta.encoded_len();
    let mut raw_len = 1 + encoded_len_varint(meta_len as u64) + meta_len;
    for it in items {
        let n = it.as_ref().len();
        raw_len += 1 + encoded_len_varint(n as u64) + n;
    }
    let (head, tail) = envelope_parts(api_version, list_kind, raw_len);
    let mut out = Vec::with_capacity(head.len() + raw_len + tail.len());
    out.extend_from_slice(&head);
    encode_key(1, WireType::LengthDelimited, &mut out);
    encode_varint(meta_len as u64, &mut out);
    meta.encode_raw(&mut out);
    for it in items {
        let it = it.as_ref();
        encode_key(2, WireType::LengthDelimited, &mut out);
        encode_varint(it.len() as u64, &mut out);
        out.extend_from_slice(it);
    }
    out.extend_from_slice(&tail);
    out
}

/// Open the envelope: (apiVersion, kind, raw object bytes).
pub fn unwrap(body: &[u8]) -> Result<(String, String, Vec<u8>), String> {
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or("the body does not start with the protobuf magic number k8s\\0")?;
    let unk = Unknown::decode(rest).map_err(|e| e.to_string())?;
    let tm = unk.type_meta.unwrap_or_default();
    Ok((
        tm.api_version.unwrap_or_default(),
        tm.kind.unwrap_or_default(),
        unk.raw.unwrap_or_default(),
    ))
}

/// An error's Status (the same fields as its JSON) in the envelope.
pub fn status_bytes(status: &Value) -> Vec<u8> {
    let st = meta::Status::from_json(status, &Path::Root).unwrap_or_default();
    envelope("v1", "Status", &st.encode_to_vec())
}

/// A request body (`k8s\0` + Unknown) as the object's JSON with apiVersion/kind; 400 when it
/// is not a `kind` in protobuf, as the real decoder refuses it.
pub fn decode_body(kind: Kind, body: &[u8]) -> Result<Value, ApiError> {
    let bad = |why: &str| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): {why}",
            kind.name()
        ))
    };
    let (api_version, body_kind, raw) = unwrap(body).map_err(|e| bad(&e))?;
    let mut v = match body_kind.as_str() {
        // kubectl drain's eviction (pods/eviction) and DeleteOptions bodies.
        "Eviction" => dec::<policy::v1::Eviction>(&raw),
        "DeleteOptions" => dec::<meta::DeleteOptions>(&raw),
        _ if supports(kind) => decode_item(kind, &raw),
        _ => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json ({} has no protobuf form)",
                    kind.name()
                ),
            )
            .with_details(json!({})));
        }
    }
    .map_err(|e| bad(&e))?;
    if let Some(m) = v.as_object_mut() {
        let api_version = if api_version.is_empty() {
            kind.api_version()
        } else {
            api_version
        };
        let body_kind = if body_kind.is_empty() {
            kind.name().to_string()
        } else {
            body_kind
        };
        m.insert("apiVersion".into(), json!(api_version));
        m.insert("kind".into(), json!(body_kind));
    }
    Ok(v)
}

#[cfg(test)]
mod tests;
