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
pub mod matrix;
mod paste;
mod threats;
mod validate;

use serde::Serialize;

use crate::corpus::{Format, ReportSource, UsageReport};

pub use coverage::{GlaringWeakness, TypeRow, GLARING_MAX_COVERED, GLARING_MIN_WEAK};
pub use paste::{
    parse_paste, Gender, PasteError, PasteSet, StatSpread, Team, MAX_LINE_CHARS, MAX_MOVES, MAX_PASTE_CHARS,
    MAX_TEAM_SIZE,
};
pub use threats::{Threat, MAX_THREATS, MIN_SCORE, TOP_CHECKS, TOP_USAGE};
pub use validate::{TeamMember, MAX_EV, MAX_EV_TOTAL, MAX_IV, MAX_NAME_CHARS};

use paste::clip;

/// Problems listed at most; the rest are counted in a last one.
pub const MAX_PROBLEMS: usize = 40;
/// Suggestions returned at most.
pub const MAX_SUGGESTIONS: usize = 5;
/// `render_text` stays under this many characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

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
pub struct TeamAnalysis {
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
pub fn analyze(
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
            notes.push(format!("No usage statistics for {format} were available: threats were not computed."))
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
pub fn render_text(a: &TeamAnalysis) -> String {
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
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::corpus::{parse_moveset_report, parse_sets, shared_data, PasteStyle};
    use serde_json::{json, Value};

    fn gen9ou() -> Format {
        Format::parse("gen9ou").expect("format")
    }

    fn report() -> &'static UsageReport {
        static REPORT: OnceLock<UsageReport> = OnceLock::new();
        REPORT.get_or_init(|| {
            parse_moveset_report(&shared_data("smogon-stats/moveset-gen9ou-1695.txt")).expect("report")
        })
    }

    /// A realistic team, transcribed from the main options of real gen9ou sets
    /// (../shared/data/pkmn-sets/gen9ou.json), with a nickname, genders and an item-less member.
    const TEAM: &str = "\
=== [gen9ou] Balance ===

Kingambit @ Leftovers
Ability: Supreme Overlord
Tera Type: Ghost
EVs: 252 Atk / 4 Def / 252 Spe
Adamant Nature
- Swords Dance
- Sucker Punch
- Kowtow Cleave
- Iron Head

Tusk (Great Tusk) (M) @ Heavy-Duty Boots
Ability: Protosynthesis
Tera Type: Steel
EVs: 252 Atk / 4 Def / 252 Spe
Jolly Nature
- Headlong Rush
- Ice Spinner
- Rapid Spin
- Stealth Rock

Gholdengo @ Air Balloon
Ability: Good as Gold
Tera Type: Fairy
EVs: 252 SpA / 4 SpD / 252 Spe
Timid Nature
IVs: 0 Atk
- Nasty Plot
- Shadow Ball
- Make It Rain
- Focus Blast

Dragapult (F) @ Heavy-Duty Boots
Ability: Infiltrator
Tera Type: Ghost
EVs: 4 Atk / 252 SpA / 252 Spe
Naive Nature
- Dragon Darts
- Hex
- Will-O-Wisp
- U-turn

Toxapex (F)
Ability: Regenerator
Tera Type: Steel
EVs: 248 HP / 8 Def / 252 SpD
Calm Nature
- Toxic
- Recover
- Haze
- Toxic Spikes

Corviknight (M) @ Rocky Helmet
Ability: Pressure
Tera Type: Dragon
EVs: 248 HP / 252 Def / 8 SpD
Impish Nature
- Brave Bird
- Defog
- U-turn
- Roost
";

    #[test]
    fn the_team_matches_real_sets() {
        // Every set in TEAM is (a main option of) a real set: compare with the sets file.
        let sets = parse_sets(&shared_data("pkmn-sets/gen9ou.json")).expect("sets");
        let team = parse_paste(TEAM).expect("parses");
        for member in &team.members {
            let species = sets.get(&member.species).unwrap_or_else(|| panic!("{} has sets", member.species));
            let matching = species.sets.iter().any(|set| {
                let paste = set.to_paste(&species.species, 9, PasteStyle::WithAlternatives);
                member.moves.iter().all(|m| paste.contains(m.as_str()))
                    && member.nature.as_ref().is_none_or(|n| paste.contains(n.as_str()))
            });
            assert!(matching, "{} matches no real set", member.species);
        }
    }

    #[test]
    fn realistic_team() {
        let a = analyze(TEAM, &gen9ou(), Some(report())).expect("analyses");
        assert!(a.problems.is_empty(), "{:#?}", a.problems);
        assert_eq!(a.members.len(), 6);
        let species: Vec<&str> = a.members.iter().map(|m| m.species.as_str()).collect();
        assert_eq!(species, ["Kingambit", "Great Tusk", "Gholdengo", "Dragapult", "Toxapex", "Corviknight"]);
        let tusk = &a.members[1];
        assert_eq!((tusk.nickname.as_deref(), tusk.gender), (Some("Tusk"), Some(Gender::M)));
        assert_eq!(tusk.types, ["Ground", "Fighting"]);
        assert_eq!(a.members[4].item, None);
        assert_eq!(a.members[4].gender, Some(Gender::F));
        assert_eq!(a.members[2].ivs.and_then(|i| i.atk), Some(0));
        assert_eq!(a.type_chart.len(), 18);
        // Ground by hand: Kingambit (Dark/Steel), Gholdengo (Steel/Ghost; an Air Balloon is an item,
        // not an ability) and Toxapex (Water/Poison) are weak; Great Tusk (Ground/Fighting) and
        // Dragapult (Dragon/Ghost) are neutral; Corviknight (Flying/Steel) is immune.
        let ground = a.type_chart.iter().find(|r| r.attacking_type == "Ground").expect("row");
        assert_eq!(ground.weak_members, ["Kingambit", "Gholdengo", "Toxapex"]);
        assert_eq!(ground.immune_members, ["Corviknight"]);
        // Three weak and one immune: glaring by definition (≥ 3 weak, ≤ 1 resist or immune).
        assert_eq!(a.glaring_weaknesses.len(), 1, "{:#?}", a.glaring_weaknesses);
        assert_eq!(
            (a.glaring_weaknesses[0].type_name.as_str(), a.glaring_weaknesses[0].covered),
            ("Ground", 1)
        );
        assert!(a.usage_data);
        assert!(a.threats.len() <= MAX_THREATS);
        // Great Tusk is among Kingambit's top checks in the report, so Kingambit is answered.
        assert!(a.threats.iter().all(|t| t.name != "Kingambit" || !t.answers.is_empty()));
        assert!(!a.suggestions.is_empty() && a.suggestions.len() <= MAX_SUGGESTIONS);
        assert!(a.notes.iter().any(|n| n.contains("Tera types are not used")));
        let text = render_text(&a);
        assert!(text.chars().count() < MAX_TEXT_CHARS, "{}", text.chars().count());
        assert!(text.contains("Tusk (Great Tusk) [Ground/Fighting] @ Heavy-Duty Boots"), "{text}");
    }

    #[test]
    fn typos_are_problems_not_errors() {
        let paste = "Kingambitt @ Leftoverz\nAbility: Supreme Overlord\n- Swords Dnce\n\n\
                     Garchomp @ Life Orb\nAbility: Levitate\n- Earthquake\n";
        let a = analyze(paste, &gen9ou(), None).expect("analyses");
        let by_field = |f: ProblemField| a.problems.iter().find(|p| p.field == f).expect("problem");
        assert_eq!(by_field(ProblemField::Species).suggestions[0], "Kingambit");
        assert_eq!(by_field(ProblemField::Item).suggestions[0], "Leftovers");
        assert_eq!(by_field(ProblemField::Move).suggestions[0], "Swords Dance");
        let ability = by_field(ProblemField::Ability);
        assert_eq!(ability.pokemon_index, Some(1));
        assert_eq!(ability.suggestions, ["Sand Veil", "Rough Skin"]);
        // The analysis still ran on Garchomp.
        let ice = a.type_chart.iter().find(|r| r.attacking_type == "Ice").expect("row");
        assert_eq!(ice.weak_members, ["Garchomp (×4)"]);
        assert!(a.threats.is_empty() && !a.usage_data);
        assert!(a.notes.iter().any(|n| n.contains("No usage statistics")), "{:?}", a.notes);
        assert!(a.notes.iter().any(|n| n.contains("1 member the dex does not know was left out")));
        assert!(a.suggestions[0].starts_with("Fix the 4 problems"), "{:?}", a.suggestions);
        assert!(a.suggestions.iter().any(|s| s.contains("has 2 Pokémon")));
        let text = render_text(&a);
        assert!(text.contains("did you mean Leftovers?"), "{text}");
    }

    #[test]
    fn unusable_input_is_an_error() {
        let f = gen9ou();
        assert_eq!(analyze("", &f, None), Err(PasteError::Empty));
        assert_eq!(analyze(" \r\n\t ", &f, None), Err(PasteError::Empty));
        let seven = "Garchomp\n\n".repeat(7);
        assert!(matches!(analyze(&seven, &f, None), Err(PasteError::TooManyPokemon { .. })));
        assert!(matches!(analyze(&"x".repeat(20_001), &f, None), Err(PasteError::TooLong { .. })));
        assert!(matches!(analyze(&"x".repeat(10_000), &f, None), Err(PasteError::LineTooLong { .. })));
        assert!(matches!(analyze("\u{0}\u{1}\u{2}junk", &f, None), Err(PasteError::Binary { .. })));
        assert_eq!(analyze("- Earthquake\n", &f, None), Err(PasteError::NoPokemon));
        assert!(PasteError::NoPokemon.to_string().contains("Kingambit @ Leftovers"));
    }

    #[test]
    fn ground_weak_team_gets_ground_advice() {
        let paste = "Heatran\n\nToxapex\n\nKingambit\n\nIron Moth\n\nRaging Bolt\n\nGholdengo\n";
        let a = analyze(paste, &gen9ou(), Some(report())).expect("analyses");
        let g = &a.glaring_weaknesses[0];
        assert_eq!((g.type_name.as_str(), g.weak, g.covered), ("Ground", 6, 0));
        assert!(a.threats.iter().any(|t| t.types.iter().any(|x| x == "Ground")), "{:#?}", a.threats);
        assert!(a.threats.iter().any(|t| t.name == "Great Tusk"));
        assert_eq!(
            a.suggestions[0],
            "6 members are weak to Ground and none resists it or is immune: consider a Flying-type (immune), \
             a Bug/Grass-type (resists) or a Levitate or Earth Eater user"
        );
        assert!(
            a.suggestions
                .iter()
                .any(|s| s.starts_with("No answer to Great Tusk among its top checks: consider ")),
            "{:#?}",
            a.suggestions
        );
        assert!(a.suggestions.len() <= MAX_SUGGESTIONS);
        let text = render_text(&a);
        assert!(text.contains("Glaring weaknesses: Ground (6 weak"), "{text}");
        assert!(text.contains("- Great Tusk (score "), "{text}");
    }

    #[test]
    fn worst_case_text_stays_short() {
        // Six members with every field at its longest plausible value and many problems.
        let long = "Q".repeat(120);
        let member = format!(
            "{long} ({long}) (M) @ {long}\nAbility: {long}\nTera Type: {long}\n{long} Nature\n\
             EVs: 999 HP / 999 Atk / 999 Def / 999 SpA / 999 SpD / 999 Spe\n\
             IVs: 99 HP / 99 Atk / 99 Def / 99 SpA / 99 SpD / 99 Spe\n\
             - {long}\n- {long}\n- {long}\n- {long}\n- {long}\nwhat\nwhat\nwhat\nwhat\n\n"
        );
        let paste = member.repeat(6);
        assert!(paste.chars().count() <= MAX_PASTE_CHARS);
        let a = analyze(&paste, &gen9ou(), Some(report())).expect("analyses");
        assert_eq!(a.problems.len(), MAX_PROBLEMS);
        assert!(a.problems.last().is_some_and(|p| p.message.starts_with("…and ")));
        let text = render_text(&a);
        assert!(text.chars().count() < MAX_TEXT_CHARS, "{}", text.chars().count());
        conforms(
            &crate::tools::output_schema(crate::tools::analyze_team::NAME).expect("schema"),
            &serde_json::to_value(&a).expect("json"),
            "$",
        )
        .expect("conforms");
    }

    #[test]
    fn join_within_drops_lines_at_the_end() {
        let lines: Vec<String> = (0..100).map(|i| format!("line {i} {}", "x".repeat(90))).collect();
        let text = join_within(&lines, MAX_TEXT_CHARS);
        assert!(text.chars().count() < MAX_TEXT_CHARS);
        assert!(text.starts_with("line 0 ") && text.ends_with("see the structured result)"));
        assert_eq!(join_within(&lines[..2], MAX_TEXT_CHARS).lines().count(), 2);
    }

    #[test]
    fn output_conforms_to_schema() {
        let cases = [
            analyze(TEAM, &gen9ou(), Some(report())),
            analyze(TEAM, &gen9ou(), None),
            analyze("Kingambitt @ Leftoverz\n- Swords Dnce\n", &gen9ou(), Some(report())),
            analyze("Tauros\nEVs: 252 Spc\n- Body Slam\n", &Format::parse("gen1ou").expect("format"), None),
        ];
        for analysis in cases {
            let value = serde_json::to_value(analysis.expect("analyses")).expect("json");
            conforms(
                &crate::tools::output_schema(crate::tools::analyze_team::NAME).expect("schema"),
                &value,
                "$",
            )
            .unwrap_or_else(|e| panic!("{e}\n{value:#}"));
        }
        // The checker itself rejects what it should.
        let schema = crate::tools::output_schema(crate::tools::analyze_team::NAME).expect("schema");
        let mut value =
            serde_json::to_value(analyze(TEAM, &gen9ou(), None).expect("analyses")).expect("json");
        value.as_object_mut().expect("object").remove("typeChart");
        assert!(conforms(&schema, &value, "$").is_err());
        value["typeChart"] = json!([{"type": "Fire"}]);
        assert!(conforms(&schema, &value, "$").is_err());
    }

    /// A small JSON Schema checker for the keywords `output_schema` uses.
    fn conforms(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
        if let Some(types) = schema.get("type") {
            let names: Vec<&str> = match types {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => return Err(format!("{path}: bad schema type")),
            };
            let ok = names.iter().any(|t| match *t {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_u64() || value.is_i64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                "null" => value.is_null(),
                _ => false,
            });
            if !ok {
                return Err(format!("{path}: {value} is not {names:?}"));
            }
        }
        if let Some(Value::Array(options)) = schema.get("enum") {
            if !options.contains(value) {
                return Err(format!("{path}: {value} not in {options:?}"));
            }
        }
        if let Some(n) = value.as_f64() {
            if schema.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min)
                || schema.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max)
            {
                return Err(format!("{path}: {n} out of range"));
            }
        }
        if let Value::Object(object) = value {
            let properties = schema.get("properties").and_then(Value::as_object);
            for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let key = key.as_str().unwrap_or_default();
                if !object.contains_key(key) {
                    return Err(format!("{path}: missing required \"{key}\""));
                }
            }
            for (key, v) in object {
                match properties.and_then(|p| p.get(key)) {
                    Some(sub) => conforms(sub, v, &format!("{path}.{key}"))?,
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return Err(format!("{path}: unexpected property \"{key}\""))
                    }
                    None => {}
                }
            }
        }
        if let Value::Array(items) = value {
            if schema.get("maxItems").and_then(Value::as_u64).is_some_and(|max| items.len() as u64 > max) {
                return Err(format!("{path}: more than maxItems"));
            }
            if schema.get("minItems").and_then(Value::as_u64).is_some_and(|min| (items.len() as u64) < min) {
                return Err(format!("{path}: fewer than minItems"));
            }
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    conforms(sub, item, &format!("{path}[{i}]"))?;
                }
            }
        }
        Ok(())
    }
}
