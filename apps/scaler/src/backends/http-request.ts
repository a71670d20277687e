import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpResponse {
  status: number;
  body: string;
}

export interface Endpoint {
  /** http(s)://host:port of the API; ignored for the host part when socketPath is set. */
  baseUrl: string;
  /** A unix socket to speak HTTP over (the Docker Engine's /var/run/docker.sock). */
  socketPath?: string;
  /** PEM of the CA that signed the server's certificate (the cluster CA). */
  ca?: string | Buffer;
  headers?: Record<string, string>;
}

// A control plane answers a scale call in well under a second; past this something is wrong, and the next sync retries.
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * One HTTP request with node:http(s): fetch cannot take a CA bundle or a unix
 * socket without undici's dispatcher, and these two APIs need both.
 */
export function sendRequest(endpoint: Endpoint, method: string, path: string, body?: { contentType: string; json: unknown }): Promise<HttpResponse> {
  const url = new URL(path, endpoint.baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body.json);
  const options: RequestOptions & { ca?: string | Buffer } = {
    method,
    path: `${url.pathname}${url.search}`,
    headers: {
      Accept: 'application/json',
      ...endpoint.headers,
      ...(payload === undefined ? {} : { 'Content-Type': body?.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
    },
    timeout: REQUEST_TIMEOUT_MS,
  };
  if (endpoint.socketPath !== undefined) {
    options.socketPath = endpoint.socketPath;
  } else {
    options.hostname = url.hostname;
    options.port = url.port;
    if (endpoint.ca !== undefined) options.ca = endpoint.ca;
  }
  const send = url.protocol === 'https:' && endpoint.socketPath === undefined ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
