//! Showdown's team export format ("paste") → [`Team`].
//!
//! The format is line based: a set starts with `Nickname (Species) (M) @ Item`, continues with
//! `Key: value` lines (`Ability:`, `Level:`, `Shiny:`, `Happiness:`, `Tera Type:`, `EVs:`,
//! `IVs:`), an `Adamant Nature` line and `- Move` lines, and ends at a blank line. Team headers
//! (`=== [gen9ou] Name ===`) and format lines (`[Gen 9] OU`) may appear between sets.
//!
//! The parser is forgiving about what a person pastes (CRLF, stray whitespace, missing blank
//! lines before a header, a move list separated from its species line by a blank line) and
//! strict about what could only be hostile: the input is capped in size and line length,
//! control characters are refused, and it runs in one pass with no recursion. Everything else
//! it does not understand becomes a [`TeamProblem`], never an error.

use serde::Serialize;

use super::{ProblemField, TeamProblem};
use crate::corpus::Format;
use crate::dex::to_id;

/// Longest paste accepted, in characters. A full team with every optional line is ~2,500.
pub const MAX_PASTE_CHARS: usize = 20_000;
/// Longest line accepted, in characters.
pub const MAX_LINE_CHARS: usize = 500;
/// Pokémon in a team.
pub const MAX_TEAM_SIZE: usize = 6;
/// Moves a Pokémon knows.
pub const MAX_MOVES: usize = 4;
/// Lines a set may hold that the parser does not understand before it stops reporting them.
const MAX_UNKNOWN_LINES_REPORTED: usize = 3;

/// Why a paste cannot be analysed at all. Everything less serious is a [`TeamProblem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteError {
    #[error("the paste is empty: paste a team in Showdown's export format")]
    Empty,
    #[error("the paste is too long ({chars} characters; at most {max})")]
    TooLong { chars: usize, max: usize },
    #[error("line {line} is too long ({chars} characters; at most {max})")]
    LineTooLong { line: usize, chars: usize, max: usize },
    #[error(
        "line {line} contains a control character (U+{code:04X}): this looks like binary data, \
         not a Showdown paste"
    )]
    Binary { line: usize, code: u32 },
    #[error("the paste holds more than {max} Pokémon (the 7th starts on line {line})")]
    TooManyPokemon { line: usize, max: usize },
    #[error("no Pokémon found: each set must start with a species line such as \"Kingambit @ Leftovers\"")]
    NoPokemon,
}

/// Gender as the species line gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Gender {
    M,
    F,
}

/// EVs or IVs as the paste names them; unnamed stats are `None` (EVs then default to 0, IVs to
/// 31, as Showdown reads them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatSpread {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hp: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atk: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub def: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spa: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spd: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spe: Option<u16>,
}

/// Stat labels in Showdown's order, as pastes print them.
pub(super) const STAT_LABELS: [&str; 6] = ["HP", "Atk", "Def", "SpA", "SpD", "Spe"];

impl StatSpread {
    /// `(label, value)` for every stat the paste named, in Showdown's order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u16)> {
        let values = [self.hp, self.atk, self.def, self.spa, self.spd, self.spe];
        STAT_LABELS.into_iter().zip(values).filter_map(|(label, v)| v.map(|v| (label, v)))
    }

    /// Sum of the named values.
    pub fn total(&self) -> u32 {
        self.named().map(|(_, v)| u32::from(v)).sum()
    }

    fn slot(&mut self, index: usize) -> &mut Option<u16> {
        match index {
            0 => &mut self.hp,
            1 => &mut self.atk,
            2 => &mut self.def,
            3 => &mut self.spa,
            4 => &mut self.spd,
            _ => &mut self.spe,
        }
    }
}

/// One set as written in the paste: names are not checked against the dex yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasteSet {
    /// 1-based line of the species line.
    pub line: usize,
    pub nickname: Option<String>,
    pub species: String,
    pub gender: Option<Gender>,
    pub item: Option<String>,
    pub ability: Option<String>,
    pub level: Option<u8>,
    pub shiny: bool,
    pub happiness: Option<u8>,
    pub tera_type: Option<String>,
    pub evs: Option<StatSpread>,
    pub ivs: Option<StatSpread>,
    pub nature: Option<String>,
    /// At most [`MAX_MOVES`]; further moves are reported as a problem and dropped.
    pub moves: Vec<String>,
}

/// A parsed paste.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Team {
    /// 1 to [`MAX_TEAM_SIZE`] sets, in paste order.
    pub members: Vec<PasteSet>,
    /// The format a header named (`=== [gen9ou] … ===`, `[Gen 9] OU`), if any.
    pub header_format: Option<Format>,
    /// What the parser could not use; each names the set it is about, when it is about one.
    pub problems: Vec<TeamProblem>,
}

/// Parses a Showdown paste. Fails only when there is nothing usable; see [`PasteError`].
pub fn parse_paste(paste: &str) -> Result<Team, PasteError> {
    check_size(paste)?;
    if paste.trim_matches(is_blank).is_empty() {
        return Err(PasteError::Empty);
    }
    let mut parser = Parser::default();
    // `lines` splits on \n and \r\n; a lone \r (old Mac files) is a line break too.
    for (i, raw) in paste.lines().flat_map(|l| l.split('\r')).enumerate() {
        let line = i + 1;
        check_line(raw, line)?;
        if parser.line(raw.trim_matches(is_blank), line)? == Flow::Stop {
            break;
        }
    }
    parser.finish();
    if parser.team.members.is_empty() {
        return Err(PasteError::NoPokemon);
    }
    Ok(parser.team)
}

/// Whitespace, and the byte-order mark: files glued together, or text copied from one, carry
/// it at the start of any line, not only the paste's first.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn check_size(paste: &str) -> Result<(), PasteError> {
    // A char is at most 4 bytes, so only a long byte string needs counting; count no further
    // than needed to know it is too long, whatever the input's size.
    if paste.len() > MAX_PASTE_CHARS {
        let chars = paste.chars().take(MAX_PASTE_CHARS + 1).count();
        if chars > MAX_PASTE_CHARS {
            return Err(PasteError::TooLong { chars: paste.chars().count(), max: MAX_PASTE_CHARS });
        }
    }
    Ok(())
}

fn check_line(raw: &str, line: usize) -> Result<(), PasteError> {
    let mut chars = 0;
    for c in raw.chars() {
        chars += 1;
        if c.is_control() && c != '\t' {
            return Err(PasteError::Binary { line, code: u32::from(c) });
        }
    }
    if chars > MAX_LINE_CHARS {
        return Err(PasteError::LineTooLong { line, chars, max: MAX_LINE_CHARS });
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

#[derive(Default)]
struct Parser {
    team: Team,
    /// Whether the last set is still open (no blank line or header since its species line).
    open: bool,
    /// Lines of the current set not understood so far.
    unknown_lines: usize,
    /// Moves beyond [`MAX_MOVES`] in the current set.
    extra_moves: Vec<String>,
    /// Team headers seen.
    headers: usize,
}

impl Parser {
    fn line(&mut self, line: &str, number: usize) -> Result<Flow, PasteError> {
        if line.is_empty() {
            self.close();
            return Ok(Flow::Continue);
        }
        if let Some(header) = team_header(line) {
            self.close();
            self.headers += 1;
            if self.headers > 1 && !self.team.members.is_empty() {
                self.problem(
                    None,
                    ProblemField::Paste,
                    format!("line {number}: the paste holds more than one team; only the first is analysed"),
                );
                return Ok(Flow::Stop);
            }
            if let Some(format) = header {
                self.team.header_format.get_or_insert(format);
            }
            return Ok(Flow::Continue);
        }
        if self.open && line.contains(" @ ") && !is_attribute(line) {
            // "Species @ Item" with no blank line before it: a new set, as the person meant.
            self.close();
        }
        // After a blank line, "-Chomp- (Garchomp) @ Leftovers" is a species line, not a move.
        let attribute = is_attribute(line) && !line.contains(" @ ") && !line.ends_with(')');
        if self.open {
            self.attribute(line, number);
        } else if attribute && !self.team.members.is_empty() {
            // A blank line inside a set: Showdown would start a new set named "- Move" here;
            // carrying on with the previous set is what the person meant.
            self.open = true;
            self.attribute(line, number);
        } else if attribute {
            self.problem(
                None,
                ProblemField::Paste,
                format!("line {number} (\"{}\") comes before any species line; ignored", clip(line, 40)),
            );
        } else {
            if self.team.members.len() == MAX_TEAM_SIZE {
                return Err(PasteError::TooManyPokemon { line: number, max: MAX_TEAM_SIZE });
            }
            self.team.members.push(species_line(line, number));
            self.open = true;
        }
        Ok(Flow::Continue)
    }

    /// Ends the current set, reporting what it overflowed.
    fn close(&mut self) {
        if !self.extra_moves.is_empty() {
            let extra = std::mem::take(&mut self.extra_moves);
            let index = self.team.members.len() - 1;
            let count = MAX_MOVES + extra.len();
            let listed: Vec<&str> = extra.iter().take(4).map(|m| clip(m, 30)).collect();
            let more = if extra.len() > 4 { ", …" } else { "" };
            self.problem(
                Some(index),
                ProblemField::Move,
                format!(
                    "{count} moves listed; a Pokémon knows at most {MAX_MOVES}: ignored {}{more}",
                    listed.join(", ")
                ),
            );
        }
        self.open = false;
        self.unknown_lines = 0;
    }

    fn finish(&mut self) {
        self.close();
    }

    fn problem(&mut self, index: Option<usize>, field: ProblemField, message: String) {
        self.team.problems.push(TeamProblem::new(index, field, message));
    }

    /// A line inside a set.
    fn attribute(&mut self, line: &str, number: usize) {
        let index = self.team.members.len() - 1;
        if let Some(name) = move_line(line) {
            let set = &mut self.team.members[index];
            if name.is_empty() {
                self.problem(Some(index), ProblemField::Move, format!("line {number}: empty move line"));
            } else if set.moves.len() < MAX_MOVES {
                set.moves.push(name.to_owned());
            } else {
                self.extra_moves.push(name.to_owned());
            }
            return;
        }
        if let Some(nature) = nature_line(line) {
            self.team.members[index].nature = Some(nature.to_owned());
            return;
        }
        let Some((key, value)) = line.split_once(':') else {
            return self.unknown(index, line, number);
        };
        let value = value.trim();
        let set = &mut self.team.members[index];
        let parsed: Result<(), String> = match to_id(key).as_str() {
            "ability" => {
                set.ability = non_empty(value);
                Ok(())
            }
            "teratype" => {
                set.tera_type = non_empty(value);
                Ok(())
            }
            "nature" => {
                set.nature = non_empty(value);
                Ok(())
            }
            "level" => number_in(value, 1, 100, "Level").map(|v| set.level = Some(v)),
            "happiness" | "friendship" => {
                number_in(value, 0, 255, "Happiness").map(|v| set.happiness = Some(v))
            }
            "shiny" => match to_id(value).as_str() {
                "yes" | "true" => {
                    set.shiny = true;
                    Ok(())
                }
                "no" | "false" => Ok(()),
                _ => Err(format!("Shiny should be Yes or No, not \"{}\"", clip(value, 30))),
            },
            "evs" => {
                let (spread, errors) = parse_spread(value);
                set.evs = Some(spread);
                errors.into_iter().next().map_or(Ok(()), |e| Err(format!("EVs: {e}")))
            }
            "ivs" => {
                let (spread, errors) = parse_spread(value);
                set.ivs = Some(spread);
                errors.into_iter().next().map_or(Ok(()), |e| Err(format!("IVs: {e}")))
            }
            // Showdown writes these; they do not matter to this analysis.
            "dynamaxlevel" | "gigantamax" | "pokeball" | "ball" | "hiddenpower" => Ok(()),
            _ => return self.unknown(index, line, number),
        };
        if let Err(message) = parsed {
            let field = match to_id(key).as_str() {
                "level" => ProblemField::Level,
                "happiness" | "friendship" => ProblemField::Happiness,
                "evs" => ProblemField::Evs,
                "ivs" => ProblemField::Ivs,
                _ => ProblemField::Paste,
            };
            self.problem(Some(index), field, format!("line {number}: {message}"));
        }
    }

    fn unknown(&mut self, index: usize, line: &str, number: usize) {
        self.unknown_lines += 1;
        if self.unknown_lines <= MAX_UNKNOWN_LINES_REPORTED {
            self.problem(
                Some(index),
                ProblemField::Paste,
                format!("line {number} not understood, ignored: \"{}\"", clip(line, 60)),
            );
        }
    }
}

/// `Some(format)` for a team header naming a format, `Some(None)` for a header that names none,
/// `None` for any other line.
fn team_header(line: &str) -> Option<Option<Format>> {
    if let Some(inner) = line.strip_prefix("===") {
        let inner = inner.trim_end_matches('=').trim();
        let format = inner
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(format, _)| Format::parse(format).ok());
        return Some(format);
    }
    // "[Gen 9] OU": a species line never starts with a bracket.
    if line.starts_with('[') && line.contains(']') {
        return Some(Format::parse(line).ok());
    }
    None
}

/// Whether a line belongs inside a set rather than starting one.
fn is_attribute(line: &str) -> bool {
    if move_line(line).is_some() || nature_line(line).is_some() {
        return true;
    }
    line.split_once(':').is_some_and(|(key, _)| {
        matches!(
            to_id(key).as_str(),
            "ability"
                | "level"
                | "shiny"
                | "happiness"
                | "friendship"
                | "teratype"
                | "evs"
                | "ivs"
                | "nature"
                | "dynamaxlevel"
                | "gigantamax"
                | "pokeball"
                | "hiddenpower"
        )
    })
}

/// The move of a `- Move` (or old `~ Move`) line.
fn move_line(line: &str) -> Option<&str> {
    line.strip_prefix('-').or_else(|| line.strip_prefix('~')).map(str::trim)
}

/// The nature of an `Adamant Nature` line.
fn nature_line(line: &str) -> Option<&str> {
    let (name, word) = line.rsplit_once(char::is_whitespace)?;
    (word.eq_ignore_ascii_case("nature") && !name.trim().is_empty()).then(|| name.trim())
}

/// `Nickname (Species) (M) @ Item`.
fn species_line(line: &str, number: usize) -> PasteSet {
    // Showdown splits at the last " @ ". "Garchomp@Life Orb" is read too, but not an "@" with a
    // parenthesis after it: that one is part of a nickname ("Pik@chu (Pikachu)"), as no item
    // name has parentheses.
    let bare_at = || {
        line.rfind('@').filter(|&i| {
            let after = &line[i + 1..];
            !after.contains(['(', ')']) || to_id(after) == "noitem"
        })
    };
    let (rest, item) = match line.rfind(" @ ").map(|i| (i, 3)).or_else(|| bare_at().map(|i| (i, 1))) {
        Some((at, width)) => (line[..at].trim(), non_empty(line[at + width..].trim())),
        None => (line, None),
    };
    let item = item.filter(|i| !matches!(to_id(i).as_str(), "noitem" | "none" | "nothing"));
    let mut rest = rest.trim();
    let mut gender = None;
    for (suffix, g) in [("(M)", Gender::M), ("(F)", Gender::F), ("(m)", Gender::M), ("(f)", Gender::F)] {
        if let Some(stripped) = rest.strip_suffix(suffix) {
            gender = Some(g);
            rest = stripped.trim_end();
            break;
        }
    }
    let (nickname, species) = match (rest.strip_suffix(')'), rest.rfind('(')) {
        (Some(body), Some(open)) if open > 0 => {
            let species = body[open + 1..].trim();
            let nickname = rest[..open].trim();
            if species.is_empty() {
                (None, rest)
            } else {
                (non_empty(nickname), species)
            }
        }
        // "(Great Tusk)" alone: no nickname.
        (Some(body), Some(0)) => (None, body[1..].trim()),
        _ => (None, rest),
    };
    PasteSet { line: number, nickname, species: species.to_owned(), gender, item, ..PasteSet::default() }
}

/// `252 HP / 252 Atk / 4 SpD` → the spread and one message per part it could not read.
fn parse_spread(value: &str) -> (StatSpread, Vec<String>) {
    let mut spread = StatSpread::default();
    let mut errors = Vec::new();
    for part in value.split('/').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((number, stat)) = part.split_once(char::is_whitespace) else {
            errors.push(format!("\"{}\" is not \"<number> <stat>\"", clip(part, 30)));
            continue;
        };
        let slots: &[usize] = match to_id(stat).as_str() {
            "hp" => &[0],
            "atk" | "attack" => &[1],
            "def" | "defense" | "defence" => &[2],
            "spa" | "spatk" | "specialattack" => &[3],
            "spd" | "spdef" | "specialdefense" | "specialdefence" => &[4],
            "spe" | "speed" => &[5],
            // Generations 1-2 had one Special stat.
            "spc" | "special" => &[3, 4],
            _ => {
                errors.push(format!("unknown stat \"{}\"", clip(stat.trim(), 20)));
                continue;
            }
        };
        let Ok(number) = number.trim().parse::<u16>() else {
            errors.push(format!("\"{}\" is not a number", clip(number, 20)));
            continue;
        };
        for &slot in slots {
            if spread.slot(slot).replace(number).is_some() {
                errors.push(format!("{} is given twice", STAT_LABELS[slot]));
            }
        }
    }
    (spread, errors)
}

fn number_in(value: &str, min: u8, max: u8, what: &str) -> Result<u8, String> {
    value
        .parse::<u16>()
        .ok()
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| format!("{what} must be a number from {min} to {max}, not \"{}\"", clip(value, 20)))
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// At most `max` characters of `s`.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    crate::mcp::dispatch::truncate(s, max)
}

#[cfg(test)]
mod tests;
