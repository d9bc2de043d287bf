//! [`DamageCalculator`] on Workers: `@smogon/calc` through wasm-bindgen (`calc.mjs`, bundled
//! with the worker by wrangler). JSON strings both ways; a JS exception becomes an `Err`.

use wasm_bindgen::prelude::*;

use crate::battle::calc::DamageCalculator;

#[wasm_bindgen(module = "/src/edge/calc.mjs")]
extern "C" {
    #[wasm_bindgen(js_name = damageCalc, catch)]
    fn damage_calc(request: &str) -> Result<String, JsValue>;
}

pub(super) struct JsCalculator;

impl DamageCalculator for JsCalculator {
    fn calculate(&self, request: &str) -> Result<String, String> {
        damage_calc(request).map_err(|e| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .or_else(|| e.as_string())
                .unwrap_or_else(|| "the calculator threw".to_owned())
        })
    }
}
