//! MCP sessions: what is remembered about a client between requests, and where it lives.
//!
//! A session id has three parts, `<owner>.<secret>.<tag>`: the owner is the name of the client
//! Durable Object that holds the session, so the router can find it even when the client's IP
//! changed mid-session (Claude.ai's egress rotates); the secret is 128 random bits; the tag is a
//! MAC over both under a server key ([`SessionKeys`]). Owner names are plain hashes anyone can
//! compute, so without the tag a forged id could route — and charge — any object; with it, the
//! router refuses a forged id before any object is contacted.

use hmac::Mac;
use rmcp::model::{LoggingLevel, ProtocolVersion};
use serde::{Deserialize, Serialize};

use crate::primitives::digest::{hmac_sha256, sha256, HmacSha256};
use crate::primitives::hex::{hex, unhex};

/// A session expires after this long without a request (sliding).
pub const DEFAULT_IDLE_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// `last_seen` is persisted at most this often: expiry is a 30-day figure, so an hour of slack
/// saves a storage write on nearly every request.
pub(crate) const TOUCH_GRANULARITY_MS: i64 = 3600 * 1000;

const HALF_HEX: usize = 32;

/// The persisted state of one session (rmp-serde, named fields so it can evolve).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub protocol_version: ProtocolVersion,
    pub client_name: String,
    pub client_version: String,
    /// The client's declared capabilities, kept verbatim (JSON text) for diagnostics.
    pub client_capabilities: String,
    pub log_level: Option<LoggingLevel>,
    pub initialized: bool,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
    pub idle_ttl_ms: i64,
}

impl Session {
    pub fn expires_at_ms(&self) -> i64 {
        self.last_seen_ms.saturating_add(self.idle_ttl_ms)
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms()
    }

    /// Records activity; returns true when the change is worth persisting.
    pub fn touch(&mut self, now_ms: i64) -> bool {
        if now_ms - self.last_seen_ms >= TOUCH_GRANULARITY_MS {
            self.last_seen_ms = now_ms;
            true
        } else {
            false
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        crate::primitives::persist::encode(self).expect("a Session always serializes")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        crate::primitives::persist::decode(bytes)
            .map_err(|e| StoreError::Corrupt(format!("session record: {e}")))
    }
}

/// A well-formed `Mcp-Session-Id`. Well-formed is not authentic: check it with
/// [`SessionKeys::verify`] (or parse with [`SessionKeys::parse`]) before it routes anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionId {
    pub owner: String,
    pub secret: String,
    pub tag: String,
}

impl SessionId {
    /// Strict: exactly `<32 lowercase hex>.<32 lowercase hex>.<32 lowercase hex>`. Anything else
    /// is not ours and is answered 404 without touching storage.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('.');
        let (owner, secret, tag) = (parts.next()?, parts.next()?, parts.next()?);
        (parts.next().is_none() && [owner, secret, tag].iter().all(|p| is_hex(p, HALF_HEX))).then(|| Self {
            owner: owner.to_owned(),
            secret: secret.to_owned(),
            tag: tag.to_owned(),
        })
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.owner, self.secret, self.tag)
    }
}

/// The server keys that sign session ids: `current` signs, `previous` (during a rotation, see
/// RUNBOOK "Secret rotation") still verifies.
#[derive(Clone)]
pub struct SessionKeys {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
}

/// Shortest key accepted: 128 bits of hex or base64 text is 22+ characters.
pub(crate) const MIN_SESSION_KEY_LEN: usize = 16;

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

impl SessionKeys {
    /// From the secrets' text. `None` when the current key is missing or shorter than
    /// [`MIN_SESSION_KEY_LEN`]: then no session can be issued or routed (fail closed). A short
    /// previous key is ignored.
    pub fn new(current: Option<&str>, previous: Option<&str>) -> Option<Self> {
        let usable = |k: &str| (k.trim().len() >= MIN_SESSION_KEY_LEN).then(|| k.trim().as_bytes().to_vec());
        Some(Self { current: current.and_then(usable)?, previous: previous.and_then(usable) })
    }

    /// A new id for a session owned by `owner` (an [`owner_for`] value).
    pub fn generate(&self, owner: &str) -> Result<SessionId, StoreError> {
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).map_err(|e| StoreError::Misconfigured(format!("no randomness: {e}")))?;
        let secret = hex(&secret);
        let tag = hex(&Self::mac(&self.current, owner, &secret).finalize().into_bytes()[..HALF_HEX / 2]);
        Ok(SessionId { owner: owner.to_owned(), secret, tag })
    }

    /// Whether `id` was issued under one of these keys (constant-time comparison).
    pub fn verify(&self, id: &SessionId) -> bool {
        let Some(tag) = unhex(&id.tag) else { return false };
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .any(|key| Self::mac(key, &id.owner, &id.secret).verify_truncated_left(&tag).is_ok())
    }

    /// Parses and verifies: `Some` only for an authentic id.
    pub fn parse(&self, raw: &str) -> Option<SessionId> {
        SessionId::parse(raw).filter(|id| self.verify(id))
    }

    fn mac(key: &[u8], owner: &str, secret: &str) -> HmacSha256 {
        let mut mac = hmac_sha256(key);
        mac.update(b"porygon-session:");
        mac.update(owner.as_bytes());
        mac.update(b".");
        mac.update(secret.as_bytes());
        mac
    }
}

/// The Durable Object name owning a client's sessions: a hash, so ids and object names never
/// carry the raw client key (an IP address or API key).
pub(crate) fn owner_for(client_key: &str) -> String {
    hex(&sha256(client_key.as_bytes())[..HALF_HEX / 2])
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why session (or admission) storage could not serve, and whose problem it is. Every kind is
/// answered 503 by the transport (a client can do nothing about any of them); the kinds say
/// whether a retry can help, for logs and error reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The storage failed or could not be reached: transient, a retry can succeed.
    #[error("session storage: {0}")]
    Unavailable(String),
    /// A stored record does not decode: it stays unreadable until it expires.
    #[error("session storage: {0}")]
    Corrupt(String),
    /// This server cannot hold sessions as configured (no session id key) or lacks a platform
    /// facility (randomness): an operator must act.
    #[error("session storage: {0}")]
    Misconfigured(String),
}

impl StoreError {
    /// Whether the same request can succeed later without anyone acting.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Where sessions live. Synchronous on purpose: Durable Object SQLite storage is synchronous, and
/// no await between load and save means no interleaving request can see half an update.
pub trait SessionStore {
    fn load(&self, id: &str) -> Result<Option<Session>, StoreError>;
    fn save(&self, session: &Session) -> Result<(), StoreError>;
    /// Returns whether a session was removed.
    fn remove(&self, id: &str) -> Result<bool, StoreError>;
    /// Removes the least recently seen sessions beyond `max` (clients rarely send DELETE, so
    /// without a bound a chatty client grows storage for 30 days); returns how many went.
    fn evict_beyond(&self, max: usize) -> Result<usize, StoreError>;
}

/// An in-memory store for native tests and benchmarks.
#[derive(Default)]
pub struct MemorySessionStore {
    records: std::cell::RefCell<std::collections::HashMap<String, Vec<u8>>>,
}

impl MemorySessionStore {
    pub fn len(&self) -> usize {
        self.records.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SessionStore for MemorySessionStore {
    fn load(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.records.borrow().get(id).map(|b| Session::from_bytes(b)).transpose()
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        self.records.borrow_mut().insert(session.id.clone(), session.to_bytes());
        Ok(())
    }

    fn remove(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.records.borrow_mut().remove(id).is_some())
    }

    fn evict_beyond(&self, max: usize) -> Result<usize, StoreError> {
        let mut by_recency: Vec<(i64, String)> = self
            .records
            .borrow()
            .iter()
            .map(|(id, b)| Session::from_bytes(b).map(|s| (s.last_seen_ms, id.clone())))
            .collect::<Result<_, _>>()?;
        by_recency.sort_unstable_by(|a, b| b.cmp(a));
        let doomed: Vec<String> = by_recency.into_iter().skip(max).map(|(_, id)| id).collect();
        let mut records = self.records.borrow_mut();
        doomed.iter().for_each(|id| {
            records.remove(id);
        });
        Ok(doomed.len())
    }
}

/// A store's recently used sessions, kept in memory in front of it (write-through).
///
/// For a store with one writer, such as a Durable Object's own SQLite: every change goes
/// through this cache, so memory never disagrees with storage, and a request on a known session
/// reads no row and decodes no record. A write the store refuses forgets the entry (storage is
/// the truth); anything that deletes rows behind the cache's back (`evict_beyond`, an expiry
/// sweep: [`CachedSessions::forget_all`]) empties it.
pub(crate) struct CachedSessions<S> {
    store: S,
    recent: std::cell::RefCell<lru::LruCache<String, Session>>,
}

/// Sessions kept per object: a client has a handful open at a time.
pub(crate) const CACHED_SESSIONS: usize = 16;

impl<S: SessionStore> CachedSessions<S> {
    pub(crate) fn new(store: S) -> Self {
        let capacity = std::num::NonZeroUsize::new(CACHED_SESSIONS).expect("non-zero");
        Self { store, recent: std::cell::RefCell::new(lru::LruCache::new(capacity)) }
    }

    pub(crate) fn store(&self) -> &S {
        &self.store
    }

    /// After rows were deleted without this cache (the alarm's sweep).
    pub(crate) fn forget_all(&self) {
        self.recent.borrow_mut().clear();
    }
}

impl<S: SessionStore> SessionStore for CachedSessions<S> {
    fn load(&self, id: &str) -> Result<Option<Session>, StoreError> {
        if let Some(hit) = self.recent.borrow_mut().get(id) {
            return Ok(Some(hit.clone()));
        }
        let loaded = self.store.load(id)?;
        if let Some(s) = &loaded {
            self.recent.borrow_mut().put(id.to_owned(), s.clone());
        }
        Ok(loaded)
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        match self.store.save(session) {
            Ok(()) => {
                self.recent.borrow_mut().put(session.id.clone(), session.clone());
                Ok(())
            }
            Err(e) => {
                self.recent.borrow_mut().pop(&session.id);
                Err(e)
            }
        }
    }

    fn remove(&self, id: &str) -> Result<bool, StoreError> {
        self.recent.borrow_mut().pop(id);
        self.store.remove(id)
    }

    fn evict_beyond(&self, max: usize) -> Result<usize, StoreError> {
        let evicted = self.store.evict_beyond(max);
        if !matches!(evicted, Ok(0)) {
            self.forget_all();
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(now: i64) -> Session {
        Session {
            id: "x".into(),
            protocol_version: ProtocolVersion::V_2025_06_18,
            client_name: "c".into(),
            client_version: "1".into(),
            client_capabilities: "{}".into(),
            log_level: Some(LoggingLevel::Warning),
            initialized: true,
            created_at_ms: now,
            last_seen_ms: now,
            idle_ttl_ms: DEFAULT_IDLE_TTL_MS,
        }
    }

    /// A store that counts reads and can be told to fail writes.
    #[derive(Default)]
    struct CountingStore {
        inner: MemorySessionStore,
        loads: std::cell::Cell<usize>,
        fail_saves: std::cell::Cell<bool>,
    }

    impl SessionStore for CountingStore {
        fn load(&self, id: &str) -> Result<Option<Session>, StoreError> {
            self.loads.set(self.loads.get() + 1);
            self.inner.load(id)
        }
        fn save(&self, session: &Session) -> Result<(), StoreError> {
            if self.fail_saves.get() {
                return Err(StoreError::Unavailable("injected".into()));
            }
            self.inner.save(session)
        }
        fn remove(&self, id: &str) -> Result<bool, StoreError> {
            self.inner.remove(id)
        }
        fn evict_beyond(&self, max: usize) -> Result<usize, StoreError> {
            self.inner.evict_beyond(max)
        }
    }

    #[test]
    fn cached_sessions_read_storage_once_and_never_disagree_with_it() {
        let cached = CachedSessions::new(CountingStore::default());
        let mut s = session(1_000);
        cached.save(&s).unwrap();
        // Saved through the cache: no read at all, and the same record as storage.
        assert_eq!(cached.load("x").unwrap().as_ref(), Some(&s));
        assert_eq!(cached.store().loads.get(), 0);
        assert_eq!(cached.store().inner.load("x").unwrap().as_ref(), Some(&s));

        // A refused write: memory forgets, the next load reads storage's (older) record.
        let stored = s.clone();
        s.last_seen_ms += TOUCH_GRANULARITY_MS;
        cached.store().fail_saves.set(true);
        assert!(cached.save(&s).is_err());
        cached.store().fail_saves.set(false);
        assert_eq!(cached.load("x").unwrap(), Some(stored.clone()));
        assert_eq!(cached.store().loads.get(), 1);
        assert_eq!(cached.load("x").unwrap(), Some(stored), "then served from memory");
        assert_eq!(cached.store().loads.get(), 1);

        // Removed, swept or evicted rows are not served from memory.
        assert!(cached.remove("x").unwrap());
        assert_eq!(cached.load("x").unwrap(), None);
        cached.save(&session(2_000)).unwrap();
        cached.store().inner.remove("x").unwrap(); // a sweep, behind the cache's back
        cached.forget_all();
        assert_eq!(cached.load("x").unwrap(), None);
        for (i, at) in [(1, 10), (2, 20), (3, 30)] {
            cached.save(&Session { id: format!("s{i}"), ..session(at) }).unwrap();
        }
        assert_eq!(cached.evict_beyond(2).unwrap(), 1);
        assert_eq!(cached.load("s1").unwrap(), None, "the evicted session is gone from memory too");
        assert!(cached.load("s3").unwrap().is_some());
    }

    #[test]
    fn cached_sessions_stay_within_their_capacity() {
        let cached = CachedSessions::new(CountingStore::default());
        for i in 0..CACHED_SESSIONS * 3 {
            cached.save(&Session { id: format!("s{i}"), ..session(i as i64) }).unwrap();
        }
        assert_eq!(cached.recent.borrow().len(), CACHED_SESSIONS);
        // The oldest were dropped from memory, not from storage.
        assert!(cached.load("s0").unwrap().is_some());
        assert_eq!(cached.store().loads.get(), 1);
    }

    #[test]
    fn round_trips_through_msgpack() {
        let s = session(1_700_000_000_000);
        assert_eq!(Session::from_bytes(&s.to_bytes()).unwrap(), s);
        let corrupt = Session::from_bytes(b"\xc1garbage").unwrap_err();
        assert!(matches!(corrupt, StoreError::Corrupt(_)) && !corrupt.is_transient(), "{corrupt:?}");
        assert!(corrupt.to_string().starts_with("session storage: session record: "));
        assert!(StoreError::Unavailable("down".into()).is_transient());
    }

    #[test]
    fn expiry_slides_with_coarse_touches() {
        let mut s = session(0);
        assert!(!s.touch(TOUCH_GRANULARITY_MS - 1), "sub-granularity touch is not persisted");
        assert!(s.touch(TOUCH_GRANULARITY_MS));
        assert_eq!(s.expires_at_ms(), TOUCH_GRANULARITY_MS + DEFAULT_IDLE_TTL_MS);
        assert!(!s.is_expired(s.expires_at_ms() - 1));
        assert!(s.is_expired(s.expires_at_ms()));
    }

    fn keys() -> SessionKeys {
        SessionKeys::new(Some("test-session-key-0123456789"), None).unwrap()
    }

    #[test]
    fn session_ids_are_strict_and_carry_their_owner() {
        let owner = owner_for("203.0.113.7");
        assert_eq!(owner.len(), 32);
        assert_eq!(owner, owner_for("203.0.113.7"));
        assert_ne!(owner, owner_for("203.0.113.8"));
        let id = keys().generate(&owner).unwrap();
        let text = id.to_string();
        assert_eq!(SessionId::parse(&text), Some(id.clone()));
        assert_eq!(keys().parse(&text), Some(id.clone()));
        assert_ne!(keys().generate(&owner).unwrap(), id, "secrets are random");
        for bad in [
            "",
            ".",
            "..",
            "abc",
            &text.to_uppercase(),
            &format!("{text}0"),
            &format!("{text}.{owner}"),
            &text.replace('.', "-"),
            "../../etc/passwd",
            &format!("{owner}.{owner}.{owner}\r\nX: y"),
        ] {
            assert_eq!(SessionId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_servers_key_makes_an_id_that_routes() {
        let k = keys();
        let victim = owner_for("network:160.79.104.0/21");
        let genuine = k.generate(&victim).unwrap();
        assert!(k.verify(&genuine));
        // Anyone can compute an owner and write a well-formed id: it does not verify.
        let forged = SessionId { owner: victim.clone(), secret: "a".repeat(32), tag: "b".repeat(32) };
        assert!(SessionId::parse(&forged.to_string()).is_some());
        assert_eq!(k.parse(&forged.to_string()), None);
        // A genuine tag moved onto another owner or secret does not verify either.
        let moved = SessionId { owner: owner_for("ip:203.0.113.1"), ..genuine.clone() };
        assert!(!k.verify(&moved));
        let reseeded = SessionId { secret: "c".repeat(32), ..genuine.clone() };
        assert!(!k.verify(&reseeded));
        // Another deployment's key does not verify ours.
        let other = SessionKeys::new(Some("another-deployment-key-000"), None).unwrap();
        assert!(!other.verify(&genuine));
    }

    #[test]
    fn rotation_verifies_old_ids_and_signs_with_the_new_key() {
        let old = keys();
        let issued_before = old.generate("a".repeat(32).as_str()).unwrap();
        let rotated =
            SessionKeys::new(Some("the-new-session-key-abcdefgh"), Some("test-session-key-0123456789"))
                .unwrap();
        assert!(rotated.verify(&issued_before), "ids issued before the rotation keep working");
        let issued_after = rotated.generate("a".repeat(32).as_str()).unwrap();
        assert!(!old.verify(&issued_after), "new ids are signed with the new key");
        let finished = SessionKeys::new(Some("the-new-session-key-abcdefgh"), None).unwrap();
        assert!(!finished.verify(&issued_before), "after the rotation the old key is gone");
    }

    #[test]
    fn missing_or_short_keys_fail_closed() {
        assert!(SessionKeys::new(None, None).is_none());
        assert!(SessionKeys::new(Some(""), Some("test-session-key-0123456789")).is_none());
        assert!(SessionKeys::new(Some("short"), None).is_none());
        assert!(SessionKeys::new(Some("  test-session-key-0123456789  "), Some("x")).is_some());
    }
}
