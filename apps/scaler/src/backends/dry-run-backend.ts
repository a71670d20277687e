import type { ScalingBackend } from './backend';

/** Decides and reports, changes nothing: what is running is what the snapshot saw. */
export class DryRunBackend implements ScalingBackend {
  readonly name = 'dry-run' as const;
  readonly changesNothing = true;

  async currentReplicas(_resource: string, observed: number): Promise<number> {
    return observed;
  }

  async scaleTo(): Promise<void> {
    return undefined;
  }

  async close(): Promise<void> {
    return undefined;
  }
}
