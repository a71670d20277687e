import { hostname } from 'node:os';

/** The name this process goes by in logs and metrics samples. */
export function instanceId(configured: string, service: string): string {
  return configured !== '' ? configured : `${service}-${hostname()}-${process.pid}`;
}
