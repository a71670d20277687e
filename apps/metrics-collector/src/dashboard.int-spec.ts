import { collectorConfig, formsApiConfig, loadConfig } from '@formscale/config';
import { eventChannel, METRICS_SAMPLE, MetricsSample, SCALING_DECISION } from '@formscale/contracts';
import { closeEventTransport, createEventsClient, emitEvent, ObservabilityModule } from '@formscale/observability';
import { RunningApp, startApp } from '@formscale/observability/testing';
import { Queue } from 'bullmq';
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { AppModule } from './app.module';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const run = randomUUID().slice(0, 8);
const env = {
  LOG_LEVEL: 'silent',
  REDIS_URL,
  EVENTS_PREFIX: `test:${run}:`,
  QUEUE_PREFIX: `{test-${run}}`,
  SAMPLE_INTERVAL_MS: '300',
  SCALING_SYNC_INTERVAL_MS: '1000',
};
const SCREENSHOT = join(__dirname, '../../../reports/dashboard/metrics-collector.png');

jest.setTimeout(120_000);

describe('the dashboard in headless Chromium', () => {
  let collector: RunningApp;
  let api: RunningApp;
  let browser: Browser;
  const queue = new Queue('submissions', { connection: { url: REDIS_URL } as never, prefix: env.QUEUE_PREFIX });
  const events = createEventsClient(REDIS_URL);

  beforeAll(async () => {
    collector = await startApp(AppModule.forRoot(loadConfig(collectorConfig, env)));
    // What the forms-api is on this branch: health and metrics (an app may not import another app).
    api = await startApp(ObservabilityModule.forRoot('forms-api', loadConfig(formsApiConfig, { ...env, INSTANCE_ID: `forms-api-${run}` })));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await collector?.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await closeEventTransport(events);
  });

  it('draws data points on every chart once load is applied, and saves a screenshot', async () => {
    for (let i = 0; i < 200; i += 1) await fetch(`${api.url}/health/live`);
    await queue.add('submission', { probe: run }, { timestamp: Date.now() - 5_000 });
    await emitEvent(events, eventChannel(env.EVENTS_PREFIX, SCALING_DECISION), {
      target: 'forms-api',
      from: 1,
      to: 2,
      reason: 'cpu 90 % over target 70 %',
      metrics: { cpu: 90 },
      at: Date.now(),
    });
    // The bare app above has no cache and no database: a sample as those libraries' metrics send it.
    const librarySample: MetricsSample = {
      service: 'forms-api',
      instance: `cache-probe-${run}`,
      at: Date.now(),
      intervalMs: 300,
      counters: [
        { name: 'cache_requests_total', labels: { layer: 'l1', result: 'hit' }, delta: 90 },
        { name: 'cache_requests_total', labels: { layer: 'l1', result: 'miss' }, delta: 10 },
      ],
      histograms: [
        {
          name: 'db_query_duration_seconds',
          labels: { target: 'primary', role: 'primary' },
          buckets: [
            { le: 0.001, delta: 8 },
            { le: 0.01, delta: 10 },
            { le: '+Inf', delta: 10 },
          ],
          sum: 0.02,
          count: 10,
        },
      ],
      cpuPercent: 5,
      memoryPercent: 5,
      eventLoopLagSeconds: 0.001,
      final: true,
    };
    await emitEvent(events, eventChannel(env.EVENTS_PREFIX, METRICS_SAMPLE), librarySample);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(collector.url);
    const charts = await page.locator('canvas[data-chart]').evaluateAll((canvases) => canvases.map((canvas) => canvas.getAttribute('data-chart')));
    expect(charts.sort()).toEqual(['cache', 'db-p95', 'decisions', 'errors', 'instances', 'p95', 'queue-age', 'queue-depth', 'rate']);
    // Every chart has drawn at least one point: the page polls, and points arrive each sample period.
    // A string, evaluated in the page: this project's TypeScript has no DOM types.
    await page.waitForFunction(
      `[...document.querySelectorAll('canvas[data-chart]')].every((canvas) => Number(canvas.dataset.points) > 0)`,
      undefined,
      { timeout: 60_000, polling: 250 },
    );
    const status = await page.locator('#status').textContent();
    expect(status).toMatch(/^updated /);
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('serves only the dashboard\'s own files', async () => {
    const script = /src="(\/dashboard\/dashboard\.[0-9a-f]+\.js)"/.exec(await (await fetch(collector.url)).text())?.[1];
    expect((await fetch(`${collector.url}${script}`)).headers.get('content-type')).toMatch(/javascript/);
    const response = await fetch(`${collector.url}/dashboard/..%2Fapp.module.ts`);
    expect(response.status).toBe(404);
  });
});
