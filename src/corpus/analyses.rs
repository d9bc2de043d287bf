//! Smogon analyses as data.pkmn.cc ships them.
//!
//! `{Species: {overview?: html, comments?: html, sets: {SetName: {description?: html}},
//! credits?: {writtenBy: [member], teams: [{name, members: [member]}]}}}`. The HTML is kept as
//! given; [`super::html::html_to_text`] turns it into text where documents are built.

use serde::{Deserialize, Serialize};

use super::json::{Entries, Json};
use super::{CorpusError, Skipped};

/// One format's analyses, in file order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct AnalysesFile {
    pub species: Vec<SpeciesAnalysis>,
    /// Species left out because they did not match the schema.
    pub skipped: Vec<Skipped>,
}

/// One species' analysis. Any part may be missing: some species have only set descriptions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SpeciesAnalysis {
    pub species: String,
    /// HTML.
    pub overview: Option<String>,
    /// HTML ("Other Options", "Checks and Counters", ...).
    pub comments: Option<String>,
    pub sets: Vec<SetAnalysis>,
    pub credits: Option<Credits>,
}

/// One set's write-up; the name matches the set in the sets file of the same format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SetAnalysis {
    pub name: String,
    /// HTML; None when the analysis lists the set without describing it.
    pub description: Option<String>,
}

/// Who wrote and checked an analysis (usernames).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Credits {
    pub written_by: Vec<String>,
    /// Team name ("Quality checked by") → members.
    pub teams: Vec<(String, Vec<String>)>,
}

impl Credits {
    /// "Written by A and B. Quality checked by C, D. Grammar checked by E." — empty when nobody
    /// is named.
    pub(crate) fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.written_by.is_empty() {
            parts.push(format!("Written by {}.", join_names(&self.written_by)));
        }
        for (team, members) in self.teams.iter().filter(|(_, m)| !m.is_empty()) {
            parts.push(format!("{team} {}.", join_names(members)));
        }
        parts.join(" ")
    }
}

/// "A", "A and B", "A, B and C".
fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
impl AnalysesFile {
    /// A species' analysis, matched on its id.
    pub(crate) fn get(&self, species: &str) -> Option<&SpeciesAnalysis> {
        use crate::dex::{is_id, to_id};
        let id = to_id(species);
        self.species.iter().find(|s| is_id(&s.species, &id))
    }
}

/// Parses a data.pkmn.cc analyses file. Fails only if the file is not a JSON object; a species
/// entry that does not match the schema is skipped and reported.
pub(crate) fn parse_analyses(json: &str) -> Result<AnalysesFile, CorpusError> {
    let root = Json::parse(json, "analyses")?;
    let entries =
        root.entries().ok_or_else(|| CorpusError::malformed("analyses", "expected an object of species"))?;
    let mut file = AnalysesFile { species: Vec::with_capacity(entries.len()), skipped: Vec::new() };
    for (species, value) in entries {
        match value.to::<RawAnalysis>() {
            Ok(raw) => file.species.push(raw.into_analysis(species.clone())),
            Err(reason) => file.skipped.push(Skipped::new(species, reason)),
        }
    }
    Ok(file)
}

#[derive(Deserialize)]
struct RawAnalysis {
    overview: Option<String>,
    comments: Option<String>,
    #[serde(default)]
    sets: Entries<RawSetAnalysis>,
    credits: Option<RawCredits>,
}

#[derive(Deserialize)]
struct RawSetAnalysis {
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCredits {
    #[serde(default)]
    written_by: Vec<RawMember>,
    #[serde(default)]
    teams: Vec<RawTeam>,
}

#[derive(Deserialize)]
struct RawTeam {
    name: String,
    #[serde(default)]
    members: Vec<RawMember>,
}

#[derive(Deserialize)]
struct RawMember {
    username: String,
}

impl RawAnalysis {
    fn into_analysis(self, species: String) -> SpeciesAnalysis {
        let usernames = |members: Vec<RawMember>| members.into_iter().map(|m| m.username).collect();
        SpeciesAnalysis {
            species,
            overview: non_blank(self.overview),
            comments: non_blank(self.comments),
            sets: self
                .sets
                .0
                .into_iter()
                .map(|(name, set)| SetAnalysis { name, description: non_blank(set.description) })
                .collect(),
            credits: self.credits.map(|c| Credits {
                written_by: usernames(c.written_by),
                teams: c.teams.into_iter().map(|t| (t.name, usernames(t.members))).collect(),
            }),
        }
    }
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::shared_data;

    fn subset() -> AnalysesFile {
        parse_analyses(&shared_data("pkmn-analyses/gen9ou.subset.json")).unwrap()
    }

    #[test]
    fn parses_the_real_subset() {
        let file = subset();
        assert_eq!(file.skipped, []);
        let names: Vec<&str> = file.species.iter().map(|s| s.species.as_str()).collect();
        assert_eq!(names, ["Venusaur", "Ninetales-Alola", "Arcanine-Hisui", "Zapdos", "Dragonite"]);

        let dragonite = file.get("dragonite").unwrap();
        assert!(dragonite.overview.as_deref().unwrap().starts_with("<p>Dragonite stands out"));
        assert!(dragonite.comments.as_deref().unwrap().starts_with("<h3>Other Options</h3>"));
        let sets: Vec<&str> = dragonite.sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            sets,
            [
                "Dragon Dance",
                "Dragon Dance + Tera Blast",
                "Dragon Dance + Scale Shot",
                "Bulky Attacker",
                "Choice Band"
            ]
        );
        assert!(dragonite.sets.iter().all(|s| s.description.is_some()));

        // Only set descriptions, no overview or comments.
        let venusaur = file.get("Venusaur").unwrap();
        assert_eq!(
            (venusaur.overview.as_ref(), venusaur.comments.as_ref(), venusaur.sets.len()),
            (None, None, 1)
        );

        // A set listed without a description, and no credits.
        let arcanine = file.get("Arcanine-Hisui").unwrap();
        assert_eq!(arcanine.sets, [SetAnalysis { name: "Choice Band".into(), description: None }]);
        assert_eq!(arcanine.credits, None);

        let zapdos = file.get("Zapdos").unwrap();
        assert_eq!(zapdos.sets.len(), 2);
    }

    #[test]
    fn credits() {
        let file = subset();
        let venusaur = file.get("Venusaur").unwrap().credits.as_ref().unwrap();
        assert_eq!(venusaur.written_by, ["1LDK"]);
        assert_eq!(
            venusaur.summary(),
            "Written by 1LDK. Quality checked by sequoia and FayaWizard. Grammar checked by Tbolt."
        );
        let zapdos = file.get("Zapdos").unwrap().credits.as_ref().unwrap();
        assert_eq!(zapdos.written_by, ["Nichalho", "Heatranator"]);
        assert_eq!(Credits::default().summary(), "");
    }

    #[test]
    fn bad_entries_are_skipped() {
        let json = r#"{"A": {"sets": {"S": {"description": "<p>x</p>"}}}, "B": {"sets": 3}, "C": "text"}"#;
        let file = parse_analyses(json).unwrap();
        assert_eq!(file.species.len(), 1);
        let skipped: Vec<&str> = file.skipped.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(skipped, ["B", "C"]);
        assert!(matches!(parse_analyses("[]"), Err(CorpusError::Malformed { what: "analyses", .. })));
        assert!(matches!(parse_analyses("{"), Err(CorpusError::Json { what: "analyses", .. })));
    }
}
