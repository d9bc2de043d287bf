//! Format ids (`gen9ou`, `gen9vgc2024`, `gen9doublesou`) and the upstream URLs built from them.

use serde::Serialize;

use super::CorpusError;
use crate::dex::{to_id, MAX_GEN, MIN_GEN};

const SMOGON_DEX: &str = "https://www.smogon.com/dex";
const SMOGON_STATS: &str = "https://www.smogon.com/stats";
const PKMN_DATA: &str = "https://data.pkmn.cc";

/// Smogon's dex names each generation by its games, in generation order.
const DEX_GEN_PATHS: [&str; 9] = ["rb", "gs", "rs", "dp", "bw", "xy", "sm", "ss", "sv"];

/// Rating cutoffs Smogon publishes for most formats, and for the two most-played ones, which get
/// higher cutoffs in place of 1630 and 1760 (see PROVENANCE.md).
const CUTOFFS: [u32; 4] = [0, 1500, 1630, 1760];
const POPULAR_CUTOFFS: [u32; 4] = [0, 1500, 1695, 1825];
const POPULAR_FORMATS: [&str; 2] = ["gen9ou", "gen9doublesou"];

/// A Showdown format id: generation plus metagame.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Format {
    id: String,
    gen: u8,
}

/// Which Smogon statistics file (its folder name on smogon.com/stats, in JSON too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatsKind {
    /// Detailed JSON: `stats/<month>/chaos/<format>-<cutoff>.json`.
    Chaos,
    /// Fixed-width text per species: `stats/<month>/moveset/<format>-<cutoff>.txt`.
    Moveset,
    /// The usage ranking table: `stats/<month>/<format>-<cutoff>.txt`.
    Usage,
}

impl StatsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chaos => "chaos",
            Self::Moveset => "moveset",
            Self::Usage => "usage",
        }
    }
}

impl Format {
    /// Parses `gen9ou`, also written loosely (`Gen9OU`, `[Gen 9] OU`): `gen`, one digit 1-9,
    /// then a non-empty metagame. Only one digit is read, so `gen11v1` is gen 1 `1v1`.
    pub fn parse(s: &str) -> Result<Format, CorpusError> {
        let id = to_id(s);
        let invalid = || CorpusError::InvalidFormat(s.to_owned());
        let rest = id.strip_prefix("gen").ok_or_else(invalid)?;
        let digit = rest.bytes().next().ok_or_else(invalid)?;
        let gen = digit.wrapping_sub(b'0');
        if !(MIN_GEN..=MAX_GEN).contains(&gen) || rest.len() < 2 {
            return Err(invalid());
        }
        Ok(Format { id, gen })
    }

    /// The canonical id, e.g. `gen9ou`.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn gen(&self) -> u8 {
        self.gen
    }

    /// The id without its generation, e.g. `ou`, `vgc2024`, `doublesou`.
    pub fn metagame(&self) -> &str {
        // "gen" and one ASCII digit, checked by `parse`.
        &self.id[4..]
    }

    /// Smogon's dex path for the generation: `sv` for gen 9.
    /// Doubles formats (Doubles OU, VGC, Battle Stadium Doubles, 2v2): spread moves hit two.
    pub fn is_doubles(&self) -> bool {
        let id = self.id();
        id.contains("doubles") || id.contains("vgc") || id.contains("2v2") || id.contains("battlestadium")
    }

    pub fn dex_gen_path(&self) -> &'static str {
        DEX_GEN_PATHS[usize::from(self.gen - 1)]
    }

    /// The metagame's segment in Smogon dex URLs, when it has a stable one. VGC has none: Smogon
    /// splits a VGC year into regulations (`vgc24-regulation-f`, ...) that a year cannot name,
    /// and a wrong segment is a 404 where the species page always exists.
    pub fn smogon_format_slug(&self) -> Option<&'static str> {
        Some(match self.metagame() {
            "ou" => "ou",
            "ubers" => "uber",
            "uu" => "uu",
            "ru" => "ru",
            "nu" => "nu",
            "pu" => "pu",
            "zu" => "zu",
            "lc" => "lc",
            "doublesou" => "doubles",
            "monotype" => "monotype",
            "1v1" => "1v1",
            "anythinggoes" => "ag",
            "nationaldex" => "national-dex",
            "cap" => "cap",
            _ => return None,
        })
    }

    /// The species' Smogon strategy page for this format, e.g.
    /// `https://www.smogon.com/dex/sv/pokemon/kingambit/ou/` (the species page when the format
    /// has no known segment).
    pub fn smogon_dex_url(&self, species_name: &str) -> String {
        let base =
            format!("{SMOGON_DEX}/{}/pokemon/{}/", self.dex_gen_path(), smogon_species_slug(species_name));
        match self.smogon_format_slug() {
            Some(slug) => format!("{base}{slug}/"),
            None => base,
        }
    }

    /// data.pkmn.cc's sets for the format (refreshed daily from Smogon).
    pub fn sets_url(&self) -> String {
        format!("{PKMN_DATA}/sets/{}.json", self.id)
    }

    /// data.pkmn.cc's analyses for the format.
    pub fn analyses_url(&self) -> String {
        format!("{PKMN_DATA}/analyses/{}.json", self.id)
    }

    /// data.pkmn.cc's condensed monthly statistics for the format.
    pub fn pkmn_stats_url(&self) -> String {
        format!("{PKMN_DATA}/stats/{}.json", self.id)
    }

    /// The cutoffs Smogon currently publishes for this format, lowest first.
    pub fn cutoffs(&self) -> [u32; 4] {
        if POPULAR_FORMATS.contains(&self.id.as_str()) {
            POPULAR_CUTOFFS
        } else {
            CUTOFFS
        }
    }

    /// A Smogon statistics URL for `month` (`YYYY-MM`) and `cutoff`. Any cutoff Smogon has
    /// published is accepted, not only [`Format::cutoffs`]: which formats count as popular has
    /// changed over the years (gen7ou used 1695 in 2018), and old months stay online.
    pub fn stats_url(&self, kind: StatsKind, month: &str, cutoff: u32) -> Result<String, CorpusError> {
        check_month(month)?;
        if !CUTOFFS.contains(&cutoff) && !POPULAR_CUTOFFS.contains(&cutoff) {
            return Err(CorpusError::InvalidCutoff(cutoff));
        }
        let id = &self.id;
        Ok(match kind {
            StatsKind::Chaos => format!("{SMOGON_STATS}/{month}/chaos/{id}-{cutoff}.json"),
            StatsKind::Moveset => format!("{SMOGON_STATS}/{month}/moveset/{id}-{cutoff}.txt"),
            StatsKind::Usage => format!("{SMOGON_STATS}/{month}/{id}-{cutoff}.txt"),
        })
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

/// Checks a statistics month: `YYYY-MM`, month 01-12.
pub(crate) fn check_month(month: &str) -> Result<(), CorpusError> {
    let bytes = month.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    let valid = bytes.len() == 7
        && bytes[4] == b'-'
        && digits(0..4)
        && digits(5..7)
        && (1..=12).contains(&((bytes[5] - b'0') * 10 + (bytes[6] - b'0')));
    if valid {
        Ok(())
    } else {
        Err(CorpusError::InvalidMonth(month.to_owned()))
    }
}

/// Smogon's URL alias of a species: lowercase words joined by hyphens, accents folded and other
/// punctuation dropped ("Ninetales-Alola" → `ninetales-alola`, "Mr. Mime" → `mr-mime`,
/// "Farfetch’d" → `farfetchd`, "Nidoran♀" → `nidoran-f`).
pub(crate) fn smogon_species_slug(name: &str) -> String {
    // Smogon's one special case (pkmn/smogon `toPokemonAlias`): the male forme is explicit.
    if to_id(name) == "meowstic" {
        return "meowstic-m".to_owned();
    }
    let name = name.replace('♀', "-F").replace('♂', "-M");
    let words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .map(to_id)
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(id: &str) -> Format {
        Format::parse(id).unwrap_or_else(|e| panic!("{id}: {e}"))
    }

    #[test]
    fn parses_generation_and_metagame() {
        for (id, gen, metagame) in [
            ("gen9ou", 9, "ou"),
            ("gen4uu", 4, "uu"),
            ("gen9vgc2024", 9, "vgc2024"),
            ("gen9doublesou", 9, "doublesou"),
            ("gen11v1", 1, "1v1"),
            ("[Gen 9] OU", 9, "ou"),
        ] {
            let f = format(id);
            assert_eq!((f.gen(), f.metagame()), (gen, metagame), "{id}");
        }
        assert_eq!(format("Gen9OU").id(), "gen9ou");
    }

    #[test]
    fn rejects_bad_ids() {
        for bad in ["", "ou", "gen", "gen9", "gen0ou", "genxou", "9ou"] {
            assert_eq!(Format::parse(bad), Err(CorpusError::InvalidFormat(bad.into())), "{bad:?}");
        }
    }

    #[test]
    fn dex_generation_paths() {
        let paths: Vec<&str> = (1..=9).map(|g| format(&format!("gen{g}ou")).dex_gen_path()).collect();
        assert_eq!(paths, ["rb", "gs", "rs", "dp", "bw", "xy", "sm", "ss", "sv"]);
    }

    #[test]
    fn smogon_strategy_page_urls() {
        assert_eq!(
            format("gen9ou").smogon_dex_url("Kingambit"),
            "https://www.smogon.com/dex/sv/pokemon/kingambit/ou/"
        );
        assert_eq!(
            format("gen9ou").smogon_dex_url("Ninetales-Alola"),
            "https://www.smogon.com/dex/sv/pokemon/ninetales-alola/ou/"
        );
        assert_eq!(
            format("gen7ou").smogon_dex_url("Landorus-Therian"),
            "https://www.smogon.com/dex/sm/pokemon/landorus-therian/ou/"
        );
        assert_eq!(
            format("gen1ubers").smogon_dex_url("Mewtwo"),
            "https://www.smogon.com/dex/rb/pokemon/mewtwo/uber/"
        );
        assert_eq!(
            format("gen9doublesou").smogon_dex_url("Iron Hands"),
            "https://www.smogon.com/dex/sv/pokemon/iron-hands/doubles/"
        );
        assert_eq!(
            format("gen4uu").smogon_dex_url("Mr. Mime"),
            "https://www.smogon.com/dex/dp/pokemon/mr-mime/uu/"
        );
        // VGC years have no single Smogon format segment: the species page.
        assert_eq!(
            format("gen9vgc2024").smogon_dex_url("Urshifu-Rapid-Strike"),
            "https://www.smogon.com/dex/sv/pokemon/urshifu-rapid-strike/"
        );
    }

    #[test]
    fn species_slugs() {
        for (name, slug) in [
            ("Kingambit", "kingambit"),
            ("Great Tusk", "great-tusk"),
            ("Farfetch’d", "farfetchd"),
            ("Type: Null", "type-null"),
            ("Flabébé", "flabebe"),
            ("Nidoran♀", "nidoran-f"),
            ("Zygarde-10%", "zygarde-10"),
            ("Ho-Oh", "ho-oh"),
            ("Meowstic", "meowstic-m"),
        ] {
            assert_eq!(smogon_species_slug(name), slug, "{name}");
        }
    }

    #[test]
    fn pkmn_data_urls() {
        let f = format("gen9ou");
        assert_eq!(f.sets_url(), "https://data.pkmn.cc/sets/gen9ou.json");
        assert_eq!(f.analyses_url(), "https://data.pkmn.cc/analyses/gen9ou.json");
        assert_eq!(f.pkmn_stats_url(), "https://data.pkmn.cc/stats/gen9ou.json");
    }

    #[test]
    fn cutoffs_per_format() {
        assert_eq!(format("gen9ou").cutoffs(), [0, 1500, 1695, 1825]);
        assert_eq!(format("gen9doublesou").cutoffs(), [0, 1500, 1695, 1825]);
        assert_eq!(format("gen9uu").cutoffs(), [0, 1500, 1630, 1760]);
        assert_eq!(format("gen1ou").cutoffs(), [0, 1500, 1630, 1760]);
    }

    #[test]
    fn smogon_stats_urls() {
        let f = format("gen9ou");
        assert_eq!(
            f.stats_url(StatsKind::Chaos, "2024-06", 1695).unwrap(),
            "https://www.smogon.com/stats/2024-06/chaos/gen9ou-1695.json"
        );
        assert_eq!(
            f.stats_url(StatsKind::Moveset, "2024-06", 1825).unwrap(),
            "https://www.smogon.com/stats/2024-06/moveset/gen9ou-1825.txt"
        );
        assert_eq!(
            format("gen7ou").stats_url(StatsKind::Usage, "2018-02", 1695).unwrap(),
            "https://www.smogon.com/stats/2018-02/gen7ou-1695.txt"
        );
        assert_eq!(
            format("gen1ou").stats_url(StatsKind::Chaos, "2018-02", 1760).unwrap(),
            "https://www.smogon.com/stats/2018-02/chaos/gen1ou-1760.json"
        );
        assert_eq!(f.stats_url(StatsKind::Chaos, "2024-06", 1700), Err(CorpusError::InvalidCutoff(1700)));
        for month in ["2024-6", "2024-13", "2024-00", "24-06-01", "2024/06", "abcd-ef"] {
            assert_eq!(f.stats_url(StatsKind::Chaos, month, 0), Err(CorpusError::InvalidMonth(month.into())));
        }
    }
}
