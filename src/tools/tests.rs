use super::local_data::LocalData;
use super::*;
use futures::executor::block_on;
use rmcp::model::ResourceContents;

#[test]
fn every_definition_names_its_tool_and_is_a_closed_object_schema() {
    let names: Vec<&str> = catalog().iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            get_pokemon::NAME,
            query_strategy::NAME,
            get_popular_sets::NAME,
            get_usage_stats::NAME,
            analyze_team::NAME,
            damage_calc::NAME,
            speed_tiers::NAME
        ]
    );
    for tool in catalog() {
        let input = &tool.input_schema;
        assert_eq!(input.get("type"), Some(&Value::from("object")), "{}", tool.name);
        assert_eq!(input.get("additionalProperties"), Some(&Value::Bool(false)), "{}", tool.name);
        let output =
            output_schema(&tool.name).unwrap_or_else(|| panic!("{} has no output schema", tool.name));
        assert_eq!(output["type"], "object", "{}", tool.name);
        let annotations = tool.annotations.as_ref().expect("annotations");
        assert_eq!(annotations.read_only_hint, Some(true), "{}", tool.name);
        assert!(tool.title.is_some() && tool.description.as_deref().is_some_and(|d| d.len() > 40));
    }
}

fn obj(v: Value) -> JsonObject {
    v.as_object().unwrap().clone()
}

fn scope() -> RequestScope {
    RequestScope::stateless(crate::mcp::version::DEFAULT_WITHOUT_HEADER, 0)
}

fn text_of(result: &CallToolResult) -> String {
    result.content[0].as_text().unwrap().text.clone()
}

#[test]
fn inputs_built_from_text_are_the_parsed_arguments() {
    let parsed = get_popular_sets::Input::parse(&obj(
        serde_json::json!({"pokemon": " kingambit", "format": "Gen9OU"}),
    ));
    assert_eq!(get_popular_sets::Input::newest(" kingambit", "Gen9OU"), parsed);
    let input = parsed.unwrap();
    assert_eq!(
        (input.pokemon.as_str(), input.name.as_str(), input.format.id()),
        ("kingambit", "Kingambit", "gen9ou")
    );
    let usage = get_usage_stats::Input::parse(&obj(serde_json::json!({"format": "gen9ou", "limit": 50})));
    assert_eq!(get_usage_stats::Input::first("gen9ou", 50), usage);
    // The same checks, so the same messages.
    let long = "x".repeat(41);
    for (pokemon, format) in
        [("Garchmop", "gen9ou"), ("Kingambit", "nope"), ("Kingambit", long.as_str()), (" ", "gen9ou")]
    {
        let args = obj(serde_json::json!({"pokemon": pokemon, "format": format}));
        let error = get_popular_sets::Input::newest(pokemon, format).unwrap_err();
        assert_eq!(Err(error.clone()), get_popular_sets::Input::parse(&args), "{pokemon} {format}");
        assert!(error.to_string().starts_with("Invalid arguments: "), "{error}");
        let args = obj(serde_json::json!({"format": format}));
        if pokemon == "Kingambit" {
            assert_eq!(get_usage_stats::Input::first(format, 20), get_usage_stats::Input::parse(&args));
        }
    }
}

#[test]
fn resources_are_the_tools_structured_content() {
    let porygon = Porygon::with_backend(LocalData);
    let cases = [
        (
            "pokemon://sets/gen9ou/Kingambit",
            "get_popular_sets",
            serde_json::json!({"pokemon": "Kingambit", "format": "gen9ou"}),
        ),
        (
            "pokemon://sets/gen9vgc2024/Incineroar",
            "get_popular_sets",
            serde_json::json!({"pokemon": "Incineroar", "format": "gen9vgc2024"}),
        ),
        ("pokemon://usage/gen9ou", "get_usage_stats", serde_json::json!({"format": "gen9ou", "limit": 50})),
        ("pokemon://speed/gen9ou", "speed_tiers", serde_json::json!({"format": "gen9ou", "limit": 20})),
        (
            "pokemon://speed/gen9vgc2024",
            "speed_tiers",
            serde_json::json!({"format": "gen9vgc2024", "limit": 20}),
        ),
    ];
    for (uri, tool, args) in cases {
        let call = block_on(porygon.call_tool(tool, obj(args), &scope())).unwrap();
        let read = block_on(porygon.read_resource(uri, &scope())).unwrap();
        let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else { panic!("{uri}") };
        assert_eq!(Some(serde_json::from_str::<Value>(text).unwrap()), call.structured_content, "{uri}");
    }
    // A tool's refusal is the resource's "not found", with the tool's words.
    for (uri, tool, args) in [
        (
            "pokemon://sets/gen9ou/Magikarp",
            "get_popular_sets",
            serde_json::json!({"pokemon": "Magikarp", "format": "gen9ou"}),
        ),
        ("pokemon://usage/gen9uu", "get_usage_stats", serde_json::json!({"format": "gen9uu", "limit": 50})),
        ("pokemon://speed/gen9uu", "speed_tiers", serde_json::json!({"format": "gen9uu", "limit": 20})),
    ] {
        let call = block_on(porygon.call_tool(tool, obj(args), &scope())).unwrap();
        assert_eq!(call.is_error, Some(true));
        let error = block_on(porygon.read_resource(uri, &scope())).unwrap_err();
        assert_eq!(error.message, format!("Resource not found: {}", text_of(&call)), "{uri}");
    }
}

fn prompt_text(porygon: &Porygon<LocalData>, name: &str, args: Value) -> String {
    let prompt = block_on(porygon.get_prompt(name, obj(args), &scope())).unwrap();
    prompt.messages[0].content.as_text().expect("a text message").text.clone()
}

#[test]
fn strategy_prompts_carry_the_tools_answers() {
    let porygon = Porygon::with_backend(LocalData);
    let sets = block_on(porygon.call_tool(
        "get_popular_sets",
        obj(serde_json::json!({"pokemon": "Kingambit", "format": "gen9ou"})),
        &scope(),
    ))
    .unwrap();
    let plan = prompt_text(
        &porygon,
        "plan_against",
        serde_json::json!({"pokemon": "kingambit", "format": "gen9ou"}),
    );
    assert!(plan.starts_with(&text_of(&sets)), "{plan}");
    assert!(plan.contains("(No damage and speed facts: no damage calculator in this deployment.)"), "{plan}");
    assert!(plan.ends_with("cite the sources."), "{plan}");
    // No sets: the prompt says why, in the tool's words.
    let plan =
        prompt_text(&porygon, "plan_against", serde_json::json!({"pokemon": "Magikarp", "format": "gen9ou"}));
    assert!(
        plan.starts_with("No sets found: Magikarp has no usage data or Smogon sets in gen9ou."),
        "{plan}"
    );

    let paste = "Kingambit @ Leftovers\nAbility: Supreme Overlord\n- Sucker Punch\n- Kowtow Cleave\n";
    let review = block_on(porygon.call_tool(
        "analyze_team",
        obj(serde_json::json!({"paste": paste, "format": "gen9ou"})),
        &scope(),
    ))
    .unwrap();
    let text = prompt_text(&porygon, "review_team", serde_json::json!({"paste": paste, "format": "gen9ou"}));
    assert_eq!(text, format!("{}\n\nReview this gen9ou team using the analysis above: fix the problems it lists, then discuss its weaknesses and threats and suggest concrete changes.", text_of(&review)));
}

#[test]
fn tool_errors_read_as_the_tools_always_said() {
    let unavailable = backend::BackendError::Timeout(backend::Source::UsageStatistics);
    for (error, text) in [
        (
            ToolError::from(ArgError::Missing("format")),
            "Invalid arguments: missing required argument \"format\"",
        ),
        (
            ToolError::NotFound("No usage statistics are loaded for gen9uu.".into()),
            "No usage statistics are loaded for gen9uu.",
        ),
        (
            ToolError::UsageUnavailable(unavailable),
            "Usage statistics are unavailable right now: usage statistics did not answer in time.",
        ),
        (
            ToolError::SearchUnavailable("Lexical search failed: x.".into()),
            "Strategy search is unavailable right now: Lexical search failed: x.",
        ),
        (ToolError::NoCalculator, "The damage calculator is not available in this deployment."),
        (ToolError::CalculatorFailed("boom".into()), "The damage calculator failed: boom"),
        (ToolError::UnreadableTeam("empty".into()), "Cannot read this team: empty"),
    ] {
        let result = CallToolResult::from(error);
        assert_eq!((result.is_error, text_of(&result).as_str()), (Some(true), text));
        assert_eq!(result.structured_content, None);
    }
}
