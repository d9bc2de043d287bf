//! Test builds only (the `faults` feature): `POST /__test/isolate-index` answers searches with an
//! in-isolate index copy (`search::isolate_index`), so tests can hold it against SQLite. A
//! separate module from `faults`, which the backend itself imports.

use serde::Deserialize;

/// `{"rows": [...], "searches": [...]}` builds the copy from the given snapshot rows (the test
/// compares with its own SQLite); `{"format": "gen9ou", "searches": [...]}` copies that format's
/// index object and also asks the object itself, answering both.
pub(super) const ISOLATE_INDEX_ROUTE: &str = "/__test/isolate-index";

pub(super) async fn isolate_index(
    req: &mut worker::Request,
    env: &worker::Env,
) -> crate::transport::HttpResponse {
    use crate::search::hit::SearchRequest;
    use crate::search::isolate_index::{IsolateIndex, SnapshotRow};
    use crate::transport::HttpResponse;

    #[derive(Deserialize)]
    struct Ask {
        format: Option<String>,
        rows: Option<Vec<SnapshotRow>>,
        searches: Vec<SearchRequest>,
    }
    let ask: Ask = match req.json().await {
        Ok(ask) => ask,
        Err(e) => return HttpResponse::json(400, &serde_json::json!({"error": e.to_string()})),
    };
    let copy = match (&ask.format, ask.rows) {
        (None, Some(rows)) => IsolateIndex::build(rows).map_err(|e| e.to_string()),
        (Some(format), None) => super::strategy_backend::isolate_copy_of(env, format, usize::MAX).await,
        _ => return HttpResponse::json(400, &serde_json::json!({"error": "format or rows, not both"})),
    };
    let copy = match copy {
        Ok(copy) => copy,
        Err(e) => return HttpResponse::json(422, &serde_json::json!({"error": e})),
    };
    let copied: Vec<_> = ask.searches.iter().map(|s| copy.search(s)).collect();
    let mut answer = serde_json::json!({"copy": copied, "rows": copy.rows()});
    if let Some(format) = &ask.format {
        let mut index = Vec::new();
        for s in &ask.searches {
            match super::strategy_backend::index_search(env, format, s).await {
                Ok(hits) => index.push(hits),
                Err(e) => return HttpResponse::json(503, &serde_json::json!({"error": e})),
            }
        }
        answer["index"] = serde_json::json!(index);
    }
    HttpResponse::json(200, &answer)
}
