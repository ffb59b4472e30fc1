// The activation input of the data passes: binding 0, DTYPE elements packed
// little-endian into 32-bit words (float32: one per word; float16 and
// bfloat16: two, the lower half first). The including shader defines
// DTYPE_ID, the specialization constant id of DTYPE, before including this.
// Element e of a dispatch is element first + e of the binding: the first
// element need not sit at an aligned descriptor offset. The tile loops
// read the same binding as 16-byte quads (xq, an alias of x).
layout(constant_id = DTYPE_ID) const uint DTYPE = 0u; // 0 f32, 1 f16, 2 bf16

layout(std430, binding = 0) readonly buffer Input { uint x[]; };
layout(std430, binding = 0) readonly buffer InputQuads { uvec4 xq[]; };

const uint EPW = DTYPE == 0u ? 1u : 2u; // elements per word
const uint QE = 4u * EPW;              // elements per quad

// binary16 -> binary32 bits, exact, on integers only: subnormal halves are
// normal floats, and no device's denormal or NaN handling can interfere.
uint half_bits(uint h)
{
    uint s = (h & 0x8000u) << 16;
    uint e = (h >> 10) & 0x1fu;
    uint m = h & 0x3ffu;
    if (e == 0x1fu) return s | 0x7f800000u | (m << 13);
    if (e != 0u) return s | ((e + 112u) << 23) | (m << 13);
    if (m == 0u) return s;
    uint p = uint(findMSB(m)); // value = 1.f x 2^(p - 24)
    return s | ((p + 103u) << 23) | ((m << (23u - p)) & 0x7fffffu);
}

// The float32 bits of a 16-bit element h of this dtype.
uint widen16(uint h) { return DTYPE == 2u ? h << 16 : half_bits(h); }

// The float32 bits of element i of the binding.
uint load_bits(uint i)
{
    if (DTYPE == 0u) return x[i];
    return widen16((x[i >> 1] >> ((i & 1u) << 4)) & 0xffffu);
}

// Quad q of the binding, of which only the first nwords words exist: a
// quad that ends past them is read word by word, and nothing past the
// binding's range is ever read.
uvec4 load_quad(uint q, uint nwords)
{
    if (4u * q + 4u <= nwords) return xq[q];
    uvec4 r = uvec4(0u);
    for (uint k = 0u; k < 4u; k++)
        if (4u * q + k < nwords) r[k] = x[4u * q + k];
    return r;
}
