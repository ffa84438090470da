import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { schemaPath, validateConfigText } from '../../src/config/index.js';
import {
  generateApiKey,
  generateSecret,
  parseRegionList,
  renderInitialConfig,
  schemaReference,
} from '../../src/config/init.js';
import { answersWithDefaults } from '../../src/config/init-wizard.js';
import { isLkcError } from '../../src/errors.js';
import { projectRoot } from '../helpers/paths.js';

describe('config init', () => {
  it('generates LiveKit-style API keys and long random secrets', () => {
    const keys = new Set(Array.from({ length: 50 }, generateApiKey));
    assert.equal(keys.size, 50);
    for (const key of keys) assert.match(key, /^API[A-Za-z0-9]{12}$/);
    const secret = generateSecret();
    assert.match(secret, /^[A-Za-z0-9]{43}$/);
    assert.notEqual(secret, generateSecret());
  });

  it('with defaults only, writes a valid single-node config with the seed regions', () => {
    const answers = answersWithDefaults({});
    const text = renderInitialConfig(answers, '/tmp/lk-cluster.yaml');
    const result = validateConfigText(text, 'new.yaml');
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.config!.redis, undefined);
    assert.equal(result.config!.region, 'us-west-2');
    assert.deepEqual(
      result.config!.node_selector.regions.map((r) => r.name),
      ['us-west-2', 'us-east'],
    );
    assert.ok(text.startsWith(`# yaml-language-server: $schema=${schemaPath()}\n`));
  });

  it('with redis and a listed region, chooses the regionaware selector', () => {
    const answers = answersWithDefaults({ region: 'eu-central-1', redis: '10.0.0.5:6379' });
    assert.equal(answers.selector, 'regionaware');
    assert.deepEqual(
      answers.regions.map((r) => r.name),
      ['eu-central-1', 'us-west-2', 'us-east'],
    );
    const config = validateConfigText(renderInitialConfig(answers, 'x.yaml'), 'x.yaml').config!;
    assert.equal(config.redis?.address, '10.0.0.5:6379');
    assert.equal(config.node_selector.kind, 'regionaware');
  });

  it('quotes values YAML would misread', () => {
    const answers = answersWithDefaults({ apiKey: 'API-1', secret: `#${'y'.repeat(40)}: z` });
    const parsed = parse(renderInitialConfig(answers, 'x.yaml'));
    assert.equal(parsed.keys['API-1'], `#${'y'.repeat(40)}: z`);
  });

  it('parses --regions as built-in names or NAME:LAT:LON', () => {
    assert.deepEqual(parseRegionList('us-east, lab:-33.5:151'), [
      { name: 'us-east', lat: 40.68914362140307, lon: -74.04445748616385 },
      { name: 'lab', lat: -33.5, lon: 151 },
    ]);
    for (const bad of ['nowhere', 'lab:95:0', 'lab:1', 'us-east,us-east']) {
      try {
        parseRegionList(bad);
        assert.fail(`accepted ${bad}`);
      } catch (err) {
        assert.ok(isLkcError(err) && err.message.startsWith('--regions: '), String(err));
      }
    }
  });

  it('refuses a short --secret, naming the flag', () => {
    assert.throws(
      () => answersWithDefaults({ secret: 'short' }),
      /^LkcError: --secret must be at least 32 characters/,
    );
  });

  it('points the schema comment at a relative path inside the project, an absolute one outside', () => {
    assert.equal(schemaReference(`${projectRoot}/lk-cluster.yaml`), './schema/lk-cluster.schema.json');
    assert.equal(schemaReference(`${projectRoot}/test/x.yaml`), '../schema/lk-cluster.schema.json');
    assert.equal(schemaReference('/somewhere/else.yaml'), schemaPath());
  });
});
