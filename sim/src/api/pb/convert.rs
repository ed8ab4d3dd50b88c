//! The conversion machinery under the generated `json_conv.rs`: the `Conv` trait (JSON value
//! <-> k8s-pb message), its impls for scalars, options, lists and maps, and the types whose JSON
//! is not their message shape (Time, MicroTime, Quantity, IntOrString, FieldsV1, Duration,
//! RawExtension), as apimachinery marshals them.

use base64::Engine as _;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1::{Duration, FieldsV1, MicroTime, Time};
use k8s_pb::apimachinery::pkg::runtime::RawExtension;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where in a JSON document a value sits (built only when an error names it).
pub enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn key(&'a self, k: &'a str) -> Path<'a> {
        Path::Key(self, k)
    }
    fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, k) => {
                if matches!(parent, Path::Root) {
                    write!(f, "{k}")
                } else {
                    write!(f, "{parent}.{k}")
                }
            }
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// A JSON value that its field's protobuf type cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvError {
    /// JSON path (`spec.containers[0].ports[0].containerPort`).
    pub path: String,
    /// What was expected there.
    pub expected: &'static str,
}

impl std::fmt::Display for ConvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expected {}", self.path, self.expected)
    }
}

fn err<T>(p: &Path, expected: &'static str) -> Result<T, ConvError> {
    Err(ConvError {
        path: p.to_string(),
        expected,
    })
}

/// A JSON value <-> protobuf message (or scalar) conversion.
pub trait Conv: Sized {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError>;
    fn to_json(&self) -> Value;
    /// Left out of the JSON object (None, an empty list or map: proto cannot tell them from
    /// absent, and the Go JSON encoder omits them too).
    fn omit(&self) -> bool {
        false
    }
}

pub fn object<'v>(v: &'v Value, p: &Path) -> Result<&'v Map<String, Value>, ConvError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => err(p, "an object"),
    }
}

/// Put a field into a JSON object unless it is absent/empty.
pub fn put<T: Conv>(o: &mut Map<String, Value>, key: &str, v: &T) {
    if !v.omit() {
        o.insert(key.to_string(), v.to_json());
    }
}

/// An embedded struct's fields, inlined into the parent's JSON (`json:",inline"`).
pub fn inline<T: Conv>(o: &mut Map<String, Value>, v: &T) {
    if let Value::Object(m) = v.to_json() {
        o.extend(m);
    }
}

impl Conv for String {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            _ => err(p, "a string"),
        }
    }
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Conv for bool {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v {
            Value::Bool(b) => Ok(*b),
            _ => err(p, "a boolean"),
        }
    }
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl Conv for i32 {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => Ok(n),
            None => err(p, "a 32-bit integer"),
        }
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl Conv for i64 {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v.as_i64() {
            Some(n) => Ok(n),
            None => err(p, "a 64-bit integer"),
        }
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl Conv for f64 {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v.as_f64() {
            Some(n) => Ok(n),
            None => err(p, "a number"),
        }
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl<T: Conv> Conv for Option<T> {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v {
            Value::Null => Ok(None),
            v => T::from_json(v, p).map(Some),
        }
    }
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_json)
    }
    fn omit(&self) -> bool {
        self.is_none()
    }
}

impl<T: Conv> Conv for Box<T> {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        T::from_json(v, p).map(Box::new)
    }
    fn to_json(&self) -> Value {
        T::to_json(self)
    }
}

impl<T: Conv> Conv for Vec<T> {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| T::from_json(x, &p.index(i)))
                .collect(),
            _ => err(p, "a list"),
        }
    }
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(T::to_json).collect())
    }
    fn omit(&self) -> bool {
        self.is_empty()
    }
}

impl<T: Conv> Conv for BTreeMap<String, T> {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v {
            Value::Null => Ok(BTreeMap::new()),
            Value::Object(m) => m
                .iter()
                .map(|(k, x)| Ok((k.clone(), T::from_json(x, &p.key(k))?)))
                .collect(),
            _ => err(p, "an object"),
        }
    }
    fn to_json(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
    }
    fn omit(&self) -> bool {
        self.is_empty()
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn bytes_of(v: &Value, p: &Path) -> Result<Vec<u8>, ConvError> {
    match v.as_str().map(|s| b64().decode(s)) {
        Some(Ok(b)) => Ok(b),
        _ => err(p, "a base64 string"),
    }
}

/// `bytes` fields: base64 strings in JSON (Go's []byte).
pub fn bytes_from_json(v: &Value, p: &Path) -> Result<Option<Vec<u8>>, ConvError> {
    match v {
        Value::Null => Ok(None),
        v => bytes_of(v, p).map(Some),
    }
}

pub fn bytes_to_json(o: &mut Map<String, Value>, key: &str, v: &Option<Vec<u8>>) {
    if let Some(b) = v {
        o.insert(key.to_string(), Value::String(b64().encode(b)));
    }
}

/// `map<string, bytes>` (a Secret's data).
pub fn bytes_map_from_json(v: &Value, p: &Path) -> Result<BTreeMap<String, Vec<u8>>, ConvError> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| Ok((k.clone(), bytes_of(x, &p.key(k))?)))
            .collect(),
        _ => err(p, "an object"),
    }
}

pub fn bytes_map_to_json(o: &mut Map<String, Value>, key: &str, v: &BTreeMap<String, Vec<u8>>) {
    if !v.is_empty() {
        let m = v
            .iter()
            .map(|(k, b)| (k.clone(), Value::String(b64().encode(b))))
            .collect();
        o.insert(key.to_string(), Value::Object(m));
    }
}

fn timestamp(v: &Value, p: &Path) -> Result<jiff::Timestamp, ConvError> {
    match v.as_str().map(str::parse::<jiff::Timestamp>) {
        Some(Ok(t)) => Ok(t),
        _ => err(p, "an RFC 3339 time"),
    }
}

/// metav1.Time: whole seconds (time_proto.go leaves nanos out: JSON carries seconds only).
impl Conv for Time {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        let t = timestamp(v, p)?;
        Ok(Time {
            seconds: Some(t.as_second()),
            nanos: Some(0),
        })
    }
    fn to_json(&self) -> Value {
        let t = jiff::Timestamp::from_second(self.seconds.unwrap_or(0))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        Value::String(crate::store::format_time(t))
    }
}

/// metav1.MicroTime: microseconds (RFC3339Micro in JSON, nanos truncated to µs in protobuf).
impl Conv for MicroTime {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        let t = timestamp(v, p)?;
        let nanos = t.subsec_nanosecond() / 1000 * 1000;
        Ok(MicroTime {
            seconds: Some(t.as_second()),
            nanos: Some(nanos),
        })
    }
    fn to_json(&self) -> Value {
        let t = jiff::Timestamp::new(self.seconds.unwrap_or(0), self.nanos.unwrap_or(0))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        Value::String(format!("{}Z", t.strftime("%Y-%m-%dT%H:%M:%S%.6f")))
    }
}

/// resource.Quantity: its canonical string.
impl Conv for Quantity {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v {
            Value::String(s) => Ok(Quantity {
                string: Some(s.clone()),
            }),
            _ => err(p, "a quantity string"),
        }
    }
    fn to_json(&self) -> Value {
        Value::String(self.string.clone().unwrap_or_default())
    }
}

/// intstr.IntOrString: {type: 0 Int / 1 String, intVal, strVal}.
impl Conv for IntOrString {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v {
            Value::String(s) => Ok(IntOrString {
                r#type: Some(1),
                int_val: Some(0),
                str_val: Some(s.clone()),
            }),
            v => match v.as_i64().and_then(|n| i32::try_from(n).ok()) {
                Some(n) => Ok(IntOrString {
                    r#type: Some(0),
                    int_val: Some(n),
                    str_val: Some(String::new()),
                }),
                None => err(p, "an integer or a string"),
            },
        }
    }
    fn to_json(&self) -> Value {
        if self.r#type == Some(1) {
            Value::String(self.str_val.clone().unwrap_or_default())
        } else {
            Value::from(self.int_val.unwrap_or(0))
        }
    }
}

/// metav1.FieldsV1 (managedFields[].fieldsV1): the JSON object's own bytes.
impl Conv for FieldsV1 {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        object(v, p)?;
        Ok(FieldsV1 {
            raw: Some(serde_json::to_vec(v).unwrap_or_default()),
        })
    }
    fn to_json(&self) -> Value {
        serde_json::from_slice(self.raw.as_deref().unwrap_or(b"{}")).unwrap_or(Value::Null)
    }
}

/// runtime.RawExtension: the embedded object's JSON bytes.
impl Conv for RawExtension {
    fn from_json(v: &Value, _p: &Path) -> Result<Self, ConvError> {
        Ok(RawExtension {
            raw: Some(serde_json::to_vec(v).unwrap_or_default()),
        })
    }
    fn to_json(&self) -> Value {
        serde_json::from_slice(self.raw.as_deref().unwrap_or(b"null")).unwrap_or(Value::Null)
    }
}

/// metav1.Duration: a Go duration string in JSON ("1h0m0s"), nanoseconds in protobuf.
impl Conv for Duration {
    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {
        match v.as_str().and_then(parse_go_duration) {
            Some(n) => Ok(Duration { duration: Some(n) }),
            None => err(p, "a duration string"),
        }
    }
    fn to_json(&self) -> Value {
        Value::String(format_go_duration(self.duration.unwrap_or(0)))
    }
}

/// Go's time.ParseDuration for the units Kubernetes objects use (h, m, s, ms, us, ns).
fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "h" => 3.6e12,
            "m" => 6e10,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" => 1e3,
            "ns" => 1.0,
            _ => return None,
        };
        rest = &rest[u_end..];
        total += n * unit;
    }
    let n = total.round() as i64;
    Some(if neg { -n } else { n })
}

/// Go's time.Duration.String for whole seconds and above ("1h0m0s", "90s" is "1m30s").
fn format_go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    if ns < 1_000_000_000 {
        return format!("{sign}{ns}ns");
    }
    let secs = ns / 1_000_000_000;
    let frac = ns % 1_000_000_000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let s = if frac == 0 {
        format!("{s}")
    } else {
        format!("{s}.{}", format!("{frac:09}").trim_end_matches('0'))
    };
    if h > 0 {
        format!("{sign}{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{sign}{m}m{s}s")
    } else {
        format!("{sign}{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn special_types_round_trip() {
        let t = Time::from_json(&json!("2026-05-01T10:00:00Z"), &Path::Root).unwrap();
        assert_eq!(t.seconds, Some(1_777_629_600));
        assert_eq!(t.to_json(), json!("2026-05-01T10:00:00Z"));
        let mt = MicroTime::from_json(&json!("2026-05-01T10:00:00.123456Z"), &Path::Root).unwrap();
        assert_eq!(mt.nanos, Some(123_456_000));
        assert_eq!(mt.to_json(), json!("2026-05-01T10:00:00.123456Z"));
        let i = IntOrString::from_json(&json!("25%"), &Path::Root).unwrap();
        assert_eq!((i.r#type, i.str_val.as_deref()), (Some(1), Some("25%")));
        assert_eq!(i.to_json(), json!("25%"));
        let i = IntOrString::from_json(&json!(2), &Path::Root).unwrap();
        assert_eq!((i.r#type, i.int_val), (Some(0), Some(2)));
        assert_eq!(i.to_json(), json!(2));
        let f = FieldsV1::from_json(&json!({"f:spec": {}}), &Path::Root).unwrap();
        assert_eq!(f.to_json(), json!({"f:spec": {}}));
        for d in ["1h0m0s", "5m0s", "30s", "1m30s", "1.5s", "0s"] {
            let v = Duration::from_json(&json!(d), &Path::Root).unwrap();
            assert_eq!(v.to_json(), json!(d));
        }
        assert_eq!(parse_go_duration("720h"), Some(720 * 3_600_000_000_000));
    }

    #[test]
    fn wrong_types_name_the_path() {
        let root = Path::Root;
        let spec = root.key("spec");
        let c = spec.key("containers");
        let i = c.index(1);
        let e = i32::from_json(&json!("80"), &i.key("port")).unwrap_err();
        assert_eq!(e.path, "spec.containers[1].port");
        assert_eq!(
            e.to_string(),
            "spec.containers[1].port: expected a 32-bit integer"
        );
        assert!(Time::from_json(&json!("yesterday"), &root).is_err());
        assert!(i32::from_json(&json!(1_i64 << 40), &root).is_err());
    }
}
