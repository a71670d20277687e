type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Stops calls to a failing dependency: after `failureThreshold` consecutive failures it
 * opens for `pauseMs`, then lets a single probe through; the probe's outcome closes or
 * reopens it. Time is passed in so the state machine is testable without waiting.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openUntil = 0;
  private probeInFlight = false;

  constructor(
    private readonly failureThreshold: number,
    private readonly pauseMs: number,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
  ) {}

  get current(): BreakerState {
    return this.state;
  }

  allowRequest(now: number): boolean {
    if (this.state === 'closed') {
      return true;
    }
    if (this.state === 'open') {
      if (now < this.openUntil) {
        return false;
      }
      this.transition('half-open');
    }
    if (this.probeInFlight) {
      return false;
    }
    this.probeInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    if (this.state !== 'closed') {
      this.probeInFlight = false;
      this.transition('closed');
    }
  }

  recordFailure(now: number): void {
    this.failures++;
    if (this.state === 'half-open' || this.failures >= this.failureThreshold) {
      this.probeInFlight = false;
      this.openUntil = now + this.pauseMs;
      if (this.state !== 'open') {
        this.transition('open');
      }
    }
  }

  private transition(state: BreakerState): void {
    this.state = state;
    this.onChange(state);
  }
}
