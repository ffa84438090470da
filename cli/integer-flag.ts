import { Flags, type Interfaces } from '@oclif/core';
import { LkcError } from '../src/errors.js';

interface IntegerFlagOptions {
  description: string;
  min: number;
  max: number;
  char?: 'n' | 'p';
  default?: number;
}

/**
 * An integer flag whose refusal names the flag and its whole range ("--nodes must be an integer from 1 to 64, got
 * 0"): oclif's own names one bound and, once its "Parsing --flag" heading is dropped, not the flag.
 */
export function integerFlag(
  name: string,
  options: IntegerFlagOptions & { default: number },
): Interfaces.OptionFlag<number>;
export function integerFlag(
  name: string,
  options: IntegerFlagOptions,
): Interfaces.OptionFlag<number | undefined>;
export function integerFlag(name: string, { min, max, ...options }: IntegerFlagOptions) {
  return Flags.custom<number>({
    ...options,
    parse: async (text) => {
      const value = Number(text);
      if (!/^-?\d+$/.test(text.trim()) || value < min || value > max)
        throw new LkcError('BAD_INPUT', `${name} must be an integer from ${min} to ${max}, got ${text}`);
      return value;
    },
  })();
}

/** The largest value of a protobuf uint32 field (LiveKit's empty_timeout, max_participants). */
export const UINT32_MAX = 4_294_967_295;
