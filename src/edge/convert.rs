//! `worker::{Request, Response}` ⇄ `transport::{HttpRequest, HttpResponse}`.
//!
//! The router's answer is built as the runtime's own `Response` from plain data in one call:
//! `worker`'s builder makes an empty `Headers` object for every response and another from our
//! pairs (bench/REPORT-hops.md). The hop to a client object is no HTTP at all
//! (`transport::object_frame`).

use futures::StreamExt;
use wasm_bindgen::JsValue;
use worker::worker_sys::web_sys;
use worker::{Request, Response, Result};

use crate::transport::{Headers, HttpRequest, HttpResponse, Method};

/// Headers as plain data.
pub(super) fn headers(req: &Request) -> Headers {
    from_js_headers(&req.headers().0)
}

/// All headers in one trip across the JS boundary: `Array.from` and `JSON.stringify` run in JS
/// and one string comes back. `Headers::entries()` costs half a dozen crossings per header (the
/// iterator's `next`, the pair's two `get`s, two string copies); in the CPU profile of
/// `get_pokemon` under load that iteration was ~6 % of the worker's time (bench/REPORT-hops.md).
fn from_js_headers(h: &web_sys::Headers) -> Headers {
    let pairs = js_sys::Array::from(h);
    js_sys::JSON::stringify(&pairs)
        .ok()
        .and_then(|json| json.as_string())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_else(|| worker::Headers(h.clone()).entries().collect())
}

/// The reverse, also in one trip: a `HeadersInit` (`Headers::to_init_json`), handed straight to
/// the `Response` constructor, which validates it entry by entry as `append` would.
fn header_init(headers: &Headers) -> Result<JsValue> {
    Ok(js_sys::JSON::parse(&headers.to_init_json())?)
}

/// From the raw method: `worker::Method` reads every method it does not know (PROPFIND, PURGE…)
/// as GET.
pub(super) fn method(req: &Request) -> Method {
    Method::parse(&req.inner().method())
}

/// Reads the body, refusing (`Ok(None)`) once it exceeds `cap` bytes.
///
/// With a Content-Length (and no Transfer-Encoding) the runtime delimits the body by it, so a
/// body within the cap is read whole in one `arrayBuffer()` call. Otherwise (chunked uploads)
/// the cap is enforced while streaming, chunk by chunk, never after buffering everything: the
/// stream's reader costs a few JS calls per chunk (`getReader`, `read`, `releaseLock`, ~7 % of
/// the worker's time for `get_pokemon` under load), which the common case no longer pays.
pub(super) async fn body_capped(req: &mut Request, headers: &Headers, cap: usize) -> Result<Option<Vec<u8>>> {
    let length = headers.get("Content-Length").and_then(|l| l.trim().parse::<u64>().ok());
    if let (Some(length), None) = (length, headers.get("Transfer-Encoding")) {
        if length > cap as u64 {
            return Ok(None);
        }
        let buffer = worker::wasm_bindgen_futures::JsFuture::from(req.inner().array_buffer()?).await?;
        let body = js_sys::Uint8Array::new(&buffer);
        return Ok((body.length() as usize <= cap).then(|| body.to_vec()));
    }
    let Ok(mut stream) = req.stream() else {
        return Ok(Some(Vec::new()));
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The request as plain data, its headers read already (`headers`); `None` when its body
/// exceeds `cap`. Only a POST body is read.
pub(super) async fn request(mut req: Request, headers: Headers, cap: usize) -> Result<Option<HttpRequest>> {
    let method = method(&req);
    if !method.carries_body() {
        return Ok(Some(HttpRequest { method, headers, body: Vec::new() }));
    }
    Ok(body_capped(&mut req, &headers, cap).await?.map(|body| HttpRequest { method, headers, body }))
}

/// The runtime's `Response`, built in one constructor call.
pub(super) fn runtime_response(resp: &HttpResponse) -> Result<web_sys::Response> {
    let init = web_sys::ResponseInit::new();
    init.set_status(resp.status);
    init.set_headers(&header_init(&resp.headers)?);
    // 204/304 must have a null body, not an empty one.
    let body = (!resp.body.is_empty()).then(|| js_sys::Uint8Array::from(resp.body.as_slice()));
    Ok(web_sys::Response::new_with_opt_buffer_source_and_init(body.as_deref(), &init)?)
}

/// A response from a Durable Object, back into plain data (so the router can add CORS headers).
pub(super) async fn from_response(mut resp: Response) -> Result<HttpResponse> {
    let headers = from_js_headers(&resp.headers().0);
    let body = body_bytes(&mut resp).await?;
    Ok(HttpResponse { status: resp.status_code(), headers, body })
}

/// The whole body of a fetched response, read by the runtime in one call (`arrayBuffer()`) instead
/// of chunk by chunk through `worker`'s `ByteStream` (a JS round trip and a copy per chunk: in
/// the CPU profile of a cold `query_strategy`, reading the index's and the object's answers so
/// cost more than the ranking; bench/REPORT-hops.md).
pub(super) async fn body_bytes(resp: &mut Response) -> Result<Vec<u8>> {
    let worker::ResponseBody::Stream(stream) = resp.body() else { return resp.bytes().await };
    let whole = worker::web_sys::Response::new_with_opt_readable_stream(Some(stream))?;
    let buffer = worker::wasm_bindgen_futures::JsFuture::from(whole.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// An alarm time from epoch milliseconds. (`set_alarm(i64)` would read the number as an *offset*
/// from now — an easy way to schedule an alarm decades late.)
pub(super) fn alarm_at(epoch_ms: i64) -> worker::ScheduledTime {
    worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64)))
}
