import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive } from './process-alive';
import { StackError } from './stack-error';

/**
 * How long an `up` or `down` waits for another one in the same clone (say,
 * parallel test files that each call stackUp()). A cold `up` takes seconds;
 * the bound only ends a wait on a stuck process.
 */
export const LOCK_TIMEOUT_MS = 5 * 60_000;
const LOCK_POLL_MS = 250;

/** Runs `work` holding an exclusive lock file; a lock left by a dead process is taken over. */
export async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  // Written first, then linked into place: the lock appears with its pid in it, or not at all.
  const mine = `${file}.${process.pid}.${randomUUID()}`;
  writeFileSync(mine, String(process.pid));
  for (;;) {
    try {
      linkSync(mine, file);
      rmSync(mine, { force: true });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        rmSync(mine, { force: true });
        throw error;
      }
    }
    const holder = readHolder(file);
    if (holder === undefined || !isAlive(holder)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      rmSync(mine, { force: true });
      throw new StackError(`another stack command (pid ${holder}) has held ${file} for ${LOCK_TIMEOUT_MS / 1000} s: wait for it or stop it`);
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

