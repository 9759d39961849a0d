// Each edited file written once, atomically: a temporary file beside it, then rename.

import { chmod, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PinError } from './types.js';

export async function writeAtomic(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.verify-images-${process.pid}-${Date.now()}.tmp`);
  try {
    const mode = (await stat(file)).mode & 0o7777;
    await writeFile(temp, text, { flag: 'wx' });
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw new PinError('PIN_WRITE_FAILED', `cannot write ${file}: ${(e as Error).message}`);
  }
}
