import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, run } from './system-tools';
import { WORKSPACE_ROOT } from './repo';

export interface KustomizeTool {
  /** Where the tool came from and which kustomize it embeds. */
  label: string;
  build(dir: string): string;
}

// Debian's kubernetes-client (kubectl 1.20, kustomize v2.0.3): the oldest
// kustomize the manifests promise to work with, fetched into the workspace's
// git-ignored .data/ by apt-get download, so it needs no root and no install.
const DEBIAN_PACKAGE = 'kubernetes-client';
const TOOLS_DIR = join(WORKSPACE_ROOT, '.data/tools');
const DEBIAN_KUBECTL_ROOT = join(TOOLS_DIR, DEBIAN_PACKAGE);
const DEBIAN_KUBECTL = join(DEBIAN_KUBECTL_ROOT, 'usr/bin/kubectl');

function kubectlTool(path: string, label: string): KustomizeTool {
  return {
    label,
    build: (dir) => {
      const result = run(path, ['kustomize', dir], { timeoutMs: 120_000 });
      if (result.status !== 0) throw new Error(`${label}: kubectl kustomize ${dir} failed:\n${result.stderr}`);
      return result.stdout;
    },
  };
}

/** Fetches and unpacks Debian's kubectl once; returns null (with the reason) when apt cannot. */
function debianKubectl(): { path: string | null; problem?: string } {
  if (existsSync(DEBIAN_KUBECTL)) return { path: DEBIAN_KUBECTL };
  if (!findExecutable('apt-get') || !findExecutable('dpkg-deb')) return { path: null, problem: 'apt-get is not available' };
  mkdirSync(TOOLS_DIR, { recursive: true });
  const work = mkdtempSync(join(TOOLS_DIR, 'download-'));
  try {
    const download = run('apt-get', ['download', DEBIAN_PACKAGE], { cwd: work, timeoutMs: 300_000 });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (download.status !== 0 || !deb) {
      return { path: null, problem: `apt-get download ${DEBIAN_PACKAGE} failed: ${download.stderr.trim()}` };
    }
    const unpacked = join(work, 'root');
    const extract = run('dpkg-deb', ['-x', join(work, deb), unpacked]);
    if (extract.status !== 0) return { path: null, problem: `dpkg-deb -x failed: ${extract.stderr.trim()}` };
    // Another test run may have finished first; either copy is the same package.
    if (!existsSync(DEBIAN_KUBECTL_ROOT)) renameSync(unpacked, DEBIAN_KUBECTL_ROOT);
    return { path: DEBIAN_KUBECTL };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function kustomizeVersion(kubectl: string): string {
  const out = run(kubectl, ['version', '--client'], { timeoutMs: 30_000 }).stdout;
  const kustomize = /Kustomize Version: (\S+)/.exec(out)?.[1];
  const client = /(?:Client Version: |GitVersion:")(v[\d.]+)/.exec(out)?.[1] ?? 'unknown';
  return `kubectl ${client}, kustomize ${kustomize ?? 'v2.0.3 (built in)'}`;
}

/**
 * Every kustomize available: Debian's (fetched if need be) and the kubectl on
 * PATH if there is one. The manifests must render the same with each.
 */
export function kustomizeTools(): { tools: KustomizeTool[]; problems: string[] } {
  const tools: KustomizeTool[] = [];
  const problems: string[] = [];
  const debian = debianKubectl();
  if (debian.path) tools.push(kubectlTool(debian.path, `Debian ${DEBIAN_PACKAGE} (${kustomizeVersion(debian.path)})`));
  else problems.push(debian.problem ?? 'Debian kubectl unavailable');
  const onPath = findExecutable('kubectl');
  if (onPath && run(onPath, ['kustomize', '--help'], { timeoutMs: 30_000 }).status === 0) {
    tools.push(kubectlTool(onPath, `${onPath} (${kustomizeVersion(onPath)})`));
  }
  return { tools, problems };
}
