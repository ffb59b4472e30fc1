#!/usr/bin/env bash
# Packaging: `cmake --install` into a scratch prefix, then
#   - the embedding example (examples/embed) is built against the installed
#     package twice, through find_package(vkcalib) and through pkg-config,
#     and run: it borrows its own Vulkan device, calibrates three tensors
#     through vkc_calibrator from its own VkBuffer and writes a TensorRT
#     cache, byte-identical to `vkcalib calibrate` on the same batches;
#   - the command-line tool is built from src/cli against the installed
#     header and shared library alone, and calibrates like the built one;
#   - the shared library exports the vkc_ API and nothing else.
set -u
VKCALIB=$1
WORK=$2
BUILD=$(dirname "$VKCALIB")
pass=0 failed=0
ok() { pass=$((pass + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
rm -rf "$WORK" && mkdir -p "$WORK"
PREFIX=$WORK/prefix

if cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1; then ok; else fail "cmake --install"; cat "$WORK/install.log"; fi
for f in include/vkcalib.h lib/libvkcalib.a lib/libvkcalib.so lib/pkgconfig/vkcalib.pc \
         lib/cmake/vkcalib/vkcalibConfig.cmake bin/vkcalib; do
  [ -e "$PREFIX/$f" ] && ok || fail "not installed: $f"
done

bad=$(nm -D --defined-only "$PREFIX/lib/libvkcalib.so" | awk '{print $3}' | grep -v '^vkc_' || true)
[ -z "$bad" ] && ok || fail "non-API symbols exported: $bad"
nm -D --defined-only "$PREFIX/lib/libvkcalib.so" | grep -q ' vkc_search$' && ok || fail "vkc_search not exported"

# find_package
if cmake -S "$VKC_SOURCE_DIR/examples/embed" -B "$WORK/cm" -DCMAKE_PREFIX_PATH="$PREFIX" >"$WORK/cm.log" 2>&1 &&
   cmake --build "$WORK/cm" >>"$WORK/cm.log" 2>&1; then ok; else fail "find_package build"; cat "$WORK/cm.log"; fi
# pkg-config, static
if PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -o "$WORK/embed_pc" \
     "$VKC_SOURCE_DIR/examples/embed/embed.c" $(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags vkcalib) \
     "$PREFIX/lib/libvkcalib.a" $(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --libs-only-other --static vkcalib) \
     -lz -lpthread -lm -ldl 2>"$WORK/pc.log"; then ok; else fail "pkg-config build"; cat "$WORK/pc.log"; fi

ran_embed=0
for exe in "$WORK/cm/embed" "$WORK/embed_pc"; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  out=$(LD_LIBRARY_PATH=$PREFIX/lib "$exe" "$WORK/$name.cache" "$WORK/$name.set" llvmpipe 2>&1)
  rc=$?
  if [ $rc -eq 77 ]; then echo "SKIP: $exe: no Vulkan device"; continue; fi
  ran_embed=1
  [ $rc -eq 0 ] && ok || fail "$exe exited $rc: $out"
  echo "$out"
  head -1 "$WORK/$name.cache" 2>/dev/null | grep -q '^TRT-8601-EntropyCalibration2$' && ok || fail "$exe: no cache header"
  for t in relu_out signed_out tail_out; do
    grep -Eq "^$t: [0-9a-f]{8}\$" "$WORK/$name.cache" && ok || fail "$exe: no line for $t"
  done
done
if [ "$ran_embed" = 1 ]; then
  cmp -s "$WORK/embed.cache" "$WORK/embed_pc.cache" && ok || fail "the two builds wrote different caches"
  # The calibrator on the application's device == the tool on the same
  # batches from files, on the CPU backend and on the same device.
  for dev in --cpu "--device llvmpipe"; do
    # shellcheck disable=SC2086
    "$VKCALIB" calibrate "$WORK/embed.set" -o "$WORK/cli.cache" -q $dev 2>"$WORK/cli.log" && ok || fail "calibrate the embed set ($dev): $(cat "$WORK/cli.log")"
    cmp -s "$WORK/embed.cache" "$WORK/cli.cache" && ok ||
      fail "embed's calibrator and vkcalib calibrate $dev differ: $(diff "$WORK/embed.cache" "$WORK/cli.cache" | head -4 | tr '\n' '|')"
  done
fi

# The tool is a client of the public API: it builds from its own sources
# against the installed header and shared library alone.
if cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -ffp-contract=off -D_POSIX_C_SOURCE=200809L \
     -I"$PREFIX/include" -I"$VKC_SOURCE_DIR/src/cli" -o "$WORK/vkcalib_pkg" "$VKC_SOURCE_DIR"/src/cli/*.c \
     -L"$PREFIX/lib" -Wl,-rpath,"$PREFIX/lib" -lvkcalib -lpthread -lm 2>"$WORK/cli_build.log"; then
  ok
  "$WORK/vkcalib_pkg" calibrate "$VKC_SOURCE_DIR/examples/calib" -o "$WORK/pkg.json" -q --cpu --histograms &&
    "$VKCALIB" calibrate "$VKC_SOURCE_DIR/examples/calib" -o "$WORK/built.json" -q --cpu --histograms &&
    cmp -s "$WORK/pkg.json" "$WORK/built.json" && ok || fail "the tool built against the package calibrates differently"
  ldd "$WORK/vkcalib_pkg" | grep -q "$PREFIX/lib/libvkcalib.so" && ok || fail "vkcalib_pkg does not use the installed library"
else
  fail "building src/cli against the installed package: $(head -c 600 "$WORK/cli_build.log")"
fi

# An application that links libvulkan itself beside the static library: its
# own vk* calls must reach the loader, not volk's pointer variables inside
# libvkcalib.a (the archive renames them).
cat > "$WORK/both.c" <<'C'
#include <vulkan/vulkan.h>
#include <vkcalib.h>
#include <stdio.h>
int main(void)
{
    uint32_t v = 0;
    if (vkEnumerateInstanceVersion(&v) != VK_SUCCESS || v == 0) return 3;
    vkc_context_info info = {0};
    vkc_context *ctx = NULL;
    vkc_msg msg;
    if (vkc_context_create(&info, &ctx, &msg) != VKC_OK) { puts(msg.text); return 4; }
    float x[4] = {1, -2, 3, 0};
    vkc_stats st = {0};
    int rc = vkc_range_f32(ctx, x, 4, &st) == VKC_OK && st.absmax == 3.0f ? 0 : 5;
    vkc_context_destroy(ctx);
    printf("loader %u.%u, vkcalib on %s\n", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v), rc ? "-" : "ok");
    return rc;
}
C
if [ -e /usr/lib/x86_64-linux-gnu/libvulkan.so ] || ldconfig -p | grep -q 'libvulkan.so '; then
  if cc -std=c11 -o "$WORK/both" "$WORK/both.c" -I"$PREFIX/include" "$PREFIX/lib/libvkcalib.a" -lvulkan -lz \
       -lpthread -lm -ldl 2>"$WORK/both.log"; then ok; else fail "linking libvulkan beside libvkcalib.a"; cat "$WORK/both.log"; fi
  "$WORK/both" && ok || fail "an application's own vk* calls broke beside libvkcalib.a"
else
  echo "NOTE: no libvulkan.so development link here; the libvulkan-beside-static check is skipped"
fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
