// A small WebAssembly assembler for the fused pointwise kernels: i32 address arithmetic, blocks and
// loops, v128 loads and stores, and the f32x4 / i32x4 arithmetic that σ and tanh are built from.

/** Value types by their binary encoding. */
export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof V128;

/** Unsigned LEB128 (indices, sizes, memory offsets). */
function u32(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Signed LEB128 (i32.const). */
function s32(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function sized(out: number[], body: readonly number[]): void {
  u32(out, body.length);
  out.push(...body);
}

function utf8(out: number[], text: string): void {
  sized(out, [...new TextEncoder().encode(text)]);
}

const SIMD_PREFIX = 0xfd;
const F32_BYTES = new Float32Array(1);
const F32_AS_U8 = new Uint8Array(F32_BYTES.buffer);

/**
 * One function's instruction stream. Each method appends one instruction and returns `this`, so code
 * reads in stack order: `f.get(a).get(b).f32x4Add().set(c)`. Locals are numbered parameters first.
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(readonly params: readonly ValType[]) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  get(i: number): this { return this.op(0x20).idx(i); }
  set(i: number): this { return this.op(0x21).idx(i); }
  tee(i: number): this { return this.op(0x22).idx(i); }

  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c).idx(depth); }
  brIf(depth: number): this { return this.op(0x0d).idx(depth); }

  i32Const(v: number): this {
    this.code.push(0x41);
    s32(this.code, v);
    return this;
  }
  i32Add(): this { return this.op(0x6a); }
  i32Mul(): this { return this.op(0x6c); }
  /** Pops b, a; pushes a ≥ b (signed) as 0/1. */
  i32GeS(): this { return this.op(0x4e); }

  /** v128.load at the popped address + `offset` (bytes). */
  load(offset = 0): this { return this.simd(0x00).memarg(4, offset); }
  /** v128.store of the popped value at the address below it + `offset`. */
  store(offset = 0): this { return this.simd(0x0b).memarg(4, offset); }
  /** An f32x4 constant with every lane `v` (rounded to float32). */
  f32x4Const(v: number): this {
    this.simd(0x0c);
    F32_BYTES[0] = v;
    for (let lane = 0; lane < 4; lane++) this.code.push(...F32_AS_U8);
    return this;
  }
  /** An i32x4 constant with every lane `v`. */
  i32x4Const(v: number): this {
    this.simd(0x0c);
    for (let lane = 0; lane < 4; lane++) for (let b = 0; b < 4; b++) this.code.push((v >>> (8 * b)) & 0xff);
    return this;
  }

  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  /** Round to nearest, ties to even. */
  f32x4Nearest(): this { return this.simd(0x6a); }
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  /** Pops the shift count (an i32) and a vector; shifts every lane left. */
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4Add(): this { return this.simd(0xae); }

  /** The body as the code section stores it: run-length grouped local declarations, code, `end`. */
  encode(): number[] {
    const groups: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body: number[] = [];
    u32(body, groups.length);
    for (const [n, t] of groups) {
      u32(body, n);
      body.push(t);
    }
    body.push(...this.code, 0x0b);
    const out: number[] = [];
    sized(out, body);
    return out;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  private idx(v: number): this {
    u32(this.code, v);
    return this;
  }
  private simd(opcode: number): this {
    this.code.push(SIMD_PREFIX);
    u32(this.code, opcode);
    return this;
  }
  private memarg(alignLog2: number, offset: number): this {
    u32(this.code, alignLog2);
    u32(this.code, offset);
    return this;
  }
}

/** A module of exported functions (no results) over one imported memory, `env.memory`. */
export function encodeModule(functions: readonly { name: string; fn: FunctionBuilder }[]): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, body: number[]) => {
    out.push(id);
    sized(out, body);
  };
  const types: number[] = [];
  u32(types, functions.length);
  for (const { fn } of functions) {
    types.push(0x60);
    u32(types, fn.params.length);
    types.push(...fn.params);
    u32(types, 0);
  }
  section(1, types);
  const imports: number[] = [];
  u32(imports, 1);
  utf8(imports, 'env');
  utf8(imports, 'memory');
  imports.push(0x02, 0x00);
  u32(imports, 1);
  section(2, imports);
  const funcs: number[] = [];
  u32(funcs, functions.length);
  functions.forEach((_, i) => u32(funcs, i));
  section(3, funcs);
  const exports: number[] = [];
  u32(exports, functions.length);
  functions.forEach(({ name }, i) => {
    utf8(exports, name);
    exports.push(0x00);
    u32(exports, i);
  });
  section(7, exports);
  const code: number[] = [];
  u32(code, functions.length);
  for (const { fn } of functions) code.push(...fn.encode());
  section(10, code);
  return new Uint8Array(out);
}
