// Checkpoint and safetensors files on disk (Node only). Writes are atomic: a crash leaves the old file or the new one.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkpointEntries, readCheckpoint, type Checkpoint, type CheckpointContents } from '../checkpoint/checkpoint.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { decodeSafetensors, encodeSafetensorsChunks, type DecodedSafetensors } from '../checkpoint/safetensors.js';
import type { Tensor } from '../tensor.js';

/**
 * Writes a checkpoint (model, optimizer state, extra data; see `checkpointBytes`) to `path`, atomically:
 * the bytes go to a temporary file beside it, are flushed to disk, and the file is then renamed over
 * `path`. On any error the temporary file is removed and an existing checkpoint at `path` is untouched.
 * A Module's and an optimizer's state are copied when this is called, so training may go on while the
 * promise is pending; tensors passed directly (a state-dict record, tensors in `extra`) are read while
 * writing, so leave them unchanged until it settles.
 */
export async function saveCheckpoint(path: string, contents: CheckpointContents): Promise<void> {
  await writeAtomically(path, 'saveCheckpoint', () => {
    const { tensors, metadata } = checkpointEntries(contents, 'saveCheckpoint');
    return encodeSafetensorsChunks(tensors, metadata);
  });
}

/** Reads a checkpoint file (see `readCheckpoint`); a plain safetensors file reads as a model state dict. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const bytes = await readBytes(path, 'loadCheckpoint');
  try {
    return readCheckpoint(bytes);
  } catch (err) {
    throw new CheckpointError(`loadCheckpoint: '${path}' is not a readable checkpoint: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Writes tensors and string metadata as a safetensors file at `path`, atomically as `saveCheckpoint` does.
 * The tensors are read while writing: leave them unchanged until the promise settles.
 */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  await writeAtomically(path, 'saveSafetensors', () => encodeSafetensorsChunks(tensors, metadata));
}

/** Reads a safetensors file (see `decodeSafetensors` for the dtypes and checks). */
export async function loadSafetensors(path: string): Promise<DecodedSafetensors> {
  const bytes = await readBytes(path, 'loadSafetensors');
  try {
    return decodeSafetensors(bytes);
  } catch (err) {
    throw new CheckpointError(`loadSafetensors: '${path}' is not a readable safetensors file: ${(err as Error).message}`, { cause: err });
  }
}

async function readBytes(path: string, where: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new CheckpointError(`${where}: cannot read '${path}': ${reason(err)}`, { cause: err });
  }
}

/**
 * Plan (validate) → temp file `<path>.tmp-<pid>-<random>` in the same directory (rename is only atomic
 * within one file system) → write every chunk → fsync → rename over `path` → fsync the directory so the
 * rename itself survives a power cut. Chunks are made while writing, so an encoding error can strike midway.
 * Exported for other file formats written the same way (`saveOnnx` in @unroll/onnx/node); `where` names
 * the caller in the error (a CheckpointError) when the file cannot be written.
 */
export async function writeAtomically(path: string, where: string, plan: () => Iterable<Uint8Array>): Promise<void> {
  // Contents are checked here, before any file exists; those errors describe the contents, not the path.
  const chunks = plan();
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw new CheckpointError(`${where}: could not write '${path}' (any previous file there is unchanged): ${reason(err)}`, { cause: err });
  }
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open or fsync a directory; the rename is atomic there regardless, only its durability differs.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A system error's short reason (`no such file or directory (ENOENT)`), else the error's message. */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
    EISDIR: 'it is a directory', ENOTDIR: 'a parent is not a directory', ENOSPC: 'no space left on the device', EROFS: 'read-only file system',
  };
  if (e && typeof e.code === 'string' && Object.hasOwn(known, e.code)) return `${known[e.code]} (${e.code})`;
  return e instanceof Error ? e.message : String(err);
}
