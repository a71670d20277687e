/**
 * How the router picks one replica among the eligible ones.
 *
 * - round-robin (default): even spread, no state beyond a cursor.
 * - least-lag: the replica that was furthest along at the last health check;
 *   ties (the usual case: all caught up) rotate like round-robin.
 * - random: what the seed and TypeORM's replication do; here only among
 *   eligible replicas.
 *
 * A read with a consistency token only takes a replica whose last seen replay
 * position has reached the token. Called on every read: no allocation.
 */

export const REPLICA_CHOICES = ['round-robin', 'least-lag', 'random'] as const;
export type ReplicaChoice = (typeof REPLICA_CHOICES)[number];

/** What a choice needs to know about a replica (the router's node objects satisfy it). */
export interface ReplicaCandidate {
  /** Replay position at the last health check; null before the first. */
  readonly replayLsn: bigint | null;
  /** Bytes behind the primary at the last health check. */
  readonly lagBytes: number;
}

export class ReplicaChooser {
  private cursor = 0;

  constructor(
    readonly policy: ReplicaChoice,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Picks from `eligible`, skipping `exclude` (a node that just failed) and any
   * replica that has not replayed up to `minLsn`. Undefined when none fits.
   */
  choose<T extends ReplicaCandidate>(eligible: readonly T[], minLsn?: bigint, exclude?: T): T | undefined {
    const count = eligible.length;
    if (count === 0) return undefined;
    if (this.policy === 'least-lag') return this.leastLag(eligible, minLsn, exclude);
    const start = this.policy === 'random' ? Math.floor(this.random() * count) : this.nextIndex(count);
    for (let i = 0; i < count; i++) {
      const candidate = eligible[(start + i) % count];
      if (candidate !== exclude && hasReplayed(candidate, minLsn)) return candidate;
    }
    return undefined;
  }

  /** Two passes: the smallest lag and how many share it, then the next of those in turn. */
  private leastLag<T extends ReplicaCandidate>(eligible: readonly T[], minLsn?: bigint, exclude?: T): T | undefined {
    let least = Infinity;
    let ties = 0;
    for (const candidate of eligible) {
      if (candidate === exclude || !hasReplayed(candidate, minLsn)) continue;
      if (candidate.lagBytes < least) {
        least = candidate.lagBytes;
        ties = 1;
      } else if (candidate.lagBytes === least) {
        ties++;
      }
    }
    if (ties === 0) return undefined;
    let skip = this.nextIndex(ties);
    for (const candidate of eligible) {
      if (candidate === exclude || candidate.lagBytes !== least || !hasReplayed(candidate, minLsn)) continue;
      if (skip-- === 0) return candidate;
    }
    return undefined;
  }

  private nextIndex(count: number): number {
    const start = this.cursor % count;
    // Wrap well before 2^53 so the counter stays a small integer forever.
    this.cursor = this.cursor >= 0x3fffffff ? 0 : this.cursor + 1;
    return start;
  }
}

function hasReplayed(candidate: ReplicaCandidate, minLsn: bigint | undefined): boolean {
  if (minLsn === undefined) return true;
  return candidate.replayLsn !== null && candidate.replayLsn >= minLsn;
}
