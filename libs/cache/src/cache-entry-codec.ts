/**
 * How an entry is stored in Redis: one JSON object holding the value and what every
 * instance needs to treat it the same way (absolute stale and expiry times, tags,
 * "not found"). Dates are listed by path beside the value, so a Date comes back as a
 * Date and a string that merely looks like one stays a string.
 *
 *   {"s":<staleAt ms>,"e":<expiresAt ms>,"t":["tag"],"d":[["createdAt"]],"v":<value>}
 *   {"s":...,"e":...,"n":1}                       (negative entry: "not found")
 */
export interface CacheEnvelope {
  /** `undefined` for a negative entry. */
  readonly value: unknown;
  /** Past this time (ms since epoch) the value is stale: served only within its grace. */
  readonly staleAt: number;
  /** Past this time the entry is gone (end of grace; Redis' own expiry). */
  readonly expiresAt: number;
  readonly tags: readonly string[] | undefined;
}

type PathStep = string | number;

interface WireEnvelope {
  s?: unknown;
  e?: unknown;
  t?: unknown;
  d?: unknown;
  n?: unknown;
  v?: unknown;
}

/** `null` and `undefined` mean "not found" and are stored as a negative entry. */
export function isNotFound(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

export function encodeEnvelope(
  value: unknown,
  staleAt: number,
  expiresAt: number,
  tags: readonly string[] | undefined,
): string {
  let out = '{"s":' + staleAt + ',"e":' + expiresAt;
  if (tags !== undefined && tags.length > 0) {
    out += ',"t":' + JSON.stringify(tags);
  }
  if (isNotFound(value)) {
    return out + ',"n":1}';
  }
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) {
    throw new TypeError(`cache values must be JSON data (objects, arrays, strings, numbers, booleans, Dates); got ${typeof value}`);
  }
  const dates: PathStep[][] = [];
  collectDatePaths(value, [], dates);
  if (dates.length > 0) {
    out += ',"d":' + JSON.stringify(dates);
  }
  return out + ',"v":' + json + '}';
}

/** `undefined` when the text is not an envelope (written by something else, or corrupt). */
export function decodeEnvelope(raw: string): CacheEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return undefined;
  }
  const wire = parsed as WireEnvelope;
  if (typeof wire.s !== 'number' || typeof wire.e !== 'number') {
    return undefined;
  }
  let value = wire.n === 1 ? undefined : wire.v;
  if (Array.isArray(wire.d)) {
    value = reviveDates(value, wire.d);
  }
  return { value, staleAt: wire.s, expiresAt: wire.e, tags: readTags(wire.t) };
}

function readTags(raw: unknown): readonly string[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    return undefined;
  }
  return raw.every((tag) => typeof tag === 'string') ? (raw as string[]) : undefined;
}

function collectDatePaths(value: unknown, path: PathStep[], out: PathStep[][]): void {
  if (typeof value !== 'object' || value === null) {
    return;
  }
  if (value instanceof Date) {
    out.push(path.slice());
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      collectDatePaths(value[i], path, out);
      path.pop();
    }
    return;
  }
  // An object with its own toJSON decides its JSON shape itself; Dates inside it cannot be traced.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return;
  }
  for (const key of Object.keys(value)) {
    path.push(key);
    collectDatePaths((value as Record<string, unknown>)[key], path, out);
    path.pop();
  }
}

function reviveDates(value: unknown, paths: unknown[]): unknown {
  let root = value;
  for (const path of paths) {
    if (!Array.isArray(path)) {
      continue;
    }
    if (path.length === 0) {
      root = typeof root === 'string' ? new Date(root) : root;
      continue;
    }
    let parent: unknown = root;
    for (let i = 0; i < path.length - 1 && parent !== undefined; i++) {
      parent = typeof parent === 'object' && parent !== null ? (parent as Record<PathStep, unknown>)[path[i]] : undefined;
    }
    if (typeof parent === 'object' && parent !== null) {
      const holder = parent as Record<PathStep, unknown>;
      const last = path[path.length - 1] as PathStep;
      if (typeof holder[last] === 'string') {
        holder[last] = new Date(holder[last] as string);
      }
    }
  }
  return root;
}
