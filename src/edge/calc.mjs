// The damage calculator inside the Worker: @smogon/calc (MIT, pinned in package-lock.json),
// called from Rust through wasm-bindgen (src/edge/calc.rs). worker-build copies this file into
// the build's snippets; wrangler's bundler resolves '@smogon/calc' from node_modules and bundles
// it with the worker. Takes a CalcRequest as JSON (src/battle/calc.rs), returns a CalcResponse as
// JSON, or throws with the library's message.
import {calculate, Field, Generations, Move, Pokemon} from '@smogon/calc';

const STATS = ['hp', 'atk', 'def', 'spa', 'spd', 'spe'];

function pokemon(gen, side) {
  const {name, currentHpPercent, ...options} = side;
  const p = new Pokemon(gen, name, options);
  if (currentHpPercent !== undefined) {
    p.originalCurHP = Math.max(1, Math.floor((p.maxHP() * currentHpPercent) / 100));
  }
  return p;
}

function stats(p) {
  const out = {};
  for (const s of STATS) out[s] = p.stats[s];
  return {maxHp: p.maxHP(), curHp: p.curHP(), stats: out};
}

// desc() rounds percentages down to 0.1 (Math.floor(x * 1000 / maxHP) / 10).
const percent = (damage, hp) => Math.floor((damage * 1000) / hp) / 10;

export function damageCalc(requestJson) {
  const req = JSON.parse(requestJson);
  const gen = Generations.get(req.gen);
  const attacker = pokemon(gen, req.attacker);
  const defender = pokemon(gen, req.defender);
  const field = new Field(req.field);
  const results = req.moves.map(m => {
    const {name, ...options} = m;
    const result = calculate(gen, attacker, defender, new Move(gen, name, options), field);
    const range = result.range();
    const maxHp = result.defender.maxHP();
    // desc() and kochance() throw when the move does no damage (immunity, status moves).
    const damaging = range[1] > 0;
    const ko = damaging ? result.kochance() : null;
    return {
      move: result.move.name,
      damage: result.damage,
      range,
      percent: [percent(range[0], maxHp), percent(range[1], maxHp)],
      desc: damaging ? result.desc() : null,
      koChance: ko ? {chance: ko.chance ?? null, n: ko.n, text: ko.text} : null,
    };
  });
  return JSON.stringify({attacker: stats(attacker), defender: stats(defender), results});
}
