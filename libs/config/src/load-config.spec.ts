import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config';
import { formsApiConfig, workerConfig } from './app-configs';
import * as variables from './variables';

function problemsFor(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(formsApiConfig, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives the local stack defaults when nothing is set', () => {
    const config = loadConfig(formsApiConfig, {});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'postgres://postgres@127.0.0.1:5433/formscale',
      replicaUrls: ['postgres://postgres@127.0.0.1:5434/formscale', 'postgres://postgres@127.0.0.1:5435/formscale'],
      queuePrefix: '{formscale}',
      logLevel: 'info',
    });
    expect(loadConfig(workerConfig, {}).port).toBe(3001);
  });

  it('parses valid values into their types', () => {
    const config = loadConfig(formsApiConfig, {
      FORMS_API_PORT: ' 8080 ',
      DATABASE_REPLICA_URLS: 'postgresql://a@r1:5432/f, postgres://a@r2/f ,',
      LOG_LEVEL: 'debug',
    });
    expect(config.port).toBe(8080);
    expect(config.replicaUrls).toEqual(['postgresql://a@r1:5432/f', 'postgres://a@r2/f']);
    expect(config.logLevel).toBe('debug');
  });

  it('takes an empty replica list to mean reads go to the primary', () => {
    expect(loadConfig(formsApiConfig, { DATABASE_REPLICA_URLS: '' }).replicaUrls).toEqual([]);
  });

  const badValues: Array<[string, string, RegExp]> = [
    ['FORMS_API_PORT', 'abc', /expected an integer from 1 to 65535/],
    ['FORMS_API_PORT', '0', /expected an integer/],
    ['FORMS_API_PORT', '70000', /expected an integer/],
    ['FORMS_API_PORT', '3000.5', /expected an integer/],
    ['FORMS_API_PORT', '', /got ""/],
    ['REDIS_URL', 'localhost:6379', /expected a redis:\/\/ or rediss:\/\/ URL/],
    ['REDIS_URL', 'http://127.0.0.1:6379', /expected a redis/],
    ['DATABASE_URL', 'mysql://root@db/forms', /expected a postgres:\/\/ or postgresql:\/\/ URL/],
    ['DATABASE_URL', 'not a url', /expected a postgres/],
    ['DATABASE_REPLICA_URLS', 'postgres://a@r1/f,redis://r2', /comma-separated list of postgres/],
    ['LOG_LEVEL', 'verbose', /one of fatal, error, warn, info, debug, trace, silent/],
    ['NODE_ENV', 'staging', /one of development, production, test/],
    ['QUEUE_PREFIX', 'formscale', /hash tag in braces/],
    ['HEALTH_CHECK_TIMEOUT_MS', '10', /from 50 to 60000/],
    ['SHUTDOWN_GRACE_MS', '-1', /from 0 to 120000/],
    ['HOST', '   ', /a host name or IP address/],
  ];

  it.each(badValues)('rejects %s=%j with one line naming it', (name, value, expected) => {
    const problems = problemsFor({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
    expect(problems[0]).toMatch(expected);
    expect(problems[0]).toContain(`got ${JSON.stringify(value)}`);
    expect(problems[0]).toMatch(new RegExp(`for example ${name}=\\S+`));
  });

  it('reports every bad variable at once, one line each', () => {
    const problems = problemsFor({ FORMS_API_PORT: 'x', REDIS_URL: 'y', LOG_LEVEL: 'z' });
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual(['FORMS_API_PORT', 'LOG_LEVEL', 'REDIS_URL']);
  });
});

describe('.env.example', () => {
  const example = readFileSync(join(__dirname, '../../../.env.example'), 'utf8');

  it.each(Object.values(variables).map((variable) => [variable.name, variable] as const))(
    'documents %s with its default',
    (name, variable) => {
      const line = example.split('\n').find((candidate) => candidate.replace(/^#\s*/, '').startsWith(`${name}=`));
      expect(line).toBeDefined();
      expect(line?.replace(/^#\s*/, '')).toBe(`${name}=${variable.default ?? ''}`);
    },
  );
});
