#!/usr/bin/env node
// oclif writes commands in the order its file search returns them, which differs between runs; sorted, the
// committed manifest only changes when a command does.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../oclif.manifest.json', import.meta.url);
const manifest = JSON.parse(readFileSync(path, 'utf8'));
manifest.commands = Object.fromEntries(
  Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b)),
);
writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
