//! The router's call to a client object: the request rebuilt with only the headers the
//! object's machine reads (`MACHINE_HEADERS`) and the internal ones the router sets
//! (`transport::internal`), sent as one frame to the object's RPC method, the answer one frame
//! back.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::DurableObjectNamespace;
use worker::{Env, Result};

use crate::policy::quotas::{encode_policy, Limit};
use crate::transport::internal::{
    FAULT_HEADER, LIMIT_HEADER, LIMIT_ROLE_HEADER, LIMIT_UNITS_HEADER, OBJECT_MS_HEADER, OWNER_HEADER,
    REQUEST_ID_HEADER,
};
use crate::transport::object_frame;
use crate::transport::streamable::MACHINE_HEADERS;
use crate::transport::{HttpRequest, HttpResponse};

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
    forwarded.insert(OWNER_HEADER, owner);
    if let Some((limit, units)) = limit {
        forwarded.insert(LIMIT_HEADER, encode_policy(&limit.policy));
        forwarded.insert(LIMIT_ROLE_HEADER, limit.role.as_str());
        forwarded.insert(LIMIT_UNITS_HEADER, units.to_string());
    }
    // One frame to the object's RPC method and one back (`transport::object_frame`): no
    // `Request`, `Response` or `Headers` object on either side of the hop.
    let namespace = env.durable_object(CLIENTS_BINDING)?;
    let namespace: &DurableObjectNamespace = namespace.unchecked_ref();
    let stub: ClientStub = namespace.get(&namespace.id_from_name(owner)?)?.unchecked_into();
    let frame = js_sys::Uint8Array::from(
        object_frame::encode_request(path, http.method, &forwarded, &http.body).as_slice(),
    );
    let started = super::clock::now_ms();
    let answer: js_sys::Uint8Array = JsFuture::from(stub.serve(&frame)?).await?.dyn_into()?;
    let mut response = object_frame::decode_response(answer.to_vec())
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    response.headers.insert(OBJECT_MS_HEADER, (super::clock::now_ms() - started).to_string());
    Ok(response)
}

#[wasm_bindgen]
extern "C" {
    /// A client object's stub, seen through its RPC method (`ClientObject::serve`).
    type ClientStub;

    #[wasm_bindgen(method, catch)]
    fn serve(this: &ClientStub, frame: &js_sys::Uint8Array) -> std::result::Result<js_sys::Promise, JsValue>;
}
