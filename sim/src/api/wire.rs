//! The wire of an answer (JSON, Table JSON or protobuf), once the handler has its object or its
//! error: ErrorNegotiated's rules for errors, protobuf item bytes from the store's cache, the
//! protobuf faults, and the per-content-type count.

use super::pb::{self, negotiate::Endpoint, negotiate::Wire};
use crate::http::{App, Reply, finish};
use crate::resources::Kind;
use crate::store::{ApiError, Stored};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

/// Count the answer's Content-Type (`/sim/stats` `requests.by_content_type`), then encode it.
pub(crate) fn respond(app: &App, reply: Reply, gzip: bool) -> Response {
    app.lock_counters().count_content_type(reply.content_type);
    finish(app, reply, gzip)
}

/// The endpoint kind of a resource, for negotiation.
pub(crate) fn endpoint(kind: Kind) -> Endpoint {
    if pb::supports(kind) {
        Endpoint::BuiltIn
    } else {
        Endpoint::Custom
    }
}

/// 406 when nothing in Accept can be served (NegotiateOutputMediaType's error).
pub(crate) fn not_acceptable(watch: bool) -> ApiError {
    let msg = if watch {
        "only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch"
    } else {
        pb::negotiate::NOT_ACCEPTABLE
    };
    ApiError::new(406, "NotAcceptable", msg)
}

/// An error reply as ErrorNegotiated writes it: the Status in the negotiated type (protobuf
/// when the Accept header prefers it), or indented JSON (WriteRawJSON) when nothing in Accept
/// can be served.
pub(crate) fn negotiate_error(reply: Reply, accept: &str) -> Reply {
    if reply.status < 400 || reply.content_type != "application/json" {
        return reply;
    }
    let Ok(status) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    match pb::negotiate::negotiate(accept, Endpoint::Error) {
        Some(Wire::Protobuf) => Reply {
            body: pb::status_bytes(&status),
            content_type: pb::CONTENT_TYPE,
            ..reply
        },
        Some(_) => reply,
        None => Reply {
            body: serde_json::to_vec_pretty(&status).unwrap_or(reply.body),
            ..reply
        },
    }
}

/// A successful JSON reply of a built-in object (create, update, patch, delete answers) or a
/// success Status, re-encoded as protobuf; anything else (Scale, lists of deletecollection)
/// stays JSON.
pub(crate) fn to_protobuf(reply: Reply, kind: Kind, api_version: &str) -> Reply {
    if reply.status >= 400 || reply.content_type != "application/json" {
        return reply;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    let body = match v.get("kind").and_then(Value::as_str) {
        Some("Status") => pb::status_bytes(&v),
        Some(k) if k == kind.name() => match pb::encode_value(kind, &v) {
            Ok(raw) => pb::envelope(api_version, k, &raw),
            Err(e) => {
                let name = v.pointer("/metadata/name").and_then(Value::as_str);
                let ns = v.pointer("/metadata/namespace").and_then(Value::as_str);
                let err = pb::encode_error(kind, ns.unwrap_or(""), name.unwrap_or(""), &e);
                return negotiate_error(Reply::error(&err), pb::CONTENT_TYPE);
            }
        },
        _ => return reply,
    };
    Reply {
        body,
        content_type: pb::CONTENT_TYPE,
        ..reply
    }
}

/// A stored object's protobuf message bytes (cached on the object); 500 naming the object and
/// the field when it cannot be encoded.
pub(crate) fn item_bytes(kind: Kind, s: &Stored) -> Result<Bytes, ApiError> {
    s.pb.get_or_encode(|| {
        pb::encode_item(kind, &s.body)
            .map(Bytes::from)
            .map_err(|e| {
                let v: Value = serde_json::from_slice(&s.body).unwrap_or_default();
                let name = v.pointer("/metadata/name").and_then(Value::as_str);
                let ns = v.pointer("/metadata/namespace").and_then(Value::as_str);
                pb::encode_error(kind, ns.unwrap_or(""), name.unwrap_or(""), &e)
            })
    })
}

/// A protobuf reply of one object (GET).
pub(crate) fn object_reply(kind: Kind, api_version: &str, s: &Stored) -> Result<Reply, ApiError> {
    let raw = item_bytes(kind, s)?;
    Ok(Reply {
        status: 200,
        body: pb::envelope(api_version, kind.name(), &raw),
        content_type: pb::CONTENT_TYPE,
        retry_after: None,
        extra: Vec::new(),
    })
}

/// The `protobuf_refuse` fault: what a proxy that cannot pass protobuf answers (JSON Status).
pub(crate) fn refused(code: u16) -> ApiError {
    match code {
        415 => ApiError::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json (kup-sim fault protobuf_refuse)",
        )
        .with_details(json!({})),
        _ => ApiError::new(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json (kup-sim fault protobuf_refuse)",
        ),
    }
}
