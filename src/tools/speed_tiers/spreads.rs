//! The spreads a Pokémon is computed with: its likeliest set, its common spreads (usage
//! statistics, else Smogon's sets) and the usual benchmarks.

use crate::battle::speed::{self, NatureEffect};
use crate::corpus::{SpeciesSets, Stat, UsageStats};
use crate::dex::{dex, SpeciesView};

/// A spread to compute: nature (by name, None in gens 1-2), EVs and IVs in stat order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Spread {
    pub nature: Option<String>,
    pub evs: [u16; 6],
    pub ivs: [u16; 6],
}

impl Spread {
    pub(super) fn effects(&self) -> [NatureEffect; 6] {
        let mut out = [NatureEffect::Neutral; 6];
        let Some(n) = self.nature.as_deref().and_then(|n| dex().nature(n).ok()) else { return out };
        if n.plus == n.minus {
            return out;
        }
        let index = |s: &str| ["hp", "atk", "def", "spa", "spd", "spe"].iter().position(|k| *k == s);
        if let Some(i) = n.plus.as_deref().and_then(index) {
            out[i] = NatureEffect::Plus;
        }
        if let Some(i) = n.minus.as_deref().and_then(index) {
            out[i] = NatureEffect::Minus;
        }
        out
    }

    pub(super) fn stats(&self, gen: u8, species: &SpeciesView<'_>, level: u8) -> [u32; 6] {
        let b = species.base_stats;
        speed::stats(
            gen,
            [b.hp, b.atk, b.def, b.spa, b.spd, b.spe],
            self.ivs,
            self.evs,
            level,
            self.effects(),
        )
    }

    /// "Jolly 252 Spe", "252 Spe (0 IV)".
    pub(super) fn label(&self) -> String {
        let mut s = match &self.nature {
            Some(n) => format!("{n} {} Spe", self.evs[5]),
            None => format!("{} Spe", self.evs[5]),
        };
        if self.ivs[5] != 31 {
            s.push_str(&format!(" ({} IV)", self.ivs[5]));
        }
        s
    }

    /// Gens 1-2 have one Special stat (Showdown keeps it in `spa`): SpD mirrors SpA.
    pub(super) fn special_as_one(mut self, gen: u8) -> Self {
        if gen <= 2 {
            self.evs[4] = self.evs[3];
            self.ivs[4] = self.ivs[3];
        }
        self
    }

    /// What decides Speed: its nature effect, EV and IV.
    pub(super) fn speed_key(&self) -> (NatureEffect, u16, u16) {
        (self.effects()[5], self.evs[5], self.ivs[5])
    }
}

/// `Nature:hp/atk/def/spa/spd/spe`, as usage statistics print spreads (IVs are not recorded: 31).
pub(super) fn parse_usage_spread(text: &str, gen: u8) -> Option<Spread> {
    let (nature, evs) = text.split_once(':')?;
    let mut out = [0u16; 6];
    let mut parts = evs.split('/');
    for slot in out.iter_mut() {
        *slot = parts.next()?.trim().parse::<u16>().ok().filter(|v| *v <= 255)?;
    }
    if parts.next().is_some() {
        return None;
    }
    let nature = (gen >= 3).then(|| dex().nature(nature.trim()).ok().map(|n| n.name.clone())).flatten();
    Some(Spread { nature, evs: out, ivs: [31; 6] }.special_as_one(gen))
}

pub(super) fn set_spread(set: &crate::corpus::PokemonSet, gen: u8) -> Spread {
    let evs = set.evs.first().copied().unwrap_or_default();
    let ivs = set.ivs.first().copied().unwrap_or_default();
    // Gens 1-2: Showdown gives every stat 252 EVs unless told otherwise.
    let ev_default = if gen <= 2 { 252 } else { 0 };
    let nature = (gen >= 3)
        .then(|| set.nature.first().and_then(|n| dex().nature(n).ok()).map(|n| n.name.clone()))
        .flatten();
    Spread {
        nature,
        evs: Stat::ALL.map(|s| evs.given(s).unwrap_or(ev_default)),
        ivs: Stat::ALL.map(|s| ivs.iv(s)),
    }
    .special_as_one(gen)
}

/// One species' likeliest set, as speed needs it: spread, item and ability.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LikelySet {
    pub spread: Spread,
    pub item: Option<String>,
    pub ability: Option<String>,
    /// "usage" or "set".
    pub source: &'static str,
}

/// The likeliest set: the most used spread, item and ability from the usage statistics, else
/// Smogon's first set (its first options). Kept small and separate so it can merge with the
/// damage calculator's likeliest-set logic.
pub(super) fn likeliest_set(
    gen: u8,
    stats: Option<&UsageStats>,
    sets: Option<&SpeciesSets>,
) -> Option<LikelySet> {
    let top = |b: &crate::corpus::Breakdown| {
        b.shares.iter().find(|s| s.name != "Other" && s.name != "Nothing").map(|s| s.name.clone())
    };
    if let Some(s) = stats {
        if let Some(spread) = s.spreads.shares.iter().find_map(|sh| parse_usage_spread(&sh.name, gen)) {
            return Some(LikelySet {
                spread,
                item: top(&s.items),
                ability: top(&s.abilities),
                source: "usage",
            });
        }
    }
    let set = sets?.sets.first()?;
    Some(LikelySet {
        spread: set_spread(set, gen),
        item: set.item.first().cloned(),
        ability: set.ability.first().cloned(),
        source: "set",
    })
}

/// The common spreads that give distinct speeds, with their summed share (None for sets).
pub(super) fn common_spreads(
    gen: u8,
    stats: Option<&UsageStats>,
    sets: Option<&SpeciesSets>,
    limit: usize,
) -> Vec<(Spread, Option<f64>, &'static str)> {
    let mut out: Vec<(Spread, Option<f64>, &'static str)> = Vec::new();
    if let Some(s) = stats {
        for share in &s.spreads.shares {
            let Some(spread) = parse_usage_spread(&share.name, gen) else { continue };
            match out.iter_mut().find(|(o, _, _)| o.speed_key() == spread.speed_key()) {
                Some((_, pct, _)) => *pct = Some(pct.unwrap_or(0.0) + share.percent),
                None => out.push((spread, Some(share.percent), "usage")),
            }
        }
        out.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    } else if let Some(sets) = sets {
        for set in &sets.sets {
            let spread = set_spread(set, gen);
            if !out.iter().any(|(o, _, _)| o.speed_key() == spread.speed_key()) {
                out.push((spread, None, "set"));
            }
        }
    }
    out.truncate(limit);
    out.iter_mut().for_each(|(_, p, _)| *p = p.map(|v| (v * 1000.0).round() / 1000.0));
    out
}

/// max+, max neutral, uninvested, min− (gens 1-2: max and min DVs/stat experience). The other
/// stats get no EVs; the Speed natures lower (or raise) the lesser attacking stat.
pub(super) fn benchmarks(gen: u8, species: &SpeciesView<'_>) -> Vec<(Spread, &'static str)> {
    if gen <= 2 {
        return vec![
            (Spread { nature: None, evs: [252; 6], ivs: [31; 6] }, "max"),
            (
                Spread { nature: None, evs: [252, 252, 252, 252, 252, 0], ivs: [31, 31, 31, 31, 31, 0] },
                "min-",
            ),
        ];
    }
    let physical = species.base_stats.atk >= species.base_stats.spa;
    let plus = if physical { "Jolly" } else { "Timid" };
    let minus = if physical { "Brave" } else { "Quiet" };
    let spread = |nature: &str, ev: u16, iv: u16| {
        let mut ivs = [31; 6];
        ivs[5] = iv;
        let mut evs = [0; 6];
        evs[5] = ev;
        Spread { nature: Some(nature.to_owned()), evs, ivs }
    };
    vec![
        (spread(plus, 252, 31), "max+"),
        (spread("Hardy", 252, 31), "max"),
        (spread("Hardy", 0, 31), "uninvested"),
        (spread(minus, 0, 0), "min-"),
    ]
}
