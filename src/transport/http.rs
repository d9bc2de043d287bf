//! Plain HTTP data, so transport logic is testable without a runtime. The platform edge converts
//! to and from its own request/response types at the boundary, and nowhere else.

use rmcp::model::{ErrorData, RequestId};
use serde_json::Value;

use crate::mcp::jsonrpc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
    Options,
    Head,
    Other,
}

impl Method {
    pub fn parse(raw: &str) -> Self {
        match raw.to_ascii_uppercase().as_str() {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "DELETE" => Self::Delete,
            "OPTIONS" => Self::Options,
            "HEAD" => Self::Head,
            _ => Self::Other,
        }
    }

    /// The method's name; `Other` (a method this server does not serve) as `OTHER`, which
    /// parses back to `Other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Options => "OPTIONS",
            Self::Head => "HEAD",
            Self::Other => "OTHER",
        }
    }

    /// Whether a request body means anything here: only POST carries JSON-RPC. Other methods'
    /// bodies are not read at the edge (and could not be forwarded: fetch refuses a GET body).
    pub fn carries_body(self) -> bool {
        self == Self::Post
    }
}

/// Header list with case-insensitive lookup. Order is kept; duplicates are visible to
/// [`Headers::get_unique`] so a request cannot smuggle two conflicting values past a check.
/// Serialized as `[[name, value], …]`, the shape `Array.from(headers)` has in JS.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The header's value if it appears at most once; `Err` if it repeats with differing values.
    pub fn get_unique(&self, name: &str) -> Result<Option<&str>, RepeatedHeader> {
        let mut values = self.0.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        let first = values.next();
        if values.any(|v| Some(v) != first) {
            return Err(RepeatedHeader(name.to_owned()));
        }
        Ok(first.map(String::as_str))
    }

    /// A header whose value is one token — an id, a revision, a method name, never a comma
    /// inside. The platform hands repeated headers over joined into one `a, b` value, which
    /// [`Headers::get_unique`] alone cannot see: identical copies count as one value, differing
    /// ones are refused. The value comes back trimmed.
    pub fn get_token(&self, name: &str) -> Result<Option<&str>, RepeatedHeader> {
        let Some(raw) = self.get_unique(name)? else { return Ok(None) };
        let mut parts = raw.split(',').map(str::trim);
        let first = parts.next().unwrap_or_default();
        if parts.any(|p| p != first) {
            return Err(RepeatedHeader(name.to_owned()));
        }
        Ok(Some(first))
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
        self.0.push((name, value.into()));
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// Keeps the headers whose name passes `keep`.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.0.retain(|(k, _)| keep(k));
    }

    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The headers as the JSON of a `HeadersInit`, for the edge to hand to a `Request` or
    /// `Response` constructor in one call: a record `{name: value, …}` with the repeats of a name
    /// joined by ", " (what `Headers.append` makes of them), or, when a `Set-Cookie` is present
    /// (the one header that must stay repeated), the `[[name, value], …]` sequence.
    pub fn to_init_json(&self) -> String {
        let json = if self.iter().any(|(k, _)| k.eq_ignore_ascii_case("set-cookie")) {
            serde_json::to_string(self)
        } else {
            let mut record = serde_json::Map::new();
            for (name, value) in self.iter() {
                match record.get_mut(name) {
                    Some(serde_json::Value::String(joined)) => {
                        joined.push_str(", ");
                        joined.push_str(value);
                    }
                    _ => {
                        record.insert(name.to_owned(), value.into());
                    }
                }
            }
            serde_json::to_string(&record)
        };
        json.expect("string pairs always serialise")
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

/// A header that must be single-valued arrived with conflicting values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} header repeated with different values")]
pub struct RepeatedHeader(pub String);

#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn empty(status: u16) -> Self {
        Self { status, headers: Headers::new(), body: Vec::new() }
    }

    pub fn json(status: u16, value: &Value) -> Self {
        let mut headers = Headers::new();
        headers.insert("Content-Type", "application/json");
        Self { status, headers, body: serde_json::to_vec(value).unwrap_or_default() }
    }

    /// A JSON-RPC error as an HTTP error: what an MCP client shows when the transport refuses.
    pub fn rpc_error(status: u16, id: Option<&RequestId>, error: &ErrorData) -> Self {
        Self::json(status, &jsonrpc::error_response(id, error))
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.insert(name, value);
        self
    }

    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edge moves headers across the JS boundary as one JSON string in the shape
    /// `Array.from(headers)` has (`edge::convert`): order and repeats survive, and a value with
    /// quotes, commas or non-ASCII text comes back unchanged.
    #[test]
    fn headers_travel_as_js_pairs() {
        let headers: Headers =
            [("Accept", "application/json, text/event-stream"), ("x-a", "\"q\" é"), ("x-a", "2")]
                .into_iter()
                .collect();
        let json = serde_json::to_string(&headers).unwrap();
        assert_eq!(
            json,
            r#"[["Accept","application/json, text/event-stream"],["x-a","\"q\" é"],["x-a","2"]]"#
        );
        assert_eq!(serde_json::from_str::<Headers>(&json).unwrap(), headers);
        assert!(serde_json::from_str::<Headers>(r#"{"x-a":"1"}"#).is_err(), "only the pair list is accepted");
    }

    /// What the edge gives the runtime's constructors: the same headers `append` would make.
    #[test]
    fn init_json_joins_repeats_as_append_does() {
        let headers: Headers = [
            ("Content-Type", "application/json"),
            ("Vary", "Origin"),
            ("Vary", "Accept"),
            ("x-q", "\"a\", é"),
        ]
        .into_iter()
        .collect();
        let record: serde_json::Value = serde_json::from_str(&headers.to_init_json()).unwrap();
        assert_eq!(
            record,
            serde_json::json!({"Content-Type": "application/json", "Vary": "Origin, Accept", "x-q": "\"a\", é"})
        );
        let mut cookies = headers.clone();
        cookies.append("Set-Cookie", "a=1");
        cookies.append("Set-Cookie", "b=2");
        assert_eq!(
            serde_json::from_str::<Headers>(&cookies.to_init_json()).unwrap(),
            cookies,
            "repeats kept"
        );
    }

    #[test]
    fn methods_outside_the_short_list_are_other() {
        assert_eq!(Method::parse("post"), Method::Post);
        for raw in ["PROPFIND", "MKCOL", "PURGE", "SEARCH", "CONNECT", "TRACE", "", "G\u{e9}T"] {
            assert_eq!(Method::parse(raw), Method::Other, "{raw}");
        }
        assert!(Method::Post.carries_body());
        for m in [Method::Get, Method::Delete, Method::Head, Method::Options, Method::Other] {
            assert!(!m.carries_body(), "{m:?}");
        }
    }

    #[test]
    fn token_headers_see_platform_joined_repeats() {
        let h: Headers =
            [("Mcp-Session-Id", " a.b , a.b"), ("X-Two", "a, b"), ("X-One", " v ")].into_iter().collect();
        assert_eq!(h.get_token("mcp-session-id"), Ok(Some("a.b")), "identical copies are one value");
        assert_eq!(h.get_token("X-Two"), Err(RepeatedHeader("X-Two".into())));
        assert_eq!(h.get_unique("X-Two"), Ok(Some("a, b")), "get_unique takes the joined value as is");
        assert_eq!(h.get_token("X-One"), Ok(Some("v")));
        assert_eq!(h.get_token("X-None"), Ok(None));
        let native: Headers = [("V", "1"), ("V", "2")].into_iter().collect();
        assert!(native.get_token("V").is_err(), "separate repeated headers too");
    }
}
