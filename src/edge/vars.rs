//! Configuration vars the request path needs, parsed once per isolate: vars do not change while
//! an isolate lives (a deploy starts new ones), and each read crosses into JS. Secrets are read
//! the same way in `secrets`.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use crate::policy::quotas::QuotaConfig;

thread_local! {
    static QUOTAS: OnceCell<Rc<QuotaConfig>> = const { OnceCell::new() };
}

/// The quota vars (a dozen reads: ~2 % of a call's CPU when parsed per request).
pub(super) fn quota_config(env: &Env) -> Rc<QuotaConfig> {
    QUOTAS.with(|cell| {
        cell.get_or_init(|| Rc::new(QuotaConfig::from_vars(|name| env.var(name).ok().map(|v| v.to_string()))))
            .clone()
    })
}
