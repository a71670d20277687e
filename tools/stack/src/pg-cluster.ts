import { appendFileSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgBinDir, PgProgram, pgProgram } from './pg-binaries';
import { CONF_INCLUDES, NODE_CONF_FILE, SHARED_CONF_FILE, renderNodeConf, renderSharedConf } from './pg-config';
import { CommandResult, runCommand, runStep } from './run-command';
import { StackError } from './stack-error';

/** pg_ctl's own wait for a start or stop; a dev cluster needs a second or two, crash recovery a little more. */
export const PG_CTL_TIMEOUT_SECONDS = 60;
/** A psql probe against a local server; loopback answers at once, so this only bounds a hung peer. */
const PSQL_CONNECT_TIMEOUT_SECONDS = 3;

/**
 * Runs the programs of one PostgreSQL installation. As root, the server
 * programs run as the `postgres` OS user (PostgreSQL refuses to run as root),
 * so every file in the clusters' folder belongs to that user.
 */
export class PgRunner {
  constructor(
    readonly bin: PgBinDir,
    /** The OS user that owns the clusters when we are root; undefined to run as ourselves. */
    readonly osUser: string | undefined,
    /** A folder that osUser can enter, so its programs do not start in one they cannot. */
    readonly cwd: string,
  ) {}

  run(program: PgProgram, args: readonly string[]): Promise<CommandResult> {
    return runCommand(pgProgram(this.bin, program), args, { asUser: this.osUser, cwd: this.cwd });
  }

  step(step: string, program: PgProgram, args: readonly string[], logFile?: string): Promise<CommandResult> {
    return runStep(step, pgProgram(this.bin, program), args, { asUser: this.osUser, cwd: this.cwd, logFile });
  }

  /** Writes a file inside a cluster folder as the clusters' owner. */
  async writeFile(file: string, content: string, append = false): Promise<void> {
    if (!this.osUser) {
      (append ? appendFileSync : writeFileSync)(file, content);
      return;
    }
    await runStep(`writing ${file}`, 'sh', ['-c', append ? 'cat >> "$1"' : 'cat > "$1"', 'sh', file], {
      asUser: this.osUser,
      cwd: this.cwd,
      input: content,
    });
  }

  /**
   * One query on 127.0.0.1:port as the superuser, rows as arrays of text
   * fields. Over TCP with trust auth, so it needs no OS user switch.
   */
  async query(port: number, sql: string, database = 'postgres'): Promise<string[][]> {
    const result = await this.tryQuery(port, sql, database);
    if (!result.ok) throw new StackError(`query on port ${port} failed: ${result.error}`);
    return result.rows;
  }

  async tryQuery(
    port: number,
    sql: string,
    database = 'postgres',
  ): Promise<{ ok: true; rows: string[][] } | { ok: false; error: string }> {
    const result = await runCommand(
      pgProgram(this.bin, 'psql'),
      ['-X', '-A', '-t', '-q', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-c', sql],
      {
        env: {
          ...process.env,
          PGCONNECT_TIMEOUT: String(PSQL_CONNECT_TIMEOUT_SECONDS),
          PGAPPNAME: 'formscale-stack',
          // Never prompt: a server that wants a password is not one of ours.
          PGPASSWORD: '',
        },
      },
    );
    if (result.code !== 0) return { ok: false, error: result.stderr.trim().split('\n')[0] ?? `exit code ${result.code}` };
    const rows = result.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'));
    return { ok: true, rows };
  }
}

export interface ClusterFiles {
  dataDir: string;
  logFile: string;
}

export function isInitialized(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

export async function initPrimary(runner: PgRunner, files: ClusterFiles): Promise<void> {
  await runner.step(
    `initdb of ${files.dataDir}`,
    'initdb',
    [
      '-D', files.dataDir,
      '--username=postgres',
      // Trust for local socket and loopback TCP only (initdb's pg_hba.conf
      // lists nothing else, listen_addresses is loopback): a dev box.
      '--auth=trust',
      '--encoding=UTF8',
      // C locale: the same sort order everywhere, and no dependence on the
      // locales that happen to be installed on the machine or in CI.
      '--locale=C',
      // The clusters run with fsync off (see pg-config.ts); flushing the new
      // files to disk here would only make `up` slower.
      '--no-sync',
    ],
    files.logFile,
  );
  await runner.writeFile(join(files.dataDir, 'postgresql.conf'), CONF_INCLUDES, true);
}

/** pg_basebackup from the primary into a new folder, with standby.signal and primary_conninfo (-R) using its slot. */
export async function baseBackup(runner: PgRunner, files: ClusterFiles, primaryPort: number, slot: string): Promise<void> {
  await runner.step(
    `pg_basebackup into ${files.dataDir}`,
    'pg_basebackup',
    [
      '-h', '127.0.0.1',
      '-p', String(primaryPort),
      '-U', 'postgres',
      '-D', files.dataDir,
      '-R',
      '-X', 'stream',
      '-S', slot,
      // Without it the backup waits for a spread checkpoint, minutes on an idle primary.
      '--checkpoint=fast',
      // As with initdb: the replicas run with fsync off, a lost copy is rebuilt by the next `up`.
      '--no-sync',
      '--no-password',
    ],
    files.logFile,
  );
}

export async function writeClusterConf(
  runner: PgRunner,
  files: ClusterFiles,
  node: { clusterName: string; port: number; socketDir: string },
): Promise<void> {
  await runner.writeFile(join(files.dataDir, SHARED_CONF_FILE), renderSharedConf());
  await runner.writeFile(join(files.dataDir, NODE_CONF_FILE), renderNodeConf(node));
}

export async function startCluster(runner: PgRunner, files: ClusterFiles): Promise<void> {
  await runner.step(
    `starting PostgreSQL in ${files.dataDir}`,
    'pg_ctl',
    ['start', '-D', files.dataDir, '-l', files.logFile, '-w', '-t', String(PG_CTL_TIMEOUT_SECONDS)],
    files.logFile,
  );
}

export async function isClusterRunning(runner: PgRunner, dataDir: string): Promise<boolean> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return false;
  // Exit 0: running; 3: not running; 4: no such data folder.
  return (await runner.run('pg_ctl', ['status', '-D', dataDir])).code === 0;
}

export async function stopCluster(runner: PgRunner, files: ClusterFiles): Promise<void> {
  await runner.step(
    `stopping PostgreSQL in ${files.dataDir}`,
    'pg_ctl',
    // Fast: roll back open sessions instead of waiting for clients to leave.
    ['stop', '-D', files.dataDir, '-m', 'fast', '-w', '-t', String(PG_CTL_TIMEOUT_SECONDS)],
    files.logFile,
  );
}

/** The cluster's system identifier: a replica belongs to a primary only when theirs match. */
export async function systemIdentifier(runner: PgRunner, dataDir: string): Promise<string | undefined> {
  const result = await runner.run('pg_controldata', [dataDir]);
  return /Database system identifier:\s+(\d+)/.exec(result.stdout)?.[1];
}

/** The postmaster's pid from postmaster.pid, when we may read it. */
export function readPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The parent of a server process (the postmaster), from /proc, for clusters whose files we may not read. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return real(a) === real(b);
}
