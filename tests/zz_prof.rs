use std::time::Instant;
#[test]
fn prof() {
    let t = Instant::now();
    let d = porygon::dex::dex();
    println!("dex parse {:?}", t.elapsed());
    let q: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/golden/queries.json").unwrap()).unwrap();
    let qs: Vec<String> =
        q["queries"].as_array().unwrap().iter().map(|x| x["query"].as_str().unwrap().to_owned()).collect();
    let t = Instant::now();
    for _ in 0..10 {
        for s in &qs {
            std::hint::black_box(porygon::search::understand::understand(s));
        }
    }
    println!("understand per q {:?}", t.elapsed() / (10 * qs.len() as u32));
    let t = Instant::now();
    for _ in 0..10 {
        for s in &qs {
            std::hint::black_box(porygon::search::rank::mentioned_pokemon(s, d));
        }
    }
    println!("mentioned per q {:?}", t.elapsed() / (10 * qs.len() as u32));
    let mut worst = (std::time::Duration::ZERO, String::new());
    for s in &qs {
        let t = Instant::now();
        porygon::search::rank::mentioned_pokemon(s, d);
        let e = t.elapsed();
        if e > worst.0 {
            worst = (e, s.clone());
        }
    }
    println!("worst {:?}", worst);
}
