use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;

use super::*;
use crate::battle::calc::MoveResult;
use crate::battle::calc::{CalcStats, DamageCalculator, KoChance};
use crate::corpus::{parse_sets, SetsFile};
use crate::search::hit::{SearchHit, SearchRequest};
use crate::tools::backend::{BackendError, FormatUsage};

/// gen9ou statistics and sets from ../shared/data; a calculator that records the request and
/// answers with a fixed response (the library itself runs in the integration tests).
#[derive(Default)]
struct FakeCalcBackend {
    seen: RefCell<Vec<String>>,
}

impl DamageCalculator for FakeCalcBackend {
    fn calculate(&self, request: &str) -> Result<String, String> {
        self.seen.borrow_mut().push(request.to_owned());
        let req: Value = serde_json::from_str(request).unwrap();
        let stats = CalcStats { max_hp: 300, cur_hp: 300, stats: BTreeMap::new() };
        let results: Vec<MoveResult> = req["moves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| MoveResult {
                r#move: m["name"].as_str().unwrap().to_owned(),
                damage: json!([10, 11]),
                range: [10, 11],
                percent: [3.3, 3.6],
                desc: Some(format!("{} desc", m["name"].as_str().unwrap())),
                ko_chance: Some(KoChance { chance: None, n: 0, text: String::new() }),
            })
            .collect();
        Ok(serde_json::to_string(&CalcResponse { attacker: stats.clone(), defender: stats, results })
            .unwrap())
    }
}

fn data(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../shared/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

impl StrategyBackend for FakeCalcBackend {
    async fn lexical(&self, _f: &str, _r: &SearchRequest) -> Result<Vec<SearchHit>, BackendError> {
        Ok(vec![])
    }
    async fn semantic(&self, _f: &str, _r: &SearchRequest) -> Option<Result<Vec<SearchHit>, BackendError>> {
        None
    }
    async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        Ok((format == "gen9ou").then(crate::tools::local_data::gen9ou_usage))
    }
    async fn sets(&self, format: &str) -> Result<Option<Rc<SetsFile>>, BackendError> {
        Ok((format == "gen9ou").then(|| Rc::new(parse_sets(&data("pkmn-sets/gen9ou.json")).unwrap())))
    }
    fn damage_calculator(&self) -> Option<&dyn DamageCalculator> {
        Some(self)
    }
}

fn obj(v: Value) -> JsonObject {
    v.as_object().unwrap().clone()
}

fn prepared(v: Value) -> Result<Prepared, String> {
    block_on(prepare(&FakeCalcBackend::default(), &obj(v)))
}

/// The answer as an MCP result.
fn shape(p: &Prepared, response: CalcResponse, calculator: &str) -> CallToolResult {
    crate::tools::respond(Ok(report::output(p, response, calculator)))
}

#[test]
fn explicit_sets_become_the_library_options() {
    let paste = "Kingambit @ Black Glasses\nAbility: Supreme Overlord\nTera Type: Dark\nEVs: 252 Atk / 4 SpD / 252 Spe\nAdamant Nature\n- Kowtow Cleave\n- Sucker Punch";
    let p = prepared(json!({
        "attacker": {"paste": paste, "boosts": {"atk": 2}, "terastallized": true},
        "defender": {"pokemon": "great tusk", "evs": {"hp": 252, "def": 4}, "nature": "impish", "item": "leftovers", "currentHpPercent": 50},
        "move": "kowtow cleave", "format": "gen9ou",
        "field": {"weather": "sand", "criticalHit": true, "defenderSide": {"reflect": true, "stealthRock": true, "spikes": 2}}
    }))
    .unwrap();
    let r = serde_json::to_value(&p.request).unwrap();
    assert_eq!(r["gen"], 9);
    assert_eq!(r["attacker"]["name"], "Kingambit");
    assert_eq!(r["attacker"]["item"], "Black Glasses");
    assert_eq!(r["attacker"]["teraType"], "Dark");
    assert_eq!(r["attacker"]["evs"], json!({"hp": 0, "atk": 252, "def": 0, "spa": 0, "spd": 4, "spe": 252}));
    assert_eq!(r["attacker"]["boosts"], json!({"atk": 2}));
    assert_eq!(r["defender"]["name"], "Great Tusk");
    assert_eq!(r["defender"]["nature"], "Impish");
    assert_eq!(r["defender"]["item"], "Leftovers");
    assert_eq!(r["defender"]["currentHpPercent"], 50);
    assert_eq!(r["moves"], json!([{"name": "Kowtow Cleave", "isCrit": true}]));
    assert_eq!(r["field"]["gameType"], "Singles");
    assert_eq!(r["field"]["weather"], "Sand");
    assert_eq!(r["field"]["defenderSide"], json!({"isReflect": true, "isSR": true, "spikes": 2}));
    assert!(p.attacker.assumed.is_none() && p.defender.assumed.is_none());
}

#[test]
fn unnamed_evs_are_252_in_generations_1_and_2() {
    let p = prepared(json!({"attacker": {"pokemon": "Tauros", "evs": {"hp": 128}}, "defender": "Chansey", "move": "Body Slam", "generation": 1})).unwrap();
    let evs = &p.request.attacker.evs;
    assert_eq!(STAT_IDS.map(|s| evs[s]), [128, 252, 252, 252, 252, 252]);
    // One Special stat: SpA given is SpD too.
    let p = prepared(json!({"attacker": {"pokemon": "Alakazam", "evs": {"spa": 100}, "boosts": {"spd": 1}}, "defender": "Chansey", "move": "Psychic", "generation": 1})).unwrap();
    assert_eq!((p.request.attacker.evs["spa"], p.request.attacker.evs["spd"]), (100, 100));
    assert_eq!((p.request.attacker.boosts["spa"], p.request.attacker.boosts["spd"]), (1, 1));
    assert!(prepared(json!({"attacker": {"pokemon": "Alakazam", "ivs": {"spa": 30, "spd": 20}}, "defender": "Chansey", "move": "Psychic", "generation": 2})).is_err());
    let p = prepared(json!({"attacker": {"pokemon": "Garchomp", "evs": {"hp": 128}}, "defender": "Blissey", "move": "Earthquake", "generation": 9})).unwrap();
    assert_eq!(p.request.attacker.evs["atk"], 0);
}

#[test]
fn a_tera_type_counts_only_once_terastallized() {
    let p = prepared(json!({"attacker": {"pokemon": "Kingambit", "teraType": "Fire"}, "defender": {"pokemon": "Gholdengo", "item": "Leftovers"}, "move": "Iron Head", "generation": 9})).unwrap();
    assert_eq!(p.request.attacker.tera_type, None);
    assert_eq!(p.attacker.set.tera_type.as_deref(), Some("Fire"));
}

#[test]
fn a_side_given_by_name_gets_the_likeliest_set_with_provenance() {
    let backend = FakeCalcBackend::default();
    let args =
        obj(json!({"attacker": "Kingambit", "defender": "Great Tusk", "move": "all", "format": "gen9ou"}));
    let r = block_on(call(&backend, &args));
    assert_eq!(r.is_error, Some(false), "{:?}", r.content);
    let v = r.structured_content.unwrap();
    let prov = &v["attacker"]["provenance"];
    assert_eq!(prov["source"], "usageStatistics");
    assert_eq!(prov["month"], "2024-06");
    assert!(prov["rawCount"].as_u64().unwrap() > 0);
    assert!(prov["shares"]["spread"].as_f64().unwrap() > 0.0);
    assert_eq!(prov["sourceUrl"], "https://www.smogon.com/stats/2024-06/moveset/gen9ou-1695.txt");
    assert_eq!(v["attacker"]["assumed"], true);
    // "all": one calculation per move of the assumed set, in one request.
    let seen = backend.seen.borrow();
    let req: Value = serde_json::from_str(&seen[0]).unwrap();
    let moves: Vec<&str> =
        req["moves"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(moves.len(), 4);
    assert_eq!(v["results"].as_array().unwrap().len(), 4);
    let assumed: Vec<String> = v["attacker"]["set"]["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(moves, assumed);
    let text = r.content[0].as_text().unwrap().text.clone();
    assert!(text.contains("assumed set (usage statistics 2024-06, rating ≥ 1695"), "{text}");
    assert!(text.contains("source: https://www.smogon.com/stats/2024-06/moveset/gen9ou-1695.txt"), "{text}");
}

#[test]
fn doubles_formats_default_to_doubles_and_no_format_means_defaults() {
    let p = prepared(json!({"attacker": "Flutter Mane", "defender": "Incineroar", "move": "Dazzling Gleam", "format": "gen9doublesou"})).unwrap();
    assert_eq!(p.request.field.game_type, "Doubles");
    assert!(p.attacker.default_note.as_deref().unwrap().contains("no usage statistics or Smogon sets"));
    let p = prepared(json!({"attacker": "Garchomp", "defender": "Blissey", "move": "Earthquake", "field": {"gameType": "doubles"}})).unwrap();
    assert_eq!((p.gen, p.request.field.game_type), (9, "Doubles"));
    assert!(p.attacker.default_note.as_deref().unwrap().contains("no format given"));
}

#[test]
fn unknown_names_and_bad_values_are_refused_with_suggestions() {
    let err = |v: Value| prepared(v).err().unwrap();
    let base =
        json!({"attacker": "Kingambit", "defender": "Great Tusk", "move": "Kowtow Cleave", "generation": 9});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    assert!(err(with("attacker", json!("Kingambt"))).contains("did you mean Kingambit"));
    assert!(err(with("move", json!("Kowtow Cleve"))).contains("did you mean Kowtow Cleave"));
    assert!(err(with("defender", json!({"pokemon": "Great Tusk", "item": "Leftovrs"})))
        .contains("did you mean Leftovers"));
    assert!(err(with(
        "defender",
        json!({"pokemon": "Great Tusk", "evs": {"hp": 252, "def": 252, "spd": 252}})
    ))
    .contains("510"));
    assert!(
        err(with("defender", json!({"pokemon": "Great Tusk", "evs": {"speed": 4}}))).contains("unknown stat")
    );
    assert!(err(with("field", json!({"weather": "fog"}))).contains("unknown weather"));
    assert!(err(with("generation", json!(4))).contains("not available in generation 4"));
    assert!(err(with("format", json!("gen8ou"))).contains("generation 8, not 9"));
    assert!(err(with("attacker", json!({"pokemon": "Kingambit", "terastallized": true})))
        .contains("no Tera type"));
    assert!(err(with("move", json!("all"))).contains("no moves"));
}

#[test]
fn zero_damage_is_reported_without_a_description() {
    let p = prepared(
        json!({"attacker": "Dragonite", "defender": "Gholdengo", "move": "Extreme Speed", "generation": 9}),
    )
    .unwrap();
    let stats = CalcStats { max_hp: 318, cur_hp: 318, stats: BTreeMap::new() };
    let response = CalcResponse {
        attacker: stats.clone(),
        defender: stats,
        results: vec![MoveResult {
            r#move: "Extreme Speed".into(),
            damage: json!(0),
            range: [0, 0],
            percent: [0.0, 0.0],
            desc: None,
            ko_chance: None,
        }],
    };
    let r = shape(&p, response, CALCULATOR);
    let text = r.content[0].as_text().unwrap().text.clone();
    assert!(text.contains("Extreme Speed: no damage to Gholdengo"), "{text}");
    assert_eq!(r.structured_content.unwrap()["results"][0]["desc"], Value::Null);
}
