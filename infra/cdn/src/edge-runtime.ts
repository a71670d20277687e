/*
 * Runs the edge worker for real, in workerd through Miniflare, in front of an
 * origin: used by the tests and by the offload replay. Node side only.
 */
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** The Cache-Control forms-api sends on GET /api/forms/:id (apps/forms-api/src/forms/forms.controller.ts). */
export const FORMS_API_CACHE_CONTROL = 'public, s-maxage=60, stale-while-revalidate=300';

export async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, 'worker.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no bundle for the edge worker');
  return output.text;
}

export interface EdgeVars {
  ORIGIN_URL: string;
  STALE_IF_ERROR_SECONDS?: string;
  UNFINGERPRINTED_ASSET_SECONDS?: string;
  SESSION_COOKIES?: string;
}

export interface Edge {
  fetch(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<EdgeAnswer>;
  /** Whether the edge cache holds an entry under this URL (the normalised key). */
  holds(url: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface EdgeAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** The host the edge is addressed as; the key URLs carry it. */
export const EDGE_HOST = 'https://forms.example.test';

export async function startEdge(vars: EdgeVars): Promise<Edge> {
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: '2026-04-01',
    bindings: { ...vars },
  });
  await mf.ready;
  return {
    async fetch(path, init = {}) {
      const response = await mf.dispatchFetch(`${EDGE_HOST}${path}`, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
      return { status: response.status, headers: new Headers([...response.headers.entries()]), body: await response.text() };
    },
    async holds(url) {
      // Miniflare's declared types for getCaches() do not resolve under this TypeScript; this is the part used.
      const caches = (await mf.getCaches()) as unknown as { default: { match(key: string): Promise<{ text(): Promise<string> } | undefined> } };
      const found = await caches.default.match(url);
      if (found === undefined) return false;
      await found.text();
      return true;
    },
    close: () => mf.dispose(),
  };
}

export interface OriginRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface StandInOrigin {
  url: string;
  requests: OriginRequest[];
  /** Answer paths starting with `prefix` with these headers instead of the forms API's. */
  override(prefix: string, answer: { status?: number; headers: Record<string, string> }): void;
  /** Hold every answer until the returned function is called (to keep a background refresh in flight). */
  hold(): () => void;
  close(): Promise<void>;
}

/**
 * A small Node HTTP server that answers GET /api/forms/:id exactly as forms-api
 * does (JSON body, ETag, Cache-Control public, s-maxage=60,
 * stale-while-revalidate=300, Cache-Tag form-<id>), /static/* with the seed's
 * Next.js header, and everything else with 202 (submissions). Each answer
 * carries a counter so a test can tell a cached copy from a fresh one.
 */
export async function startStandInOrigin(options: { cacheControl?: string } = {}): Promise<StandInOrigin> {
  const requests: OriginRequest[] = [];
  const overrides: Array<{ prefix: string; status?: number; headers: Record<string, string> }> = [];
  let gate: Promise<void> | undefined;
  let served = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const current = gate ?? Promise.resolve();
    req.resume();
    void current.then(() => {
      served += 1;
      const path = new URL(req.url ?? '/', 'http://origin').pathname;
      const override = overrides.find((entry) => path.startsWith(entry.prefix));
      const form = /^\/api\/forms\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && form !== null) {
        const etag = `"v${served}"`;
        res.writeHead(override?.status ?? 200, {
          'content-type': 'application/json; charset=utf-8',
          etag,
          'cache-control': options.cacheControl ?? FORMS_API_CACHE_CONTROL,
          'cache-tag': `form-${form[1]}`,
          ...override?.headers,
        });
        res.end(JSON.stringify({ id: form[1], served }));
        return;
      }
      if (req.method === 'GET' && path.startsWith('/static/')) {
        res.writeHead(override?.status ?? 200, { 'content-type': 'text/javascript', 'cache-control': 'public, max-age=31536000, immutable', ...override?.headers });
        res.end(`/* ${path} #${served} */`);
        return;
      }
      res.writeHead(override?.status ?? 202, { 'content-type': 'application/json; charset=utf-8', ...override?.headers });
      res.end(JSON.stringify({ served }));
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    override(prefix, answer) {
      overrides.unshift({ prefix, ...answer });
    },
    hold() {
      let release = (): void => undefined;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
