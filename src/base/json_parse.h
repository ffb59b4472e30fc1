/* A small JSON (RFC 8259) DOM parser for tests and `vkcalib inspect`.
 *
 * The input is a memory buffer with a length (it need not end in NUL), so a
 * fuzzer can call it directly. Hostile input gives an error, never a crash or
 * a read outside [buf, buf + len): strings must be valid UTF-8 and use only
 * the JSON escapes (\uXXXX surrogate pairs become one UTF-8 sequence, a lone
 * surrogate is an error), numbers follow the JSON grammar exactly, nesting is
 * limited, and trailing bytes after the value are an error. A leading UTF-8
 * byte order mark is skipped.
 *
 * The tree is immutable once parsed; every pointer into it stays valid until
 * vkc_json_free(root). Accessors accept NULL and wrong types and then return
 * the "absent" value, so lookups chain without checks:
 *   vkc_json_uint64(vkc_json_get(vkc_json_at(cases, 3), "bins"), &bins)
 */
#ifndef VKC_JSON_PARSE_H
#define VKC_JSON_PARSE_H

#include "base/common.h"

#include <stddef.h>
#include <stdint.h>

/* vkc_json_type, vkc_json and the accessors below are public (vkcalib.h);
 * the comments here are the full contract. */

/* Nesting limit of vkc_json_parse: arrays and objects nested deeper fail. */
#define VKC_JSON_MAX_DEPTH 64

/* Parses buf[0..len) into a tree. On failure *out is NULL and msg names the
 * 1-based line and byte column of the offending byte. Errors:
 * VKC_ERROR_FORMAT for malformed input, VKC_ERROR_OUT_OF_MEMORY,
 * VKC_ERROR_INVALID_ARGUMENT for a NULL out (or NULL buf with len > 0). */
vkc_status vkc_json_parse(const char *buf, size_t len, vkc_json **out, vkc_msg *msg);

/* Same with a caller-chosen nesting limit (1..VKC_JSON_MAX_DEPTH*16). */
vkc_status vkc_json_parse_depth(const char *buf, size_t len, unsigned max_depth,
                                vkc_json **out, vkc_msg *msg);

/* Frees a tree returned by vkc_json_parse (only the root; NULL is fine). */
void vkc_json_free(vkc_json *root);

/* VKC_JSON_NULL for a NULL pointer as well as for `null`. */
vkc_json_type vkc_json_type_of(const vkc_json *v);
const char *vkc_json_type_name(vkc_json_type t);

/* Elements of an array or members of an object; 0 for anything else. */
size_t vkc_json_len(const vkc_json *v);
/* Element i of an array, or the value of member i of an object (members keep
 * their order in the text); NULL when out of range or not a container. */
const vkc_json *vkc_json_at(const vkc_json *v, size_t i);
/* Key of member i of an object (NUL-terminated; *len, when not NULL, gets the
 * length, which counts any \u0000 inside); NULL when not applicable. */
const char *vkc_json_key_at(const vkc_json *obj, size_t i, size_t *len);
/* Value of the first member named key (compared as a C string, so keys with
 * an embedded NUL never match); NULL when absent or obj is not an object. */
const vkc_json *vkc_json_get(const vkc_json *obj, const char *key);

/* The number as a double (correctly rounded by strtod in the C locale);
 * NaN when v is not a number. */
double vkc_json_number(const vkc_json *v);
/* 1 and *out set when v is a number token made of digits only (no sign,
 * fraction or exponent) whose value fits uint64_t; else 0. */
int vkc_json_uint64(const vkc_json *v, uint64_t *out);
/* The string's bytes, NUL-terminated, UTF-8; NULL when not a string. */
const char *vkc_json_string(const vkc_json *v, size_t *len);
/* 1 and *out set (0 or 1) when v is true or false; else 0. */
int vkc_json_bool(const vkc_json *v, int *out);

#endif
