import { loadConfig, workerConfig } from '@formscale/config';
import { readiness, RunningApp, startApp } from './testing';
import { ObservabilityModule } from './observability.module';

describe('ObservabilityModule in an app', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(ObservabilityModule.forRoot('probe', loadConfig(workerConfig, { LOG_LEVEL: 'silent' })));
  });
  afterAll(() => app.close());

  it('echoes a caller X-Request-Id and makes one when absent', async () => {
    const given = await fetch(`${app.url}/health/live`, { headers: { 'X-Request-Id': 'trace-42' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const made = await fetch(`${app.url}/health/live`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves Prometheus text with the service label', async () => {
    const response = await fetch(`${app.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toMatch(/^nodejs_eventloop_lag_seconds\{service="probe",instance="probe-/m);
  });

  it('reports each dependency by name when ready', async () => {
    const { status, body } = await readiness(app.url);
    expect(status).toBe(200);
    expect(Object.keys(body.info ?? {}).sort()).toEqual(['lifecycle', 'postgres', 'redis']);
  });
});
