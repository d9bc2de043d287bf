//! A parsed paste checked against the dex for the format's generation.
//!
//! Every check reports a [`TeamProblem`] and carries on: an unknown item does not stop the type
//! chart, an unknown species only leaves that member out of it. Learnsets are not in the dex
//! table, so moves are checked for existence (and availability) only.

use serde::Serialize;

use super::paste::{clip, Gender, PasteSet, StatSpread, Team};
use super::{ProblemField, TeamProblem};
use crate::corpus::Format;
use crate::dex::{dex, to_id, typechart, Availability, DexError};

/// Names longer than this are not looked up: no real name comes close (the longest species,
/// move, item and ability names have 27 characters), and a "did you mean" search for a long
/// string costs time for nothing.
pub(crate) const MAX_NAME_CHARS: usize = 30;
/// Failed lookups that get "did you mean" suggestions. A suggestion search compares the name
/// with every entry of its table (species queries in several word orders), so a paste full of
/// nonsense must not multiply that work: once the budget is spent, a name is looked up only if
/// a cheap exact-prefix check finds it, and unknown names are reported without suggestions.
pub(super) const MAX_SUGGESTION_SEARCHES: usize = 10;
/// Of those, species searches (the costliest: about 10 ms natively for a four-word name)…
pub(super) const MAX_SPECIES_SEARCHES: usize = 3;
/// …and only for names of at most this many words (no species needs more, even written
/// "Paldean Tauros Blaze Breed"; the dex tries every word order of longer ones).
const MAX_SPECIES_SEARCH_WORDS: usize = 4;
/// Highest EV in one stat, and highest EV total (generation 3 on; earlier generations have
/// stat experience, which Showdown expresses as up to 252 in every stat).
pub(crate) const MAX_EV: u16 = 252;
pub(crate) const MAX_EV_TOTAL: u32 = 510;
pub(crate) const MAX_IV: u16 = 31;
/// Tera type that is not an ordinary type.
const STELLAR: &str = "Stellar";

/// One member of the team as the analysis sees it: dex names where the dex knows them, else
/// the paste's spelling.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TeamMember {
    /// Position in the paste, 0-based (problems refer to it).
    pub index: usize,
    pub species: String,
    /// Whether the dex knows the species; unknown species have no types and are left out of
    /// the type chart and threat analysis.
    pub recognized: bool,
    /// The species' types in the format's generation; empty when unknown.
    pub types: Vec<String>,
    pub nickname: Option<String>,
    pub gender: Option<Gender>,
    pub item: Option<String>,
    /// As given, or the species' only ability when the paste names none.
    pub ability: Option<String>,
    pub tera_type: Option<String>,
    pub nature: Option<String>,
    pub level: u8,
    pub shiny: bool,
    pub happiness: Option<u8>,
    pub evs: Option<StatSpread>,
    pub ivs: Option<StatSpread>,
    pub moves: Vec<String>,
    /// The ability, when the dex confirms the species can have it (used for ability-granted
    /// immunities in the type chart).
    #[serde(skip)]
    pub legal_ability: Option<String>,
    #[serde(skip)]
    pub base_species: Option<String>,
}

/// Checks every member against the dex for `format`'s generation.
pub(super) fn validate(team: &Team, format: &Format) -> (Vec<TeamMember>, Vec<TeamProblem>) {
    let mut check = Checker {
        gen: format.gen(),
        national_dex: is_national_dex(format),
        searches_left: MAX_SUGGESTION_SEARCHES,
        species_searches_left: MAX_SPECIES_SEARCHES,
        problems: Vec::new(),
    };
    if let Some(header) = &team.header_format {
        if header.id() != format.id() {
            check.problems.push(TeamProblem::new(
                None,
                ProblemField::Format,
                format!("The paste's header names {header}, but the team is analysed as {format}"),
            ));
        }
    }
    let members: Vec<TeamMember> =
        team.members.iter().enumerate().map(|(i, set)| check.member(i, set)).collect();
    check.species_clause(&members);
    (members, check.problems)
}

/// National Dex formats allow what the generation's games removed ("Past" in the dex).
fn is_national_dex(format: &Format) -> bool {
    format.metagame().contains("nationaldex") || format.metagame().starts_with("natdex")
}

struct Checker {
    gen: u8,
    national_dex: bool,
    /// Suggestion searches left (see [`MAX_SUGGESTION_SEARCHES`]).
    searches_left: usize,
    species_searches_left: usize,
    problems: Vec<TeamProblem>,
}

/// Whether the first completion of a name is the name itself.
fn exact(completions: &[String], name: &str) -> bool {
    completions.first().is_some_and(|c| to_id(c) == to_id(name))
}

impl Checker {
    /// Runs `lookup`, which searches for suggestions when the name is unknown, if `may_search`;
    /// otherwise only for names `exists` confirms cheaply, else fails with `unknown` (no
    /// suggestions). A search spends one of the budget's [`MAX_SUGGESTION_SEARCHES`].
    fn budgeted<T>(
        &mut self,
        may_search: bool,
        exists: impl FnOnce() -> bool,
        lookup: impl FnOnce() -> Result<T, DexError>,
        unknown: impl FnOnce() -> DexError,
    ) -> Result<T, DexError> {
        let searchable = may_search && self.searches_left > 0;
        if !(searchable || exists()) {
            return Err(unknown());
        }
        let result = lookup();
        if let Err(
            DexError::UnknownSpecies { .. }
            | DexError::UnknownMove { .. }
            | DexError::UnknownItem { .. }
            | DexError::UnknownAbility { .. },
        ) = &result
        {
            self.searches_left = self.searches_left.saturating_sub(1);
        }
        result
    }

    fn problem(&mut self, index: usize, field: ProblemField, message: String, suggestions: Vec<String>) {
        self.problems.push(TeamProblem { suggestions, ..TeamProblem::new(Some(index), field, message) });
    }

    fn dex_problem(&mut self, index: usize, field: ProblemField, error: DexError) {
        let suggestions = match &error {
            DexError::UnknownSpecies { suggestions, .. }
            | DexError::UnknownMove { suggestions, .. }
            | DexError::UnknownItem { suggestions, .. }
            | DexError::UnknownAbility { suggestions, .. }
            | DexError::UnknownNature { suggestions, .. } => suggestions.clone(),
            _ => Vec::new(),
        };
        self.problem(index, field, capitalise(&error.to_string()), suggestions);
    }

    /// Whether `name` is short enough to look up; reports it otherwise.
    fn lookable(&mut self, index: usize, field: ProblemField, name: &str) -> bool {
        let ok = name.chars().count() <= MAX_NAME_CHARS;
        if !ok {
            self.problem(
                index,
                field,
                format!("\"{}…\" is too long to be a {} name", clip(name, 30), field.noun()),
                Vec::new(),
            );
        }
        ok
    }

    fn availability(&mut self, index: usize, field: ProblemField, name: &str, availability: Availability) {
        let message = match availability {
            Availability::Past if !self.national_dex => format!(
                "{name} is not in generation {}'s games (usable in National Dex formats only)",
                self.gen
            ),
            Availability::Unobtainable => format!("{name} is not obtainable in generation {}", self.gen),
            _ => return,
        };
        self.problem(index, field, message, Vec::new());
    }

    fn member(&mut self, index: usize, set: &PasteSet) -> TeamMember {
        let mut member = TeamMember {
            index,
            species: set.species.clone(),
            recognized: false,
            types: Vec::new(),
            nickname: set.nickname.clone(),
            gender: set.gender,
            item: set.item.clone(),
            ability: set.ability.clone(),
            tera_type: set.tera_type.clone(),
            nature: set.nature.clone(),
            level: set.level.unwrap_or(100),
            shiny: set.shiny,
            happiness: set.happiness,
            evs: set.evs,
            ivs: set.ivs,
            moves: Vec::with_capacity(set.moves.len()),
            legal_ability: None,
            base_species: None,
        };
        let abilities = self.species(index, set, &mut member);
        self.item(index, &mut member);
        self.ability(index, &mut member, abilities.as_deref());
        for name in &set.moves {
            let name = self.one_move(index, name, &member.moves);
            member.moves.push(name);
        }
        self.nature(index, &mut member);
        self.tera(index, &mut member);
        self.spreads(index, &member);
        member
    }

    /// Fills in the species; returns its abilities when the dex knows it.
    fn species(&mut self, index: usize, set: &PasteSet, member: &mut TeamMember) -> Option<Vec<String>> {
        let name = set.species.trim();
        if name.is_empty() {
            let message = format!("Line {}: no species named before \"@\" or \"(\"", set.line);
            self.problem(index, ProblemField::Species, message, Vec::new());
            return None;
        }
        if !self.lookable(index, ProblemField::Species, name) {
            return None;
        }
        let gen = self.gen;
        let words = name.split(|c: char| c.is_whitespace() || c == '-' || c == '_').filter(|w| !w.is_empty());
        let may_search = self.species_searches_left > 0 && words.count() <= MAX_SPECIES_SEARCH_WORDS;
        let found = self.budgeted(
            may_search,
            || exact(&dex().complete_species(name, 1), name),
            || dex().species(name, Some(gen)),
            || DexError::UnknownSpecies { query: name.to_owned(), suggestions: Vec::new() },
        );
        if may_search && matches!(found, Err(DexError::UnknownSpecies { .. })) {
            self.species_searches_left -= 1;
        }
        let view = match found {
            Ok(view) => {
                self.availability(index, ProblemField::Species, view.name, view.availability);
                view
            }
            Err(error) => {
                let fallback = matches!(error, DexError::NotInGeneration { .. });
                self.dex_problem(index, ProblemField::Species, error);
                if !fallback {
                    return None;
                }
                // Not in this generation: its newest typing still describes it best.
                dex().species(name, None).ok()?
            }
        };
        view.name.clone_into(&mut member.species);
        member.recognized = true;
        member.types = view.types.to_vec();
        member.base_species = Some(view.base_species.to_owned());
        let mut abilities: Vec<String> = view.abilities.iter().map(str::to_owned).collect();
        abilities.dedup();
        Some(abilities)
    }

    fn item(&mut self, index: usize, member: &mut TeamMember) {
        let Some(name) = member.item.clone() else { return };
        if !self.lookable(index, ProblemField::Item, &name) {
            return;
        }
        let items = dex().items();
        let gen = self.gen;
        let found = self.budgeted(
            true,
            || exact(&items.complete(&name, 1), &name),
            || items.get(&name, Some(gen)),
            || DexError::UnknownItem { query: name.clone(), suggestions: Vec::new() },
        );
        match found {
            Ok(entry) => {
                self.availability(index, ProblemField::Item, entry.name, entry.availability);
                member.item = Some(entry.name.to_owned());
            }
            Err(error) => self.dex_problem(index, ProblemField::Item, error),
        }
    }

    fn ability(&mut self, index: usize, member: &mut TeamMember, abilities: Option<&[String]>) {
        let Some(name) = member.ability.clone() else {
            // Showdown gives a species its only ability when the paste names none.
            if let Some([only]) = abilities {
                member.ability = Some(only.clone());
                member.legal_ability = Some(only.clone());
            }
            return;
        };
        if self.gen < 3 {
            let message =
                format!("Abilities do not exist before generation 3 (\"{}\" ignored)", clip(&name, 30));
            self.problem(index, ProblemField::Ability, message, Vec::new());
            member.ability = None;
            return;
        }
        if !self.lookable(index, ProblemField::Ability, &name) {
            return;
        }
        let abilities_table = dex().abilities();
        let gen = self.gen;
        let found = self.budgeted(
            true,
            || exact(&abilities_table.complete(&name, 1), &name),
            || abilities_table.get(&name, Some(gen)),
            || DexError::UnknownAbility { query: name.clone(), suggestions: Vec::new() },
        );
        let entry = match found {
            Ok(entry) => entry,
            Err(error) => return self.dex_problem(index, ProblemField::Ability, error),
        };
        member.ability = Some(entry.name.to_owned());
        match abilities {
            Some(list) if !list.is_empty() && !list.iter().any(|a| to_id(a) == entry.id) => {
                let message = format!(
                    "{} cannot have the ability {}; its abilities are {}",
                    member.species,
                    entry.name,
                    list.join(", ")
                );
                self.problem(index, ProblemField::Ability, message, list.to_vec());
            }
            Some(_) => member.legal_ability = Some(entry.name.to_owned()),
            None => {}
        }
    }

    /// The move's dex name (or the paste's spelling when unknown), reporting what is wrong.
    fn one_move(&mut self, index: usize, name: &str, earlier: &[String]) -> String {
        // Smogon's "Knock Off / U-turn" lists alternatives; a team has to pick one.
        let name = match name.split_once(" / ") {
            Some((first, _)) => {
                let message = format!("\"{}\" lists alternatives; keeping {}", clip(name, 60), first.trim());
                self.problem(index, ProblemField::Move, message, Vec::new());
                first.trim()
            }
            None => name,
        };
        if !self.lookable(index, ProblemField::Move, name) {
            return clip(name, MAX_NAME_CHARS).to_owned();
        }
        let moves = dex().moves();
        let gen = self.gen;
        let found = self.budgeted(
            true,
            || exact(&moves.complete(name, 1), name),
            || moves.get(name, Some(gen)),
            || DexError::UnknownMove { query: name.to_owned(), suggestions: Vec::new() },
        );
        let canonical = match found {
            Ok(entry) => {
                self.availability(index, ProblemField::Move, entry.name, entry.availability);
                entry.name.to_owned()
            }
            Err(error) => {
                self.dex_problem(index, ProblemField::Move, error);
                name.to_owned()
            }
        };
        if earlier.iter().any(|m| to_id(m) == to_id(&canonical)) {
            let message = format!("{canonical} is listed twice");
            self.problem(index, ProblemField::Move, message, Vec::new());
        }
        canonical
    }

    fn nature(&mut self, index: usize, member: &mut TeamMember) {
        let Some(name) = member.nature.clone() else { return };
        if self.gen < 3 {
            let message =
                format!("Natures do not exist before generation 3 (\"{}\" ignored)", clip(&name, 30));
            self.problem(index, ProblemField::Nature, message, Vec::new());
            member.nature = None;
            return;
        }
        if !self.lookable(index, ProblemField::Nature, &name) {
            return;
        }
        match dex().nature(&name) {
            Ok(nature) => member.nature = Some(nature.name.clone()),
            Err(error) => self.dex_problem(index, ProblemField::Nature, error),
        }
    }

    fn tera(&mut self, index: usize, member: &mut TeamMember) {
        let Some(name) = member.tera_type.clone() else { return };
        if self.gen != 9 {
            let message =
                format!("Tera types exist only in generation 9 (\"Tera Type: {}\" ignored)", clip(&name, 30));
            self.problem(index, ProblemField::TeraType, message, Vec::new());
            member.tera_type = None;
            return;
        }
        if to_id(&name) == to_id(STELLAR) {
            member.tera_type = Some(STELLAR.to_owned());
            return;
        }
        match typechart::chart(self.gen).type_name(&name) {
            Some(canonical) => member.tera_type = Some(canonical.to_owned()),
            None => {
                let suggestions = suggest_type(&name, self.gen);
                let did_you_mean = if suggestions.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", suggestions.join(", "))
                };
                let message = format!("Unknown Tera type \"{}\"{did_you_mean}", clip(&name, 30));
                self.problem(index, ProblemField::TeraType, message, suggestions);
            }
        }
    }

    fn spreads(&mut self, index: usize, member: &TeamMember) {
        if let Some(evs) = &member.evs {
            for (label, value) in evs.named().filter(|&(_, v)| v > MAX_EV) {
                let message = format!("{value} {label} EVs: at most {MAX_EV} in one stat");
                self.problem(index, ProblemField::Evs, message, Vec::new());
            }
            let total = evs.total();
            if self.gen >= 3 && total > MAX_EV_TOTAL {
                let message = format!("EVs total {total}: at most {MAX_EV_TOTAL}");
                self.problem(index, ProblemField::Evs, message, Vec::new());
            }
        }
        if let Some(ivs) = &member.ivs {
            for (label, value) in ivs.named().filter(|&(_, v)| v > MAX_IV) {
                let message = format!("{value} {label} IVs: at most {MAX_IV}");
                self.problem(index, ProblemField::Ivs, message, Vec::new());
            }
        }
    }

    /// Smogon's Species Clause: one Pokémon per base species.
    fn species_clause(&mut self, members: &[TeamMember]) {
        for (i, member) in members.iter().enumerate() {
            let Some(base) = &member.base_species else { continue };
            if let Some(first) = members[..i].iter().find(|m| m.base_species.as_ref() == Some(base)) {
                let message = format!(
                    "Species Clause: {} is already on the team (#{} {})",
                    base,
                    first.index + 1,
                    first.species
                );
                self.problem(i, ProblemField::Species, message, Vec::new());
            }
        }
    }
}

/// Types within two edits of `query`, or sharing its first three letters.
fn suggest_type(query: &str, gen: u8) -> Vec<String> {
    let id = to_id(query);
    let mut scored: Vec<(usize, &str)> = typechart::types(gen)
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(STELLAR))
        .filter_map(|t| {
            let tid = to_id(t);
            let distance = edit_distance(&id, &tid);
            let prefix = id.len() >= 3 && tid.starts_with(&id[..3]);
            (distance <= 2 || prefix).then_some((distance, t))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(3).map(|(_, t)| t.to_owned()).collect()
}

/// Levenshtein distance between two ASCII ids (both short: names are capped).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests;
