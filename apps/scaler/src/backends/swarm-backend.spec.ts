import { RecordingServer, type CannedResponse, type RecordedRequest } from '../testing/recording-server';
import { SwarmBackend, swarmConnectionFromEnvironment } from './swarm-backend';

const SPEC = {
  Name: 'formscale_worker',
  Labels: { 'com.docker.stack.namespace': 'formscale' },
  TaskTemplate: { ContainerSpec: { Image: 'formscale/worker:1', Env: ['REDIS_URL=redis://redis:6379'] } },
  Mode: { Replicated: { Replicas: 2 } },
  EndpointSpec: { Mode: 'vip' },
};

/** A Docker Engine holding one service, whose version moves on `bumpsBeforeUpdate` times behind the scaler's back. */
function engine(bumpsBeforeUpdate: number) {
  let version = 41;
  let spec: typeof SPEC = structuredClone(SPEC);
  let bumps = bumpsBeforeUpdate;
  return new RecordingServer((request: RecordedRequest): CannedResponse => {
    const url = new URL(request.url, 'http://engine');
    if (request.method === 'GET' && url.pathname === '/services/formscale_worker') {
      return { status: 200, body: { ID: 'svc123', Version: { Index: version }, Spec: spec } };
    }
    if (request.method === 'POST' && url.pathname === '/services/svc123/update') {
      if (bumps > 0) {
        // A rolling update touched the service between the scaler's read and write.
        bumps--;
        version++;
      }
      if (url.searchParams.get('version') !== String(version)) {
        return { status: 500, body: { message: 'rpc error: code = Unknown desc = update out of sequence' } };
      }
      spec = JSON.parse(request.body) as typeof SPEC;
      version++;
      return { status: 200, body: { Warnings: null } };
    }
    return { status: 404, body: { message: `no such service: ${url.pathname}` } };
  });
}

describe('swarm backend against a stand-in Docker Engine', () => {
  const servers: RecordingServer[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.stop())));

  async function backendOn(server: RecordingServer): Promise<SwarmBackend> {
    servers.push(server);
    return new SwarmBackend({ baseUrl: await server.start() });
  }

  it('sends the whole spec back with only the replicas changed, at the version it read', async () => {
    const server = engine(0);
    const backend = await backendOn(server);
    expect(await backend.currentReplicas('formscale_worker')).toBe(2);
    await backend.scaleTo('formscale_worker', 4);
    expect(await backend.currentReplicas('formscale_worker')).toBe(4);
    const update = server.requests.find((request) => request.method === 'POST');
    expect(update).toMatchObject({ url: '/services/svc123/update?version=41', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(update?.body ?? '')).toEqual({ ...SPEC, Mode: { Replicated: { Replicas: 4 } } });
  });

  it('re-reads and retries when the version moved on ("update out of sequence")', async () => {
    const server = engine(2);
    const backend = await backendOn(server);
    await backend.scaleTo('formscale_worker', 3);
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET /services/formscale_worker',
      'POST /services/svc123/update?version=41',
      'GET /services/formscale_worker',
      'POST /services/svc123/update?version=42',
      'GET /services/formscale_worker',
      'POST /services/svc123/update?version=43',
    ]);
    expect(await backend.currentReplicas('formscale_worker')).toBe(3);
  });

  it('gives up after a bounded number of conflicts, naming the engine message', async () => {
    const backend = await backendOn(engine(10));
    await expect(backend.scaleTo('formscale_worker', 3)).rejects.toThrow(/\(attempt 3\): HTTP 500 rpc error: code = Unknown desc = update out of sequence/);
  });

  it('reads DOCKER_HOST as the docker CLI does', () => {
    expect(swarmConnectionFromEnvironment({})).toEqual({ baseUrl: 'http://localhost', socketPath: '/var/run/docker.sock' });
    expect(swarmConnectionFromEnvironment({ DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toEqual({ baseUrl: 'http://10.0.0.5:2375' });
    expect(() => swarmConnectionFromEnvironment({ DOCKER_HOST: 'ssh://me@host' })).toThrow(/DOCKER_HOST=ssh:\/\/me@host is not supported/);
  });
});
