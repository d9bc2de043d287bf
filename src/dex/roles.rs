//! Roles: the jobs players ask for ("who removes hazards", "Trick Room setters"), as the moves,
//! abilities and items that do them in each generation.
//!
//! Nothing here is typed by hand: `scripts/export-dex.mjs` derives every member from
//! `@pkmn/dex`'s data (move flags, priority, side conditions, weathers, short descriptions; its
//! header lists the rules), so a new generation's moves join their roles with the next data
//! update. This module only names the roles and answers "which members, in gen g".

use std::collections::BTreeMap;

use serde::Deserialize;

/// A job a Pokémon does on a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    HazardRemoval,
    HazardSetting,
    Priority,
    Pivot,
    Setup,
    Wallbreaker,
    Weather,
    Terrain,
    Screens,
    TrickRoom,
    Cleric,
    Phazing,
    /// Reliable recovery: what walls and tanks carry.
    Recovery,
    Status,
}

impl Role {
    pub const ALL: [Role; 14] = [
        Role::HazardRemoval,
        Role::HazardSetting,
        Role::Priority,
        Role::Pivot,
        Role::Setup,
        Role::Wallbreaker,
        Role::Weather,
        Role::Terrain,
        Role::Screens,
        Role::TrickRoom,
        Role::Cleric,
        Role::Phazing,
        Role::Recovery,
        Role::Status,
    ];

    /// The id the export uses (`hazard-removal`).
    pub fn id(self) -> &'static str {
        match self {
            Role::HazardRemoval => "hazard-removal",
            Role::HazardSetting => "hazard-setting",
            Role::Priority => "priority",
            Role::Pivot => "pivot",
            Role::Setup => "setup",
            Role::Wallbreaker => "wallbreaker",
            Role::Weather => "weather",
            Role::Terrain => "terrain",
            Role::Screens => "screens",
            Role::TrickRoom => "trick-room",
            Role::Cleric => "cleric",
            Role::Phazing => "phazing",
            Role::Recovery => "recovery",
            Role::Status => "status",
        }
    }

    /// How answers name the role ("hazard removal").
    pub fn label(self) -> &'static str {
        match self {
            Role::HazardRemoval => "hazard removal",
            Role::HazardSetting => "hazard setting",
            Role::Priority => "priority attacks",
            Role::Pivot => "pivoting",
            Role::Setup => "setup sweeping",
            Role::Wallbreaker => "wallbreaking",
            Role::Weather => "weather setting",
            Role::Terrain => "terrain setting",
            Role::Screens => "screens",
            Role::TrickRoom => "Trick Room setting",
            Role::Cleric => "cleric support",
            Role::Phazing => "phazing",
            Role::Recovery => "walling with reliable recovery",
            Role::Status => "spreading status",
        }
    }

    pub fn from_id(id: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.id() == id)
    }
}

/// What kind of thing a role member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    Move,
    Ability,
    Item,
}

/// One move, ability or item that does a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMember {
    pub kind: MemberKind,
    /// Showdown id (`rapidspin`).
    pub id: String,
    /// What exactly it sets, where that matters: a weather (`raindance`), terrain
    /// (`electricterrain`), hazard (`stealthrock`), screen (`reflect`) or status (`brn`) id.
    pub effect: Option<String>,
    /// Bit `g` set: the rule holds in generation `g`.
    gens: u16,
}

impl RoleMember {
    pub fn in_gen(&self, gen: u8) -> bool {
        gen < 16 && self.gens & (1 << gen) != 0
    }
}

/// The export's `roles` table: role id → `[kind, id, effect, gens]`.
pub(super) type RawRoles = BTreeMap<String, Vec<(MemberKind, String, String, String)>>;

/// Every role's members, parsed once with the dex.
#[derive(Debug, Default)]
pub struct RoleTable {
    members: BTreeMap<Role, Vec<RoleMember>>,
}

impl RoleTable {
    pub(super) fn from_raw(raw: RawRoles) -> Result<RoleTable, String> {
        let mut members = BTreeMap::new();
        for (id, entries) in raw {
            let role = Role::from_id(&id).ok_or_else(|| format!("dex.json names an unknown role {id:?}"))?;
            let parsed: Result<Vec<RoleMember>, String> = entries
                .into_iter()
                .map(|(kind, id, effect, gens)| {
                    let mut bits = 0u16;
                    for c in gens.chars() {
                        let g = c.to_digit(10).filter(|g| (1..=9).contains(g));
                        bits |=
                            1 << g.ok_or_else(|| format!("role member {id}: bad generations {gens:?}"))?;
                    }
                    Ok(RoleMember { kind, id, effect: (!effect.is_empty()).then_some(effect), gens: bits })
                })
                .collect();
            members.insert(role, parsed?);
        }
        Ok(RoleTable { members })
    }

    /// The members of `role` in generation `gen`.
    pub fn members(&self, role: Role, gen: u8) -> impl Iterator<Item = &RoleMember> {
        self.members.get(&role).into_iter().flatten().filter(move |m| m.in_gen(gen))
    }

    /// The roles a move, ability or item (by id) does in `gen`.
    pub fn roles_of(&self, kind: MemberKind, id: &str, gen: u8) -> Vec<Role> {
        self.members
            .iter()
            .filter(|(_, ms)| ms.iter().any(|m| m.kind == kind && m.id == id && m.in_gen(gen)))
            .map(|(r, _)| *r)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dex::dex;

    fn ids(role: Role, gen: u8) -> Vec<&'static str> {
        dex().roles().members(role, gen).map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn roles_come_from_the_data_per_generation() {
        let removal = ids(Role::HazardRemoval, 9);
        for m in ["rapidspin", "defog", "mortalspin", "tidyup", "courtchange"] {
            assert!(removal.contains(&m), "{m} removes hazards in gen 9: {removal:?}");
        }
        assert_eq!(ids(Role::HazardRemoval, 3), ["rapidspin"], "Defog clears hazards from gen 4");
        let setting = ids(Role::HazardSetting, 9);
        for m in ["stealthrock", "spikes", "toxicspikes", "stickyweb", "ceaselessedge", "stoneaxe"] {
            assert!(setting.contains(&m), "{m}: {setting:?}");
        }
        let pivots = ids(Role::Pivot, 9);
        for m in ["uturn", "voltswitch", "flipturn", "partingshot", "teleport", "chillyreception"] {
            assert!(pivots.contains(&m), "{m}: {pivots:?}");
        }
        assert!(!ids(Role::Pivot, 7).contains(&"teleport"), "Teleport switches out from gen 8");
        assert!(!pivots.contains(&"batonpass"), "Baton Pass passes boosts; it is not a pivot");
        let priority = ids(Role::Priority, 9);
        assert!(priority.contains(&"suckerpunch") && priority.contains(&"extremespeed"));
        assert!(!priority.contains(&"protect"), "priority status moves are not priority attacks");
        assert!(ids(Role::Setup, 9).contains(&"dragondance") && ids(Role::Setup, 9).contains(&"bellydrum"));
        assert_eq!(ids(Role::TrickRoom, 9), ["trickroom"]);
        assert!(ids(Role::Phazing, 9).contains(&"whirlwind"));
        assert!(ids(Role::Cleric, 9).contains(&"wish"));
        let wallbreakers = ids(Role::Wallbreaker, 9);
        assert!(wallbreakers.contains(&"choiceband") && wallbreakers.contains(&"lifeorb"));
        assert!(!wallbreakers.contains(&"choicescarf"));
    }

    #[test]
    fn effects_say_which_weather_or_hazard() {
        let rain: Vec<&str> = dex()
            .roles()
            .members(Role::Weather, 9)
            .filter(|m| m.effect.as_deref() == Some("raindance"))
            .map(|m| m.id.as_str())
            .collect();
        assert!(rain.contains(&"drizzle") && rain.contains(&"raindance"), "{rain:?}");
        assert_eq!(dex().roles().roles_of(MemberKind::Ability, "drought", 9), [Role::Weather]);
        assert_eq!(dex().roles().roles_of(MemberKind::Move, "stealthrock", 3), Vec::<Role>::new());
    }
}
