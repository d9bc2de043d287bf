//! The Pokédex table as a static asset of the deployment (`ASSETS` binding, `build/assets/
//! dex.json`): read and installed into `crate::dex` once per isolate, by every entry point whose
//! work reaches the core's tools or corpus (the client and ingest objects).

use worker::{Env, Error, Result};

/// The asset's path; the host is ignored by the binding.
const DEX_URL: &str = "https://assets.invalid/dex.json";

/// Installs the table unless this isolate has it already (one asset read per isolate).
pub(super) async fn ensure(env: &Env) -> Result<()> {
    if crate::dex::installed() {
        return Ok(());
    }
    let mut resp = env.assets("ASSETS")?.fetch(DEX_URL, None).await?;
    if resp.status_code() != 200 {
        return Err(Error::RustError(format!("Pokédex asset answered {}", resp.status_code())));
    }
    let json = resp.text().await?;
    crate::dex::install(&json).map_err(|e| Error::RustError(format!("Pokédex asset: {e}")))
}
