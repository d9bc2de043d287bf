//! JSON-RPC 2.0 envelopes, as MCP uses them.
//!
//! Parsing is deliberately strict about the envelope (version, id type, params shape) so that a
//! malformed message becomes a precise `-32600` for that message alone, while the rest of a batch
//! is still served. Payloads (`params`, `result`) stay `serde_json::Value` here; the dispatcher
//! decodes them into rmcp's typed params per method.

use rmcp::model::{ErrorCode, ErrorData, RequestId};
use serde_json::{Map, Value};

/// Deepest JSON nesting accepted. serde_json already refuses >128 levels; MCP messages never need
/// more than a few, and a cap this low keeps hostile payloads cheap to reject.
const MAX_DEPTH: usize = 64;
/// Most messages in one JSON-RPC batch.
pub const MAX_BATCH: usize = 32;

/// One HTTP body: a single message or (2025-03-26 only) a batch.
#[derive(Debug)]
pub enum Incoming {
    Single(Message),
    Batch(Vec<Message>),
}

impl Incoming {
    pub fn messages(&self) -> &[Message] {
        match self {
            Incoming::Single(m) => std::slice::from_ref(m),
            Incoming::Batch(ms) => ms,
        }
    }

    pub fn into_messages(self) -> Vec<Message> {
        match self {
            Incoming::Single(m) => vec![m],
            Incoming::Batch(ms) => ms,
        }
    }

    pub fn is_batch(&self) -> bool {
        matches!(self, Incoming::Batch(_))
    }
}

/// A client → server message.
#[derive(Debug, Clone)]
pub enum Message {
    Request(Request),
    Notification(Notification),
    /// A response to a server → client request. This server never sends requests, so these are
    /// accepted (202) and dropped.
    Response,
    /// Not a valid JSON-RPC message; answered with this error (and the id, if one was readable).
    Invalid {
        id: Option<RequestId>,
        error: ErrorData,
    },
}

#[derive(Debug, Clone)]
pub struct Request {
    pub id: RequestId,
    pub method: String,
    pub params: Option<Map<String, Value>>,
}

#[derive(Debug, Clone)]
pub struct Notification {
    pub method: String,
    pub params: Option<Map<String, Value>>,
}

impl Message {
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request(r) => Some(&r.method),
            Message::Notification(n) => Some(&n.method),
            _ => None,
        }
    }
}

/// Parses an HTTP body. `Err` is a whole-body failure (-32700 or an empty batch), answered with a
/// single error response whose id is null.
pub fn parse(body: &[u8]) -> Result<Incoming, ErrorData> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        // serde_json stops at 128 levels: the same refusal as anything past MAX_DEPTH.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => return Err(too_deep()),
        Err(e) => return Err(ErrorData::parse_error(format!("Parse error: {e}"), None)),
    };
    if depth(&value) > MAX_DEPTH {
        // A lone message's envelope is still readable: refuse it under its own id.
        return match value {
            Value::Object(mut obj) => Ok(Incoming::Single(Message::Invalid {
                id: obj.remove("id").and_then(|raw| request_id(raw).ok()),
                error: too_deep(),
            })),
            _ => Err(too_deep()),
        };
    }
    match value {
        Value::Array(items) if items.is_empty() => {
            Err(ErrorData::invalid_request("Invalid Request: empty batch", None))
        }
        Value::Array(items) if items.len() > MAX_BATCH => Err(ErrorData::invalid_request(
            format!("Invalid Request: batch of {} messages exceeds {MAX_BATCH}", items.len()),
            None,
        )),
        Value::Array(items) => Ok(Incoming::Batch(items.into_iter().map(classify).collect())),
        other => Ok(Incoming::Single(classify(other))),
    }
}

/// The id an HTTP-level refusal (a 429, a 404) echoes: the lone request's, or a batch's first
/// request's. `None` when the body is not readable JSON-RPC.
pub(crate) fn echo_id(body: &[u8]) -> Option<RequestId> {
    match parse(body).ok()? {
        Incoming::Single(Message::Request(r)) => Some(r.id),
        Incoming::Single(Message::Invalid { id, .. }) => id,
        Incoming::Batch(ms) => ms.into_iter().find_map(|m| match m {
            Message::Request(r) => Some(r.id),
            _ => None,
        }),
        _ => None,
    }
}

fn too_deep() -> ErrorData {
    ErrorData::invalid_request(format!("Invalid Request: JSON nested deeper than {MAX_DEPTH} levels"), None)
}

fn depth(value: &Value) -> usize {
    // Iterative, so a hostile body cannot overflow the (small, wasm) stack.
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

fn classify(value: Value) -> Message {
    let Value::Object(mut obj) = value else {
        return invalid(None, "Invalid Request: a message must be a JSON object");
    };
    let id = match obj.remove("id") {
        None => None,
        Some(raw) => match request_id(raw) {
            Ok(id) => Some(id),
            Err(msg) => return invalid(None, msg),
        },
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(id, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        Some(_) => return invalid(id, "Invalid Request: \"method\" must be a string"),
        None if obj.contains_key("result") || obj.contains_key("error") => return Message::Response,
        None => return invalid(id, "Invalid Request: missing \"method\""),
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => return invalid(id, "Invalid Request: \"params\" must be an object"),
    };
    match id {
        Some(id) => Message::Request(Request { id, method, params }),
        None => Message::Notification(Notification { method, params }),
    }
}

fn request_id(raw: Value) -> Result<RequestId, &'static str> {
    match raw {
        Value::String(s) => Ok(RequestId::String(s.into())),
        Value::Number(n) => {
            n.as_i64().map(RequestId::Number).ok_or("Invalid Request: numeric \"id\" must be an integer")
        }
        Value::Null => Err("Invalid Request: \"id\" must not be null"),
        _ => Err("Invalid Request: \"id\" must be a string or an integer"),
    }
}

fn invalid(id: Option<RequestId>, message: &'static str) -> Message {
    Message::Invalid { id, error: ErrorData::invalid_request(message, None) }
}

/// A success response.
pub(crate) fn response(id: &RequestId, result: Value) -> Value {
    let mut obj = Map::with_capacity(3);
    obj.insert("jsonrpc".into(), "2.0".into());
    obj.insert("id".into(), id.clone().into_json_value());
    obj.insert("result".into(), result);
    Value::Object(obj)
}

/// An error response; `id` is null when the request's id could not be read.
pub(crate) fn error_response(id: Option<&RequestId>, error: &ErrorData) -> Value {
    let mut obj = Map::with_capacity(3);
    obj.insert("jsonrpc".into(), "2.0".into());
    obj.insert("id".into(), id.map_or(Value::Null, |id| id.clone().into_json_value()));
    obj.insert("error".into(), serde_json::to_value(error).unwrap_or_else(|_| internal_error_value()));
    Value::Object(obj)
}

fn internal_error_value() -> Value {
    serde_json::json!({"code": ErrorCode::INTERNAL_ERROR.0, "message": "Internal error"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(body: &str) -> Message {
        match parse(body.as_bytes()).expect("parses") {
            Incoming::Single(m) => m,
            Incoming::Batch(_) => panic!("expected a single message"),
        }
    }

    fn invalid_code(m: Message) -> i32 {
        match m {
            Message::Invalid { error, .. } => error.code.0,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn parses_request_notification_and_response() {
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Message::Request(Request { id: RequestId::Number(1), .. })
        ));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Message::Notification(_)
        ));
        assert!(matches!(single(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#), Message::Response));
    }

    #[test]
    fn bad_json_is_a_parse_error() {
        assert_eq!(parse(b"{not json").unwrap_err().code, ErrorCode::PARSE_ERROR);
        assert_eq!(parse(b"").unwrap_err().code, ErrorCode::PARSE_ERROR);
        assert_eq!(parse(b"\xff\xfe").unwrap_err().code, ErrorCode::PARSE_ERROR);
    }

    #[test]
    fn envelope_errors_are_invalid_requests_that_keep_the_id() {
        let m = single(r#"{"jsonrpc":"1.0","id":7,"method":"ping"}"#);
        assert!(matches!(&m, Message::Invalid { id: Some(RequestId::Number(7)), .. }));
        assert_eq!(invalid_code(m), -32600);
        assert_eq!(invalid_code(single(r#"{"jsonrpc":"2.0","id":1,"method":5}"#)), -32600);
        assert_eq!(invalid_code(single(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#)), -32600);
        assert_eq!(invalid_code(single(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#)), -32600);
        assert_eq!(invalid_code(single(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#)), -32600);
        assert_eq!(invalid_code(single("1")), -32600);
    }

    #[test]
    fn batches() {
        assert_eq!(parse(b"[]").unwrap_err().code, ErrorCode::INVALID_REQUEST);
        let b = parse(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}, 5]"#).unwrap();
        assert!(b.is_batch());
        assert!(matches!(b.messages()[1], Message::Invalid { .. }));
        let too_many = format!("[{}]", vec![r#"{"jsonrpc":"2.0","method":"x"}"#; MAX_BATCH + 1].join(","));
        assert_eq!(parse(too_many.as_bytes()).unwrap_err().code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse(deep.as_bytes()).unwrap_err().code, ErrorCode::INVALID_REQUEST);
        // Past serde_json's own limit (128) the refusal is the same, not a parse error.
        for n in [129, 10_000] {
            let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
            let e = parse(deep.as_bytes()).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_ref()),
                (ErrorCode::INVALID_REQUEST, too_deep().message.as_ref())
            );
            let deep_obj = format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
            assert_eq!(parse(deep_obj.as_bytes()).unwrap_err().code, ErrorCode::INVALID_REQUEST);
        }
    }

    #[test]
    fn a_too_deep_message_keeps_its_readable_id() {
        let nested = format!("{}{}", "[".repeat(70), "]".repeat(70));
        let body = format!(r#"{{"jsonrpc":"2.0","id":"deep-1","method":"ping","params":{{"x":{nested}}}}}"#);
        let m = single(&body);
        assert!(
            matches!(&m, Message::Invalid { id: Some(RequestId::String(s)), .. } if s.as_ref() == "deep-1")
        );
        assert_eq!(invalid_code(m), -32600);
        let no_id =
            format!(r#"{{"jsonrpc":"2.0","id":{{"a":1}},"method":"ping","params":{{"x":{nested}}}}}"#);
        assert!(matches!(single(&no_id), Message::Invalid { id: None, .. }));
    }

    #[test]
    fn responses_echo_ids() {
        let r = response(&RequestId::String("x".into()), serde_json::json!({}));
        assert_eq!(r["id"], "x");
        let e = error_response(None, &ErrorData::parse_error("bad", None));
        assert_eq!(e["id"], Value::Null);
        assert_eq!(e["error"]["code"], -32700);
    }
}
