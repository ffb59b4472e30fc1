// Loads onnxruntime-node from a folder where `npm install` put it (it need
// not be on Node's search path): --ort DIR, else $VKCALIB_ORT_DIR, else the
// test cache ($HOME/.cache/vkcalib-test/ort), else Node's own resolution.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export function loadOrt(dir) {
  const tries = [dir, process.env.VKCALIB_ORT_DIR, path.join(os.homedir(), '.cache', 'vkcalib-test', 'ort')];
  for (const d of tries) {
    if (d && fs.existsSync(path.join(d, 'node_modules', 'onnxruntime-node')))
      return createRequire(path.join(path.resolve(d), 'package.json'))('onnxruntime-node');
  }
  return createRequire(import.meta.url)('onnxruntime-node');
}

// Typed array of an npz entry -> ort.Tensor of the same type.
export function toTensor(ort, arr) {
  return new ort.Tensor(arr.dtype, arr.data, arr.shape);
}
