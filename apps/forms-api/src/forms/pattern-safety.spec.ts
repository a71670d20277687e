import { fieldListSchema } from './form-fields';
import { unsafePatterns } from './pattern-safety';

const withPattern = (pattern: string) => fieldListSchema.parse([{ name: 'first', type: 'text' }, { name: 'code', type: 'text', pattern }]);

describe('unsafePatterns', () => {
  it.each(['^[A-Z]{3}$', '^(\\+|00)?[0-9 ]{6,20}$', '^[a-z]+-[0-9]+-[a-z]+$', '^\\p{L}+$', '^[^@\\s]+@[^@\\s]+$'])('accepts the linear pattern %s', async (pattern) => {
    expect(await unsafePatterns(withPattern(pattern))).toEqual([]);
  });

  it.each([
    ['nested quantifiers', '^(a+)+$', /exponential/],
    ['overlapping alternation', '^(a|a)*$', /exponential/],
    ['adjacent overlapping repetitions', '^\\d*\\d*\\d*x$', /polynomial/],
    ['the naive email pattern', '^\\S+@\\S+\\.\\S+$', /polynomial/],
  ])('refuses %s (%s), naming the field', async (_name, pattern, complexity) => {
    expect(await unsafePatterns(withPattern(pattern))).toEqual([
      { field: 'fields.1.pattern', message: expect.stringMatching(complexity) },
    ]);
  });

  it('checks nothing for fields without a pattern', async () => {
    expect(await unsafePatterns(fieldListSchema.parse([{ name: 'a', type: 'text' }]))).toEqual([]);
  });
});
