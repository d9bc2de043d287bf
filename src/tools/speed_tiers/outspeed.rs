//! "Can A outspeed B?": the least Speed investment for A to move first under the modifiers
//! asked for, or the reason it cannot.

use serde::Serialize;

use super::spreads::{common_spreads, likeliest_set, Spread};
use super::{conditions, entry, likely_ability, Entry, Field, OutspeedArgs};
use crate::battle::speed::{self, Investment, Mon, NatureEffect, Outspeed};
use crate::corpus::{SpeciesSets, UsageStats};
use crate::dex::{dex, to_id};

/// The least Speed investment for `pokemon` to move before `target`'s set, or its best.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Answer {
    pub pokemon: String,
    pub name: String,
    pub target: String,
    pub target_name: String,
    /// "likeliest" set or "fastest" common spread of the target.
    pub against: &'static str,
    pub trick_room: bool,
    pub possible: bool,
    pub evs: u16,
    pub iv: u16,
    /// "plus", "neutral" or "minus" (`null` before natures, generations 1-2).
    pub nature: Option<&'static str>,
    pub stat: u32,
    pub speed: u32,
    pub ability: Option<String>,
    pub item: Option<String>,
    pub applied: Vec<&'static str>,
    pub modifiers: Vec<String>,
    pub target_modifiers: Vec<String>,
    pub by_nature: Vec<ByNature>,
    target_set: Entry,
    pub summary: String,
}

/// The fewest EVs to get there with one nature.
#[derive(Debug, Serialize)]
pub(crate) struct ByNature {
    pub nature: &'static str,
    pub possible: bool,
    pub evs: Option<u16>,
    pub speed: Option<u32>,
}

pub(super) fn answer_outspeed<'a>(
    o: &OutspeedArgs,
    gen: u8,
    level: u8,
    field: &Field,
    stats_of: &impl Fn(&str) -> Option<&'a UsageStats>,
    sets_of: &impl Fn(&str) -> Option<&'a SpeciesSets>,
    spreads: usize,
) -> Result<Answer, String> {
    let a = dex().species(&o.pokemon, Some(gen)).map_err(|e| e.to_string())?;
    let b = dex().species(&o.target, Some(gen)).map_err(|e| e.to_string())?;
    let (bst, bse) = (stats_of(b.name), sets_of(b.name));
    let Some(likely) = likeliest_set(gen, bst, bse) else {
        return Err(format!(
            "{} has no usage data or Smogon sets in this format: no set to compare with.",
            b.name
        ));
    };
    let b_ability = likely.ability.clone().filter(|_| gen >= 3).or_else(|| likely_ability(&b, gen, bst, bse));
    let b_entry = |spread: &Spread, kind| {
        entry(
            &b,
            gen,
            level,
            None,
            kind,
            spread,
            None,
            b_ability.as_deref(),
            &o.target_mods,
            field,
            likely.item.as_deref(),
        )
    };
    let target = if o.fastest {
        common_spreads(gen, bst, bse, spreads)
            .into_iter()
            .map(|(s, _, kind)| b_entry(&s, kind))
            .reduce(|x, y| if speed::moves_first(y.speed, x.speed, field.trick_room) { y } else { x })
            .expect("a likeliest set implies a spread")
    } else {
        b_entry(&likely.spread, likely.source)
    };
    // A: its likeliest set's other stats (for Protosynthesis / Quark Drive), the nature only
    // touching Speed, and A's likeliest ability.
    let (ast, ase) = (stats_of(a.name), sets_of(a.name));
    let a_ability = likely_ability(&a, gen, ast, ase);
    let a_base = likeliest_set(gen, ast, ase).map(|s| s.spread).unwrap_or(Spread {
        nature: None,
        evs: if gen <= 2 { [252; 6] } else { [0; 6] },
        ivs: [31; 6],
    });
    let a_entry = |inv: Investment| {
        // The nature only touches Speed: the other stats are computed neutral.
        let mut stats = Spread { nature: None, ..a_base.clone() }.stats(gen, &a, level);
        stats[5] = speed::stat(gen, a.base_stats.spe, inv.iv, inv.ev, level, inv.nature);
        let ability_id = a_ability.as_deref().map(to_id).unwrap_or_default();
        let (c, held) = conditions(&o.mods, field, &ability_id, None);
        let (speed, applied) = speed::final_speed(&Mon { gen, stats, ability: &ability_id }, &c);
        (speed, stats[5], held, applied.names)
    };
    let result = speed::solve_outspeed(gen, target.speed, field.trick_room, |inv| a_entry(inv).0);
    // Outside Trick Room, the fewest EVs with each nature (a +Spe nature often needs fewer).
    let by_nature: Vec<ByNature> = if field.trick_room || gen <= 2 {
        Vec::new()
    } else {
        [(NatureEffect::Neutral, "neutral"), (NatureEffect::Plus, "plus")]
            .into_iter()
            .map(|(nature, word)| {
                let found = (0..=252).step_by(4).find_map(|ev| {
                    let speed = a_entry(Investment { nature, iv: 31, ev }).0;
                    (speed > target.speed).then_some((ev, speed))
                });
                ByNature {
                    nature: word,
                    possible: found.is_some(),
                    evs: found.map(|f| f.0),
                    speed: found.map(|f| f.1),
                }
            })
            .collect()
    };
    let verb = if field.trick_room { "move before (be slower than)" } else { "outspeed" };
    let against = if o.fastest { "fastest common spread" } else { "likeliest set" };
    let nature_word = |n: NatureEffect| match (gen, n) {
        (..=2, _) => "",
        (_, NatureEffect::Plus) => "a +Spe nature",
        (_, NatureEffect::Neutral) => "a Speed-neutral nature",
        (_, NatureEffect::Minus) => "a −Spe nature",
    };
    let target_desc = format!(
        "{}'s {against} ({}{}{}): {}",
        b.name,
        target.spread,
        target.item.as_deref().map(|i| format!(" @ {i}")).unwrap_or_default(),
        target.ability.as_deref().map(|a| format!(", {a}")).unwrap_or_default(),
        target.speed
    );
    let (possible, inv, speed) = match result {
        Outspeed::Yes { investment, speed } => (true, investment, speed),
        Outspeed::Cannot { best, speed } => (false, best, speed),
    };
    let (_, stat, held, applied) = a_entry(inv);
    let iv_text = if inv.iv != 31 { format!(", {} IV", inv.iv) } else { String::new() };
    let plus_alternative = by_nature
        .iter()
        .find(|o| o.nature == "plus" && o.possible)
        .filter(|_| inv.nature == NatureEffect::Neutral)
        .and_then(|o| o.evs)
        .filter(|evs| *evs < inv.ev)
        .map(|evs| format!(" (or {evs} with a +Spe nature)"))
        .unwrap_or_default();
    let summary = if possible {
        format!(
            "{} needs {} Speed EVs{}{}{iv_text}{plus_alternative} to {verb} {target_desc} — {} reaches {speed}.",
            a.name,
            inv.ev,
            if gen >= 3 { " with " } else { "" },
            nature_word(inv.nature),
            a.name
        )
    } else {
        format!(
            "{} cannot {verb} {target_desc}: its best is {speed} ({} Speed EVs{}{}{iv_text}).",
            a.name,
            inv.ev,
            if gen >= 3 { ", " } else { "" },
            nature_word(inv.nature)
        )
    };
    let nature = match inv.nature {
        NatureEffect::Plus => "plus",
        NatureEffect::Neutral => "neutral",
        NatureEffect::Minus => "minus",
    };
    Ok(Answer {
        pokemon: a.id.to_owned(),
        name: a.name.to_owned(),
        target: b.id.to_owned(),
        target_name: b.name.to_owned(),
        against: if o.fastest { "fastest" } else { "likeliest" },
        trick_room: field.trick_room,
        possible,
        evs: inv.ev,
        iv: inv.iv,
        nature: if gen >= 3 { Some(nature) } else { None },
        stat,
        speed,
        ability: a_ability,
        item: held,
        applied,
        modifiers: o.mods.describe(),
        target_modifiers: o.target_mods.describe(),
        by_nature,
        target_set: target,
        summary,
    })
}
