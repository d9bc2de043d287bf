//! Fleet-wide alerts: every 5 minutes a scheduled job (`edge/monitor_object.rs`) asks the
//! Analytics Engine SQL API about the request records and job points every isolate wrote, and
//! this module decides what to say. Pure: the SQL text, the parsing of the answers, the rules,
//! and the alert state machine (fire once, remind after a cooldown, announce the recovery).
//!
//! Why a query and not the per-isolate monitor (`error_rate`): an isolate sees only its share
//! of the traffic, so a thinly spread incident alerts from none and a concentrated one from
//! several. The SQL API sees the whole fleet, at the price of a minute of ingestion delay —
//! hence the windows end a minute before "now".

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The window every rate is judged on, ending [`LAG_MINUTES`] ago.
pub(crate) const WINDOW_MINUTES: u32 = 5;
/// Analytics Engine makes points queryable within about a minute: a window ending now would
/// always look like a traffic drop.
pub(crate) const LAG_MINUTES: u32 = 1;
/// A daily job (ingestion, backup) must have succeeded within this many hours.
pub(crate) const JOB_WINDOW_HOURS: u32 = 26;

#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum FleetError {
    #[error("the SQL API answer has no row: {0}")]
    NoRow(&'static str),
    #[error("the SQL API answer's `{0}` is not a number")]
    NotANumber(String),
    #[error("invalid dataset name {0:?}: letters, digits and _ only")]
    Dataset(String),
}

/// What pages whom: thresholds, all configurable (`from_vars`), defaults from the plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FleetRules {
    /// 5xx share of the window (`ERROR_ALERT_RATE`, default 0.05).
    pub error_rate: f64,
    /// Requests a window needs before its error rate or p95 mean anything
    /// (`ERROR_ALERT_MIN_REQUESTS`, default 20).
    pub min_requests: f64,
    /// p95 latency, ms (`ALERT_P95_MS`, default 2000).
    pub p95_ms: f64,
    /// A drop is traffic below this share of both baselines (`ALERT_TRAFFIC_DROP`, default 0.5:
    /// "down more than 50 %").
    pub drop_share: f64,
    /// Requests each baseline window needs before a drop against it means anything
    /// (`ALERT_MIN_BASELINE`, default 100): a quiet night must not page.
    pub min_baseline: f64,
    /// Quota refusals (429) in the window that make a storm (`ALERT_DENIAL_STORM`, default 1000).
    pub denial_storm: f64,
    /// An ingestion run with more errors than this failed (`INGEST_ERROR_THRESHOLD`, default 5).
    pub ingest_error_threshold: u32,
    /// A firing alert is repeated at most this often (`ALERT_COOLDOWN_MINUTES`, default 60).
    pub cooldown_ms: i64,
    /// Consecutive failed checks before the monitor reports itself blind (3 = 15 minutes).
    pub blind_after: u32,
}

impl Default for FleetRules {
    fn default() -> Self {
        Self {
            error_rate: 0.05,
            min_requests: 20.0,
            p95_ms: 2000.0,
            drop_share: 0.5,
            min_baseline: 100.0,
            denial_storm: 1000.0,
            ingest_error_threshold: 5,
            cooldown_ms: 60 * 60_000,
            blind_after: 3,
        }
    }
}

impl FleetRules {
    /// Reads the variables named on each field; a missing or invalid value keeps its default
    /// (a typo must not silence an alert).
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let d = Self::default();
        let num = |name: &str, ok: fn(f64) -> bool| {
            var(name).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite() && ok(*v))
        };
        let share = |v: f64| v > 0.0 && v <= 1.0;
        let positive = |v: f64| v > 0.0;
        Self {
            error_rate: num("ERROR_ALERT_RATE", share).unwrap_or(d.error_rate),
            min_requests: num("ERROR_ALERT_MIN_REQUESTS", positive).unwrap_or(d.min_requests),
            p95_ms: num("ALERT_P95_MS", positive).unwrap_or(d.p95_ms),
            drop_share: num("ALERT_TRAFFIC_DROP", share).unwrap_or(d.drop_share),
            min_baseline: num("ALERT_MIN_BASELINE", positive).unwrap_or(d.min_baseline),
            denial_storm: num("ALERT_DENIAL_STORM", positive).unwrap_or(d.denial_storm),
            ingest_error_threshold: var("INGEST_ERROR_THRESHOLD")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(d.ingest_error_threshold),
            cooldown_ms: num("ALERT_COOLDOWN_MINUTES", |v| (1.0..=10_080.0).contains(&v))
                .map_or(d.cooldown_ms, |m| (m * 60_000.0) as i64),
            blind_after: d.blind_after,
        }
    }
}

/// The Analytics Engine table of an environment: `ANALYTICS_DATASET` when set, else the
/// wrangler.toml convention (`porygon` in production, `porygon_<environment>` elsewhere). It is
/// spliced into SQL, so anything but `[A-Za-z0-9_]` is refused.
pub(crate) fn dataset_name(environment: &str, configured: Option<&str>) -> Result<String, FleetError> {
    let name = match configured.map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => name.to_owned(),
        None if environment == "production" => "porygon".to_owned(),
        None => format!("porygon_{environment}"),
    };
    if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(FleetError::Dataset(name));
    }
    Ok(name)
}

/// The four queries of one check, in the order [`Snapshot::parse`] reads their answers. Counts
/// are weighted by `_sample_interval` (Analytics Engine samples under load).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Queries {
    /// Requests, 5xx, 429 and p95 latency of the window.
    pub traffic: String,
    /// Requests of the same window an hour and a week earlier.
    pub baselines: String,
    /// Ingestion runs of the last [`JOB_WINDOW_HOURS`]: total, succeeded, the latest one's errors.
    pub ingestion: String,
    /// Backup jobs (kind `backup`) of the same hours: total, succeeded, whether the latest failed.
    pub backups: String,
}

impl Queries {
    pub(crate) fn new(dataset: &str, rules: &FleetRules) -> Self {
        let (end, start) = (LAG_MINUTES, LAG_MINUTES + WINDOW_MINUTES);
        let window = |offset: u32| {
            format!(
                "(timestamp > NOW() - INTERVAL '{}' MINUTE AND timestamp <= NOW() - INTERVAL '{}' MINUTE)",
                start + offset,
                end + offset
            )
        };
        let (hour, week) = (60, 7 * 24 * 60);
        Self {
            traffic: format!(
                "SELECT SUM(_sample_interval) AS requests, SUM(_sample_interval * double3) AS errors, \
                 SUM(_sample_interval * double4) AS denied, \
                 quantileWeighted(0.95, double2, _sample_interval) AS p95_ms \
                 FROM {dataset} WHERE blob1 = 'request' AND {}",
                window(0)
            ),
            baselines: format!(
                "SELECT sumIf(_sample_interval, {h}) AS hour_ago, sumIf(_sample_interval, {w}) AS week_ago \
                 FROM {dataset} WHERE blob1 = 'request' AND ({h} OR {w})",
                h = window(hour),
                w = window(week)
            ),
            ingestion: format!(
                "SELECT SUM(_sample_interval) AS runs, sumIf(_sample_interval, double6 <= {t}) AS succeeded, \
                 argMax(double6, timestamp) AS last_errors \
                 FROM {dataset} WHERE blob1 = 'ingestion' AND timestamp > NOW() - INTERVAL '{JOB_WINDOW_HOURS}' HOUR",
                t = rules.ingest_error_threshold
            ),
            backups: format!(
                "SELECT SUM(_sample_interval) AS runs, sumIf(_sample_interval, double1 = 0) AS succeeded, \
                 argMax(double1, timestamp) AS last_failed \
                 FROM {dataset} WHERE blob1 = 'backup' AND blob3 = 'backup' \
                 AND timestamp > NOW() - INTERVAL '{JOB_WINDOW_HOURS}' HOUR"
            ),
        }
    }

    pub(crate) fn all(&self) -> [&str; 4] {
        [&self.traffic, &self.baselines, &self.ingestion, &self.backups]
    }
}

/// One check's figures, fleet-wide.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Snapshot {
    pub requests: f64,
    pub errors: f64,
    pub denied: f64,
    pub p95_ms: f64,
    pub hour_ago: f64,
    pub week_ago: f64,
    pub ingestion: JobFigures,
    pub backups: JobFigures,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobFigures {
    pub runs: f64,
    pub succeeded: f64,
    /// The latest run failed (ingestion: more errors than the threshold).
    pub last_failed: bool,
}

impl Snapshot {
    /// Reads the SQL API's JSON answers to [`Queries::all`], in that order. Numbers may come as
    /// JSON numbers or strings (64-bit integers are quoted); an aggregate over no rows may be
    /// null or NaN, read as 0.
    pub(crate) fn parse(answers: [&Value; 4], rules: &FleetRules) -> Result<Self, FleetError> {
        let row =
            |answer: &Value, what: &'static str| -> Result<serde_json::Map<String, Value>, FleetError> {
                match answer.get("data").and_then(Value::as_array).and_then(|rows| rows.first()) {
                    Some(Value::Object(row)) => Ok(row.clone()),
                    // An aggregate without GROUP BY has a row even over nothing; be lenient anyway.
                    _ if answer.get("data").and_then(Value::as_array).is_some_and(Vec::is_empty) => {
                        Ok(serde_json::Map::new())
                    }
                    _ => Err(FleetError::NoRow(what)),
                }
            };
        let num = |row: &serde_json::Map<String, Value>, key: &str| -> Result<f64, FleetError> {
            let value = match row.get(key) {
                None | Some(Value::Null) => return Ok(0.0),
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                    "nan" | "" | "inf" | "-inf" => Some(0.0),
                    s => s.parse::<f64>().ok(),
                },
                Some(_) => None,
            };
            value.filter(|v| v.is_finite()).ok_or_else(|| FleetError::NotANumber(key.to_owned()))
        };
        let [traffic, baselines, ingestion, backups] = answers;
        let (t, b) = (row(traffic, "traffic")?, row(baselines, "baselines")?);
        let (i, k) = (row(ingestion, "ingestion")?, row(backups, "backups")?);
        Ok(Self {
            requests: num(&t, "requests")?,
            errors: num(&t, "errors")?,
            denied: num(&t, "denied")?,
            p95_ms: num(&t, "p95_ms")?,
            hour_ago: num(&b, "hour_ago")?,
            week_ago: num(&b, "week_ago")?,
            ingestion: JobFigures {
                runs: num(&i, "runs")?,
                succeeded: num(&i, "succeeded")?,
                last_failed: num(&i, "runs")? > 0.0
                    && num(&i, "last_errors")? > f64::from(rules.ingest_error_threshold),
            },
            backups: JobFigures {
                runs: num(&k, "runs")?,
                succeeded: num(&k, "succeeded")?,
                last_failed: num(&k, "runs")? > 0.0 && num(&k, "last_failed")? > 0.0,
            },
        })
    }
}

/// Each alert, with its RUNBOOK playbook (`RUNBOOK.md#<anchor>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AlertKind {
    ErrorRate,
    Latency,
    TrafficDrop,
    DenialStorm,
    IngestionFailing,
    BackupFailing,
    /// The check itself failed [`FleetRules::blind_after`] times in a row: nobody is watching.
    MonitorBlind,
}

impl AlertKind {
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Self::ErrorRate => "error-rate",
            Self::Latency => "latency",
            Self::TrafficDrop => "traffic-drop",
            Self::DenialStorm => "denial-storm",
            Self::IngestionFailing => "ingestion-failing",
            Self::BackupFailing => "backup-failing",
            Self::MonitorBlind => "monitor-blind",
        }
    }

    pub(crate) const ALL: [Self; 7] = [
        Self::ErrorRate,
        Self::Latency,
        Self::TrafficDrop,
        Self::DenialStorm,
        Self::IngestionFailing,
        Self::BackupFailing,
        Self::MonitorBlind,
    ];

    pub(crate) fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// The RUNBOOK heading `### Alert: <slug>` renders as this anchor on GitHub.
    pub(crate) fn runbook_anchor(self) -> String {
        format!("alert-{}", self.slug())
    }
}

/// A rule that holds in a snapshot: what was seen against what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub kind: AlertKind,
    pub value: f64,
    pub threshold: f64,
    pub detail: String,
}

/// Every rule that holds in `s` (empty on a healthy or quiet fleet).
pub(crate) fn findings(rules: &FleetRules, s: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |kind, value: f64, threshold: f64, detail: String| {
        out.push(Finding { kind, value, threshold, detail });
    };
    let busy = s.requests >= rules.min_requests;
    let rate = if s.requests > 0.0 { s.errors / s.requests } else { 0.0 };
    if busy && rate > rules.error_rate {
        add(
            AlertKind::ErrorRate,
            rate,
            rules.error_rate,
            format!("{} of {} requests were 5xx", s.errors, s.requests),
        );
    }
    if busy && s.p95_ms > rules.p95_ms {
        add(
            AlertKind::Latency,
            s.p95_ms,
            rules.p95_ms,
            format!("p95 {:.0} ms over {} requests", s.p95_ms, s.requests),
        );
    }
    // Down against both the previous hour and the same window a week ago, each busy enough to
    // judge: a daily trough is in last week's figure, a slow evening in the previous hour's.
    let baseline = s.hour_ago.min(s.week_ago);
    if baseline >= rules.min_baseline && s.requests < rules.drop_share * baseline {
        add(
            AlertKind::TrafficDrop,
            s.requests / baseline,
            rules.drop_share,
            format!("{} requests; {} an hour ago, {} a week ago", s.requests, s.hour_ago, s.week_ago),
        );
    }
    if s.denied >= rules.denial_storm {
        add(
            AlertKind::DenialStorm,
            s.denied,
            rules.denial_storm,
            format!("{} quota refusals of {} requests", s.denied, s.requests),
        );
    }
    for (kind, job, what) in [
        (AlertKind::IngestionFailing, &s.ingestion, "ingestion run"),
        (AlertKind::BackupFailing, &s.backups, "backup"),
    ] {
        if job.last_failed || job.succeeded < 1.0 {
            let detail = if job.last_failed {
                format!(
                    "the latest {what} failed ({} of {} succeeded in {JOB_WINDOW_HOURS} h)",
                    job.succeeded, job.runs
                )
            } else {
                format!("no successful {what} in {JOB_WINDOW_HOURS} h ({} runs)", job.runs)
            };
            add(kind, job.succeeded, 1.0, detail);
        }
    }
    out
}

/// A firing alert, remembered between checks. Flat, with the alert as its slug: each type
/// persisted through rmp-serde costs the wasm its own decoder (bench/REPORT-peer.md, size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Firing {
    /// [`AlertKind::slug`].
    pub alert: String,
    pub since_ms: i64,
    pub last_sent_ms: i64,
    /// The last finding's figures.
    pub value: f64,
    pub threshold: f64,
    pub detail: String,
}

impl Firing {
    fn kind(&self) -> Option<AlertKind> {
        AlertKind::from_slug(&self.alert)
    }

    fn finding(&self, kind: AlertKind) -> Finding {
        Finding { kind, value: self.value, threshold: self.threshold, detail: self.detail.clone() }
    }

    fn update(&mut self, finding: &Finding) {
        self.value = finding.value;
        self.threshold = finding.threshold;
        self.detail.clone_from(&finding.detail);
    }
}

/// What the monitor remembers (persisted by the monitor object, rmp-serde).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct MonitorState {
    /// At most one per alert.
    pub firing: Vec<Firing>,
    pub consecutive_failures: u32,
    pub last_check_ms: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) enum NoticeKind {
    /// A rule started to hold.
    #[serde(rename = "alert.fired")]
    Fired,
    /// Still holding, a cooldown after the last notice.
    #[serde(rename = "alert.reminder")]
    Reminder,
    /// Held at the last check, no longer does.
    #[serde(rename = "alert.recovered")]
    Recovered,
}

/// One webhook message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Notice {
    pub kind: NoticeKind,
    pub alert: AlertKind,
    pub since_ms: i64,
    pub finding: Finding,
}

impl Notice {
    /// The signed webhook body. `runbook` is the RUNBOOK's URL (`RUNBOOK_URL`), the anchor added.
    pub(crate) fn payload(&self, environment: &str, runbook: &str, now_ms: i64) -> Value {
        serde_json::json!({
            "event": self.kind,
            "alert": self.alert.slug(),
            "environment": environment,
            "value": self.finding.value,
            "threshold": self.finding.threshold,
            "detail": self.finding.detail,
            "sinceMs": self.since_ms,
            "durationMs": now_ms - self.since_ms,
            "runbook": format!("{runbook}#{}", self.alert.runbook_anchor()),
        })
    }
}

impl MonitorState {
    /// A successful check: fires what newly holds, reminds about what still holds past the
    /// cooldown, announces the recovery of what no longer holds (the blind alert included).
    pub(crate) fn observe(&mut self, now_ms: i64, rules: &FleetRules, findings: Vec<Finding>) -> Vec<Notice> {
        self.last_check_ms = Some(now_ms);
        self.consecutive_failures = 0;
        self.last_error = None;
        let mut notices = Vec::new();
        let (still, recovered): (Vec<Firing>, Vec<Firing>) = std::mem::take(&mut self.firing)
            .into_iter()
            .partition(|f| findings.iter().any(|found| found.kind.slug() == f.alert));
        self.firing = still;
        for f in recovered {
            // An alert this version does not know (state from a later one) ends silently.
            if let Some(kind) = f.kind() {
                notices.push(Notice {
                    kind: NoticeKind::Recovered,
                    alert: kind,
                    since_ms: f.since_ms,
                    finding: f.finding(kind),
                });
            }
        }
        for finding in findings {
            notices.extend(self.hold(now_ms, rules, finding));
        }
        notices
    }

    /// A failed check (the SQL API unreachable, refusing, or answering nonsense): nothing fires
    /// or recovers on missing data, but after `blind_after` failures in a row the monitor says so.
    pub(crate) fn check_failed(&mut self, now_ms: i64, rules: &FleetRules, error: String) -> Vec<Notice> {
        self.last_check_ms = Some(now_ms);
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_error = Some(error.clone());
        if self.consecutive_failures < rules.blind_after {
            return Vec::new();
        }
        let finding = Finding {
            kind: AlertKind::MonitorBlind,
            value: f64::from(self.consecutive_failures),
            threshold: f64::from(rules.blind_after),
            detail: format!("{} checks in a row failed; last: {error}", self.consecutive_failures),
        };
        self.hold(now_ms, rules, finding).into_iter().collect()
    }

    /// Whether `kind` is firing.
    #[cfg(test)]
    pub(crate) fn is_firing(&self, kind: AlertKind) -> bool {
        self.firing.iter().any(|f| f.alert == kind.slug())
    }

    fn hold(&mut self, now_ms: i64, rules: &FleetRules, finding: Finding) -> Option<Notice> {
        let kind = finding.kind;
        match self.firing.iter_mut().find(|f| f.alert == kind.slug()) {
            Some(f) => {
                f.update(&finding);
                (now_ms - f.last_sent_ms >= rules.cooldown_ms).then(|| {
                    f.last_sent_ms = now_ms;
                    Notice { kind: NoticeKind::Reminder, alert: kind, since_ms: f.since_ms, finding }
                })
            }
            None => {
                self.firing.push(Firing {
                    alert: kind.slug().to_owned(),
                    since_ms: now_ms,
                    last_sent_ms: now_ms,
                    value: finding.value,
                    threshold: finding.threshold,
                    detail: finding.detail.clone(),
                });
                Some(Notice { kind: NoticeKind::Fired, alert: kind, since_ms: now_ms, finding })
            }
        }
    }
}

#[cfg(test)]
mod tests;
