import type { EnvVar } from './env-var';

export type ConfigSpec = Record<string, EnvVar<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

type Env = Record<string, string | undefined>;

/** Every variable that failed, one line each, so a person can fix them all at once. */
export class ConfigError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

function describeProblem(variable: EnvVar<unknown>, raw: string | undefined): string {
  const got = raw === undefined ? 'it is not set' : `got ${JSON.stringify(raw)}`;
  return `${variable.name}: expected ${variable.expected}, ${got} (for example ${variable.name}=${variable.example})`;
}

/** Parses the variables a process needs; throws one ConfigError naming every bad one. */
export function loadConfig<S extends ConfigSpec>(spec: S, env: Env = process.env): ConfigOf<S> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(spec)) {
    const raw = env[variable.name];
    const input = raw === undefined ? variable.default : raw;
    const parsed = input === undefined ? undefined : variable.schema.safeParse(input);
    if (parsed?.success) {
      values[key] = parsed.data;
    } else {
      problems.push(describeProblem(variable, raw));
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return values as ConfigOf<S>;
}

/**
 * For a process's entry point: a bad environment is the operator's to fix, so
 * it gets one line per variable on stderr and exit code 78 (EX_CONFIG), not a
 * stack trace.
 */
export function loadConfigOrExit<S extends ConfigSpec>(spec: S, env: Env = process.env): ConfigOf<S> {
  try {
    return loadConfig(spec, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.lines) {
        process.stderr.write(`Invalid configuration: ${line}\n`);
      }
      process.exit(78);
    }
    throw error;
  }
}
