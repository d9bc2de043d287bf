//! Run metrics (Analytics Engine + a structured log line) and the signed alert webhook.

use worker::{AnalyticsEngineDataPointBuilder, Env, Fetch, Headers, Method, Request, RequestInit};

use crate::ingest::alert::{sign, RunReport, SIGNATURE_HEADER};

/// Writes the run's data point (blobs: kind, run id, trigger; doubles: the counters) and logs it.
pub fn ingestion_finished(env: &Env, report: &RunReport, unknown_species: &[String]) {
    tracing::info!(
        run = %report.run_id,
        trigger = %report.trigger,
        pokemon = report.pokemon_processed,
        written = report.documents_written,
        deleted = report.documents_deleted,
        unchanged = report.documents_unchanged,
        embeddings = report.embeddings_generated,
        errors = report.errors,
        unknown_species = unknown_species.len(),
        duration_ms = report.duration_ms,
        "ingestion finished"
    );
    let Ok(dataset) = env.analytics_engine("METRICS") else { return };
    let point = AnalyticsEngineDataPointBuilder::new()
        .indexes(["ingestion"])
        .blobs(["ingestion".to_owned(), report.run_id.clone(), report.trigger.clone()])
        .doubles([
            f64::from(report.pokemon_processed),
            f64::from(report.documents_written),
            f64::from(report.documents_deleted),
            f64::from(report.documents_unchanged),
            f64::from(report.embeddings_generated),
            f64::from(report.errors),
            report.duration_ms as f64,
        ])
        .build();
    if let Err(e) = dataset.write_data_point(&point) {
        tracing::error!(error = %e, "analytics engine write failed");
    }
}

/// POSTs the report to ALERT_WEBHOOK, signed with ALERT_WEBHOOK_SECRET.
pub async fn send_alert(env: &Env, report: &RunReport) -> worker::Result<()> {
    let (Ok(url), Ok(secret)) = (env.secret("ALERT_WEBHOOK"), env.secret("ALERT_WEBHOOK_SECRET")) else {
        tracing::warn!(
            "ingestion errors over threshold, but no ALERT_WEBHOOK/ALERT_WEBHOOK_SECRET configured"
        );
        return Ok(());
    };
    let body = serde_json::to_vec(&serde_json::json!({ "event": "ingestion.errors", "report": report }))?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set(SIGNATURE_HEADER, &sign(secret.to_string().as_bytes(), &body))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    let resp = Fetch::Request(Request::new_with_init(&url.to_string(), &init)?).send().await?;
    if resp.status_code() >= 300 {
        return Err(worker::Error::RustError(format!("webhook answered {}", resp.status_code())));
    }
    Ok(())
}
