use super::*;
use crate::backup::manifest::{NamespaceSummary, FORMAT};

const ID: &str = "2026-11-26T03-23-00Z";

fn refused(method: Method, path: &str) -> (u16, Value) {
    let reply = route(method, path).unwrap_err();
    (reply.status, reply.json())
}

#[test]
fn admin_paths_and_methods_name_their_actions() {
    assert_eq!(route(Method::Post, "/admin/backups"), Ok(Route::StartBackup));
    assert_eq!(route(Method::Get, "/admin/backups/"), Ok(Route::List));
    assert_eq!(route(Method::Get, &format!("/admin/backups/{ID}")), Ok(Route::Manifest(ID.into())));
    assert_eq!(
        route(Method::Post, &format!("/admin/backups/{ID}/restore")),
        Ok(Route::Start { kind: JobKind::Restore, id: ID.into() })
    );
    assert_eq!(
        route(Method::Get, &format!("/admin/backups/{ID}/verify")),
        Ok(Route::Latest { kind: JobKind::Verify, id: ID.into() })
    );
}

#[test]
fn everything_else_is_refused_with_its_status() {
    assert_eq!(refused(Method::Get, "/admin/backupsx"), (404, json!({"error": "not_found"})));
    let (status, body) = refused(Method::Get, "/admin/backups/../../raw");
    assert_eq!(status, 400, "an id is checked before anything else: {body}");
    assert!(body["error"].as_str().unwrap().starts_with("not a backup id"));
    assert_eq!(refused(Method::Other, "/admin/backups/nope/restore").0, 400);
    for path in
        ["/admin/backups".to_owned(), format!("/admin/backups/{ID}"), format!("/admin/backups/{ID}/verify")]
    {
        assert_eq!(refused(Method::Other, &path), (405, json!({"error": "method not allowed"})), "{path}");
    }
    assert_eq!(refused(Method::Post, &format!("/admin/backups/{ID}")).0, 405);
    assert_eq!(refused(Method::Get, &format!("/admin/backups/{ID}/backup")).0, 404);
    assert_eq!(refused(Method::Get, &format!("/admin/backups/{ID}/verify/x")).0, 404);
}

#[test]
fn routes_become_object_calls() {
    assert_eq!(
        Route::StartBackup.object_call(),
        Some(ObjectCall {
            method: Method::Post,
            path: "/backup".into(),
            body: Some(json!({"trigger": "admin"}))
        })
    );
    let verify = Route::Latest { kind: JobKind::Verify, id: ID.into() };
    assert_eq!(verify.object_call().unwrap().path, format!("/job?kind=verify&id={ID}"));
    assert_eq!(
        verify.when_none(),
        Some(ObjectCall {
            method: Method::Post,
            path: "/verify".into(),
            body: Some(json!({"id": ID, "trigger": "admin"}))
        }),
        "no verification yet: one is started"
    );
    assert_eq!(Route::Latest { kind: JobKind::Restore, id: ID.into() }.when_none(), None);
    assert_eq!(Route::List.object_call(), None);
    assert_eq!(ObjectCall::start(JobKind::Backup, None, "cron:x").body, Some(json!({"trigger": "cron:x"})));
}

#[test]
fn object_routes() {
    assert_eq!(object_route(Method::Post, "/restore"), Ok(ObjectRoute::Start(JobKind::Restore)));
    assert_eq!(object_route(Method::Post, "/backup"), Ok(ObjectRoute::Start(JobKind::Backup)));
    assert_eq!(object_route(Method::Get, "/state"), Ok(ObjectRoute::State));
    assert_eq!(object_route(Method::Get, "/job"), Ok(ObjectRoute::Latest));
    assert_eq!(object_route(Method::Post, "/resume"), Ok(ObjectRoute::Resume));
    for (m, p) in
        [(Method::Get, "/backup"), (Method::Post, "/state"), (Method::Post, "/"), (Method::Get, "/x")]
    {
        let reply = object_route(m, p).unwrap_err();
        assert_eq!((reply.status, reply.json()), (404, json!({"error": "not found"})), "{m:?} {p}");
    }
}

fn manifest() -> Manifest {
    Manifest {
        format: FORMAT.into(),
        id: ID.into(),
        trigger: "admin".into(),
        started_at: "s".into(),
        started_at_ms: 0,
        finished_at: "f".into(),
        finished_at_ms: 1,
        keys: 3,
        value_bytes: 10,
        part_bytes: 20,
        namespaces: vec![NamespaceSummary {
            binding: "API_KEYS".into(),
            keys: 3,
            value_bytes: 10,
            part_bytes: 20,
            vanished: 0,
            parts: Vec::new(),
        }],
    }
}

#[test]
fn manifest_lookups_have_their_statuses() {
    assert_eq!(ManifestLookup::Found(manifest()).reply(ID).status, 200);
    assert_eq!(ManifestLookup::Found(manifest()).complete(ID), Ok(manifest()));
    let bad = ManifestLookup::Invalid(BackupError::BadManifest("x".into())).reply(ID);
    assert_eq!(
        (bad.status, bad.json()),
        (422, json!({"error": format!("backup {ID}: invalid manifest: x")}))
    );
    let incomplete = ManifestLookup::Incomplete.reply(ID);
    assert_eq!(
        (incomplete.status, incomplete.json()),
        (409, json!({"error": format!("backup {ID} is incomplete (still running, or it failed)")}))
    );
    let missing = ManifestLookup::Missing.reply(ID);
    assert_eq!((missing.status, missing.json()), (404, json!({"error": format!("no backup {ID}")})));
}

#[test]
fn jobs_and_refusals_to_start_have_their_statuses() {
    let mut job = Job::backup(ID.into(), "admin".into(), 0);
    let running = Reply::job(&job);
    assert_eq!(running.status, 202);
    assert!(running.body.starts_with(r#"{"backupId":"#), "a job keeps its field order: {}", running.body);
    assert_eq!(Reply::started(&job).status, 202);
    job.status = JobStatus::Failed;
    assert_eq!(Reply::job(&job).status, 200);
    let busy = NotStarted::Running(Box::new(job.clone())).reply();
    assert_eq!(busy.status, 409);
    assert_eq!(busy.json()["error"], format!("a backup of backup {ID} is running"));
    assert_eq!(busy.json()["current"]["backupId"], ID);
    assert_eq!(
        NotStarted::Exists(ID.into()).reply().json(),
        json!({"error": format!("backup {ID} exists: retry in a second")})
    );
    assert_eq!(NotStarted::BadId(BackupError::BadId("x".into())).reply().status, 400);
    assert_eq!(NotStarted::NotComplete(ManifestLookup::Missing.reply(ID)).reply().status, 404);
    assert_eq!(no_latest("verify", ID).json(), json!({"error": format!("no verify of backup {ID}")}));
    assert_eq!(nothing_to_resume().status, 404);
}

#[test]
fn the_listing_says_what_each_backup_is() {
    let job = serde_json::to_value(Job::backup(ID.into(), "admin".into(), 0)).unwrap();
    assert_eq!(running_backup(&job).as_deref(), Some(ID));
    let restore = serde_json::to_value(Job::restore(&manifest(), "admin".into(), 0)).unwrap();
    assert_eq!(running_backup(&restore), None, "only a backup writes one");
    assert_eq!(running_backup(&Value::Null), None);

    let complete = listing(ID, Some(&Ok(manifest())), None);
    assert_eq!(complete["status"], "complete");
    assert_eq!(complete["namespaces"], json!([{"binding": "API_KEYS", "keys": 3}]));
    assert_eq!(complete["parts"], 0);
    let invalid = listing(ID, Some(&Err(BackupError::BadManifest("x".into()))), None);
    assert_eq!(invalid, json!({"id": ID, "status": "invalid", "error": "invalid manifest: x"}));
    assert_eq!(listing(ID, None, Some(ID))["status"], "running");
    assert_eq!(listing(ID, None, Some("other"))["status"], "incomplete");

    let state = json!({"current": null, "last": {"backup": null}});
    let list = list_reply(vec![complete], &state).json();
    assert_eq!(list["schedule"], CRON);
    assert_eq!(list["retention"], json!({"daily": 7, "weekly": 4, "monthly": 12}));
    assert_eq!(list["last"], json!({"backup": null}));
}
