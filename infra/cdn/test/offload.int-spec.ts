import { EDGE_HOST, startEdge, startStandInOrigin, type Edge, type StandInOrigin } from '../src/edge-runtime';
import { makeTrace, replayTrace, type TraceRequest } from '../src/offload-trace';

describe('offload replay', () => {
  let origin: StandInOrigin;
  let edge: Edge;
  beforeAll(async () => {
    origin = await startStandInOrigin();
    edge = await startEdge({ ORIGIN_URL: origin.url });
  });
  afterAll(async () => {
    await edge.close();
    await origin.close();
  });

  it('counts origin requests, hits and offload right on a tiny trace', async () => {
    const trace: TraceRequest[] = [
      { method: 'GET', path: '/api/forms/a' },
      { method: 'GET', path: '/api/forms/a?utm_source=x' },
      { method: 'GET', path: '/api/forms/b' },
      { method: 'POST', path: '/api/forms/a/submissions' },
      { method: 'GET', path: '/api/forms/a' },
      { method: 'GET', path: '/api/forms/b?_=1' },
      { method: 'GET', path: '/api/forms/c' },
      { method: 'GET', path: '/api/forms/a' },
    ];
    const counts = await replayTrace(trace, edge, origin, EDGE_HOST);
    // Origin: a, b, c once each, plus the submission.
    expect(counts).toEqual({ requests: 8, originRequests: 4, byStatus: { HIT: 4, MISS: 3, STALE: 0, BYPASS: 1 }, offload: 0.5, hitRate: 0.5 });
  });

  it('makes the same Zipf-skewed trace from the same seed', () => {
    const settings = { forms: 100, requests: 2_000, zipfExponent: 1, writeShare: 0.05, junkQueryShare: 0.2, seed: 7 };
    const trace = makeTrace(settings);
    expect(makeTrace(settings)).toEqual(trace);
    const reads = trace.filter((request) => request.method === 'GET');
    const top = reads.filter((request) => request.path.split('?')[0] === '/api/forms/form-0').length;
    const tail = reads.filter((request) => request.path.split('?')[0] === '/api/forms/form-99').length;
    expect(top).toBeGreaterThan(10 * Math.max(tail, 1));
    expect(trace.filter((request) => request.method === 'POST').length).toBeGreaterThan(40);
  });
});
