#!/usr/bin/env node
// Captures a calibration set with a real runtime: runs an ONNX model in ONNX
// Runtime (npm's onnxruntime-node) on input batches and writes, per batch,
// one .npz holding every tensor `vkcalib qdq` needs a range for, keyed by
// its graph name (names such as /conv1/Conv_output_0 are fine as .npz keys).
//
//   node scripts/capture.mjs MODEL.onnx INPUT... -o OUTDIR [options]
//
// INPUT: .npz files (or folders of them), one batch each, keyed by the
// model's input names. Options:
//   -o DIR          output folder (created); batch_00000.npz, ... in input order
//   --target T      tensorrt (default), onnxruntime, openvino (as vkcalib qdq)
//   --ops LIST      extra ops, as vkcalib qdq --ops
//   --vkcalib PATH  the vkcalib executable (default: vkcalib on PATH)
//   --ort DIR       folder where onnxruntime-node is installed (see ort.mjs)
//   --opt LEVEL     ONNX Runtime graph optimization: disabled, basic,
//                   extended, all (default: basic)
//
// How: `vkcalib tensors MODEL --expose` writes the model with those tensors
// added as graph outputs, so the runtime returns them with its outputs.
// Install onnxruntime-node without its CUDA download:
//   ONNXRUNTIME_NODE_INSTALL=skip npm install --ignore-scripts onnxruntime-node
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readNpz, writeNpz } from './npz.mjs';
import { loadOrt, toTensor } from './ort.mjs';

function usage(msg) {
  process.stderr.write(`capture: ${msg}\nusage: node capture.mjs MODEL.onnx INPUT... -o OUTDIR [--target T] [--ops LIST] [--vkcalib PATH] [--ort DIR] [--opt LEVEL]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const opt = { target: 'tensorrt', vkcalib: 'vkcalib', opt: 'basic' };
const pos = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const val = () => (i + 1 < args.length ? args[++i] : usage(`${a} needs a value`));
  if (a === '-o') opt.out = val();
  else if (a === '--target') opt.target = val();
  else if (a === '--ops') opt.ops = val();
  else if (a === '--vkcalib') opt.vkcalib = val();
  else if (a === '--ort') opt.ort = val();
  else if (a === '--opt') opt.opt = val();
  else if (a === '--help' || a === '-h') usage('help');
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else pos.push(a);
}
if (pos.length < 2 || !opt.out) usage('give MODEL.onnx, INPUT... and -o OUTDIR');
const [model, ...inputs] = pos;

const batches = [];
for (const p of inputs) {
  if (fs.statSync(p).isDirectory())
    batches.push(...fs.readdirSync(p).filter((f) => f.endsWith('.npz')).sort().map((f) => path.join(p, f)));
  else batches.push(p);
}
if (!batches.length) usage('no .npz input batches');

const sel = ['--target', opt.target, ...(opt.ops ? ['--ops', opt.ops] : [])];
const listed = JSON.parse(execFileSync(opt.vkcalib, ['tensors', model, '--json', ...sel], { encoding: 'utf8' }));
const names = listed.tensors;
fs.mkdirSync(opt.out, { recursive: true });
const exposed = path.join(opt.out, `.capture-${process.pid}.onnx`);
execFileSync(opt.vkcalib, ['tensors', model, '--expose', '-o', exposed, ...sel], { stdio: ['ignore', 'ignore', 'inherit'] });

const ort = loadOrt(opt.ort);
try {
  const session = await ort.InferenceSession.create(exposed, { graphOptimizationLevel: opt.opt });
  const wanted = names.filter((n) => session.outputNames.includes(n));
  for (let b = 0; b < batches.length; b++) {
    const arrays = readNpz(batches[b]);
    const feeds = {};
    for (const n of session.inputNames) {
      if (!arrays.has(n)) throw new Error(`${batches[b]}: no array for model input '${n}'`);
      feeds[n] = toTensor(ort, arrays.get(n));
    }
    const got = await session.run(feeds);
    const entries = [];
    for (const n of wanted) {
      const t = got[n];
      if (t.type !== 'float32') {
        process.stderr.write(`capture: tensor '${n}' is ${t.type}, not float32: skipped\n`);
        continue;
      }
      entries.push([n, { shape: t.dims, data: t.data }]);
    }
    writeNpz(path.join(opt.out, `batch_${String(b).padStart(5, '0')}.npz`), entries);
  }
  process.stderr.write(`capture: ${batches.length} batches x ${wanted.length} tensors -> ${opt.out}\n`);
} finally {
  fs.rmSync(exposed, { force: true });
  fs.rmSync(`${exposed}.data`, { force: true });
}
