import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and refuses calls during the pause', () => {
    const breaker = new CircuitBreaker(3, 1_000);
    breaker.recordFailure(0);
    breaker.recordFailure(0);
    expect(breaker.allowRequest(0)).toBe(true);
    breaker.recordFailure(0);

    expect(breaker.current).toBe('open');
    expect(breaker.allowRequest(999)).toBe(false);
  });

  it('a success resets the count, so only consecutive failures open it', () => {
    const breaker = new CircuitBreaker(2, 1_000);
    breaker.recordFailure(0);
    breaker.recordSuccess();
    breaker.recordFailure(0);
    expect(breaker.current).toBe('closed');
  });

  it('lets one probe through after the pause; its success closes the breaker', () => {
    const changes: string[] = [];
    const breaker = new CircuitBreaker(1, 1_000, (state) => changes.push(state));
    breaker.recordFailure(0);

    expect(breaker.allowRequest(1_000)).toBe(true);
    expect(breaker.allowRequest(1_000)).toBe(false);
    breaker.recordSuccess();

    expect(breaker.current).toBe('closed');
    expect(breaker.allowRequest(1_001)).toBe(true);
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed probe reopens it for another pause', () => {
    const breaker = new CircuitBreaker(1, 1_000);
    breaker.recordFailure(0);
    expect(breaker.allowRequest(1_000)).toBe(true);
    breaker.recordFailure(1_000);

    expect(breaker.current).toBe('open');
    expect(breaker.allowRequest(1_999)).toBe(false);
    expect(breaker.allowRequest(2_000)).toBe(true);
  });
});
