import { Args, Flags } from '@oclif/core';
import { checkName } from '../src/names.js';

/** A required argument naming a node, room or region: refused when empty, blank or holding control characters. */
export function nameArg(what: string, description: string) {
  return Args.string({ description, required: true, parse: async (value) => checkName(value, what) });
}

/** A flag naming a node, room or region, checked as nameArg is. */
export function nameFlag(what: string, description: string, options: { exclusive?: string[] } = {}) {
  return Flags.string({ description, ...options, parse: async (value) => checkName(value, what) });
}
