//! The router ⇄ client object hop as one byte frame each way: the argument and the result of
//! the object's RPC method (`edge::object_call`, `ClientObject::serve`).
//!
//! Why not HTTP: every MCP request crosses this hop, and a `fetch` to the object built a
//! `Request` and a `Response` whose headers the runtime validates entry by entry, read both
//! bodies through streams and handed the headers back to Rust one JS call each way
//! (bench/REPORT-hops.md). A frame is one copy into JS and one out.
//!
//! Layout: the head's length (u32, little-endian), the head (JSON), then the body as is.
//! Headers travel exactly as the sender holds them (names, order, repeats), so the object's
//! machine sees what the router saw.

use serde::{Deserialize, Serialize};

use super::http::{Headers, HttpRequest, HttpResponse, Method};

/// A frame that is not one this module wrote: a bug or version skew, never client input (the
/// frame is built by the router from data it has already checked).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("frame of {0} bytes is shorter than its head")]
    Truncated(usize),
    #[error("frame head unreadable: {0}")]
    Head(#[from] serde_json::Error),
}

#[derive(Serialize, Deserialize)]
struct RequestHead {
    path: String,
    method: String,
    headers: Headers,
}

#[derive(Serialize, Deserialize)]
struct ResponseHead {
    status: u16,
    headers: Headers,
}

/// A request to the object at `path`, as a frame.
pub(crate) fn encode_request(path: &str, method: Method, headers: &Headers, body: &[u8]) -> Vec<u8> {
    let head =
        RequestHead { path: path.to_owned(), method: method.as_str().to_owned(), headers: headers.clone() };
    frame(&head, body)
}

/// The object's side: which path was asked, and the request. The body stays in the frame's own
/// buffer (no second copy).
pub(crate) fn decode_request(frame: Vec<u8>) -> Result<(String, HttpRequest), FrameError> {
    let (head, body): (RequestHead, _) = split(frame)?;
    Ok((head.path, HttpRequest { method: Method::parse(&head.method), headers: head.headers, body }))
}

/// The object's answer, as a frame.
pub(crate) fn encode_response(resp: &HttpResponse) -> Vec<u8> {
    frame(&ResponseHead { status: resp.status, headers: resp.headers.clone() }, &resp.body)
}

/// The router's side: the object's answer, its body left in the frame's own buffer.
pub(crate) fn decode_response(frame: Vec<u8>) -> Result<HttpResponse, FrameError> {
    let (head, body): (ResponseHead, _) = split(frame)?;
    Ok(HttpResponse { status: head.status, headers: head.headers, body })
}

fn frame(head: &impl Serialize, body: &[u8]) -> Vec<u8> {
    let head = serde_json::to_vec(head).expect("strings and numbers always serialise");
    let mut out = Vec::with_capacity(4 + head.len() + body.len());
    out.extend_from_slice(&(head.len() as u32).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(body);
    out
}

/// The head, and the frame with the head cut off: what is left is the body.
fn split<H: serde::de::DeserializeOwned>(mut frame: Vec<u8>) -> Result<(H, Vec<u8>), FrameError> {
    let truncated = FrameError::Truncated(frame.len());
    let Some(len) = frame.get(..4) else { return Err(truncated) };
    let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
    let end = 4usize.saturating_add(len);
    let Some(head) = frame.get(4..end) else { return Err(truncated) };
    let head = serde_json::from_slice(head)?;
    frame.drain(..end);
    Ok((head, frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> HttpRequest {
        let mut headers = Headers::new();
        headers.append("mcp-session-id", "a.b.c");
        headers.append("Accept", "application/json, text/event-stream");
        // Repeats stay repeats: the object refuses repeated MCP headers with differing values.
        headers.append("mcp-protocol-version", "2025-06-18");
        headers.append("mcp-protocol-version", "2025-03-26");
        HttpRequest {
            method: Method::Post,
            headers,
            body: br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec(),
        }
    }

    #[test]
    fn a_request_comes_out_as_it_went_in() {
        let sent = request();
        let (path, got) =
            decode_request(encode_request("/mcp", sent.method, &sent.headers, &sent.body)).unwrap();
        assert_eq!(path, "/mcp");
        assert_eq!(got.method, Method::Post);
        assert_eq!(got.headers, sent.headers);
        assert_eq!(got.body, sent.body);
        assert!(got.headers.get_unique("MCP-Protocol-Version").is_err());
    }

    #[test]
    fn a_response_comes_out_as_it_went_in_bodies_of_any_bytes_included() {
        let mut sent = HttpResponse::empty(429).with_header("Retry-After", "7");
        sent.body = (0..=255u8).collect();
        assert_eq!(decode_response(encode_response(&sent)).unwrap(), sent);
        let empty = HttpResponse::empty(204);
        assert_eq!(decode_response(encode_response(&empty)).unwrap(), empty);
    }

    #[test]
    fn a_broken_frame_is_an_error_not_a_panic() {
        let good = encode_response(&HttpResponse::empty(200).with_header("a", "b"));
        for cut in 0..good.len() - 1 {
            assert!(decode_response(good[..cut].to_vec()).is_err(), "cut at {cut}");
        }
        // A head length pointing past the end, and one that overflows.
        assert!(matches!(decode_response(vec![9, 0, 0, 0, b'{']), Err(FrameError::Truncated(5))));
        assert!(decode_response(vec![0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(matches!(decode_request(vec![2, 0, 0, 0, b'{', b'}']), Err(FrameError::Head(_))));
    }
}
