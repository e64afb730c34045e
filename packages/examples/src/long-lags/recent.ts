// The paper's stopping rule for online training, kept over minibatches: the most recent N training
// sequences (2,000 in the paper), each scored when the network processed it, must all be correct.

/** A ring of the last `size` per-sequence outcomes. */
export class RecentOutcomes {
  readonly size: number;
  private readonly ring: Uint8Array;
  private next = 0;
  private filled = 0;
  private correctCount = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`RecentOutcomes: size must be a positive integer; got ${size}`);
    this.size = size;
    this.ring = new Uint8Array(size);
  }

  /** Records outcomes in the order the sequences were processed. */
  push(outcomes: readonly boolean[]): void {
    for (const ok of outcomes) {
      if (this.filled === this.size) this.correctCount -= this.ring[this.next]!;
      else this.filled++;
      this.ring[this.next] = ok ? 1 : 0;
      this.correctCount += ok ? 1 : 0;
      this.next = (this.next + 1) % this.size;
    }
  }

  /** Sequences recorded so far, at most `size`. */
  get count(): number {
    return this.filled;
  }

  /** Fraction correct among the recorded ones (0 before any). */
  get accuracy(): number {
    return this.filled === 0 ? 0 : this.correctCount / this.filled;
  }

  /** True once `size` sequences were recorded and every one of them was correct. */
  get allCorrect(): boolean {
    return this.filled === this.size && this.correctCount === this.size;
  }
}
