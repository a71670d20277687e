import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG_PROGRAMS, PgBinDir, choosePgBinDir, findPgBinDir, parsePgVersion } from './pg-binaries';

/** A folder of stand-in PostgreSQL programs whose pg_ctl reports `version`. */
function fakeInstall(dir: string, version: string, programs: readonly string[] = PG_PROGRAMS): string {
  mkdirSync(dir, { recursive: true });
  for (const program of programs) {
    const file = join(dir, program);
    writeFileSync(file, `#!/bin/sh\necho "${program} (PostgreSQL) ${version}"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

function fakePgConfig(dir: string, bindir: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pg_config');
  writeFileSync(file, `#!/bin/sh\n[ "$1" = "--bindir" ] && echo "${bindir}"\n`);
  chmodSync(file, 0o755);
}

describe('parsePgVersion', () => {
  it('reads major and minor from pg_ctl --version, Debian suffix and all', () => {
    expect(parsePgVersion('pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n')).toEqual([15, 20]);
    expect(parsePgVersion('pg_ctl (PostgreSQL) 9.6.24')).toEqual([9, 6, 24]);
  });

  it('takes the major of a beta and rejects output that is not a version', () => {
    expect(parsePgVersion('pg_ctl (PostgreSQL) 17beta2')).toEqual([17]);
    expect(parsePgVersion('command not found')).toBeUndefined();
  });
});

describe('choosePgBinDir', () => {
  const dir = (bindir: string, source: PgBinDir['source'], version: number[]): PgBinDir => ({ bindir, source, version });

  it('picks the highest version, comparing numerically', () => {
    const found = [dir('/a', 'PATH', [9, 6]), dir('/b', 'debian', [16, 1]), dir('/c', 'debian', [15, 20])];
    expect(choosePgBinDir(found)?.bindir).toBe('/b');
  });

  it('keeps the earlier place in discovery order on a tie', () => {
    const found = [dir('/path', 'PATH', [16, 2]), dir('/pgconfig', 'pg_config', [16, 2]), dir('/debian', 'debian', [16, 2])];
    expect(choosePgBinDir(found)?.bindir).toBe('/path');
  });

  it('finds nothing in nothing', () => {
    expect(choosePgBinDir([])).toBeUndefined();
  });
});

describe('findPgBinDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'stack-bin-spec-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prefers a higher version in Debian’s per-version folders over an older one on PATH', async () => {
    fakeInstall(join(root, 'path-bin'), '14.9');
    fakeInstall(join(root, 'debian', '15', 'bin'), '15.20');
    fakeInstall(join(root, 'debian', '16', 'bin'), '16.4');
    const found = await findPgBinDir({ path: join(root, 'path-bin'), debianRoot: join(root, 'debian') });
    expect(found).toEqual({ bindir: join(root, 'debian', '16', 'bin'), source: 'debian', version: [16, 4] });
  });

  it('resolves a PATH symlink to its real folder and keeps PATH first on a tie', async () => {
    const real = fakeInstall(join(root, 'debian', '15', 'bin'), '15.20');
    mkdirSync(join(root, 'local-bin'));
    symlinkSync(join(real, 'pg_ctl'), join(root, 'local-bin', 'pg_ctl'));
    const found = await findPgBinDir({ path: join(root, 'local-bin'), debianRoot: join(root, 'debian') });
    expect(found).toEqual({ bindir: real, source: 'PATH', version: [15, 20] });
  });

  it('follows pg_config --bindir to a folder off PATH', async () => {
    const bindir = fakeInstall(join(root, 'opt', 'pg17', 'bin'), '17.2');
    fakePgConfig(join(root, 'path-bin'), bindir);
    const found = await findPgBinDir({ path: join(root, 'path-bin'), debianRoot: join(root, 'none') });
    expect(found).toEqual({ bindir, source: 'pg_config', version: [17, 2] });
  });

  it('skips a folder that lacks one of the programs (a client-only install)', async () => {
    fakeInstall(join(root, 'debian', '16', 'bin'), '16.4', ['pg_ctl', 'psql', 'pg_basebackup']);
    fakeInstall(join(root, 'debian', '15', 'bin'), '15.20');
    const found = await findPgBinDir({ path: '', debianRoot: join(root, 'debian') });
    expect(found?.version).toEqual([15, 20]);
  });

  it('finds nothing when no place has the programs', async () => {
    expect(await findPgBinDir({ path: join(root, 'empty'), debianRoot: join(root, 'none') })).toBeUndefined();
  });
});
