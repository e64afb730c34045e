// A tiny WebAssembly bytecode assembler: the opcodes core's SIMD gemm and rnn's fused pointwise kernels need
// (locals, calls, i32 and f32 scalar arithmetic, blocks, loops and branches, v128 loads/stores, f32x4 / i32x4
// arithmetic, relaxed SIMD's fused multiply-add). Internal: packages get it from `@unroll/core/internal`.

/** Value types, by their binary encoding. */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128, for indices, sizes, alignments and offsets. */
function u32(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Signed LEB128, for i32.const (any int32, negative ones included). */
function s32(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    // Stop once the rest is pure sign extension of the byte's top bit.
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function name(out: number[], text: string): void {
  const bytes = new TextEncoder().encode(text);
  u32(out, bytes.length);
  for (const x of bytes) out.push(x);
}

/** A section or code entry: its byte length, then its bytes. */
function sized(out: number[], body: readonly number[]): void {
  u32(out, body.length);
  for (const x of body) out.push(x);
}

const SIMD = 0xfd;
// log2 of each access's natural alignment, written into the memarg as a hint.
const ALIGN_F32 = 2, ALIGN_F64 = 3, ALIGN_V128 = 4;
// One float32 and its four bytes (little-endian, as WebAssembly stores them), for f32x4Const.
const F32_BYTES = new Float32Array(1);
const F32_AS_U8 = new Uint8Array(F32_BYTES.buffer);
const F64_BYTES = new Float64Array(1);
const F64_AS_U8 = new Uint8Array(F64_BYTES.buffer);

/**
 * One function body as a stack-machine instruction stream. Methods append one instruction each and return
 * `this`, so code reads in execution order: `f.get(x).get(y).i32Add().set(z)`. Locals are numbered with
 * the parameters first, as in the binary format.
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  /** Declares a new local of the given type and returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  get(index: number): this { return this.op(0x20).idx(index); }
  set(index: number): this { return this.op(0x21).idx(index); }
  tee(index: number): this { return this.op(0x22).idx(index); }

  /** `block` with no result: `br` to it jumps past its `end`. */
  block(): this { return this.op(0x02, 0x40); }
  /** `loop` with no result: `br` to it jumps back to its start. */
  loop(): this { return this.op(0x03, 0x40); }
  /** `if`, with no result or one of type `result`; pops an i32 condition. */
  if(result?: ValType): this { return this.op(0x04, result ?? 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  /** Branch to the enclosing block/loop `depth` levels out (0 = innermost). */
  br(depth: number): this { return this.op(0x0c).idx(depth); }
  brIf(depth: number): this { return this.op(0x0d).idx(depth); }
  /** Returns from the function (its results, if any, on the stack). */
  return(): this { return this.op(0x0f); }
  /** Calls function number `index` of the module (the order of `addFunction`). */
  call(index: number): this { return this.op(0x10).idx(index); }

  i32Const(value: number): this {
    this.code.push(0x41);
    s32(this.code, value);
    return this;
  }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32DivU(): this { return this.op(0x6e); }
  i32Or(): this { return this.op(0x72); }
  i32Eqz(): this { return this.op(0x45); }
  i32Ne(): this { return this.op(0x47); }
  i32LtS(): this { return this.op(0x48); }
  i32GtS(): this { return this.op(0x4a); }
  /** Pops b, a; pushes a ≥ b (signed) as 0/1. */
  i32GeS(): this { return this.op(0x4e); }
  i32And(): this { return this.op(0x71); }
  drop(): this { return this.op(0x1a); }
  /** Pops cond, b, a; pushes cond ≠ 0 ? a : b. */
  select(): this { return this.op(0x1b); }

  i32Load(offset = 0): this { return this.op(0x28).memarg(ALIGN_F32, offset); }
  i32Store(offset = 0): this { return this.op(0x36).memarg(ALIGN_F32, offset); }
  f32Load(offset = 0): this { return this.op(0x2a).memarg(ALIGN_F32, offset); }
  f32Store(offset = 0): this { return this.op(0x38).memarg(ALIGN_F32, offset); }
  f32Const(value: number): this {
    this.code.push(0x43);
    F32_BYTES[0] = value;
    this.code.push(...F32_AS_U8);
    return this;
  }
  /** Pops b, a; pushes a ≠ b as 0/1 (true for NaN). */
  f32Ne(): this { return this.op(0x5c); }
  f32Add(): this { return this.op(0x92); }
  f32Sub(): this { return this.op(0x93); }
  f32Mul(): this { return this.op(0x94); }
  /** Pops b, a; pushes a = b as 0/1. */
  f32Eq(): this { return this.op(0x5b); }
  /** Pops b, a; pushes a < b as 0/1. */
  f32Lt(): this { return this.op(0x5d); }
  /** f32.demote_f64: rounds to nearest, ties to even (as a Float32Array store). */
  f32DemoteF64(): this { return this.op(0xb6); }

  f64Load(offset = 0): this { return this.op(0x2b).memarg(ALIGN_F64, offset); }
  f64Store(offset = 0): this { return this.op(0x39).memarg(ALIGN_F64, offset); }
  f64Const(value: number): this {
    this.code.push(0x44);
    F64_BYTES[0] = value;
    this.code.push(...F64_AS_U8);
    return this;
  }
  f64Add(): this { return this.op(0xa0); }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }
  f64Div(): this { return this.op(0xa3); }
  /** Pops b, a; pushes a < b as 0/1. */
  f64Lt(): this { return this.op(0x63); }
  /** f64.promote_f32 (exact). */
  f64PromoteF32(): this { return this.op(0xbb); }
  /** The i64's bits as an f64. */
  f64ReinterpretI64(): this { return this.op(0xbf); }
  /** i32.trunc_sat_f64_s: toward zero, saturating at the i32 range (NaN → 0). */
  i32TruncSatF64S(): this { return this.op(0xfc).idx(0x02); }
  /** An i64 constant; |value| < 2³¹ (the encodings here never need more). */
  i64Const(value: number): this {
    if (!Number.isInteger(value) || Math.abs(value) >= 2 ** 31) throw new RangeError(`FunctionBuilder.i64Const: value must be an integer below 2^31 in size; got ${value}`);
    this.code.push(0x42);
    s32(this.code, value);
    return this;
  }
  i64ExtendI32S(): this { return this.op(0xac); }
  i64Add(): this { return this.op(0x7c); }
  /** Pops the shift count (an i64) and a value. */
  i64Shl(): this { return this.op(0x86); }

  v128Load(offset = 0): this { return this.simd(0x00).memarg(ALIGN_V128, offset); }
  /** Loads one f32 from memory into all four lanes (a broadcast load, cheaper than load + splat). */
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(ALIGN_F32, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(ALIGN_V128, offset); }
  /** v128.load64_zero: 8 bytes (e.g. two f32) into the low half, the high half zero; pops the address. */
  v128Load64Zero(offset = 0): this { return this.simd(0x5d).memarg(ALIGN_F64, offset); }
  /** v128.store64_lane: stores 64-bit lane `lane` (0 or 1) of the vector; pops the vector and the address. */
  v128Store64Lane(offset = 0, lane = 0): this {
    this.simd(0x5b).memarg(ALIGN_F64, offset);
    this.code.push(lane);
    return this;
  }
  /** v128.const with all sixteen bytes zero. */
  v128Zero(): this {
    this.simd(0x0c);
    for (let i = 0; i < 16; i++) this.code.push(0);
    return this;
  }
  /**
   * Pops b, a; pushes the four f32 lanes picked by `lanes` from a‖b (0–3 are a's lanes, 4–7 b's). It is
   * i8x16.shuffle with each f32 lane spelled as its four bytes.
   */
  f32x4Shuffle(lanes: readonly [number, number, number, number]): this {
    this.simd(0x0d);
    for (const lane of lanes) for (let byte = 0; byte < 4; byte++) this.code.push(4 * lane + byte);
    return this;
  }
  /** An f32x4 constant with every lane `value` (rounded to float32). */
  f32x4Const(value: number): this {
    this.simd(0x0c);
    F32_BYTES[0] = value;
    for (let lane = 0; lane < 4; lane++) this.code.push(...F32_AS_U8);
    return this;
  }
  /** An i32x4 constant with every lane `value`. */
  i32x4Const(value: number): this {
    this.simd(0x0c);
    for (let lane = 0; lane < 4; lane++) for (let byte = 0; byte < 4; byte++) this.code.push((value >>> (8 * byte)) & 0xff);
    return this;
  }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4ExtractLane(lane: number): this {
    this.simd(0x1f);
    this.code.push(lane);
    return this;
  }
  /**
   * Relaxed SIMD's f32x4.relaxed_madd: pops c, b, a; pushes a·b + c, fused or not as the engine likes
   * (one rounding or two). Only where `WebAssembly.validate` accepts it (Node ≥ 22, current browsers).
   */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  /**
   * Pseudo-minimum: pops b, a; pushes b < a ? b : a per lane — one instruction on x64 and ARM, where
   * f32x4.min's NaN and ±0 rules cost several. With a constant b it clamps as min does (a NaN stays NaN).
   */
  f32x4Pmin(): this { return this.simd(0xea); }
  /** Pseudo-maximum: pops b, a; pushes a < b ? b : a per lane (see f32x4Pmin). */
  f32x4Pmax(): this { return this.simd(0xeb); }
  /** Round to nearest, ties to even. */
  f32x4Nearest(): this { return this.simd(0x6a); }
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  /** Pops the shift count (an i32) and a vector; shifts every lane left. */
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4Add(): this { return this.simd(0xae); }
  /** Pops an f32x4; pushes its two low lanes widened to f64 (exactly). */
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  /** Pops an f64x2; pushes its two lanes rounded to f32 (nearest, ties to even: as a Float32Array store) in lanes 0–1, lanes 2–3 zero. */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  f64x2Splat(): this { return this.simd(0x14); }
  f64x2Neg(): this { return this.simd(0xed); }
  f64x2Sqrt(): this { return this.simd(0xef); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Div(): this { return this.simd(0xf3); }
  f64x2Max(): this { return this.simd(0xf5); }
  f64x2Sub(): this { return this.simd(0xf1); }
  /** Pseudo-minimum, as f32x4Pmin. */
  f64x2Pmin(): this { return this.simd(0xf6); }
  /** Pseudo-maximum, as f32x4Pmax. */
  f64x2Pmax(): this { return this.simd(0xf7); }
  f64x2ExtractLane(lane: number): this {
    this.simd(0x21);
    this.code.push(lane);
    return this;
  }
  i64x2Splat(): this { return this.simd(0x12); }
  i64x2Add(): this { return this.simd(0xce); }
  /** Pops the shift count (an i32) and a vector; shifts every lane left. */
  i64x2Shl(): this { return this.simd(0xcb); }

  /** The body as the code section stores it: local declarations (run-length grouped), code, `end`. */
  encode(): number[] {
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body: number[] = [];
    u32(body, groups.length);
    for (const [count, type] of groups) {
      u32(body, count);
      body.push(type);
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
  private idx(value: number): this {
    u32(this.code, value);
    return this;
  }
  private simd(opcode: number): this {
    this.code.push(SIMD);
    u32(this.code, opcode);
    return this;
  }
  private memarg(align: number, offset: number): this {
    u32(this.code, align);
    u32(this.code, offset);
    return this;
  }
}

interface MemoryImport { module: string; field: string; minPages: number; maxPages?: number; shared?: boolean }

/**
 * A module made of exported functions over one imported memory (`env.memory`). `encode()` gives the
 * bytes for `new WebAssembly.Module(...)`.
 */
export class ModuleBuilder {
  private readonly functions: { name: string; fn: FunctionBuilder }[] = [];
  private memoryImport: MemoryImport | undefined;

  /**
   * Imports the memory the functions work on. A shared memory (for worker threads) must declare its
   * maximum, and the import must say `shared` exactly when the memory given at instantiation is.
   */
  importMemory(module: string, field: string, minPages: number, limits: { maxPages?: number; shared?: boolean } = {}): this {
    this.memoryImport = { module, field, minPages, ...limits };
    return this;
  }

  /** Adds `fn`, exported under `exportName`. */
  addFunction(exportName: string, fn: FunctionBuilder): this {
    this.functions.push({ name: exportName, fn });
    return this;
  }

  encode(): Uint8Array {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
    const section = (id: number, body: number[]) => {
      out.push(id);
      sized(out, body);
    };
    // Type section: one signature per function (duplicates are legal and there are only a few).
    const types: number[] = [];
    u32(types, this.functions.length);
    for (const { fn } of this.functions) {
      types.push(0x60);
      u32(types, fn.params.length);
      types.push(...fn.params);
      u32(types, fn.results.length);
      types.push(...fn.results);
    }
    section(1, types);
    if (this.memoryImport) {
      const imports: number[] = [];
      u32(imports, 1);
      name(imports, this.memoryImport.module);
      name(imports, this.memoryImport.field);
      const { minPages, maxPages, shared } = this.memoryImport;
      if (shared && maxPages === undefined) throw new Error('ModuleBuilder.importMemory: a shared memory needs maxPages');
      // kind memory; limits flag 0 = minimum only, 1 = minimum and maximum, 3 = shared with both.
      imports.push(0x02, shared ? 0x03 : maxPages === undefined ? 0x00 : 0x01);
      u32(imports, minPages);
      if (maxPages !== undefined) u32(imports, maxPages);
      section(2, imports);
    }
    const funcs: number[] = [];
    u32(funcs, this.functions.length);
    this.functions.forEach((_, i) => u32(funcs, i));
    section(3, funcs);
    const exports: number[] = [];
    u32(exports, this.functions.length);
    this.functions.forEach(({ name: exportName }, i) => {
      name(exports, exportName);
      exports.push(0x00); // kind function
      u32(exports, i);
    });
    section(7, exports);
    const code: number[] = [];
    u32(code, this.functions.length);
    for (const { fn } of this.functions) code.push(...fn.encode());
    section(10, code);
    return Uint8Array.from(out);
  }
}
