/*
 * The edge cache's decisions as pure functions: what may be cached, under
 * which key, for how long, and whether a stored copy is fresh, stale or dead.
 * The worker (worker.ts) only does I/O around them; these run in workerd, in
 * Node (tests, the offload replay) and anywhere else with WHATWG Headers/URL.
 */

/** Answer header naming what the edge did: HIT, MISS, STALE or BYPASS. */
export const CACHE_STATUS_HEADER = 'X-Edge-Cache';
/** Stored with an entry: when it was cached (ms since epoch), so age and staleness can be computed on a hit. */
export const CACHED_AT_HEADER = 'X-Edge-Cached-At';
/** Stored with an entry: the origin's own Cache-Control, given back to the client on a hit. */
export const ORIGIN_CACHE_CONTROL_HEADER = 'X-Edge-Origin-Cache-Control';

export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/** One year: the longest lifetime HTTP caches honour, for files whose name changes with their content. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Headers that carry a caller's identity: a request with one is personal and never served from, or stored in, the cache. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key'];
/** A client that has just written carries its consistency token and must read its write: nginx bypasses its cache for it too. */
const FRESH_READ_HEADERS = ['x-consistency-token'];

/** Statuses a shared cache may store by default (RFC 9111 §3, the heuristically cacheable ones we serve). */
const CACHEABLE_STATUSES = new Set([200, 203, 204, 300, 301, 404, 410]);
/** Origin statuses that count as a failure for stale-if-error (RFC 5861 §4). */
const ORIGIN_ERROR_STATUSES = new Set([500, 502, 503, 504]);

export interface EdgeRoute {
  /** Matched against the path. */
  pattern: RegExp;
  /** The query parameters that change the answer; every other one is dropped from the key and from the origin request. */
  query: readonly string[];
}

/**
 * Only these routes are cached at the edge; anything else is passed through.
 * A route not listed may depend on query parameters the edge knows nothing
 * about, and dropping them from the key would serve one answer for another.
 */
export const EDGE_ROUTES: readonly EdgeRoute[] = [
  // GET /api/forms/:id (forms-api FormsController): no query parameters.
  { pattern: /^\/api\/forms\/[^/]+$/, query: [] },
  // The dashboard's and the site's static files: `v` is the classic cache-busting parameter.
  { pattern: /^\/static\//, query: ['v'] },
];

export interface RequestFacts {
  method: string;
  url: string;
  headers: Headers;
}

export interface EdgeSettings {
  /** Cookie names that mean "signed in". */
  sessionCookies: readonly string[];
  /** stale-if-error used when the origin names none. */
  staleIfErrorSeconds: number;
  /** Lifetime of a /static/ file without a content hash in its name. */
  unfingerprintedAssetSeconds: number;
  routes: readonly EdgeRoute[];
}

/** Why a request must go to the origin untouched, or undefined when the cache may answer it. */
export function requestBypassReason(request: RequestFacts, settings: EdgeSettings): string | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') return `method ${request.method}`;
  for (const name of CREDENTIAL_HEADERS) if (request.headers.has(name)) return `credentials (${name})`;
  for (const name of FRESH_READ_HEADERS) if (request.headers.has(name)) return `fresh read (${name})`;
  const cookies = parseCookieNames(request.headers.get('cookie'));
  const session = settings.sessionCookies.find((name) => cookies.has(name));
  if (session !== undefined) return `session cookie (${session})`;
  if (routeOf(new URL(request.url).pathname, settings.routes) === undefined) return 'route not cached at the edge';
  return undefined;
}

function parseCookieNames(header: string | null): Set<string> {
  const names = new Set<string>();
  for (const part of (header ?? '').split(';')) {
    const name = part.split('=')[0]?.trim();
    if (name) names.add(name);
  }
  return names;
}

export function routeOf(pathname: string, routes: readonly EdgeRoute[]): EdgeRoute | undefined {
  return routes.find((route) => route.pattern.test(pathname));
}

/**
 * The cache key, which is also the URL the origin is asked for: the path plus
 * only the query parameters the route allows, sorted, so `?utm_source=x` or a
 * random cache-buster share one entry with the bare URL.
 */
export function cacheKeyUrl(url: string, routes: readonly EdgeRoute[]): string {
  const parsed = new URL(url);
  const allowed = routeOf(parsed.pathname, routes)?.query ?? [];
  const kept = [...parsed.searchParams].filter(([name]) => allowed.includes(name));
  kept.sort(([a, va], [b, vb]) => (a === b ? (va < vb ? -1 : va > vb ? 1 : 0) : a < b ? -1 : 1));
  const query = new URLSearchParams(kept).toString();
  return `${parsed.origin}${parsed.pathname}${query ? `?${query}` : ''}`;
}

/** Cache-Control directives, names lower-cased; a directive without a value maps to ''. */
export function parseCacheControl(header: string | null): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of (header ?? '').split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName?.trim().toLowerCase();
    if (!name) continue;
    directives.set(name, rest.join('=').trim().replace(/^"|"$/g, ''));
  }
  return directives;
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * name.<hash>.ext: the segment before the extension is a content hash, 8 or
 * more hex or base64url characters with at least one digit (so `app.bundle.js`
 * or `styles.original.css` are not mistaken for one).
 */
export function isFingerprinted(pathname: string): boolean {
  const parts = (pathname.split('/').pop() ?? '').split('.');
  if (parts.length < 3 || parts[0] === '') return false;
  const hash = parts[parts.length - 2] ?? '';
  return /^[A-Za-z0-9_-]{8,}$/.test(hash) && /\d/.test(hash);
}

/**
 * The Cache-Control a /static/ file is served and stored with: a year,
 * immutable, only when its name changes with its content; otherwise a short
 * lifetime, because a one-year copy of `app.js` would outlive the next deploy.
 */
export function staticAssetCacheControl(pathname: string, settings: EdgeSettings): string {
  return isFingerprinted(pathname) ? IMMUTABLE_CACHE_CONTROL : `public, max-age=${settings.unfingerprintedAssetSeconds}`;
}

export type StorePolicy =
  | { store: false; reason: string }
  | { store: true; ttlSeconds: number; staleWhileRevalidateSeconds: number; staleIfErrorSeconds: number };

export interface ResponseFacts {
  status: number;
  headers: Headers;
}

/** Whether the origin's answer may be stored, and its lifetimes, read from the origin's own headers. */
export function storePolicy(response: ResponseFacts, settings: EdgeSettings): StorePolicy {
  if (!CACHEABLE_STATUSES.has(response.status)) return { store: false, reason: `status ${response.status}` };
  if (response.headers.has('set-cookie')) return { store: false, reason: 'Set-Cookie' };
  if (response.headers.get('vary')?.includes('*')) return { store: false, reason: 'Vary: *' };
  const directives = parseCacheControl(response.headers.get('cache-control'));
  for (const forbidden of ['no-store', 'private', 'no-cache']) {
    if (directives.has(forbidden)) return { store: false, reason: `Cache-Control: ${forbidden}` };
  }
  // s-maxage is meant for shared caches like this one and wins over max-age.
  const ttlSeconds = seconds(directives.get('s-maxage')) ?? seconds(directives.get('max-age'));
  if (ttlSeconds === undefined || ttlSeconds === 0) return { store: false, reason: 'no lifetime (s-maxage / max-age)' };
  const mustRevalidate = directives.has('must-revalidate') || directives.has('proxy-revalidate');
  return {
    store: true,
    ttlSeconds,
    staleWhileRevalidateSeconds: mustRevalidate ? 0 : (seconds(directives.get('stale-while-revalidate')) ?? 0),
    staleIfErrorSeconds: mustRevalidate ? 0 : (seconds(directives.get('stale-if-error')) ?? settings.staleIfErrorSeconds),
  };
}

/** How long the cache must keep an entry: its lifetime plus the longest time it may still be served stale. */
export function retentionSeconds(policy: Extract<StorePolicy, { store: true }>): number {
  return policy.ttlSeconds + Math.max(policy.staleWhileRevalidateSeconds, policy.staleIfErrorSeconds);
}

export type Freshness = 'fresh' | 'stale-while-revalidate' | 'stale-if-error-only' | 'dead';

/** Where a stored entry stands at `nowMs`, from the time it was cached and the origin's directives stored with it. */
export function freshness(cachedAtMs: number, nowMs: number, originCacheControl: string | null, settings: EdgeSettings): Freshness {
  const policy = storePolicy({ status: 200, headers: new Headers(originCacheControl ? { 'cache-control': originCacheControl } : {}) }, settings);
  if (!policy.store) return 'dead';
  const ageSeconds = Math.max(0, nowMs - cachedAtMs) / 1000;
  if (ageSeconds < policy.ttlSeconds) return 'fresh';
  if (ageSeconds < policy.ttlSeconds + policy.staleWhileRevalidateSeconds) return 'stale-while-revalidate';
  if (ageSeconds < policy.ttlSeconds + policy.staleIfErrorSeconds) return 'stale-if-error-only';
  return 'dead';
}

/** Whether an origin answer counts as a failure that a stale copy may cover. */
export function isOriginError(status: number): boolean {
  return ORIGIN_ERROR_STATUSES.has(status);
}

/** Settings from the worker's string vars (wrangler.toml [vars]), with the defaults documented there. */
export function edgeSettingsFromVars(vars: Record<string, unknown>): EdgeSettings {
  const number = (name: string, fallback: number): number => {
    const raw = vars[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of seconds, got ${JSON.stringify(raw)}`);
    return value;
  };
  const cookies = typeof vars['SESSION_COOKIES'] === 'string' ? vars['SESSION_COOKIES'] : DEFAULT_SESSION_COOKIES;
  return {
    sessionCookies: cookies.split(',').map((name) => name.trim()).filter(Boolean),
    // Five minutes covers a bad deploy or a restart; longer would show forms that may have changed long ago.
    staleIfErrorSeconds: number('STALE_IF_ERROR_SECONDS', 300),
    // Short enough that a deploy shows within minutes, long enough to absorb a burst.
    unfingerprintedAssetSeconds: number('UNFINGERPRINTED_ASSET_SECONDS', 300),
    routes: EDGE_ROUTES,
  };
}

const DEFAULT_SESSION_COOKIES = 'session,sid,__Host-session,__Secure-session';
