import type { Hook } from '@oclif/core';

/**
 * oclif's own "command not found" is a multi-line "›   Error:" block and ignores --json; this says it in one line
 * (JSON on stdout with --json), naming the command that takes no such argument when the words begin with one.
 */
const hook: Hook<'command_not_found'> = async (options) => {
  const words = options.id.split(':');
  const bin = options.config.bin;
  let message = `no command '${words.join(' ')}': see \`${bin} --help\``;
  for (let i = words.length - 1; i > 0; i--) {
    const command = words.slice(0, i).join(':');
    if (options.config.findCommand(command)) {
      const name = words.slice(0, i).join(' ');
      message = `${name} takes no argument '${words.slice(i).join(' ')}': see \`${bin} ${name} --help\``;
      break;
    }
  }
  if (options.argv?.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ error: { code: 'BAD_INPUT', message } }, null, 2)}\n`);
  } else {
    process.stderr.write(`error: ${message}\n`);
  }
  process.exitCode = 2;
};

export default hook;
