import { z } from 'zod';

/**
 * FORMS_API_MODE=naive runs this API the way the seed did, for the before/after
 * comparison of `npm run bench:scaling` only: forms are read from the database on
 * every request (no cache) and each submission is written in the request, before
 * the answer. Replicas are left out by the caller (DATABASE_REPLICA_URLS empty).
 * Never run it in production: it is the baseline that the real design beats.
 */
export const FORMS_API_MODES = ['scaled', 'naive'] as const;
export type FormsApiMode = (typeof FORMS_API_MODES)[number];

const modeSchema = z.enum(FORMS_API_MODES).default('scaled');

export function formsApiMode(env: NodeJS.ProcessEnv = process.env): FormsApiMode {
  const parsed = modeSchema.safeParse(env['FORMS_API_MODE'] || undefined);
  if (!parsed.success) {
    throw new Error(
      `FORMS_API_MODE must be "scaled" (the default) or "naive" (the benchmark baseline), got ${JSON.stringify(env['FORMS_API_MODE'])}`,
    );
  }
  return parsed.data;
}
