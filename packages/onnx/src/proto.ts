// The ONNX protobuf messages this exporter writes, built with onnx-proto (protobufjs code generated
// from onnx.proto): element types, tensors as raw little-endian bytes, node attributes, the model.
import onnxProto from 'onnx-proto';
import type { DType } from '@unroll/autograd';

const { onnx } = onnxProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ModelProto = onnxProto.onnx.IModelProto;

/** ONNX element types (TensorProto.DataType) of the dtypes we write. */
export const ElemType = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 } as const;
export type ElemName = keyof typeof ElemType;

/** The ONNX element type of an unroll dtype. */
export const elemTypeOf = (dtype: DType): number => ElemType[dtype];

/** A tensor proto from flat values, stored as raw little-endian bytes (exact for every dtype). */
export function tensorProto(name: string, elem: ElemName, dims: readonly number[], values: ArrayLike<number> | ArrayLike<bigint>): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`onnx: tensor '${name}' has ${values.length} values for dims [${dims.join(', ')}]`);
  const bytes = new Uint8Array(n * ({ float32: 4, int32: 4, int64: 8, bool: 1, float64: 8 } as const)[elem]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    switch (elem) {
      case 'float32': view.setFloat32(4 * i, Number(v), true); break;
      case 'float64': view.setFloat64(8 * i, Number(v), true); break;
      case 'int32': view.setInt32(4 * i, Number(v), true); break;
      case 'int64': view.setBigInt64(8 * i, BigInt(v), true); break;
      case 'bool': view.setUint8(i, v ? 1 : 0); break;
    }
  }
  return { name, dataType: ElemType[elem], dims: [...dims], rawData: bytes };
}

/** One attribute value: a number is an int unless `float` says otherwise. */
export type AttrValue =
  | { int: number } | { float: number } | { string: string } | { ints: readonly number[] } | { floats: readonly number[] }
  | { strings: readonly string[] } | { tensor: TensorProto };

/** A node attribute proto. */
export function attribute(name: string, value: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const enc = (s: string) => new TextEncoder().encode(s);
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('string' in value) return { name, type: T.STRING, s: enc(value.string) };
  if ('ints' in value) return { name, type: T.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  if ('strings' in value) return { name, type: T.STRINGS, strings: value.strings.map(enc) };
  return { name, type: T.TENSOR, t: value.tensor };
}

/** A graph input or output: element type and dims, each a size or a symbolic name (or unknown: null). */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string | null)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
        },
      },
    },
  };
}

/** Encodes a model to the bytes of an ONNX file. */
export function encodeModel(model: ModelProto): Uint8Array {
  // A plain Uint8Array of its own: in Node protobufjs hands back a Buffer that may be a view into a shared pool.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}
