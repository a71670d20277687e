import { JOB_ID_PATTERNS, submissionJobSchema, SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE, webhookJobId } from './queues';

const valid = {
  submissionId: '0b9f6f5e-3c1a-4f7e-9a57-4a3c2f1e8d21',
  formId: '7d3c5a10-2b8e-4c4f-8f0e-1a2b3c4d5e6f',
  formVersion: 1,
  data: { email: 'a@example.com' },
  idempotencyKey: null,
  receivedAt: '2026-11-27T12:00:00.000Z',
  client: { ip: '127.0.0.1', userAgent: null, requestId: 'r-1' },
};

describe('submissionJobSchema', () => {
  it('accepts a well-formed job', () => {
    expect(submissionJobSchema.parse(valid)).toEqual(valid);
  });

  it.each([
    ['a submission id that is not a UUID', { submissionId: 'abc' }],
    ['a version of zero', { formVersion: 0 }],
    ['data that is an array', { data: [] }],
    ['an empty idempotency key', { idempotencyKey: '' }],
    ['a receivedAt that is not ISO 8601', { receivedAt: 'yesterday' }],
  ])('rejects %s', (_label, change) => {
    expect(submissionJobSchema.safeParse({ ...valid, ...change }).success).toBe(false);
  });
});

describe('job ids', () => {
  const submissionId = '0b9f6f5e-3c1a-4f7e-9a57-4a3c2f1e8d21';
  const endpointId = '7d3c5a10-2b8e-4c4f-8f0e-1a2b3c4d5e6f';

  it('makes webhook job ids that match their queue\'s pattern, and only that one', () => {
    const id = webhookJobId({ submissionId, endpointId });
    expect(id).toBe(`${submissionId}_${endpointId}`);
    expect(JOB_ID_PATTERNS[WEBHOOKS_QUEUE].test(id)).toBe(true);
    expect(JOB_ID_PATTERNS[SUBMISSIONS_QUEUE].test(id)).toBe(false);
    expect(JOB_ID_PATTERNS[SUBMISSIONS_QUEUE].test(submissionId)).toBe(true);
  });

  it.each(['', 'abc', `${submissionId}:x`, `${submissionId}_`, `../${submissionId}`])('rejects %j in both queues', (id) => {
    expect(JOB_ID_PATTERNS[SUBMISSIONS_QUEUE].test(id)).toBe(false);
    expect(JOB_ID_PATTERNS[WEBHOOKS_QUEUE].test(id)).toBe(false);
  });
});
