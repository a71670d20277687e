/** One kind of complaint in nginx's error.log, how often it came, and when first. */
export interface NginxErrorKind {
  level: string;
  message: string;
  count: number;
  /** The time of its first line, as nginx wrote it. */
  first: string;
}

// 2026/11/27 21:05:21 [error] 27855#27855: *629 no live upstreams while connecting to upstream, client: 127.0.0.1, ...
const LINE = /^(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client: .*)?$/;

/**
 * nginx's error.log grouped by message, in order of first appearance: under
 * load it holds thousands of lines, and the cause of a burst of 502s is the
 * first kind, not the last lines ("no live upstreams" follows whatever took
 * the upstreams out).
 */
export function summarizeNginxErrors(log: string): NginxErrorKind[] {
  const kinds = new Map<string, NginxErrorKind>();
  for (const line of log.split('\n')) {
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, at, level, message] = match as unknown as [string, string, string, string];
    const key = `${level} ${message}`;
    const kind = kinds.get(key);
    if (kind === undefined) kinds.set(key, { level, message, count: 1, first: at });
    else kind.count += 1;
  }
  return [...kinds.values()];
}

/** One line per kind, for the terminal. */
export function formatNginxErrors(kinds: readonly NginxErrorKind[]): string[] {
  return kinds.map((kind) => `${kind.count.toLocaleString('en-US')} × [${kind.level}] ${kind.message} (first at ${kind.first})`);
}
