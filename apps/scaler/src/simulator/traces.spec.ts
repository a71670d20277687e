import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_TRACES, loadTrace, parseTraceText, TraceCursor, traceDuration } from './traces';

describe('traces', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scaler-traces-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('the ramp goes from 100 to 10,000 users at 0.5 req/s per user', () => {
    const ramp = loadTrace('ramp');
    const rps = ramp.points.map((point) => point.rps);
    expect(Math.min(...rps)).toBe(50);
    expect(Math.max(...rps)).toBe(5000);
  });

  it.each(Object.keys(BUILT_IN_TRACES))('built-in trace %s starts at 0 and increases in time', (name) => {
    const trace = loadTrace(name);
    expect(trace.points[0].t).toBe(0);
    trace.points.slice(1).forEach((point, index) => expect(point.t).toBeGreaterThan(trace.points[index].t));
  });

  it('interpolates linearly between points and holds the last value', () => {
    const cursor = new TraceCursor([
      { t: 0, rps: 100 },
      { t: 10, rps: 200 },
      { t: 20, rps: 0 },
    ]);
    expect([0, 5, 10, 15, 20, 25].map((t) => cursor.rpsAt(t))).toEqual([100, 150, 200, 100, 0, 0]);
  });

  it('reads CSV with a header and comments, and JSON in both shapes', () => {
    const csv = parseTraceText('t,rps\n# warm-up\n0,10\n\n30,20\n', 'a.csv', 'csv', 'a');
    expect(csv.points).toEqual([
      { t: 0, rps: 10 },
      { t: 30, rps: 20 },
    ]);
    const object = parseTraceText('{"name":"launch","points":[{"t":0,"rps":1},{"t":9,"rps":2}]}', 'b.json', 'json', 'b');
    expect(object.name).toBe('launch');
    expect(traceDuration(object)).toBe(9);
    const array = parseTraceText('[{"t":0,"rps":1},{"t":9,"rps":2}]', 'c.json', 'json', 'c');
    expect(array.name).toBe('c');
  });

  it('loads a file by path and names the trace after it', () => {
    const path = join(dir, 'my-day.csv');
    writeFileSync(path, '0,10\n60,20\n');
    expect(loadTrace(path)).toMatchObject({ name: 'my-day', points: [{ t: 0, rps: 10 }, { t: 60, rps: 20 }] });
  });

  it.each`
    case                           | text                                       | format    | message
    ${'a bad CSV line'}            | ${'0,10\n30,lots\n'}                       | ${'csv'}  | ${'x.csv:2: expected "seconds,rps"'}
    ${'a CSV line with 3 fields'}  | ${'0,10,1\n30,20\n'}                       | ${'csv'}  | ${'x.csv:1: expected "seconds,rps"'}
    ${'times going back'}          | ${'0,10\n30,20\n20,5\n'}                   | ${'csv'}  | ${'point 3 (t=20) is not after t=30'}
    ${'a first point after 0'}     | ${'5,10\n30,20\n'}                         | ${'csv'}  | ${'the first point must be at t=0'}
    ${'a single point'}            | ${'0,10\n'}                                | ${'csv'}  | ${'at least 2 points'}
    ${'broken JSON'}               | ${'{"points": ['}                          | ${'json'} | ${'not valid JSON'}
    ${'a negative rate in JSON'}   | ${'[{"t":0,"rps":-1},{"t":1,"rps":1}]'}    | ${'json'} | ${'expected {"points"'}
  `('rejects $case', ({ text, format, message }) => {
    expect(() => parseTraceText(text, `x.${format}`, format, 'x')).toThrow(message);
  });

  it('an unknown name lists the built-in traces', () => {
    expect(() => loadTrace('rampp')).toThrow('unknown trace "rampp": use a built-in trace (ramp, spike, daily) or a .json or .csv file');
  });

  it('a missing file says so', () => {
    expect(() => loadTrace(join(dir, 'nope.json'))).toThrow('does not exist');
  });
});
