import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** The page's files besides index.html; nothing else under the folder is served. */
const ASSET_FILES = ['dashboard.js', 'dashboard.css'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// 16 hex characters of SHA-256: no two versions of a file collide in practice, and the name stays readable.
const HASH_LENGTH = 16;

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
}

export interface DashboardAssets {
  /** index.html, naming the fingerprinted files. */
  html: Buffer;
  /** By fingerprinted name (dashboard.<hash>.js): the only names served. */
  files: ReadonlyMap<string, DashboardAsset>;
}

/** name.ext -> name.<hash of the content>.ext, the form the edge worker (infra/cdn) gives a year to. */
export function fingerprintedName(file: string, body: Buffer): string {
  const ext = extname(file);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, HASH_LENGTH);
  return `${file.slice(0, -ext.length)}.${hash}${ext}`;
}

/**
 * Reads the dashboard once at start: each asset under a name that carries the
 * hash of its content, and index.html rewritten to reference those names. A
 * changed file gets a new name, so browsers and CDNs may keep every name forever.
 */
export function loadDashboardAssets(folder: string): DashboardAssets {
  let html = readFileSync(join(folder, 'index.html'), 'utf8');
  const files = new Map<string, DashboardAsset>();
  for (const file of ASSET_FILES) {
    const body = readFileSync(join(folder, file));
    const name = fingerprintedName(file, body);
    const reference = `/dashboard/${file}"`;
    if (!html.includes(reference)) throw new Error(`${join(folder, 'index.html')} does not reference ${reference.slice(0, -1)}`);
    html = html.split(reference).join(`/dashboard/${name}"`);
    files.set(name, { body, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
  }
  return { html: Buffer.from(html), files };
}
