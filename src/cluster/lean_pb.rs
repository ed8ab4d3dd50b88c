//! Lean protobuf list pages, the counterpart of `lean` for `application/vnd.kubernetes.protobuf`.
//! The prost messages here declare only the fields the lean JSON views read, with the tags of
//! Kubernetes' generated.proto (as k8s-pb 0.9 carries them); prost skips every other field
//! without allocating it. Each decoded item is mapped into its lean serde struct and converted
//! by the same `lean::*` functions as a JSON page, so the two wires cannot disagree.
//!
//! Go writes every non-pointer field in protobuf, zero or not, while its JSON leaves out the
//! `omitempty` ones when zero: such a zero is read here as absent (a pod's empty `phase`, a
//! toleration's empty `key`, a Job's `active: 0`, an empty `continue`), as the JSON page from
//! the same server would give. Fields kup requires from JSON (a taint's `effect`, a condition's
//! `status`...) are required here too: absent, the item is an error naming the object.

mod items;

pub use items::{Item, deployment, replica_set, stateful_set};

use super::lean::{Collect, ListMeta};
use prost::Message;
use prost::bytes::{Buf, Bytes};
use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field};

/// What every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// A protobuf list page or error body that cannot be read: what is wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    #[error("not a Kubernetes protobuf body (no k8s\\0 magic)")]
    NoMagic,
    #[error("truncated protobuf: {0} ends past the body")]
    Truncated(String),
    #[error("invalid protobuf in {what}: {reason}")]
    Invalid { what: String, reason: String },
    #[error("the protobuf body holds {found}, not {expected}")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    #[error("the protobuf body has content encoding \"{0}\", which kup does not read")]
    Encoding(String),
    #[error("{what}: {reason}")]
    Object { what: String, reason: String },
}

/// A protobuf list page parser, the counterpart of the JSON `PageParser`.
pub type ProtoParser<M> =
    fn(&[u8], &mut dyn FnMut(&ListMeta), &mut Vec<M>) -> Result<ListMeta, ProtoError>;

/// Parses one protobuf list page from `bytes`, calling `on_meta` as soon as the list's
/// `metadata` has been read (the server writes it before `items`), and pushing each item,
/// converted, onto `out`.
pub fn parse_page<T: Item, M: Collect>(
    bytes: &[u8],
    on_meta: &mut dyn FnMut(&ListMeta),
    convert: fn(T) -> M,
    out: &mut Vec<M>,
) -> Result<ListMeta, ProtoError> {
    let envelope = envelope(bytes)?;
    let Some(kind) = envelope.kind.strip_suffix("List").filter(|k| !k.is_empty()) else {
        return Err(ProtoError::WrongKind {
            expected: "a list",
            found: describe_kind(&envelope.kind),
        });
    };
    let mut raw = envelope.raw;
    let mut meta = None;
    let mut items = 0usize;
    loop {
        let done = items;
        let at = |tag: Option<u32>| match tag {
            Some(1) => format!("the {kind} list's metadata"),
            Some(2) => format!("item {} of the {kind} page", done + 1),
            Some(t) => format!("field {t} of the {kind} list"),
            None => format!("the {kind} page after item {done}"),
        };
        let Some((tag, field)) = next_field(&mut raw).map_err(|e| e.at(at))? else {
            break;
        };
        match (tag, field) {
            (1, Field::Bytes(b)) => {
                let m = PbListMeta::decode(b).map_err(|e| invalid(at(Some(1)), e))?;
                let m = ListMeta {
                    continue_: m.continue_.filter(|c| !c.is_empty()),
                    remaining_item_count: m.remaining_item_count,
                };
                on_meta(&m);
                meta = Some(m);
            }
            (2, Field::Bytes(b)) => {
                items += 1;
                let pb = T::Pb::decode(b).map_err(|e| invalid(at(Some(2)), e))?;
                let item = T::from_pb(pb).map_err(|bad| ProtoError::Object {
                    what: format!(
                        "{kind} {} (item {items} of the page)",
                        bad.who.as_deref().unwrap_or("without a name")
                    ),
                    reason: bad.reason,
                })?;
                convert(item).push_into(out);
            }
            (1 | 2, Field::Scalar) => {
                return Err(ProtoError::Invalid {
                    what: at(Some(tag)),
                    reason: "not a length-delimited field".into(),
                });
            }
            _ => {}
        }
    }
    Ok(meta.unwrap_or_else(|| {
        let m = ListMeta::default();
        on_meta(&m);
        m
    }))
}

/// Reads a protobuf-encoded `meta/v1` Status (an error body: 410 Expired, 403, 429...).
pub fn status(bytes: &[u8]) -> Result<kube::core::Status, ProtoError> {
    use kube::core::response::{StatusCause, StatusDetails, StatusSummary};
    let envelope = envelope(bytes)?;
    if envelope.kind != "Status" {
        return Err(ProtoError::WrongKind {
            expected: "a Status",
            found: describe_kind(&envelope.kind),
        });
    }
    let s = PbStatus::decode(envelope.raw).map_err(|e| invalid("the Status".into(), e))?;
    let code = s.code.unwrap_or(0);
    let code = u16::try_from(code).map_err(|_| ProtoError::Invalid {
        what: "the Status".into(),
        reason: format!("code {code} is not an HTTP status"),
    })?;
    Ok(kube::core::Status {
        status: match s.status.as_deref() {
            Some("Success") => Some(StatusSummary::Success),
            Some("Failure") => Some(StatusSummary::Failure),
            _ => None,
        },
        code,
        message: s.message.unwrap_or_default(),
        metadata: None,
        reason: s.reason.unwrap_or_default(),
        details: s.details.map(|d| StatusDetails {
            name: d.name.unwrap_or_default(),
            group: d.group.unwrap_or_default(),
            kind: d.kind.unwrap_or_default(),
            uid: d.uid.unwrap_or_default(),
            causes: d
                .causes
                .into_iter()
                .map(|c| StatusCause {
                    reason: c.reason.unwrap_or_default(),
                    message: c.message.unwrap_or_default(),
                    field: c.field.unwrap_or_default(),
                })
                .collect(),
            retry_after_seconds: d
                .retry_after_seconds
                .and_then(|s| u32::try_from(s).ok())
                .unwrap_or(0),
        }),
    })
}

fn describe_kind(kind: &str) -> String {
    if kind.is_empty() {
        "an object without kind".into()
    } else {
        format!("a {kind}")
    }
}

fn invalid(what: String, e: prost::DecodeError) -> ProtoError {
    ProtoError::Invalid {
        what,
        reason: e.to_string(),
    }
}

// ---- the envelope and the hand-walked list -------------------------------------------------

struct Envelope {
    kind: String,
    raw: Bytes,
}

/// Checks the magic and reads the `runtime.Unknown` envelope, keeping `raw` without a copy.
fn envelope(bytes: &[u8]) -> Result<Envelope, ProtoError> {
    let body = bytes.strip_prefix(MAGIC).ok_or(ProtoError::NoMagic)?;
    // One copy of the page, so that items and annotation entries are then sliced without any.
    let mut buf = Bytes::copy_from_slice(body);
    let (mut kind, mut raw) = (String::new(), None);
    let at = |tag: Option<u32>| match tag {
        Some(1) => "the envelope's typeMeta".to_string(),
        Some(2) => "the envelope's object".to_string(),
        Some(t) => format!("field {t} of the envelope"),
        None => "the envelope".to_string(),
    };
    while let Some((tag, field)) = next_field(&mut buf).map_err(|e| e.at(at))? {
        let Field::Bytes(b) = field else {
            if matches!(tag, 1..=4) {
                return Err(ProtoError::Invalid {
                    what: at(Some(tag)),
                    reason: "not a length-delimited field".into(),
                });
            }
            continue;
        };
        match tag {
            1 => {
                let t = PbTypeMeta::decode(b).map_err(|e| invalid(at(Some(1)), e))?;
                kind = t.kind.unwrap_or_default();
            }
            2 => raw = Some(b),
            3 => {
                let encoding = std::str::from_utf8(&b).unwrap_or("(not UTF-8)");
                if !encoding.is_empty() {
                    return Err(ProtoError::Encoding(encoding.to_string()));
                }
            }
            _ => {}
        }
    }
    // Truncated right before the object, or an envelope without one: there is no list.
    let raw = raw.ok_or_else(|| ProtoError::Truncated("the envelope's object".into()))?;
    Ok(Envelope { kind, raw })
}

enum Field {
    /// A length-delimited field (a message, string or bytes), sliced from the page.
    Bytes(Bytes),
    /// A varint or fixed-width field, skipped.
    Scalar,
}

enum WalkError {
    Truncated(Option<u32>),
    Invalid(Option<u32>, prost::DecodeError),
}

impl WalkError {
    fn at(self, what: impl Fn(Option<u32>) -> String) -> ProtoError {
        match self {
            WalkError::Truncated(tag) => ProtoError::Truncated(what(tag)),
            WalkError::Invalid(tag, e) => invalid(what(tag), e),
        }
    }
}

/// Whether a varint that failed to decode was cut by the end of the body (every byte left
/// says "more follows"), rather than malformed.
fn cut_varint(before: &Bytes) -> bool {
    before.len() < 10 && before.iter().all(|b| b & 0x80 != 0)
}

/// Reads the next field of a message read by hand; None at its end.
fn next_field(buf: &mut Bytes) -> Result<Option<(u32, Field)>, WalkError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let before = buf.clone();
    let (tag, wire_type) = decode_key(buf).map_err(|e| {
        if cut_varint(&before) {
            WalkError::Truncated(None)
        } else {
            WalkError::Invalid(None, e)
        }
    })?;
    match wire_type {
        WireType::LengthDelimited => {
            let before = buf.clone();
            let len = decode_varint(buf).map_err(|e| {
                if cut_varint(&before) {
                    WalkError::Truncated(Some(tag))
                } else {
                    WalkError::Invalid(Some(tag), e)
                }
            })?;
            if len > buf.remaining() as u64 {
                return Err(WalkError::Truncated(Some(tag)));
            }
            Ok(Some((tag, Field::Bytes(buf.split_to(len as usize)))))
        }
        _ => {
            let before = buf.len();
            skip_field(wire_type, tag, buf, DecodeContext::default()).map_err(|e| {
                if before < 10 {
                    WalkError::Truncated(Some(tag))
                } else {
                    WalkError::Invalid(Some(tag), e)
                }
            })?;
            Ok(Some((tag, Field::Scalar)))
        }
    }
}

/// A `map<string,string>` entry, sliced from the page without a copy: (key, value).
fn map_entry(entry: Bytes) -> Result<(Bytes, Bytes), String> {
    let mut buf = entry;
    let (mut key, mut value) = (Bytes::new(), Bytes::new());
    while let Some((tag, field)) =
        next_field(&mut buf).map_err(|_| "malformed annotation entry".to_string())?
    {
        match (tag, field) {
            (1, Field::Bytes(b)) => key = b,
            (2, Field::Bytes(b)) => value = b,
            (1 | 2, Field::Scalar) => return Err("malformed annotation entry".into()),
            _ => {}
        }
    }
    Ok((key, value))
}

fn utf8(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|_| "annotation that is not UTF-8".to_string())
}

// ---- envelope, list and Status messages -----------------------------------------------------

#[derive(Message)]
struct PbTypeMeta {
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
}

#[derive(Message)]
struct PbListMeta {
    #[prost(string, optional, tag = "3")]
    continue_: Option<String>,
    #[prost(int64, optional, tag = "4")]
    remaining_item_count: Option<i64>,
}

#[derive(Message)]
struct PbStatusCause {
    #[prost(string, optional, tag = "1")]
    reason: Option<String>,
    #[prost(string, optional, tag = "2")]
    message: Option<String>,
    #[prost(string, optional, tag = "3")]
    field: Option<String>,
}

#[derive(Message)]
struct PbStatusDetails {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    group: Option<String>,
    #[prost(string, optional, tag = "3")]
    kind: Option<String>,
    #[prost(message, repeated, tag = "4")]
    causes: Vec<PbStatusCause>,
    #[prost(int32, optional, tag = "5")]
    retry_after_seconds: Option<i32>,
    #[prost(string, optional, tag = "6")]
    uid: Option<String>,
}

#[derive(Message)]
struct PbStatus {
    #[prost(string, optional, tag = "2")]
    status: Option<String>,
    #[prost(string, optional, tag = "3")]
    message: Option<String>,
    #[prost(string, optional, tag = "4")]
    reason: Option<String>,
    #[prost(message, optional, tag = "5")]
    details: Option<PbStatusDetails>,
    #[prost(int32, optional, tag = "6")]
    code: Option<i32>,
}

#[cfg(test)]
mod tests;
