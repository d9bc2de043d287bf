//! The router's call to a client object: the request rebuilt with only the headers the
//! object's machine reads (`MACHINE_HEADERS`) and the internal ones the router sets
//! (`transport::internal`), the object's answer read back as plain data.

use wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::{web_sys, DurableObjectNamespace};
use worker::{Env, Result};

use super::convert;
use crate::policy::quotas::{encode_policy, Limit};
use crate::transport::internal::{
    FAULT_HEADER, LIMIT_HEADER, LIMIT_ROLE_HEADER, LIMIT_UNITS_HEADER, OBJECT_MS_HEADER, OWNER_HEADER,
    REQUEST_ID_HEADER,
};
use crate::transport::streamable::MACHINE_HEADERS;
use crate::transport::{HttpRequest, HttpResponse, Method};

/// The client objects' binding.
const CLIENTS_BINDING: &str = "CLIENTS";
/// An object path that only records an admission (the limits a request faces before the one
/// that serves it).
pub(super) const LIMIT_PATH: &str = "/limit";

/// Sends the request to the object named `owner`, asking it to count `units` against `limit`
/// first.
pub(super) async fn call_object(
    env: &Env,
    owner: &str,
    path: &str,
    limit: Option<(&Limit, u32)>,
    http: &HttpRequest,
) -> Result<HttpResponse> {
    let mut forwarded = http.headers.clone();
    // What the object's machine reads, repeats included (it refuses repeated MCP headers); of
    // our own x-porygon-* headers only the request id (set by this router) and local-only
    // fault switches travel on, the others are set below, never taken from the client.
    forwarded.retain(|k| {
        MACHINE_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h))
            || k.eq_ignore_ascii_case(REQUEST_ID_HEADER)
            || k.eq_ignore_ascii_case(FAULT_HEADER)
    });
    if !http.body.is_empty() {
        // The body's own length (read whole by the router), so the object reads it in one call.
        forwarded.insert("Content-Length", http.body.len().to_string());
    }
    forwarded.insert(OWNER_HEADER, owner);
    if let Some((limit, units)) = limit {
        forwarded.insert(LIMIT_HEADER, encode_policy(&limit.policy));
        forwarded.insert(LIMIT_ROLE_HEADER, limit.role.as_str());
        forwarded.insert(LIMIT_UNITS_HEADER, units.to_string());
    }
    // The runtime's own Request and stub, not `worker`'s wrappers: this is every MCP request's
    // hop, and the wrappers cost a `Headers` object each way and a JS call per field read back.
    let init = web_sys::RequestInit::new();
    init.set_method(method_name(http.method));
    init.set_headers(&convert::header_init(&forwarded)?);
    if !http.body.is_empty() {
        init.set_body(&js_sys::Uint8Array::from(http.body.as_slice()));
    }
    let request = web_sys::Request::new_with_str_and_init(&format!("https://client-object{path}"), &init)?;
    let namespace = env.durable_object(CLIENTS_BINDING)?;
    let namespace: &DurableObjectNamespace = namespace.unchecked_ref();
    let stub = namespace.get(&namespace.id_from_name(owner)?)?;
    let started = super::clock::now_ms();
    let answer: web_sys::Response = JsFuture::from(stub.fetch_with_request(&request)?).await?.dyn_into()?;
    let mut response = convert::from_runtime_response(answer).await?;
    response.headers.insert(OBJECT_MS_HEADER, (super::clock::now_ms() - started).to_string());
    Ok(response)
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Delete => "DELETE",
        Method::Options => "OPTIONS",
        Method::Head => "HEAD",
        Method::Other => "POST",
    }
}
