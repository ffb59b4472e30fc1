// Shared by the data-pass shaders: float classification on raw bits, so that
// results never depend on a device's denormal or NaN handling.
const uint EXP_MASK = 0x7f800000u;
const uint ABS_MASK = 0x7fffffffu;

bool is_nonfinite(uint bits) { return (bits & EXP_MASK) == EXP_MASK; }

// Monotone integer key of a float: -Inf < ... < -0 < +0 < ... < +Inf, so
// that integer atomicMin/atomicMax need no float atomics.
uint order_key(uint bits) { return (bits & 0x80000000u) != 0u ? ~bits : (bits | 0x80000000u); }
