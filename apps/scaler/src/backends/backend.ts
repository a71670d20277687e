import type { BackendName } from '../targets/scaler-targets';

/** Applies replica counts to whatever runs the target. */
export interface ScalingBackend {
  readonly name: BackendName;
  /** True when scaleTo changes nothing (dry-run): the loop then keeps no scale event in its history. */
  readonly changesNothing: boolean;
  /**
   * The replica count last set on the resource (the HPA's scale.spec.replicas).
   * `observed` is how many instances the snapshot heard from, for a backend that cannot ask anyone.
   */
  currentReplicas(resource: string, observed: number): Promise<number>;
  /** Sets the count; resolves once the control plane took it (local: once started or drained and stopped). */
  scaleTo(resource: string, replicas: number): Promise<void>;
  close(): Promise<void>;
}

export class BackendError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}
