import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingServer, type RecordedRequest } from '../testing/recording-server';
import { inClusterConnection, KubernetesBackend, kubeconfigConnection } from './kubernetes-backend';

const SCALE_PATH = '/apis/apps/v1/namespaces/formscale/deployments/worker/scale';

describe('kubernetes backend against a stand-in API server', () => {
  let replicas = 2;
  const server = new RecordingServer((request: RecordedRequest) => {
    if (request.url !== SCALE_PATH) return { status: 404, body: { kind: 'Status', message: `deployments.apps "x" not found` } };
    if (request.headers.authorization !== 'Bearer sa-token') return { status: 403, body: { kind: 'Status', message: 'forbidden' } };
    if (request.method === 'PATCH') replicas = (JSON.parse(request.body) as { spec: { replicas: number } }).spec.replicas;
    return { status: 200, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'worker', namespace: 'formscale' }, spec: { replicas }, status: { replicas } } };
  });
  let backend: KubernetesBackend;
  let url: string;

  beforeAll(async () => {
    url = await server.start();
    backend = new KubernetesBackend({ server: url, token: () => 'sa-token', namespace: 'formscale' });
  });
  afterAll(() => server.stop());

  it('reads the scale subresource, then merge-patches spec.replicas with the bearer token', async () => {
    expect(await backend.currentReplicas('worker')).toBe(2);
    await backend.scaleTo('worker', 5);
    expect(await backend.currentReplicas('worker')).toBe(5);
    const [get, patch] = server.requests;
    expect(get).toMatchObject({ method: 'GET', url: SCALE_PATH, headers: { authorization: 'Bearer sa-token' } });
    expect(patch).toMatchObject({
      method: 'PATCH',
      url: SCALE_PATH,
      headers: { authorization: 'Bearer sa-token', 'content-type': 'application/merge-patch+json' },
    });
    expect(JSON.parse(patch?.body ?? '')).toEqual({ spec: { replicas: 5 } });
  });

  it('names the status and points at the RBAC when the API server refuses', async () => {
    const refused = new KubernetesBackend({ server: url, token: () => 'wrong', namespace: 'formscale' });
    await expect(refused.scaleTo('worker', 3)).rejects.toThrow(/HTTP 403 forbidden.*deployments\/scale/);
  });
});

describe('kubernetes credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scaler-k8s-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the mounted service account in a pod, and the token again on every request', () => {
    writeFileSync(join(dir, 'token'), 'first\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'namespace'), 'formscale');
    const connection = inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    expect(connection).toMatchObject({ server: 'https://10.0.0.1:443', namespace: 'formscale' });
    expect(connection?.token()).toBe('first');
    writeFileSync(join(dir, 'token'), 'rotated\n');
    expect(connection?.token()).toBe('rotated');
    expect(inClusterConnection({}, dir)).toBeUndefined();
  });

  it("takes the current context's server, CA, token and namespace from a kubeconfig", () => {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: prod',
        'contexts:',
        '  - name: dev',
        '    context: { cluster: dev, user: dev }',
        '  - name: prod',
        '    context: { cluster: prod, user: scaler, namespace: formscale }',
        'clusters:',
        '  - name: dev',
        '    cluster: { server: "https://dev:6443" }',
        '  - name: prod',
        `    cluster: { server: "https://prod:6443", certificate-authority-data: "${Buffer.from('PEM').toString('base64')}" }`,
        'users:',
        '  - name: dev',
        '    user: { token: dev-token }',
        '  - name: scaler',
        '    user: { token: prod-token }',
      ].join('\n'),
    );
    const connection = kubeconfigConnection(path);
    expect(connection).toMatchObject({ server: 'https://prod:6443', namespace: 'formscale' });
    expect(String(connection.ca)).toBe('PEM');
    expect(connection.token()).toBe('prod-token');
  });
});
