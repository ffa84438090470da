import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { get, nodeConfig, startNode, type TestNode, writeConfig } from '../helpers/node-process.js';
import { projectRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

const DASHBOARD = join(projectRoot, 'docs', 'grafana', 'lk-cluster.json');

/** Node metrics the dashboard leaves out on purpose, and why. */
const NOT_SHOWN: Record<string, string> = {
  lkc_worker_cpu_seconds: 'a running total; lkc_worker_cpu_load shows the same as a rate',
};

// Words of PromQL that are not metric names where they stand outside braces and parentheses of a grouping.
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/**
 * The metric names a PromQL expression (or a Grafana label_values() query) reads: identifiers that are not
 * functions, keywords, label names (in a selector's braces or a by/without list), strings, range durations or
 * Grafana variables.
 */
function queriedMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\{?\w+\}?/g, '')
    // Numbers and durations (0.99, 8, 1e3, offset 5m): none starts a metric name.
    .replace(/(?<![\w:])\d[\w.]*/g, '');
  // label_values(metric, label): the second argument is a label, not a metric.
  const labelValues = /label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)/.exec(bare);
  if (labelValues) return [labelValues[1]!];
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const word = match[0];
    const next = bare.slice(match.index + word.length).trimStart();
    if (next.startsWith('(') || KEYWORDS.has(word)) continue;
    names.add(word);
  }
  return [...names];
}

/** The family a sample name belongs to: a histogram's _bucket, _sum and _count series are its base name. */
function familyOf(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && ['histogram', 'summary'].includes(families.get(base) ?? '') ? base : undefined;
}

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

function panelsOf(dashboard: { panels: Panel[] }): Panel[] {
  return dashboard.panels
    .flatMap((panel) => [panel, ...(panel.panels ?? [])])
    .filter((p) => p.type !== 'row');
}

describe('the Grafana dashboard in docs/grafana', () => {
  let dir: string;
  let node: TestNode;
  let families: Map<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-grafana-'));
    const port = await freePort();
    node = await startNode(writeConfig(dir, 'node.yaml', nodeConfig({ port })), port);
    const { status, body } = await get(`${node.url}/metrics`);
    assert.equal(status, 200);
    families = parsePrometheusText(body).types;
  });

  after(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads metric names out of PromQL, leaving labels, functions, ranges and variables', () => {
    assert.deepEqual(
      queriedMetrics(
        'histogram_quantile(0.99, sum by (le) (rate(lkc_placement_duration_seconds_bucket{region=~"$region", node_id="x{y}"}[$__rate_interval])))',
      ),
      ['lkc_placement_duration_seconds_bucket'],
    );
    assert.deepEqual(queriedMetrics('sum(rate(a_sum[5m])) / sum(rate(a_count[5m])) * 8'), [
      'a_sum',
      'a_count',
    ]);
    assert.deepEqual(queriedMetrics('label_values(lkc_node_state{region=~"$region"}, node_id)'), [
      'lkc_node_state',
    ]);
    assert.deepEqual(queriedMetrics('up == 1 and on (job) other_metric offset 5m'), ['up', 'other_metric']);
  });

  it('queries only metrics a real node exposes at /metrics, in every panel and variable', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Panel[];
      templating: { list: Array<{ name: string; type: string; query?: { query: string } }> };
    };
    const queries: Array<{ where: string; expr: string }> = [];
    for (const panel of panelsOf(dashboard)) {
      assert.ok(panel.targets?.length, `panel "${panel.title}" has no query`);
      for (const target of panel.targets)
        queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
    }
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query'))
      queries.push({ where: `variable $${variable.name}`, expr: variable.query!.query });

    const missing: string[] = [];
    const used = new Set<string>();
    for (const { where, expr } of queries) {
      const metrics = queriedMetrics(expr);
      assert.ok(metrics.length > 0, `${where}: no metric found in ${expr}`);
      for (const metric of metrics) {
        const family = familyOf(metric, families);
        if (family) used.add(family);
        else missing.push(`${where}: ${metric}`);
      }
    }
    assert.deepEqual(missing, [], `not in the node's /metrics (it has ${[...families.keys()].join(', ')})`);
    // The dashboard covers what an operator watches: every lk-cluster metric of the node, not only the defaults.
    const ours = [...families.keys()].filter(
      (f) => f.startsWith('lkc_') && !/^lkc_(process|nodejs)_/.test(f) && !(f in NOT_SHOWN),
    );
    assert.deepEqual(
      ours.filter((f) => !used.has(f)),
      [],
      'node metrics no panel shows',
    );
  });
});
