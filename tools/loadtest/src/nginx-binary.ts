import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** nginx from PATH, or from /usr/sbin where Debian puts it (often off a normal user's PATH). */
export function findNginx(path: string = process.env['PATH'] ?? ''): string | undefined {
  return [...path.split(delimiter).filter(Boolean), '/usr/sbin'].map((dir) => join(dir, 'nginx')).find((candidate) => existsSync(candidate));
}
