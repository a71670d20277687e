import { scalerConfig, loadConfig } from '@formscale/config';
import { closedPort, readiness, RunningApp, startApp } from '@formscale/observability/testing';
import { join } from 'node:path';
import { AppModule } from './app.module';

describe('scaler boots', () => {
  // Jest runs in the project folder, not the repository root that the default path is relative to.
  const env = { ...process.env, LOG_LEVEL: 'silent', SCALER_CONFIG: join(__dirname, '../scaler.yaml'), SCALER_BACKEND: 'dry-run' };
  const running: RunningApp[] = [];
  afterAll(() => Promise.all(running.map((app) => app.close())));

  it('is live, and ready against the real Redis and PostgreSQL', async () => {
    const app = await startApp(AppModule.forRoot(loadConfig(scalerConfig, env)));
    running.push(app);
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    const { status, body } = await readiness(app.url);
    expect(body.info).toMatchObject({ redis: { status: 'up' }, postgres: { status: 'up' } });
    expect(status).toBe(200);
    expect(await (await fetch(`${app.url}/metrics`)).text()).toMatch(/process_cpu_seconds_total\{service="scaler"/);
  });

  it('answers 503 naming redis when Redis is unreachable', async () => {
    const redisUrl = `redis://127.0.0.1:${await closedPort()}`;
    const app = await startApp(AppModule.forRoot(loadConfig(scalerConfig, { ...env, REDIS_URL: redisUrl })));
    running.push(app);
    const { status, body } = await readiness(app.url);
    expect(status).toBe(503);
    expect(body.error).toHaveProperty('redis.status', 'down');
    expect(body.info).toHaveProperty('postgres.status', 'up');
  });
});
