#version 450
// Folds 32-bit counters into 64-bit ones and clears them, so that a
// recorder's accumulators (vkc_recorder) never wrap however many dispatches
// the application records between two reads. Needs no int64 support.
// Invocation i owns counter i: a[src + i] and the pair a[dst + 2i] (low),
// a[dst + 2i + 1] (high). No atomics: nothing else touches them meanwhile.
// Binding 0: the recorder's buffer, as words.
// Push constants: src, dst (word offsets), n (counters).
layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer Acc { uint a[]; };
layout(push_constant) uniform Push { uint src; uint dst; uint n; } pc;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.n) return;
    uint v = a[pc.src + i];
    if (v == 0u) return;
    a[pc.src + i] = 0u;
    uint lo = a[pc.dst + 2u * i];
    uint sum = lo + v;
    a[pc.dst + 2u * i] = sum;
    if (sum < lo) a[pc.dst + 2u * i + 1u] += 1u;
}
