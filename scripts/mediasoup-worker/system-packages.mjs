// What the worker build needs from the system (Debian/Ubuntu names), and the one
// apt-get line that supplies whatever is missing.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Commands the build runs, with the apt package that ships each. */
export const REQUIRED_COMMANDS = [
  { command: 'pkg-config', apt: 'pkg-config' },
  { command: 'meson', apt: 'meson' },
  { command: 'ninja', apt: 'ninja-build' },
  { command: 'flatc', apt: 'flatbuffers-compiler' },
  { command: 'cc', apt: 'gcc' },
  { command: 'g++', apt: 'g++' },
  { command: 'strip', apt: 'binutils' },
  // Debian's libsrtp2 source package: fetched with apt-get source, unpacked with dpkg-source.
  { command: 'apt-get', apt: 'apt' },
  { command: 'dpkg-source', apt: 'dpkg-dev' },
];

/** pkg-config modules the stand-in subprojects wrap, with the apt package that ships each. */
export const REQUIRED_MODULES = [
  { module: 'openssl', minVersion: '3.0', apt: 'libssl-dev' },
  { module: 'libuv', apt: 'libuv1-dev' },
  { module: 'usrsctp', apt: 'libusrsctp-dev' },
  { module: 'absl_flat_hash_map', apt: 'libabsl-dev' },
  { module: 'absl_flat_hash_set', apt: 'libabsl-dev' },
  { module: 'absl_btree', apt: 'libabsl-dev' },
  { module: 'absl_inlined_vector', apt: 'libabsl-dev' },
  { module: 'absl_strings', apt: 'libabsl-dev' },
  { module: 'absl_optional', apt: 'libabsl-dev' },
  { module: 'absl_variant', apt: 'libabsl-dev' },
  { module: 'flatbuffers', apt: 'libflatbuffers-dev' },
];

/** Every apt package the build needs: the prerequisites line of the README. */
export const ALL_APT_PACKAGES = unique([...REQUIRED_COMMANDS, ...REQUIRED_MODULES].map((r) => r.apt));

// mediasoup 3.19.3 asks for meson >= 1.1; the install relaxes that to 1.0
// (Debian 12 ships 1.0.1), and older ones cannot parse its meson.build.
const MIN_MESON = [1, 0, 0];

function unique(items) {
  return [...new Set(items)];
}

function findOnPath(command, env) {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function mesonTooOld(mesonPath, env) {
  const result = spawnSync(mesonPath, ['--version'], { env, encoding: 'utf8' });
  const found = (result.stdout ?? '').trim();
  const parts = found.split('.').map((p) => Number.parseInt(p, 10));
  if (parts.length < 2 || parts.some(Number.isNaN)) return `meson (version unreadable: "${found}")`;
  for (let i = 0; i < MIN_MESON.length; i++) {
    const have = parts[i] ?? 0;
    if (have > MIN_MESON[i]) return undefined;
    if (have < MIN_MESON[i]) return `meson >= ${MIN_MESON.join('.')} (found ${found})`;
  }
  return undefined;
}

/**
 * Lists what the build lacks on this machine: each entry names the missing command or pkg-config module
 * (`kind`) and the apt package that provides it. Empty when everything is there.
 */
export function missingSystemPackages(env = process.env) {
  const missing = [];
  for (const { command, apt } of REQUIRED_COMMANDS) {
    const found = findOnPath(command, env);
    if (!found) {
      missing.push({ what: command, apt, kind: 'command' });
    } else if (command === 'meson') {
      const tooOld = mesonTooOld(found, env);
      if (tooOld) missing.push({ what: tooOld, apt, kind: 'command' });
    }
  }
  const pkgConfig = findOnPath('pkg-config', env);
  for (const { module, minVersion, apt } of REQUIRED_MODULES) {
    const spec = minVersion ? `${module} >= ${minVersion}` : module;
    // Without pkg-config nothing can be checked: name every library, apt skips the installed ones.
    const present = pkgConfig && spawnSync(pkgConfig, ['--exists', spec], { env }).status === 0;
    if (!present) missing.push({ what: spec, apt, kind: 'module' });
  }
  return missing;
}

/** Says what is missing in a few words: "meson, ninja; pkg-config modules libuv, usrsctp". */
export function describeMissing(missing) {
  const commands = missing.filter((m) => m.kind === 'command').map((m) => m.what);
  const modules = missing.filter((m) => m.kind === 'module').map((m) => m.what);
  const parts = [];
  if (commands.length > 0) parts.push(commands.join(', '));
  if (modules.length > 0)
    parts.push(`pkg-config module${modules.length > 1 ? 's' : ''} ${modules.join(', ')}`);
  return parts.join('; ');
}

/** The exact install command for the given apt packages (with sudo unless already root). */
export function aptInstallCommand(packages) {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return `${sudo}apt-get install -y ${unique(packages).join(' ')}`;
}
