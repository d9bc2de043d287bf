//! `mcp::jsonrpc::parse`: arbitrary bytes and arbitrary JSON never panic, and every message is
//! classified as JSON-RPC 2.0 says — checked against an independent reading of the spec
//! ([`expected`]), which the transport properties reuse for the ids they must echo.

use porygon::{parse_jsonrpc as parse, Incoming, Message, MAX_BATCH};
use proptest::prelude::*;
use rmcp::model::{ErrorCode, RequestId};
use serde_json::{json, Map, Value};

use crate::support::{config, nasty_text, one_of_pool, species_names, Bytes, FORMATS};

/// Nesting `parse` accepts (jsonrpc::MAX_DEPTH).
pub(crate) const MAX_DEPTH: usize = 64;

/// What one message of a body is, by the JSON-RPC 2.0 spec (and this server's choice that ids
/// are strings or integers that fit an i64, never null).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Request {
        id: Value,
        method: String,
        params: Option<Map<String, Value>>,
    },
    Notification {
        method: String,
        params: Option<Map<String, Value>>,
    },
    /// A response to a server request: accepted, never answered.
    Response,
    /// Answered with -32600, carrying the id when it was readable.
    Invalid {
        id: Option<Value>,
    },
}

impl Kind {
    /// The id a reply to this message carries: `None` when it gets no reply.
    pub(crate) fn reply_id(&self) -> Option<Value> {
        match self {
            Kind::Request { id, .. } => Some(id.clone()),
            Kind::Invalid { id } => Some(id.clone().unwrap_or(Value::Null)),
            Kind::Notification { .. } | Kind::Response => None,
        }
    }

    /// The id the client can read back, if the message had one.
    pub(crate) fn readable_id(&self) -> Option<Value> {
        match self {
            Kind::Request { id, .. } | Kind::Invalid { id: Some(id) } => Some(id.clone()),
            _ => None,
        }
    }
}

pub(crate) fn expected(v: &Value) -> Kind {
    let Value::Object(obj) = v else { return Kind::Invalid { id: None } };
    let id = match obj.get("id") {
        None => None,
        Some(Value::String(s)) => Some(Value::String(s.clone())),
        Some(Value::Number(n)) if n.as_i64().is_some() => Some(Value::Number(n.clone())),
        Some(_) => return Kind::Invalid { id: None },
    };
    let invalid = Kind::Invalid { id: id.clone() };
    if obj.get("jsonrpc") != Some(&json!("2.0")) {
        return invalid;
    }
    let method = match obj.get("method") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return invalid,
        None if obj.contains_key("result") || obj.contains_key("error") => return Kind::Response,
        None => return invalid,
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p.clone()),
        Some(_) => return invalid,
    };
    match id {
        Some(id) => Kind::Request { id, method, params },
        None => Kind::Notification { method, params },
    }
}

pub(crate) fn depth(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// How a body is read: the whole-body refusal's code (not JSON: -32700; an empty or oversized
/// batch, or nesting past [`MAX_DEPTH`]: -32600), else whether it is a batch and its messages.
/// A lone object nested too deep is still a message: refused, under its id when readable.
pub(crate) fn expected_body(body: &[u8]) -> Result<(bool, Vec<Kind>), ErrorCode> {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        // serde_json's own depth limit (128): too deep, like anything past MAX_DEPTH.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            return Err(ErrorCode::INVALID_REQUEST)
        }
        Err(_) => return Err(ErrorCode::PARSE_ERROR),
    };
    if depth(&v) > MAX_DEPTH {
        return match &v {
            Value::Object(obj) => {
                let id = obj.get("id").filter(|id| id.is_string() || id.as_i64().is_some()).cloned();
                Ok((false, vec![Kind::Invalid { id }]))
            }
            _ => Err(ErrorCode::INVALID_REQUEST),
        };
    }
    match &v {
        Value::Array(items) if items.is_empty() || items.len() > MAX_BATCH => Err(ErrorCode::INVALID_REQUEST),
        Value::Array(items) => Ok((true, items.iter().map(expected).collect())),
        other => Ok((false, vec![expected(other)])),
    }
}

fn id_value(id: &RequestId) -> Value {
    id.clone().into_json_value()
}

fn actual(m: &Message) -> Kind {
    match m {
        Message::Request(r) => {
            Kind::Request { id: id_value(&r.id), method: r.method.clone(), params: r.params.clone() }
        }
        Message::Notification(n) => Kind::Notification { method: n.method.clone(), params: n.params.clone() },
        Message::Response => Kind::Response,
        Message::Invalid { id, .. } => Kind::Invalid { id: id.as_ref().map(id_value) },
    }
}

// ---------------------------------------------------------------------------
// Generators, shared with the transport properties.

/// Every method a client may send, and some it may not.
pub(crate) const METHODS: [&str; 18] = [
    "initialize",
    "ping",
    "server/discover",
    "logging/setLevel",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
    "sampling/createMessage",
    "tools/List",
];
pub(crate) const VERSIONS: [&str; 5] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"];
pub(crate) const TOOLS: [&str; 5] =
    ["get_pokemon", "query_strategy", "get_popular_sets", "get_usage_stats", "analyze_team"];
pub(crate) const PROMPTS: [&str; 3] = ["pokemon_overview", "plan_against", "review_team"];

pub(crate) fn arbitrary_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        (-3i64..40).prop_map(Value::from),
        nasty_text().prop_map(Value::from),
        prop::sample::select(VERSIONS.to_vec()).prop_map(Value::from),
        (0usize..5_000).prop_map(|n| Value::from("Z".repeat(n))),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Object keys: the protocol's own, mostly.
fn key() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "jsonrpc", "id", "method", "params", "result", "error", "_meta", "name", "arguments", "uri", "cursor",
            "protocolVersion", "capabilities", "clientInfo", "level", "ref", "argument", "context", "query",
            "pokemon", "format", "paste", "generation", "limit", "section", "value", "type", "version", "month",
            "cutoff", "io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientCapabilities",
        ])
        .prop_map(str::to_owned),
        1 => nasty_text(),
    ].boxed()
}

/// An id of every JSON type (and none).
pub(crate) fn id_field() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        2 => Just(None),
        3 => (0i64..100).prop_map(|i| Some(json!(i))),
        1 => any::<i64>().prop_map(|i| Some(json!(i))),
        1 => ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(|i| Some(json!(i))),
        1 => prop::sample::select(vec![1.0, 1.5, -0.0, 1e300, -2.5]).prop_map(|f| Some(json!(f))),
        2 => nasty_text().prop_map(|s| Some(json!(s))),
        1 => Just(Some(Value::Null)),
        1 => any::<bool>().prop_map(|b| Some(json!(b))),
        1 => arbitrary_json().prop_map(|v| Some(json!([v]))),
        1 => arbitrary_json().prop_map(|v| Some(json!({"id": v}))),
    ]
    .boxed()
}

fn text_value() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => one_of_pool(species_names).prop_map(Value::from),
        2 => prop::sample::select(FORMATS.to_vec()).prop_map(Value::from),
        2 => nasty_text().prop_map(Value::from),
        1 => crate::paste::junk_paste().prop_map(Value::from),
        1 => (1usize..30).prop_map(|n| Value::from("Garchomp @ Leftovers\n- Earthquake\n\n".repeat(n))),
        1 => (0usize..25_000).prop_map(|n| Value::from("x".repeat(n))),
        1 => arbitrary_json(),
        1 => (-5i64..30).prop_map(Value::from),
    ]
    .boxed()
}

fn arguments() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => prop::collection::btree_map(key(), text_value(), 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        1 => arbitrary_json(),
    ].boxed()
}

fn uri() -> BoxedStrategy<Value> {
    let segment = prop_oneof![
        one_of_pool(species_names).prop_map(|s| s.replace(' ', "%20")),
        nasty_text(),
        prop::sample::select(vec![
            "..",
            "%2e%2e",
            "a%2Fb",
            "%ff",
            "x%00",
            "",
            "Mr.%20Mime",
            "1",
            "9",
            "10",
            "0"
        ])
        .prop_map(str::to_owned),
    ];
    (
        prop::sample::select(vec![
            "pokemon://dex/",
            "pokemon://typechart/",
            "pokemon://sets/gen9ou/",
            "pokemon://sets/",
            "pokemon://usage/",
            "file:///",
            "",
        ]),
        segment,
    )
        .prop_map(|(prefix, s)| Value::from(format!("{prefix}{s}")))
        .boxed()
}

/// `_meta` as 2026-07-28 wants it — or nearly.
pub(crate) fn meta() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        2 => Just(None),
        4 => Just(Some(json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}))),
        1 => (prop::sample::select(VERSIONS.to_vec()), arbitrary_json()).prop_map(|(v, caps)| Some(json!({"io.modelcontextprotocol/protocolVersion": v, "io.modelcontextprotocol/clientCapabilities": caps}))),
        1 => Just(Some(json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"}))),
        1 => arbitrary_json().prop_map(Some),
    ].boxed()
}

/// An object with `fields`: required ones always (nearly), optional ones sometimes.
fn object(fields: Vec<(&'static str, BoxedStrategy<Value>, bool)>) -> BoxedStrategy<Value> {
    let keys: Vec<(&'static str, bool)> = fields.iter().map(|(k, _, required)| (*k, *required)).collect();
    let values: Vec<BoxedStrategy<Value>> = fields.into_iter().map(|(_, v, _)| v).collect();
    let n = keys.len();
    (values, prop::collection::vec(prop::bool::weighted(0.5), n), prop::bool::weighted(0.05))
        .prop_map(move |(values, keep, drop_required)| {
            let mut m = Map::new();
            for ((&(k, required), v), keep) in keys.iter().zip(values).zip(keep) {
                if (required && !drop_required) || keep {
                    m.insert(k.to_owned(), v);
                }
            }
            Value::Object(m)
        })
        .boxed()
}

fn pick(names: &[&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![8 => prop::sample::select(names.to_vec()).prop_map(Value::from), 1 => arbitrary_json()]
        .boxed()
}

fn species() -> BoxedStrategy<Value> {
    prop_oneof![6 => one_of_pool(species_names).prop_map(Value::from), 1 => text_value()].boxed()
}

fn format() -> BoxedStrategy<Value> {
    prop_oneof![6 => prop::sample::select(FORMATS.to_vec()).prop_map(Value::from), 1 => text_value()].boxed()
}

fn small_int(range: std::ops::RangeInclusive<i64>) -> BoxedStrategy<Value> {
    prop_oneof![6 => range.prop_map(Value::from), 1 => text_value()].boxed()
}

fn paste() -> BoxedStrategy<Value> {
    prop_oneof![4 => crate::paste::team_paste(), 1 => crate::paste::junk_paste(), 1 => nasty_text()]
        .prop_map(Value::from)
        .boxed()
}

fn question() -> BoxedStrategy<Value> {
    prop_oneof![
        2 => prop::sample::select(vec!["kingambit counters", "how to beat Great Tusk", "best Tera type for Kingambit", "sets"])
            .prop_map(Value::from),
        2 => nasty_text().prop_map(Value::from),
        1 => text_value(),
    ]
    .boxed()
}

/// Arguments of `tool`, its own keys mostly (wrong ones too: the tools must say so).
fn tool_arguments(tool: &str) -> BoxedStrategy<Value> {
    let fields = match tool {
        "get_pokemon" => vec![
            ("name", species(), true),
            ("generation", small_int(0..=10), false),
            ("format", format(), false),
        ],
        "query_strategy" => vec![
            ("query", question(), true),
            ("pokemon", species(), false),
            ("format", format(), false),
            ("section", pick(&["overview", "sets", "checks", "usage", "nope"]), false),
            ("limit", small_int(0..=21), false),
        ],
        "get_popular_sets" => vec![
            ("pokemon", species(), true),
            ("format", format(), true),
            ("month", pick(&["2024-06", "2024-05", "2024-13", "june"]), false),
            ("cutoff", small_int(-1..=3001), false),
        ],
        "get_usage_stats" => vec![
            ("format", format(), true),
            ("limit", small_int(0..=101), false),
            ("cursor", pick(&["1", "50", "x", "-1", "99999"]), false),
        ],
        "analyze_team" => vec![("paste", paste(), true), ("format", format(), true)],
        _ => vec![],
    };
    prop_oneof![8 => object(fields), 1 => arguments()].boxed()
}

fn prompt_arguments(prompt: &str) -> BoxedStrategy<Value> {
    let text = |v: BoxedStrategy<Value>| {
        v.prop_map(|v| match v {
            Value::String(_) => v,
            other => Value::String(other.to_string()),
        })
        .boxed()
    };
    let fields = match prompt {
        "pokemon_overview" => {
            vec![("name", text(species()), true), ("generation", text(small_int(0..=10)), false)]
        }
        "plan_against" => vec![("pokemon", text(species()), true), ("format", text(format()), true)],
        "review_team" => vec![("paste", paste(), true), ("format", text(format()), true)],
        _ => vec![],
    };
    prop_oneof![8 => object(fields), 1 => arguments()].boxed()
}

/// Params shaped for `method`, sometimes wrongly.
pub(crate) fn params_for(method: &str) -> BoxedStrategy<Value> {
    let shaped = match method {
        "initialize" => object(vec![
            ("protocolVersion", pick(&VERSIONS), true),
            ("capabilities", prop_oneof![4 => Just(json!({})), 1 => arbitrary_json()].boxed(), true),
            (
                "clientInfo",
                prop_oneof![
                    4 => (nasty_text(), nasty_text()).prop_map(|(n, v)| json!({"name": n, "version": v})),
                    1 => arbitrary_json(),
                ]
                .boxed(),
                true,
            ),
        ]),
        "tools/call" => prop_oneof![
            6 => prop::sample::select(TOOLS.to_vec())
                .prop_flat_map(|t| tool_arguments(t).prop_map(move |a| json!({"name": t, "arguments": a}))),
            1 => object(vec![("name", pick(&TOOLS), true), ("arguments", arguments(), false)]),
        ]
        .boxed(),
        "prompts/get" => prop_oneof![
            6 => prop::sample::select(PROMPTS.to_vec())
                .prop_flat_map(|p| prompt_arguments(p).prop_map(move |a| json!({"name": p, "arguments": a}))),
            1 => object(vec![("name", pick(&PROMPTS), true), ("arguments", arguments(), false)]),
        ]
        .boxed(),
        "resources/read" => object(vec![("uri", uri(), true)]),
        "logging/setLevel" => {
            object(vec![("level", pick(&["debug", "info", "warning", "error", "emergency", "loud"]), true)])
        }
        "completion/complete" => object(vec![
            (
                "ref",
                prop_oneof![
                    pick(&PROMPTS).prop_map(|n| json!({"type": "ref/prompt", "name": n})),
                    uri().prop_map(|u| json!({"type": "ref/resource", "uri": u})),
                    pick(&[
                        "pokemon://dex/{name}",
                        "pokemon://sets/{format}/{name}",
                        "pokemon://usage/{format}"
                    ])
                    .prop_map(|u| json!({"type": "ref/resource", "uri": u})),
                    arbitrary_json(),
                ]
                .boxed(),
                true,
            ),
            (
                "argument",
                (pick(&["name", "generation", "pokemon", "format", "paste"]), text_value())
                    .prop_map(|(n, v)| json!({"name": n, "value": v}))
                    .boxed(),
                true,
            ),
            ("context", arbitrary_json(), false),
        ]),
        _ => object(vec![(
            "cursor",
            prop_oneof![nasty_text().prop_map(Value::from), Just(json!("50")), arbitrary_json()].boxed(),
            false,
        )]),
    };
    (shaped, meta())
        .prop_map(|(mut params, meta)| {
            if let (Value::Object(p), Some(meta)) = (&mut params, meta) {
                p.insert("_meta".into(), meta);
            }
            params
        })
        .boxed()
}

/// A JSON-RPC message, mostly well formed: a real method with fitting params.
pub(crate) fn message() -> BoxedStrategy<Value> {
    let method = prop_oneof![
        8 => prop::sample::select(METHODS.to_vec()).prop_map(|m| Some(Value::from(m))),
        1 => nasty_text().prop_map(|m| Some(Value::from(m))),
        1 => arbitrary_json().prop_map(Some),
        1 => Just(None),
    ];
    method.prop_flat_map(|method| {
        let name = method.as_ref().and_then(Value::as_str).unwrap_or("").to_owned();
        (
            Just(method),
            prop_oneof![
                8 => Just(Some(json!("2.0"))),
                1 => prop::sample::select(vec![json!("1.0"), json!(2.0), json!("2.0 "), Value::Null]).prop_map(Some),
                1 => Just(None),
            ],
            id_field(),
            prop_oneof![
                6 => params_for(&name).prop_map(Some),
                1 => Just(None),
                1 => Just(Some(Value::Null)),
                1 => arbitrary_json().prop_map(Some),
            ],
            prop_oneof![
                8 => Just(None),
                1 => Just(Some(("result", json!({})))),
                1 => arbitrary_json().prop_map(|e| Some(("error", e))),
            ],
        )
    })
    .prop_map(|(method, jsonrpc, id, params, outcome)| {
        let mut m = Map::new();
        let fields = [("jsonrpc", jsonrpc), ("id", id), ("method", method), ("params", params)];
        for (k, v) in fields {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        }
        if let Some((k, v)) = outcome {
            m.insert(k.into(), v);
        }
        Value::Object(m)
    }).boxed()
}

/// A body: one message, a batch (of any size), anything JSON, bytes, a mangled message, or a
/// message buried deep in nesting.
pub(crate) fn body() -> BoxedStrategy<Bytes> {
    let message_bytes = || message().prop_map(|v| serde_json::to_vec(&v).unwrap());
    prop_oneof![
        8 => message_bytes(),
        2 => prop::collection::vec(prop_oneof![4 => message(), 1 => arbitrary_json()], 0..(MAX_BATCH + 4))
            .prop_map(|ms| serde_json::to_vec(&ms).unwrap()),
        1 => arbitrary_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        2 => (message_bytes(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4)).prop_map(|(mut b, edits)| {
            for (at, byte, op) in edits {
                let i = at.index(b.len() + 1);
                match op {
                    0 => b.truncate(i),
                    1 => b.insert(i, byte),
                    _ => if i < b.len() { b[i] = byte },
                }
            }
            b
        }),
        1 => (message(), 50usize..140, any::<bool>()).prop_map(|(m, n, arrays)| {
            let mut inner = json!(1);
            for _ in 0..n {
                inner = if arrays { json!([inner]) } else { json!({"a": inner}) };
            }
            let mut m = m;
            if let Value::Object(o) = &mut m {
                o.insert("params".into(), json!({"deep": inner}));
            }
            // Past serde_json's own limit (128), build the text by hand.
            let mut text = serde_json::to_string(&m).unwrap();
            if n > 120 {
                text = format!("{}{}{}", "[".repeat(n), text, "]".repeat(n));
            }
            text.into_bytes()
        }),
    ].prop_map(Bytes).boxed()
}

/// `parse` against [`expected_body`]: same verdict, same messages, same ids.
fn check_parse(body: &[u8]) -> Result<(), TestCaseError> {
    match (parse(body), expected_body(body)) {
        (Err(e), Err(code)) => prop_assert_eq!(e.code, code, "{}", e.message),
        (Ok(incoming), Ok((batch, kinds))) => {
            prop_assert_eq!(incoming.is_batch(), batch);
            let got: Vec<Kind> = incoming.messages().iter().map(actual).collect();
            prop_assert_eq!(got, kinds);
            if let Incoming::Batch(ms) = &incoming {
                prop_assert!(ms.len() <= MAX_BATCH);
            }
            for m in incoming.messages() {
                if let Message::Invalid { error, .. } = m {
                    prop_assert_eq!(error.code, ErrorCode::INVALID_REQUEST);
                }
            }
        }
        (result, expected) => prop_assert!(
            false,
            "parse gave {:?}, expected {:?}",
            result.as_ref().map(Incoming::messages).map_err(|e| e.code),
            expected
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1_000))]

    /// Any body: `parse` answers, whole-body failures are -32700 (not JSON) or -32600, and every
    /// message is classified as the spec reads it.
    #[test]
    fn parse_never_panics(body in body()) {
        check_parse(&body.0)?;
    }

    /// Any JSON value, and near-valid JSON-RPC messages.
    #[test]
    fn parse_classifies_any_json(v in prop_oneof![3 => message(), 2 => arbitrary_json()]) {
        check_parse(&serde_json::to_vec(&v).unwrap())?;
    }
}
