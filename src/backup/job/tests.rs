use super::*;

fn part(key: &str, keys: u32, bytes: u64) -> PartInfo {
    PartInfo {
        key: key.into(),
        keys,
        bytes,
        sha256: "00".into(),
        first_key: "a".into(),
        last_key: "z".into(),
    }
}

fn copy(p: &BackupProgress) -> (String, Option<String>, usize, u32) {
    match p.phase() {
        BackupPhase::Copy { binding, cursor, offset, part_number } => {
            (binding.to_owned(), cursor.map(str::to_owned), offset, part_number)
        }
        other => panic!("expected a copy step, got {other:?}"),
    }
}

#[test]
fn a_backup_walks_pages_namespaces_manifest_and_pruning() {
    let mut job = Job::backup("2026-11-26T03-23-00Z".into(), "admin".into(), 1_000);
    let Task::Backup(p) = &mut job.task else { unreachable!() };
    assert_eq!(copy(p), ("STRATEGY_KV".into(), None, 0, 1));

    // A full page, cut short by the part byte cap after 300 of 500 keys.
    p.apply_page(PageStep {
        remaining: 500,
        consumed: 300,
        list_complete: false,
        cursor: Some("c1".into()),
        part: Some(part("kv/x/STRATEGY_KV/part-00001", 299, 10_000)),
        value_bytes: 9_000,
        vanished: 1,
    });
    assert_eq!(copy(p), ("STRATEGY_KV".into(), None, 300, 2), "same page, from key 300");
    p.apply_page(PageStep {
        remaining: 200,
        consumed: 200,
        list_complete: false,
        cursor: Some("c1".into()),
        part: Some(part("kv/x/STRATEGY_KV/part-00002", 200, 5_000)),
        value_bytes: 4_000,
        vanished: 0,
    });
    assert_eq!(copy(p), ("STRATEGY_KV".into(), Some("c1".into()), 0, 3), "next page");
    p.apply_page(PageStep {
        remaining: 7,
        consumed: 7,
        list_complete: true,
        cursor: None,
        part: Some(part("kv/x/STRATEGY_KV/part-00003", 7, 100)),
        value_bytes: 70,
        vanished: 0,
    });
    assert_eq!(copy(p), ("API_KEYS".into(), None, 0, 1));
    // An empty page that is not the last (KV may return those): move on, no part.
    p.apply_page(PageStep {
        remaining: 0,
        consumed: 0,
        list_complete: false,
        cursor: Some("c2".into()),
        part: None,
        value_bytes: 0,
        vanished: 0,
    });
    assert_eq!(copy(p), ("API_KEYS".into(), Some("c2".into()), 0, 1));
    p.apply_page(PageStep {
        remaining: 2,
        consumed: 2,
        list_complete: true,
        cursor: None,
        part: Some(part("kv/x/API_KEYS/part-00001", 2, 50)),
        value_bytes: 40,
        vanished: 0,
    });
    assert_eq!(p.phase(), BackupPhase::Manifest);

    let m = job.manifest(61_000).unwrap();
    assert_eq!((m.keys, m.value_bytes, m.part_bytes), (508, 13_110, 15_150));
    assert_eq!(m.namespaces[0].parts.len(), 3);
    assert_eq!(m.namespaces[0].vanished, 1);
    assert_eq!(m.started_at, "1970-01-01T00:00:01.000Z");
    assert_eq!(m.finished_at, "1970-01-01T00:01:01.000Z");

    let Task::Backup(p) = &mut job.task else { unreachable!() };
    p.manifest_written(vec![], vec!["old1".into(), "old2".into()]);
    assert_eq!(p.phase(), BackupPhase::Prune { id: "old1" });
    p.pruned(1000, false);
    assert_eq!(p.phase(), BackupPhase::Prune { id: "old1" });
    p.pruned(3, true);
    assert_eq!(p.phase(), BackupPhase::Prune { id: "old2" });
    p.pruned(2, true);
    assert_eq!(p.phase(), BackupPhase::Done);
    assert_eq!(p.prune.as_ref().unwrap().objects_deleted, 1005);
    assert_eq!(job.summary(), "508 keys, 13110 value bytes, 4 parts; pruned 2 backups (1005 objects)");
}

#[test]
fn failures_back_off_then_fail_the_job() {
    let mut job = Job::backup("id".into(), "admin".into(), 0);
    assert_eq!(job.step_failed("r2 down".into(), 10), Some(2000));
    assert_eq!(job.step_failed("r2 down".into(), 20), Some(4000));
    job.step_succeeded();
    assert_eq!(job.consecutive_failures, 0);
    let delays: Vec<Option<i64>> = (0..5).map(|i| job.step_failed(format!("e{i}"), 100)).collect();
    assert_eq!(delays, [Some(2000), Some(4000), Some(8000), Some(16000), None]);
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.finished_at_ms, Some(100));
    assert_eq!(job.errors, 7);
}

fn manifest() -> Manifest {
    let mut job = Job::backup("2026-11-26T03-23-00Z".into(), "admin".into(), 0);
    let Task::Backup(p) = &mut job.task else { unreachable!() };
    for (i, binding) in ["STRATEGY_KV", "API_KEYS"].iter().enumerate() {
        p.apply_page(PageStep {
            remaining: 3 - i,
            consumed: 3 - i,
            list_complete: true,
            cursor: None,
            part: Some(part(&format!("kv/2026-11-26T03-23-00Z/{binding}/part-00001"), 3 - i as u32, 10)),
            value_bytes: 5,
            vanished: 0,
        });
    }
    job.manifest(5).unwrap()
}

fn rec(key: &str, value: &str, expiration: Option<u64>) -> Record {
    Record { key: key.into(), value: value.as_bytes().to_vec(), expiration, metadata: None }
}

#[test]
fn restore_skips_what_has_expired_and_counts_per_namespace() {
    let mut job = Job::restore(&manifest(), "admin".into(), 0);
    let Task::Restore(r) = &mut job.task else { unreachable!() };
    assert_eq!(r.parts.len(), 2);
    let now = 1_000_000;
    let records = vec![
        rec("forever", "a", None),
        rec("later", "b", Some(now + 86_400)),
        rec("edge", "c", Some(now + MIN_RESTORE_TTL_SECS)),
        rec("too soon", "d", Some(now + MIN_RESTORE_TTL_SECS - 1)),
        rec("gone", "e", Some(now - 5)),
    ];
    let (put, skipped) = RestoreProgress::plan(&records, now);
    assert_eq!(put.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["forever", "later", "edge"]);
    assert_eq!(skipped, 2);
    r.part_done(3, 2, 3);
    assert_eq!(r.current().unwrap().binding, "API_KEYS");
    r.part_done(2, 0, 2);
    assert_eq!(r.current(), None);
    assert_eq!((r.restored, r.skipped_expiring, r.value_bytes), (5, 2, 5));
    assert_eq!(
        r.namespaces[0],
        RestoreCounts { binding: "STRATEGY_KV".into(), restored: 3, skipped_expiring: 2, value_bytes: 3 }
    );
}

#[test]
fn verification_verdicts() {
    let now = 1_000_000;
    let mut b = rec("k", "v", Some(now + 1000));
    b.metadata = Some("{\"a\":1}".into());
    let same =
        Current { value: b"v".to_vec(), expiration: Some(now + 1000), metadata: Some("{\"a\":1}".into()) };
    assert_eq!(compare(&b, Some(&same), now), Verdict::Equal);
    let other = Current { value: b"w".to_vec(), expiration: None, metadata: Some("{\"a\":2}".into()) };
    assert_eq!(compare(&b, Some(&other), now), Verdict::Different(vec!["value", "expiration", "metadata"]));
    assert_eq!(compare(&b, None, now), Verdict::Missing);
    assert_eq!(compare(&rec("k", "v", Some(now + 10)), None, now), Verdict::Expired);
    assert_eq!(compare(&rec("k", "v", None), None, now), Verdict::Missing);

    let mut job = Job::verify(&manifest(), "admin".into(), 0);
    let Task::Verify(v) = &mut job.task else { unreachable!() };
    v.record("STRATEGY_KV", "a", &Verdict::Equal);
    v.record("STRATEGY_KV", "b", &Verdict::Missing);
    v.advance(2, 3);
    assert_eq!((v.next, v.offset), (0, 2));
    v.record("STRATEGY_KV", "c", &Verdict::Different(vec!["metadata"]));
    v.advance(1, 3);
    assert_eq!((v.next, v.offset), (1, 0));
    v.record("API_KEYS", "d", &Verdict::Expired);
    v.advance(2, 2);
    assert_eq!(v.current(), None);
    assert_eq!((v.totals.equal, v.totals.different, v.totals.missing, v.totals.expired), (1, 1, 1, 1));
    assert_eq!(v.namespaces[1].expired, 1);
    assert_eq!(v.mismatches.len(), 2);
    assert_eq!(v.mismatches[1].differs, ["metadata"]);
    assert_eq!(job.summary(), "1 equal, 1 different, 1 missing, 1 expired");
}

#[test]
fn jobs_persist_with_rmp_and_show_as_json() {
    for job in [
        Job::backup("2026-11-26T03-23-00Z".into(), "cron:23 3 * * *".into(), 7),
        Job::restore(&manifest(), "admin".into(), 8),
        Job::verify(&manifest(), "admin".into(), 9),
    ] {
        let bytes = rmp_serde::to_vec_named(&job).unwrap();
        assert_eq!(rmp_serde::from_slice::<Job>(&bytes).unwrap(), job);
        let json = serde_json::to_value(&job).unwrap();
        assert_eq!(json["task"]["kind"], job.kind());
        assert_eq!(json["status"], "running");
    }
}
