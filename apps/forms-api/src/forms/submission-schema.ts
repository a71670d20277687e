import { z } from 'zod';
import type { FieldDefinition } from './form-fields';

/** Text answers longer than this are refused even when a field sets no maxLength. */
const DEFAULT_MAX_TEXT_LENGTH = 10_000;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function textSchema(field: FieldDefinition): z.ZodType {
  let schema = z.string({ error: 'must be a string' });
  if (field.required) schema = schema.min(1, 'is required');
  if (field.minLength !== undefined) schema = schema.min(field.minLength, `must be at least ${field.minLength} characters`);
  schema = schema.max(
    field.maxLength ?? DEFAULT_MAX_TEXT_LENGTH,
    `must be at most ${field.maxLength ?? DEFAULT_MAX_TEXT_LENGTH} characters`,
  );
  if (field.pattern !== undefined) schema = schema.regex(new RegExp(field.pattern, 'u'), `must match ${field.pattern}`);
  if (field.type === 'email') return schema.pipe(z.email({ error: 'must be an email address' }));
  if (field.type === 'url') return schema.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }));
  if (field.type === 'date') {
    return schema.refine((value) => ISO_DATE.test(value) && isRealDate(value), 'must be a date as YYYY-MM-DD');
  }
  return schema;
}

function numberSchema(field: FieldDefinition): z.ZodType {
  let schema = z.number({ error: 'must be a number' });
  if (field.type === 'integer') schema = schema.int('must be a whole number');
  if (field.min !== undefined) schema = schema.min(field.min, `must be at least ${field.min}`);
  if (field.max !== undefined) schema = schema.max(field.max, `must be at most ${field.max}`);
  return schema;
}

function fieldSchema(field: FieldDefinition): z.ZodType {
  switch (field.type) {
    case 'text':
    case 'textarea':
    case 'email':
    case 'url':
    case 'date':
      return textSchema(field);
    case 'number':
    case 'integer':
      return numberSchema(field);
    case 'checkbox':
      // A required checkbox is the "I agree" kind: it must be ticked.
      return field.required
        ? z.literal(true, { error: 'must be checked' })
        : z.boolean({ error: 'must be true or false' });
    case 'select':
      return z.enum(field.options as [string, ...string[]], { error: `must be one of ${field.options?.join(', ')}` });
    case 'multiselect': {
      let schema = z
        .array(z.enum(field.options as [string, ...string[]], { error: `each must be one of ${field.options?.join(', ')}` }), {
          error: 'must be a list of options',
        })
        .refine((values) => new Set(values).size === values.length, 'must not repeat an option');
      if (field.required) schema = schema.refine((values) => values.length > 0, 'is required');
      if (field.min !== undefined) schema = schema.refine((v) => v.length >= (field.min ?? 0), `choose at least ${field.min}`);
      if (field.max !== undefined) schema = schema.refine((v) => v.length <= (field.max ?? Infinity), `choose at most ${field.max}`);
      return schema;
    }
  }
}

/**
 * The zod schema of one form version's answers: every known field with its
 * rules, unknown keys refused (strict), optional fields may be absent or null.
 */
export function compileSubmissionSchema(fields: readonly FieldDefinition[]): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) {
    const schema = fieldSchema(field);
    shape[field.name] = field.required ? schema : schema.nullable().optional();
  }
  return z.strictObject(shape, { error: 'must be a JSON object of field names to answers' }) as z.ZodType<
    Record<string, unknown>
  >;
}

export interface FieldError {
  field: string;
  message: string;
}

/** zod issues as {field, message}, one per problem, in words a form author can show next to the field. */
export function fieldErrors(error: z.ZodError, body: unknown): FieldError[] {
  const answers = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: key, message: 'is not a field of this form' }));
    }
    if (issue.path.length === 0) return [{ field: '(body)', message: issue.message }];
    const field = String(issue.path[0]);
    const missing = issue.path.length === 1 && answers[field] === undefined;
    return [{ field, message: missing ? 'is required' : issue.message }];
  });
}

/** Built schemas by form id and version: a published version never changes, so its schema never goes stale. */
export class SubmissionSchemaCache {
  private readonly schemas = new Map<string, z.ZodType<Record<string, unknown>>>();

  // Enough for every hot form of a large deployment; each schema is a few KB.
  constructor(private readonly maxEntries = 5_000) {}

  get(formId: string, version: number, fields: readonly FieldDefinition[]): z.ZodType<Record<string, unknown>> {
    const key = `${formId}:${version}`;
    const cached = this.schemas.get(key);
    if (cached !== undefined) return cached;
    const schema = compileSubmissionSchema(fields);
    if (this.schemas.size >= this.maxEntries) {
      // Map iteration is insertion order: drop the oldest.
      const oldest = this.schemas.keys().next().value;
      if (oldest !== undefined) this.schemas.delete(oldest);
    }
    this.schemas.set(key, schema);
    return schema;
  }

  get size(): number {
    return this.schemas.size;
  }
}
