import { ReplicaChooser, type ReplicaCandidate } from './replica-choice';

interface Replica extends ReplicaCandidate {
  name: string;
}

const replica = (name: string, replayLsn: bigint | null = 100n, lagBytes = 0): Replica => ({ name, replayLsn, lagBytes });

function picks(chooser: ReplicaChooser, eligible: Replica[], times: number, minLsn?: bigint, exclude?: Replica) {
  return Array.from({ length: times }, () => chooser.choose(eligible, minLsn, exclude)?.name);
}

describe('replica choice', () => {
  const [a, b, c] = [replica('a'), replica('b'), replica('c')];

  it('round-robin takes each eligible replica in turn', () => {
    expect(picks(new ReplicaChooser('round-robin'), [a, b, c], 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('round-robin keeps spreading when the eligible set shrinks', () => {
    const chooser = new ReplicaChooser('round-robin');
    chooser.choose([a, b, c]);
    expect(picks(chooser, [a, c], 4)).toEqual(['c', 'a', 'c', 'a']);
  });

  it('returns nothing when no replica is eligible', () => {
    for (const policy of ['round-robin', 'least-lag', 'random'] as const) {
      expect(new ReplicaChooser(policy).choose([])).toBeUndefined();
    }
  });

  it('skips replicas that have not replayed the token, and the one excluded after a failure', () => {
    const behind = replica('behind', 50n);
    const unknown = replica('unknown', null);
    const chooser = new ReplicaChooser('round-robin');
    expect(picks(chooser, [behind, a, unknown], 3, 100n)).toEqual(['a', 'a', 'a']);
    expect(chooser.choose([behind, unknown], 100n)).toBeUndefined();
    expect(chooser.choose([behind], 50n)?.name).toBe('behind');
    expect(picks(chooser, [a, b], 3, undefined, a)).toEqual(['b', 'b', 'b']);
    expect(chooser.choose([a], undefined, a)).toBeUndefined();
  });

  it('least-lag takes the replica furthest along and rotates among equals', () => {
    const near = replica('near', 100n, 10);
    const far = replica('far', 100n, 5_000);
    const chooser = new ReplicaChooser('least-lag');
    expect(picks(chooser, [far, near], 3)).toEqual(['near', 'near', 'near']);
    expect(picks(chooser, [a, b, far], 4).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('least-lag still honours the token', () => {
    const aheadButLagging = replica('x', 200n, 900);
    const caughtUpButOld = replica('y', 50n, 0);
    expect(new ReplicaChooser('least-lag').choose([caughtUpButOld, aheadButLagging], 150n)?.name).toBe('x');
  });

  it('random draws from the eligible set with the given source of randomness', () => {
    const draws = [0, 0.34, 0.67, 0.99];
    const chooser = new ReplicaChooser('random', () => draws.shift() ?? 0);
    expect(picks(chooser, [a, b, c], 4)).toEqual(['a', 'b', 'c', 'c']);
  });

  it('random moves on from a draw that cannot serve the token', () => {
    const behind = replica('behind', 1n);
    const chooser = new ReplicaChooser('random', () => 0);
    expect(chooser.choose([behind, b], 100n)?.name).toBe('b');
  });
});
