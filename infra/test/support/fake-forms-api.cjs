// A stand-in for one forms-api instance, run as its own process so a test can
// SIGKILL it: it answers form reads with the headers the real API sends
// (Cache-Control public, s-maxage=60, stale-while-revalidate=300, an ETag, JSON).
// Usage: node fake-forms-api.cjs <port> <instance id>
const http = require('node:http');

const port = Number(process.argv[2]);
const instanceId = process.argv[3];
const hits = {};

function send(res, status, headers, body) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'x-upstream': instanceId,
    ...headers,
  });
  res.end(payload);
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const key = `${req.method} ${path}`;
  hits[key] = (hits[key] ?? 0) + 1;
  const requestId = req.headers['x-request-id'] ?? null;

  if (path === '/__fake/hits') return send(res, 200, { 'cache-control': 'no-store' }, hits);
  // Takes the request and dies with it: what an instance crashing mid-request looks like.
  if (path === '/api/test/drop') return req.socket.destroy();
  if (path === '/health/live' || path === '/health/ready') {
    return send(res, 200, { 'cache-control': 'no-store' }, { status: 'ok', instance: instanceId, requestId });
  }
  const form = /^\/api\/forms\/([^/]+)$/.exec(path);
  if (form && (req.method === 'GET' || req.method === 'HEAD')) {
    const etag = `"form-${form[1]}-v1"`;
    const headers = { 'cache-control': 'public, s-maxage=60, stale-while-revalidate=300', etag };
    if (req.headers['if-none-match'] === etag) return send(res, 304, headers);
    return send(res, 200, headers, { id: form[1], title: `Form ${form[1]}`, instance: instanceId, requestId });
  }
  if (/^\/api\/forms\/[^/]+\/submissions$/.test(path) && req.method === 'POST') {
    req.resume();
    return req.on('end', () => send(res, 202, { 'cache-control': 'no-store' }, { accepted: true, instance: instanceId }));
  }
  return send(res, 404, { 'cache-control': 'no-store' }, { message: `no route ${key}` });
});

server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
