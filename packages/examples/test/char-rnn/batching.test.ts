import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allChunks, chunkAt, fullChunks, makeStreams } from '../../src/char-rnn/batching.js';

const SEED = 77;
const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('consecutive-stream batching', () => {
  it('cuts the ids into B equal consecutive streams, dropping the remainder', () => {
    const s = makeStreams(ids(23), 4);
    expect(s.length).toBe(5);
    expect([...s.data]).toEqual([...ids(20)]);
    expect(fullChunks(s, 2)).toBe(2); // positions 0..3 have a target
  });

  it('gives time-major chunks whose targets are the inputs shifted by one, and chunk k+1 continues chunk k', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 40 }),
      (batch, seqLen, perStream) => {
        const n = batch * perStream;
        const s = makeStreams(ids(n), batch);
        const seen: number[][] = Array.from({ length: batch }, () => []);
        for (const { inputs, targets } of allChunks(s, seqLen)) {
          const [time, b] = inputs.shape;
          expect(b).toBe(batch);
          const x = inputs.toArray() as number[][], y = targets.toArray() as number[][];
          for (let t = 0; t < time!; t++) {
            for (let k = 0; k < batch; k++) {
              expect(y[t]![k]).toBe(x[t]![k]! + 1);       // ids are positions: the target is the next one
              seen[k]!.push(x[t]![k]!);
            }
          }
        }
        // Every stream is read once, in order, from its first id to its second-to-last.
        seen.forEach((xs, k) => expect(xs).toEqual(Array.from({ length: perStream - 1 }, (_, t) => k * perStream + t)));
      }), { seed: SEED, numRuns: 60 });
  });

  it('places chunk k of the training stepping at position k·T', () => {
    const s = makeStreams(ids(40), 2); // streams 0..19 and 20..39
    const c = chunkAt(s, 6, 3);
    expect(c.inputs.dtype).toBe('int32');
    expect(c.inputs.toArray()).toEqual([[6, 26], [7, 27], [8, 28]]);
    expect(c.targets.toArray()).toEqual([[7, 27], [8, 28], [9, 29]]);
  });

  it('refuses texts too short for the streams and chunks past the end', () => {
    expect(() => makeStreams(ids(7), 4, 'the training text')).toThrow(
      'the training text has 7 characters: too few for 4 streams of at least 2 characters each; use a longer text or a smaller --batch');
    const s = makeStreams(ids(10), 2);
    expect(() => chunkAt(s, 2, 3)).toThrow('chunkAt: steps [2, 5) plus one target need positions up to 5; each stream has 5 (0…4)');
  });
});
