import { RATE_LIMIT_SUBMISSIONS } from '@formscale/config';
import { DEFAULT_RATE_LIMITS, LIFTED_RATE_LIMITS, type RateLimits } from '@formscale/infra/nginx';
import { StackError } from './stack-error';

/**
 * What `npm start` runs for: `default` is the system as deployed; `loadtest`
 * lifts the per-address rate limits (nginx's zones and the API's submission
 * limit), because every request of a load test on this machine comes from one
 * address and those limits would answer 429 to nearly all of it.
 */
export const STACK_PROFILES = ['default', 'loadtest'] as const;
export type StackProfileName = (typeof STACK_PROFILES)[number];

export interface StackProfile {
  name: StackProfileName;
  /** nginx's per-address limits, rendered into rate-limits.conf. */
  nginxRateLimits: RateLimits;
  /** Variables the apps get unless the environment sets them itself. */
  appDefaults: Record<string, string>;
}

const PROFILES: Record<StackProfileName, Omit<StackProfile, 'name'>> = {
  default: { nginxRateLimits: DEFAULT_RATE_LIMITS, appDefaults: {} },
  loadtest: {
    nginxRateLimits: LIFTED_RATE_LIMITS,
    // The most the variable takes: more submissions than one run sends.
    appDefaults: { [RATE_LIMIT_SUBMISSIONS.name]: '1000000000' },
  },
};

export function readStackProfile(env: NodeJS.ProcessEnv = process.env): StackProfile {
  const name = env['STACK_PROFILE'] || 'default';
  if (!(STACK_PROFILES as readonly string[]).includes(name)) {
    throw new StackError(`STACK_PROFILE must be one of ${STACK_PROFILES.join(', ')} (got "${name}"), e.g. STACK_PROFILE=loadtest npm start`);
  }
  return { name: name as StackProfileName, ...PROFILES[name as StackProfileName] };
}

/**
 * Sets the profile's app variables in `env` (which the apps inherit) where it
 * does not set them already; returns a line saying what the profile changed.
 */
export function applyStackProfile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const profile = readStackProfile(env);
  if (profile.name === 'default') return undefined;
  const applied: string[] = [];
  for (const [name, value] of Object.entries(profile.appDefaults)) {
    if (env[name] !== undefined && env[name] !== '') {
      applied.push(`${name} kept at ${env[name]} as the environment sets it`);
      continue;
    }
    env[name] = value;
    applied.push(`${name}=${value}`);
  }
  const limits = profile.nginxRateLimits;
  return (
    `profile ${profile.name}: nginx rate limits ${limits.readPerSecond} reads/s and ${limits.writePerSecond} writes/s per address` +
    `${applied.length > 0 ? `, ${applied.join(', ')}` : ''}. Not for a system open to the internet.`
  );
}
