//! Semantic retrieval, the pure part: embed the question, ask the vector index for the nearest
//! documents of the format, read those documents — **concurrently** — and return them as hits in
//! the index's order.
//!
//! On the edge the three steps are Workers AI, Vectorize and KV (`edge/strategy_backend.rs`);
//! natively they are the contract fakes of `ingest::vectors` and any [`DocumentReader`], so the
//! shape of the I/O (one embedding, one query, N document reads at once) is tested here. Reading
//! the matches one after another made a 20-match answer cost 20 KV round trips; concurrently it
//! costs about one.

use crate::corpus::Document;
use crate::ingest::vectors::{Embedder, MetadataFilter, VectorError, VectorIndex};

use super::hit::{SearchHit, SearchRequest};

/// Vectorize returns at most this many matches with metadata.
pub(crate) const MAX_TOP_K: u32 = 20;

/// Reads a strategy document by its key (KV on the edge). `None`: expired, deleted or unreadable
/// — the match is skipped, not an error.
#[allow(async_fn_in_trait)]
pub(crate) trait DocumentReader {
    async fn document(&self, key: &str) -> Option<Document>;
}

/// The nearest documents of `format` to `request.query`, best first.
pub(crate) async fn search(
    embedder: &impl Embedder,
    index: &impl VectorIndex,
    documents: &impl DocumentReader,
    format: &str,
    request: &SearchRequest,
) -> Result<Vec<SearchHit>, VectorError> {
    let vector = embedder
        .embed(std::slice::from_ref(&request.query))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| VectorError::Embed("no embedding returned".into()))?;
    let filter = MetadataFilter {
        format: format.to_owned(),
        pokemon: request.pokemon_id.clone(),
        section: request.section.clone(),
    };
    let matches = index.query(&vector, request.limit.clamp(1, MAX_TOP_K), &filter).await?;
    let read = matches.iter().map(|m| documents.document(&m.metadata.key));
    let docs = futures::future::join_all(read).await;
    Ok(matches
        .into_iter()
        .zip(docs)
        .filter_map(|(m, doc)| {
            let doc = doc?;
            Some(SearchHit {
                key: doc.key,
                pokemon_id: doc.pokemon_id,
                pokemon_name: doc.pokemon_name,
                format: doc.format,
                section: doc.section.as_str().to_owned(),
                set_name: doc.set_name,
                source_url: doc.source_url,
                data_month: doc.data_month,
                score: m.score,
                text: doc.text,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::HashMap;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures::executor::block_on;

    use super::*;
    use crate::corpus::documents::Section;
    use crate::ingest::vectors::{sync, FakeVectorize, FakeWorkersAi, VectorDoc};

    /// Pending once, then ready: what waiting on a KV read looks like to the executor.
    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// A KV fake where every read takes `latency_ms` of **virtual** time: a read starts at the
    /// clock's current value and, when it completes, the clock reaches at least its start plus
    /// the latency. Reads in flight together overlap; reads one after another add up. No wall
    /// clock is involved, so the figures are exact on any machine.
    struct SlowKv {
        docs: HashMap<String, Document>,
        latency_ms: u64,
        clock_ms: Cell<u64>,
        in_flight: Cell<usize>,
        most_in_flight: Cell<usize>,
        reads: Cell<usize>,
    }

    impl DocumentReader for SlowKv {
        async fn document(&self, key: &str) -> Option<Document> {
            let started = self.clock_ms.get();
            self.reads.set(self.reads.get() + 1);
            self.in_flight.set(self.in_flight.get() + 1);
            self.most_in_flight.set(self.most_in_flight.get().max(self.in_flight.get()));
            YieldOnce(false).await;
            self.in_flight.set(self.in_flight.get() - 1);
            self.clock_ms.set(self.clock_ms.get().max(started + self.latency_ms));
            self.docs.get(key).cloned()
        }
    }

    fn document(i: usize) -> Document {
        Document {
            key: format!("doc:v1:gen9ou:pokemon{i}:usage"),
            pokemon_id: format!("pokemon{i}"),
            pokemon_name: format!("Pokemon {i}"),
            format: "gen9ou".into(),
            generation: 9,
            section: Section::Usage,
            set_name: None,
            source_url: format!("https://www.smogon.com/dex/sv/pokemon/pokemon{i}/ou/"),
            data_month: None,
            cutoff: None,
            text: format!("usage document {i}"),
            content_hash: String::new(),
        }
    }

    /// 20 documents embedded into the Vectorize fake, and a KV fake holding 19 of them (one
    /// expired: skipped, not an error).
    fn corpus(latency_ms: u64) -> (FakeWorkersAi, FakeVectorize, SlowKv) {
        let (ai, index) = (FakeWorkersAi::default(), FakeVectorize::default());
        let docs: Vec<Document> = (0..20).map(document).collect();
        let vector_docs: Vec<VectorDoc> = docs
            .iter()
            .map(|d| VectorDoc {
                key: d.key.clone(),
                text: d.text.clone(),
                pokemon_id: d.pokemon_id.clone(),
                format: d.format.clone(),
                section: "usage".into(),
            })
            .collect();
        block_on(sync(&ai, &index, &vector_docs, &[])).unwrap();
        let kv = SlowKv {
            docs: docs.into_iter().skip(1).map(|d| (d.key.clone(), d)).collect(),
            latency_ms,
            clock_ms: Cell::new(0),
            in_flight: Cell::new(0),
            most_in_flight: Cell::new(0),
            reads: Cell::new(0),
        };
        (ai, index, kv)
    }

    fn request(limit: u32) -> SearchRequest {
        SearchRequest {
            query: "a bulky pivot".into(),
            limit,
            pokemon_id: None,
            pokemon_ids: Vec::new(),
            section: None,
            phrase: false,
        }
    }

    #[test]
    fn twenty_matches_at_20_ms_each_cost_one_read_not_twenty() {
        let (ai, index, kv) = corpus(20);
        let hits = block_on(search(&ai, &index, &kv, "gen9ou", &request(20))).unwrap();
        assert_eq!(kv.reads.get(), 20, "one read per match");
        assert_eq!(hits.len(), 19, "the expired document is skipped");
        assert_eq!(kv.most_in_flight.get(), 20, "every read in flight at once");
        assert_eq!(kv.clock_ms.get(), 20, "20 reads of 20 ms overlap: 20 ms, well under 100");

        // The same fake measures the old way (one read after another) at 400 ms: it can tell.
        let (_, _, sequential) = corpus(20);
        block_on(async {
            for i in 0..20 {
                sequential.document(&document(i).key).await;
            }
        });
        assert_eq!(sequential.clock_ms.get(), 400);
        assert_eq!(sequential.most_in_flight.get(), 1);
    }

    #[test]
    fn matches_keep_the_index_order_and_its_filters() {
        let (ai, index, kv) = corpus(0);
        let all = block_on(search(&ai, &index, &kv, "gen9ou", &request(20))).unwrap();
        assert!(all.windows(2).all(|w| w[0].score >= w[1].score), "best first");
        let one = block_on(search(
            &ai,
            &index,
            &kv,
            "gen9ou",
            &SearchRequest { pokemon_id: Some("pokemon7".into()), ..request(5) },
        ))
        .unwrap();
        assert_eq!(one.iter().map(|h| h.pokemon_id.as_str()).collect::<Vec<_>>(), ["pokemon7"]);
        assert!(block_on(search(&ai, &index, &kv, "gen1ou", &request(5))).unwrap().is_empty());
        ai.down.set(true);
        assert!(matches!(
            block_on(search(&ai, &index, &kv, "gen9ou", &request(5))),
            Err(VectorError::Embed(_))
        ));
    }
}
