import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkConfigFile, formatProblem, type ValidationResult } from '../../src/config/index.js';
import { fixture, projectRoot } from '../helpers/paths.js';
import { lines, runCli } from '../helpers/run-cli.js';
import { mutateConfig } from './config-mutator.js';
import { fuzzSeed, Random } from './random.js';

const CASES = 1000;
/** Every CASES / CLI_SAMPLE-th case also goes through the real CLI process. */
const CLI_SAMPLE = 50;
const CLI_CONCURRENCY = 3;
/** No single validation may take this long (nesting and aliases must not blow up). */
const MAX_CASE_MS = 5000;

interface Case {
  index: number;
  file: string;
  text: string;
  ops: string[];
  result: ValidationResult;
}

const PROBLEM_LINE = /^(?<file>.+?):(?<line>\d+):(?<column>\d+): ./;

describe('config validate on 1,000 mutated config files', () => {
  const seed = fuzzSeed();
  const rnd = new Random(seed);
  let dir: string;
  let failed = false;
  const cases: Case[] = [];
  const replay = `replay with LKC_FUZZ_SEED=${seed}`;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-fuzz-config-'));
  });

  after(() => {
    // A failing run keeps its files, to look at.
    if (!failed) rmSync(dir, { recursive: true, force: true });
  });

  it('answers each in-process with a valid config or FILE:LINE:COL problems, never a throw', async (t) => {
    t.diagnostic(`seed ${seed} (${replay}); files in ${dir}`);
    const bases = readdirSync(join(projectRoot, 'test', 'fixtures', 'config'))
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => readFileSync(fixture(name), 'utf8'));
    const failures: string[] = [];
    let slowest = 0;
    let valid = 0;
    for (let index = 0; index < CASES; index++) {
      const { text, ops } = mutateConfig(rnd.pick(bases), rnd);
      const file = join(dir, `case-${String(index).padStart(4, '0')}.yaml`);
      writeFileSync(file, text);
      const where = `case ${index} [${ops.join(', ')}] ${file}`;
      const began = Date.now();
      let result: ValidationResult;
      try {
        result = await checkConfigFile(file, { env: {} });
      } catch (err) {
        failures.push(`${where}: threw ${(err as Error).stack ?? err}`);
        continue;
      }
      slowest = Math.max(slowest, Date.now() - began);
      if (Date.now() - began > MAX_CASE_MS) failures.push(`${where}: took ${Date.now() - began} ms`);
      const problem = checkProblems(result, file, text);
      if (problem) failures.push(`${where}: ${problem}`);
      if (result.config) valid++;
      cases.push({ index, file, text, ops, result });
    }
    t.diagnostic(`${valid} valid, ${CASES - valid} invalid; slowest ${slowest} ms`);
    if (failures.length > 0) failed = true;
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${CASES} cases failed (${replay})`);
    assert.ok(valid > 0 && valid < CASES, 'the mutations produce both valid and invalid files');
  });

  it('gives the same answer from the real CLI for a sample: exit 0 or 1, the same problems, no crash', async (t) => {
    const sample = cases.filter((c) => c.index % (CASES / CLI_SAMPLE) === 0);
    assert.ok(sample.length >= CLI_SAMPLE - 1, 'the in-process run produced the sample');
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < sample.length) {
        const c = sample[next++]!;
        const run = await runCli(['config', 'validate', c.file]);
        const where = `case ${c.index} [${c.ops.join(', ')}] ${c.file}`;
        // As printed: a lone surrogate quoted from the file becomes U+FFFD in UTF-8.
        const expected = [
          ...c.result.warnings.map(formatProblem),
          ...(c.result.config ? [] : c.result.errors.map(formatProblem)),
        ].map((line) => Buffer.from(line, 'utf8').toString('utf8'));
        if (run.code !== 0 && run.code !== 1) failures.push(`${where}: exit ${run.code}: ${run.stderr}`);
        else if ((run.code === 0) !== (c.result.config !== undefined))
          failures.push(`${where}: exit ${run.code} but in-process valid=${c.result.config !== undefined}`);
        else if (/^\s+at /m.test(run.stderr)) failures.push(`${where}: a stack trace: ${run.stderr}`);
        else if (!sameProblems(lines(run.stderr), expected, c.file))
          failures.push(`${where}: stderr differs:\n${run.stderr}\nexpected:\n${expected.join('\n')}`);
        else if (run.code === 0 && !run.stdout.includes(`${c.file}: valid`))
          failures.push(`${where}: exit 0 without "valid": ${run.stdout}`);
      }
    };
    await Promise.all(Array.from({ length: CLI_CONCURRENCY }, worker));
    t.diagnostic(`${sample.length} CLI runs`);
    if (failures.length > 0) failed = true;
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} CLI runs failed (${replay})`);
  });
});

/** What is wrong with a validation result, if anything: located problems, one line each, a config only if none. */
function checkProblems(result: ValidationResult, file: string, text: string): string | undefined {
  if (result.config && result.errors.length > 0) return 'a config and errors at once';
  if (!result.config && result.errors.length === 0) return 'no config and no error';
  const lineCount = text.split(/\r\n|\r|\n|\u2028|\u2029/).length + 1;
  for (const problem of [...result.errors, ...result.warnings]) {
    const printed = formatProblem(problem);
    if (/[\r\n]/.test(printed)) return `a problem printed on several lines: ${JSON.stringify(printed)}`;
    const match = PROBLEM_LINE.exec(printed);
    if (!match || match.groups!.file !== file) return `not FILE:LINE:COL: ${printed}`;
    const line = Number(match.groups!.line);
    if (line < 1 || line > lineCount || Number(match.groups!.column) < 1)
      return `line/column out of the file (${lineCount} lines): ${printed}`;
  }
  return undefined;
}

/**
 * The CLI printed the problems the in-process run found. Where the parser ran out of stack, how deep it got
 * depends on the process's stack, so there only the shape of every line is compared.
 */
function sameProblems(printed: string[], expected: string[], file: string): boolean {
  const tooDeep = (text: string) => text.includes('nested too deeply');
  if (!printed.some(tooDeep) && !expected.some(tooDeep)) return printed.join('\n') === expected.join('\n');
  return printed.length > 0 && printed.every((line) => PROBLEM_LINE.exec(line)?.groups?.file === file);
}
