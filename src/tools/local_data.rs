//! A test backend over the real data in ../shared/data (gen9ou statistics and sets, gen9vgc2024
//! sets): the tools' unit tests read through it. No search, no calculator.

use super::backend::{self, StrategyBackend};

pub(crate) struct LocalData;

/// The real gen9ou moveset report (2024-06, rating ≥ 1695), as a backend answers it.
pub(crate) fn gen9ou_usage() -> std::rc::Rc<backend::FormatUsage> {
    let report =
        crate::corpus::parse_moveset_report(&shared("smogon-stats/moveset-gen9ou-1695.txt")).unwrap();
    std::rc::Rc::new(backend::FormatUsage {
        report,
        month: "2024-06".into(),
        cutoff: 1695,
        source_url: "https://www.smogon.com/stats/2024-06/moveset/gen9ou-1695.txt".into(),
    })
}

fn shared(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../shared/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

impl StrategyBackend for LocalData {
    async fn lexical(
        &self,
        _f: &str,
        _r: &crate::search::hit::SearchRequest,
    ) -> Result<Vec<crate::search::hit::SearchHit>, backend::BackendError> {
        Ok(Vec::new())
    }
    async fn semantic(
        &self,
        _f: &str,
        _r: &crate::search::hit::SearchRequest,
    ) -> Option<Result<Vec<crate::search::hit::SearchHit>, backend::BackendError>> {
        None
    }
    async fn usage(
        &self,
        format: &str,
    ) -> Result<Option<std::rc::Rc<backend::FormatUsage>>, backend::BackendError> {
        Ok((format == "gen9ou").then(gen9ou_usage))
    }
    async fn sets(
        &self,
        format: &str,
    ) -> Result<Option<std::rc::Rc<crate::corpus::SetsFile>>, backend::BackendError> {
        Ok(["gen9ou", "gen9vgc2024"].contains(&format).then(|| {
            std::rc::Rc::new(crate::corpus::parse_sets(&shared(&format!("pkmn-sets/{format}.json"))).unwrap())
        }))
    }
}
