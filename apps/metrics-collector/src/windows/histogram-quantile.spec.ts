import { bucketIndex, histogramQuantile } from './histogram-quantile';

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates linearly inside the bucket where the rank falls, as Prometheus does', () => {
    // rank 95 lies in (0.5, 1]: 5 of the bucket's 10 observations -> halfway.
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75, 10);
    // rank 50 is exactly the first bucket's count: its upper bound.
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1, 10);
    // rank 25 in the first bucket interpolates from 0.
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05, 10);
  });

  it('answers the highest finite bound when the rank falls in +Inf', () => {
    expect(histogramQuantile(0.99, [{ le: 0.1, count: 1 }, { le: Infinity, count: 10 }])).toBe(0.1);
  });

  it('answers null for an empty histogram', () => {
    expect(histogramQuantile(0.95, [{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }])).toBeNull();
  });

  it('takes buckets in any order', () => {
    expect(histogramQuantile(0.95, [...buckets].reverse())).toBeCloseTo(0.75, 10);
  });
});

describe('bucketIndex', () => {
  it('puts a value in the first bucket whose bound holds it', () => {
    expect(bucketIndex(0.0004, [0.001, 0.01])).toBe(0);
    expect(bucketIndex(0.001, [0.001, 0.01])).toBe(0);
    expect(bucketIndex(0.002, [0.001, 0.01])).toBe(1);
    expect(bucketIndex(5, [0.001, 0.01])).toBe(2);
  });
});
