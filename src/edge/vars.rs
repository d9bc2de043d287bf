//! Configuration vars the request path needs, parsed once per isolate: vars do not change while
//! an isolate lives (a deploy starts new ones), and each read crosses into JS. Secrets are read
//! the same way in `secrets`.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use crate::observe::request::RequestLog;
use crate::policy::quotas::QuotaConfig;

thread_local! {
    static QUOTAS: OnceCell<Rc<QuotaConfig>> = const { OnceCell::new() };
    static ENVIRONMENT: OnceCell<String> = const { OnceCell::new() };
    static REQUEST_LOG: OnceCell<RequestLog> = const { OnceCell::new() };
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// The quota vars (a dozen reads: ~2 % of a call's CPU when parsed per request).
pub(super) fn quota_config(env: &Env) -> Rc<QuotaConfig> {
    QUOTAS.with(|cell| cell.get_or_init(|| Rc::new(QuotaConfig::from_vars(|name| var(env, name)))).clone())
}

/// `ENVIRONMENT` (`local`, `staging`, `production`; "unknown" when unset): read at least twice
/// per request (~1.5 % of a call's CPU when each read crossed into JS).
pub(super) fn environment(env: &Env) -> String {
    ENVIRONMENT
        .with(|cell| cell.get_or_init(|| var(env, "ENVIRONMENT").unwrap_or_else(|| "unknown".into())).clone())
}

/// Which requests write a log line (`observe::request::RequestLog`).
pub(super) fn request_log(env: &Env) -> RequestLog {
    REQUEST_LOG.with(|cell| *cell.get_or_init(|| RequestLog::parse(var(env, "REQUEST_LOG").as_deref())))
}
