import { z } from 'zod';
import { ApiError } from './api-error';

const uuid = z.uuid();

/** A path id that must be a UUID; anything else is the client's mistake (400), never a database error. */
export function parseId(value: string, what: string): string {
  if (!uuid.safeParse(value).success) {
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
