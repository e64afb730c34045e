// Two row kernels on the runtime's memory, WebAssembly SIMD: a gather of table rows by index (the one-hot
// path's x·W_ihᵀ, see ../one-hot.ts) and a float64 scatter-add of rows by index (its dW_ih, and the bias
// gradients' column sums). Each is a runtime kernel (part, parts, thread, …): the gather splits rows, the
// scatter-add splits columns (every part adds all rows into its own columns, in row order), so results
// never depend on the split.
import { FunctionBuilder, GEMM_MR, ModuleBuilder, ValType, emitPartRange } from '@unroll/core/internal';
import type { Target } from '@unroll/core/internal';

const I32 = ValType.i32, V128 = ValType.v128;

/**
 * gather(part, parts, thread, rows, G4, table, hot, out): out row r [G] = table row hot[r] (zeros where
 * hot[r] < 0), for the rows part `part` owns, split in multiples of `align` rows (1; or core's gemm MR for
 * `gather_step_rows`, which owns the same rows as a recurrent step's gemm and pointwise kernel, so a queue
 * [gather, gemm, pointwise] needs no barrier). table [I, G] f32, hot [rows] i32, out [rows, G] f32; G4 =
 * 4·G bytes, a multiple of 16.
 */
function gather(align: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32]);
  const [part, parts, , rows, G4, table, hot, out] = [0, 1, 2, 3, 4, 5, 6, 7];
  const r = f.local(I32), r1 = f.local(I32), h = f.local(I32), src = f.local(I32), dst = f.local(I32), end = f.local(I32);
  emitPartRange(f, part, parts, rows, align, r, r1);
  f.block().loop();
  f.get(r).get(r1).i32GeS().brIf(1);
  f.get(out).get(r).get(G4).i32Mul().i32Add().tee(dst).get(G4).i32Add().set(end);
  f.get(hot).get(r).i32Const(4).i32Mul().i32Add().i32Load().tee(h).i32Const(0).i32LtS();
  f.if();
  {
    f.block().loop();
    f.get(dst).get(end).i32GeS().brIf(1);
    f.get(dst).v128Zero().v128Store();
    f.get(dst).i32Const(16).i32Add().set(dst);
    f.br(0).end().end();
  }
  f.else();
  {
    f.get(table).get(h).get(G4).i32Mul().i32Add().set(src);
    f.block().loop();
    f.get(dst).get(end).i32GeS().brIf(1);
    f.get(dst).get(src).v128Load().v128Store();
    f.get(dst).i32Const(16).i32Add().set(dst);
    f.get(src).i32Const(16).i32Add().set(src);
    f.br(0).end().end();
  }
  f.end();
  f.get(r).i32Const(1).i32Add().set(r);
  f.br(0).end().end();
  return f;
}

/**
 * scatter(part, parts, thread, rows, G, dG, hot, acc): acc row hot[r] [G] (f64) += dG row r [G] (f32) for
 * every row with hot[r] ≥ 0, in row order, over the columns part `part` owns (multiples of 4). G a
 * multiple of 4.
 */
function scatter(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32]);
  const [part, parts, , rows, G, dG, hot, acc] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c0 = f.local(I32), c1 = f.local(I32), r = f.local(I32), h = f.local(I32), c = f.local(I32);
  const src = f.local(I32), dst = f.local(I32), v = f.local(V128);
  emitPartRange(f, part, parts, G, 4, c0, c1);
  f.i32Const(0).set(r);
  f.block().loop();
  f.get(r).get(rows).i32GeS().brIf(1);
  f.get(hot).get(r).i32Const(4).i32Mul().i32Add().i32Load().tee(h).i32Const(0).i32GeS();
  f.if();
  {
    f.get(dG).get(r).get(G).i32Mul().get(c0).i32Add().i32Const(4).i32Mul().i32Add().set(src);
    f.get(acc).get(h).get(G).i32Mul().get(c0).i32Add().i32Const(8).i32Mul().i32Add().set(dst);
    f.get(c0).set(c);
    f.block().loop();
    f.get(c).get(c1).i32GeS().brIf(1);
    f.get(src).v128Load().set(v);
    // Lanes 0, 1 then 2, 3 of dG widened to f64 and added to two f64x2 of the sum.
    f.get(dst).get(dst).v128Load().get(v).f64x2PromoteLowF32x4().f64x2Add().v128Store();
    f.get(dst).get(dst).v128Load(16).get(v).get(v).f32x4Shuffle([2, 3, 2, 3]).f64x2PromoteLowF32x4().f64x2Add().v128Store(16);
    f.get(src).i32Const(16).i32Add().set(src);
    f.get(dst).i32Const(32).i32Add().set(dst);
    f.get(c).i32Const(4).i32Add().set(c);
    f.br(0).end().end();
  }
  f.end();
  f.get(r).i32Const(1).i32Add().set(r);
  f.br(0).end().end();
  return f;
}

/** The module's bytes for `target`: exports `gather_rows`, `scatter_add_rows` and `gather_step_rows`, importing `env.memory`. */
export function rowModule(target: Target): Uint8Array {
  return new ModuleBuilder()
    .importMemory('env', 'memory', 1, target.memory)
    .addFunction('gather_rows', gather(1)).addFunction('scatter_add_rows', scatter())
    .addFunction('gather_step_rows', gather(GEMM_MR))
    .encode();
}
