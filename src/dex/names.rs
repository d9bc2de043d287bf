//! Name normalisation and "did you mean" suggestions.
//!
//! Everything is matched on Showdown-style ids (`to_id`), so "Mr. Mime",
//! "mr mime" and "MR-MIME" are the same key. Species queries additionally
//! understand natural forme wording ("Alolan Ninetales", "Mega Charizard X").

/// How many suggestions an `Unknown*` error carries at most.
pub(crate) const MAX_SUGGESTIONS: usize = 5;

/// Queries longer than this many words are not re-ordered; real names have at
/// most four or five words and this bounds the (quadratic) candidate count.
const MAX_REORDER_WORDS: usize = 6;

/// Showdown-style id: lowercase ASCII letters and digits only.
///
/// Accented Latin letters are folded first ("Flabébé" → "flabebe"), which is
/// what Showdown's own ids amount to for every name in the dex; everything
/// else (spaces, hyphens, dots, apostrophes of any kind, colons) is dropped.
pub(crate) fn to_id(s: &str) -> String {
    id_chars(s).collect()
}

/// Whether `to_id(name) == id`, without building the id: lookups that scan every entry of a
/// usage report or a breakdown by name run this hundreds of times per call.
pub(crate) fn is_id(name: &str, id: &str) -> bool {
    id_chars(name).eq(id.chars())
}

fn id_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().map(fold_accent).filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase())
}

/// Maps Latin-1 accented letters to their base letter. A tiny table instead of
/// full Unicode normalisation: it covers every accent in Pokémon names and keeps
/// the crate free of a normalisation dependency on wasm.
fn fold_accent(c: char) -> char {
    match c {
        'à'..='å' | 'À'..='Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è'..='ë' | 'È'..='Ë' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò'..='ö' | 'Ò'..='Ö' | 'ø' | 'Ø' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        _ => c,
    }
}

/// Forme adjectives as people say them → the forme word used in Showdown ids.
fn forme_word(token: String) -> String {
    let canonical = match token.as_str() {
        "alolan" => "alola",
        "galarian" => "galar",
        "hisuian" => "hisui",
        "paldean" => "paldea",
        "gigantamax" => "gmax",
        _ => return token,
    };
    canonical.to_owned()
}

/// Candidate ids for a species query, most literal first.
///
/// The first candidate is the plain id ("Ninetales Alola" → "ninetalesalola").
/// The others move leading words behind the species name, so prefix wording
/// finds the Showdown forme: "Alolan Ninetales" → "ninetalesalola",
/// "Mega Charizard X" → "charizardmegax", "Galarian Mr. Mime" → "mrmimegalar".
pub(crate) fn species_candidates(query: &str) -> Vec<String> {
    // ♀/♂ are part of the name (Nidoran♀ is "nidoranf"), not punctuation.
    let query = query.replace('♀', "-F").replace('♂', "-M");
    let words: Vec<String> = query
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .map(to_id)
        .filter(|w| !w.is_empty())
        .map(forme_word)
        .collect();

    let mut candidates = vec![words.concat()];
    if words.len() <= MAX_REORDER_WORDS {
        // words[..lead] is the forme wording, words[lead..end] the species name.
        for lead in 1..words.len() {
            for end in lead + 1..=words.len() {
                let id = [&words[lead..end], &words[..lead], &words[end..]].concat().concat();
                if !candidates.contains(&id) {
                    candidates.push(id);
                }
            }
        }
    }
    candidates
}

/// One entry that a suggestion may name.
pub(crate) struct Candidate<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// Formes rank after base species at equal distance ("Pikachuu" → Pikachu first).
    pub is_forme: bool,
}

/// "Did you mean" display names for an unknown query, best first.
///
/// `queries` are the ids the query could stand for (see `species_candidates`);
/// an entry matches when one of them is within a length-dependent
/// Damerau–Levenshtein (optimal string alignment) distance of its id, when one
/// is a prefix of the other (a truncated "Tauros Paldea" finds
/// "Tauros-Paldea-Combat", an over-long "Charizard Mega" finds Charizard), or
/// when the query occurs inside the id ("chomp" → Garchomp). Ranked by that
/// score, then base species before formes, then name.
pub(crate) fn suggest<'a>(
    queries: &[String],
    pool: impl IntoIterator<Item = Candidate<'a>>,
    limit: usize,
) -> Vec<String> {
    let mut scored: Vec<(usize, bool, &str)> =
        pool.into_iter().filter_map(|c| score(queries, c.id).map(|s| (s, c.is_forme, c.name))).collect();
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.2 == b.2);
    scored.into_iter().take(limit).map(|(_, _, name)| name.to_owned()).collect()
}

/// Best (lowest) match score of `id` against any query, or None if too far.
fn score(queries: &[String], id: &str) -> Option<usize> {
    queries
        .iter()
        .filter(|q| !q.is_empty())
        .filter_map(|q| {
            let max = max_distance(q.len());
            if let Some(distance) = osa_distance_within(q, id, max) {
                Some(distance)
            } else if q.len() >= 3 && id.starts_with(q.as_str()) {
                // A truncated name is a plausible intent, but no better than a typo.
                Some(max)
            } else if (id.len() >= 4 && q.starts_with(id)) || (q.len() >= 4 && id.contains(q.as_str())) {
                // Extra words, or a fragment from the middle: weaker still.
                Some(max + 1)
            } else {
                None
            }
        })
        .min()
}

/// Typos tolerated for a query id of this length: short ids get little slack,
/// otherwise "mew" would suggest half the dex.
fn max_distance(len: usize) -> usize {
    match len {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
}

/// [`osa_distance`] when it is at most `max`, else `None`, without computing it in full: ids
/// whose lengths differ by more than `max` are skipped, and the table stops at the first row
/// from which every path already costs more than `max`. The typo scans run this against every
/// species id for every word of a question (issue #14: a cold `query_strategy` spent
/// milliseconds here), so it also avoids the heap for ids of usual length.
pub(crate) fn osa_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    const WIDTH: usize = 48;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > max || bag_distance(a, b) > max {
        return None;
    }
    if b.len() >= WIDTH {
        let distance = osa_distance_bytes(a, b);
        return (distance <= max).then_some(distance);
    }
    // rows[(i + 3) % 3]: row i, with i - 1 and i - 2 the two before it.
    let mut rows = [[0usize; WIDTH]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(b.len() + 1) {
        *cell = j;
    }
    let mut previous_min = 0;
    for i in 1..=a.len() {
        let (cur, prev, before) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[prev][j] + 1).min(rows[cur][j - 1] + 1).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[before][j - 2] + 1);
            }
            rows[cur][j] = best;
            row_min = row_min.min(best);
        }
        // Row i + 1 builds on rows i and i - 1 (a transposition adds 1 to the latter): past
        // `max` in both, every later row is too.
        if row_min > max && previous_min >= max {
            return None;
        }
        previous_min = row_min;
    }
    let distance = rows[a.len() % 3][b.len()];
    (distance <= max).then_some(distance)
}

/// A lower bound of the edit distance that costs one pass: the letters one id has and the other
/// lacks (an edit changes at most one on each side; a transposition none). Bytes share 32
/// buckets (`c & 31`): merged letters can only lower the count, so it stays a lower bound.
fn bag_distance(a: &[u8], b: &[u8]) -> usize {
    let mut counts = [0i16; 32];
    for &c in a {
        counts[usize::from(c & 31)] += 1;
    }
    for &c in b {
        counts[usize::from(c & 31)] -= 1;
    }
    let (mut extra, mut missing) = (0usize, 0usize);
    for &n in &counts {
        if n > 0 {
            extra += n.unsigned_abs() as usize;
        } else {
            missing += n.unsigned_abs() as usize;
        }
    }
    extra.max(missing)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions,
/// each substring edited once) between two ASCII ids.
#[cfg(test)]
fn osa_distance(a: &str, b: &str) -> usize {
    osa_distance_bytes(a.as_bytes(), b.as_bytes())
}

fn osa_distance_bytes(a: &[u8], b: &[u8]) -> usize {
    // Three rolling rows: i-2, i-1 and i.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_id_strips_case_punctuation_and_accents() {
        assert_eq!(to_id("Mr. Mime"), "mrmime");
        assert_eq!(to_id("GARCHOMP"), "garchomp");
        assert_eq!(to_id("Farfetch’d"), "farfetchd");
        assert_eq!(to_id("Flabébé"), "flabebe");
        assert_eq!(to_id("Type: Null"), "typenull");
        assert_eq!(to_id("Porygon-Z"), "porygonz");
        assert_eq!(to_id("  "), "");
    }

    #[test]
    fn species_candidates_reorder_forme_wording() {
        assert_eq!(species_candidates("Ninetales-Alola")[0], "ninetalesalola");
        assert!(species_candidates("Alolan Ninetales").contains(&"ninetalesalola".to_owned()));
        assert!(species_candidates("Mega Charizard X").contains(&"charizardmegax".to_owned()));
        assert!(species_candidates("Galarian Mr. Mime").contains(&"mrmimegalar".to_owned()));
        assert!(species_candidates("Primal Groudon").contains(&"groudonprimal".to_owned()));
        assert_eq!(species_candidates("Nidoran♀")[0], "nidoranf");
    }

    #[test]
    fn osa_counts_transpositions_as_one_edit() {
        assert_eq!(osa_distance("garchmop", "garchomp"), 1);
        assert_eq!(osa_distance("pikachuu", "pikachu"), 1);
        assert_eq!(osa_distance("", "abc"), 3);
        assert_eq!(osa_distance("kitten", "sitting"), 3);
        assert_eq!(osa_distance("ca", "abc"), 3); // OSA, not unrestricted Damerau (2)
    }

    #[test]
    fn is_id_agrees_with_to_id() {
        for name in
            ["Mr. Mime", "GARCHOMP", "Farfetch’d", "Flabébé", "Type: Null", "", "-", "Ho-Oh", "Kommo-o"]
        {
            let id = to_id(name);
            assert!(is_id(name, &id), "{name}");
            assert!(!is_id(name, &format!("{id}x")), "{name}");
            assert!(id.is_empty() || !is_id(name, &id[1..]), "{name}");
        }
    }

    #[test]
    fn bounded_distance_agrees_with_the_full_table() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "garchomp",
            "garchmop",
            "grachomp",
            "kingambit",
            "kingambt",
            "dragonite",
            "dragonit",
            "ninetalesalola",
            "ninetailsalola",
            "greattusk",
            "greattusck",
            "ironvaliant",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
            "zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlkjihgfedcbaz",
        ];
        for a in words {
            for b in words {
                let full = osa_distance(a, b);
                for max in 0..5 {
                    assert_eq!(
                        osa_distance_within(a, b, max),
                        (full <= max).then_some(full),
                        "{a} {b} {max}"
                    );
                }
            }
        }
    }

    #[test]
    fn suggestions_rank_close_typos_and_base_species_first() {
        let pool = [
            ("pikachu", "Pikachu", false),
            ("pikachualola", "Pikachu-Alola", true),
            ("raichu", "Raichu", false),
        ];
        let candidates = || pool.iter().map(|&(id, name, is_forme)| Candidate { id, name, is_forme });
        assert_eq!(suggest(&["pikachuu".into()], candidates(), 5), ["Pikachu"]);
        assert_eq!(suggest(&["pika".into()], candidates(), 5), ["Pikachu", "Pikachu-Alola"]);
        assert_eq!(suggest(&["raichualola".into()], candidates(), 5), ["Raichu"]);
        assert_eq!(suggest(&["chu".into()], candidates(), 5), Vec::<String>::new());
        // Typos within the distance outrank a fragment of a longer id.
        assert_eq!(suggest(&["kachu".into()], candidates(), 5), ["Pikachu", "Raichu", "Pikachu-Alola"]);
        assert!(suggest(&["zzzz".into()], candidates(), 5).is_empty());
    }
}
