/* JSON parser: valid documents, escapes, numbers, the nesting limit, and
 * malformed or mutated input, always from exact-size heap copies so that
 * ASan sees any read past the end. */
#include "base/json_parse.h"
#include "testutil.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Parses an exact-size copy of len bytes (no NUL after them). */
static vkc_status parse_n(const char *text, size_t len, vkc_json **out, vkc_msg *msg)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    vkc_status s = vkc_json_parse(copy, len, out, msg);
    free(copy);
    return s;
}

static vkc_json *parse_ok(const char *text)
{
    vkc_json *doc = NULL;
    vkc_msg msg = {{0}};
    vkc_status s = parse_n(text, strlen(text), &doc, &msg);
    REQUIREF(s == VKC_OK && doc, "parsing %s: %s", text, msg.text);
    return doc;
}

static void expect_error_n(const char *text, size_t len, const char *why)
{
    vkc_json *doc = (vkc_json *)&doc; /* must be reset to NULL */
    vkc_msg msg = {{0}};
    vkc_status s = parse_n(text, len, &doc, &msg);
    REQUIREF(s == VKC_ERROR_FORMAT && doc == NULL && strstr(msg.text, "line "),
             "%s: status %d, message '%s'", why, (int)s, msg.text);
    if (s == VKC_OK) vkc_json_free(doc);
}

static void expect_error(const char *text)
{
    expect_error_n(text, strlen(text), text);
}

/* ------------------------------------------------------------------------ */

static void test_document(void)
{
    vkc_json *doc = parse_ok(" \r\n\t{\"name\": \"A\", \"n\": 3, \"list\": [1, 2.5, true, false, null, "
                             "{}, [], \"\"], \"nested\": {\"z\": 1, \"a\": {\"deep\": [[[7]]]}}, "
                             "\"n\": 4}\n");
    REQUIRE_CMP(vkc_json_type_of(doc), ==, VKC_JSON_OBJECT);
    REQUIRE_CMP(vkc_json_len(doc), ==, 5);
    /* Key order is the text's; duplicate keys stay, and get finds the first. */
    const char *keys[] = {"name", "n", "list", "nested", "n"};
    for (size_t i = 0; i < 5; i++) {
        size_t len = 0;
        const char *k = vkc_json_key_at(doc, i, &len);
        REQUIRE(k && strcmp(k, keys[i]) == 0 && len == strlen(keys[i]));
    }
    uint64_t u = 0;
    REQUIRE(vkc_json_uint64(vkc_json_get(doc, "n"), &u));
    REQUIRE_CMP(u, ==, 3);
    REQUIRE(vkc_json_uint64(vkc_json_at(doc, 4), &u));
    REQUIRE_CMP(u, ==, 4);
    REQUIRE_CMP(strcmp(vkc_json_string(vkc_json_get(doc, "name"), NULL), "A"), ==, 0);

    const vkc_json *list = vkc_json_get(doc, "list");
    REQUIRE_CMP(vkc_json_type_of(list), ==, VKC_JSON_ARRAY);
    REQUIRE_CMP(vkc_json_len(list), ==, 8);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(list, 1)), ==, 2.5);
    int b = -1;
    REQUIRE(vkc_json_bool(vkc_json_at(list, 2), &b));
    REQUIRE_CMP(b, ==, 1);
    REQUIRE(vkc_json_bool(vkc_json_at(list, 3), &b));
    REQUIRE_CMP(b, ==, 0);
    REQUIRE_CMP(vkc_json_type_of(vkc_json_at(list, 4)), ==, VKC_JSON_NULL);
    REQUIRE_CMP(vkc_json_at(list, 4), !=, NULL);
    REQUIRE_CMP(vkc_json_type_of(vkc_json_at(list, 5)), ==, VKC_JSON_OBJECT);
    REQUIRE_CMP(vkc_json_len(vkc_json_at(list, 5)), ==, 0);
    REQUIRE_CMP(vkc_json_type_of(vkc_json_at(list, 6)), ==, VKC_JSON_ARRAY);
    REQUIRE_CMP(vkc_json_len(vkc_json_at(list, 6)), ==, 0);
    size_t sl = 9;
    REQUIRE_CMP(strcmp(vkc_json_string(vkc_json_at(list, 7), &sl), ""), ==, 0);
    REQUIRE_CMP(sl, ==, 0);
    REQUIRE_CMP(vkc_json_at(list, 8), ==, NULL);

    const vkc_json *deep = vkc_json_get(vkc_json_get(vkc_json_get(doc, "nested"), "a"), "deep");
    REQUIRE_CMP(vkc_json_number(vkc_json_at(vkc_json_at(vkc_json_at(deep, 0), 0), 0)), ==, 7);

    /* Wrong types and NULLs give the absent value. */
    REQUIRE_CMP(vkc_json_get(list, "x"), ==, NULL);
    REQUIRE_CMP(vkc_json_get(doc, "missing"), ==, NULL);
    REQUIRE_CMP(vkc_json_get(NULL, "x"), ==, NULL);
    REQUIRE_CMP(vkc_json_get(doc, NULL), ==, NULL);
    REQUIRE_CMP(vkc_json_at(NULL, 0), ==, NULL);
    REQUIRE_CMP(vkc_json_len(NULL), ==, 0);
    REQUIRE_CMP(vkc_json_len(vkc_json_get(doc, "n")), ==, 0);
    REQUIRE(isnan(vkc_json_number(list)));
    REQUIRE(isnan(vkc_json_number(NULL)));
    REQUIRE(!vkc_json_uint64(list, &u));
    REQUIRE(!vkc_json_bool(list, &b));
    REQUIRE_CMP(vkc_json_string(list, NULL), ==, NULL);
    REQUIRE_CMP(vkc_json_key_at(list, 0, NULL), ==, NULL);
    REQUIRE_CMP(vkc_json_key_at(doc, 5, NULL), ==, NULL);
    REQUIRE_CMP(vkc_json_type_of(NULL), ==, VKC_JSON_NULL);
    REQUIRE_CMP(strcmp(vkc_json_type_name(VKC_JSON_OBJECT), "object"), ==, 0);
    vkc_json_free(doc);
    vkc_json_free(NULL);

    /* Scalars at the top level, a byte order mark, a big array. */
    doc = parse_ok("\xef\xbb\xbf 42 ");
    REQUIRE(vkc_json_uint64(doc, &u));
    REQUIRE_CMP(u, ==, 42);
    vkc_json_free(doc);
    doc = parse_ok("\"top\"");
    REQUIRE_CMP(strcmp(vkc_json_string(doc, NULL), "top"), ==, 0);
    vkc_json_free(doc);
    size_t big = 200000;
    char *text = malloc(big * 2 + 2);
    text[0] = '[';
    for (size_t i = 0; i < big; i++) {
        text[1 + 2 * i] = (char)('0' + i % 10);
        text[2 + 2 * i] = i + 1 < big ? ',' : ']';
    }
    vkc_msg msg;
    REQUIRE_CMP(parse_n(text, 2 * big + 1, &doc, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_json_len(doc), ==, big);
    REQUIRE(vkc_json_uint64(vkc_json_at(doc, big - 1), &u));
    REQUIRE_CMP(u, ==, (big - 1) % 10);
    vkc_json_free(doc);
    free(text);
}

static void test_strings(void)
{
    vkc_json *doc = parse_ok("[\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\", \"\\u00e9\\u20AC\", "
                             "\"\\ud83d\\ude00\", \"a\\u0000b\", \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", "
                             "\"\\u0041\\u007f\\u0080\\u07ff\\u0800\\uffff\", \"\\uDBFF\\uDFFF\"]");
    size_t len;
    const char *s = vkc_json_string(vkc_json_at(doc, 0), &len);
    REQUIRE(s && len == 16 && memcmp(s, "q\"b\\s/b\bf\fn\nr\rt\t", 17) == 0);
    s = vkc_json_string(vkc_json_at(doc, 1), &len);
    REQUIRE(s && len == 5 && strcmp(s, "\xc3\xa9\xe2\x82\xac") == 0);
    s = vkc_json_string(vkc_json_at(doc, 2), &len);
    REQUIRE(s && len == 4 && strcmp(s, "\xf0\x9f\x98\x80") == 0);
    s = vkc_json_string(vkc_json_at(doc, 3), &len);
    REQUIRE(s && len == 3 && memcmp(s, "a\0b", 4) == 0);
    s = vkc_json_string(vkc_json_at(doc, 4), &len);
    REQUIRE(s && len == 9 && strcmp(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0);
    s = vkc_json_string(vkc_json_at(doc, 5), &len);
    REQUIRE(s && len == 1 + 1 + 2 + 2 + 3 + 3 &&
            memcmp(s, "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", len) == 0);
    s = vkc_json_string(vkc_json_at(doc, 6), &len);
    REQUIRE(s && len == 4 && strcmp(s, "\xf4\x8f\xbf\xbf") == 0);
    vkc_json_free(doc);

    /* A key with an escaped NUL never matches a C-string lookup. */
    doc = parse_ok("{\"a\\u0000b\": 1, \"a\": 2}");
    size_t kl;
    REQUIRE(vkc_json_key_at(doc, 0, &kl));
    REQUIRE_CMP(kl, ==, 3);
    REQUIRE_CMP(vkc_json_number(vkc_json_get(doc, "a")), ==, 2);
    vkc_json_free(doc);
}

static void test_numbers(void)
{
    vkc_json *doc = parse_ok("[0, 18446744073709551615, 18446744073709551616, -5, 1.5, 1e3, -0, 1e-400, "
                             "123456789012345678901234567890, 0.1, 9007199254740993, 2.5E+2, 7e-1, -0.0e0, "
                             "1.7976931348623157e308, 4.9406564584124654e-324]");
    uint64_t u;
    const vkc_json *v;
    REQUIRE(vkc_json_uint64(vkc_json_at(doc, 0), &u));
    REQUIRE_CMP(u, ==, 0);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 0)), ==, 0);
    REQUIRE(vkc_json_uint64(vkc_json_at(doc, 1), &u));
    REQUIRE_CMP(u, ==, UINT64_MAX);
    v = vkc_json_at(doc, 2);
    REQUIRE(!vkc_json_uint64(v, &u));
    REQUIRE_CMP(vkc_json_number(v), ==, 18446744073709551616.0);
    v = vkc_json_at(doc, 3);
    REQUIRE(!vkc_json_uint64(v, &u));
    REQUIRE_CMP(vkc_json_number(v), ==, -5.0);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 4)), ==, 1.5);
    v = vkc_json_at(doc, 5);
    REQUIRE(!vkc_json_uint64(v, &u));
    REQUIRE_CMP(vkc_json_number(v), ==, 1000.0);
    v = vkc_json_at(doc, 6);
    REQUIRE(!vkc_json_uint64(v, &u));
    REQUIRE_CMP(vkc_json_number(v), ==, 0);
    REQUIRE(signbit(vkc_json_number(v)));
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 7)), ==, 0);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 8)), ==, 123456789012345678901234567890.0);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 9)), ==, 0.1);
    v = vkc_json_at(doc, 10);
    REQUIRE(vkc_json_uint64(v, &u));
    REQUIRE_CMP(u, ==, 9007199254740993ull);
    REQUIRE_CMP(vkc_json_number(v), ==, 9007199254740992.0);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 11)), ==, 250.0);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 12)), ==, 0.7);
    REQUIRE(signbit(vkc_json_number(vkc_json_at(doc, 13))));
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 14)), ==, 1.7976931348623157e308);
    REQUIRE_CMP(vkc_json_number(vkc_json_at(doc, 15)), ==, 4.9406564584124654e-324);
    vkc_json_free(doc);

    /* Decimal points read the same whatever the application's locale. */
    static const char *const comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "C.UTF-8"};
    for (size_t k = 0; k < sizeof comma_locales / sizeof *comma_locales; k++) {
        if (!setlocale(LC_NUMERIC, comma_locales[k])) continue;
        doc = parse_ok("[1.25, 3e-2]");
        REQUIREF(vkc_json_number(vkc_json_at(doc, 0)) == 1.25 && vkc_json_number(vkc_json_at(doc, 1)) == 3e-2,
                 "under locale %s", comma_locales[k]);
        vkc_json_free(doc);
        break;
    }
    setlocale(LC_NUMERIC, "C");
}

static void test_nesting(void)
{
    enum { DEEP = 100000 };
    char *text = malloc(2 * DEEP);
    for (size_t i = 0; i < DEEP; i++) {
        text[i] = '[';
        text[2 * DEEP - 1 - i] = ']';
    }
    vkc_json *doc = NULL;
    vkc_msg msg;
    /* 64 levels parse, 65 do not; 100000 fail cleanly. */
    REQUIRE_CMP(parse_n(text + DEEP - 64, 128, &doc, &msg), ==, VKC_OK);
    const vkc_json *v = doc;
    for (int d = 0; d < 63; d++) v = vkc_json_at(v, 0);
    REQUIRE_CMP(vkc_json_type_of(v), ==, VKC_JSON_ARRAY);
    REQUIRE_CMP(vkc_json_len(v), ==, 0);
    vkc_json_free(doc);
    expect_error_n(text + DEEP - 65, 130, "65 nested arrays");
    expect_error_n(text, 2 * DEEP, "100000 nested arrays");
    expect_error_n(text, DEEP, "100000 open arrays");
    free(text);

    /* Objects count too, and the limit can be chosen. */
    const char *objs = "{\"a\":{\"b\":{\"c\":[1]}}}";
    REQUIRE_CMP(vkc_json_parse_depth(objs, strlen(objs), 4, &doc, &msg), ==, VKC_OK);
    vkc_json_free(doc);
    REQUIRE_CMP(vkc_json_parse_depth(objs, strlen(objs), 3, &doc, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE(!doc);
    REQUIRE_CMP(strstr(msg.text, "nesting deeper than 3"), !=, NULL);
    REQUIRE_CMP(vkc_json_parse_depth(objs, strlen(objs), 0, &doc, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_json_parse_depth("1", 1, 1, &doc, &msg), ==, VKC_OK);
    vkc_json_free(doc);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "", " ", "\n\t ", "{", "}", "[", "]", "[1,]", "[,1]", "[1,,2]", "[1 2]", "{,}",
        "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{a:1}", "{'a':1}", "['a']",
        "{\"a\":1}}", "[1]]", "[1]x", "1 2", "tru", "nul", "fals", "truex", "True", "NULL",
        "01", "-01", "1.", ".5", "1.e3", "1e", "1e+", "1E-", "-", "--1", "+1", "0x10", "1_000",
        "Infinity", "-Infinity", "NaN", "1e400", "-1e400", "\"abc", "\"abc\\\"", "\"\\x41\"",
        "\"\\u12\"", "\"\\u12G4\"", "\"\\U0041\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
        "\"\\ud800\\ud800\"", "\"\\ud800x\"", "\"\\ud800\\\"", "\"tab\there\"", "\"nl\nx\"",
        "\"\x01\"", "\"\x1f\"", "\"\xff\"", "\"\x80\"", "\"\xc0\xaf\"", "\"\xc1\xbf\"",
        "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf0\x80\x80\xaf\"", "\"\xf4\x90\x80\x80\"",
        "\"\xf5\x80\x80\x80\"", "\"\xe2\x82\"", "\"\xe2\x82", "\"\xc3\"", "\xef\xbb\xbf",
        "\xef\xbb", "/* c */ 1", "// c\n1", "[1] // c", "\x00", "[\"a\" : 1]", "{\"a\":1 \"b\":2}",
        "{\"a\"::1}", "[true false]", "[-]", "[1e]", "{\"a\":[}", "{\"a\":{]}", "\"\\",
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) expect_error(bad[k]);
    expect_error_n("[1,\0 2]", 7, "NUL byte between values");
    expect_error_n("\"a\0b\"", 5, "NUL byte in a string");
    expect_error_n("\x00", 1, "a lone NUL byte");

    /* The message points at the offending byte. */
    vkc_json *doc;
    vkc_msg msg = {{0}};
    const char *t = "{\n  \"a\": tru\n}";
    REQUIRE_CMP(parse_n(t, strlen(t), &doc, &msg), ==, VKC_ERROR_FORMAT);
    REQUIREF(strstr(msg.text, "line 2, column 8") != NULL, "message: %s", msg.text);
    t = "[1,\n2,\n\n   x]";
    REQUIRE_CMP(parse_n(t, strlen(t), &doc, &msg), ==, VKC_ERROR_FORMAT);
    REQUIREF(strstr(msg.text, "line 4, column 4") && strstr(msg.text, "'x'"), "message: %s", msg.text);
    t = "\"abc";
    REQUIRE_CMP(parse_n(t, strlen(t), &doc, &msg), ==, VKC_ERROR_FORMAT);
    REQUIREF(strstr(msg.text, "line 1, column 1") && strstr(msg.text, "unterminated"), "message: %s", msg.text);

    /* Arguments. */
    REQUIRE_CMP(vkc_json_parse("1", 1, NULL, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_json_parse(NULL, 1, &doc, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE(!doc);
    REQUIRE_CMP(vkc_json_parse(NULL, 0, &doc, NULL), ==, VKC_ERROR_FORMAT);
    REQUIRE(!doc);
}

/* Every proper prefix of an object is malformed; none may crash. */
static void test_prefixes(const char *text)
{
    size_t len = strlen(text);
    vkc_json *doc;
    vkc_msg msg;
    REQUIRE_CMP(parse_n(text, len, &doc, &msg), ==, VKC_OK);
    vkc_json_free(doc);
    int bad = 0;
    for (size_t n = 0; n < len; n++) {
        if (parse_n(text, n, &doc, &msg) != VKC_ERROR_FORMAT || doc) bad++;
    }
    REQUIREF(bad == 0, "%d prefixes parsed", bad);
}

/* Mutations of valid documents: each must parse or fail with FORMAT. */
static void test_mutations(void)
{
    static const char *const seeds[] = {
        "{\"cases\":[{\"name\":\"x\",\"bins\":2048,\"counts\":[1,2,3,0,18446744073709551615],"
        "\"range_max\":1.5e-3,\"ok\":true,\"none\":null,\"s\":\"\\u00e9\\ud83d\\ude00\\n\"}]}",
        "[[[[[]]]],{\"a\":{\"b\":[-0.5e+10,\"\xe2\x82\xac\"]}},false]",
    };
    static const char alphabet[] = "{}[]:,\"\\u0123456789abcdefABCDEF-+.eE tfnrl\n\x80\xbf\xc3\xed\xf0\xff";
    vkc_rng r = {20240601};
    int other = 0, ok = 0;
    for (int it = 0; it < 30000; it++) {
        const char *seed = seeds[it % 2];
        size_t len = strlen(seed);
        char buf[512];
        memcpy(buf, seed, len);
        int edits = 1 + (int)(vkc_rng_next(&r) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(vkc_rng_next(&r) % len);
            char c = alphabet[vkc_rng_next(&r) % (sizeof alphabet - 1)];
            switch (vkc_rng_next(&r) % 3) {
            case 0: buf[at] = c; break;
            case 1: /* delete */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            default: /* insert */
                if (len + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = c;
                    len++;
                }
            }
            if (len == 0) break;
        }
        vkc_json *doc = NULL;
        vkc_msg msg;
        vkc_status s = parse_n(buf, len, &doc, &msg);
        if (s == VKC_OK) {
            ok++;
            vkc_json_free(doc);
        } else if (s != VKC_ERROR_FORMAT || doc) {
            other++;
        }
    }
    REQUIREF(other == 0, "%d mutations gave an unexpected status", other);
    printf("mutations: %d of 30000 still valid\n", ok);
}

static void test_golden_file(void)
{
    size_t len = 0;
    char *text = vkc_test_read_file(VKC_TESTDATA_DIR "/golden_histograms.json", &len);
    REQUIRE_CMP(text, !=, NULL);
    if (!text) return;
    vkc_json *doc = NULL;
    vkc_msg msg;
    REQUIREF(parse_n(text, len, &doc, &msg) == VKC_OK, "%s", msg.text);
    const vkc_json *c0 = vkc_json_at(vkc_json_get(doc, "cases"), 0);
    uint64_t bins;
    REQUIRE(vkc_json_uint64(vkc_json_get(c0, "bins"), &bins));
    REQUIRE_CMP(bins, ==, vkc_json_len(vkc_json_get(c0, "counts")));
    vkc_json_free(doc);
    free(text);
}

int main(void)
{
    test_document();
    test_strings();
    test_numbers();
    test_nesting();
    test_malformed();
    test_prefixes("{\"a\": [1, 2.5e3, {\"b\": \"x\\u00e9\\ud83d\\ude00\"}], \"c\": true, \"d\": null}");
    test_prefixes("{\"k\":\"\xe2\x82\xac\",\"n\":-0.125}");
    test_mutations();
    test_golden_file();
    return vkc_test_end();
}
