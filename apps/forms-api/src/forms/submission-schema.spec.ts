import { fieldListSchema } from './form-fields';
import { compileSubmissionSchema, fieldErrors, SubmissionSchemaCache } from './submission-schema';

const fields = fieldListSchema.parse([
  { name: 'name', type: 'text', required: true, minLength: 2, maxLength: 40 },
  { name: 'bio', type: 'textarea', maxLength: 100 },
  { name: 'email', type: 'email', required: true },
  { name: 'age', type: 'integer', min: 18, max: 120 },
  { name: 'score', type: 'number', min: 0, max: 1 },
  { name: 'plan', type: 'select', options: ['free', 'pro'], required: true },
  { name: 'tags', type: 'multiselect', options: ['a', 'b', 'c'], max: 2 },
  { name: 'agree', type: 'checkbox', required: true },
  { name: 'born', type: 'date' },
  { name: 'site', type: 'url' },
  { name: 'code', type: 'text', pattern: '^[A-Z]{3}$' },
]);
const schema = compileSubmissionSchema(fields);
const valid = { name: 'Ada', email: 'ada@example.com', plan: 'pro', agree: true };

function errorsOf(body: unknown) {
  const result = schema.safeParse(body);
  return result.success ? [] : fieldErrors(result.error, body);
}

describe('compileSubmissionSchema', () => {
  it('accepts a minimal and a full valid answer', () => {
    expect(errorsOf(valid)).toEqual([]);
    expect(
      errorsOf({ ...valid, bio: 'x', age: 30, score: 0.5, tags: ['a', 'c'], born: '2000-02-29', site: 'https://a.io', code: 'ABC' }),
    ).toEqual([]);
    expect(errorsOf({ ...valid, bio: null })).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, { field: string; message: RegExp }]>([
    ['missing required', { email: 'a@b.co', plan: 'pro', agree: true }, { field: 'name', message: /required/ }],
    ['too short', { ...valid, name: 'A' }, { field: 'name', message: /at least 2/ }],
    ['too long', { ...valid, bio: 'x'.repeat(101) }, { field: 'bio', message: /at most 100/ }],
    ['bad email', { ...valid, email: 'nope' }, { field: 'email', message: /email/ }],
    ['not integer', { ...valid, age: 30.5 }, { field: 'age', message: /whole/ }],
    ['below min', { ...valid, age: 17 }, { field: 'age', message: /at least 18/ }],
    ['above max', { ...valid, score: 2 }, { field: 'score', message: /at most 1/ }],
    ['number as string', { ...valid, score: '0.5' }, { field: 'score', message: /number/ }],
    ['unknown option', { ...valid, plan: 'gold' }, { field: 'plan', message: /one of free, pro/ }],
    ['too many options', { ...valid, tags: ['a', 'b', 'c'] }, { field: 'tags', message: /at most 2/ }],
    ['repeated option', { ...valid, tags: ['a', 'a'] }, { field: 'tags', message: /repeat/ }],
    ['unchecked consent', { ...valid, agree: false }, { field: 'agree', message: /checked/ }],
    ['impossible date', { ...valid, born: '2001-02-29' }, { field: 'born', message: /YYYY-MM-DD/ }],
    ['non-http url', { ...valid, site: 'javascript:alert(1)' }, { field: 'site', message: /URL/ }],
    ['pattern', { ...valid, code: 'abc' }, { field: 'code', message: /match/ }],
    ['unknown field', { ...valid, extra: 1 }, { field: 'extra', message: /not a field/ }],
  ])('%s', (_name, body, expected) => {
    expect(errorsOf(body)).toEqual(expect.arrayContaining([{ field: expected.field, message: expect.stringMatching(expected.message) }]));
  });

  it('lists every problem, one per field', () => {
    const errors = errorsOf({ name: 'A', email: 'x', plan: 'gold', agree: false, zzz: 1 });
    expect(errors.map((error) => error.field).sort()).toEqual(['agree', 'email', 'name', 'plan', 'zzz']);
  });

  it('refuses a non-object body', () => {
    expect(errorsOf([1])).toEqual([{ field: '(body)', message: expect.stringMatching(/JSON object/) }]);
  });
});

describe('fieldListSchema', () => {
  it.each<[string, unknown[]]>([
    ['select without options', [{ name: 'a', type: 'select' }]],
    ['options on text', [{ name: 'a', type: 'text', options: ['x'] }]],
    ['duplicate names', [{ name: 'a', type: 'text' }, { name: 'a', type: 'email' }]],
    ['bad regex', [{ name: 'a', type: 'text', pattern: '(' }]],
    ['min above max', [{ name: 'a', type: 'number', min: 3, max: 1 }]],
    ['unknown type', [{ name: 'a', type: 'color' }]],
    ['unknown rule', [{ name: 'a', type: 'text', colour: 'red' }]],
    ['bad name', [{ name: '1a', type: 'text' }]],
    ['empty list', []],
  ])('rejects %s', (_name, definition) => {
    expect(fieldListSchema.safeParse(definition).success).toBe(false);
  });
});

describe('SubmissionSchemaCache', () => {
  it('builds once per form version and evicts the oldest beyond its size', () => {
    const cache = new SubmissionSchemaCache(2);
    const first = cache.get('f', 1, fields);
    expect(cache.get('f', 1, fields)).toBe(first);
    cache.get('f', 2, fields);
    cache.get('g', 1, fields);
    expect(cache.size).toBe(2);
    expect(cache.get('f', 1, fields)).not.toBe(first);
  });
});
