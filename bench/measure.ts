/**
 * A small timing harness: every case gets a warm-up, then the rounds are run round-robin across
 * cases (so a burst of load from other work on the machine lands on all cases, not on one), and the
 * median round is reported.
 */

export interface BenchCase {
  readonly name: string;
  /** One operation. Sync operations are not awaited, so they pay no promise overhead. */
  readonly run: () => unknown;
}

export interface MeasureOptions {
  readonly warmupMs: number;
  readonly roundMs: number;
  readonly rounds: number;
}

export interface Measured {
  readonly name: string;
  /** Median of the rounds' ops/s. */
  readonly opsPerSec: number;
  readonly roundsOpsPerSec: readonly number[];
}

async function runFor(bench: BenchCase, budgetMs: number): Promise<number> {
  const budgetNs = BigInt(Math.round(budgetMs * 1e6));
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0n;
  // Timer reads are batched: at 64 B a Rampart seal takes a few microseconds.
  do {
    for (let i = 0; i < 16; i++) {
      const result = bench.run();
      if (result instanceof Promise) await result;
    }
    ops += 16;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budgetNs);
  return ops / (Number(elapsed) / 1e9);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Measures every case and returns them in the order given. */
export async function measure(cases: readonly BenchCase[], options: MeasureOptions): Promise<Measured[]> {
  for (const bench of cases) await runFor(bench, options.warmupMs);
  const rounds = cases.map(() => [] as number[]);
  for (let r = 0; r < options.rounds; r++) {
    for (const [i, bench] of cases.entries()) rounds[i]!.push(await runFor(bench, options.roundMs));
  }
  return cases.map((bench, i) => ({ name: bench.name, opsPerSec: median(rounds[i]!), roundsOpsPerSec: rounds[i]! }));
}
