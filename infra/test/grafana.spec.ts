import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { INFRA_ROOT, readJson } from './support/repo';

/** The metrics the apps export (DESIGN.md, Names); a dashboard query naming anything else shows nothing. */
const KNOWN_METRICS = [
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'queue_jobs',
  'cache_requests_total',
  'db_queries_total',
  'db_query_duration_seconds_bucket',
  'scaler_desired_replicas',
];
const PROMQL_FUNCTIONS = new Set(['sum', 'rate', 'histogram_quantile', 'clamp_min', 'max', 'by', 'le']);

interface Panel {
  title: string;
  datasource: { type: string; uid: string };
  targets: { expr: string; datasource: { uid: string } }[];
}

describe('Grafana provisioning', () => {
  const dashboard = readJson<{ uid: string; panels: Panel[] }>(join(INFRA_ROOT, 'grafana/dashboards/formscale.json'));
  const datasources = parse(readFileSync(join(INFRA_ROOT, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
    datasources: { uid: string; type: string; url: string }[];
  };

  it('has the panels the system is judged by: request rate, p95, error rate, queue depth', () => {
    const titles = dashboard.panels.map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['Request rate', 'p95 latency', 'Error rate', 'Queue depth']));
    const byTitle = Object.fromEntries(dashboard.panels.map((p) => [p.title, p.targets.map((t) => t.expr).join(' ')]));
    expect(byTitle['p95 latency']).toContain('histogram_quantile(0.95');
    expect(byTitle['Error rate']).toContain('status=~"5.."');
    expect(byTitle['Queue depth']).toContain('queue_jobs');
  });

  it('queries only the provisioned Prometheus, by its uid', () => {
    const [prometheus] = datasources.datasources;
    expect(prometheus.type).toBe('prometheus');
    expect(prometheus.url).toBe('http://prometheus:9090');
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe(prometheus.uid);
      for (const target of panel.targets) expect(target.datasource.uid).toBe(prometheus.uid);
    }
  });

  it('names only metrics the apps export', () => {
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const withoutLabels = expr
          .replace(/\{[^}]*\}/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .replace(/\d[\d.]*(e[-+]?\d+)?/g, '');
        const identifiers = withoutLabels.match(/[a-z_][a-z0-9_]*/g) ?? [];
        const metrics = identifiers.filter(
          (id) => !PROMQL_FUNCTIONS.has(id) && !/^(route|queue|state|layer|target|role)$/.test(id),
        );
        expect({ panel: panel.title, unknown: metrics.filter((m) => !KNOWN_METRICS.includes(m)) }).toEqual({
          panel: panel.title,
          unknown: [],
        });
      }
    }
  });
});
