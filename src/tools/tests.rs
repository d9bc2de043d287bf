use super::*;

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
