import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { runCommand } from './run-command';

/** The programs the stack runs from one PostgreSQL installation; all must sit in the same folder. */
export const PG_PROGRAMS = ['initdb', 'pg_ctl', 'pg_basebackup', 'pg_controldata', 'postgres', 'psql'] as const;
export type PgProgram = (typeof PG_PROGRAMS)[number];

export type PgBinSource = 'PATH' | 'pg_config' | 'debian';

export interface PgBinDir {
  bindir: string;
  source: PgBinSource;
  /** Server version from `pg_ctl --version`, e.g. [15, 20]. */
  version: number[];
}

export interface PgBinSearch {
  /** The PATH to search, as in the environment. */
  path: string;
  /** Where Debian keeps one folder per major version (off PATH). */
  debianRoot: string;
}

export const DEFAULT_PG_BIN_SEARCH: PgBinSearch = {
  path: process.env['PATH'] ?? '',
  debianRoot: '/usr/lib/postgresql',
};

export function pgProgram(bin: PgBinDir, program: PgProgram): string {
  return join(bin.bindir, program);
}

/**
 * Finds the PostgreSQL installation to use: folders that hold every program
 * the stack needs, looked for on PATH, then through `pg_config --bindir`,
 * then in Debian's /usr/lib/postgresql/<version>/bin. The highest version
 * wins; between equal versions the earlier place in that order wins, so a
 * user's PATH choice is honoured. Debian's /usr/bin/pg_basebackup and psql are
 * pg_wrapper scripts, not programs of one version, so a PATH hit counts by the
 * real folder of its pg_ctl.
 */
export async function findPgBinDir(search: PgBinSearch = DEFAULT_PG_BIN_SEARCH): Promise<PgBinDir | undefined> {
  const candidates: { bindir: string; source: PgBinSource }[] = [];
  const onPath = whichReal('pg_ctl', search.path);
  if (onPath) candidates.push({ bindir: dirname(onPath), source: 'PATH' });
  const pgConfig = whichReal('pg_config', search.path);
  if (pgConfig) {
    const result = await runCommand(pgConfig, ['--bindir']).catch(() => undefined);
    const bindir = result?.code === 0 ? result.stdout.trim() : '';
    if (bindir !== '') candidates.push({ bindir: realOrSelf(bindir), source: 'pg_config' });
  }
  for (const version of listDir(search.debianRoot)) {
    candidates.push({ bindir: realOrSelf(join(search.debianRoot, version, 'bin')), source: 'debian' });
  }

  const found: PgBinDir[] = [];
  for (const candidate of candidates) {
    if (found.some((f) => f.bindir === candidate.bindir) || !PG_PROGRAMS.every((p) => isExecutable(join(candidate.bindir, p)))) {
      continue;
    }
    const result = await runCommand(join(candidate.bindir, 'pg_ctl'), ['--version']).catch(() => undefined);
    const version = result?.code === 0 ? parsePgVersion(result.stdout) : undefined;
    if (version) found.push({ ...candidate, version });
  }
  return choosePgBinDir(found);
}

/** The highest version; on a tie the first in discovery order. */
export function choosePgBinDir(found: readonly PgBinDir[]): PgBinDir | undefined {
  let best: PgBinDir | undefined;
  for (const candidate of found) {
    if (!best || compareVersions(candidate.version, best.version) > 0) best = candidate;
  }
  return best;
}

/** `pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` -> [15, 20]; `16beta2` -> [16]. */
export function parsePgVersion(output: string): number[] | undefined {
  const match = /\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/.exec(output);
  return match ? match[1].split('.').map(Number) : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The first executable `name` on `path`, like `which`. */
export function which(name: string, path: string = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function whichReal(name: string, path: string): string | undefined {
  const file = which(name, path);
  return file === undefined ? undefined : realOrSelf(file);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Version folders, highest first, so the listing reads in the order a person expects. */
function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort((a, b) => compareVersions(b.split('.').map(Number), a.split('.').map(Number)));
  } catch {
    return [];
  }
}
