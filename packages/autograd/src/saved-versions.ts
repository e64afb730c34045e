// The in-place check: an op records the versions of the tensors it saves for backward, and
// backward refuses to read one that changed since (as PyTorch's saved-variable version check).
import * as K from '@unroll/core';
import type { Tensor } from './tensor.js';

/** Thrown by backward when a tensor saved for it was modified in place afterwards. */
export class InPlaceModificationError extends Error {
  override name = 'InPlaceModificationError';
}

/** The versions of the tensors one recorded op saved, checked before its backward reads them. */
export class SavedVersions {
  private readonly versions: number[];

  /** `what(i)` names saved tensor i in a message (`input 'b'`, `output 0`). */
  constructor(private readonly op: string, private readonly tensors: readonly Tensor[], private readonly what: (i: number) => string) {
    this.versions = tensors.map((t) => t._version);
  }

  /** Throws an InPlaceModificationError naming the op, the tensor and both versions if one changed. */
  check(): void {
    for (let i = 0; i < this.tensors.length; i++) {
      const tensor = this.tensors[i]!, version = this.versions[i]!;
      if (tensor._version === version) continue;
      throw new InPlaceModificationError(
        `backward: ${this.what(i)} of op '${this.op}' ${K.fmt(tensor.shape)} was modified in place (version ${tensor._version}, ` +
          `saved at ${version}) after it was saved for backward; call optimizer.step() or loadStateDict() after ` +
          'backward(), or change a clone (t.detach() shares the values; copy them) instead');
    }
  }
}
