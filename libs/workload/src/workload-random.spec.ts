import { seededRandom, zipfSampler } from './workload-random';

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed, always in [0, 1)', () => {
    const take = (seed: number) => Array.from({ length: 1_000 }, seededRandom(seed));
    const first = take(42);

    expect(take(42)).toEqual(first);
    expect(take(43)).not.toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
    // Close to uniform: each tenth of the range holds about a tenth of the draws.
    const tenths = new Array<number>(10).fill(0);
    for (const value of first) tenths[Math.floor(value * 10)] += 1;
    expect(Math.min(...tenths)).toBeGreaterThan(60);
    expect(Math.max(...tenths)).toBeLessThan(140);
  });
});

describe('zipfSampler', () => {
  it('draws rank k about 1/(k+1) as often as rank 0 for s = 1', () => {
    const draw = zipfSampler(100, 1, seededRandom(7));
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 100_000; i++) counts[draw()] += 1;

    // Rank 0 takes 1/H(100) ≈ 19 % of the draws; rank 9 a tenth of that.
    expect(counts[0] / 100_000).toBeCloseTo(0.193, 1);
    expect(counts[0] / counts[9]).toBeGreaterThan(8);
    expect(counts[0] / counts[9]).toBeLessThan(12);
    expect(counts.every((count) => count > 0)).toBe(true);
  });

  it('spreads evenly for s = 0 and always answers 0 for one rank', () => {
    const even = zipfSampler(4, 0, seededRandom(1));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[even()] += 1;
    expect(Math.min(...counts)).toBeGreaterThan(9_000);
    const single = zipfSampler(1, 1, seededRandom(1));
    expect(Array.from({ length: 10 }, single)).toEqual(new Array(10).fill(0));
  });

  it('refuses a rank count that is not a positive integer', () => {
    expect(() => zipfSampler(0, 1, Math.random)).toThrow(/n >= 1, got 0/);
    expect(() => zipfSampler(2.5, 1, Math.random)).toThrow(/n >= 1/);
  });
});
