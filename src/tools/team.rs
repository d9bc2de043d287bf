//! The pure core of the `analyze_team {paste, format}` tool: parse a Showdown paste, check it
//! against the dex for the format's generation, chart the team's defensive typing, find the
//! format's most used Pokémon it handles badly, and suggest what to change.
//!
//! [`analyze`] fails ([`PasteError`]) only for input it cannot use at all: empty, longer than
//! [`MAX_PASTE_CHARS`] characters or [`MAX_LINE_CHARS`] per line, binary data, more than six
//! Pokémon, or no species line. Everything else — unknown names, illegal abilities, EVs over the
//! limits, lines it does not understand — is a [`TeamProblem`], and the analysis runs on what
//! parsed.
//!
//! ## Why Tera types are ignored for defensive typing
//!
//! Terastallization happens at most once per battle, for one member, chosen mid-battle. For
//! most of a battle every member has its natural typing, and that is what the opponent sees at
//! team preview and plans around. Counting Tera types would let six "Tera Fairy" answers hide a
//! Dragon weakness that is real five times out of six, so the chart uses natural types; Tera
//! types are validated and listed with each member.
//!
//! ## Threat scoring
//!
//! Detailed in the `threats` submodule: the check gap (how few members are among a species'
//! top checks and counters in the usage statistics) weighs 60 %, STAB pressure (how many
//! members its STAB types hit super-effectively) 40 %, scaled by usage rank.

mod coverage;
pub(crate) mod matrix;
mod paste;
mod threats;
mod validate;

use serde::Serialize;

use crate::corpus::{Format, ReportSource, UsageReport};

pub(crate) use coverage::{GlaringWeakness, TypeRow};
pub use paste::{
    parse_paste, Gender, PasteError, PasteSet, StatSpread, Team, MAX_LINE_CHARS, MAX_MOVES, MAX_PASTE_CHARS,
    MAX_TEAM_SIZE,
};
pub(crate) use threats::{Threat, TOP_CHECKS, TOP_USAGE};
pub(crate) use validate::TeamMember;

use paste::clip;

/// Problems listed at most; the rest are counted in a last one.
pub(crate) const MAX_PROBLEMS: usize = 40;
/// Suggestions returned at most.
pub(crate) const MAX_SUGGESTIONS: usize = 5;
/// `render_text` stays under this many characters.
pub(crate) const MAX_TEXT_CHARS: usize = 4_000;

const TERA_NOTE: &str = "Tera types are not used for defensive typing: Terastallizing is a once-per-battle \
     choice for one member, so for most of a battle the team has its natural types.";
const ABILITY_NOTE: &str = "Abilities that grant an immunity or resistance (Levitate, Flash Fire, Water \
     Absorb, Thick Fat, …) count when the member can have them.";

/// What a [`TeamProblem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProblemField {
    /// The paste's structure: lines not understood, more than one team, …
    Paste,
    /// The paste's header names another format.
    Format,
    Species,
    Item,
    Ability,
    Move,
    Nature,
    TeraType,
    Evs,
    Ivs,
    Level,
    Happiness,
}

impl ProblemField {
    /// What a name in this field names, for messages.
    fn noun(self) -> &'static str {
        match self {
            ProblemField::Species => "Pokémon",
            ProblemField::Item => "item",
            ProblemField::Ability => "ability",
            ProblemField::Move => "move",
            ProblemField::Nature => "nature",
            ProblemField::TeraType => "type",
            _ => "",
        }
    }

    fn label(self) -> &'static str {
        match self {
            ProblemField::Paste => "paste",
            ProblemField::Format => "format",
            ProblemField::Species => "species",
            ProblemField::Item => "item",
            ProblemField::Ability => "ability",
            ProblemField::Move => "move",
            ProblemField::Nature => "nature",
            ProblemField::TeraType => "Tera type",
            ProblemField::Evs => "EVs",
            ProblemField::Ivs => "IVs",
            ProblemField::Level => "level",
            ProblemField::Happiness => "happiness",
        }
    }
}

/// Something wrong with the paste that does not stop the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamProblem {
    /// 0-based index into `members`; `None` when about the paste as a whole.
    pub pokemon_index: Option<usize>,
    pub field: ProblemField,
    pub message: String,
    /// "Did you mean" names (or the species' legal abilities), best first.
    pub suggestions: Vec<String>,
}

impl TeamProblem {
    pub(crate) fn new(pokemon_index: Option<usize>, field: ProblemField, message: String) -> Self {
        TeamProblem { pokemon_index, field, message, suggestions: Vec::new() }
    }
}

/// The tool's structured result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TeamAnalysis {
    /// Format id, e.g. "gen9ou".
    pub format: String,
    pub generation: u8,
    pub members: Vec<TeamMember>,
    pub problems: Vec<TeamProblem>,
    /// One row per attacking type of the generation.
    pub type_chart: Vec<TypeRow>,
    pub glaring_weaknesses: Vec<GlaringWeakness>,
    /// Whether usage statistics were available (threats are empty without them).
    pub usage_data: bool,
    pub threats: Vec<Threat>,
    /// The most used Pokémon's likeliest sets against each member (damage and speed), when
    /// statistics and the damage calculator are available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threat_matrix: Option<matrix::ThreatMatrix>,
    pub suggestions: Vec<String>,
    /// How to read the result: assumptions and what was left out.
    pub notes: Vec<String>,
}

/// Parses, validates and analyses a team for `format`, with threats from `usage` when given
/// (the format's statistics).
pub(crate) fn analyze(
    paste: &str,
    format: &Format,
    usage: Option<&UsageReport>,
) -> Result<TeamAnalysis, PasteError> {
    let team = parse_paste(paste)?;
    let gen = format.gen();
    let (members, checked) = validate::validate(&team, format);
    let mut problems = team.problems;
    problems.extend(checked);
    // The paste as a whole first, then by member; stable, so each member's lines stay in order.
    problems.sort_by_key(|p| p.pokemon_index.map_or(0, |i| i + 1));
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - (MAX_PROBLEMS - 1);
        problems.truncate(MAX_PROBLEMS - 1);
        problems.push(TeamProblem::new(None, ProblemField::Paste, format!("…and {more} more problems")));
    }

    let defenders = coverage::defenders(&members, gen);
    let type_chart = coverage::type_chart(&defenders, gen);
    let glaring_weaknesses = coverage::glaring_weaknesses(&type_chart);
    let threats = usage.map(|r| threats::find_threats(&defenders, gen, r)).unwrap_or_default();

    let mut notes = Vec::new();
    if gen == 9 {
        notes.push(TERA_NOTE.to_owned());
    }
    if gen >= 3 {
        notes.push(ABILITY_NOTE.to_owned());
    }
    let unrecognized = members.len() - defenders.len();
    if unrecognized > 0 {
        notes.push(format!(
            "{unrecognized} member{} the dex does not know {} left out of the type chart and threats.",
            plural(unrecognized),
            if unrecognized == 1 { "was" } else { "were" }
        ));
    }
    match usage {
        Some(report) => {
            let source = match report.source {
                ReportSource::Chaos => "chaos statistics",
                ReportSource::MovesetReport => "moveset report",
            };
            notes.push(format!(
                "Threats: the {TOP_USAGE} most used Pokémon in {format} (Smogon {source}), scored on how \
                 few members are among their top {TOP_CHECKS} checks and counters (60%) and how many \
                 members their STAB types hit super-effectively (40%)."
            ));
            if let Some(metagame) = report.metagame.as_deref().filter(|m| *m != format.id()) {
                notes.push(format!("The usage statistics are for {}, not {format}.", clip(metagame, 40)));
            }
        }
        None => {
            notes
                .push(format!("No usage statistics for {format} were available: threats were not computed."));
        }
    }

    let suggestions = suggestions(&members, &problems, &type_chart, &glaring_weaknesses, &threats, gen);
    Ok(TeamAnalysis {
        format: format.id().to_owned(),
        generation: gen,
        members,
        problems,
        type_chart,
        glaring_weaknesses,
        usage_data: usage.is_some(),
        threats,
        threat_matrix: None,
        suggestions,
        notes,
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "a, b or c".
fn either(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn suggestions(
    members: &[TeamMember],
    problems: &[TeamProblem],
    rows: &[TypeRow],
    glaring: &[GlaringWeakness],
    threats: &[Threat],
    gen: u8,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(first) = problems.iter().find(|p| !p.suggestions.is_empty()).or(problems.first()) {
        let whom = first
            .pokemon_index
            .and_then(|i| members.get(i))
            .map(|m| format!("#{} {}: ", m.index + 1, clip(&m.species, 30)))
            .unwrap_or_default();
        out.push(format!(
            "Fix the {} problem{} in the paste first (e.g. {whom}{})",
            problems.len(),
            plural(problems.len()),
            clip(&first.message, 120)
        ));
    }
    for weakness in glaring.iter().take(2) {
        out.push(weakness_suggestion(weakness, rows, gen));
    }
    for threat in threats.iter().take(2) {
        out.push(threat_suggestion(threat, members));
    }
    let size = members.len();
    if size < MAX_TEAM_SIZE {
        out.push(format!("The team has {size} Pokémon; a full team has {MAX_TEAM_SIZE}."));
    }
    if out.is_empty() {
        out.push("No glaring weakness and no unanswered top threat found.".to_owned());
    }
    out.truncate(MAX_SUGGESTIONS);
    out
}

fn weakness_suggestion(weakness: &GlaringWeakness, rows: &[TypeRow], gen: u8) -> String {
    let t = &weakness.type_name;
    let row = rows.iter().find(|r| &r.attacking_type == t);
    let cover = match row {
        Some(r) if r.immune == 1 => format!("only {} is immune", r.immune_members.join("")),
        Some(r) if r.resist == 1 => format!("only {} resists it", r.resist_members.join("")),
        _ => "none resists it or is immune".to_owned(),
    };
    let (resist, immune) = coverage::answers_to(t, gen);
    let mut options = Vec::new();
    if !immune.is_empty() {
        options.push(format!("a {}-type (immune)", immune.join("/")));
    }
    if !resist.is_empty() {
        let shown: Vec<&str> = resist.iter().take(4).copied().collect();
        options.push(format!("a {}-type (resists)", shown.join("/")));
    }
    let abilities = coverage::immunity_abilities(t, gen);
    if !abilities.is_empty() {
        options.push(format!("a {} user", abilities.join(" or ")));
    }
    format!("{} members are weak to {t} and {cover}: consider {}", weakness.weak, either(&options))
}

fn threat_suggestion(threat: &Threat, members: &[TeamMember]) -> String {
    let name = &threat.name;
    if threat.answers.is_empty() && !threat.top_checks.is_empty() {
        let on_team = |c: &String| members.iter().any(|m| &m.species == c);
        let candidates: Vec<String> = threat.top_checks.iter().filter(|c| !on_team(c)).cloned().collect();
        return format!("No answer to {name} among its top checks: consider {}", either(&candidates));
    }
    let hits = threat.hits_super_effectively.len();
    let checked = if threat.answers.is_empty() {
        "no checks data".to_owned()
    } else {
        format!("only {} checks it", threat.answers.join(" and "))
    };
    format!(
        "{name} ({} STAB) hits {hits} member{} super-effectively and {checked}: add a resist or a faster answer",
        threat.types.join("/"),
        plural(hits)
    )
}

/// A readable summary of the analysis, under [`MAX_TEXT_CHARS`] characters.
pub(crate) fn render_text(a: &TeamAnalysis) -> String {
    let mut lines = vec![format!(
        "Team analysis for {} (generation {}), {} Pokémon",
        a.format,
        a.generation,
        a.members.len()
    )];
    for m in &a.members {
        let mut line = format!("{}. ", m.index + 1);
        if let Some(nick) = &m.nickname {
            line.push_str(&format!("{} (", clip(nick, 20)));
        }
        line.push_str(clip(&m.species, 30));
        if m.nickname.is_some() {
            line.push(')');
        }
        if !m.types.is_empty() {
            line.push_str(&format!(" [{}]", m.types.join("/")));
        }
        if let Some(item) = &m.item {
            line.push_str(&format!(" @ {}", clip(item, 30)));
        }
        if let Some(ability) = &m.ability {
            line.push_str(&format!(" | {}", clip(ability, 30)));
        }
        if let Some(tera) = &m.tera_type {
            line.push_str(&format!(" | Tera {}", clip(tera, 12)));
        }
        if !m.moves.is_empty() {
            let moves: Vec<&str> = m.moves.iter().map(|x| clip(x, 30)).collect();
            line.push_str(&format!(" | {}", moves.join(", ")));
        }
        lines.push(line);
    }

    if !a.glaring_weaknesses.is_empty() {
        let list: Vec<String> = a
            .glaring_weaknesses
            .iter()
            .map(|g| {
                format!(
                    "{} ({} weak: {}; {} resist/immune)",
                    g.type_name,
                    g.weak,
                    g.weak_members.join(", "),
                    g.covered
                )
            })
            .collect();
        lines.push(format!("Glaring weaknesses: {}", list.join("; ")));
    }
    let mut weak_rows: Vec<&TypeRow> = a.type_chart.iter().filter(|r| r.weak >= 2).collect();
    weak_rows.sort_by(|x, y| y.weak.cmp(&x.weak).then((x.resist + x.immune).cmp(&(y.resist + y.immune))));
    if !weak_rows.is_empty() {
        let list: Vec<String> = weak_rows
            .iter()
            .take(5)
            .map(|r| format!("{} {} weak/{} resist/{} immune", r.attacking_type, r.weak, r.resist, r.immune))
            .collect();
        lines.push(format!("Shared weaknesses: {}", list.join("; ")));
    }
    let chart: Vec<String> = a
        .type_chart
        .iter()
        .map(|r| format!("{} {}/{}/{}", r.attacking_type, r.weak, r.resist, r.immune))
        .collect();
    lines.push(format!("Type chart (weak/resist/immune): {}", chart.join(", ")));

    if a.usage_data {
        if a.threats.is_empty() {
            lines.push("Threats: none of the most used Pokémon stands out against this team.".to_owned());
        } else {
            lines.push("Threats (most used Pokémon the team handles badly):".to_owned());
            for t in &a.threats {
                lines.push(format!("- {} (score {:.0}): {}", t.name, t.score, t.reason));
            }
        }
    }
    if let Some(m) = &a.threat_matrix {
        lines.extend(matrix::render(m));
    }
    if !a.suggestions.is_empty() {
        lines.push("Suggestions:".to_owned());
        lines.extend(a.suggestions.iter().map(|s| format!("- {s}")));
    }
    if !a.problems.is_empty() {
        lines.push(format!("Problems ({}):", a.problems.len()));
        for p in a.problems.iter().take(8) {
            let whom = p
                .pokemon_index
                .and_then(|i| a.members.get(i))
                .map(|m| format!("#{} {} ", m.index + 1, clip(&m.species, 20)))
                .unwrap_or_default();
            lines.push(format!("- {whom}{}: {}", p.field.label(), clip(&p.message, 150)));
        }
        if a.problems.len() > 8 {
            lines.push(format!("- …and {} more (see problems)", a.problems.len() - 8));
        }
    }
    lines.extend(a.notes.iter().map(|n| format!("Note: {n}")));
    join_within(&lines, MAX_TEXT_CHARS)
}

/// Lines joined by newlines, dropping whole lines from the end to stay under `max` characters.
fn join_within(lines: &[String], max: usize) -> String {
    const CUT: &str = "… (truncated; see the structured result)";
    let mut out = String::new();
    let mut chars = 0;
    for (i, line) in lines.iter().enumerate() {
        let len = line.chars().count() + usize::from(i > 0);
        if chars + len + CUT.chars().count() + 1 >= max {
            out.push('\n');
            out.push_str(CUT);
            break;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line);
        chars += len;
    }
    out
}

#[cfg(test)]
mod tests;
