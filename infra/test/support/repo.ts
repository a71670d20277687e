import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const WORKSPACE_ROOT = join(__dirname, '../../..');
export const INFRA_ROOT = join(WORKSPACE_ROOT, 'infra');

/** The apps of the workspace: every apps/<name> with a project.json. */
export function workspaceApps(): string[] {
  const appsDir = join(WORKSPACE_ROOT, 'apps');
  return readdirSync(appsDir).filter((name) => existsSync(join(appsDir, name, 'project.json')));
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
