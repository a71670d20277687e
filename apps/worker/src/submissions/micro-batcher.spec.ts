import { MicroBatcher } from './micro-batcher';

class Transient extends Error {}

describe('MicroBatcher', () => {
  it('writes full batches of maxItems, and each caller gets its own result', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      maxItems: 3,
      maxWaitMs: 60_000,
      write: async (items) => {
        batches.push([...items]);
        return items.map((item) => item * 10);
      },
      isTransient: () => false,
    });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((item) => batcher.add(item)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('writes a partial batch when maxWaitMs passes', async () => {
    const batcher = new MicroBatcher<number, string>({
      maxItems: 100,
      maxWaitMs: 5,
      write: async (items) => items.map(String),
      isTransient: () => false,
    });
    expect(await batcher.add(7)).toBe('7');
  });

  it('keeps a batch through transient failures until it is written', async () => {
    let calls = 0;
    const batcher = new MicroBatcher<number, number>({
      maxItems: 2,
      maxWaitMs: 1,
      write: async (items) => {
        calls += 1;
        if (calls < 3) throw new Transient('database down');
        return [...items];
      },
      isTransient: (error) => error instanceof Transient,
    });
    expect(await Promise.all([batcher.add(1), batcher.add(2)])).toEqual([1, 2]);
    expect(calls).toBe(3);
  });

  it('hands other errors to every caller of the batch', async () => {
    const batcher = new MicroBatcher<number, number>({
      maxItems: 2,
      maxWaitMs: 1,
      write: async () => {
        throw new Error('syntax error');
      },
      isTransient: () => false,
    });
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });

  it('drain() writes the partial batch at once and then refuses new items', async () => {
    const written: number[] = [];
    const batcher = new MicroBatcher<number, number>({
      maxItems: 100,
      maxWaitMs: 60_000,
      write: async (items) => {
        written.push(...items);
        return [...items];
      },
      isTransient: () => false,
    });
    const pending = batcher.add(1);
    await batcher.drain();
    expect(await pending).toBe(1);
    expect(written).toEqual([1]);
    await expect(batcher.add(2)).rejects.toThrow(/stopped/);
  });
});
