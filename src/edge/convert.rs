//! `worker::{Request, Response}` ⇄ `transport::{HttpRequest, HttpResponse}`.

use futures::StreamExt;
use worker::{Request, Response, Result};

use crate::transport::{Headers, HttpRequest, HttpResponse, Method};

/// Headers as plain data.
pub(super) fn headers(req: &Request) -> Headers {
    req.headers().entries().collect()
}

/// From the raw method: `worker::Method` reads every method it does not know (PROPFIND, PURGE…)
/// as GET.
pub(super) fn method(req: &Request) -> Method {
    Method::parse(&req.inner().method())
}

/// Reads the body, refusing (`Ok(None)`) once it exceeds `cap` bytes — chunked uploads have no
/// Content-Length, so the cap is enforced while streaming, never after buffering everything.
pub(super) async fn body_capped(req: &mut Request, cap: usize) -> Result<Option<Vec<u8>>> {
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

/// The request as plain data; `None` when its body exceeds `cap`. Only a POST body is read.
pub(super) async fn request(mut req: Request, cap: usize) -> Result<Option<HttpRequest>> {
    let method = method(&req);
    let headers = headers(&req);
    if !method.carries_body() {
        return Ok(Some(HttpRequest { method, headers, body: Vec::new() }));
    }
    Ok(body_capped(&mut req, cap).await?.map(|body| HttpRequest { method, headers, body }))
}

pub(super) fn response(resp: HttpResponse) -> Result<Response> {
    let headers = worker::Headers::new();
    for (k, v) in resp.headers.iter() {
        headers.append(k, v)?;
    }
    // 204/304 must have a null body, not an empty one.
    let out = if resp.body.is_empty() { Response::empty()? } else { Response::from_bytes(resp.body)? };
    Ok(out.with_status(resp.status).with_headers(headers))
}

/// A response from a Durable Object, back into plain data (so the router can add CORS headers).
pub(super) async fn from_response(mut resp: Response) -> Result<HttpResponse> {
    let headers: Headers = resp.headers().entries().collect();
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
