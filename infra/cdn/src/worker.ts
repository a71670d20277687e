/*
 * formscale's edge worker (Cloudflare Workers, module syntax). It sits in
 * front of the origin (nginx / the ingress before forms-api) and answers form
 * reads and static files from the data centre's cache (caches.default) by the
 * rules in cache-rules.ts; everything else goes through untouched.
 */
import {
  CACHE_STATUS_HEADER,
  CACHED_AT_HEADER,
  ORIGIN_CACHE_CONTROL_HEADER,
  cacheKeyUrl,
  edgeSettingsFromVars,
  freshness,
  isOriginError,
  parseCacheControl,
  requestBypassReason,
  retentionSeconds,
  staticAssetCacheControl,
  storePolicy,
  type CacheStatus,
  type EdgeSettings,
} from './cache-rules';

export interface Env {
  /** Base URL of the origin, e.g. https://origin.forms.example.com */
  ORIGIN_URL: string;
  STALE_IF_ERROR_SECONDS?: string;
  UNFINGERPRINTED_ASSET_SECONDS?: string;
  SESSION_COOKIES?: string;
}

/** The parts of the Workers runtime this worker uses (kept here so the code needs no runtime type package). */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}
interface EdgeCache {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
}

const REQUEST_ID_HEADER = 'x-request-id';
/** Headers only the edge uses; never shown to a client. */
const INTERNAL_HEADERS = [CACHED_AT_HEADER, ORIGIN_CACHE_CONTROL_HEADER, 'cache-tag'];
/** A cache fill asks for the whole answer: a 304 from the origin could not be stored. */
const CONDITIONAL_HEADERS = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'range'];

/** Keys being refreshed by this isolate: one background refresh per key at a time, however many stale hits arrive. */
const refreshing = new Set<string>();

function edgeCache(): EdgeCache {
  return (globalThis as unknown as { caches: { default: EdgeCache } }).caches.default;
}

function log(event: Record<string, unknown>): void {
  console.log(JSON.stringify(event));
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return handle(request, env, ctx, edgeSettingsFromVars(env as unknown as Record<string, unknown>));
  },
};

async function handle(request: Request, env: Env, ctx: ExecutionContext, settings: EdgeSettings): Promise<Response> {
  const requestId = request.headers.get(REQUEST_ID_HEADER) ?? crypto.randomUUID();
  const bypass = requestBypassReason(request, settings);
  if (bypass !== undefined) {
    const response = await fetchOrigin(env, request, request.url, requestId, { passThrough: true }).catch(() => undefined);
    if (response === undefined) return originUnreachable(requestId);
    return answer(response, 'BYPASS', requestId, request.method);
  }

  const keyUrl = cacheKeyUrl(request.url, settings.routes);
  const key = new Request(keyUrl, { method: 'GET' });
  const cache = edgeCache();
  const stored = await cache.match(key);
  const now = Date.now();
  if (stored !== undefined) {
    const state = freshness(Number(stored.headers.get(CACHED_AT_HEADER)), now, stored.headers.get(ORIGIN_CACHE_CONTROL_HEADER), settings);
    if (state === 'fresh') return fromCache(stored, 'HIT', request, requestId, now);
    if (state === 'stale-while-revalidate') {
      refreshInBackground(env, ctx, cache, key, request, requestId, settings);
      return fromCache(stored, 'STALE', request, requestId, now);
    }
    if (state === 'stale-if-error-only') {
      const response = await fetchOrigin(env, request, keyUrl, requestId, { passThrough: false }).catch(() => undefined);
      if (response === undefined || isOriginError(response.status)) {
        log({ msg: 'origin failed, serving stale', key: keyUrl, status: response?.status ?? 'unreachable', requestId });
        return fromCache(stored, 'STALE', request, requestId, now);
      }
      return storeAndAnswer(response, ctx, cache, key, request, requestId, settings);
    }
  }

  const response = await fetchOrigin(env, request, keyUrl, requestId, { passThrough: false }).catch(() => undefined);
  if (response === undefined) return originUnreachable(requestId);
  return storeAndAnswer(response, ctx, cache, key, request, requestId, settings);
}

/**
 * The origin request: for a cacheable read, the normalised key URL (the origin
 * never sees a parameter the key ignores) without conditional headers; for a
 * bypass, the client's request as it came.
 */
async function fetchOrigin(env: Env, request: Request, url: string, requestId: string, options: { passThrough: boolean }): Promise<Response> {
  const incoming = new URL(url);
  const target = new URL(`${incoming.pathname}${incoming.search}`, env.ORIGIN_URL);
  const headers = new Headers(request.headers);
  headers.set(REQUEST_ID_HEADER, requestId);
  headers.set('x-forwarded-host', incoming.host);
  if (!options.passThrough) for (const name of CONDITIONAL_HEADERS) headers.delete(name);
  const method = options.passThrough ? request.method : 'GET';
  const body = options.passThrough && method !== 'GET' && method !== 'HEAD' ? await request.arrayBuffer() : undefined;
  return fetch(target.toString(), { method, headers, body, redirect: 'manual' });
}

/** The Cache-Control the edge applies: the origin's, except for /static/ files, whose lifetime follows their name. */
function effectiveCacheControl(response: Response, url: string, settings: EdgeSettings): string | null {
  const origin = response.headers.get('cache-control');
  const directives = parseCacheControl(origin);
  const pathname = new URL(url).pathname;
  if (pathname.startsWith('/static/') && response.ok && !directives.has('no-store') && !directives.has('private')) {
    return staticAssetCacheControl(pathname, settings);
  }
  return origin;
}

async function storeAndAnswer(
  response: Response,
  ctx: ExecutionContext,
  cache: EdgeCache,
  key: Request,
  request: Request,
  requestId: string,
  settings: EdgeSettings,
): Promise<Response> {
  const cacheControl = effectiveCacheControl(response, key.url, settings);
  const headers = new Headers(response.headers);
  if (cacheControl !== null) headers.set('cache-control', cacheControl);
  const origin = new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  const policy = storePolicy(origin, settings);
  if (!policy.store) return answer(origin, 'BYPASS', requestId, request.method);
  ctx.waitUntil(cache.put(key, toStored(origin.clone(), retentionSeconds(policy))));
  return answer(origin, 'MISS', requestId, request.method);
}

/**
 * The copy kept in the cache: the origin's headers plus the time it was cached
 * and the origin's Cache-Control, with a storage lifetime long enough for the
 * stale windows; the per-request id is not kept.
 */
function toStored(response: Response, retention: number): Response {
  const headers = new Headers(response.headers);
  headers.set(CACHED_AT_HEADER, String(Date.now()));
  headers.set(ORIGIN_CACHE_CONTROL_HEADER, response.headers.get('cache-control') ?? '');
  headers.set('cache-control', `public, max-age=${retention}`);
  headers.delete(REQUEST_ID_HEADER);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function refreshInBackground(
  env: Env,
  ctx: ExecutionContext,
  cache: EdgeCache,
  key: Request,
  request: Request,
  requestId: string,
  settings: EdgeSettings,
): void {
  if (refreshing.has(key.url)) return;
  refreshing.add(key.url);
  const refresh = fetchOrigin(env, request, key.url, requestId, { passThrough: false })
    .then(async (response) => {
      const cacheControl = effectiveCacheControl(response, key.url, settings);
      const headers = new Headers(response.headers);
      if (cacheControl !== null) headers.set('cache-control', cacheControl);
      const fresh = new Response(response.body, { status: response.status, headers });
      const policy = storePolicy(fresh, settings);
      // A failed or uncacheable refresh keeps the stale copy: it is still the best answer the edge has.
      if (!policy.store) {
        log({ msg: 'background refresh not stored', key: key.url, status: response.status, requestId });
        await fresh.body?.cancel();
        return;
      }
      await cache.put(key, toStored(fresh, retentionSeconds(policy)));
    })
    .catch((error: unknown) => log({ msg: 'background refresh failed', key: key.url, error: String(error), requestId }))
    .finally(() => refreshing.delete(key.url));
  ctx.waitUntil(refresh);
}

function fromCache(stored: Response, status: CacheStatus, request: Request, requestId: string, now: number): Response {
  const headers = new Headers(stored.headers);
  headers.set('cache-control', stored.headers.get(ORIGIN_CACHE_CONTROL_HEADER) ?? '');
  headers.set('age', String(Math.floor(Math.max(0, now - Number(stored.headers.get(CACHED_AT_HEADER))) / 1000)));
  const etag = stored.headers.get('etag');
  const ifNoneMatch = request.headers.get('if-none-match');
  if (etag !== null && ifNoneMatch !== null && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
    return answer(new Response(null, { status: 304, headers }), status, requestId, 'HEAD');
  }
  return answer(new Response(stored.body, { status: stored.status, statusText: stored.statusText, headers }), status, requestId, request.method);
}

function answer(response: Response, status: CacheStatus, requestId: string, method: string): Response {
  const headers = new Headers(response.headers);
  for (const name of INTERNAL_HEADERS) headers.delete(name);
  headers.set(CACHE_STATUS_HEADER, status);
  headers.set(REQUEST_ID_HEADER, requestId);
  const body = method === 'HEAD' ? null : response.body;
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

function originUnreachable(requestId: string): Response {
  return new Response(JSON.stringify({ error: 'The origin could not be reached and the edge holds no copy of this page; try again shortly.' }), {
    status: 502,
    headers: { 'content-type': 'application/json; charset=utf-8', [CACHE_STATUS_HEADER]: 'MISS', [REQUEST_ID_HEADER]: requestId },
  });
}
