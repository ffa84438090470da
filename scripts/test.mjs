#!/usr/bin/env node
// Runs node's own test runner over every compiled *.test.js under dist/test. Node 20 treats every .js file in a
// directory argument as a test file (helpers and child-process fixtures included) and has no glob support, so
// the list is made here; extra arguments (e.g. a folder such as dist/test/routing) narrow it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(root) {
  if (statSync(root).isFile()) return [root];
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const path = join(root, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const roots = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const options = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const files = (roots.length ? roots : ['dist/test']).flatMap(testFiles).sort();
if (files.length === 0) {
  console.error('test: no *.test.js files found: run `npm run build` first');
  process.exit(1);
}
const concurrency = process.env.LKC_TEST_CONCURRENCY ?? '2';
// A regression in a drain, exit or close path must fail the run, not stall it: node's runner waits forever by
// default. On Node 20 the bound applies to each test and also to each file as a whole (its subprocess is sent
// SIGTERM), so it sits well above the slowest file (about 25 s with two files at a time on two shared cores).
// The tests' own waits are bounded far below it and name what they waited for; this is the backstop.
// LKC_TEST_TIMEOUT_MS overrides it, e.g. for a much slower machine or a debugger.
const timeoutMs = process.env.LKC_TEST_TIMEOUT_MS ?? '120000';
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...options, ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
