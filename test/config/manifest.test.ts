import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../helpers/paths.js';

function commandIds(dir: string): string[] {
  const ids: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) ids.push(...commandIds(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      ids.push(
        relative(join(projectRoot, 'commands'), path)
          .replace(/\.ts$/, '')
          .replace(/(^|\/)index$/, '')
          .split('/')
          .join(':'),
      );
    }
  }
  return ids;
}

describe('oclif.manifest.json', () => {
  it('has an entry for every command file in commands/', () => {
    const manifestFile = join(projectRoot, 'oclif.manifest.json');
    assert.ok(existsSync(manifestFile), 'oclif.manifest.json is missing: run npm run build');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { commands: Record<string, unknown> };
    const ids = commandIds(join(projectRoot, 'commands'));
    assert.ok(ids.includes('config:validate'));
    const missing = ids.filter((id) => !(id in manifest.commands));
    assert.deepEqual(missing, [], `not in the manifest (run npm run build): ${missing.join(', ')}`);
  });
});
