import { z } from 'zod';
import { ApiError } from './api-error';

// What z.uuid() accepts (RFC 9562 versions 1-8, nil, max), as a plain test: this runs on
// every public request, where a safeParse would allocate a result object per call.
const UUID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/i;

/** A path id that must be a UUID; anything else is the client's mistake (400), never a database error. */
export function parseId(value: string, what: string): string {
  if (!UUID.test(value)) {
    throw new ApiError(400, `The ${what} ${JSON.stringify(value.slice(0, 64))} is not a UUID; use the id the API returned.`);
  }
  return value.toLowerCase();
}

/** Parses a body or query with a zod schema; 400 listing {field, message} per problem. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    field: issue.path.length === 0 ? '(body)' : issue.path.join('.'),
    message: issue.message,
  }));
  throw new ApiError(400, `The ${what} is not valid; fix the fields listed in details.`, details);
}
