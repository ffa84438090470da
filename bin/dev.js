#!/usr/bin/env node
// Development entry: same as run.js but tells oclif to ignore the manifest, so a freshly compiled command shows up.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
