import { check } from 'recheck';
import type { FieldDefinition } from './form-fields';

/**
 * How long recheck may analyse one pattern. Its automaton check of a typical
 * form pattern takes a few milliseconds; a pattern it cannot decide in 2 s is
 * refused as unproven rather than trusted.
 */
const PATTERN_CHECK_TIMEOUT_MS = 2_000;

export interface UnsafePattern {
  field: string;
  message: string;
}

/**
 * Admin-supplied `pattern` rules run against every submission: a pattern with
 * catastrophic backtracking (exponential, like `(a+)+$`, or polynomial, like
 * `\S+@\S+\.\S+$`) lets one crafted answer hold the event loop for seconds.
 * Each pattern must be proven linear by recheck, in the `u` mode it is compiled with.
 */
export async function unsafePatterns(fields: readonly FieldDefinition[]): Promise<UnsafePattern[]> {
  const problems = await Promise.all(
    fields.map(async (field, index): Promise<UnsafePattern | undefined> => {
      if (field.pattern === undefined) return undefined;
      const where = `fields.${index}.pattern`;
      const result = await check(field.pattern, 'u', { timeout: PATTERN_CHECK_TIMEOUT_MS });
      if (result.status === 'safe') return undefined;
      if (result.status === 'vulnerable') {
        const attack = result.attack.pattern;
        return {
          field: where,
          message:
            `pattern of field ${field.name} can backtrack catastrophically (${result.complexity.type} time, e.g. on ${attack}); ` +
            'rewrite it without nested or overlapping repetition, or use a field type such as email or url',
        };
      }
      return {
        field: where,
        message: `pattern of field ${field.name} could not be proven safe from catastrophic backtracking (${result.error.kind}); simplify it`,
      };
    }),
  );
  return problems.filter((problem): problem is UnsafePattern => problem !== undefined);
}
