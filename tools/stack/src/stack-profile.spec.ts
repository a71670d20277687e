import { formsApiConfig, loadConfig } from '@formscale/config';
import { DEFAULT_RATE_LIMITS, LIFTED_RATE_LIMITS, renderRateLimitsConfig } from '@formscale/infra/nginx';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeProxySpec } from './edge-proxy';
import { StackError } from './stack-error';
import { applyStackProfile, readStackProfile } from './stack-profile';

describe('the stack profile of npm start', () => {
  it('keeps the deployed limits by default', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(readStackProfile(env)).toMatchObject({ name: 'default', nginxRateLimits: DEFAULT_RATE_LIMITS });
    expect(applyStackProfile(env)).toBeUndefined();
    expect(env).toEqual({});
  });

  it('loadtest lifts the API submission limit to a value the API accepts, and says so', () => {
    const env: NodeJS.ProcessEnv = { STACK_PROFILE: 'loadtest' };
    expect(readStackProfile(env).nginxRateLimits).toEqual(LIFTED_RATE_LIMITS);
    expect(applyStackProfile(env)).toMatch(/profile loadtest: .*RATE_LIMIT_SUBMISSIONS=1000000000/);
    expect(loadConfig(formsApiConfig, env).rateLimitSubmissions).toBe(1_000_000_000);
  });

  it('leaves a limit the environment sets itself', () => {
    const env: NodeJS.ProcessEnv = { STACK_PROFILE: 'loadtest', RATE_LIMIT_SUBMISSIONS: '5000' };
    expect(applyStackProfile(env)).toMatch(/RATE_LIMIT_SUBMISSIONS kept at 5000 as the environment sets it/);
    expect(env['RATE_LIMIT_SUBMISSIONS']).toBe('5000');
  });

  it('rejects an unknown profile with the ones it knows', () => {
    expect(() => readStackProfile({ STACK_PROFILE: 'fast' })).toThrow(StackError);
    expect(() => readStackProfile({ STACK_PROFILE: 'fast' })).toThrow(/^STACK_PROFILE must be one of default, loadtest \(got "fast"\)/);
  });
});

describe("npm start's nginx under a profile", () => {
  let root: string;
  const saved = process.env['STACK_PROFILE'];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'stack-profile-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env['STACK_PROFILE'];
    else process.env['STACK_PROFILE'] = saved;
  });

  const renderedLimits = () => {
    edgeProxySpec('/usr/sbin/nginx', root, { upstreams: ['127.0.0.1:3000'], port: 8080, statusPort: 8081 });
    return readFileSync(join(root, '.data', 'nginx', 'rate-limits.conf'), 'utf8');
  };

  it('renders the lifted zones with STACK_PROFILE=loadtest', () => {
    process.env['STACK_PROFILE'] = 'loadtest';
    expect(renderedLimits()).toBe(renderRateLimitsConfig(LIFTED_RATE_LIMITS));
  });

  it('renders the deployed zones without a profile', () => {
    delete process.env['STACK_PROFILE'];
    expect(renderedLimits()).toBe(renderRateLimitsConfig(DEFAULT_RATE_LIMITS));
  });
});
