//! `completion/complete`: species and format names for the prompts' and resource templates'
//! arguments.

use rmcp::model::{ArgumentInfo, CompletionInfo, ErrorData, Reference};

use super::prompts::{OVERVIEW_PROMPT, PLAN_PROMPT, PROMPTS, REVIEW_PROMPT};
use super::resources::{DEX_TEMPLATE, SETS_TEMPLATE, SPEED_TEMPLATE, USAGE_TEMPLATE};
use crate::dex::{self, dex};

/// Formats offered by completion (any valid id is accepted; these are the common ones).
const COMMON_FORMATS: [&str; 24] = [
    "gen9ou",
    "gen9uu",
    "gen9ru",
    "gen9nu",
    "gen9pu",
    "gen9ubers",
    "gen9doublesou",
    "gen9vgc2024",
    "gen8ou",
    "gen8uu",
    "gen8ubers",
    "gen8doublesou",
    "gen7ou",
    "gen7uu",
    "gen6ou",
    "gen6uu",
    "gen5ou",
    "gen5uu",
    "gen4ou",
    "gen4uu",
    "gen3ou",
    "gen2ou",
    "gen1ou",
    "gen1uu",
];
/// Completion suggestions returned at most (the spec caps a response at 100).
const COMPLETION_LIMIT: usize = 20;

pub(super) fn complete(reference: &Reference, argument: &ArgumentInfo) -> Result<CompletionInfo, ErrorData> {
    let values = match (reference, argument.name.as_str()) {
        (Reference::Prompt(p), "name") if p.name == OVERVIEW_PROMPT => species_completions(&argument.value),
        (Reference::Prompt(p), "generation") if p.name == OVERVIEW_PROMPT => (dex::MIN_GEN..=dex::MAX_GEN)
            .map(|g| g.to_string())
            .filter(|g| g.starts_with(argument.value.trim()))
            .collect(),
        (Reference::Resource(r), "name") if r.uri == DEX_TEMPLATE || r.uri == SETS_TEMPLATE => {
            species_completions(&argument.value)
        }
        (Reference::Prompt(p), "pokemon") if p.name == PLAN_PROMPT => species_completions(&argument.value),
        (Reference::Prompt(p), "format") if p.name == PLAN_PROMPT || p.name == REVIEW_PROMPT => {
            format_completions(&argument.value)
        }
        (Reference::Resource(r), "format")
            if r.uri == SETS_TEMPLATE || r.uri == USAGE_TEMPLATE || r.uri == SPEED_TEMPLATE =>
        {
            format_completions(&argument.value)
        }
        (Reference::Prompt(p), _) if !PROMPTS.contains(&p.name.as_str()) => {
            return Err(ErrorData::invalid_params(
                format!("Unknown prompt: {}", crate::mcp::dispatch::truncate(&p.name, 100)),
                None,
            ))
        }
        _ => Vec::new(),
    };
    CompletionInfo::new(values).map_err(|e| ErrorData::internal_error(e, None))
}

fn format_completions(prefix: &str) -> Vec<String> {
    let prefix = prefix.trim().to_lowercase();
    COMMON_FORMATS.iter().filter(|f| f.starts_with(&prefix)).map(|f| (*f).to_owned()).collect()
}

fn species_completions(prefix: &str) -> Vec<String> {
    if prefix.chars().count() > 100 {
        return Vec::new();
    }
    dex().complete_species(prefix, COMPLETION_LIMIT)
}
