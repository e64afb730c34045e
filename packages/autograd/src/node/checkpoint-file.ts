// Checkpoint and safetensors files on disk (Node only). Writes are atomic: a crash leaves the old file or the new one.
import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, readFile, readlink, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkpointEntries, readCheckpoint, type Checkpoint, type CheckpointContents } from '../checkpoint/checkpoint.js';
import { CheckpointError, describe } from '../checkpoint/errors.js';
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
  checkPath(path, where);
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
 * A writer killed mid-save (SIGKILL, power cut) leaves its temp file behind; each save first removes
 * those of the same `path` whose writer process is gone (`removeStaleTemps`).
 * When `path` is a symbolic link, the file it points to is replaced and the link stays (as editors
 * do): renaming over the link itself would silently turn it into a regular file and leave the real
 * checkpoint, which other links or tools may point at, stale.
 * Exported for other file formats written the same way (`saveOnnx` in @unroll/onnx/node); `where` names
 * the caller in the error (a CheckpointError) when the file cannot be written.
 */
export async function writeAtomically(path: string, where: string, plan: () => Iterable<Uint8Array>): Promise<void> {
  checkPath(path, where);
  // Contents are checked here, before any file exists; those errors describe the contents, not the path.
  const chunks = plan();
  const target = await followLinks(path, where);
  await removeStaleTemps(target);
  const temp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
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
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw new CheckpointError(`${where}: could not write '${path}' (any previous file there is unchanged): ${reason(err)}`, { cause: err });
  }
  await syncDirectory(dirname(target));
}

/**
 * The file a write to `path` should replace: `path` itself, or, through any chain of symbolic links
 * (relative ones resolved against their own folder), the file at its end, even when that does not
 * exist yet (a dangling link gets its target created). A cycle or a 40-link chain is an error.
 */
async function followLinks(path: string, where: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    let isLink = false;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch {
      return current; // nothing there yet: a new file
    }
    if (!isLink) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw new CheckpointError(`${where}: cannot write '${path}': it starts a chain of more than 40 symbolic links (a cycle?)`);
}

/**
 * Removes `<path>.tmp-<pid>-<hex>` files left by writers that died mid-save. Only files of this very
 * checkpoint are considered, and only when no process `pid` exists any more: a live writer's (or a
 * reused pid's) temp file is left alone, as is our own process's (a concurrent save). Best effort: a
 * folder that cannot be listed, or a file that cannot be removed, does not stop the save.
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(path);
  const pattern = new RegExp(`^${escapeRegExp(basename(path))}\\.tmp-(\\d+)-[0-9a-f]+$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processExists(pid)) continue;
    const file = join(dir, name);
    try {
      await rm(file, { force: true });
      removed.push(file);
    } catch {
      // Someone else's file we may not remove: leave it.
    }
  }
  return removed;
}

/** Whether a process with this id exists (signal 0 only checks; EPERM means it exists but is not ours). */
function processExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A path is a non-empty string: `saveCheckpoint(model, path)` must not create a file named "[object Object].tmp-…". */
function checkPath(path: unknown, where: string): asserts path is string {
  if (typeof path !== 'string' || path === '') {
    throw new CheckpointError(`${where}: path must be a non-empty string; got ${describe(path)} (the path comes first: ${where}(path, …))`);
  }
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
