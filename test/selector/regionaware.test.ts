import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegionConfig } from '../../src/config/types.js';
import { selectNode } from '../../src/selector/select.js';
import { SEED_REGIONS, testConfig } from '../helpers/config.js';
import { nodeView } from '../helpers/node-records.js';

const MORE_REGIONS: RegionConfig[] = [
  ...SEED_REGIONS,
  { name: 'eu-west', lat: 53.35, lon: -6.26 },
  { name: 'eu-central', lat: 50.11, lon: 8.68 },
  { name: 'ap-south', lat: 19.08, lon: 72.88 },
];

function regionaware(regions: RegionConfig[] = SEED_REGIONS, sysload_limit = 0.5) {
  return testConfig({ node_selector: { kind: 'regionaware', sysload_limit, regions } }).node_selector;
}

// Many draws: the choice inside a region is random, so a wrong region would show up.
function chosenIds(
  nodes: ReturnType<typeof nodeView>[],
  origin: string,
  regions?: RegionConfig[],
): Set<string> {
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) ids.add(selectNode(nodes, regionaware(regions), { origin }).node.id);
  return ids;
}

describe('regionaware selector', () => {
  const nodes = [
    nodeView('west-1', { region: 'us-west-2' }),
    nodeView('west-2', { region: 'us-west-2' }),
    nodeView('east-1', { region: 'us-east' }),
    nodeView('east-2', { region: 'us-east' }),
  ];

  it('places in the origin region among the seed’s two regions, at random between its nodes', () => {
    assert.deepEqual([...chosenIds(nodes, 'us-west-2')].sort(), ['west-1', 'west-2']);
    assert.deepEqual([...chosenIds(nodes, 'us-east')].sort(), ['east-1', 'east-2']);
  });

  it('falls to the other region only when every node of the nearest is at the sysload limit', () => {
    const loaded = [
      nodeView('west-1', { region: 'us-west-2', sysload: 0.5 }),
      nodeView('west-2', { region: 'us-west-2', sysload: 0.8 }),
      nodeView('east-1', { region: 'us-east', sysload: 0.2 }),
    ];
    const selection = selectNode(loaded, regionaware(), { origin: 'us-west-2' });
    assert.equal(selection.node.id, 'east-1');
    assert.match(
      selection.rule,
      /nearest region with a node under sysload_limit 0\.5 is us-east \(\d,\d{3} km; nearer us-west-2 has none\)/,
    );
  });

  it('takes the nearest region with an eligible node among five, then the next nearest', () => {
    const spread = [
      nodeView('dublin', { region: 'eu-west' }),
      nodeView('frankfurt', { region: 'eu-central' }),
      nodeView('mumbai', { region: 'ap-south' }),
      nodeView('virginia', { region: 'us-east' }),
    ];
    // From us-west-2: us-east (~4,000 km) is nearer than Dublin (~8,000 km).
    assert.deepEqual([...chosenIds(spread, 'us-west-2', MORE_REGIONS)], ['virginia']);
    // From eu-central: Frankfurt itself, then Dublin when Frankfurt is loaded, then Virginia, never Mumbai.
    assert.deepEqual([...chosenIds(spread, 'eu-central', MORE_REGIONS)], ['frankfurt']);
    spread[1] = nodeView('frankfurt', { region: 'eu-central', sysload: 0.9 });
    assert.deepEqual([...chosenIds(spread, 'eu-central', MORE_REGIONS)], ['dublin']);
    spread[0] = nodeView('dublin', { region: 'eu-west', state: 'draining' });
    // Frankfurt -> Mumbai is ~6,300 km, Frankfurt -> Virginia ~6,200 km.
    assert.deepEqual([...chosenIds(spread, 'eu-central', MORE_REGIONS)], ['virginia']);
  });

  it('places a node whose region is not in the table after every listed region', () => {
    const mixed = [nodeView('far', { region: 'ap-south' }), nodeView('nowhere', { region: 'moon-base' })];
    assert.deepEqual([...chosenIds(mixed, 'us-west-2', MORE_REGIONS)], ['far']);
    mixed[0] = nodeView('far', { region: 'ap-south', sysload: 0.6 });
    const selection = selectNode(mixed, regionaware(MORE_REGIONS), { origin: 'us-west-2' });
    assert.equal(selection.node.id, 'nowhere');
    assert.match(selection.rule, /no listed region has a node under sysload_limit 0\.5/);
  });

  it('refuses an origin region that is not in the table, naming the known ones', () => {
    assert.throws(
      () => selectNode(nodes, regionaware(), { origin: 'mars' }),
      (err: Error & { code?: string }) =>
        err.code === 'REGION_NOT_FOUND' &&
        /region "mars" is not in node_selector.regions \(us-west-2, us-east\)/.test(err.message),
    );
  });

  it('treats every region alike without an origin region', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add(selectNode(nodes, regionaware(), { origin: null }).node.id);
    assert.equal(ids.size, 4);
  });
});
