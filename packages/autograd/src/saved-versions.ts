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
  private readonly entries: { what: string; tensor: Tensor; version: number }[];

  constructor(private readonly op: string, saved: readonly { what: string; tensor: Tensor }[]) {
    this.entries = saved.map(({ what, tensor }) => ({ what, tensor, version: tensor._version }));
  }

  /** Throws an InPlaceModificationError naming the op, the tensor and both versions if one changed. */
  check(): void {
    for (const { what, tensor, version } of this.entries) {
      if (tensor._version === version) continue;
      throw new InPlaceModificationError(
        `backward: ${what} of op '${this.op}' ${K.fmt(tensor.shape)} was modified in place (version ${tensor._version}, ` +
          `saved at ${version}) after it was saved for backward; call optimizer.step() or loadStateDict() after ` +
          'backward(), or change a clone (t.detach() shares the values; copy them) instead');
    }
  }
}
