import { z } from 'zod';
import { BackendError, type ScalingBackend } from './backend';
import { sendRequest, type Endpoint, type HttpResponse } from './http-request';

/**
 * Scales a Docker Swarm service through the Engine API: inspect it, then send
 * its whole Spec back with Mode.Replicated.Replicas changed and the version it
 * was read at. Swarm rejects an update made on an older version ("update out
 * of sequence": someone else, or a rolling update, changed it in between), so
 * the read and write are retried a few times. Paths carry no /v1.xx prefix:
 * the engine then speaks its own version, and Engine 29 refuses APIs older than 1.44.
 */

// A conflict means the service moved on between our read and write; three fresh reads ride out a rolling update's bumps.
const UPDATE_ATTEMPTS = 3;

const serviceSchema = z.object({
  ID: z.string(),
  Version: z.object({ Index: z.number().int().nonnegative() }),
  Spec: z.looseObject({
    Mode: z.looseObject({ Replicated: z.looseObject({ Replicas: z.number().int().nonnegative().optional() }).optional() }),
  }),
});
type SwarmService = z.infer<typeof serviceSchema>;

export interface SwarmConnection {
  /** http://host:port for a TCP DOCKER_HOST; ignored for the host when socketPath is set. */
  baseUrl: string;
  socketPath?: string;
}

/** DOCKER_HOST as the docker CLI reads it: unix:///path or tcp://host:port; default the local socket. */
export function swarmConnectionFromEnvironment(env: NodeJS.ProcessEnv = process.env): SwarmConnection {
  const host = env['DOCKER_HOST'] || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) return { baseUrl: 'http://localhost', socketPath: host.slice('unix://'.length) };
  if (host.startsWith('tcp://')) return { baseUrl: `http://${host.slice('tcp://'.length)}` };
  throw new Error(`DOCKER_HOST=${host} is not supported by the swarm backend: use unix:///var/run/docker.sock or tcp://host:2375`);
}

function isVersionConflict(response: HttpResponse): boolean {
  // Engines answer 500 with swarmkit's message; a proxy or a future engine may map it to 409.
  return response.status === 409 || (response.status === 500 && response.body.includes('update out of sequence'));
}

export class SwarmBackend implements ScalingBackend {
  readonly name = 'swarm' as const;
  readonly changesNothing = false;
  private readonly endpoint: Endpoint;

  constructor(connection: SwarmConnection) {
    this.endpoint = { baseUrl: connection.baseUrl, socketPath: connection.socketPath };
  }

  private async inspect(service: string): Promise<SwarmService> {
    const response = await sendRequest(this.endpoint, 'GET', `/services/${encodeURIComponent(service)}`);
    if (response.status !== 200) throw engineError(response, `inspect service ${service}`);
    const parsed = serviceSchema.safeParse(JSON.parse(response.body));
    if (!parsed.success) throw new BackendError(`swarm: service ${service} is not a service the scaler understands: ${z.prettifyError(parsed.error)}`);
    if (parsed.data.Spec.Mode.Replicated === undefined) {
      throw new BackendError(`swarm: service ${service} is not in replicated mode; only replicated services can be scaled`);
    }
    return parsed.data;
  }

  async currentReplicas(service: string): Promise<number> {
    return (await this.inspect(service)).Spec.Mode.Replicated?.Replicas ?? 0;
  }

  async scaleTo(service: string, replicas: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.inspect(service);
      const spec = { ...current.Spec, Mode: { ...current.Spec.Mode, Replicated: { ...current.Spec.Mode.Replicated, Replicas: replicas } } };
      const response = await sendRequest(
        this.endpoint,
        'POST',
        `/services/${encodeURIComponent(current.ID)}/update?version=${current.Version.Index}`,
        { contentType: 'application/json', json: spec },
      );
      if (response.status === 200) return;
      if (!isVersionConflict(response) || attempt >= UPDATE_ATTEMPTS) {
        throw engineError(response, `scale service ${service} to ${replicas}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      }
    }
  }

  async close(): Promise<void> {
    return undefined;
  }
}

function engineError(response: HttpResponse, what: string): BackendError {
  let message = response.body.slice(0, 200);
  try {
    const body = JSON.parse(response.body) as { message?: unknown };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON: keep the raw text.
  }
  return new BackendError(`swarm: cannot ${what}: HTTP ${response.status} ${message}`, response.status);
}
