//! Placeholder until the lean protobuf decoder lands (issue 18).

/// A protobuf page that cannot be decoded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProtoError(pub String);
