import { Queue } from 'bullmq';
import { seededRandom } from '@formscale/workload';
import { SUBMISSIONS_QUEUE } from '@formscale/contracts';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import type { FormsApiConfig } from '@formscale/config';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { publishedForm, testConfig } from './testing/api-test-support';

/** Enough cases to meet every generator branch many times; a fixed seed makes a failure replayable. */
const CASES = 1_200;
const SEED = 0x5eed_f022;
const CONCURRENCY = 20;

const FIELDS = [
  { name: 'name', type: 'text', required: true, minLength: 2, maxLength: 40 },
  { name: 'email', type: 'email', required: true },
  { name: 'age', type: 'integer', min: 18, max: 120 },
  { name: 'score', type: 'number', min: 0, max: 1 },
  { name: 'plan', type: 'select', options: ['free', 'pro'] },
  { name: 'tags', type: 'multiselect', options: ['a', 'b', 'c'], max: 2 },
  { name: 'agree', type: 'checkbox', required: true },
  { name: 'born', type: 'date' },
  { name: 'site', type: 'url' },
  { name: 'code', type: 'text', pattern: '^[A-Z]{3}$' },
];
const VALID = { name: 'Ada', email: 'ada@example.com', agree: true };

const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'name.first', '$where', '0'];
const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uFEFF',
  '\uD800',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🙂👩🏽‍💻',
  'ＡＢＣ',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  '=cmd|calc',
  '../../etc/passwd',
  'NaN',
  '1e309',
  '2001-02-29',
  'javascript:alert(1)',
  'a@b',
  'x'.repeat(41),
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  ';;;',
];

class Fuzzer {
  constructor(private readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  string(): string {
    switch (this.int(5)) {
      case 0:
        return this.pick(ODD_STRINGS);
      case 1:
        // Huge: around and far beyond the submission body limit.
        return this.pick(['x', 'é', '🙂', '"\\']).repeat(1_000 + this.int(200_000));
      case 2:
        return String.fromCodePoint(...Array.from({ length: 1 + this.int(30) }, () => this.int(0x2ffff)).filter((c) => c < 0xd800 || c > 0xdfff));
      default:
        return this.random().toString(36).slice(2, 2 + this.int(20));
    }
  }

  value(depth: number): unknown {
    const kinds = depth > 4 ? 6 : 8;
    switch (this.int(kinds)) {
      case 0:
        return null;
      case 1:
        return this.random() < 0.5;
      case 2:
        return this.pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 18, 120, 0.5, -0]);
      case 3:
      case 4:
      case 5:
        return this.string();
      case 6:
        return Array.from({ length: this.int(6) }, () => this.value(depth + 1));
      default:
        return this.object(depth + 1);
    }
  }

  object(depth: number): Record<string, unknown> {
    const entries: Array<[string, unknown]> = [];
    for (let i = this.int(6); i > 0; i--) {
      const key = this.random() < 0.4 ? this.pick(ODD_KEYS) : this.random() < 0.5 ? this.pick(FIELDS).name : this.string().slice(0, 80);
      entries.push([key, this.value(depth)]);
    }
    return Object.fromEntries(entries);
  }

  /** The body text: JSON of a random value, a valid answer with one field changed, or not JSON at all. */
  body(): string {
    switch (this.int(6)) {
      case 0:
        return JSON.stringify(this.value(0)) ?? 'null';
      case 1:
      case 2: {
        // Raw text keeps "__proto__" an own key, as an attacker would send it.
        const [key, value] = [this.random() < 0.3 ? this.pick(ODD_KEYS) : this.pick(FIELDS).name, this.value(1)];
        return `{${Object.entries(VALID).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')},${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`;
      }
      case 3:
        return `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"name":"Ada","email":"a@b.co","agree":true}`;
      case 4:
        return this.pick(['', '{', '}', '[', '{"a":', 'undefined', 'NaN', "{'a':1}", '\u0000', '{"a":1}{"b":2}', '[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]']);
      default:
        // Deep nesting: tens of thousands of levels.
        return '['.repeat(1 + this.int(20_000)) + ']'.repeat(this.int(2) === 0 ? 0 : 1 + this.int(20_000));
    }
  }

  headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.random() < 0.9) headers['content-type'] = this.random() < 0.7 ? 'application/json' : this.pick(CONTENT_TYPES);
    if (this.random() < 0.5) {
      headers['idempotency-key'] = this.pick([
        '',
        ' ',
        'k'.repeat(255),
        'k'.repeat(256),
        'caf\u00e9',
        '\u00ff\u00fe',
        'a\tb',
        '__proto__',
        `fuzz-${this.int(40)}`,
        String(this.random()),
      ]);
    }
    if (this.random() < 0.1) headers['x-consistency-token'] = this.pick(['', 'zz', '0/0', 'FFFFFFFF/FFFFFFFF', '1/2/3', 'x'.repeat(500)]);
    if (this.random() < 0.1) headers['content-encoding'] = this.pick(['gzip', 'br', 'identity', 'bogus']);
    if (this.random() < 0.1) headers['x-forwarded-for'] = this.pick(['1.2.3.4', 'not-an-ip', '::1, 10.0.0.1']);
    return headers;
  }
}

describe('submit endpoint under random input (seeded fuzz)', () => {
  let db: TestDatabase;
  let config: FormsApiConfig;
  let api: RunningFormsApi;
  let formId: string;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'forms-api-fuzz' });
    // A limit far above the case count, so every request reaches validation instead of 429.
    config = testConfig(db, { RATE_LIMIT_SUBMISSIONS: '1000000' });
    api = await startFormsApi(config);
    formId = await publishedForm(api.url, 'fuzz', FIELDS);
  }, 60_000);

  afterAll(async () => {
    const queue = new Queue(SUBMISSIONS_QUEUE, { connection: { host: '127.0.0.1', port: 6379 }, prefix: config.queuePrefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await api?.close();
    await db?.drop();
  });

  it(`answers ${CASES} random bodies and headers without a 5xx`, async () => {
    const fuzzer = new Fuzzer(seededRandom(SEED));
    const cases = Array.from({ length: CASES }, (_, index) => ({ index, body: fuzzer.body(), headers: fuzzer.headers() }));
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let item = cases[next++]; item !== undefined; item = cases[next++]) {
        const response = await fetch(`${api.url}/api/forms/${formId}/submissions`, { method: 'POST', headers: item.headers, body: item.body });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500) serverErrors.push(`case ${item.index}: ${response.status} ${text.slice(0, 200)}`);
        else if (response.status !== 202) {
          // Every refusal is an error body a client can show.
          expect(JSON.parse(text)).toMatchObject({ statusCode: response.status, message: expect.any(String) });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(serverErrors).toEqual([]);
    // The fuzz reached both outcomes: some accepted, most refused for several reasons.
    expect(statuses.get(202)).toBeGreaterThan(10);
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect(statuses.get(413)).toBeGreaterThan(10);
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    // The API runs in this process: a polluted prototype would show here.
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  }, 120_000);
});
