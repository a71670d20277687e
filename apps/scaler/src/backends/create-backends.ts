import type { BackendName, ScalerTarget } from '../targets/scaler-targets';
import type { ScalingBackend } from './backend';
import { DryRunBackend } from './dry-run-backend';
import { KubernetesBackend, kubernetesConnectionFromEnvironment } from './kubernetes-backend';
import { LocalBackend } from './local-backend';
import { SwarmBackend, swarmConnectionFromEnvironment } from './swarm-backend';

/** One backend per kind the targets use, made from the environment's credentials (KUBECONFIG, DOCKER_HOST, ...). */
export function createBackends(targets: ScalerTarget[], env: NodeJS.ProcessEnv = process.env): Map<BackendName, ScalingBackend> {
  const backends = new Map<BackendName, ScalingBackend>();
  for (const { config } of targets) {
    if (backends.has(config.backend)) continue;
    switch (config.backend) {
      case 'dry-run':
        backends.set('dry-run', new DryRunBackend());
        break;
      case 'kubernetes':
        backends.set('kubernetes', new KubernetesBackend(kubernetesConnectionFromEnvironment(env)));
        break;
      case 'swarm':
        backends.set('swarm', new SwarmBackend(swarmConnectionFromEnvironment(env)));
        break;
      case 'local':
        backends.set('local', new LocalBackend({ env }));
        break;
    }
  }
  return backends;
}
