import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command';
import { StackError } from './stack-error';
import { StackSettings } from './stack-settings';

/** The OS user that runs PostgreSQL when the stack runs as root. */
export const PG_OS_USER = 'postgres';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Records where the clusters live when they cannot live in the clone. */
export function pgLocationFile(settings: StackSettings): string {
  return join(settings.dataDir, 'pg-location');
}

/** The folder holding the clusters, if one was made already; never creates one. */
export function existingPgRoot(settings: StackSettings): string | undefined {
  const recorded = readRecordedLocation(settings);
  if (recorded !== undefined && existsSync(recorded)) return recorded;
  const inClone = join(settings.dataDir, 'pg');
  return existsSync(inClone) ? inClone : undefined;
}

/**
 * The folder for the clusters: .data/pg in the clone, made and handed to the
 * `postgres` user when we are root. If that user cannot enter the clone (a
 * clone under /root, say), a folder that user makes itself under the system
 * temp folder instead, recorded in .data/pg-location so `down` finds it.
 * Nothing outside folders made here changes owner or mode.
 */
export async function preparePgRoot(settings: StackSettings, log: (line: string) => void): Promise<string> {
  mkdirSync(settings.dataDir, { recursive: true });
  const recorded = readRecordedLocation(settings);
  if (recorded !== undefined && existsSync(recorded)) return recorded;

  const inClone = join(settings.dataDir, 'pg');
  if (!isRoot()) {
    mkdirSync(inClone, { recursive: true });
    return inClone;
  }
  const pgUser = await osUserIds(PG_OS_USER);
  if ((await runCommand('test', ['-x', settings.dataDir], { asUser: PG_OS_USER })).code === 0) {
    mkdirSync(inClone, { recursive: true });
    if (statSync(inClone).uid !== pgUser.uid) chownSync(inClone, pgUser.uid, pgUser.gid);
    return inClone;
  }

  const made = await runCommand('mktemp', ['-d', join(tmpdir(), 'formscale-pg.XXXXXX')], { asUser: PG_OS_USER, cwd: '/' });
  const dir = made.stdout.trim();
  if (made.code !== 0 || dir === '') {
    throw new StackError(`could not make a folder for the PostgreSQL clusters under ${tmpdir()} as user ${PG_OS_USER}: ${made.stderr.trim()}`);
  }
  writeFileSync(pgLocationFile(settings), `${dir}\n`);
  log(`postgres: the ${PG_OS_USER} user cannot enter ${settings.rootDir}, so the clusters live in ${dir} (recorded in ${pgLocationFile(settings)})`);
  return dir;
}

function readRecordedLocation(settings: StackSettings): string | undefined {
  try {
    const dir = readFileSync(pgLocationFile(settings), 'utf8').trim();
    return dir === '' ? undefined : dir;
  } catch {
    return undefined;
  }
}

async function osUserIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([runCommand('id', ['-u', name]), runCommand('id', ['-g', name])]);
  if (uid.code !== 0 || gid.code !== 0) {
    throw new StackError(
      `running as root (${userInfo().username}) needs the OS user ${name} to run PostgreSQL, and it does not exist: ` +
        'install the Debian package postgresql (it makes that user), or run the stack as a normal user',
    );
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}
