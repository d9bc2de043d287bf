//! The prompts: `pokemon_overview` (dex data), and `plan_against` / `review_team`, which fetch
//! the data the model needs now — through the tools' typed cores — and say what to do with it.

use rmcp::model::{ErrorData, GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};

use super::backend::StrategyBackend;
use super::{analyze_team, args, damage_calc, get_pokemon, get_popular_sets, team, ArgError, Render};
use crate::corpus::Format;
use crate::dex::dex;

pub(super) const OVERVIEW_PROMPT: &str = "pokemon_overview";
pub(super) const PLAN_PROMPT: &str = "plan_against";
pub(super) const REVIEW_PROMPT: &str = "review_team";
pub(super) const PROMPTS: [&str; 3] = [OVERVIEW_PROMPT, PLAN_PROMPT, REVIEW_PROMPT];

pub(super) fn list() -> Vec<Prompt> {
    let required = |name: &str, description: &str| {
        PromptArgument::new(name).with_description(description).with_required(true)
    };
    vec![
        Prompt::new(
            PLAN_PROMPT,
            Some("Plan how to beat a Pokémon in a format, from its sets, usage, checks and counters"),
            Some(vec![required("pokemon", "The threat, e.g. Kingambit"), required("format", "e.g. gen9ou")]),
        )
        .with_title("Plan against a Pokémon"),
        Prompt::new(
            REVIEW_PROMPT,
            Some("Review a team: validation, type chart, threats from usage data, suggestions"),
            Some(vec![required("paste", "A Showdown team export"), required("format", "e.g. gen9ou")]),
        )
        .with_title("Review my team"),
        Prompt::new(
            OVERVIEW_PROMPT,
            Some("Explain a Pokémon's competitive profile from its dex data"),
            Some(vec![
                PromptArgument::new("name")
                    .with_description("Pokémon name, e.g. Garchomp")
                    .with_required(true),
                PromptArgument::new("generation")
                    .with_description("Generation 1-9 (default: newest)")
                    .with_required(false),
            ]),
        )
        .with_title("Pokémon overview"),
    ]
}

pub(super) async fn get(
    backend: &impl StrategyBackend,
    name: &str,
    arguments: &JsonObject,
) -> Result<GetPromptResult, ErrorData> {
    match name {
        PLAN_PROMPT => plan_against(backend, arguments).await,
        REVIEW_PROMPT => review_team(backend, arguments).await,
        OVERVIEW_PROMPT => overview(arguments),
        _ => Err(ErrorData::invalid_params(
            format!("Unknown prompt: {}", crate::mcp::dispatch::truncate(name, 100)),
            None,
        )),
    }
}

fn invalid(e: impl std::fmt::Display) -> ErrorData {
    ErrorData::invalid_params(e.to_string(), None)
}

fn format_argument(arguments: &JsonObject) -> Result<Format, ErrorData> {
    Format::parse(args::required_str(arguments, "format", 40).map_err(invalid)?).map_err(invalid)
}

/// The threat's popular sets (or why there are none) and its damage and speed facts.
async fn plan_against(
    backend: &impl StrategyBackend,
    arguments: &JsonObject,
) -> Result<GetPromptResult, ErrorData> {
    let format = format_argument(arguments)?;
    let pokemon = args::required_str(arguments, "pokemon", 100).map_err(invalid)?;
    let species = dex().species(pokemon, Some(format.gen())).map_err(invalid)?;
    let input = get_popular_sets::Input {
        format: format.clone(),
        pokemon: species.id.to_owned(),
        name: species.name.to_owned(),
        month: None,
        cutoff: None,
    };
    let mut text = match get_popular_sets::run(backend, input).await {
        Ok(sets) => sets.render(),
        Err(e) => e.to_string(),
    };
    text.push_str(&battle_facts(backend, species.name, &format).await);
    let ask = format!(
        "Plan how to beat {name} in {format}: what it usually runs, which of its checks and \
         counters fit a team, and how to play around it — use the damage and speed facts \
         above, and damage_calc / speed_tiers for more. Use query_strategy for Smogon's \
         analysis of it and cite the sources.",
        name = species.name,
        format = format.id()
    );
    Ok(strategy_prompt(&text, &ask))
}

/// The team's analysis (or why it cannot be read), then what to do with it.
async fn review_team(
    backend: &impl StrategyBackend,
    arguments: &JsonObject,
) -> Result<GetPromptResult, ErrorData> {
    let format = format_argument(arguments)?;
    let paste = args::required_str(arguments, "paste", 20_000).map_err(invalid)?;
    let ask = format!(
        "Review this {} team using the analysis above: fix the problems it lists, then discuss \
         its weaknesses and threats and suggest concrete changes.",
        format.id()
    );
    let input = analyze_team::Input { paste: paste.to_owned(), format };
    let text = match analyze_team::run(backend, input).await {
        Ok(analysis) => analysis.render(),
        Err(e) => e.to_string(),
    };
    Ok(strategy_prompt(&text, &ask))
}

fn strategy_prompt(data: &str, ask: &str) -> GetPromptResult {
    GetPromptResult::new(vec![PromptMessage::new_text(Role::User, format!("{data}\n\n{ask}"))])
}

/// Damage and speed facts for `pokemon`'s likeliest set against the format's most used
/// Pokémon (`team::matrix::threat_facts`), as prompt text; says why when there are none.
async fn battle_facts(backend: &impl StrategyBackend, pokemon: &str, format: &Format) -> String {
    let (usage, sets) = futures::join!(backend.usage(format.id()), backend.sets(format.id()));
    let (usage, sets) = (usage.ok().flatten(), sets.ok().flatten());
    let facts = match (usage.as_deref(), backend.damage_calculator()) {
        (Some(usage), Some(calculator)) => {
            team::matrix::threat_facts(pokemon, format, usage, sets.as_deref(), calculator)
        }
        (None, _) => Err("no usage statistics for this format".to_owned()),
        (_, None) => Err("no damage calculator in this deployment".to_owned()),
    };
    match facts {
        Ok((set, cells)) => {
            let mut lines = vec![
                String::new(),
                format!(
                    "Damage and speed of its likeliest set ({}, no field effects) against the format's most used Pokémon:",
                    damage_calc::CALCULATOR
                ),
                set,
            ];
            lines.extend(cells.iter().map(|c| format!("- {}", team::matrix::cell_line(pokemon, c))));
            format!("\n{}\n", lines.join("\n"))
        }
        Err(e) => format!("\n\n(No damage and speed facts: {e}.)\n"),
    }
}

/// `pokemon_overview`: the dex entry as JSON, and what to explain from it.
fn overview(arguments: &JsonObject) -> Result<GetPromptResult, ErrorData> {
    let arg = |e: ArgError| invalid(e);
    let pokemon = args::required_str(arguments, "name", 100).map_err(arg)?;
    let generation = args::optional_generation_text(arguments, "generation").map_err(arg)?;
    let entry = get_pokemon::lookup(pokemon, generation).map_err(invalid)?;
    let data = serde_json::to_string_pretty(&entry).unwrap_or_default();
    let text = format!(
        "Using this dex data for {name} (generation {gen}):\n\n```json\n{data}\n```\n\n\
         Explain {name}'s competitive profile: its likely roles given its stats and abilities, \
         the types it threatens and fears (weaknesses, resistances, immunities), and the \
         formats/tiers it is found in.",
        name = entry.name,
        gen = entry.generation,
    );
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
        .with_description(format!("Competitive overview of {}", entry.name)))
}
