//! Accept-header negotiation as the API server does it (apiserver
//! pkg/endpoints/handlers/negotiation/negotiate.go on github.com/munnerz/goautoneg): clauses
//! sorted by q (then specificity) with Go's insertion sort for short lists, each clause tried
//! against the served media types in their order (json, yaml, protobuf), the first whose
//! parameters the endpoint allows wins. q=0 does not exclude a type (goautoneg keeps it).

/// What a response is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    Json,
    /// `application/json;as=Table;g=meta.k8s.io;v=v1` (kubectl get).
    Table,
    Protobuf,
}

/// The media types the built-in resources serve, in the codec factory's order. YAML is
/// negotiated like upstream but kup-sim answers it as JSON (as it always has).
const SERVED: [(&str, &str); 3] = [
    ("application", "json"),
    ("application", "yaml"),
    ("application", "vnd.kubernetes.protobuf"),
];

/// The 406 message's list (MediaTypesForSerializer of the resource's serializer; the same for
/// custom resources, whose serializer lists protobuf though their endpoints refuse it).
pub const NOT_ACCEPTABLE: &str = "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf";

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    ty: String,
    sub: String,
    q: f64,
    params: Vec<(String, String)>,
}

fn trim(s: &str) -> &str {
    s.trim_matches(' ')
}

/// goautoneg.ParseAccept.
fn parse(header: &str) -> Vec<Clause> {
    let mut out: Vec<Clause> = Vec::new();
    for part in header.split(',') {
        let part = trim(part);
        if part.is_empty() {
            continue;
        }
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("");
        let mut ts = media.splitn(2, '/');
        let ty = trim(ts.next().unwrap_or("")).to_string();
        let sub = match ts.next() {
            None if ty == "*" => "*".to_string(),
            None => continue,
            Some(s) if s.contains('/') => continue,
            Some(s) => trim(s).to_string(),
        };
        let mut c = Clause {
            ty,
            sub,
            q: 1.0,
            params: Vec::new(),
        };
        for p in pieces {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            if v.contains('=') {
                continue;
            }
            let k = trim(k);
            if k == "q" {
                // strconv.ParseFloat's error leaves 0.
                c.q = v.parse().unwrap_or(0.0);
            } else {
                c.params.push((k.to_string(), trim(v).to_string()));
            }
        }
        out.push(c);
    }
    // sort.Sort with acceptSlice.Less; Go sorts fewer than 12 elements by insertion sort.
    let less = |a: &Clause, b: &Clause| {
        a.q > b.q || (a.ty != "*" && b.ty == "*") || (a.sub != "*" && b.sub == "*")
    };
    for i in 1..out.len() {
        let mut j = i;
        while j > 0 && less(&out[j], &out[j - 1]) {
            out.swap(j, j - 1);
            j -= 1;
        }
    }
    out
}

/// Which endpoint the answer comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A built-in resource (Table conversion allowed, protobuf served).
    BuiltIn,
    /// A custom resource: StandardSerializers leave protobuf out.
    Custom,
    /// Writing an error Status (DefaultEndpointRestrictions: no conversions, every type).
    Error,
}

/// The wire for a request's Accept header; None is 406 Not Acceptable.
pub fn negotiate(accept: &str, endpoint: Endpoint) -> Option<Wire> {
    negotiate_among(accept, endpoint, &SERVED)
}

/// As `negotiate` without protobuf (kup-sim's watches): JSON (or Table) when any clause
/// accepts it, else None.
pub fn negotiate_json(accept: &str, endpoint: Endpoint) -> Option<Wire> {
    negotiate_among(accept, endpoint, &SERVED[..2])
}

fn negotiate_among(accept: &str, endpoint: Endpoint, served: &[(&str, &str)]) -> Option<Wire> {
    if accept.trim().is_empty() {
        return Some(Wire::Json);
    }
    for c in parse(accept) {
        for &(ty, sub) in served {
            let matches =
                (c.ty == ty && (c.sub == sub || c.sub == "*")) || (c.ty == "*" && c.sub == "*");
            if !matches {
                continue;
            }
            if let Some(w) = allowed(&c, sub, endpoint) {
                return Some(w);
            }
        }
    }
    None
}

/// acceptMediaTypeOptions + RequestScope.AllowsMediaTypeTransform.
fn allowed(c: &Clause, sub: &str, endpoint: Endpoint) -> Option<Wire> {
    let param = |k: &str| {
        c.params
            .iter()
            .find(|(pk, _)| pk == k)
            .map(|(_, v)| v.as_str())
    };
    if let Some(s) = param("stream")
        && !s.is_empty()
        && s != "watch"
    {
        return None;
    }
    if param("sv").is_some_and(|v| !v.is_empty()) {
        // AllowsServerVersion: only the meta group's version, which kup-sim does not serve.
        return None;
    }
    let convert = ["as", "g", "v"].iter().any(|k| param(k).is_some());
    let wire = if sub == "vnd.kubernetes.protobuf" {
        Wire::Protobuf
    } else {
        Wire::Json
    };
    if !convert {
        return match (endpoint, wire) {
            (Endpoint::Custom, Wire::Protobuf) => None,
            _ => Some(wire),
        };
    }
    if endpoint == Endpoint::Error {
        return None;
    }
    let g = param("g").unwrap_or("");
    let v = param("v").unwrap_or("");
    if g != "meta.k8s.io" || !(v == "v1" || v == "v1beta1") {
        return None;
    }
    match param("as").unwrap_or("") {
        "Table" if wire == Wire::Json => Some(Wire::Table),
        // PartialObjectMetadata: allowed upstream; kup-sim serves the full object instead.
        "PartialObjectMetadata" | "PartialObjectMetadataList" => Some(wire),
        _ => None,
    }
}

/// Whether the Accept header names protobuf at all (the `protobuf_refuse` fault's trigger).
pub fn names_protobuf(accept: &str) -> bool {
    parse(accept)
        .iter()
        .any(|c| c.ty == "application" && c.sub == "vnd.kubernetes.protobuf")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Endpoint::*;

    const KUP: &str = "application/vnd.kubernetes.protobuf, application/json";
    const KUBECTL_GET: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    #[test]
    fn order_and_q_values() {
        assert_eq!(negotiate(KUP, BuiltIn), Some(Wire::Protobuf));
        assert_eq!(
            negotiate(
                "application/json, application/vnd.kubernetes.protobuf",
                BuiltIn
            ),
            Some(Wire::Json)
        );
        assert_eq!(
            negotiate(
                "application/json;q=0.5, application/vnd.kubernetes.protobuf",
                BuiltIn
            ),
            Some(Wire::Protobuf)
        );
        assert_eq!(negotiate("", BuiltIn), Some(Wire::Json));
        assert_eq!(negotiate("*/*", BuiltIn), Some(Wire::Json));
        assert_eq!(negotiate("application/*", BuiltIn), Some(Wire::Json));
        // A wildcard sorts after a concrete type of the same q.
        assert_eq!(
            negotiate("*/*, application/vnd.kubernetes.protobuf", BuiltIn),
            Some(Wire::Protobuf)
        );
        assert_eq!(negotiate("text/html", BuiltIn), None);
        // q=0 is not a refusal to goautoneg.
        assert_eq!(
            negotiate("application/vnd.kubernetes.protobuf;q=0", BuiltIn),
            Some(Wire::Protobuf)
        );
    }

    #[test]
    fn tables_and_custom_resources() {
        assert_eq!(negotiate(KUBECTL_GET, BuiltIn), Some(Wire::Table));
        assert_eq!(negotiate(KUBECTL_GET, Custom), Some(Wire::Table));
        assert_eq!(negotiate(KUBECTL_GET, Error), Some(Wire::Json));
        // Table has no protobuf form: the protobuf Table clause is skipped.
        assert_eq!(
            negotiate(
                "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json",
                BuiltIn
            ),
            Some(Wire::Json)
        );
        assert_eq!(negotiate(KUP, Custom), Some(Wire::Json));
        assert_eq!(
            negotiate("application/vnd.kubernetes.protobuf", Custom),
            None
        );
        // The 406 itself is then written in protobuf (ErrorNegotiated).
        assert_eq!(
            negotiate("application/vnd.kubernetes.protobuf", Error),
            Some(Wire::Protobuf)
        );
        assert_eq!(negotiate_json(KUP, BuiltIn), Some(Wire::Json));
        assert_eq!(
            negotiate_json("application/vnd.kubernetes.protobuf", BuiltIn),
            None
        );
        assert!(names_protobuf(KUP));
        assert!(!names_protobuf(KUBECTL_GET));
    }
}
