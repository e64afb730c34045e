// GraphBuilder: collects ONNX nodes and initializers with unique value names, and caches the small
// int64 constants (axes, shapes) that converters need.
import { attribute, tensorProto } from './proto.js';
import type { AttrValue, ElemName, NodeProto, TensorProto } from './proto.js';

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly taken = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** Reserves a name exactly as given (graph inputs, parameters); throws if it is taken. */
  reserve(name: string): string {
    if (this.taken.has(name)) throw new Error(`exportOnnx: the name '${name}' is used twice`);
    this.taken.add(name);
    return name;
  }

  /** A fresh unique name from `hint`. */
  fresh(hint: string): string {
    let name = hint, n = 1;
    while (this.taken.has(name)) name = `${hint}_${n++}`;
    this.taken.add(name);
    return name;
  }

  /** Adds a node; returns its output names (fresh ones from the op type unless given). */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs: number | readonly string[] = 1): string[] {
    const outs = typeof outputs === 'number'
      ? Array.from({ length: outputs }, () => this.fresh(`${opType}_${this.nodes.length}`))
      : [...outputs];
    // Trailing absent optional inputs are dropped (ONNX allows '' only in the middle).
    const ins = [...inputs];
    while (ins.length && ins[ins.length - 1] === '') ins.pop();
    this.nodes.push({
      opType, input: ins, output: outs, name: `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** One-output node. */
  one(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs)[0]!;
  }

  /** Adds an initializer under `name` (reserved by the caller or made fresh here). */
  initializer(name: string, elem: ElemName, dims: readonly number[], values: ArrayLike<number>): string {
    this.initializers.push(tensorProto(name, elem, dims, values));
    return name;
  }

  /** A cached constant tensor (shared by every node that needs the same values). */
  constant(elem: ElemName, dims: readonly number[], values: readonly number[]): string {
    const key = `${elem}[${dims.join(',')}]${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.initializer(this.fresh(`const_${elem}_${this.constants.size}`), elem, dims, values);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (axes, shapes, starts). */
  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }
}
