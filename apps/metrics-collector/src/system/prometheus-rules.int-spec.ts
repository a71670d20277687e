import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promtool, runPromtool, WORKSPACE } from './processes';

const PROMETHEUS = join(WORKSPACE, 'infra/prometheus');

describe('infra/prometheus', () => {
  it('ships configs (compose and local stack) promtool accepts', async () => {
    expect(await runPromtool(['check', 'config', join(PROMETHEUS, 'prometheus.yml')])).toMatch(/SUCCESS|skipped/);
    expect(await runPromtool(['check', 'config', join(PROMETHEUS, 'prometheus.local.yml')])).toMatch(/SUCCESS|skipped/);
  });

  it('ships rules promtool accepts, whose unit tests fire and hold every alert', async () => {
    expect(await runPromtool(['check', 'rules', join(PROMETHEUS, 'alerts.yml')])).toMatch(/SUCCESS|skipped/);
    const output = await runPromtool(['test', 'rules', join(PROMETHEUS, 'tests/alerts.test.yml')]);
    expect(output).toMatch(/SUCCESS|skipped/);
    const alerts = [...readFileSync(join(PROMETHEUS, 'alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((match) => match[1]);
    const tests = readFileSync(join(PROMETHEUS, 'tests/alerts.test.yml'), 'utf8');
    for (const alert of alerts) expect(tests).toContain(`alertname: ${alert}`);
  });

  it('ships a Grafana dashboard whose every query is valid PromQL', async () => {
    const dashboard = JSON.parse(readFileSync(join(WORKSPACE, 'infra/grafana/dashboards/formscale-overview.json'), 'utf8')) as {
      uid: string;
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBe('formscale-overview');
    const titles = dashboard.panels.map((panel) => panel.title).join('\n');
    for (const chart of ['Requests per second', 'p95 latency', 'Error rate', 'Instances', 'Queue depth', 'Oldest waiting job', 'Cache hit rate', 'Scaler decisions']) {
      expect(titles).toContain(chart);
    }
    // promtool parses every expression of a rules file: each panel query becomes a recording rule.
    const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    const rules = ['groups:', '  - name: grafana-panels', '    rules:']
      .concat(expressions.flatMap((expr, index) => [`      - record: panel:query_${index}`, `        expr: ${JSON.stringify(expr)}`]))
      .join('\n');
    const folder = mkdtempSync(join(tmpdir(), 'formscale-grafana-'));
    try {
      writeFileSync(join(folder, 'panels.yml'), `${rules}\n`);
      expect(await runPromtool(['check', 'rules', join(folder, 'panels.yml')])).toMatch(/SUCCESS|skipped/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('has unit tests that fail when a threshold is wrong', async () => {
    // Outside CI without promtool, runPromtool reports a skip; there is nothing to break here.
    if (promtool() === undefined) return;
    // The same rules with the p95 threshold at 5 s: the firing case must stop firing and the test fail.
    const folder = mkdtempSync(join(tmpdir(), 'formscale-alerts-'));
    try {
      writeFileSync(join(folder, 'alerts.yml'), readFileSync(join(PROMETHEUS, 'alerts.yml'), 'utf8').replace('> 0.5', '> 5'));
      copyFileSync(join(PROMETHEUS, 'tests/alerts.test.yml'), join(folder, 'alerts.test.yml'));
      const tests = readFileSync(join(folder, 'alerts.test.yml'), 'utf8').replace('../alerts.yml', 'alerts.yml');
      writeFileSync(join(folder, 'alerts.test.yml'), tests);
      await expect(runPromtool(['test', 'rules', join(folder, 'alerts.test.yml')])).rejects.toThrow(/HighLatencyP95/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

