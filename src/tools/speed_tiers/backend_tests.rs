use super::*;
use crate::tools::local_data::LocalData;
use futures::executor::block_on;
use serde_json::json;

fn run(v: Value) -> Value {
    let r = block_on(call(&LocalData, v.as_object().unwrap()));
    assert_eq!(r.is_error, Some(false), "{:?}", r.content);
    r.structured_content.unwrap()
}

fn speeds(v: &Value) -> Vec<u64> {
    v["tiers"].as_array().unwrap().iter().map(|t| t["speed"].as_u64().unwrap()).collect()
}

#[test]
fn tiers_are_sorted_and_reverse_under_trick_room() {
    let normal = run(json!({"format": "gen9ou", "limit": 8}));
    let s = speeds(&normal);
    assert!(s.windows(2).all(|w| w[0] > w[1]), "{s:?}");
    assert_eq!(normal["level"], 100);
    let tr = run(json!({"format": "gen9ou", "limit": 8, "modifiers": {"trickRoom": true}}));
    let mut r = speeds(&tr);
    assert!(r.windows(2).all(|w| w[0] < w[1]));
    r.reverse();
    assert_eq!(r, s, "same speeds, opposite order");
    // Benchmarks of one species never tie with themselves as a "tie".
    for t in normal["tiers"].as_array().unwrap() {
        let names: std::collections::BTreeSet<&str> =
            t["entries"].as_array().unwrap().iter().map(|e| e["pokemon"].as_str().unwrap()).collect();
        assert_eq!(t["tie"].as_bool().unwrap(), names.len() > 1);
    }
}

#[test]
fn vgc_uses_level_50_and_sets() {
    let v = run(json!({"format": "gen9vgc2024", "limit": 5}));
    assert_eq!(v["level"], 50);
    assert_eq!(v["ranking"], "sets");
    assert!(speeds(&v).iter().all(|s| *s < 300));
}

#[test]
fn outspeed_answers_and_cannot() {
    let v = run(json!({"format": "gen9ou", "outspeed": {"pokemon": "Kingambit", "target": "Great Tusk"}}));
    let o = &v["outspeed"];
    assert_eq!(o["possible"], false, "{o}");
    let v = run(json!({"format": "gen9ou", "outspeed": {"pokemon": "Garchomp", "target": "Kingambit"}}));
    let o = &v["outspeed"];
    assert_eq!(o["possible"], true, "{o}");
    assert!(o["speed"].as_u64().unwrap() > o["targetSet"]["speed"].as_u64().unwrap());
}
