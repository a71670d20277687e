import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { nodeFlagsFor } from '@formscale/config';
import { INFRA_ROOT } from './support/repo';
import { KustomizeTool, kustomizeTools } from './support/kustomize';
import { checkScalerConfig } from './support/scaler-config';
import { isCI } from './support/system-tools';

const K8S = join(INFRA_ROOT, 'k8s');
const NAMESPACE = 'formscale';
const APPS = ['forms-api', 'worker', 'metrics-collector', 'scaler'];
/** Created by the operator from a secret store in prod (see base/secret.example.yaml), never rendered. */
const EXTERNAL_SECRET = 'formscale-secrets';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Manifests are free-form below metadata; each assertion reads the fields it checks.
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  rules?: { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string }[];
};

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** The kubernetes-models class for an object (its module path mirrors apiVersion/kind), or KEDA's. */
function modelClass(apiVersion: string, kind: string): ModelClass {
  const module = apiVersion.startsWith('keda.sh/')
    ? `@kubernetes-models/keda/${apiVersion}/${kind}`
    : `kubernetes-models/${apiVersion}/${kind}`;
  try {
    return (require(module) as Record<string, ModelClass>)[kind];
  } catch {
    throw new Error(`no OpenAPI schema for ${apiVersion} ${kind} (looked for ${module})`);
  }
}

/**
 * kustomize 5 wraps a Secret's long base64 values over several lines; the API
 * server's base64 decoder skips line breaks, the schema's "byte" format does not.
 */
function asApiServerReadsIt(obj: Obj): Obj {
  if (obj.kind !== 'Secret' || !obj.data) return obj;
  return { ...obj, data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')])) };
}

function schemaProblems(objects: Obj[]): string[] {
  const problems: string[] = [];
  for (const obj of objects) {
    try {
      new (modelClass(obj.apiVersion, obj.kind))(asApiServerReadsIt(obj)).validate();
    } catch (error) {
      problems.push(`${obj.kind}/${obj.metadata.name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

function parseManifests(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** A generated ConfigMap or Secret's name without kustomize's hash suffix. */
function baseName(name: string): string {
  return name.replace(/-[a-z0-9]{10}$/, '');
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const found = objects.filter((o) => o.kind === kind && baseName(o.metadata.name) === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}

function podSpecs(objects: Obj[]): [Obj, any][] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => [o, o.spec.template.spec]);
}

function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

const { tools, problems: toolProblems } = kustomizeTools();
if (toolProblems.length > 0) {
  process.stderr.write(`\n!! kustomize: ${toolProblems.join('; ')}\n\n`);
}
if (tools.length === 0) {
  const message = `no kustomize available (${toolProblems.join('; ')}): the system-deps script must let apt-get reach Debian, or install kubectl`;
  if (isCI()) throw new Error(message);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING Kubernetes checks: ${message}\n${'!'.repeat(78)}\n\n`);
}
const describeWithKustomize = tools.length > 0 ? describe : describe.skip;

const OVERLAYS = ['overlays/dev', 'overlays/prod', 'keda'] as const;

// Each render starts kubectl; do each (tool, overlay) once for the whole file.
const renders = new Map<string, Obj[]>();
function render(tool: KustomizeTool, overlay: string): Obj[] {
  const key = `${tool.label} ${overlay}`;
  if (!renders.has(key)) renders.set(key, parseManifests(tool.build(join(K8S, overlay))));
  return renders.get(key) as Obj[];
}

describeWithKustomize.each(tools.map((t) => [t.label, t] as [string, KustomizeTool]))('kustomize: %s', (_label, tool) => {
  const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(tool, o)]));

  it.each(OVERLAYS)('%s: every rendered object validates against the Kubernetes OpenAPI schemas', (overlay) => {
    expect(rendered[overlay].length).toBeGreaterThan(10);
    expect(schemaProblems(rendered[overlay])).toEqual([]);
  });

  it.each(OVERLAYS)('%s: every namespaced object lands in the formscale namespace', (overlay) => {
    for (const obj of rendered[overlay]) {
      if (obj.kind === 'Namespace') expect(obj.metadata.name).toBe(NAMESPACE);
      else expect({ obj: `${obj.kind}/${obj.metadata.name}`, ns: obj.metadata.namespace }).toEqual({ obj: `${obj.kind}/${obj.metadata.name}`, ns: NAMESPACE });
    }
  });

  it.each(OVERLAYS)('%s: the API autoscaler carries the seed numbers', (overlay) => {
    const hpa = find(rendered[overlay], 'HorizontalPodAutoscaler', 'forms-api');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'forms-api' });
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.maxReplicas).toBe(50);
    const targets = Object.fromEntries(
      hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target]), // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    expect(targets).toEqual({
      cpu: { type: 'Utilization', averageUtilization: 70 },
      memory: { type: 'Utilization', averageUtilization: 80 },
    });
    expect(hpa.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 60,
        selectPolicy: 'Max',
        policies: [
          { type: 'Percent', value: 100, periodSeconds: 15 },
          { type: 'Pods', value: 4, periodSeconds: 15 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] },
    });
    // The HPA owns the count: a replicas field would be reset on every apply.
    expect(find(rendered[overlay], 'Deployment', 'forms-api').spec.replicas).toBeUndefined();
  });

  it.each(OVERLAYS)('%s: every app runs unprivileged, read-only, probed and sized', (overlay) => {
    for (const app of APPS) {
      const deployment = find(rendered[overlay], 'Deployment', app);
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      const [container] = pod.containers;
      expect(container.image).toMatch(new RegExp(`^formscale/${app}:(?!latest$)[\\w.-]+$`));
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(pod.automountServiceAccountToken).toBe(app === 'scaler');
    }
  });

  it.each(OVERLAYS)('%s: every app starts Node with the flags libs/config gives it', (overlay) => {
    for (const app of APPS) {
      const [container] = find(rendered[overlay], 'Deployment', app).spec.template.spec.containers;
      const nodeOptions = container.env?.find((variable: { name: string }) => variable.name === 'NODE_OPTIONS')?.value;
      const flags = nodeFlagsFor(app);
      expect({ app, nodeOptions }).toEqual({ app, nodeOptions: flags.length > 0 ? flags.join(' ') : undefined });
    }
  });

  it.each(OVERLAYS)('%s: the worker has longer to stop than its drain timeout', (overlay) => {
    const config = find(rendered[overlay], 'ConfigMap', 'formscale-config');
    const drainMs = Number(config.data?.['WORKER_DRAIN_TIMEOUT_MS']);
    expect(drainMs).toBe(25_000);
    const worker = find(rendered[overlay], 'Deployment', 'worker');
    expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs);
  });

  it.each(OVERLAYS)('%s: the scaler may only read and resize the worker Deployment', (overlay) => {
    const objects = rendered[overlay];
    const role = find(objects, 'Role', 'scaler');
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['worker'], verbs: ['get', 'patch', 'update'] },
    ]);
    find(objects, 'Deployment', 'worker');
    const binding = find(objects, 'RoleBinding', 'scaler');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'scaler' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'scaler', namespace: NAMESPACE }]);
    find(objects, 'ServiceAccount', 'scaler');
    expect(find(objects, 'Deployment', 'scaler').spec.template.spec.serviceAccountName).toBe('scaler');
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  it.each(OVERLAYS)('%s: the scaler reads a targets file mounted from a rendered ConfigMap, naming what its Role may scale', (overlay) => {
    const objects = rendered[overlay];
    const pod = find(objects, 'Deployment', 'scaler').spec.template.spec;
    const [container] = pod.containers;
    const configPath: string | undefined = container.env.find((e: { name: string }) => e.name === 'SCALER_CONFIG')?.value;
    const mount = (container.volumeMounts as { name: string; mountPath: string }[]).find(
      (m) => configPath?.startsWith(`${m.mountPath}/`),
    );
    const configMapName: string | undefined = pod.volumes.find((v: { name: string }) => v.name === mount?.name)?.configMap?.name;
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === configMapName);
    const text = mount && configPath ? configMap?.data?.[posix.relative(mount.mountPath, configPath)] : undefined;
    expect({ configPath, configMapName, hasFile: text !== undefined }).toEqual({
      configPath: expect.any(String),
      configMapName: expect.any(String),
      hasFile: true,
    });
    const dir = mkdtempSync(join(tmpdir(), 'formscale-k8s-scaler-'));
    try {
      const file = join(dir, 'scaler.yaml');
      writeFileSync(file, text as string);
      const backend = find(objects, 'ConfigMap', 'formscale-config').data?.['SCALER_BACKEND'] ?? '';
      const targets = checkScalerConfig(file, backend);
      expect(targets.map((t) => t.name)).toEqual(['worker']);
      const allowed = (find(objects, 'Role', 'scaler').rules ?? []).flatMap((rule) => rule.resourceNames ?? []);
      for (const target of targets) {
        find(objects, 'Deployment', target.resource);
        expect(allowed).toContain(target.resource);
        // KEDA owns the worker's count there; the scaler only reports.
        expect(target.backend).toBe(overlay === 'keda' ? 'dry-run' : 'kubernetes');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(OVERLAYS)('%s: Services, budgets and the Ingress point at pods and ports that exist', (overlay) => {
    const objects = rendered[overlay];
    const pods = podSpecs(objects).map(([o, spec]) => ({ labels: o.spec.template.metadata.labels, spec }));
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const targets = pods.filter((p) => matches(svc.spec.selector, p.labels));
      expect({ service: svc.metadata.name, pods: targets.length > 0 }).toEqual({ service: svc.metadata.name, pods: true });
      const portNames = targets.flatMap((p) => p.spec.containers.flatMap((c: any) => c.ports.map((x: any) => x.name))); // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const port of svc.spec.ports) expect(portNames).toContain(port.targetPort);
    }
    for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      expect(pods.some((p) => matches(pdb.spec.selector.matchLabels, p.labels))).toBe(true);
    }
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name).sort()).toEqual([
      'forms-api',
      'worker',
    ]);
    const ingress = find(objects, 'Ingress', 'formscale');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/limit-rps']).toBe('50');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(find(objects, 'Service', backend.name).spec.ports.map((p: { name: string }) => p.name)).toContain(
      backend.port.name,
    );
  });

  it.each(OVERLAYS)('%s: every ConfigMap and Secret a pod reads is rendered, or is the documented external Secret', (overlay) => {
    const objects = rendered[overlay];
    const names = new Set(objects.filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret').map((o) => o.metadata.name));
    const external = overlay === 'overlays/dev' ? [] : [EXTERNAL_SECRET];
    for (const [obj, spec] of podSpecs(objects)) {
      const volumeRefs: string[] = (spec.volumes ?? []).flatMap((v: any) => [v.configMap?.name, v.secret?.secretName]); // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const container of spec.containers) {
        const refs: string[] = [
          ...(container.envFrom ?? []).map((e: any) => (e.configMapRef ?? e.secretRef).name), // eslint-disable-line @typescript-eslint/no-explicit-any
          ...(container.env ?? []).flatMap((e: any) => [e.valueFrom?.secretKeyRef?.name, e.valueFrom?.configMapKeyRef?.name]), // eslint-disable-line @typescript-eslint/no-explicit-any
          ...volumeRefs,
        ].filter(Boolean);
        for (const ref of refs) {
          expect({ pod: obj.metadata.name, ref, found: names.has(ref) || external.includes(ref) }).toEqual({
            pod: obj.metadata.name,
            ref,
            found: true,
          });
        }
      }
    }
  });

  it.each(OVERLAYS)('%s: denies all traffic by default and lets the ingress controller reach the API', (overlay) => {
    const objects = rendered[overlay];
    expect(find(objects, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const fromIngress = find(objects, 'NetworkPolicy', 'forms-api-from-ingress');
    expect(fromIngress.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'ingress-nginx',
    });
  });

  it('dev runs PostgreSQL and Redis (AOF, noeviction) in the cluster and generates their Secret', () => {
    const dev = rendered['overlays/dev'];
    const redisArgs = find(dev, 'StatefulSet', 'redis').spec.template.spec.containers[0].args.join(' ');
    expect(redisArgs).toContain('--appendonly yes');
    expect(redisArgs).toContain('--maxmemory-policy noeviction');
    find(dev, 'StatefulSet', 'postgres');
    const secret = find(dev, 'Secret', EXTERNAL_SECRET);
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['DATABASE_REPLICA_URLS', 'DATABASE_URL', 'REDIS_URL']);
    expect(find(dev, 'ConfigMap', 'formscale-config').data?.['LOG_LEVEL']).toBe('debug');
  });

  it('prod renders no data stores and no Secret: managed services come in through the Secret you create', () => {
    const prod = rendered['overlays/prod'];
    expect(prod.filter((o) => o.kind === 'StatefulSet' || o.kind === 'Secret')).toEqual([]);
    expect(find(prod, 'ConfigMap', 'formscale-config').data?.['SCALER_BACKEND']).toBe('kubernetes');
    expect(prod.filter((o) => o.kind === 'ScaledObject')).toEqual([]);
  });

  it('the KEDA variant scales the worker with a ScaledObject and turns the scaler to dry-run', () => {
    const keda = rendered['keda'];
    const scaledObject = find(keda, 'ScaledObject', 'worker');
    expect(scaledObject.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' });
    expect(scaledObject.spec.triggers[0].metadata.query).toContain('queue_jobs{queue="submissions",state="waiting"}');
    expect(find(keda, 'ConfigMap', 'formscale-config').data?.['SCALER_BACKEND']).toBe('dry-run');
  });
});

describeWithKustomize('kustomize versions agree', () => {
  it('renders the same objects with every available kustomize', () => {
    const inventories = tools.map((tool) =>
      OVERLAYS.map((o) =>
        render(tool, o)
          .map((obj) => `${o} ${obj.kind}/${baseName(obj.metadata.name)}`)
          .sort(),
      ),
    );
    for (const inventory of inventories.slice(1)) expect(inventory).toEqual(inventories[0]);
  });
});

describe('base/secret.example.yaml', () => {
  it('is a valid Secret with the name and keys the apps read', () => {
    const secret = parse(readFileSync(join(K8S, 'base/secret.example.yaml'), 'utf8')) as Obj & {
      stringData: Record<string, string>;
    };
    expect(schemaProblems([secret])).toEqual([]);
    expect(secret.metadata.name).toBe(EXTERNAL_SECRET);
    expect(Object.keys(secret.stringData).sort()).toEqual(['DATABASE_REPLICA_URLS', 'DATABASE_URL', 'REDIS_URL']);
  });
});
