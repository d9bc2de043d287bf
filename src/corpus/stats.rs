//! Smogon usage statistics: the detailed "chaos" JSON, the moveset text report and the usage
//! table, read into one per-species model.
//!
//! Both per-species sources describe the same numbers, as Smogon's moveset report prints them:
//! each ability, item, spread and move's weight divided by the species' total weight (the sum of
//! its ability weights: every team slot has exactly one ability). A set has four move slots, so
//! move shares add up to about 400%; an empty slot is the move `""`, shown as "Nothing" like the
//! report does. The text report only lists the top entries plus an "Other" remainder and keeps
//! its printed 3-decimal text; chaos shares are computed and formatted the same way.

use serde::{Deserialize, Serialize};

use super::format::Format;
use super::json::{Entries, Json};
use super::{CorpusError, Skipped};
use crate::dex::{dex, is_id, to_id, NameTable};

/// One entry of a breakdown: "Leftovers 42.249%".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    pub name: String,
    /// Percent (99.477 for 99.477%); negative only for teammate deltas.
    pub percent: f64,
    /// The percentage as printed, without `%`: "99.477", "+1.014".
    pub text: String,
}

impl Share {
    fn computed(name: String, percent: f64) -> Self {
        Share { name, percent, text: format!("{percent:.3}") }
    }
}

/// A category's entries, largest first, and the report's "Other" remainder if it printed one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Breakdown {
    pub shares: Vec<Share>,
    pub other: Option<Share>,
}

impl Breakdown {
    /// The entry named `name` (exact display name).
    pub fn get(&self, name: &str) -> Option<&Share> {
        self.shares.iter().find(|s| s.name == name)
    }

    pub fn is_empty(&self) -> bool {
        self.shares.is_empty()
    }
}

/// A Pokémon that checks or counters the species.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckCounter {
    pub name: String,
    /// `matchup - 4 × deviation`, in percent: Smogon's conservative ranking score.
    pub score: f64,
    /// The score as printed ("68.535").
    pub score_text: String,
    /// Percent of encounters where the species was KOed or switched out.
    pub matchup: f64,
    /// Standard deviation of `matchup`, in percent.
    pub deviation: f64,
    /// Number of encounters (chaos only).
    pub encounters: Option<f64>,
    /// Percent of encounters ending in a KO (text report only).
    pub koed: Option<f64>,
    /// Percent of encounters ending in a switch-out (text report only).
    pub switched_out: Option<f64>,
}

/// One species' usage statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageStats {
    /// Display name, e.g. "Landorus-Therian".
    pub name: String,
    /// 1 = most used.
    pub rank: usize,
    /// Weighted usage, percent of teams (chaos only; the moveset report does not print it).
    pub usage: Option<f64>,
    pub raw_count: Option<u64>,
    pub avg_weight: Option<f64>,
    pub viability_ceiling: Option<u32>,
    pub abilities: Breakdown,
    pub items: Breakdown,
    pub spreads: Breakdown,
    pub moves: Breakdown,
    pub tera_types: Breakdown,
    pub teammates: Breakdown,
    pub checks_and_counters: Vec<CheckCounter>,
}

/// Which file a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ReportSource {
    Chaos,
    MovesetReport,
}

/// A month's per-species statistics for one format and cutoff.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub source: ReportSource,
    /// Format id, when the file names it (chaos does; the text report does not).
    pub metagame: Option<String>,
    pub cutoff: Option<u32>,
    pub battles: Option<u64>,
    /// Teammate shares are deltas against the teammate's overall usage (chaos JSON, signed
    /// reports) rather than plain "on the same team" percentages (current text reports).
    pub teammate_deltas: bool,
    /// In usage order.
    pub species: Vec<UsageStats>,
    pub skipped: Vec<Skipped>,
}

impl UsageReport {
    /// A species' statistics, matched on its id.
    pub fn get(&self, species: &str) -> Option<&UsageStats> {
        let id = to_id(species);
        self.species.iter().find(|s| is_id(&s.name, &id))
    }
}

// ---------------------------------------------------------------------------
// Chaos JSON

#[derive(Deserialize)]
struct RawChaos {
    info: RawInfo,
    data: Entries<Json>,
}

#[derive(Deserialize)]
struct RawInfo {
    metagame: Option<String>,
    cutoff: Option<f64>,
    #[serde(rename = "number of battles")]
    battles: Option<f64>,
}

#[derive(Deserialize)]
struct RawChaosSpecies {
    #[serde(rename = "Abilities", default)]
    abilities: Entries<f64>,
    #[serde(rename = "Items", default)]
    items: Entries<f64>,
    #[serde(rename = "Spreads", default)]
    spreads: Entries<f64>,
    #[serde(rename = "Moves", default)]
    moves: Entries<f64>,
    #[serde(rename = "Tera Types", default)]
    tera_types: Entries<f64>,
    #[serde(rename = "Teammates", default)]
    teammates: Entries<f64>,
    /// `[encounters, matchup, deviation]`, the last two as fractions.
    #[serde(rename = "Checks and Counters", default)]
    checks: Entries<(f64, f64, f64)>,
    #[serde(default)]
    usage: f64,
    #[serde(rename = "Raw count")]
    raw_count: Option<f64>,
    /// `[number of players, top GXE, 1st percentile GXE, 20th percentile GXE]`.
    #[serde(rename = "Viability Ceiling", default)]
    viability: Vec<f64>,
}

/// Parses a chaos JSON file (`stats/<month>/chaos/<format>-<cutoff>.json`). Ids (moves, items,
/// abilities) become dex display names for the file's generation.
pub fn parse_chaos(json: &str) -> Result<UsageReport, CorpusError> {
    let raw: RawChaos =
        Json::parse(json, "chaos stats")?.to().map_err(|e| CorpusError::malformed("chaos stats", e))?;
    let gen = raw.info.metagame.as_deref().and_then(|m| Format::parse(m).ok()).map(|f| f.gen());
    let mut report = UsageReport {
        source: ReportSource::Chaos,
        metagame: raw.info.metagame.as_deref().map(to_id),
        cutoff: raw.info.cutoff.map(|c| c.round() as u32),
        battles: raw.info.battles.map(|b| b.round() as u64),
        teammate_deltas: true,
        species: Vec::with_capacity(raw.data.0.len()),
        skipped: Vec::new(),
    };
    for (name, value) in raw.data.0 {
        let converted = value.to::<RawChaosSpecies>().and_then(|s| s.convert(&name, gen));
        match converted {
            Ok(stats) => report.species.push(stats),
            Err(reason) => report.skipped.push(Skipped::new(name, reason)),
        }
    }
    // Usage order, as the reports list species; names break ties so the order is stable.
    report.species.sort_by(|a, b| {
        b.usage.partial_cmp(&a.usage).unwrap_or(std::cmp::Ordering::Equal).then(a.name.cmp(&b.name))
    });
    for (i, stats) in report.species.iter_mut().enumerate() {
        stats.rank = i + 1;
    }
    Ok(report)
}

impl RawChaosSpecies {
    fn convert(self, name: &str, gen: Option<u8>) -> Result<UsageStats, String> {
        // Every slot has one ability, one item and one spread, so each sum is the species' total
        // weight; gens 1-2 record placeholder abilities, so fall back if that one is empty.
        let total = [&self.abilities, &self.items, &self.spreads]
            .iter()
            .map(|e| e.0.iter().map(|(_, w)| w).sum::<f64>())
            .find(|&t| t > 0.0)
            .ok_or("no weight recorded")?;
        let d = dex();
        let ability = |id: &str| display_name(d.abilities(), id, gen);
        let item =
            |id: &str| if id == "nothing" { "Nothing".to_owned() } else { display_name(d.items(), id, gen) };
        let move_name =
            |id: &str| if id.is_empty() { "Nothing".to_owned() } else { display_name(d.moves(), id, gen) };
        Ok(UsageStats {
            name: name.to_owned(),
            rank: 0,
            usage: Some(self.usage * 100.0),
            raw_count: self.raw_count.map(|c| c.round() as u64),
            avg_weight: None,
            viability_ceiling: self.viability.get(1).map(|&v| v.floor() as u32),
            abilities: breakdown(self.abilities, total, ability),
            items: breakdown(self.items, total, item),
            spreads: breakdown(self.spreads, total, str::to_owned),
            moves: breakdown(self.moves, total, move_name),
            tera_types: breakdown(self.tera_types, total, str::to_owned),
            // "empty" stands for an unfilled team slot, not a Pokémon.
            teammates: breakdown(
                Entries(self.teammates.0.into_iter().filter(|(k, _)| k != "empty").collect()),
                total,
                str::to_owned,
            ),
            checks_and_counters: checks_from_chaos(self.checks),
        })
    }
}

/// The dex name of `id` in `gen`, else in any gen, else the id itself.
fn display_name(table: &NameTable, id: &str, gen: Option<u8>) -> String {
    let entry = table.get(id, gen).or_else(|_| table.get(id, None));
    entry.map_or_else(|_| id.to_owned(), |e| e.name.to_owned())
}

/// Weighted counts → shares of `total`, largest first; exact zeros are noise in chaos files.
fn breakdown(entries: Entries<f64>, total: f64, name: impl Fn(&str) -> String) -> Breakdown {
    let mut shares: Vec<Share> = entries
        .0
        .into_iter()
        .filter(|(_, w)| *w != 0.0)
        .map(|(key, w)| Share::computed(name(&key), 100.0 * w / total))
        .collect();
    shares.sort_by(|a, b| b.percent.total_cmp(&a.percent).then_with(|| a.name.cmp(&b.name)));
    Breakdown { shares, other: None }
}

fn checks_from_chaos(entries: Entries<(f64, f64, f64)>) -> Vec<CheckCounter> {
    let mut checks: Vec<CheckCounter> = entries
        .0
        .into_iter()
        .map(|(name, (n, p, d))| {
            let score = 100.0 * (p - 4.0 * d);
            CheckCounter {
                name,
                score,
                score_text: format!("{score:.3}"),
                matchup: 100.0 * p,
                deviation: 100.0 * d,
                encounters: Some(n),
                koed: None,
                switched_out: None,
            }
        })
        .collect();
    checks.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.name.cmp(&b.name)));
    checks
}

// ---------------------------------------------------------------------------
// Moveset text report

/// One `| ... |` line of a text report, with its 1-based line number.
struct Cell<'a> {
    line: usize,
    text: &'a str,
}

/// Parses a moveset text report (`stats/<month>/moveset/<format>-<cutoff>.txt`): per species a
/// name block, a block with Raw count / Avg. weight / Viability Ceiling, then one block per
/// section. Percentages keep their printed text. Lines that do not fit are skipped and reported;
/// the report itself fails only when it holds no species at all.
pub(crate) fn parse_moveset_report(text: &str) -> Result<UsageReport, CorpusError> {
    let blocks = blocks(text);
    let mut report = UsageReport {
        source: ReportSource::MovesetReport,
        metagame: None,
        cutoff: None,
        battles: None,
        teammate_deltas: false,
        species: Vec::new(),
        skipped: Vec::new(),
    };
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        let is_header =
            block.len() == 1 && blocks.get(i + 1).is_some_and(|b| b[0].text.starts_with("Raw count:"));
        if is_header {
            let mut stats = UsageStats {
                name: block[0].text.to_owned(),
                rank: report.species.len() + 1,
                ..UsageStats::default()
            };
            read_meta(&blocks[i + 1], &mut stats, &mut report.skipped);
            report.species.push(stats);
            i += 2;
            continue;
        }
        match report.species.last_mut() {
            Some(stats) => read_section(block, stats, &mut report.skipped),
            None => {
                report.skipped.push(Skipped::new(line_ref(block[0].line), "text before the first species"));
            }
        }
        i += 1;
    }
    if report.species.is_empty() {
        return Err(CorpusError::malformed("moveset report", "no species blocks found"));
    }
    report.teammate_deltas =
        report.species.iter().flat_map(|s| &s.teammates.shares).any(|t| t.text.starts_with(['+', '-']));
    Ok(report)
}

/// The report's blocks: runs of `| ... |` lines between `+----+` separators, cells trimmed.
fn blocks(text: &str) -> Vec<Vec<Cell<'_>>> {
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('+') {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else if let Some(inner) = trimmed.strip_prefix('|') {
            // Some reports repeat a line with a stray extra "|" at the end.
            let cell = inner.trim_end_matches(|c: char| c == '|' || c.is_whitespace()).trim();
            current.push(Cell { line: i + 1, text: cell });
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

fn line_ref(line: usize) -> String {
    format!("moveset report line {line}")
}

fn read_meta(block: &[Cell<'_>], stats: &mut UsageStats, skipped: &mut Vec<Skipped>) {
    for cell in block {
        let (key, value) = cell.text.split_once(':').map_or((cell.text, ""), |(k, v)| (k.trim(), v.trim()));
        let ok = match key {
            "Raw count" => value.parse().map(|v| stats.raw_count = Some(v)).is_ok(),
            // "---" when the species has no weighted teams.
            "Avg. weight" => value == "---" || value.parse().map(|v| stats.avg_weight = Some(v)).is_ok(),
            "Viability Ceiling" => value.parse().map(|v| stats.viability_ceiling = Some(v)).is_ok(),
            _ => false,
        };
        if !ok {
            skipped.push(Skipped::new(
                line_ref(cell.line),
                format!("{}: unexpected line \"{}\"", stats.name, cell.text),
            ));
        }
    }
}

fn read_section(block: &[Cell<'_>], stats: &mut UsageStats, skipped: &mut Vec<Skipped>) {
    let (heading, lines) = (block[0].text, &block[1..]);
    let target = match heading {
        "Abilities" => &mut stats.abilities,
        "Items" => &mut stats.items,
        "Spreads" => &mut stats.spreads,
        "Moves" => &mut stats.moves,
        "Tera Types" => &mut stats.tera_types,
        "Teammates" => &mut stats.teammates,
        "Checks and Counters" => {
            read_checks(lines, stats, skipped);
            return;
        }
        _ => {
            let reason = format!("{}: unknown section \"{heading}\"", stats.name);
            skipped.push(Skipped::new(line_ref(block[0].line), reason));
            return;
        }
    };
    for cell in lines {
        let Some(share) = parse_share(cell.text) else {
            let reason = format!("{} {heading}: unreadable line \"{}\"", stats.name, cell.text);
            skipped.push(Skipped::new(line_ref(cell.line), reason));
            continue;
        };
        if share.name == "Other" {
            target.other = Some(share);
        } else if target.shares.contains(&share) {
            // A known report glitch repeats a line verbatim; counting it twice would be wrong.
            skipped
                .push(Skipped::new(line_ref(cell.line), format!("{} {heading}: repeated line", stats.name)));
        } else {
            target.shares.push(share);
        }
    }
}

/// "Supreme Overlord 99.477%" → name and percentage (names may contain spaces).
fn parse_share(text: &str) -> Option<Share> {
    let (name, pct) = text.rsplit_once(char::is_whitespace)?;
    let pct = pct.strip_suffix('%')?;
    let percent = pct.parse().ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| Share { name: name.to_owned(), percent, text: pct.to_owned() })
}

/// Counter lines ("Okidogi 68.535 (82.78±3.56)"), each optionally followed by its outcome line
/// ("(24.3% KOed / 58.4% switched out)").
fn read_checks(lines: &[Cell<'_>], stats: &mut UsageStats, skipped: &mut Vec<Skipped>) {
    for cell in lines {
        if cell.text.starts_with('(') {
            let outcome = parse_outcome(cell.text);
            match (stats.checks_and_counters.last_mut(), outcome) {
                (Some(check), Some((koed, switched))) if check.koed.is_none() => {
                    check.koed = Some(koed);
                    check.switched_out = Some(switched);
                }
                _ => skipped.push(Skipped::new(
                    line_ref(cell.line),
                    format!("{}: stray line \"{}\"", stats.name, cell.text),
                )),
            }
        } else if let Some(check) = parse_check(cell.text) {
            stats.checks_and_counters.push(check);
        } else {
            skipped.push(Skipped::new(
                line_ref(cell.line),
                format!("{}: unreadable line \"{}\"", stats.name, cell.text),
            ));
        }
    }
}

fn parse_check(text: &str) -> Option<CheckCounter> {
    let (head, spread) = text.strip_suffix(')')?.rsplit_once('(')?;
    let (matchup, deviation) = spread.split_once('±')?;
    let (name, score) = head.trim().rsplit_once(char::is_whitespace)?;
    Some(CheckCounter {
        name: name.trim().to_owned(),
        score: score.parse().ok()?,
        score_text: score.to_owned(),
        matchup: matchup.trim().parse().ok()?,
        deviation: deviation.trim().parse().ok()?,
        encounters: None,
        koed: None,
        switched_out: None,
    })
}

/// "(24.3% KOed / 58.4% switched out)" → (24.3, 58.4).
fn parse_outcome(text: &str) -> Option<(f64, f64)> {
    let inner = text.strip_prefix('(')?.strip_suffix(')')?;
    let (koed, switched) = inner.split_once('/')?;
    let percent =
        |part: &str, label: &str| part.trim().strip_suffix(label)?.trim().strip_suffix('%')?.parse().ok();
    Some((percent(koed, "KOed")?, percent(switched, "switched out")?))
}

#[cfg(test)]
mod tests;
