// Error messages that used to say too little or crash instead (issue 16 item 8): batched matmul names
// both operands, loadStateDict names the key, deep checkpoint metadata is a CheckpointError, full()
// refuses a non-number.
import { describe, expect, it } from 'vitest';
import {
  CheckpointError, Linear, MAX_CHECKPOINT_NESTING, ShapeError, StateDictError, checkpointBytes, encodeSafetensors,
  full, matmul, readCheckpoint, tensor, zeros,
} from '@unroll/autograd';

describe('messages name what is wrong', () => {
  it('batched matmul names both operands, not only their batch dims', () => {
    expect(() => matmul(zeros([2, 4, 3]), zeros([3, 3, 5])))
      .toThrow(new ShapeError('matmul: batch dims of a [2, 4, 3] and b [3, 3, 5] do not broadcast ([2] vs [3])'));
  });

  it('loadStateDict with a value that is not numbers names the key', () => {
    const m = new Linear(2, 1);
    const good = m.stateDict();
    expect(() => m.loadStateDict({ ...good, bias: 'abc' as never }))
      .toThrow(new StateDictError("Linear.loadStateDict: 'bias' must be a Tensor, an ndarray or nested arrays of numbers; got the string \"abc\""));
    expect(() => m.loadStateDict({ ...good, weight: [[1, 'x']] as never })).toThrow("Linear.loadStateDict: 'weight' cannot be loaded: fromNested: ragged nested array");
    expect(() => m.loadStateDict({ ...good, bias: { a: 1 } as never })).toThrow("Linear.loadStateDict: 'bias' must be a Tensor, an ndarray or nested arrays of numbers; got an object");
    expect(() => m.loadStateDict({ ...good, bias: null as never })).toThrow("'bias' must be a Tensor, an ndarray or nested arrays of numbers; got null");
    expect(() => m.loadStateDict('weights.safetensors' as never)).toThrow('Linear.loadStateDict: stateDict must be a record or a Map of name → value; got the string');
    expect(() => m.loadStateDict(good, { strct: false } as never)).toThrow("Linear.loadStateDict: unknown option 'strct'; options are strict");
    // Nothing was changed by any refused call.
    expect(m.stateDict().weight!.toArray()).toEqual(good.weight!.toArray());
  });

  it('deeply nested checkpoint metadata is a CheckpointError, not a stack-overflow RangeError', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    for (const depth of [MAX_CHECKPOINT_NESTING + 1, 200_000]) {
      const bytes = encodeSafetensors({}, { unroll: `{"version":1,"extra":${deep(depth)}}` });
      expect(() => readCheckpoint(bytes)).toThrow(CheckpointError);
      expect(() => readCheckpoint(bytes)).toThrow(`nests more than ${MAX_CHECKPOINT_NESTING} levels deep`);
    }
    // A nested tensor reference or a deep shape in the header is described, never stringified whole.
    const ref = encodeSafetensors({}, { unroll: `{"version":1,"extra":{"__tensor__":${deep(50_000)}}}` });
    expect(() => readCheckpoint(ref)).toThrow('extra refers to tensor an array, which the file does not contain');
    const header = `{"x":{"dtype":"F32","shape":${deep(200_000)},"data_offsets":[0,0]}}`;
    const json = new TextEncoder().encode(header);
    const raw = new Uint8Array(8 + json.length);
    new DataView(raw.buffer).setBigUint64(0, BigInt(json.length), true);
    raw.set(json, 8);
    expect(() => readCheckpoint(raw)).toThrow("tensor 'x': shape must be a list of non-negative integers; got an array");
  });

  it('writing data nested deeper than a reader accepts is refused up front', () => {
    let extra: unknown = 1;
    for (let i = 0; i <= MAX_CHECKPOINT_NESTING; i++) extra = [extra];
    expect(() => checkpointBytes({ extra })).toThrow(`nests more than ${MAX_CHECKPOINT_NESTING} levels deep`);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_CHECKPOINT_NESTING; i++) ok = [ok];
    expect(readCheckpoint(checkpointBytes({ extra: ok })).extra).toEqual(ok);
  });

  it("full([2], 'x') is refused instead of silently giving NaN", () => {
    expect(() => full([2], 'x' as never)).toThrow(new TypeError('full: value must be a number; got string "x"'));
    expect(() => full([2], '3' as never)).toThrow('full: value must be a number');
    expect(full([2], 3).toArray()).toEqual([3, 3]);
    expect(tensor([1]).toArray()).toEqual([1]);
  });
});
