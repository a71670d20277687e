import { z } from 'zod';

/**
 * One environment variable: how to parse it, its default for the local stack,
 * and the words a person needs when it is wrong.
 */
export interface EnvVar<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  /** Raw default, as it would be written in the environment; absent = required. */
  readonly default?: string;
  /** What the variable means, shown in .env.example. */
  readonly description: string;
  /** What a valid value looks like, in words: "an integer from 1 to 65535". */
  readonly expected: string;
  /** A valid value, shown in the error line. */
  readonly example: string;
}

export function envVar<T>(spec: EnvVar<T>): EnvVar<T> {
  return spec;
}

export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const port = () => integer(1, 65535);

const urlWithProtocols = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        const url = new URL(value);
        return protocols.includes(url.protocol) && url.hostname !== '';
      } catch {
        return false;
      }
    });

export const redisUrl = () => urlWithProtocols(['redis:', 'rediss:']);
export const postgresUrl = () => urlWithProtocols(['postgres:', 'postgresql:']);
export const httpUrl = () => urlWithProtocols(['http:', 'https:']);

/** A comma-separated list; an empty string is an empty list. */
export const list = <T>(item: z.ZodType<T, string>) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .pipe(z.array(item));

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.string().trim().pipe(z.enum(values));

export const boolean = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
    .transform((value) => value === 'true' || value === '1' || value === 'yes');
