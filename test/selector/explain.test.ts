import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainPlacement } from '../../src/selector/explain.js';
import { prepareNodes, selectFrom } from '../../src/selector/select.js';
import { SEED_REGIONS, testConfig } from '../helpers/config.js';
import { nodeView } from '../helpers/node-records.js';

describe('explain', () => {
  it('gives every node a verdict, its distance and the rule that chose the winner', () => {
    const selector = testConfig({
      node_selector: { kind: 'regionaware', sysload_limit: 0.5, regions: SEED_REGIONS },
    }).node_selector;
    const nodes = [
      nodeView('west-hot', { region: 'us-west-2', sysload: 0.8 }),
      nodeView('west-ok', { region: 'us-west-2', sysload: 0.2 }),
      nodeView('east-ok', { region: 'us-east', sysload: 0.1 }),
      nodeView('east-drain', { region: 'us-east', state: 'draining' }),
      nodeView('gone', { region: 'us-east', alive: false }),
    ];
    const prepared = prepareNodes(nodes, selector);
    const selection = selectFrom(prepared, { origin: 'us-west-2' });
    assert.equal(selection.node.id, 'west-ok');
    const explanation = explainPlacement(prepared, {
      origin: 'us-west-2',
      chosenId: 'west-ok',
      sticky: false,
      rule: selection.rule,
    });
    const verdict = Object.fromEntries(explanation.nodes.map((v) => [v.id, v]));
    assert.equal(explanation.nodes[0]!.id, 'west-ok');
    assert.deepEqual(
      [
        verdict['west-ok']!.chosen,
        verdict['west-ok']!.eligible,
        verdict['west-ok']!.reason,
        verdict['west-ok']!.distance_km,
      ],
      [true, true, 'chosen', 0],
    );
    assert.equal(verdict['west-hot']!.reason, 'sysload 0.80 at or over sysload_limit 0.5');
    assert.equal(verdict['east-ok']!.reason, 'eligible, but us-west-2 is nearer');
    assert.ok(verdict['east-ok']!.distance_km! > 3500 && verdict['east-ok']!.distance_km! < 4500);
    assert.equal(verdict['east-drain']!.reason, 'draining: keeps its rooms, takes no new ones');
    assert.match(verdict['gone']!.reason, /^dead/);
    assert.equal(verdict['gone']!.lease_age_ms, null);
    assert.equal(explanation.selector, 'regionaware');
    assert.equal(explanation.origin_region, 'us-west-2');
    assert.match(
      explanation.rule,
      /nearest region with a node under sysload_limit 0\.5 is us-west-2 \(0 km\); random among 1/,
    );
  });
});
