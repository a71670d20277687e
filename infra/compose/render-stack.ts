import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * Renders docker-stack.yml for `docker stack deploy` from the compose files.
 *
 * `docker stack deploy` reads the older version-3 format: it rejects the long
 * form of depends_on (with conditions) and ignores build. So the stack file is
 * docker-compose.yml + docker-compose.scale.yml + swarm.override.yml, merged as
 * `docker compose -f ... -f ...` merges them, then reduced to what Swarm reads.
 */

export const COMPOSE_DIR = __dirname;
export const STACK_SOURCES = ['docker-compose.yml', 'docker-compose.scale.yml', 'swarm.override.yml'] as const;
export const STACK_FILE = 'docker-stack.yml';
// The last version-3 format; it has configs, init, start_period and rollback_config.
const STACK_FORMAT_VERSION = '3.8';

type Yaml = Record<string, unknown>;

function isMap(value: unknown): value is Yaml {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a compose file with YAML merge keys (<<) resolved, as Compose reads it. */
export function readComposeFile(path: string): Yaml {
  const doc: unknown = parse(readFileSync(path, 'utf8'), { merge: true });
  if (!isMap(doc)) throw new Error(`${path} is not a YAML mapping`);
  return doc;
}

/** Compose's merge for the keys our files override: maps merge key by key, anything else is replaced. */
export function mergeCompose(base: Yaml, override: Yaml): Yaml {
  const out: Yaml = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isMap(current) && isMap(value) ? mergeCompose(current, value) : value;
  }
  return out;
}

// Compose publishes the admin tools (collector, Prometheus, Grafana) on the
// host's loopback only. Swarm's routing mesh cannot bind loopback and would
// publish them on every node, so the stack leaves them unpublished.
function isLoopbackPort(port: unknown): boolean {
  return typeof port === 'string' && port.startsWith('127.0.0.1:');
}

function toSwarmService(service: Yaml): Yaml {
  const { build: _build, restart: _restart, depends_on: dependsOn, ports, ...rest } = service;
  const out: Yaml = { ...rest };
  if (Array.isArray(ports)) {
    const published = ports.filter((p) => !isLoopbackPort(p));
    if (published.length > 0) out['ports'] = published;
  }
  // Swarm starts everything at once and orders nothing; the apps wait for their
  // dependencies themselves (readiness), so the list only documents them.
  if (isMap(dependsOn)) out['depends_on'] = Object.keys(dependsOn).sort();
  else if (Array.isArray(dependsOn)) out['depends_on'] = dependsOn;
  return out;
}

export function renderStack(composeDir: string = COMPOSE_DIR): string {
  const merged = STACK_SOURCES.map((f) => readComposeFile(join(composeDir, f))).reduce(mergeCompose);
  const { name: _name, services, ...topLevel } = merged;
  if (!isMap(services)) throw new Error('docker-compose.yml has no services');
  const swarmServices = Object.fromEntries(
    Object.entries(services).map(([name, svc]) => [name, toSwarmService(isMap(svc) ? svc : {})]),
  );
  const extensionFree = Object.fromEntries(Object.entries(topLevel).filter(([key]) => !key.startsWith('x-')));
  const stack = { version: STACK_FORMAT_VERSION, services: swarmServices, ...extensionFree };
  const header = [
    '# Rendered by infra/compose/render-stack.ts from',
    `# ${STACK_SOURCES.join(', ')}: edit those, then run`,
    '# `npx tsx infra/compose/render-stack.ts`.',
    '#   docker stack deploy -c infra/compose/docker-stack.yml formscale',
    '',
  ].join('\n');
  // YAML 1.1 quoting: Go's YAML readers take a bare yes or on for a boolean.
  return header + stringify(stack, { aliasDuplicateObjects: false, lineWidth: 0, version: '1.1' });
}

if (require.main === module) {
  const path = join(COMPOSE_DIR, STACK_FILE);
  writeFileSync(path, renderStack());
  process.stdout.write(`${JSON.stringify({ msg: 'stack file rendered', path })}\n`);
}
