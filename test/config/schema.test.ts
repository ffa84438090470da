import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema, defaultConfig } from '../../src/config/index.js';

type SchemaNode = {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: boolean | SchemaNode;
};

function* walk(node: SchemaNode, path: string): Generator<[string, SchemaNode]> {
  yield [path, node];
  for (const [key, child] of Object.entries(node.properties ?? {}))
    yield* walk(child, path ? `${path}.${key}` : key);
  if (node.items) yield* walk(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') yield* walk(node.additionalProperties, `${path}.*`);
}

function valueAt(config: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

describe('the config schema', () => {
  const schema = configSchema() as SchemaNode;

  it('describes every property, so editors can show help', () => {
    const missing = [...walk(schema, '')].filter(([, node]) => !node.description).map(([path]) => path);
    assert.deepEqual(missing, []);
  });

  it('refuses unknown keys in every object', () => {
    const open = [...walk(schema, '')]
      .filter(
        ([path, node]) => node.type === 'object' && path !== 'keys' && node.additionalProperties !== false,
      )
      .map(([path]) => path);
    assert.deepEqual(open, []);
  });

  it('states the same defaults the loader applies', () => {
    const defaults = defaultConfig();
    const stated = [...walk(schema, '')].filter(
      ([path, node]) => path && !path.includes('[]') && 'default' in node,
    );
    assert.ok(stated.length > 20);
    for (const [path, node] of stated) {
      // Keys only relevant with redis have no counterpart in the single-node defaults.
      if (path.startsWith('redis')) continue;
      assert.deepEqual(valueAt(defaults, path), node.default, `default of ${path}`);
    }
  });

  it('covers every top-level key of the Config type', () => {
    // redis and webhook are absent from the defaults: single-node mode, no webhooks.
    const keys = Object.keys(defaultConfig()).concat('redis', 'webhook').sort();
    assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), keys);
  });
});
