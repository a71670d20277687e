import { z } from 'zod';

/*
 * What a form asks for, as an admin defines it. Each version stores a list of
 * these; submissions are validated against the list of the published version.
 */

export const FIELD_TYPES = [
  'text',
  'textarea',
  'email',
  'number',
  'integer',
  'select',
  'multiselect',
  'checkbox',
  'date',
  'url',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Field names become JSON keys of every answer and CSV column headers: keep them plain. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const fieldDefinitionSchema = z
  .object({
    name: z.string().regex(FIELD_NAME, 'a field name is a letter then up to 63 letters, digits or _'),
    type: z.enum(FIELD_TYPES),
    label: z.string().max(500).optional(),
    required: z.boolean().default(false),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(1).optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    pattern: z
      .string()
      .max(500)
      .refine((source) => {
        try {
          new RegExp(source, 'u');
          return true;
        } catch {
          return false;
        }
      }, 'pattern must be a valid JavaScript regular expression')
      .optional(),
    options: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
  })
  .strict()
  .superRefine((field, ctx) => {
    const choice = field.type === 'select' || field.type === 'multiselect';
    if (choice && field.options === undefined) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: `a ${field.type} field needs options` });
    }
    if (!choice && field.options !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'options apply to select and multiselect fields only' });
    }
    if (field.minLength !== undefined && field.maxLength !== undefined && field.minLength > field.maxLength) {
      ctx.addIssue({ code: 'custom', path: ['minLength'], message: 'minLength is greater than maxLength' });
    }
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min is greater than max' });
    }
  });
export type FieldDefinition = z.infer<typeof fieldDefinitionSchema>;

export const fieldListSchema = z
  .array(fieldDefinitionSchema)
  .min(1, 'a form needs at least one field')
  .max(200)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((field, index) => {
      if (seen.has(field.name)) {
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `field name ${field.name} is used twice` });
      }
      seen.add(field.name);
    });
  });
