// .npz batches for capture.mjs and the ONNX tests: a reader (stored and
// deflated members, .npy versions 1-3, float32/float64/int64/int32/uint8 in
// C order) and a writer (stored members, .npy 1.0, float32), with no
// dependency beyond Node itself.
import fs from 'node:fs';
import zlib from 'node:zlib';

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const DTYPES = {
  '<f4': [Float32Array, 'float32'], '<f8': [Float64Array, 'float64'], '<i8': [BigInt64Array, 'int64'],
  '<i4': [Int32Array, 'int32'], '|u1': [Uint8Array, 'uint8'], '<u1': [Uint8Array, 'uint8'],
};

// One .npy in memory -> {dtype, shape, data (a typed array)}.
export function parseNpy(buf, what) {
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${what}: not a .npy`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !DTYPES[descr] || fortran || shapeText === undefined)
    throw new Error(`${what}: unsupported .npy header ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const [T, dtype] = DTYPES[descr];
  const bytes = count * T.BYTES_PER_ELEMENT;
  if (buf.length < start + bytes) throw new Error(`${what}: data shorter than its shape`);
  const copy = Buffer.from(buf.subarray(start, start + bytes)); // aligned
  return { dtype, shape, data: new T(copy.buffer, copy.byteOffset, count) };
}

// A whole .npz -> Map(key -> array).
export function readNpz(path) {
  const z = fs.readFileSync(path);
  let eocd = -1;
  for (let i = z.length - 22; i >= Math.max(0, z.length - 65557); i--)
    if (z.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error(`${path}: not a zip file`);
  const n = z.readUInt16LE(eocd + 10);
  let p = z.readUInt32LE(eocd + 16);
  const out = new Map();
  for (let k = 0; k < n; k++) {
    if (z.readUInt32LE(p) !== 0x02014b50) throw new Error(`${path}: bad central directory`);
    const method = z.readUInt16LE(p + 10), csize = z.readUInt32LE(p + 20);
    const nlen = z.readUInt16LE(p + 28), xlen = z.readUInt16LE(p + 30), clen = z.readUInt16LE(p + 32);
    const local = z.readUInt32LE(p + 42);
    const name = z.toString('utf8', p + 46, p + 46 + nlen);
    p += 46 + nlen + xlen + clen;
    const lstart = local + 30 + z.readUInt16LE(local + 26) + z.readUInt16LE(local + 28);
    const raw = z.subarray(lstart, lstart + csize);
    const member = method === 0 ? raw : method === 8 ? zlib.inflateRawSync(raw) : null;
    if (!member) throw new Error(`${path}: ${name}: compression method ${method}`);
    out.set(name.replace(/\.npy$/, ''), parseNpy(member, `${path}: ${name}`));
  }
  return out;
}

function npyBytes(shape, f32) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

// Writes Map/array of [key, {shape, data: Float32Array}] as a stored .npz
// (through a temporary file and a rename). Members are written in the
// given order; the output is the same bytes for the same arrays (the zip
// times are fixed).
export function writeNpz(path, entries) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const [key, arr] of entries) {
    const name = Buffer.from(`${key}.npy`, 'utf8');
    const body = npyBytes(arr.shape, arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data));
    if (body.length >= 0xffffffff) throw new Error(`${path}: ${key}: member over 4 GiB (no zip64 here)`);
    const crc = crc32(body);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6); // UTF-8 names
    lh.writeUInt16LE(0, 8);
    lh.writeUInt16LE(0, 10);
    lh.writeUInt16LE(0x21, 12); // 1980-01-01
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(body.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(0x21, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(body.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  const tmp = `${path}.tmp${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([...locals, cd, end]));
  fs.renameSync(tmp, path);
}
