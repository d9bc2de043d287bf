//! Speed: stats from base stats and spreads, and the final speed under battle modifiers, exactly
//! as Pokémon Showdown and `@smogon/calc` 0.12.0 (`getFinalSpeed`, `getModifiedStat`,
//! `calcStat`) compute them — integer arithmetic only, so natively and in wasm alike.
//!
//! - Gens 3-9: `floor((floor((2B + IV + floor(EV/4)) * L / 100) + 5) * nature)`, the nature as
//!   `floor(stat * 110 / 100)` / `floor(stat * 90 / 100)`.
//! - Gens 1-2: DVs and stat experience, written in Showdown's units (IV = 2 × DV, EV 252 = max
//!   stat experience): `floor(((B + floor(IV/2)) * 2 + floor(EV/4)) * L / 100) + 5`.
//! - Final speed: stages (gens 3+: `×(2+n)/2` or `×2/(2+n)` floored; gens 1-2: Showdown's old
//!   table, clamped to 1..=999), then every other modifier chained in 4096ths (`chainMods`) and
//!   applied with `pokeRound`, then paralysis (×50% from gen 7, ×25% before), then the cap.

/// Gens 1-2 cap stats at 999; later gens at Showdown's 10000.
const CAP_OLD: u32 = 999;
const CAP_NEW: u32 = 10_000;

/// A stat index in Showdown's order (`hp, atk, def, spa, spd, spe`).
pub(crate) const HP: usize = 0;
pub(crate) const SPE: usize = 5;

/// How a nature treats one stat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum NatureEffect {
    Minus,
    Neutral,
    Plus,
}

impl NatureEffect {
    fn apply(self, stat: u32) -> u32 {
        match self {
            NatureEffect::Plus => stat * 110 / 100,
            NatureEffect::Minus => stat * 90 / 100,
            NatureEffect::Neutral => stat,
        }
    }
}

/// One non-HP stat (gens 3-9 formula; gens 1-2 ignore `nature`).
pub(crate) fn stat(gen: u8, base: u16, iv: u16, ev: u16, level: u8, nature: NatureEffect) -> u32 {
    let (base, iv, ev, level) = (u32::from(base), u32::from(iv), u32::from(ev), u32::from(level));
    if gen <= 2 {
        // Showdown's EV e is stat experience (e-1)^2+1, whose term floor((sqrt(x-1)+1)/4) is
        // floor(e/4) (0 for e = 0); the DV is floor(IV/2).
        return ((base + iv / 2) * 2 + ev / 4) * level / 100 + 5;
    }
    nature.apply((2 * base + iv + ev / 4) * level / 100 + 5)
}

/// All six stats; HP uses its own formula (Shedinja's base 1 stays 1).
pub(crate) fn stats(
    gen: u8,
    base: [u16; 6],
    ivs: [u16; 6],
    evs: [u16; 6],
    level: u8,
    natures: [NatureEffect; 6],
) -> [u32; 6] {
    let mut out = [0; 6];
    for i in 0..6 {
        out[i] = if i == HP {
            hp(gen, base[i], ivs[i], evs[i], level)
        } else {
            stat(gen, base[i], ivs[i], evs[i], level, natures[i])
        };
    }
    out
}

fn hp(gen: u8, base: u16, iv: u16, ev: u16, level: u8) -> u32 {
    let (base, iv, ev, level) = (u32::from(base), u32::from(iv), u32::from(ev), u32::from(level));
    if base == 1 && gen >= 3 {
        return 1;
    }
    if gen <= 2 {
        return ((base + iv / 2) * 2 + ev / 4) * level / 100 + level + 10;
    }
    (2 * base + iv + ev / 4) * level / 100 + level + 10
}

/// A stat after `stage` boosts (-6..=6), `getModifiedStat`.
pub(crate) fn staged(gen: u8, stat: u32, stage: i8) -> u32 {
    let stage = stage.clamp(-6, 6);
    if gen <= 2 {
        let boosted = if stage >= 0 {
            // [1, 1.5, 2, 2.5, 3, 3.5, 4] as halves.
            stat * (2 + stage as u32) / 2
        } else {
            const NUMERATORS: [u32; 7] = [100, 66, 50, 40, 33, 28, 25];
            stat * NUMERATORS[usize::from(stage.unsigned_abs())] / 100
        };
        return boosted.clamp(1, CAP_OLD);
    }
    let (num, den) =
        if stage >= 0 { (2 + stage as u32, 2) } else { (2, 2 + u32::from(stage.unsigned_abs())) };
    of16(stat * num) / den
}

fn of16(n: u32) -> u32 {
    if n > 65_535 {
        n % 65_536
    } else {
        n
    }
}

/// Weather as speed abilities see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Weather {
    Sun,
    Rain,
    Sand,
    Snow,
    Hail,
}

/// Everything that changes a Pokémon's final speed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Conditions {
    pub stage: i8,
    pub tailwind: bool,
    pub paralyzed: bool,
    pub weather: Option<Weather>,
    pub electric_terrain: bool,
    /// The Pokémon has lost its item (Unburden active).
    pub unburden: bool,
    /// Holds Booster Energy (Protosynthesis / Quark Drive active without sun or terrain).
    pub booster_energy: bool,
    pub choice_scarf: bool,
    /// Iron Ball or a Power item: ×0.5.
    pub iron_ball: bool,
}

/// What a Pokémon brings to `final_speed`: its stats (before boosts) and ability id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mon<'a> {
    pub gen: u8,
    pub stats: [u32; 6],
    /// Ability id (`swiftswim`), "" if none.
    pub ability: &'a str,
}

/// Why a speed is what it is: which modifiers applied (for explaining a tier).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    pub names: Vec<&'static str>,
}

/// The speed Showdown uses for turn order (`getFinalSpeed`), and the modifiers that applied.
pub(crate) fn final_speed(mon: &Mon<'_>, c: &Conditions) -> (u32, Applied) {
    let gen = mon.gen;
    let mut applied = Applied::default();
    let speed = staged(gen, mon.stats[SPE], c.stage);
    if c.stage != 0 {
        applied.names.push("stage");
    }
    let mut mods: Vec<u32> = Vec::new();
    if c.tailwind {
        mods.push(8192);
        applied.names.push("tailwind");
    }
    let ability = mon.ability;
    let unburden = ability == "unburden" && c.unburden;
    let weather_ability = match (ability, c.weather) {
        ("chlorophyll", Some(Weather::Sun))
        | ("sandrush", Some(Weather::Sand))
        | ("swiftswim", Some(Weather::Rain))
        | ("slushrush", Some(Weather::Hail | Weather::Snow)) => true,
        ("surgesurfer", _) => c.electric_terrain,
        _ => false,
    };
    if unburden || weather_ability {
        mods.push(8192);
        applied.names.push(if unburden { "unburden" } else { "weather ability" });
    } else if ability == "quickfeet" && c.paralyzed {
        mods.push(6144);
        applied.names.push("quick feet");
    } else if paradox_boosts_speed(mon, c) {
        mods.push(6144);
        applied.names.push(if ability == "protosynthesis" { "protosynthesis" } else { "quark drive" });
    }
    if !unburden {
        if c.choice_scarf {
            mods.push(6144);
            applied.names.push("choice scarf");
        } else if c.iron_ball {
            mods.push(2048);
            applied.names.push("iron ball");
        }
    }
    let mut speed = poke_round_div(u64::from(speed) * u64::from(chain_mods(&mods)), 4096);
    if c.paralyzed && ability != "quickfeet" {
        speed = speed * if gen >= 7 { 50 } else { 25 } / 100;
        applied.names.push("paralysis");
    }
    (speed.min(if gen <= 2 { CAP_OLD } else { CAP_NEW }), applied)
}

/// Protosynthesis (sun or Booster Energy) or Quark Drive (Electric Terrain or Booster Energy)
/// is active and Speed is the highest stat after boosts, earlier stats winning ties
/// (`getQPBoostedStat`: atk, def, spa, spd, spe; only Speed is boosted here).
pub(crate) fn paradox_boosts_speed(mon: &Mon<'_>, c: &Conditions) -> bool {
    let active = match mon.ability {
        "protosynthesis" => c.booster_energy || c.weather == Some(Weather::Sun),
        "quarkdrive" => c.booster_energy || c.electric_terrain,
        _ => false,
    };
    if !active {
        return false;
    }
    let speed = staged(mon.gen, mon.stats[SPE], c.stage);
    mon.stats[1..SPE].iter().all(|&s| speed > s)
}

/// `chainMods(mods, 410, 131172)`: the product in 4096ths, rounded half up at each step.
fn chain_mods(mods: &[u32]) -> u32 {
    let mut m: u64 = 4096;
    for &md in mods {
        if md != 4096 {
            m = (m * u64::from(md) + 2048) >> 12;
        }
    }
    m.clamp(410, 131_172) as u32
}

/// `pokeRound(n / d)`: rounds down, except strictly above one half.
fn poke_round_div(n: u64, d: u64) -> u32 {
    let (q, r) = (n / d, n % d);
    (if 2 * r > d { q + 1 } else { q }) as u32
}

/// A way to invest in Speed: nature effect, IV and EV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Investment {
    pub nature: NatureEffect,
    pub iv: u16,
    pub ev: u16,
}

/// Who moves first under the field: strictly faster normally, strictly slower in Trick Room.
pub(crate) fn moves_first(a: u32, b: u32, trick_room: bool) -> bool {
    if trick_room {
        a < b
    } else {
        a > b
    }
}

/// The answer to "how little Speed investment lets A move before B?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outspeed {
    /// The least investment that works, with A's final speed.
    Yes { investment: Investment, speed: u32 },
    /// Nothing tried works; A's best speed (fastest, or slowest in Trick Room).
    Cannot { best: Investment, speed: u32 },
}

/// Finds the least Speed investment for A to move before `target` (a final speed). Outside
/// Trick Room: neutral nature first, then +Spe, each with the fewest EVs (multiples of 4, IV
/// 31). In Trick Room "before" means slower: 0 EVs with a neutral nature, then −Spe, then −Spe
/// with 0 IVs. `speed_of` gives A's final speed for an investment. Gens 1-2 have no natures.
pub(crate) fn solve_outspeed(
    gen: u8,
    target: u32,
    trick_room: bool,
    mut speed_of: impl FnMut(Investment) -> u32,
) -> Outspeed {
    let candidates: Vec<Investment> = if trick_room {
        let mut c = vec![Investment { nature: NatureEffect::Neutral, iv: 31, ev: 0 }];
        if gen >= 3 {
            c.push(Investment { nature: NatureEffect::Minus, iv: 31, ev: 0 });
            c.push(Investment { nature: NatureEffect::Minus, iv: 0, ev: 0 });
        } else {
            c.push(Investment { nature: NatureEffect::Neutral, iv: 0, ev: 0 });
        }
        c
    } else {
        let natures: &[NatureEffect] =
            if gen >= 3 { &[NatureEffect::Neutral, NatureEffect::Plus] } else { &[NatureEffect::Neutral] };
        natures
            .iter()
            .flat_map(|&nature| (0..=252).step_by(4).map(move |ev| Investment { nature, iv: 31, ev }))
            .collect()
    };
    let mut best: Option<(Investment, u32)> = None;
    for inv in candidates {
        let speed = speed_of(inv);
        if moves_first(speed, target, trick_room) {
            return Outspeed::Yes { investment: inv, speed };
        }
        if best.is_none_or(|(_, s)| moves_first(speed, s, trick_room)) {
            best = Some((inv, speed));
        }
    }
    let (best, speed) = best.expect("at least one candidate");
    Outspeed::Cannot { best, speed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NatureEffect::*;

    fn mon(gen: u8, spe: u32, ability: &str) -> Mon<'_> {
        Mon { gen, stats: [300, 100, 100, 100, 100, spe], ability }
    }

    #[test]
    fn stats_match_known_values() {
        // Dragapult (base 142) at level 100: 252+ = 421, 252 neutral = 383, 0 EVs = 339, min- = 278.
        assert_eq!(stat(9, 142, 31, 252, 100, Plus), 421);
        assert_eq!(stat(9, 142, 31, 252, 100, Neutral), 383);
        assert_eq!(stat(9, 142, 31, 0, 100, Neutral), 320);
        assert_eq!(stat(9, 142, 0, 0, 100, Minus), 260);
        // Level 50 (VGC): Flutter Mane (135) 252+ = 205.
        assert_eq!(stat(9, 135, 31, 252, 50, Plus), 205);
        // Gen 1 Tauros (110), max DVs and stat experience: 318.
        assert_eq!(stat(1, 110, 30, 252, 100, Neutral), 318);
        assert_eq!(stat(1, 110, 31, 252, 100, Plus), 318, "gens 1-2 ignore natures");
        // Shedinja's HP.
        assert_eq!(hp(9, 1, 31, 252, 100), 1);
        assert_eq!(hp(9, 100, 31, 252, 100), 404);
    }

    #[test]
    fn stages_follow_each_generations_table() {
        assert_eq!(staged(9, 421, 1), 631);
        assert_eq!(staged(9, 421, -1), 280);
        assert_eq!(staged(9, 421, 6), 1684);
        assert_eq!(staged(9, 421, -6), 105);
        assert_eq!(staged(1, 318, 1), 477);
        assert_eq!(staged(1, 318, -1), 209);
        assert_eq!(staged(1, 600, 2), 999, "gens 1-2 cap at 999");
        assert_eq!(staged(2, 2, -6), 1, "and floor at 1");
    }

    #[test]
    fn modifiers_chain_in_4096ths() {
        let scarf = Conditions { choice_scarf: true, ..Default::default() };
        assert_eq!(final_speed(&mon(9, 421, ""), &scarf).0, 631);
        // 0.5 + pokeRound: 257 × 1.5 = 385.5 rounds down (not strictly above .5).
        assert_eq!(final_speed(&mon(9, 257, ""), &scarf).0, 385);
        let tailwind_scarf = Conditions { choice_scarf: true, tailwind: true, ..Default::default() };
        assert_eq!(final_speed(&mon(9, 421, ""), &tailwind_scarf).0, 1263);
        let par = Conditions { paralyzed: true, ..Default::default() };
        assert_eq!(final_speed(&mon(9, 421, ""), &par).0, 210);
        assert_eq!(final_speed(&mon(6, 421, ""), &par).0, 105);
        assert_eq!(final_speed(&mon(9, 421, "quickfeet"), &par).0, 631);
        let rain = Conditions { weather: Some(Weather::Rain), choice_scarf: true, ..Default::default() };
        assert_eq!(final_speed(&mon(9, 200, "swiftswim"), &rain).0, 600);
        assert_eq!(final_speed(&mon(9, 200, "chlorophyll"), &rain).0, 300);
        // Unburden doubles speed and ignores the (gone) scarf.
        let unburden = Conditions { unburden: true, choice_scarf: true, ..Default::default() };
        assert_eq!(final_speed(&mon(9, 200, "unburden"), &unburden).0, 400);
        assert_eq!(
            final_speed(&mon(1, 700, ""), &Conditions { tailwind: true, ..Default::default() }).0,
            999
        );
    }

    #[test]
    fn paradox_abilities_boost_speed_only_when_it_is_the_highest_stat() {
        let booster = Conditions { booster_energy: true, ..Default::default() };
        assert_eq!(final_speed(&mon(9, 300, "quarkdrive"), &booster).0, 450);
        let slow = Mon { gen: 9, stats: [300, 300, 100, 100, 100, 300], ability: "protosynthesis" };
        assert_eq!(final_speed(&slow, &booster).0, 300, "a tie goes to Attack");
        let sun = Conditions { weather: Some(Weather::Sun), ..Default::default() };
        assert_eq!(final_speed(&mon(9, 300, "protosynthesis"), &sun).0, 450);
        assert_eq!(final_speed(&mon(9, 300, "quarkdrive"), &sun).0, 300);
    }

    #[test]
    fn outspeed_finds_the_fewest_evs_or_says_it_cannot() {
        // Base 100 vs a target of 300: neutral needs floor((200+31+e/4)) + 5 > 300 → e/4 ≥ 65.
        let speed_of = |inv: Investment| stat(9, 100, inv.iv, inv.ev, 100, inv.nature);
        // Base 100 vs 300: neutral tops out at 299 (236 + 63); +Spe needs floor(x × 1.1) ≥ 301,
        // x = 274 = 236 + 152/4.
        assert_eq!(
            solve_outspeed(9, 300, false, speed_of),
            Outspeed::Yes { investment: Investment { nature: Plus, iv: 31, ev: 152 }, speed: 301 }
        );
        assert_eq!(
            solve_outspeed(9, 250, false, speed_of),
            Outspeed::Yes { investment: Investment { nature: Neutral, iv: 31, ev: 60 }, speed: 251 }
        );
        match solve_outspeed(9, 500, false, speed_of) {
            Outspeed::Cannot { best, speed } => assert_eq!((best.nature, best.ev, speed), (Plus, 252, 328)),
            other => panic!("{other:?}"),
        }
        // Trick Room: slower. Neutral 0 EVs is 236; −Spe makes it 212.
        match solve_outspeed(9, 230, true, speed_of) {
            Outspeed::Yes { investment, speed } => {
                assert_eq!((investment.nature, investment.iv, investment.ev, speed), (Minus, 31, 0, 212));
            }
            other => panic!("{other:?}"),
        }
        match solve_outspeed(9, 150, true, speed_of) {
            Outspeed::Cannot { best, speed } => assert_eq!((best.nature, best.iv, speed), (Minus, 0, 184)),
            other => panic!("{other:?}"),
        }
    }
}
