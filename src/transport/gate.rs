//! The router's HTTP policy for `/mcp`, decided before any Durable Object is touched:
//! CORS, Origin validation (DNS-rebinding defence), body size, content negotiation.

use rmcp::model::ErrorData;

use super::http::{Headers, HttpResponse, Method};

pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const ALLOWED_METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// The `Allow` of a 405: what `/mcp` actually serves (GET is always 405: no server stream).
pub const ALLOW: &str = "POST, DELETE, OPTIONS";
const ALLOWED_HEADERS: &str =
    "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID";
const EXPOSED_HEADERS: &str =
    "Mcp-Session-Id, MCP-Protocol-Version, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate";

#[derive(Debug, Clone)]
pub struct GateConfig {
    /// Exact origins (scheme://host[:port]) allowed to call from a browser.
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
}

impl GateConfig {
    /// From the comma-separated `ALLOWED_ORIGINS` variable.
    pub fn from_list(origins: &str) -> Self {
        Self {
            allowed_origins: origins
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            max_body_bytes: MAX_BODY_BYTES,
        }
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }
}

/// What the router does with a `/mcp` request.
#[derive(Debug)]
pub enum Verdict {
    /// Answer now (preflight or refusal).
    Respond(HttpResponse),
    /// Forward to the client's Durable Object.
    Forward,
}

/// Checks everything knowable from the method and headers. The body size is checked again while
/// reading, for bodies without a Content-Length.
pub fn check(method: Method, headers: &Headers, cfg: &GateConfig) -> Verdict {
    if let Some(origin) = headers.get("Origin") {
        if !cfg.origin_allowed(origin) {
            return refuse(403, "Forbidden: Origin not allowed");
        }
    }
    match method {
        Method::Options => return Verdict::Respond(preflight()),
        Method::Post | Method::Get | Method::Delete => {}
        _ => return Verdict::Respond(refusal(405, "Method not allowed").with_header("Allow", ALLOW)),
    }
    if method == Method::Post {
        if let Some(len) = headers.get("Content-Length").and_then(|l| l.trim().parse::<u64>().ok()) {
            if len > cfg.max_body_bytes as u64 {
                return refuse(413, "Payload too large: the limit is 1 MiB");
            }
        }
        let content_type = headers.get("Content-Type").unwrap_or("");
        if !is_json(content_type) {
            return refuse(415, "Unsupported Media Type: send Content-Type: application/json");
        }
        if let Some(accept) = headers.get("Accept") {
            if !accepts_json(accept) {
                return refuse(406, "Not Acceptable: responses are application/json");
            }
        }
    }
    Verdict::Forward
}

/// CORS headers for a response to an allowed (or absent) Origin.
pub fn cors_headers(request_origin: Option<&str>, cfg: &GateConfig) -> Vec<(&'static str, String)> {
    match request_origin {
        Some(origin) if cfg.origin_allowed(origin) => vec![
            ("Access-Control-Allow-Origin", origin.to_owned()),
            ("Access-Control-Expose-Headers", EXPOSED_HEADERS.to_owned()),
            ("Vary", "Origin".to_owned()),
        ],
        _ => Vec::new(),
    }
}

fn preflight() -> HttpResponse {
    HttpResponse::empty(204)
        .with_header("Access-Control-Allow-Methods", ALLOWED_METHODS)
        .with_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
        .with_header("Access-Control-Max-Age", "86400")
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Lenient on purpose: Claude.ai probes with `*/*`, some clients send no Accept at all.
fn accepts_json(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let essence = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        matches!(essence.as_str(), "application/json" | "application/*" | "*/*" | "text/event-stream" | "")
    })
}

fn refusal(status: u16, message: &str) -> HttpResponse {
    HttpResponse::rpc_error(status, None, &ErrorData::invalid_request(message.to_owned(), None))
}

fn refuse(status: u16, message: &str) -> Verdict {
    Verdict::Respond(refusal(status, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GateConfig {
        GateConfig::from_list("https://claude.ai, https://example.test/")
    }

    fn status(method: Method, headers: &[(&str, &str)]) -> Option<u16> {
        match check(method, &headers.iter().copied().collect(), &cfg()) {
            Verdict::Respond(r) => Some(r.status),
            Verdict::Forward => None,
        }
    }

    const JSON: (&str, &str) = ("Content-Type", "application/json");

    #[test]
    fn origin_rules() {
        assert_eq!(status(Method::Post, &[JSON]), None, "no Origin: server-to-server client");
        assert_eq!(status(Method::Post, &[JSON, ("Origin", "https://claude.ai")]), None);
        assert_eq!(status(Method::Post, &[JSON, ("Origin", "https://example.test")]), None);
        assert_eq!(status(Method::Post, &[JSON, ("Origin", "https://evil.test")]), Some(403));
        assert_eq!(status(Method::Options, &[("Origin", "http://localhost:1234")]), Some(403));
        assert_eq!(status(Method::Options, &[("Origin", "https://claude.ai")]), Some(204));
    }

    #[test]
    fn body_and_media_rules() {
        assert_eq!(status(Method::Post, &[JSON, ("Content-Length", "1048577")]), Some(413));
        assert_eq!(status(Method::Post, &[JSON, ("Content-Length", "1048576")]), None);
        assert_eq!(status(Method::Post, &[("Content-Type", "text/plain")]), Some(415));
        assert_eq!(status(Method::Post, &[]), Some(415));
        assert_eq!(status(Method::Post, &[("Content-Type", "application/json; charset=utf-8")]), None);
        assert_eq!(status(Method::Post, &[JSON, ("Accept", "*/*")]), None);
        assert_eq!(status(Method::Post, &[JSON, ("Accept", "application/json, text/event-stream")]), None);
        assert_eq!(status(Method::Post, &[JSON, ("Accept", "text/html")]), Some(406));
        assert_eq!(status(Method::Other, &[]), Some(405));
        assert_eq!(status(Method::Get, &[]), None, "GET is answered by the session layer");
    }

    #[test]
    fn a_405_allows_only_what_is_served() {
        let Verdict::Respond(r) = check(Method::Other, &Headers::new(), &cfg()) else { panic!() };
        assert_eq!((r.status, r.headers.get("Allow")), (405, Some("POST, DELETE, OPTIONS")));
    }

    #[test]
    fn preflight_and_cors_headers() {
        let Verdict::Respond(r) = check(Method::Options, &Headers::new(), &cfg()) else { panic!() };
        assert_eq!(r.headers.get("Access-Control-Max-Age"), Some("86400"));
        assert!(r.headers.get("Access-Control-Allow-Headers").unwrap().contains("Mcp-Session-Id"));
        let h = cors_headers(Some("https://claude.ai"), &cfg());
        assert!(h.iter().any(|(k, v)| *k == "Access-Control-Expose-Headers" && v.contains("Mcp-Session-Id")));
        assert!(cors_headers(Some("https://evil.test"), &cfg()).is_empty());
    }
}
