//! Ranking for `query_strategy`: fuse the lexical (FTS5 BM25) and semantic (Vectorize) result
//! lists, then rerank with a few bounded, documented boosts.
//!
//! Pure and deterministic: no I/O, no clock, no randomness; every tie is broken by document key.
//!
//! ## Fusion
//!
//! [`reciprocal_rank_fusion`] is standard RRF (Cormack et al., 2009): a document's fused score is
//! `Σ 1 / (k + rank)` over the lists that returned it (rank 1-based, `k` = [`RRF_K`] = 60), so a
//! document both retrievers found outranks one only a single retriever found at a similar rank,
//! and raw scores of different scales (BM25, cosine) never have to be compared. Each fused
//! document remembers which lists found it, and at what rank ([`FoundBy`]).
//!
//! ## Boosts
//!
//! [`rerank`] multiplies the fused score by `1 + Σ boosts`, each boost bounded:
//!
//! | boost | max | when |
//! |---|---|---|
//! | pokemon | [`POKEMON_BOOST`] 1.0 | the document is about a Pokémon the query names (or the `pokemon` filter) |
//! | section | [`SECTION_BOOST`] 0.5 × fit | the section fits what the query asks for ([`section_fit`], hint from [`infer_section_hint`]) |
//! | format | [`FORMAT_BOOST`] 0.25 | the document's format is the requested one |
//! | role | [`ROLE_BOOST`] 2.0 × strength | the document shows a Pokémon doing the job the query asks for (it is about one of [`super::roles`]' candidates and came back in the role list, its statistics), scaled by its score relative to the best candidate's |
//! | freshness | −[`FRESHNESS_PENALTY`] 0.1 × staleness | a penalty: statistics of the newest month, and undated documents (analyses and sets are current by construction), get none; statistics `m` months older than the newest lose `0.1 × min(m / 12, 1)` |
//!
//! So a final score lies between 0.9 × and 4.75 × the fused score (role boosts only exist for a
//! question that asks for a job and names no Pokémon, so the Pokémon and role boosts never add). The scale is chosen against
//! RRF's own: one retriever's rank 1 is worth 1/61, both retrievers' rank 1 is 2/61, so the
//! Pokémon boost alone lets a named Pokémon's document found by one retriever tie an unrelated
//! document found by both, and the smaller boosts decide between documents of similar standing.
//!
//! ## Diversity
//!
//! After scoring, at most [`MAX_PER_POKEMON`] documents of one Pokémon stay in their place; the
//! others move, in score order, behind every document that did not have to move
//! ([`Ranked::demoted`]). Pokémon the query names are exempt: "Dragonite sets" should return
//! every Dragonite set. A question about a job ("who removes hazards") keeps one document per
//! Pokémon ([`RerankContext::max_per_pokemon`]): it asks for a list of Pokémon.
//!
//! ## Understanding the query
//!
//! [`infer_section_hint`] maps wording to a section ("counters" → usage, "EVs" → set, ...) and
//! [`mentioned_pokemon`] finds the Pokémon a query names, forgiving case, hyphens, forme
//! wording ("Alolan Ninetales", "Landorus-T") and single typos ("kingambt"); see its docs for the
//! rules that keep ordinary English words ("little", "minor", "ditto") from becoming Pokémon.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::sync::OnceLock;

use serde::Serialize;

use super::hit::SearchHit;
use crate::dex::{to_id, Dex, DexError};

/// RRF's `k`: large enough that the first few ranks of one list do not dominate.
pub const RRF_K: f64 = 60.0;

/// Index of the lexical list in the `lists` handed to [`reciprocal_rank_fusion`] by convention.
pub const LEXICAL: usize = 0;
/// Index of the semantic list.
pub const SEMANTIC: usize = 1;

/// Boost for a document about a Pokémon the query names.
pub const POKEMON_BOOST: f64 = 1.0;
/// Boost for a perfect section fit (scaled by [`section_fit`]).
pub const SECTION_BOOST: f64 = 0.5;
/// Boost for a document of the requested format.
pub const FORMAT_BOOST: f64 = 0.25;
/// Boost for a document about the Pokémon that best does the asked job (scaled by strength).
pub const ROLE_BOOST: f64 = 2.0;
/// Largest penalty for stale statistics (scaled by staleness).
pub const FRESHNESS_PENALTY: f64 = 0.1;
/// Months behind the newest after which statistics get the whole penalty.
pub const FRESHNESS_MONTHS: f64 = 12.0;
/// Documents per Pokémon kept in place by the diversity pass (unnamed Pokémon only).
pub const MAX_PER_POKEMON: usize = 2;

/// One list that returned a document, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FoundBy {
    /// Index into the fused lists ([`LEXICAL`], [`SEMANTIC`]).
    pub list: usize,
    /// 1-based rank in that list.
    pub rank: usize,
}

/// The name of a list index, for logs and debugging output.
pub fn retriever_name(list: usize) -> &'static str {
    match list {
        LEXICAL => "lexical",
        SEMANTIC => "semantic",
        _ => "other",
    }
}

/// A document after fusion.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fused {
    /// The hit as the first list that returned it has it.
    pub hit: SearchHit,
    /// The RRF score.
    pub rrf: f64,
    /// Every list that returned the document, in list order.
    pub found_by: Vec<FoundBy>,
}

impl Fused {
    /// Whether list `list` returned this document.
    pub fn found_by_list(&self, list: usize) -> bool {
        self.found_by.iter().any(|f| f.list == list)
    }
}

/// Fuses ranked lists by reciprocal rank (see the module docs), best first; equal scores are
/// ordered by key. A key repeated within one list counts at its first (best) rank only. A `k`
/// that is negative or not finite is replaced by [`RRF_K`].
pub fn reciprocal_rank_fusion(lists: &[Vec<SearchHit>], k: f64) -> Vec<Fused> {
    let k = if k.is_finite() && k >= 0.0 { k } else { RRF_K };
    let mut fused: Vec<Fused> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (list, hits) in lists.iter().enumerate() {
        for (i, hit) in hits.iter().enumerate() {
            let rank = i + 1;
            let slot = *index.entry(hit.key.as_str()).or_insert_with(|| {
                fused.push(Fused { hit: hit.clone(), rrf: 0.0, found_by: Vec::new() });
                fused.len() - 1
            });
            let entry = &mut fused[slot];
            if entry.found_by.iter().any(|f| f.list == list) {
                continue;
            }
            entry.found_by.push(FoundBy { list, rank });
            entry.rrf += 1.0 / (k + rank as f64);
        }
    }
    fused.sort_by(|a, b| b.rrf.total_cmp(&a.rrf).then_with(|| a.hit.key.cmp(&b.hit.key)));
    fused
}

/// What the reranker knows about the request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RerankContext {
    /// Canonical dex ids the query names or the `pokemon` filter gives.
    pub query_pokemon: Vec<String>,
    /// The requested format id, if any.
    pub format: Option<String>,
    /// The section the query asks for (`overview`, `set`, `comments`, `usage`).
    pub section_hint: Option<String>,
    /// Newest statistics month (`YYYY-MM`) in the index, for freshness (`None`: no penalty).
    pub newest_month: Option<String>,
    /// Pokémon that do the asked job → their strength relative to the best one, in (0, 1].
    pub role_strength: HashMap<String, f64>,
    /// The list holding the documents that show them doing it (their statistics): only
    /// documents it returned get the role boost, not every document about such a Pokémon.
    pub role_list: Option<usize>,
    /// Documents kept in place per unnamed Pokémon (`None`: [`MAX_PER_POKEMON`]).
    pub max_per_pokemon: Option<usize>,
}

/// The boosts one document received (each already scaled; see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Boosts {
    pub pokemon: f64,
    pub section: f64,
    pub format: f64,
    pub role: f64,
    pub freshness: f64,
}

impl Boosts {
    pub fn total(&self) -> f64 {
        self.pokemon + self.section + self.format + self.role + self.freshness
    }
}

/// A document after reranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ranked {
    pub hit: SearchHit,
    /// `rrf × (1 + boosts.total())`.
    pub score: f64,
    pub rrf: f64,
    pub boosts: Boosts,
    pub found_by: Vec<FoundBy>,
    /// Moved back by the diversity pass.
    pub demoted: bool,
}

/// Scores `fused` with the boosts of `ctx`, sorts best first (ties by key), then applies the
/// per-Pokémon diversity cap (see the module docs).
pub fn rerank(fused: Vec<Fused>, ctx: &RerankContext) -> Vec<Ranked> {
    let newest = ctx.newest_month.as_deref().and_then(month_index);
    let mut ranked: Vec<Ranked> = fused
        .into_iter()
        .map(|f| {
            let role_evidence = ctx.role_list.is_some_and(|l| f.found_by_list(l));
            let boosts = boosts(&f.hit, ctx, newest, role_evidence);
            Ranked {
                score: f.rrf * (1.0 + boosts.total()),
                rrf: f.rrf,
                boosts,
                found_by: f.found_by,
                hit: f.hit,
                demoted: false,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.hit.key.cmp(&b.hit.key)));

    let cap = ctx.max_per_pokemon.unwrap_or(MAX_PER_POKEMON).max(1);
    let mut per_pokemon: HashMap<String, usize> = HashMap::new();
    let (mut kept, mut moved) = (Vec::with_capacity(ranked.len()), Vec::new());
    for mut r in ranked {
        let named = ctx.query_pokemon.contains(&r.hit.pokemon_id);
        let seen = per_pokemon.entry(r.hit.pokemon_id.clone()).or_insert(0);
        if named || *seen < cap {
            *seen += 1;
            kept.push(r);
        } else {
            r.demoted = true;
            moved.push(r);
        }
    }
    kept.extend(moved);
    kept
}

/// Fuses with [`RRF_K`] and reranks: the whole pipeline in one call.
pub fn rank(lists: &[Vec<SearchHit>], ctx: &RerankContext) -> Vec<Ranked> {
    rerank(reciprocal_rank_fusion(lists, RRF_K), ctx)
}

fn boosts(hit: &SearchHit, ctx: &RerankContext, newest: Option<i64>, role_evidence: bool) -> Boosts {
    let pokemon = if ctx.query_pokemon.contains(&hit.pokemon_id) { POKEMON_BOOST } else { 0.0 };
    let section =
        ctx.section_hint.as_deref().map_or(0.0, |hint| SECTION_BOOST * section_fit(hint, &hit.section));
    let format = if ctx.format.as_deref() == Some(hit.format.as_str()) { FORMAT_BOOST } else { 0.0 };
    let staleness = match (newest, hit.data_month.as_deref().map(month_index)) {
        // Undated documents, or nothing to compare with: current.
        (None, _) | (_, None) => 0.0,
        // A month that does not parse: as stale as it gets.
        (_, Some(None)) => 1.0,
        (Some(newest), Some(Some(month))) => ((newest - month).max(0) as f64 / FRESHNESS_MONTHS).min(1.0),
    };
    let role = match ctx.role_strength.get(&hit.pokemon_id) {
        Some(s) if role_evidence => ROLE_BOOST * s.clamp(0.0, 1.0),
        _ => 0.0,
    };
    Boosts { pokemon, section, format, role, freshness: -FRESHNESS_PENALTY * staleness }
}

/// `YYYY-MM` → months since year 0, or `None` when it is not a month.
fn month_index(month: &str) -> Option<i64> {
    let (year, month) = month.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let (year, month): (i64, i64) = (year.parse().ok()?, month.parse().ok()?);
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

/// How well a document `section` answers a query that asks for `hint`, in `[0, 1]`.
///
/// Usage documents hold the statistics (checks and counters, teammates) and the Smogon sets as
/// pastes, so they answer set questions too; analysis set documents discuss teammates and
/// threats, and the overview discusses checks, so they partly answer usage questions. An
/// unknown hint fits nothing (no boost for anyone).
pub fn section_fit(hint: &str, section: &str) -> f64 {
    match (hint, section) {
        (h, s) if h == s => 1.0,
        ("usage", "overview") => 0.5,
        ("usage", "set") => 0.25,
        ("set", "usage") => 0.75,
        ("set", "comments") => 0.25,
        ("overview", "set") => 0.5,
        ("overview", "usage" | "comments") => 0.25,
        ("comments", "set") => 0.5,
        ("comments", "overview") => 0.25,
        _ => 0.0,
    }
}

/// Words that ask for other options (the analysis `comments` section), separated by spaces.
const COMMENTS_WORDS: &str = "alternative alternatives option options comment comments";
/// Words that ask for statistics, counters or teammates (`usage` documents).
const USAGE_WORDS: &str = "counter countered check checked beat beating answer handle threat walls \
                           usage popular popularity common stat statistic teammate partner core pair \
                           vs versus";
/// Words that ask for a set.
const SET_WORDS: &str = "set moveset ev spread nature item move build tera iv ability abilities";
/// Words that ask what a Pokémon does (the analysis `overview`).
const OVERVIEW_WORDS: &str = "overview role niche playstyle strength weakness viable";

/// The section a query asks for, from its wording, or `None`.
///
/// Checked in this order, first match wins: other options/alternatives → `comments`;
/// counters, checks, "beat", "answer", "handle", threats, "most used", teammates, partners →
/// `usage`; set, moveset, EVs, spread, nature, item, moves, tera → `set`; overview, role, niche,
/// "what does X do", "what is X good/used for" → `overview`. Words are compared lowercased, as
/// written and with one trailing "s" removed ("checks" = "check").
pub fn infer_section_hint(query: &str) -> Option<&'static str> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let stem = |w: &str| match w.strip_suffix('s') {
        Some(stem) if stem.len() >= 2 && !stem.ends_with('s') => stem.to_owned(),
        _ => w.to_owned(),
    };
    let has =
        |list: &str| words.iter().any(|w| list.split_ascii_whitespace().any(|l| l == w || l == stem(w)));
    let word = |w: &str| words.iter().any(|x| x == w);
    if has(COMMENTS_WORDS) {
        Some("comments")
    } else if has(USAGE_WORDS) || query.to_lowercase().contains("most used") {
        Some("usage")
    } else if has(SET_WORDS) {
        Some("set")
    } else if has(OVERVIEW_WORDS)
        || (word("what") && ((word("does") && word("do")) || ((word("good") || word("used")) && word("for"))))
    {
        // ... or "what does X do", "what is X good / used for".
        Some("overview")
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Pokémon named in a query

/// Species names that are also everyday English words: typed in lowercase they are read as the
/// word ("ditto for Zapdos", "gloom", "a golem of a wall"), capitalised as the Pokémon ("Ditto").
pub const ENGLISH_SPECIES: &[&str] =
    &["ditto", "electrode", "gloom", "golem", "mew", "persian", "slaking", "slowpoke"];

/// Words never typo-corrected into a Pokémon, in any case: every lowercase word of an English
/// dictionary (Debian's `wamerican`, 2020.12.07) and of the local strategy corpus that the typo
/// rules would otherwise turn into a species ("throw" → Throh, "speaking" → Seaking, "minion" →
/// Minior). Generated by running each word through [`mentioned_pokemon`] without this list.
/// Sorted, separated by spaces; the unit tests check that every entry is still needed.
/// Regenerate it when the dex gains species. Moves, items, abilities and natures are recognised
/// from the dex and are not corrected either.
pub const NOT_TYPOS: &str = "\
    acrobat annihilate annihilated annihilates applying apron arbor arched archer arches argon aromatics \
    arson audio bacon baton beautiful beautifully beautify bible binnacle binnacles bitten blink bloom \
    bobble bogon bombardier bombardiers bouffant brambles breviary bronzing brutish burly buzzword \
    camper carbine carbines carnivore carol chameleon chameleons chancery chandelier chantey chanteys \
    charades cheeping cherries cherub cherubic cherubim cherubims cherubs chilling chinking chinning \
    chiseling chitchat chuckle cinching clambers clang clappers clink cloister cloisters cobble colossal \
    combed comfy cooper cosmos cosmoses cottoned cottonseed crabbily crabby craftily crafty craggy \
    craniums crazily creepy crustier curselax cyclical dachshund damask damper dittos ditty doffing \
    drafting dragonium drama drizzled drizzles dynamo electric electrium electrodes electron electrons \
    enamored enamors enter executor exploded explored feedbags ferret flagon flagpole flaking flamingo \
    flamingos flamings forges fortress fracture frillier frilliest furred furriest gable gaunter ghastly \
    giblet gigabits glassier glimmer goalie gobble golden goldener goody goofy graffiti graveled \
    gravelled gravelly greediest greenest grime grimed grimes grimier grimmer groom groveled groveler \
    grubbier grubbing grumpier grumpily gulping guzzlers halts hamper happily hardier haunted headier \
    hellos helmet herder hippopotami hippopotamus hobble hooch hoopla hoops horse horsed horseman horses \
    horsey hunter ignite illumine illumined illumines illusive infernal inlay kahuna kiddo kindlier \
    kinglier kitten kitty known koala lambent lament landlords lantern lanterns lastly launcher leaking \
    levee lignite listen litter little louvered louvred lullaby macho magma magnetic magnetize magneto \
    magnetos malts manna mantises mantling marabous masquerade masquerading median medicate medicine \
    meditated meditates metaphor meting militant mimikium minion minor miscue mitten monkey needle \
    nerdier nimble nineties ninjas nosegays nybble offing owlet pamper papas parakeet pares parkas parks \
    parts passage patios peaking phantoms pheromone phone polished polities polliwog poltergeists \
    polygon ponytail primaries primarily primer purloin purloins quagmire quagmires rafts ramparts rants \
    rapidest ratios regicide regime register registered registers roomy rotor rubbish ruffle ruffled \
    ruffles rustle salience salts saunter scattering scraggly scythe scythed scythes seagoing sealed \
    sealer sealing seaming searing seating seeking sentient sentries service serviced services servile \
    serving servings shackle shamming sharped sharpens sharpers sharpest shellacs sheller shells \
    shielded shielding shiftily shifty shine shingling shins shiny shitty shuckses sinister slabbing \
    slacking slamming slang slanting slapping slashing slating slaving slaying slayings slink slithering \
    slogging slopping sloshing slotting slowing slowpokes smooched smooches sneakier sneaking snorer \
    soloists sombre speaking specifier sphinx spritzed spritzes spunky squiggle squirrel squirted \
    stancher starkly starrier starry startled startles steel steelier steeling steelium stuffily stunk \
    suckle sunken swaddle swampier swampiest swirling tallow tamper tangelo tangelos tarantula taros \
    tepid terrapin throb throe throw thunderous thunders thwacked tingle tingly torching tornadoes \
    tornados towel toxicity tranquil tranquiler tranquiller tranquilly traveler trophies tropics \
    tropisms turret tyrant vanillas vastly venomous vigorous volcanic volcanos wagon wanna warlord \
    wastrel watchdog watchdogs watching weeding weeing weeping weepings wheedle wheezing whiplash wobble \
    wombat wooer woofer workaday yammer";

/// Forme words as people write them → the word in Showdown ids ("Alolan" → "alola").
fn forme_word(word: String) -> String {
    match word.as_str() {
        "alolan" => "alola".into(),
        "galarian" => "galar".into(),
        "hisuian" => "hisui".into(),
        "paldean" => "paldea".into(),
        _ => word,
    }
}

/// Short words that never end a two-word misspelling ("Bolt and" is not Boltund).
const FUNCTION_WORDS: &[&str] =
    &["and", "are", "but", "for", "has", "its", "not", "the", "use", "vs", "with"];

/// Words that mark a forme, in either spelling.
const FORME_WORDS: &[&str] =
    &["alola", "alolan", "galar", "galarian", "hisui", "hisuian", "paldea", "paldean", "mega", "therian"];

/// Words (or pairs) per query checked for typos at most: each check scans the species ids.
const MAX_TYPO_LOOKUPS: usize = 12;

/// The dex's ids, for lookups without the cost of a failed `Dex::species` (which computes
/// suggestions) or a scan of a name table.
struct DexIds {
    species: BTreeSet<String>,
    /// The species ids by length: a typo of a word is within a few letters of its length.
    species_by_len: Vec<Vec<String>>,
    /// Moves, items, abilities and natures.
    terms: HashSet<String>,
}

impl DexIds {
    fn build(dex: &Dex) -> DexIds {
        let ids = |names: Vec<String>| names.iter().map(|name| to_id(name)).collect::<Vec<_>>();
        let mut terms: HashSet<String> = HashSet::new();
        for table in [dex.moves(), dex.items(), dex.abilities()] {
            terms.extend(ids(table.complete("", usize::MAX)));
        }
        terms.extend(dex.natures().iter().map(|n| n.id.clone()));
        let species: BTreeSet<String> = ids(dex.complete_species("", usize::MAX)).into_iter().collect();
        let mut species_by_len: Vec<Vec<String>> = Vec::new();
        for id in &species {
            if species_by_len.len() <= id.len() {
                species_by_len.resize(id.len() + 1, Vec::new());
            }
            species_by_len[id.len()].push(id.clone());
        }
        DexIds { species, species_by_len, terms }
    }

    fn contains(&self, id: &str) -> bool {
        self.species.contains(id)
    }

    /// Whether `id` names a move, item, ability or nature.
    fn is_term(&self, id: &str) -> bool {
        self.terms.contains(id)
    }

    /// Whether some species id is a typo of one of `candidates` (see [`typo_distance`]).
    fn near(&self, candidates: &[String], max: usize) -> bool {
        candidates.iter().any(|c| {
            let lengths = c.len().saturating_sub(max)..=c.len() + max;
            let ids = lengths.filter_map(|len| self.species_by_len.get(len)).flatten();
            ids.into_iter().any(|id| typo_distance(c, id, max).is_some())
        })
    }

    /// Whether some species id is `prefix` followed by a typo of `rest`: one edit away.
    fn completes_with_typo(&self, prefix: &str, rest: &str) -> bool {
        self.species
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|id| id.starts_with(prefix))
            .any(|id| edit_distance(&id[prefix.len()..], rest, 1) == Some(1))
    }

    /// The species id starting with `base` whose remainder starts with `letter`, when there is
    /// one (battle-only variants of it, such as "ogerponwellspringtera", do not count).
    fn abbreviated(&self, base: &str, letter: &str) -> Option<&str> {
        let matches: Vec<&str> = self
            .species
            .range::<str, _>((Bound::Included(base), Bound::Unbounded))
            .take_while(|id| id.starts_with(base))
            .filter(|id| id[base.len()..].starts_with(letter))
            .map(String::as_str)
            .collect();
        let shortest = matches.iter().min_by_key(|id| id.len())?;
        matches.iter().all(|id| id.starts_with(shortest)).then_some(*shortest)
    }
}

fn dex_ids(dex: &Dex) -> &'static DexIds {
    // There is one Dex (`crate::dex::dex()`); the tables are built from the first one seen.
    static IDS: OnceLock<DexIds> = OnceLock::new();
    IDS.get_or_init(|| DexIds::build(dex))
}

/// One word of the query.
struct Token<'a> {
    raw: &'a str,
    /// Showdown-style id of the whole token.
    id: String,
    /// Ids of its hyphen-separated parts, forme adjectives normalised.
    parts: Vec<String>,
}

fn tokenize(query: &str) -> Vec<Token<'_>> {
    query
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | ';' | '?' | '!' | '(' | ')' | '"' | '“' | '”' | '/' | '+' | '&' | '[' | ']'
                )
                || matches!(c, '{' | '}' | '<' | '>' | '|' | '*' | '=')
        })
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '♀' && c != '♂'))
        .map(|w| {
            let lower = w.to_lowercase();
            if lower.ends_with("'s") || lower.ends_with("’s") {
                &w[..w.len() - if lower.ends_with("'s") { 2 } else { 4 }]
            } else {
                w
            }
        })
        .filter(|w| !w.is_empty())
        .map(|raw| {
            let named = raw.replace('♀', "-F").replace('♂', "-M");
            let parts: Vec<String> =
                named.split(['-', '_']).map(to_id).filter(|p| !p.is_empty()).map(forme_word).collect();
            Token { raw, id: to_id(&named), parts }
        })
        .filter(|t| !t.id.is_empty())
        .collect()
}

/// Candidate ids for a run of words, most literal first: the words in order, then with leading
/// words moved behind the species name ("alola ninetales" → "ninetalesalola",
/// "mega charizard x" → "charizardmegax"), as the dex's own species lookup does. With `bases`,
/// words move only behind a species name ("white kyurem", but not "crown iron" from "..., Iron
/// Crown, Iron ...").
fn candidates(words: &[String], bases: Option<&DexIds>) -> Vec<String> {
    let mut out = vec![words.concat()];
    if words.len() <= 6 {
        for lead in 1..words.len() {
            for end in lead + 1..=words.len() {
                let base = words[lead..end].concat();
                if bases.is_some_and(|ids| !ids.contains(&base)) {
                    continue;
                }
                let id = [&words[lead..end], &words[..lead], &words[end..]].concat().concat();
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// Typos tolerated in a word of this many letters: none under 5, one up to 7, two from 8.
fn max_typos(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

/// The canonical dex ids of the Pokémon `query` names, in order of first mention, without
/// repeats.
///
/// Runs of one to three words are looked up, longest first, so "Iron Valiant", "Tapu Koko",
/// "Alolan Ninetales" and "Mega Charizard X" are one Pokémon each. Case, hyphens, punctuation
/// and a possessive "'s" do not matter; "Landorus-T", "Ogerpon-W" (a forme's first letter) work
/// when exactly one forme fits.
///
/// Misspellings ("kingambt", "dragonit", "great tusck", "ninetails alola") are corrected through
/// the dex's suggestions only when unambiguous: exactly one suggestion at the smallest edit
/// distance, that distance at most 1 for words of 5-7 letters and 2 from 8 letters, the second
/// edit only behind three intact first letters; shorter words are never corrected. Two words
/// are corrected together only when the first starts a longer species name ("great" → Great
/// Tusk) or one of them is a forme word ("alolan", "galar").
///
/// Ordinary English stays English: the names in [`ENGLISH_SPECIES`] count only capitalised,
/// and the words in [`NOT_TYPOS`], moves, items, abilities and natures are never corrected.
pub fn mentioned_pokemon(query: &str, dex: &Dex) -> Vec<String> {
    Finder { dex, ids: dex_ids(dex), guard: true, lookups: 0 }.find(query)
}

/// One query's lookups.
struct Finder<'d> {
    dex: &'d Dex,
    ids: &'d DexIds,
    /// Whether [`NOT_TYPOS`] applies (off only to test that list).
    guard: bool,
    /// Typo lookups so far.
    lookups: usize,
}

impl Finder<'_> {
    fn find(&mut self, query: &str) -> Vec<String> {
        let tokens = tokenize(query);
        let mut found: Vec<String> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let rest = &tokens[i..];
            if let Some(used) = self.dex_term(rest) {
                // "Dragon Tail", "Roseli Berry", "Dauntless Shield": not a misspelt Pokémon.
                i += used;
                continue;
            }
            let matched = self.typo_pair(rest).or_else(|| self.typo_single(&rest[0]));
            let Some((id, used)) = self.exact(rest).or(matched) else {
                i += 1;
                continue;
            };
            if !found.contains(&id) {
                found.push(id);
            }
            i += used;
        }
        found
    }

    /// An exact species name starting at `tokens[0]`: (id, tokens used).
    fn exact(&self, tokens: &[Token<'_>]) -> Option<(String, usize)> {
        for n in (1..=tokens.len().min(3)).rev() {
            let words: Vec<String> = tokens[..n].iter().flat_map(|t| t.parts.iter().cloned()).collect();
            let Some(id) = candidates(&words, Some(self.ids)).into_iter().find(|c| self.ids.contains(c))
            else {
                continue;
            };
            let english = n == 1
                && ENGLISH_SPECIES.contains(&id.as_str())
                && !tokens[0].raw.chars().any(char::is_uppercase);
            if !english {
                return Some((id, n));
            }
        }
        // "Landorus-T", "Ogerpon-W": the one forme starting with that letter.
        match tokens[0].parts.as_slice() {
            [base @ .., letter] if !base.is_empty() && letter.len() == 1 => {
                self.ids.abbreviated(&base.concat(), letter).map(|id| (id.to_owned(), 1))
            }
            _ => None,
        }
    }

    /// Whether `id` names a move, item, ability or nature.
    fn in_dex(&self, id: &str) -> bool {
        self.ids.is_term(id)
    }

    /// A move, item or ability of two or three words starting at `tokens[0]`: tokens used.
    fn dex_term(&self, tokens: &[Token<'_>]) -> Option<usize> {
        (2..=tokens.len().min(3)).rev().find(|&n| {
            let id: String = tokens[..n].iter().map(|t| t.id.as_str()).collect();
            !self.ids.contains(&id) && self.in_dex(&id)
        })
    }

    /// Whether `t` may be typo-corrected at all.
    fn correctable(&self, t: &Token<'_>) -> bool {
        let listed = self.guard && NOT_TYPOS.split_ascii_whitespace().any(|w| w == t.id);
        t.id.chars().all(|c| c.is_ascii_alphabetic()) && !listed && !self.in_dex(&t.id)
    }

    /// Two words misspelt as one Pokémon: the first starts a longer species name and the second
    /// is one edit from the rest of it ("great tusck"), or one is a forme word ("alolan
    /// ninetails", "ninetails alola").
    fn typo_pair(&mut self, tokens: &[Token<'_>]) -> Option<(String, usize)> {
        let [a, b, ..] = tokens else { return None };
        let words: Vec<String> = [a, b].iter().flat_map(|t| t.parts.iter().cloned()).collect();
        let forme = |t: &Token<'_>| FORME_WORDS.contains(&t.id.as_str());
        let candidates = if (forme(a) && self.correctable(b)) || (forme(b) && self.correctable(a)) {
            candidates(&words, None)
        } else if a.id.len() >= 3
            && b.id.len() >= 3
            && !self.in_dex(&a.id)
            && !FUNCTION_WORDS.contains(&b.id.as_str())
            && self.correctable(b)
            && self.ids.completes_with_typo(&a.id, &b.id)
        {
            vec![words.concat()]
        } else {
            return None;
        };
        let max = max_typos(words.iter().map(String::len).sum());
        self.suggestion(&format!("{} {}", a.raw, b.raw), &candidates, max).map(|id| (id, 2))
    }

    fn typo_single(&mut self, t: &Token<'_>) -> Option<(String, usize)> {
        let max = max_typos(t.id.len());
        if max == 0 || !self.correctable(t) {
            return None;
        }
        self.suggestion(t.raw, &candidates(&t.parts, None), max).map(|id| (id, 1))
    }

    /// The dex's one suggestion for `text` within `max` edits of a candidate id, if exactly
    /// one is closest.
    fn suggestion(&mut self, text: &str, candidates: &[String], max: usize) -> Option<String> {
        if self.lookups >= MAX_TYPO_LOOKUPS {
            return None;
        }
        self.lookups += 1;
        // The dex's suggestions are the authority, but asking costs a scan with several
        // candidates per species: ask only when some species is within reach at all.
        if !self.ids.near(candidates, max) {
            return None;
        }
        let Err(DexError::UnknownSpecies { suggestions, .. }) = self.dex.species(text, None) else {
            return None;
        };
        let mut scored: Vec<(usize, String)> = suggestions
            .iter()
            .filter_map(|name| {
                let id = to_id(name);
                let distance = candidates.iter().filter_map(|c| typo_distance(c, &id, max)).min()?;
                Some((distance, id))
            })
            .collect();
        scored.sort();
        match scored.as_slice() {
            [(_, id)] => Some(id.clone()),
            [(best, id), (next, _), ..] if best < next => Some(id.clone()),
            _ => None,
        }
    }
}

/// The typo distance of `candidate` from species id `id`, if it counts as a typo: at most
/// `max` edits, and a second edit only behind an intact start ("garchmopp", not "sweeping").
fn typo_distance(candidate: &str, id: &str, max: usize) -> Option<usize> {
    let distance = edit_distance(candidate, id, max)?;
    (distance >= 1 && (distance == 1 || candidate.get(..3) == id.get(..3))).then_some(distance)
}

/// Optimal string alignment distance of two ids (the dex's own measure), if it is at most `max`.
fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    crate::dex::osa_distance_within(a, b, max)
}

#[cfg(test)]
mod tests;
