import { loadConfig, workerConfig } from '@formscale/config';
import { eventChannel, METRICS_SAMPLE, MetricsSample, metricsSampleSchema } from '@formscale/contracts';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { ObservabilityModule } from './observability.module';
import { RunningApp, startApp } from './testing';

describe('HTTP metrics and the sample publisher', () => {
  const prefix = `test:${randomUUID()}:`;
  const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const samples: MetricsSample[] = [];
  let app: RunningApp;

  beforeAll(async () => {
    await subscriber.subscribe(eventChannel(prefix, METRICS_SAMPLE));
    subscriber.on('message', (_channel, message: string) => {
      // Nest's Redis transport wraps the payload in a {pattern, data} packet.
      const packet = JSON.parse(message) as { pattern: string; data: unknown };
      samples.push(metricsSampleSchema.parse(packet.data));
    });
    const config = loadConfig(workerConfig, { LOG_LEVEL: 'silent', EVENTS_PREFIX: prefix, SAMPLE_INTERVAL_MS: '200' });
    app = await startApp(ObservabilityModule.forRoot('probe', config));
  });
  afterAll(async () => {
    await app.close();
    subscriber.disconnect();
  });

  function requestsCounted(route: string): number {
    return samples
      .flatMap((sample) => sample.counters)
      .filter((counter) => counter.name === 'http_requests_total' && counter.labels.route === route)
      .reduce((sum, counter) => sum + counter.delta, 0);
  }

  it('labels requests by route template, unmatched ones as "unmatched", never by raw path', async () => {
    for (let i = 0; i < 3; i += 1) expect((await fetch(`${app.url}/health/live?i=${i}`)).status).toBe(200);
    expect((await fetch(`${app.url}/no/such/path/${randomUUID()}`)).status).toBe(404);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/health\/live",status="200",service="probe",instance="[^"]+"\} 3$/m);
    expect(text).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404",/m);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0.1",service="probe",instance="[^"]+",method="GET",route="\/health\/live",status="200"\} 3$/m);
    expect(text).not.toContain('/no/such/path');
    expect(text).toMatch(/^cpu_usage_percent\{service="probe",instance="[^"]+"\} \d/m);
    expect(text).toMatch(/^memory_usage_percent\{service="probe",instance="[^"]+"\} \d/m);
  });

  it('publishes counter and bucket deltas that add up to the totals, and a final sample on shutdown', async () => {
    while (requestsCounted('/health/live') < 3 || requestsCounted('unmatched') < 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requestsCounted('/health/live')).toBe(3);
    expect(requestsCounted('unmatched')).toBe(1);
    const live = samples
      .flatMap((sample) => sample.histograms)
      .filter((histogram) => histogram.name === 'http_request_duration_seconds' && histogram.labels.route === '/health/live');
    const infBucket = live.flatMap((histogram) => histogram.buckets).filter((bucket) => bucket.le === '+Inf');
    expect(infBucket.reduce((sum, bucket) => sum + bucket.delta, 0)).toBe(3);
    expect(samples[0]).toMatchObject({ service: 'probe', final: false });
    expect(samples.every((sample) => sample.memoryPercent > 0 && sample.memoryPercent < 100)).toBe(true);

    await fetch(`${app.url}/health/live`);
    await app.close();
    app = { url: app.url, close: async () => undefined };
    while (!samples.some((sample) => sample.final)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requestsCounted('/health/live')).toBe(4);
  });
});
