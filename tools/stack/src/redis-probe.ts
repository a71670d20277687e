import { connect } from 'node:net';
import { PROBE_TIMEOUT_MS } from './tcp-probe';

export type RedisProbe =
  | { kind: 'none' }
  | { kind: 'redis'; pid?: number; needsAuth: boolean }
  | { kind: 'other' };

/**
 * Asks host:port whether it is Redis: `PING` (after `AUTH` when the URL has a
 * password), then `INFO server` for the pid. A Redis that wants a password we
 * do not have still answers with an error that names it (-NOAUTH), which is
 * enough to know the port is a Redis to reuse.
 */
export async function probeRedis(url: URL, host: string, port: number): Promise<RedisProbe> {
  const commands: string[][] = [];
  if (url.password !== '') {
    commands.push(url.username !== '' ? ['AUTH', decodeURIComponent(url.username), decodeURIComponent(url.password)] : ['AUTH', decodeURIComponent(url.password)]);
  }
  commands.push(['PING'], ['INFO', 'server']);
  const replies = await sendCommands(host, port, commands);
  if (replies === undefined) return { kind: 'none' };
  const ping = replies[commands.length - 2];
  const info = replies[commands.length - 1];
  if (ping === '+PONG') {
    const pid = /process_id:(\d+)/.exec(info ?? '')?.[1];
    return { kind: 'redis', pid: pid ? Number(pid) : undefined, needsAuth: false };
  }
  if (ping !== undefined && /^-(NOAUTH|WRONGPASS|ERR AUTH|ERR Client sent AUTH)/.test(ping)) {
    return { kind: 'redis', needsAuth: true };
  }
  return { kind: 'other' };
}

/**
 * Sends RESP commands and reads one reply per command: simple strings and
 * errors as their line ('+PONG', '-NOAUTH ...'), bulk strings as their text.
 * Returns undefined when nothing listens; fewer replies when the peer is not
 * Redis and closes or answers something else.
 */
function sendCommands(host: string, port: number, commands: string[][]): Promise<(string | undefined)[] | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    let connected = false;
    const replies: (string | undefined)[] = [];
    const finish = () => {
      socket.destroy();
      resolve(connected ? replies : undefined);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, finish);
    socket.once('error', finish);
    socket.once('close', finish);
    socket.once('connect', () => {
      connected = true;
      socket.write(commands.map(encodeCommand).join(''));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const parsed = parseReply(buffer);
        if (parsed === undefined) break;
        replies.push(parsed.value);
        buffer = buffer.subarray(parsed.length);
        if (parsed.value === undefined || replies.length === commands.length) return finish();
      }
      // Anything that is not RESP (an HTTP or PostgreSQL server) never completes a reply.
      if (buffer.length > 0 && !'+-:$*'.includes(String.fromCharCode(buffer[0]))) finish();
    });
  });
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** One RESP reply from the front of `buffer`, or undefined when it is not complete yet. */
function parseReply(buffer: Buffer): { value: string | undefined; length: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const line = buffer.subarray(0, lineEnd).toString('utf8');
  const type = line[0];
  if (type === '+' || type === '-' || type === ':') return { value: line, length: lineEnd + 2 };
  if (type === '$') {
    const size = Number(line.slice(1));
    if (size < 0) return { value: '', length: lineEnd + 2 };
    const end = lineEnd + 2 + size + 2;
    if (buffer.length < end) return undefined;
    return { value: buffer.subarray(lineEnd + 2, lineEnd + 2 + size).toString('utf8'), length: end };
  }
  return { value: undefined, length: buffer.length };
}
