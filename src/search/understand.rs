//! Query understanding: what a player's question asks for, in the community's own words,
//! before any index is searched.
//!
//! Lexical search matches words; players ask by **job** ("who removes hazards", "rain setters",
//! "best pivots") and by **shorthand** for generations and formats ("DPP OU", "SS Ubers", "VGC
//! 2019", "Reg G"). Words like "removes" or "pivots" rarely occur in the documents that answer
//! them — a usage document says "Rapid Spin 48.3%" — so this step turns the question into:
//!
//! - a **format** ([`format_in`]): generation names (RBY, GSC, ADV, DPP, BW/B2W2, XY/ORAS,
//!   SM/USUM, SS/SwSh, SV, "gen 4", "current") and tiers (OU, UU, RU, NU, PU, Ubers, LC, Doubles
//!   OU, National Dex, VGC with a year or regulation); a tier alone means the newest generation;
//! - **roles** ([`roles_in`]): the jobs asked for ([`Role`]), narrowed to what the question names
//!   exactly ("rain" → rain setters only, "Stealth Rock" → Stealth Rock setters only);
//! - whether it asks for the **most used** Pokémon (answered from the usage ranking).
//!
//! The vocabulary is words and short phrases per role, because that is what the question
//! carries; which moves, abilities and items do each job comes from the dex (see
//! [`crate::dex::roles`]), and who does it in a format from its statistics
//! ([`crate::search::roles`]). Pure: no I/O.

use crate::corpus::Format;
use crate::dex::{dex, MemberKind, Role};

/// A job the question asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleAsk {
    pub role: Role,
    /// Only members with one of these effects (`raindance`, `stealthrock`); empty: any.
    pub effects: Vec<String>,
    /// Only these members (ids of moves the question names, e.g. `uturn`); empty: any.
    pub members: Vec<String>,
}

/// Everything [`understand`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Understood {
    /// The format the question names (`gen4ou` for "DPP OU"), if any.
    pub format: Option<String>,
    pub roles: Vec<RoleAsk>,
    /// The question asks which Pokémon are used most ("most used Pokémon in RBY OU").
    pub most_used: bool,
    /// Types the Pokémon asked for must have ("Steel-type hazard removers" → `Steel`).
    pub types: Vec<String>,
}

pub(crate) fn understand(query: &str) -> Understood {
    let words = Words::new(query);
    let most_used =
        words.any_phrase(&["most used", "most popular", "most common", "highest usage", "top usage"]);
    Understood { format: format_of(&words), roles: roles_of(&words), most_used, types: types_of(&words) }
}

/// Type names written as a type ("Steel-type", "water types"): a bare "rock" or "psychic" is
/// too often part of a move's name (Stealth Rock, Psychic Surge).
fn types_of(words: &Words) -> Vec<String> {
    const TYPES: [&str; 18] = [
        "Normal", "Fire", "Water", "Grass", "Electric", "Ice", "Fighting", "Poison", "Ground", "Flying",
        "Psychic", "Bug", "Rock", "Ghost", "Dragon", "Dark", "Steel", "Fairy",
    ];
    let w = &words.0;
    let mut out: Vec<String> = Vec::new();
    for (i, word) in w.iter().enumerate() {
        let typed = matches!(w.get(i + 1).map(String::as_str), Some("type" | "types"));
        if let Some(t) = TYPES.iter().find(|t| t.eq_ignore_ascii_case(word)).filter(|_| typed) {
            if !out.iter().any(|o| o == t) {
                out.push((*t).to_owned());
            }
        }
    }
    out
}

/// The format a query names, if any (see the module docs).
#[cfg(test)]
pub(crate) fn format_in(query: &str) -> Option<String> {
    format_of(&Words::new(query))
}

/// The roles a query asks for, if any (see the module docs).
#[cfg(test)]
pub(crate) fn roles_in(query: &str) -> Vec<RoleAsk> {
    roles_of(&Words::new(query))
}

/// The query as lowercase words of letters and digits ("U-turn" → "u", "turn").
struct Words(Vec<String>);

impl Words {
    fn new(query: &str) -> Words {
        Words(
            query
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect(),
        )
    }

    fn any(&self, list: &[&str]) -> bool {
        self.0.iter().any(|w| list.contains(&w.as_str()))
    }

    /// Whether the words of `phrase` occur in a row.
    fn phrase(&self, phrase: &str) -> bool {
        let p: Vec<&str> = phrase.split(' ').collect();
        self.0.windows(p.len()).any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
    }

    fn any_phrase(&self, list: &[&str]) -> bool {
        list.iter().any(|p| self.phrase(p))
    }
}

// ---------------------------------------------------------------------------
// Formats

/// The community's names for generations ("RBY OU" is gen 1 OU).
fn generation_nickname(word: &str) -> Option<u8> {
    Some(match word {
        "rby" | "rb" => 1,
        "gsc" | "gs" => 2,
        "adv" | "rse" => 3,
        "dpp" | "dp" | "hgss" => 4,
        "bw" | "bw2" | "b2w2" => 5,
        "xy" | "oras" => 6,
        "sm" | "usum" => 7,
        "swsh" | "ss" => 8,
        "sv" => 9,
        _ => return None,
    })
}

/// Game names that name a generation ("Platinum OU", "Sword and Shield").
fn game_generation(words: &Words) -> Option<u8> {
    const GAMES: [(&str, u8); 20] = [
        ("crystal", 2),
        ("ruby", 3),
        ("sapphire", 3),
        ("emerald", 3),
        ("firered", 3),
        ("diamond", 4),
        ("pearl", 4),
        ("platinum", 4),
        ("heartgold", 4),
        ("soulsilver", 4),
        ("omega ruby", 6),
        ("alpha sapphire", 6),
        ("ultra sun", 7),
        ("ultra moon", 7),
        ("sun moon", 7),
        ("sun and moon", 7),
        ("sword", 8),
        ("shield", 8),
        ("scarlet", 9),
        ("violet", 9),
    ];
    // Longest name wins: "Omega Ruby" is gen 6, not 3.
    GAMES.iter().filter(|(name, _)| words.phrase(name)).max_by_key(|(name, _)| name.len()).map(|(_, g)| *g)
}

/// Whether "sun" in the question is part of a game's name, not the weather.
fn sun_is_a_game(words: &Words) -> bool {
    words.any_phrase(&["ultra sun", "sun moon", "sun and moon"])
}

/// Tier words → the format id's metagame part.
fn tier_word(word: &str) -> Option<&'static str> {
    const AS_WRITTEN: [&str; 9] = ["ou", "uu", "ru", "nu", "pu", "zu", "lc", "ubers", "vgc"];
    AS_WRITTEN.iter().copied().find(|t| *t == word).or(match word {
        "uber" => Some("ubers"),
        "doublesou" | "dou" | "doubles" => Some("doublesou"),
        "nationaldex" | "natdex" => Some("nationaldex"),
        _ => None,
    })
}

/// The generation of a VGC season's year.
fn vgc_gen(year: u16) -> Option<u8> {
    Some(match year {
        2009..=2010 => 4,
        2011..=2013 => 5,
        2014..=2016 => 6,
        2017..=2019 => 7,
        2020..=2022 => 8,
        2023..=2099 => 9,
        _ => return None,
    })
}

/// The year of a Scarlet/Violet regulation letter (Regulations A-E ran in 2023, F-H in 2024,
/// I in 2025, J in 2026): Smogon's data names VGC formats by year.
fn regulation_year(letter: &str) -> Option<u16> {
    Some(match letter {
        "a" | "b" | "c" | "d" | "e" => 2023,
        "f" | "g" | "h" => 2024,
        "i" => 2025,
        "j" => 2026,
        _ => return None,
    })
}

/// The newest VGC year of each generation (a "VGC" question without a year asks for it).
fn last_vgc_year(gen: u8) -> u16 {
    match gen {
        4 => 2010,
        5 => 2013,
        6 => 2016,
        7 => 2019,
        8 => 2022,
        _ => 2024,
    }
}

fn format_of(words: &Words) -> Option<String> {
    let w = &words.0;
    let mut gen: Option<u8> = game_generation(words);
    let mut tier: Option<&str> = None;
    let mut year: Option<u16> = None;
    for (i, word) in w.iter().enumerate() {
        let next = w.get(i + 1).map(String::as_str);
        if let Ok(f) = Format::parse(word) {
            // "gen4ou" names the whole format; "gen4" only the generation.
            if word.len() > 4 {
                return Some(f.id().to_owned());
            }
            gen = Some(f.gen());
        } else if let Some(g) =
            word.strip_prefix("gen").and_then(|d| d.parse::<u8>().ok()).filter(|g| (1..=9).contains(g))
        {
            gen = Some(g);
        } else if word == "gen" || word == "generation" {
            if let Some(g) = next.and_then(|n| n.parse::<u8>().ok()).filter(|g| (1..=9).contains(g)) {
                gen = Some(g);
            }
        } else if let Some(g) = generation_nickname(word) {
            gen = Some(g);
        } else if matches!(word.as_str(), "current" | "latest" | "newest") {
            gen = gen.or(Some(9));
        } else if word == "little" && next == Some("cup") {
            tier = Some("lc");
        } else if word == "national" && next == Some("dex") {
            tier = Some("nationaldex");
        } else if let Some(t) = tier_word(word) {
            // "Doubles OU": the doubles tier, not OU.
            if !(t == "ou" && tier == Some("doublesou")) {
                tier = Some(t);
            }
        } else if let Some(y) = vgc_year(word, tier) {
            year = Some(y);
        } else if matches!(word.as_str(), "reg" | "regulation") && next.and_then(regulation_year).is_some() {
            (tier, year) = (Some("vgc"), next.and_then(regulation_year));
        } else if let Some(y) = word.strip_prefix("reg").filter(|l| l.len() == 1).and_then(regulation_year) {
            (tier, year) = (Some("vgc"), Some(y));
        } else if let Some(y) = word.strip_prefix("vgc").and_then(|y| vgc_year(y, Some("vgc"))) {
            tier = Some("vgc");
            year = Some(y);
        }
    }
    // A year means a VGC season only next to "VGC" or a regulation ("OU 2019" is not VGC).
    if tier == Some("vgc") {
        let gen = year.and_then(vgc_gen).or(gen).unwrap_or(9);
        let year = year.filter(|y| vgc_gen(*y) == Some(gen)).unwrap_or_else(|| last_vgc_year(gen));
        return Some(format!("gen{gen}vgc{year}"));
    }
    match (gen, tier) {
        (None, None) => None,
        (g, t) => Some(format!("gen{}{}", g.unwrap_or(9), t.unwrap_or("ou"))),
    }
}

/// A VGC year: "2019" anywhere, "19" only right after "vgc".
fn vgc_year(word: &str, tier: Option<&str>) -> Option<u16> {
    let n: u16 = word.parse().ok()?;
    match word.len() {
        4 => vgc_gen(n).map(|_| n),
        2 if tier == Some("vgc") => vgc_gen(2000 + n).map(|_| 2000 + n),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Roles

const HAZARD_WORDS: &[&str] = &["hazard", "hazards", "rocks", "spikes", "webs", "web"];
const REMOVE_WORDS: &[&str] = &[
    "remove",
    "removes",
    "removing",
    "removal",
    "remover",
    "removers",
    "clear",
    "clears",
    "clearing",
    "clean",
    "cleans",
    "spin",
    "spins",
    "spinning",
    "defog",
    "defogs",
    "defogging",
    "rid",
    "control",
];
const REMOVER_NOUNS: &[&str] = &["spinner", "spinners", "defogger", "defoggers"];
const SET_WORDS: &[&str] = &[
    "set", "sets", "setting", "setter", "setters", "lay", "lays", "laying", "stack", "stacks", "stacking",
    "stacker", "lead", "leads", "user", "users", "run", "runs", "carry", "carries", "up", "support",
];
/// Words that ask who uses a named move.
const USER_WORDS: &[&str] =
    &["user", "users", "who", "which", "runs", "run", "carry", "carries", "uses", "use"];
const SETTER_NOUNS: &[&str] = &["rocker", "rockers", "spiker", "spikers", "webber", "webbers"];
/// Words that make a weather or terrain word a question about who sets it.
const SUMMON_WORDS: &[&str] = &[
    "set", "sets", "setting", "setter", "setters", "summon", "summons", "summoner", "starter", "starters",
    "team", "teams", "user", "users", "who", "which", "core", "cores", "bring", "brings", "support",
];

/// Words that ask for a list of Pokémon ("who", "best", "setters"): without one, a long question
/// describes one Pokémon's set ("anti-offense tool that phazes with Dragon Tail and picks off
/// with Extreme Speed") rather than asking who does a job.
const ASKS_FOR_POKEMON: &[&str] = &[
    "who",
    "which",
    "what",
    "best",
    "good",
    "top",
    "strongest",
    "users",
    "user",
    "mons",
    "pokemon",
    "pokémon",
    "options",
    "list",
    "setter",
    "setters",
    "pivots",
    "spinners",
    "defoggers",
    "sweepers",
    "wallbreakers",
    "breakers",
    "walls",
    "clerics",
    "phazers",
    "spreaders",
    "inducers",
    "leads",
    "attackers",
    "removers",
    "abusers",
    "supporters",
];
/// Questions up to this many words ask for Pokémon even without such a word ("UU hazard removal").
const SHORT_QUESTION_WORDS: usize = 6;

fn roles_of(words: &Words) -> Vec<RoleAsk> {
    if words.0.len() > SHORT_QUESTION_WORDS && !words.any(ASKS_FOR_POKEMON) {
        return Vec::new();
    }
    let mut asks: Vec<RoleAsk> = Vec::new();
    let mut add = |role: Role, effects: Vec<&str>| {
        if !asks.iter().any(|a| a.role == role) {
            asks.push(RoleAsk {
                role,
                effects: effects.into_iter().map(str::to_owned).collect(),
                members: Vec::new(),
            });
        }
    };
    let hazards = hazard_effects(words);
    let hazard_named = !hazards.is_empty() || words.any(HAZARD_WORDS);
    let removal = words.any(REMOVER_NOUNS)
        || (hazard_named && words.any(REMOVE_WORDS))
        || (words.any_phrase(&["rapid spin", "mortal spin", "court change", "tidy up"])
            || words.any(&["defog"]))
            && !words.any(SET_WORDS[..4].as_ref());
    if removal {
        add(Role::HazardRemoval, Vec::new());
    } else if words.any(SETTER_NOUNS) || (hazard_named && (words.any(SET_WORDS) || !hazards.is_empty())) {
        add(Role::HazardSetting, hazards.clone());
    }
    if words.any(&["priority"])
        || words.any_phrase(&["revenge kill", "revenge killer", "revenge killers", "revenge killing"])
    {
        add(Role::Priority, Vec::new());
    }
    if words.any(&["pivot", "pivots", "pivoting", "pivoter", "voltturn", "momentum"])
        || words.any_phrase(&[
            "volt turn",
            "slow pivot",
            "u turn",
            "flip turn",
            "volt switch",
            "parting shot",
            "teleport",
        ])
    {
        add(Role::Pivot, Vec::new());
    }
    // Nouns only: "keep sweeping" describes a Pokémon, "sweepers" asks for them.
    let sweeper = words.any(&["setup", "sweeper", "sweepers", "booster", "boosters"]);
    if sweeper || (words.phrase("set up") && !hazard_named) {
        add(Role::Setup, Vec::new());
    }
    let breaker =
        words.any(&["wallbreaker", "wallbreakers", "wallbreaking", "breaker", "breakers", "nuke", "nukes"])
            || words.any_phrase(&[
                "wall breaker",
                "wall breakers",
                "break walls",
                "breaks walls",
                "breaking walls",
            ]);
    if breaker {
        add(Role::Wallbreaker, Vec::new());
    }
    let weathers = weather_effects(words);
    if words.any(&["weather"]) || (!weathers.is_empty() && words.any(SUMMON_WORDS)) {
        add(Role::Weather, weathers);
    }
    let terrains = terrain_effects(words);
    if words.any(&["terrain", "terrains", "surge", "surger", "surgers"]) {
        add(Role::Terrain, terrains);
    }
    if words.any(&["screen", "screens", "screener"]) || words.any_phrase(&["light screen", "aurora veil"]) {
        add(Role::Screens, Vec::new());
    }
    if words.phrase("trick room") || (words.any(&["tr"]) && words.any(SUMMON_WORDS)) {
        add(Role::TrickRoom, Vec::new());
    }
    if words.any(&["cleric", "clerics", "wisher", "wishers"])
        || words.any_phrase(&[
            "heal bell",
            "healing wish",
            "wish support",
            "wish passer",
            "wish passers",
            "wish user",
            "wish users",
        ])
        || words.any(&["aromatherapy"])
    {
        add(Role::Cleric, Vec::new());
    }
    if words.any(&["phaze", "phazes", "phazer", "phazers", "phazing", "roar", "whirlwind"])
        || words.any_phrase(&["dragon tail", "force out", "forces out", "forcing out"])
    {
        add(Role::Phazing, Vec::new());
    }
    if words.any(&["wall", "walls", "staller", "stallers", "stall", "tank", "tanks"])
        || words.any_phrase(&["reliable recovery", "recovery move", "recovery moves"])
    {
        // "wallbreaker" is its own word; "walls" next to a breaker word is the breaker.
        if !breaker {
            add(Role::Recovery, Vec::new());
        }
    }
    let statuses = status_effects(words);
    if words.any(&["spreader", "spreaders", "spreading", "spread", "spreads", "inducer", "inducers"])
        && (!statuses.is_empty() || words.any(&["status"]))
    {
        add(Role::Status, statuses);
    }
    let gen = 9;
    // "Fake Out users", "Choice Band users": a move, item or ability named next to a word for
    // its users asks for the role it belongs to, narrowed to it.
    if asks.is_empty() && words.any(USER_WORDS) {
        for role in Role::ALL {
            let named: Vec<String> = dex()
                .roles()
                .members(role, gen)
                .filter(|m| named_member(words, m.kind, &m.id))
                .map(|m| m.id.clone())
                .collect();
            if !named.is_empty() && asks.len() < 2 {
                asks.push(RoleAsk { role, effects: Vec::new(), members: named });
            }
        }
        return asks;
    }
    // Moves the question names narrow their role ("U-turn users" → U-turn).
    for ask in &mut asks {
        ask.members = dex()
            .roles()
            .members(ask.role, gen)
            .filter(|m| m.kind == MemberKind::Move)
            .filter(|m| named_member(words, m.kind, &m.id))
            .map(|m| m.id.clone())
            .collect();
        // "Defoggers" and "spinners" name their move too.
        if ask.role == Role::HazardRemoval && ask.members.is_empty() {
            if words.any(&["defogger", "defoggers"]) {
                ask.members.push("defog".to_owned());
            }
            if words.any(&["spinner", "spinners"]) {
                ask.members.extend(["rapidspin".to_owned(), "mortalspin".to_owned()]);
            }
        }
        if ask.role == Role::HazardSetting || ask.role == Role::Weather {
            // The effect already narrows these ("Stealth Rock" → Stone Axe too).
            ask.members.clear();
        }
    }
    asks.truncate(2);
    asks
}

/// Whether the question names the move, item or ability `id` ("U-turn" as "u turn", "U-Turn"
/// or "uturn").
fn named_member(words: &Words, kind: MemberKind, id: &str) -> bool {
    let table = match kind {
        MemberKind::Move => dex().moves(),
        MemberKind::Item => dex().items(),
        MemberKind::Ability => dex().abilities(),
    };
    table.get(id, None).is_ok_and(|e| words.phrase(&Words::new(e.name).0.join(" ")) || words.any(&[id]))
}

fn hazard_effects(words: &Words) -> Vec<&'static str> {
    let mut out = Vec::new();
    if words.phrase("stealth rock") || words.any(&["rocks", "sr"]) {
        out.push("stealthrock");
    }
    if words.phrase("toxic spikes") || words.any(&["tspikes"]) {
        out.push("toxicspikes");
    } else if words.any(&["spikes"]) {
        out.push("spikes");
    }
    if words.phrase("sticky web") || words.any(&["webs", "web"]) {
        out.push("stickyweb");
    }
    out
}

fn weather_effects(words: &Words) -> Vec<&'static str> {
    let mut out = Vec::new();
    if words.any(&["sunny", "drought"]) || (words.any(&["sun"]) && !sun_is_a_game(words)) {
        out.push("sunnyday");
    }
    if words.any(&["rain", "drizzle"]) {
        out.push("raindance");
    }
    if words.any(&["sand", "sandstorm"]) {
        out.push("sandstorm");
    }
    if words.any(&["snow", "hail"]) {
        out.extend(["snowscape", "hail"]);
    }
    out
}

fn terrain_effects(words: &Words) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (word, effect) in [
        ("electric", "electricterrain"),
        ("psychic", "psychicterrain"),
        ("grassy", "grassyterrain"),
        ("misty", "mistyterrain"),
    ] {
        if words.any(&[word]) {
            out.push(effect);
        }
    }
    out
}

fn status_effects(words: &Words) -> Vec<&'static str> {
    let mut out = Vec::new();
    if words.any(&["burn", "burns", "wisp"]) {
        out.push("brn");
    }
    if words.any(&["paralysis", "paralyze", "para"]) || words.phrase("thunder wave") {
        out.push("par");
    }
    if words.any(&["poison", "toxic"]) {
        out.extend(["tox", "psn"]);
    }
    if words.any(&["sleep"]) {
        out.push("slp");
    }
    out
}

#[cfg(test)]
mod tests;
