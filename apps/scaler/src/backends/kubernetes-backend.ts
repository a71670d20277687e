import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { BackendError, type ScalingBackend } from './backend';
import { sendRequest, type Endpoint, type HttpResponse } from './http-request';

/**
 * Scales a Deployment through its scale subresource, the way the HPA does:
 * GET .../deployments/{name}/scale, then a merge patch of spec.replicas. Plain
 * HTTPS rather than @kubernetes/client-node: two calls do not need a large
 * generated client and its dependency tree.
 */

export interface KubernetesConnection {
  /** https://host:port of the API server. */
  server: string;
  /** PEM of the cluster CA; undefined = the system's CAs. */
  ca?: string | Buffer;
  /** Read before every request: a projected service-account token is rotated on disk. */
  token: () => string;
  namespace: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const scaleSchema = z.object({
  spec: z.object({ replicas: z.number().int().nonnegative().optional() }),
});

export class KubernetesBackend implements ScalingBackend {
  readonly name = 'kubernetes' as const;
  readonly changesNothing = false;

  constructor(private readonly connection: KubernetesConnection) {}

  private scalePath(deployment: string): string {
    const ns = encodeURIComponent(this.connection.namespace);
    return `/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(deployment)}/scale`;
  }

  private endpoint(): Endpoint {
    return {
      baseUrl: this.connection.server,
      ca: this.connection.ca,
      headers: { Authorization: `Bearer ${this.connection.token()}` },
    };
  }

  async currentReplicas(deployment: string): Promise<number> {
    const response = await sendRequest(this.endpoint(), 'GET', this.scalePath(deployment));
    const scale = scaleSchema.safeParse(parseJson(expectOk(response, `read the scale of deployment ${deployment}`)));
    if (!scale.success) throw new BackendError(`the scale of deployment ${deployment} has no spec: ${response.body.slice(0, 200)}`);
    // The API server leaves out replicas: 0.
    return scale.data.spec.replicas ?? 0;
  }

  async scaleTo(deployment: string, replicas: number): Promise<void> {
    const response = await sendRequest(this.endpoint(), 'PATCH', this.scalePath(deployment), {
      contentType: 'application/merge-patch+json',
      json: { spec: { replicas } },
    });
    expectOk(response, `scale deployment ${deployment} to ${replicas}`);
  }

  async close(): Promise<void> {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function expectOk(response: HttpResponse, what: string): string {
  if (response.status >= 200 && response.status < 300) return response.body;
  const status = parseJson(response.body) as { message?: unknown } | undefined;
  const message = typeof status?.message === 'string' ? status.message : response.body.slice(0, 200);
  const hint =
    response.status === 401 || response.status === 403
      ? ' (check the scaler\'s ServiceAccount and its Role in infra/k8s/base/scaler.yaml: get/patch on deployments/scale)'
      : '';
  throw new BackendError(`kubernetes: cannot ${what}: HTTP ${response.status} ${message}${hint}`, response.status);
}

/** In a pod: the API server from KUBERNETES_SERVICE_HOST/PORT and the mounted service account. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubernetesConnection | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (host === undefined || port === undefined || !existsSync(join(dir, 'token'))) return undefined;
  const server = host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`;
  return {
    server,
    ca: readFileSync(join(dir, 'ca.crt')),
    token: () => readFileSync(join(dir, 'token'), 'utf8').trim(),
    namespace: readFileSync(join(dir, 'namespace'), 'utf8').trim(),
  };
}

const kubeconfigSchema = z.object({
  'current-context': z.string(),
  contexts: z.array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string(), namespace: z.string().optional() }) })),
  clusters: z.array(
    z.object({
      name: z.string(),
      cluster: z.object({
        server: z.string(),
        'certificate-authority-data': z.string().optional(),
        'certificate-authority': z.string().optional(),
      }),
    }),
  ),
  users: z.array(z.object({ name: z.string(), user: z.object({ token: z.string().optional(), tokenFile: z.string().optional() }) })),
});

/** Outside a cluster: the current context of KUBECONFIG (or ~/.kube/config), with a bearer token. */
export function kubeconfigConnection(path: string): KubernetesConnection {
  const config = kubeconfigSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!config.success) throw new Error(`kubeconfig ${path} is not a kubeconfig the scaler can read:\n${z.prettifyError(config.error)}`);
  const { data } = config;
  const context = data.contexts.find((candidate) => candidate.name === data['current-context'])?.context;
  const cluster = data.clusters.find((candidate) => candidate.name === context?.cluster)?.cluster;
  const user = data.users.find((candidate) => candidate.name === context?.user)?.user;
  if (context === undefined || cluster === undefined || user === undefined) {
    throw new Error(`kubeconfig ${path}: the current context "${data['current-context']}" does not name a cluster and user in the file`);
  }
  const { token, tokenFile } = user;
  if (token === undefined && tokenFile === undefined) {
    throw new Error(`kubeconfig ${path}: user "${context.user}" has no token; the scaler authenticates with a bearer token (e.g. kubectl create token scaler)`);
  }
  const caData = cluster['certificate-authority-data'];
  const caFile = cluster['certificate-authority'];
  return {
    server: cluster.server,
    ca: caData !== undefined ? Buffer.from(caData, 'base64') : caFile !== undefined ? readFileSync(caFile) : undefined,
    token: () => token ?? readFileSync(tokenFile ?? '', 'utf8').trim(),
    namespace: context.namespace ?? 'default',
  };
}

/** In-cluster credentials first, as client-go does, else the kubeconfig. */
export function kubernetesConnectionFromEnvironment(env: NodeJS.ProcessEnv = process.env): KubernetesConnection {
  const inCluster = inClusterConnection(env);
  if (inCluster !== undefined) return inCluster;
  const path = env['KUBECONFIG']?.split(':')[0] || join(homedir(), '.kube', 'config');
  if (!existsSync(path)) {
    throw new Error(`the kubernetes backend found neither a service account (${SERVICE_ACCOUNT_DIR}) nor a kubeconfig at ${path}; set KUBECONFIG`);
  }
  return kubeconfigConnection(path);
}
