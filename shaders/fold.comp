#version 450
// Moves a recorder's 32-bit working counters into its 64-bit totals and
// restores the working buffer to neutral, so that the recorder's working
// counters never wrap however much the application records between reads
// (vkc_recorder). Needs no int64 support.
// Invocation i owns counter i: w[src + i] and the pair t[dst + 2i] (low),
// t[dst + 2i + 1] (high); invocation 0 also owns the range record's keys
// when keys != 0: w[0..3) (min key, max key, |x| max bits) into t[0..3).
// No atomics: nothing else touches these words during the dispatch.
// Bindings: 0 = working buffer, 1 = totals (words).
// Push constants: src, dst (word offsets), n (counters), keys.
layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer Work { uint w[]; };
layout(std430, binding = 1) buffer Total { uint t[]; };
layout(push_constant) uniform Push { uint src; uint dst; uint n; uint keys; } pc;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (pc.keys != 0u && i == 0u) {
        t[0] = min(t[0], w[0]);
        t[1] = max(t[1], w[1]);
        t[2] = max(t[2], w[2]);
        w[0] = 0xffffffffu;
        w[1] = 0u;
        w[2] = 0u;
    }
    if (i >= pc.n) return;
    uint v = w[pc.src + i];
    if (v == 0u) return;
    w[pc.src + i] = 0u;
    uint lo = t[pc.dst + 2u * i];
    uint sum = lo + v;
    t[pc.dst + 2u * i] = sum;
    if (sum < lo) t[pc.dst + 2u * i + 1u] += 1u;
}
