// Runs an fp32 model and its Q/DQ rewrite in ONNX Runtime (onnxruntime-node)
// on the same held-out batches and prints, as JSON, each output's SQNR in dB
// over all batches: 10 log10(sum ref^2 / sum (ref - q)^2). With
// --optimized FILE, ONNX Runtime also saves the Q/DQ model as it optimized it
// (what the test counts QLinearConv in: proof that the Q/DQ pairs fused).
//
//   node tests/ort_eval.mjs --fp32 M.onnx --q Q.onnx [--optimized O.onnx] [--iou T] [--opt LEVEL]
//                           [--ort DIR] INPUT.npz...
import { readNpz } from '../scripts/npz.mjs';
import { loadOrt, toTensor } from '../scripts/ort.mjs';

const args = process.argv.slice(2);
const o = { inputs: [] };
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--fp32') o.fp32 = args[++i];
  else if (args[i] === '--q') o.q = args[++i];
  else if (args[i] === '--optimized') o.optimized = args[++i];
  else if (args[i] === '--ort') o.ort = args[++i];
  else if (args[i] === '--opt') o.opt = args[++i];
  else if (args[i] === '--iou') o.iou = Number(args[++i]);
  else o.inputs.push(args[i]);
}
const ort = loadOrt(o.ort);
const ref = await ort.InferenceSession.create(o.fp32, { graphOptimizationLevel: 'disabled' });
// 'extended' is where ONNX Runtime fuses DQ -> op -> Q into integer kernels
// (float8 has none: --opt basic for those models).
const qopt = { graphOptimizationLevel: o.opt ?? 'extended' };
if (o.optimized) qopt.optimizedModelFilePath = o.optimized;
const q = await ort.InferenceSession.create(o.q, qopt);
const acc = {};
for (const f of o.inputs) {
  const a = readNpz(f);
  const feeds = {};
  for (const n of ref.inputNames) feeds[n] = toTensor(ort, a.get(n));
  const r = await ref.run(feeds), s = await q.run(feeds);
  for (const n of ref.outputNames) {
    if (r[n].type !== 'float32') continue; // integer outputs (shapes) are exact or not: compared below
    const x = r[n].data, y = s[n].data;
    if (x.length !== y.length) throw new Error(`output ${n}: ${x.length} vs ${y.length} elements`);
    const e = (acc[n] ??= { signal: 0, noise: 0, both: 0, either: 0 });
    for (let i = 0; i < x.length; i++) {
      e.signal += x[i] * x[i];
      e.noise += (x[i] - y[i]) * (x[i] - y[i]);
      if (o.iou !== undefined) {
        const a = x[i] > o.iou, b = y[i] > o.iou;
        e.both += a && b;
        e.either += a || b;
      }
    }
  }
}
// --iou T: also the intersection over union of the two models' maps
// thresholded at T (a text detector's binarized mask), per output.
const out = {}, iou = {};
for (const [n, e] of Object.entries(acc)) {
  out[n] = e.noise > 0 ? 10 * Math.log10(e.signal / e.noise) : Infinity;
  if (o.iou !== undefined) iou[n] = e.either ? e.both / e.either : 1;
}
process.stdout.write(JSON.stringify(o.iou !== undefined ? { sqnr_db: out, iou } : { sqnr_db: out }) + '\n');
