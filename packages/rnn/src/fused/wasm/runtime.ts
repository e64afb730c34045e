// Loading the WebAssembly SIMD pointwise kernels (kernels.ts) and the one growable memory they work
// in; null where the engine has no WebAssembly SIMD (the fused ops then run their JS kernels).
import { pointwiseModule } from './kernels.js';

/** The subset of the WebAssembly JS API used here (the global exists in Node and browsers). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
}
type Fn = (...args: number[]) => void;
interface Exports { lstm_fwd: Fn; lstm_bwd: Fn; gru_fwd: Fn; gru_bwd: Fn }

/**
 * The kernels and their memory. Buffers are laid out by the caller as float offsets into `heap`;
 * kernels take those offsets. Nothing in the memory outlives the synchronous op call that wrote it.
 */
export interface PointwiseWasm {
  /**
   * Grows the memory to hold `floats` float32 values (never shrinks); returns the current view of it,
   * or null past `MAX_BYTES` or when the engine refuses to grow it (the caller then runs its JS kernels).
   */
  reserve(floats: number): Float32Array | null;
  /** lstm_fwd over `rows` rows (see kernels.ts); every argument after H is a float offset into the heap. */
  lstmForward(rows: number, H: number, act: number, hh: number, bias: number, cPrev: number, cNext: number,
    hNext: number, tc: number): void;
  /** lstm_bwd over `rows` rows (see kernels.ts); float offsets into the heap. */
  lstmBackward(rows: number, H: number, act: number, cPrev: number, tc: number, dh: number, dy: number, dc: number,
    dG: number): void;
  /** gru_fwd over `rows` rows (see kernels.ts); float offsets into the heap. */
  gruForward(rows: number, H: number, gi: number, bi: number, gh: number, bh: number, hPrev: number, hNext: number,
    save: number): void;
  /** gru_bwd over `rows` rows (see kernels.ts); float offsets into the heap. */
  gruBackward(rows: number, H: number, save: number, hPrev: number, dh: number, dy: number, dgi: number, dgh: number): void;
}

let loaded: PointwiseWasm | null | undefined;
let enabled = true;

/**
 * The WebAssembly kernels, or null when they cannot run here or are switched off with
 * `setPointwiseWasm(false)`. Loaded on first use: ~5 KB compiled synchronously, which engines without
 * WebAssembly SIMD refuse, as do main threads of Chrome before it raised its 4 KB limit on
 * synchronous compilation — in both cases the fused ops run their JS kernels.
 */
export function pointwiseWasm(): PointwiseWasm | null {
  if (!enabled) return null;
  if (loaded === undefined) loaded = load();
  return loaded;
}

/**
 * Switches the float32 WebAssembly pointwise kernels on (default) or off, for tests and benchmarks
 * that compare them with the JS kernels. Returns the previous setting.
 */
export function setPointwiseWasm(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

const PAGE = 65536;
// The memory never shrinks, so one huge sequence must not pin gigabytes for good: beyond this the
// fused ops use their JS kernels (whose buffers the garbage collector can take back).
const MAX_BYTES = 512 * 2 ** 20;

function load(): PointwiseWasm | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  let memory: InstanceType<WasmApi['Memory']>;
  let w: Exports;
  try {
    memory = new api.Memory({ initial: 1 });
    w = new api.Instance(new api.Module(pointwiseModule()), { env: { memory } }).exports as Exports;
  } catch {
    return null; // no SIMD (the module does not validate), or synchronous compilation refused
  }
  let heap = new Float32Array(memory.buffer);
  const B = 4; // bytes per float
  return {
    reserve(floats) {
      const bytes = floats * B;
      if (bytes > MAX_BYTES) return null;
      if (bytes > memory.buffer.byteLength) {
        try {
          memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
        } catch {
          return null;
        }
        heap = new Float32Array(memory.buffer);
      }
      return heap;
    },
    lstmForward(rows, H, act, hh, bias, cPrev, cNext, hNext, tc) {
      w.lstm_fwd(rows, H * B, act * B, hh * B, bias * B, cPrev * B, cNext * B, hNext * B, tc * B);
    },
    lstmBackward(rows, H, act, cPrev, tc, dh, dy, dc, dG) {
      w.lstm_bwd(rows, H * B, act * B, cPrev * B, tc * B, dh * B, dy * B, dc * B, dG * B);
    },
    gruForward(rows, H, gi, bi, gh, bh, hPrev, hNext, save) {
      w.gru_fwd(rows, H * B, gi * B, bi * B, gh * B, bh * B, hPrev * B, hNext * B, save * B);
    },
    gruBackward(rows, H, save, hPrev, dh, dy, dgi, dgh) {
      w.gru_bwd(rows, H * B, save * B, hPrev * B, dh * B, dy * B, dgi * B, dgh * B);
    },
  };
}
