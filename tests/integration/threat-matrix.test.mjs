// analyze_team's threat matrix and the plan_against prompt's battle facts (issue #12), through the
// official MCP SDK client. Every number is checked against @smogon/calc run here on the sets the
// server reports (the threat's assumed set as a paste, the team member as pasted).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { createRequire } from 'node:module';
import path from 'node:path';

import { calculate, Field, Generations, Move, Pokemon } from '@smogon/calc';

import { BASE_URL, REPO_ROOT, connectV2 } from './harness.mjs';

const run = promisify(execFile);
// Turn order as the library computes it (no field effects): items such as Choice Scarf and
// Booster Energy count.
const { getFinalSpeed } = createRequire(import.meta.url)(path.join(REPO_ROOT, 'node_modules/@smogon/calc/dist/mechanics/util.js'));
const speedOf = (mon) => {
  const field = new Field();
  return getFinalSpeed(gen9, mon, field, field.attackerSide);
};
const gen9 = Generations.get(9);
const LABELS = { HP: 'hp', Atk: 'atk', Def: 'def', SpA: 'spa', SpD: 'spd', Spe: 'spe' };

/** A Showdown paste of one set → the library's Pokemon. */
function fromPaste(paste) {
  const lines = paste.split('\n');
  const [species, item] = lines[0].split(' @ ').map((s) => s.trim());
  const opts = { item, evs: {}, ivs: {}, moves: [] };
  for (const line of lines.slice(1)) {
    if (line.startsWith('Ability: ')) opts.ability = line.slice(9);
    else if (line.startsWith('Level: ')) opts.level = Number(line.slice(7));
    else if (line.endsWith(' Nature')) opts.nature = line.slice(0, -7);
    else if (line.startsWith('EVs: ') || line.startsWith('IVs: ')) {
      const target = line.startsWith('EVs') ? opts.evs : opts.ivs;
      for (const part of line.slice(5).split(' / ')) {
        const [n, label] = part.split(' ');
        target[LABELS[label]] = Number(n);
      }
    } else if (line.startsWith('- ')) opts.moves.push(line.slice(2));
  }
  return { species, opts, moves: opts.moves };
}

const TEAM = `Kingambit @ Leftovers
Ability: Supreme Overlord
Tera Type: Dark
EVs: 252 HP / 252 Atk / 4 SpD
Adamant Nature
- Swords Dance
- Kowtow Cleave
- Sucker Punch
- Iron Head

Corviknight @ Leftovers
Ability: Pressure
EVs: 252 HP / 168 Def / 88 SpD
Impish Nature
- Brave Bird
- U-turn
- Roost
- Defog

Toxapex @ Black Sludge
Ability: Regenerator
EVs: 252 HP / 252 Def / 4 SpD
Bold Nature
- Surf
- Toxic
- Recover
- Haze`;

describe('threat matrix and battle facts', () => {
  let client;
  before(async () => {
    await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'], { cwd: REPO_ROOT, timeout: 120_000 });
    ({ client } = await connectV2('2025-11-25'));
  });
  after(async () => {
    await client?.close();
  });

  test("analyze_team: each top threat's best move against each member, as the library computes it", async () => {
    const r = await client.callTool({ name: 'analyze_team', arguments: { paste: TEAM, format: 'gen9ou' } });
    assert.equal(r.isError, false, r.content[0].text);
    const m = r.structuredContent.threatMatrix;
    assert.ok(m, 'a matrix where statistics and the calculator exist');
    assert.equal(m.calculator, '@smogon/calc 0.12.0');
    assert.equal(m.rows.length, 6);
    const team = ['Kingambit', 'Corviknight', 'Toxapex'];
    assert.ok(m.rows.every((row) => !team.includes(row.threat)), 'team members are not their own threats');
    assert.deepEqual(m.rows.map((row) => row.rank), [...m.rows.map((row) => row.rank)].sort((a, b) => a - b), 'usage order');
    const members = TEAM.split('\n\n').map(fromPaste);
    let checked = 0;
    for (const row of m.rows) {
      assert.match(row.setSourceUrl, /^https:\/\//);
      const threat = fromPaste(row.assumedSet);
      const attacker = new Pokemon(gen9, threat.species, threat.opts);
      assert.deepEqual(row.cells.map((c) => c.member), team);
      for (const [i, c] of row.cells.entries()) {
        const defender = new Pokemon(gen9, members[i].species, members[i].opts);
        // The best move is the one with the highest maximum damage; its numbers are the library's.
        const results = threat.moves.map((mv) => calculate(gen9, attacker, defender, new Move(gen9, mv), new Field()));
        const damaging = results.filter((res) => res.range()[1] > 0);
        if (damaging.length === 0) {
          assert.equal(c.bestMove, null);
          continue;
        }
        const best = damaging.reduce((a, b) => (b.range()[1] > a.range()[1] ? b : a));
        const hp = best.defender.maxHP();
        const pct = (n) => Math.floor((n * 1000) / hp) / 10;
        assert.equal(best.range()[1] / hp, Math.max(...damaging.map((res) => res.range()[1])) / hp);
        assert.ok(Math.abs(c.percent[1] - pct(best.range()[1])) < 0.11, `${row.threat} vs ${c.member}: ${c.percent} vs ${pct(best.range()[1])}`);
        assert.ok(Math.abs(c.percent[0] - pct(best.range()[0])) < 0.11);
        assert.equal(c.threatSpeed, speedOf(attacker), `${row.threat} speed`);
        assert.equal(c.memberSpeed, speedOf(defender), `${c.member} speed`);
        assert.equal(c.faster, c.threatSpeed > c.memberSpeed ? 'threat' : c.threatSpeed < c.memberSpeed ? 'member' : 'tie');
        checked += 1;
      }
    }
    assert.ok(checked >= 12, `${checked} cells checked`);
    // The summary names exactly the threats with two or more OHKOs / 2HKOs.
    const several = (n) => m.rows.filter((row) => row.cells.filter((c) => c.koHits !== null && c.koHits <= n).length >= 2).map((row) => row.threat);
    assert.deepEqual(m.ohkoSeveral, several(1));
    assert.deepEqual(m.twoHkoSeveral, several(2));
    assert.match(r.content[0].text, /Threat matrix \(@smogon\/calc 0\.12\.0/);
  });

  test('plan_against embeds damage and speed facts for the named threat', async () => {
    const p = await client.getPrompt({ name: 'plan_against', arguments: { pokemon: 'Great Tusk', format: 'gen9ou' } });
    const text = p.messages.map((msg) => msg.content.text ?? '').join('\n');
    assert.match(text, /Damage and speed of its likeliest set \(@smogon\/calc 0\.12\.0/);
    const lines = text.split('\n').filter((l) => /^- vs /.test(l));
    assert.equal(lines.length, 6, text);
    assert.ok(lines.every((l) => /: .+ \d+\.\d-\d+\.\d%.*; speed \d+ vs \d+ \(/.test(l) || /no damaging move/.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('- vs Great Tusk')), 'not against itself');
  });
});
