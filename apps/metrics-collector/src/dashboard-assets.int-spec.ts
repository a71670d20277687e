import { collectorConfig, loadConfig } from '@formscale/config';
import { RunningApp, startApp } from '@formscale/observability/testing';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from './app.module';

/*
 * The dashboard's static files over HTTP: names that carry the hash of their
 * content with a year-long immutable lifetime, a page that is revalidated on
 * every load, and no other name served.
 */
const SOURCE = join(__dirname, 'assets', 'dashboard');
const env = { ...process.env, LOG_LEVEL: 'silent' };

async function page(url: string): Promise<{ cacheControl: string | null; js: string; css: string }> {
  const response = await fetch(url);
  const html = await response.text();
  const js = /src="\/dashboard\/(dashboard\.[0-9a-f]{16}\.js)"/.exec(html)?.[1];
  const css = /href="\/dashboard\/(dashboard\.[0-9a-f]{16}\.css)"/.exec(html)?.[1];
  if (js === undefined || css === undefined) throw new Error(`the page names no fingerprinted files:\n${html}`);
  return { cacheControl: response.headers.get('cache-control'), js, css };
}

describe('dashboard files under fingerprinted names', () => {
  const running: RunningApp[] = [];
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'formscale-dashboard-'));
    cpSync(SOURCE, dir, { recursive: true });
  });

  afterAll(async () => {
    await Promise.all(running.map((app) => app.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function collectorOn(folder: string): Promise<RunningApp> {
    const app = await startApp(AppModule.forRoot(loadConfig(collectorConfig, env), { dashboardDir: folder }));
    running.push(app);
    return app;
  }

  it('serves the page short-lived and each file it names as immutable, with the file as it is', async () => {
    const app = await collectorOn(dir);
    const names = await page(app.url);
    expect(names.cacheControl).toBe('no-cache');
    for (const [name, source, type] of [
      [names.js, 'dashboard.js', /^text\/javascript/],
      [names.css, 'dashboard.css', /^text\/css/],
    ] as const) {
      const response = await fetch(`${app.url}/dashboard/${name}`);
      expect({ name, status: response.status, cacheControl: response.headers.get('cache-control') }).toEqual({
        name,
        status: 200,
        cacheControl: 'public, max-age=31536000, immutable',
      });
      expect(response.headers.get('content-type')).toMatch(type);
      expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(join(SOURCE, source)))).toBe(true);
    }
  });

  it('answers 404 to a name it did not give out', async () => {
    const app = await collectorOn(dir);
    for (const name of ['dashboard.js', 'dashboard.0123456789abcdef.js', 'index.html', '..%2Fapp.module.ts']) {
      const response = await fetch(`${app.url}/dashboard/${name}`);
      await response.text();
      expect({ name, status: response.status }).toEqual({ name, status: 404 });
    }
  });

  it('gives a changed file a new name, keeps the unchanged one, and no longer serves the old name', async () => {
    const before = await page((await collectorOn(dir)).url);
    appendFileSync(join(dir, 'dashboard.js'), '\n// changed\n');
    const changed = await collectorOn(dir);
    const after = await page(changed.url);
    expect(after.js).not.toBe(before.js);
    expect(after.css).toBe(before.css);
    expect((await fetch(`${changed.url}/dashboard/${before.js}`)).status).toBe(404);
    expect(await (await fetch(`${changed.url}/dashboard/${after.js}`)).text()).toMatch(/\/\/ changed\n$/);
  });
});
