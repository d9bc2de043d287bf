use serde_json::json;

use super::*;

const MIN: i64 = 60_000;

fn healthy() -> Snapshot {
    Snapshot {
        requests: 1_000.0,
        errors: 2.0,
        denied: 10.0,
        p95_ms: 180.0,
        hour_ago: 1_100.0,
        week_ago: 900.0,
        ingestion: JobFigures { runs: 2.0, succeeded: 2.0, last_failed: false },
        backups: JobFigures { runs: 1.0, succeeded: 1.0, last_failed: false },
    }
}

fn kinds(found: &[Finding]) -> Vec<AlertKind> {
    found.iter().map(|f| f.kind).collect()
}

#[test]
fn a_healthy_fleet_and_a_quiet_night_raise_nothing() {
    let rules = FleetRules::default();
    assert!(findings(&rules, &healthy()).is_empty());
    // 3 a.m.: 6 requests, one of them a slow 5xx; an hour ago and a week ago just as quiet.
    let night = Snapshot {
        requests: 6.0,
        errors: 1.0,
        denied: 0.0,
        p95_ms: 4_000.0,
        hour_ago: 9.0,
        week_ago: 14.0,
        ..healthy()
    };
    assert!(findings(&rules, &night).is_empty(), "{:?}", findings(&rules, &night));
}

#[test]
fn each_rule_fires_on_its_own_evidence() {
    let rules = FleetRules::default();
    let check =
        |s: Snapshot, expected: &[AlertKind]| assert_eq!(kinds(&findings(&rules, &s)), expected, "{s:?}");
    check(Snapshot { errors: 60.0, ..healthy() }, &[AlertKind::ErrorRate]);
    check(Snapshot { errors: 50.0, ..healthy() }, &[]); // exactly 5 %: not above
    check(Snapshot { p95_ms: 2_500.0, ..healthy() }, &[AlertKind::Latency]);
    check(Snapshot { requests: 400.0, errors: 0.0, ..healthy() }, &[AlertKind::TrafficDrop]);
    // Down against last week only (last week had a spike), not against the previous hour.
    check(Snapshot { requests: 400.0, errors: 0.0, hour_ago: 420.0, week_ago: 5_000.0, ..healthy() }, &[]);
    // Down against the previous hour only (a daily trough that last week had too).
    check(Snapshot { requests: 400.0, errors: 0.0, hour_ago: 5_000.0, week_ago: 380.0, ..healthy() }, &[]);
    check(Snapshot { denied: 1_000.0, ..healthy() }, &[AlertKind::DenialStorm]);
    check(
        Snapshot { ingestion: JobFigures { runs: 3.0, succeeded: 2.0, last_failed: true }, ..healthy() },
        &[AlertKind::IngestionFailing],
    );
    check(
        Snapshot { backups: JobFigures { runs: 0.0, succeeded: 0.0, last_failed: false }, ..healthy() },
        &[AlertKind::BackupFailing],
    );
    // A total outage: nothing answers, so no requests are recorded at all.
    check(
        Snapshot { requests: 0.0, errors: 0.0, denied: 0.0, p95_ms: 0.0, ..healthy() },
        &[AlertKind::TrafficDrop],
    );
}

#[test]
fn alerts_fire_once_repeat_after_the_cooldown_and_recover() {
    let rules = FleetRules::default();
    let mut state = MonitorState::default();
    let incident = findings(&rules, &Snapshot { errors: 300.0, p95_ms: 3_000.0, ..healthy() });
    let fired = state.observe(0, &rules, incident.clone());
    assert_eq!(fired.len(), 2);
    assert!(fired.iter().all(|n| n.kind == NoticeKind::Fired));
    // The same incident 5, 10 … 55 minutes later: silence (cooldown 60 minutes).
    for t in (5..60).step_by(5) {
        assert!(state.observe(t * MIN, &rules, incident.clone()).is_empty(), "t={t}");
    }
    let reminders = state.observe(60 * MIN, &rules, incident.clone());
    assert_eq!(reminders.len(), 2);
    assert!(reminders.iter().all(|n| n.kind == NoticeKind::Reminder && n.since_ms == 0));
    // Latency recovers first, then the error rate.
    let errors_only = findings(&rules, &Snapshot { errors: 300.0, ..healthy() });
    let recovered = state.observe(65 * MIN, &rules, errors_only);
    assert_eq!(recovered.len(), 1);
    assert_eq!((recovered[0].kind, recovered[0].alert), (NoticeKind::Recovered, AlertKind::Latency));
    let recovered = state.observe(70 * MIN, &rules, findings(&rules, &healthy()));
    assert_eq!((recovered[0].kind, recovered[0].alert), (NoticeKind::Recovered, AlertKind::ErrorRate));
    let payload = recovered[0].payload("production", "https://example.org/RUNBOOK.md", 70 * MIN);
    assert_eq!(payload["event"], "alert.recovered");
    assert_eq!(payload["alert"], "error-rate");
    assert_eq!(payload["durationMs"], 70 * MIN);
    assert_eq!(payload["runbook"], "https://example.org/RUNBOOK.md#alert-error-rate");
    assert!(state.firing.is_empty());
    assert!(state.observe(75 * MIN, &rules, Vec::new()).is_empty());
}

#[test]
fn a_blind_monitor_says_so_after_three_failures_and_keeps_other_alerts() {
    let rules = FleetRules::default();
    let mut state = MonitorState::default();
    state.observe(0, &rules, findings(&rules, &Snapshot { errors: 300.0, ..healthy() }));
    assert!(state.check_failed(5 * MIN, &rules, "SQL API answered 502".into()).is_empty());
    assert!(state.check_failed(10 * MIN, &rules, "timeout".into()).is_empty());
    let blind = state.check_failed(15 * MIN, &rules, "timeout".into());
    assert_eq!(blind.len(), 1);
    assert_eq!((blind[0].kind, blind[0].alert), (NoticeKind::Fired, AlertKind::MonitorBlind));
    assert!(state.is_firing(AlertKind::ErrorRate), "missing data recovers nothing");
    assert!(state.check_failed(20 * MIN, &rules, "timeout".into()).is_empty(), "cooldown");
    let back = state.observe(25 * MIN, &rules, Vec::new());
    let mut seen: Vec<_> = back.iter().map(|n| (n.kind, n.alert)).collect();
    seen.sort();
    assert_eq!(
        seen,
        [(NoticeKind::Recovered, AlertKind::ErrorRate), (NoticeKind::Recovered, AlertKind::MonitorBlind)]
    );
    assert_eq!(state.consecutive_failures, 0);
}

#[test]
fn state_survives_a_round_trip_through_storage() {
    let rules = FleetRules::default();
    let mut state = MonitorState::default();
    state.observe(7, &rules, findings(&rules, &Snapshot { denied: 5_000.0, ..healthy() }));
    let bytes = rmp_serde::to_vec_named(&state).unwrap();
    assert_eq!(rmp_serde::from_slice::<MonitorState>(&bytes).unwrap(), state);
}

#[test]
fn answers_parse_from_numbers_strings_and_empty_aggregates() {
    let rules = FleetRules::default();
    let traffic = json!({"meta": [], "data": [{"requests": "1000", "errors": 2, "denied": "10", "p95_ms": 180.5}], "rows": 1});
    let baselines = json!({"data": [{"hour_ago": "1100", "week_ago": 900}]});
    let ingestion = json!({"data": [{"runs": "2", "succeeded": "1", "last_errors": "9"}]});
    let backups = json!({"data": [{"runs": "0", "succeeded": "0", "last_failed": "nan"}]});
    let s = Snapshot::parse([&traffic, &baselines, &ingestion, &backups], &rules).unwrap();
    assert_eq!((s.requests, s.errors, s.denied, s.p95_ms), (1_000.0, 2.0, 10.0, 180.5));
    assert_eq!((s.hour_ago, s.week_ago), (1_100.0, 900.0));
    assert!(s.ingestion.last_failed, "9 errors > the threshold of 5");
    assert!(!s.backups.last_failed);
    let empty = json!({"data": []});
    assert_eq!(Snapshot::parse([&empty, &empty, &empty, &empty], &rules).unwrap().requests, 0.0);
    // Broken answers are errors, never zeros that would silence (or fake) an alert.
    let html = json!("<html>bad gateway</html>");
    assert_eq!(
        Snapshot::parse([&html, &baselines, &ingestion, &backups], &rules),
        Err(FleetError::NoRow("traffic"))
    );
    let word = json!({"data": [{"requests": "many"}]});
    assert!(matches!(
        Snapshot::parse([&word, &baselines, &ingestion, &backups], &rules),
        Err(FleetError::NotANumber(_))
    ));
}

#[test]
fn queries_name_a_safe_dataset_and_lagged_windows() {
    assert_eq!(dataset_name("production", None).unwrap(), "porygon");
    assert_eq!(dataset_name("staging", Some(" ")).unwrap(), "porygon_staging");
    assert_eq!(dataset_name("staging", Some("custom_1")).unwrap(), "custom_1");
    assert!(dataset_name("x", Some("porygon; DROP TABLE x")).is_err());
    let q = Queries::new("porygon", &FleetRules::default());
    assert!(q.traffic.contains("FROM porygon WHERE blob1 = 'request'"));
    assert!(q.traffic.contains("NOW() - INTERVAL '6' MINUTE AND timestamp <= NOW() - INTERVAL '1' MINUTE"));
    assert!(q.baselines.contains("INTERVAL '66' MINUTE") && q.baselines.contains("INTERVAL '10086' MINUTE"));
    assert!(q.ingestion.contains("double6 <= 5"));
    assert!(q.all().iter().all(|sql| sql.contains("_sample_interval")));
}

#[test]
fn configuration_is_validated_not_trusted() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    };
    let rules = FleetRules::from_vars(vars(&[
        ("ERROR_ALERT_RATE", "2"),
        ("ALERT_P95_MS", "-1"),
        ("ALERT_COOLDOWN_MINUTES", "NaN"),
        ("ALERT_DENIAL_STORM", "250"),
    ]));
    assert_eq!(rules, FleetRules { denial_storm: 250.0, ..FleetRules::default() });
    let rules =
        FleetRules::from_vars(vars(&[("ALERT_COOLDOWN_MINUTES", "15"), ("ALERT_TRAFFIC_DROP", "0.3")]));
    assert_eq!((rules.cooldown_ms, rules.drop_share), (15 * MIN, 0.3));
}
