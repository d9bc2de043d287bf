use super::spreads::parse_usage_spread;
use super::*;
use crate::battle::speed::NatureEffect;
use serde_json::json;

#[test]
fn levels_follow_the_format() {
    let level = |f: &str| format_level(&Format::parse(f).unwrap());
    assert_eq!(level("gen9ou"), 100);
    assert_eq!(level("gen9vgc2024"), 50);
    assert_eq!(level("gen9battlestadiumsingles"), 50);
    assert_eq!(level("gen9lc"), 5);
}

#[test]
fn usage_spreads_parse_and_group_by_speed() {
    let s = parse_usage_spread("Jolly:0/252/0/0/4/252", 9).unwrap();
    assert_eq!(s.nature.as_deref(), Some("Jolly"));
    assert_eq!(s.evs, [0, 252, 0, 0, 4, 252]);
    assert_eq!(s.label(), "Jolly 252 Spe");
    assert_eq!(s.speed_key(), (NatureEffect::Plus, 252, 31));
    assert!(parse_usage_spread("Jolly:0/252/0/0/4", 9).is_none());
    assert!(parse_usage_spread("Jolly:0/252/0/0/4/999", 9).is_none());
    let gen1 = parse_usage_spread("Serious:252/252/252/252/252/252", 1).unwrap();
    assert_eq!(gen1.nature, None);
}

#[test]
fn modifiers_are_validated() {
    let obj = |v: Value| v.as_object().unwrap().clone();
    assert!(parse(&obj(json!({"format": "gen9ou", "modifiers": {"choiceScarf": true, "stage": 2}}))).is_ok());
    let e = parse(&obj(json!({"format": "gen9ou", "modifiers": {"scarf": true}}))).err().unwrap();
    assert!(e.contains("unknown modifier \"scarf\""), "{e}");
    assert!(parse(&obj(json!({"format": "gen9ou", "modifiers": {"stage": 7}}))).is_err());
    assert!(parse(&obj(json!({"format": "gen9ou", "modifiers": {"weather": "fog"}}))).is_err());
    let e =
        parse(&obj(json!({"format": "gen9ou", "outspeed": {"pokemon": "Garchmop", "target": "Kingambit"}})))
            .err()
            .unwrap();
    assert!(e.contains("Garchomp"), "suggestions: {e}");
    let e = parse(&obj(json!({"format": "gen9ou", "outspeed": {"pokemon": "Garchomp", "target": "Kingambit", "modifiers": {"trickRoom": true}}})))
        .err()
        .unwrap();
    assert!(e.contains("unknown modifier \"trickRoom\""), "{e}");
}
