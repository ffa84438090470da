import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { checkConfigFile, resolveConfigPath } from '../../src/config/load.js';
import { type ConfigProblem, formatProblem } from '../../src/config/problem.js';
import { summarizeConfig } from '../../src/config/summary.js';
import { isLkcError, LkcError } from '../../src/errors.js';

const problemJson = ({ file, line, column, path, message }: ConfigProblem) => ({
  file,
  line,
  column,
  path,
  message,
});

export default class ConfigValidate extends BaseCommand<typeof ConfigValidate> {
  static override description =
    'Check a config file: YAML syntax, the schema, and the rules between keys; print every problem as FILE:LINE:COL';

  static override examples = [
    { command: '<%= config.bin %> config validate lk-cluster.yaml', description: 'check a file' },
    { command: '<%= config.bin %> config validate --json', description: 'check ./lk-cluster.yaml, as JSON' },
  ];

  static override args = {
    file: Args.string({
      description: 'config file (default: --config, $LKC_CONFIG, else ./lk-cluster.yaml)',
    }),
  };

  public async run(): Promise<unknown> {
    const file = this.args.file ?? resolveConfigPath(this.flags.config);
    if (!file) {
      throw new LkcError(
        'CONFIG_NOT_FOUND',
        'no config file to validate: pass FILE or --config, set LKC_CONFIG, or create ./lk-cluster.yaml with: lk-cluster config init',
      );
    }
    let result: Awaited<ReturnType<typeof checkConfigFile>>;
    try {
      result = await checkConfigFile(file);
    } catch (err) {
      // A file that cannot be read is one more invalid config: --json keeps the report's shape for it.
      if (!this.jsonEnabled() || !isLkcError(err) || err.code !== 'CONFIG_NOT_FOUND') throw err;
      const message = err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message;
      this.logJson({
        valid: false,
        file,
        errors: [{ file, line: 0, column: 0, path: '', message }],
        warnings: [],
      });
      return this.exit(1);
    }
    const valid = result.config !== undefined;
    if (this.jsonEnabled()) {
      const report = {
        valid,
        file,
        errors: result.errors.map(problemJson),
        warnings: result.warnings.map(problemJson),
      };
      if (valid) return report;
      this.logJson(report);
      return this.exit(1);
    }
    const problems = [...result.warnings, ...(result.config ? [] : result.errors)];
    // Written in one piece and waited for: exiting right after would cut a long report short on a pipe.
    if (problems.length > 0) await writeStderr(problems.map((p) => `${formatProblem(p)}\n`).join(''));
    if (!result.config) return this.exit(1);
    this.log(`${file}: valid (${summarizeConfig(result.config)})`);
    return undefined;
  }
}

function writeStderr(text: string): Promise<void> {
  return new Promise((resolve) => process.stderr.write(text, () => resolve()));
}
