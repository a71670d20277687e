import { formatNginxErrors, summarizeNginxErrors } from './nginx-errors';

const LOG = `2026/11/27 21:05:19 [notice] 27854#27854: signal process started
2026/11/27 21:05:20 [error] 27855#27855: *12 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: _, request: "POST /api/forms/a/submissions HTTP/1.1", upstream: "http://127.0.0.1:4001/api/forms/a/submissions", host: "127.0.0.1:46143"
2026/11/27 21:05:20 [warn] 27855#27855: *13 upstream server temporarily disabled while reading response header from upstream, client: 127.0.0.1, server: _
2026/11/27 21:05:21 [error] 27855#27855: *629 no live upstreams while connecting to upstream, client: 127.0.0.1, server: _, request: "POST /api/forms/b/submissions HTTP/1.1"
2026/11/27 21:05:21 [error] 27855#27855: *630 no live upstreams while connecting to upstream, client: 127.0.0.1, server: _, request: "GET /api/forms/c HTTP/1.1"
2026/11/27 21:05:22 [error] 27855#27855: *14 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1
not a log line
`;

describe('summarizeNginxErrors', () => {
  it('groups lines by level and message, in order of first appearance, whatever the client and request', () => {
    expect(summarizeNginxErrors(LOG)).toEqual([
      { level: 'notice', message: 'signal process started', count: 1, first: '2026/11/27 21:05:19' },
      {
        level: 'error',
        message: 'upstream timed out (110: Connection timed out) while reading response header from upstream',
        count: 2,
        first: '2026/11/27 21:05:20',
      },
      { level: 'warn', message: 'upstream server temporarily disabled while reading response header from upstream', count: 1, first: '2026/11/27 21:05:20' },
      { level: 'error', message: 'no live upstreams while connecting to upstream', count: 2, first: '2026/11/27 21:05:21' },
    ]);
  });

  it('prints one line per kind with its count', () => {
    expect(formatNginxErrors(summarizeNginxErrors(LOG))[3]).toBe(
      '2 × [error] no live upstreams while connecting to upstream (first at 2026/11/27 21:05:21)',
    );
  });
});
