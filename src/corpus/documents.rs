//! The documents the server indexes, built from one format's sets, analyses and usage report.
//!
//! Per species: one document per analysis section (`overview`, each described `set`,
//! `comments`), and one `usage` document holding the month's usage statistics together with the
//! species' Smogon sets as Showdown pastes. Every document is self-contained text (a header
//! naming species, section and format, then the body), so a search hit reads on its own.
//!
//! ## Keys
//!
//! `doc:v1:<format>:<pokemon-id>:<section>[:<set-slug>][:part<N>]`, e.g.
//! `doc:v1:gen9ou:dragonite:set:dragon-dance-tera-blast`. Keys do not contain the month: a new
//! month's statistics replace the same key, and `content_hash` tells whether anything changed.
//! `v1` changes whenever the text layout changes, so stale documents can be told apart. A text
//! over [`MAX_TEXT_BYTES`] is split at paragraph, line or word boundaries into `:part1`,
//! `:part2`, ... each repeating the header.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::analyses::{parse_analyses, SpeciesAnalysis};
use super::format::{Format, StatsKind};
use super::html::html_to_text;
use super::sets::{parse_sets, PasteStyle, SetsFile, SpeciesSets};
use super::stats::{Breakdown, CheckCounter, ReportSource, UsageReport, UsageStats};
use super::{CorpusError, Skipped};
use crate::dex::{dex, to_id};
use crate::primitives::hex::hex;

mod chunk;

use chunk::split_text;

/// Largest document text, in bytes (UTF-8), header included: small enough to embed or show
/// whole, large enough that almost every analysis section fits in one piece.
pub(crate) const MAX_TEXT_BYTES: usize = 8 * 1024;

/// Bumped whenever document text or keys change shape.
const KEY_VERSION: &str = "v1";

/// How many entries a usage document lists per category.
const TOP_SHARES: usize = 6;
const TOP_MOVES: usize = 10;
const TOP_TEAMMATES: usize = 10;
const TOP_CHECKS: usize = 8;

/// What part of the strategy material a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Section {
    Overview,
    Set,
    Comments,
    /// Usage statistics and the species' Smogon sets.
    Usage,
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Section {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Section::Overview => "overview",
            Section::Set => "set",
            Section::Comments => "comments",
            Section::Usage => "usage",
        }
    }
}

/// One indexed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    /// Stable and versioned; see the module docs.
    pub key: String,
    /// Dex id (`ninetalesalola`); the plain id of the name for species the dex does not know.
    pub pokemon_id: String,
    /// Display name (`Ninetales-Alola`).
    pub pokemon_name: String,
    /// Format id (`gen9ou`).
    pub format: String,
    pub generation: u8,
    pub section: Section,
    /// The set a `set` document describes.
    pub set_name: Option<String>,
    /// The species' Smogon strategy page for the format.
    pub source_url: String,
    /// Statistics month (`YYYY-MM`) of a `usage` document that has statistics.
    pub data_month: Option<String>,
    /// Rating cutoff of those statistics.
    pub cutoff: Option<u32>,
    pub text: String,
    /// sha256 (hex) over the text and every other field: equal hashes, equal documents.
    pub content_hash: String,
}

/// Documents per section and other totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CorpusCounts {
    pub overview: usize,
    pub set: usize,
    pub comments: usize,
    pub usage: usize,
    /// All documents (parts count one each).
    pub documents: usize,
    /// Texts that were too long and were split into parts.
    pub split: usize,
    /// Distinct species with at least one document.
    pub species: usize,
}

/// One format's documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Corpus {
    pub documents: Vec<Document>,
    /// Species names the dex does not know for the format's generation (still indexed, under
    /// their plain id), in first-seen order.
    pub unknown_species: Vec<String>,
    /// Entries the parsers or the builder left out.
    pub skipped: Vec<Skipped>,
    pub counts: CorpusCounts,
}

/// Builds a format's documents from its data.pkmn.cc sets file, optionally its analyses file,
/// and optionally a month of usage statistics as `(report, "YYYY-MM", cutoff)`.
///
/// Fails on unusable input as a whole (invalid JSON, a bad month or cutoff, statistics of
/// another format); anything smaller is skipped and listed in [`Corpus::skipped`].
pub(crate) fn build_format_corpus(
    format: &Format,
    sets_json: &str,
    analyses_json: Option<&str>,
    stats: Option<(&UsageReport, &str, u32)>,
) -> Result<Corpus, CorpusError> {
    let sets = parse_sets(sets_json)?;
    let analyses = analyses_json.map(parse_analyses).transpose()?;
    let stats =
        stats.map(|(report, month, cutoff)| StatsContext::new(format, report, month, cutoff)).transpose()?;

    let mut builder = Builder::new(format);
    builder.skipped.extend(sets.skipped.iter().cloned());
    if let Some(analyses) = &analyses {
        builder.skipped.extend(analyses.skipped.iter().cloned());
        for analysis in &analyses.species {
            builder.add_analysis(analysis, &sets);
        }
    }
    if let Some(stats) = &stats {
        builder.skipped.extend(stats.report.skipped.iter().cloned());
    }
    builder.add_usage(&sets, stats.as_ref());
    Ok(builder.finish())
}

/// A usage report with the month and cutoff it belongs to, checked against the format.
struct StatsContext<'a> {
    report: &'a UsageReport,
    month: String,
    cutoff: u32,
    /// Where the report is published, for attribution in the text.
    url: String,
}

impl<'a> StatsContext<'a> {
    fn new(format: &Format, report: &'a UsageReport, month: &str, cutoff: u32) -> Result<Self, CorpusError> {
        let kind = match report.source {
            ReportSource::Chaos => StatsKind::Chaos,
            ReportSource::MovesetReport => StatsKind::Moveset,
        };
        let url = format.stats_url(kind, month, cutoff)?;
        let mismatch = |what: String| CorpusError::malformed("usage report", what);
        if let Some(metagame) = report.metagame.as_deref().filter(|m| *m != format.id()) {
            return Err(mismatch(format!("is for {metagame}, not {format}")));
        }
        if let Some(own) = report.cutoff.filter(|&c| c != cutoff) {
            return Err(mismatch(format!("has cutoff {own}, not {cutoff}")));
        }
        Ok(StatsContext { report, month: month.to_owned(), cutoff, url })
    }
}

/// A species as documents name it.
#[derive(Debug, Clone)]
struct SpeciesRef {
    id: String,
    name: String,
}

/// A document before keys, splitting and hashing.
struct Draft {
    species: SpeciesRef,
    section: Section,
    set_name: Option<String>,
    header: String,
    body: String,
    month: Option<String>,
    cutoff: Option<u32>,
}

struct Builder<'a> {
    format: &'a Format,
    documents: Vec<Document>,
    /// Base keys handed out so far (before `:partN`).
    keys: HashSet<String>,
    unknown: Vec<String>,
    skipped: Vec<Skipped>,
    split: usize,
}

impl<'a> Builder<'a> {
    fn new(format: &'a Format) -> Self {
        Builder {
            format,
            documents: Vec::new(),
            keys: HashSet::new(),
            unknown: Vec::new(),
            skipped: Vec::new(),
            split: 0,
        }
    }

    /// The dex's id and name for `name` in the format's generation; unknown names are reported
    /// and keep their own spelling. None when the name has no id at all.
    fn species(&mut self, name: &str) -> Option<SpeciesRef> {
        match dex().species(name, Some(self.format.gen())) {
            Ok(view) => Some(SpeciesRef { id: view.id.to_owned(), name: view.name.to_owned() }),
            Err(_) => {
                let id = to_id(name);
                if id.is_empty() {
                    self.skipped.push(Skipped::new(name, "species name has no letters or digits"));
                    return None;
                }
                if !self.unknown.iter().any(|u| u == name) {
                    self.unknown.push(name.to_owned());
                }
                Some(SpeciesRef { id, name: name.trim().to_owned() })
            }
        }
    }

    fn add_analysis(&mut self, analysis: &SpeciesAnalysis, sets: &SetsFile) {
        let Some(species) = self.species(&analysis.species) else { return };
        let format = self.format.id().to_owned();
        let credits =
            analysis.credits.as_ref().map(super::analyses::Credits::summary).filter(|c| !c.is_empty());
        let with_credits = |text: String| match &credits {
            Some(credits) => format!("{text}\n\n{credits}"),
            None => text,
        };
        let draft = |section, set_name, header: String, body: String| Draft {
            species: species.clone(),
            section,
            set_name,
            header,
            body,
            month: None,
            cutoff: None,
        };
        let name = &species.name;
        if let Some(text) = analysis.overview.as_deref().map(html_to_text).filter(|t| !t.is_empty()) {
            let header = format!("{name} — overview (Smogon analysis, {format})");
            self.push(draft(Section::Overview, None, header, with_credits(text)));
        }
        let species_sets = sets.get(&analysis.species);
        for set in &analysis.sets {
            let Some(text) = set.description.as_deref().map(html_to_text).filter(|t| !t.is_empty()) else {
                continue;
            };
            let paste = species_sets
                .and_then(|s| s.sets.iter().find(|p| p.name == set.name))
                .map(|p| p.to_paste(name, self.format.gen(), PasteStyle::WithAlternatives));
            let body = match paste {
                Some(paste) => format!("{paste}\n\n{text}"),
                None => text,
            };
            let header = format!("{name} — {} (Smogon set, {format})", set.name);
            self.push(draft(Section::Set, Some(set.name.clone()), header, with_credits(body)));
        }
        if let Some(text) = analysis.comments.as_deref().map(html_to_text).filter(|t| !t.is_empty()) {
            let header = format!("{name} — other options and comments (Smogon analysis, {format})");
            self.push(draft(Section::Comments, None, header, with_credits(text)));
        }
    }

    /// One `usage` document per species in the report or the sets file: report order first,
    /// then the species that only have sets, in file order.
    fn add_usage(&mut self, sets: &SetsFile, stats: Option<&StatsContext<'_>>) {
        let mut sets_by_id: BTreeMap<String, Vec<&SpeciesSets>> = BTreeMap::new();
        let mut sets_order = Vec::new();
        for entry in &sets.species {
            let Some(species) = self.species(&entry.species) else { continue };
            if !sets_by_id.contains_key(&species.id) {
                sets_order.push(species.clone());
            }
            sets_by_id.entry(species.id).or_default().push(entry);
        }
        let mut seen = HashSet::new();
        for usage in stats.map_or(&[][..], |s| &s.report.species) {
            let Some(species) = self.species(&usage.name) else { continue };
            if !seen.insert(species.id.clone()) {
                self.skipped.push(Skipped::new(&usage.name, "usage statistics repeat a species"));
                continue;
            }
            let species_sets = sets_by_id.get(&species.id).map(Vec::as_slice).unwrap_or_default();
            let body = self.usage_body(stats.map(|s| (usage, s)), &species.name, species_sets);
            self.push_usage(species, body, stats);
        }
        for species in sets_order {
            if seen.contains(&species.id) {
                continue;
            }
            let species_sets = sets_by_id.get(&species.id).map(Vec::as_slice).unwrap_or_default();
            let body = self.usage_body(None, &species.name, species_sets);
            self.push_usage(species, body, None);
        }
    }

    fn push_usage(&mut self, species: SpeciesRef, body: String, stats: Option<&StatsContext<'_>>) {
        let header = format!("{} — usage statistics and sets ({})", species.name, self.format.id());
        self.push(Draft {
            species,
            section: Section::Usage,
            set_name: None,
            header,
            body,
            month: stats.map(|s| s.month.clone()),
            cutoff: stats.map(|s| s.cutoff),
        });
    }

    fn usage_body(
        &self,
        stats: Option<(&UsageStats, &StatsContext<'_>)>,
        name: &str,
        species_sets: &[&SpeciesSets],
    ) -> String {
        let mut paragraphs = Vec::new();
        let mut sources = Vec::new();
        if let Some((usage, context)) = stats {
            paragraphs.push(usage_text(usage, context, self.format.gen()));
            sources.push(context.url.clone());
        }
        let pastes: Vec<String> = species_sets
            .iter()
            .flat_map(|s| &s.sets)
            .map(|set| {
                format!(
                    "{}:\n{}",
                    set.name,
                    set.to_paste(name, self.format.gen(), PasteStyle::WithAlternatives)
                )
            })
            .collect();
        if !pastes.is_empty() {
            paragraphs.push(format!("Smogon sets for {name} in {}:", self.format.id()));
            paragraphs.extend(pastes);
            sources.push(self.format.sets_url());
        }
        if !sources.is_empty() {
            paragraphs.push(format!("Sources: {}", sources.join("; ")));
        }
        paragraphs.join("\n\n")
    }

    /// Keys, splits and hashes a draft into one or more documents.
    fn push(&mut self, draft: Draft) {
        let base = self.unique_key(&draft);
        let source_url = self.format.smogon_dex_url(&draft.species.name);
        let parts = split_text(&draft.header, &draft.body);
        if parts.len() > 1 {
            self.split += 1;
        }
        let single = parts.len() == 1;
        for (i, text) in parts.into_iter().enumerate() {
            let key = if single { base.clone() } else { format!("{base}:part{}", i + 1) };
            let mut doc = Document {
                key,
                pokemon_id: draft.species.id.clone(),
                pokemon_name: draft.species.name.clone(),
                format: self.format.id().to_owned(),
                generation: self.format.gen(),
                section: draft.section,
                set_name: draft.set_name.clone(),
                source_url: source_url.clone(),
                data_month: draft.month.clone(),
                cutoff: draft.cutoff,
                text,
                content_hash: String::new(),
            };
            doc.content_hash = content_hash(&doc);
            self.documents.push(doc);
        }
    }

    /// `doc:v1:<format>:<id>:<section>[:<set-slug>]`, with `-2`, `-3`, ... appended if two
    /// drafts would share it (two set names with the same slug, two spellings of one species).
    fn unique_key(&mut self, draft: &Draft) -> String {
        let mut base =
            format!("doc:{KEY_VERSION}:{}:{}:{}", self.format.id(), draft.species.id, draft.section.as_str());
        if let Some(set) = &draft.set_name {
            base = format!("{base}:{}", slug(set));
        }
        let mut key = base.clone();
        let mut n = 1;
        while self.keys.contains(&key) {
            n += 1;
            key = format!("{base}-{n}");
        }
        self.keys.insert(key.clone());
        key
    }

    fn finish(self) -> Corpus {
        let count = |section| self.documents.iter().filter(|d| d.section == section).count();
        let species: HashSet<&str> = self.documents.iter().map(|d| d.pokemon_id.as_str()).collect();
        let counts = CorpusCounts {
            overview: count(Section::Overview),
            set: count(Section::Set),
            comments: count(Section::Comments),
            usage: count(Section::Usage),
            documents: self.documents.len(),
            split: self.split,
            species: species.len(),
        };
        Corpus { documents: self.documents, unknown_species: self.unknown, skipped: self.skipped, counts }
    }
}

/// The statistics paragraph of a usage document.
fn usage_text(usage: &UsageStats, context: &StatsContext<'_>, gen: u8) -> String {
    let name = &usage.name;
    let mut facts = vec![format!("usage rank #{} of {}", usage.rank, context.report.species.len())];
    facts.extend(usage.usage.map(|u| format!("on {u:.3}% of teams")));
    facts.extend(usage.raw_count.map(|c| format!("raw count {c}")));
    facts.extend(usage.viability_ceiling.map(|v| format!("viability ceiling {v}")));
    let mut lines = vec![format!(
        "Smogon usage statistics for {}, rating cutoff {}: {}.",
        context.month,
        context.cutoff,
        facts.join(", ")
    )];
    // Gens 1-2 statistics record placeholder abilities, items (gen 1) and natures.
    if gen >= 3 {
        lines.extend(shares_line("Abilities", &usage.abilities, TOP_SHARES, ""));
    }
    if gen >= 2 {
        lines.extend(shares_line("Items", &usage.items, TOP_SHARES, ""));
    }
    lines.extend(shares_line("Tera Types", &usage.tera_types, TOP_SHARES, ""));
    lines.extend(shares_line("Moves", &usage.moves, TOP_MOVES, ""));
    if gen >= 3 {
        lines.extend(shares_line(
            "Spreads (nature:HP/Atk/Def/SpA/SpD/Spe EVs)",
            &usage.spreads,
            TOP_SHARES,
            "",
        ));
    }
    let (label, sign) = if context.report.teammate_deltas {
        ("Teammates (change against their overall usage)", "+")
    } else {
        ("Teammates (share of its teams)", "")
    };
    lines.extend(shares_line(label, &usage.teammates, TOP_TEAMMATES, sign));
    if !usage.checks_and_counters.is_empty() {
        let checks: Vec<String> = usage.checks_and_counters.iter().take(TOP_CHECKS).map(check_text).collect();
        lines.push(format!(
            "Checks and counters (score; how often {name} is KOed or forced out): {}",
            checks.join("; ")
        ));
    }
    lines.join("\n")
}

/// "Items: Leftovers 42.249%, Black Glasses 23.037%" — None for an empty breakdown. `sign` is
/// put before non-negative values (deltas).
fn shares_line(label: &str, breakdown: &Breakdown, top: usize, sign: &str) -> Option<String> {
    if breakdown.is_empty() {
        return None;
    }
    let mut items: Vec<String> = breakdown
        .shares
        .iter()
        .take(top)
        .map(|s| {
            let sign = if s.text.starts_with(['+', '-']) { "" } else { sign };
            let name = if label == "Moves" && s.name == "Nothing" { "(empty slot)" } else { s.name.as_str() };
            format!("{name} {sign}{}%", s.text)
        })
        .collect();
    // The report's remainder is only meaningful next to every entry it printed.
    if let Some(other) = breakdown.other.as_ref().filter(|_| breakdown.shares.len() <= top) {
        items.push(format!("other {}%", other.text));
    }
    Some(format!("{label}: {}", items.join(", ")))
}

/// "Okidogi 68.535 (82.78% ± 3.56%: 24.3% KOed, 58.4% switched out)".
fn check_text(check: &CheckCounter) -> String {
    let outcome = match (check.koed, check.switched_out) {
        (Some(koed), Some(switched)) => format!(": {koed:.1}% KOed, {switched:.1}% switched out"),
        _ => String::new(),
    };
    format!("{} {} ({:.2}% ± {:.2}%{outcome})", check.name, check.score_text, check.matchup, check.deviation)
}

/// A set name as a key segment: lowercase ASCII words joined by hyphens ("I'm" is one word).
fn slug(name: &str) -> String {
    let is_word_char = |c: char| c.is_alphanumeric() || c == '\'' || c == '’';
    let words: Vec<String> = name.split(|c| !is_word_char(c)).map(to_id).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        "set".to_owned()
    } else {
        words.join("-")
    }
}

/// sha256 over every field but the hash, each length-prefixed (and options tagged) so no two
/// different documents encode the same bytes.
fn content_hash(doc: &Document) -> String {
    let mut hasher = Sha256::new();
    let mut field = |value: Option<&str>| match value {
        None => hasher.update([0u8]),
        Some(v) => {
            hasher.update([1u8]);
            hasher.update((v.len() as u64).to_le_bytes());
            hasher.update(v.as_bytes());
        }
    };
    let generation = doc.generation.to_string();
    let cutoff = doc.cutoff.map(|c| c.to_string());
    field(Some(&doc.key));
    field(Some(&doc.pokemon_id));
    field(Some(&doc.pokemon_name));
    field(Some(&doc.format));
    field(Some(&generation));
    field(Some(doc.section.as_str()));
    field(doc.set_name.as_deref());
    field(Some(&doc.source_url));
    field(doc.data_month.as_deref());
    field(cutoff.as_deref());
    field(Some(&doc.text));
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests;
