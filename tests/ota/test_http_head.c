/* The HTTP head parser (firmware/ota/http/http_head.c): requests as curl and browsers send
 * them, responses as update servers send them, fed whole and byte by byte, and the malformed
 * heads it must refuse. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "http_head.h"

/* Feeds `text` in pieces of `step` bytes; returns the bytes consumed. */
static size_t feed(http_head_t *h, const char *text, size_t step)
{
    size_t len = strlen(text), used = 0;
    while (used < len && h->status == HTTP_HEAD_MORE) {
        size_t n = len - used < step ? len - used : step;
        size_t k = http_head_feed(h, (const uint8_t *)text + used, n);
        used += k;
        if (k < n)
            break;
    }
    return used;
}

static const char curl_post[] =
    "POST /update HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Length: 26607\r\n"
    "Content-Type: multipart/form-data; boundary=------------------------"
    "d74496d66958873e\r\n"
    "\r\n"
    "--------------------------d74496d66958873e\r\n";

Test(http_head, request_any_split)
{
    size_t head_len = strstr(curl_post, "\r\n\r\n") + 4 - curl_post;
    for (size_t step = 1; step <= sizeof(curl_post); step += 7) {
        http_head_t h;
        http_head_init(&h, true);
        size_t used = feed(&h, curl_post, step);
        cr_assert_eq(h.status, HTTP_HEAD_DONE, "step %zu", step);
        cr_assert_eq(used, head_len, "the body is not consumed (step %zu)", step);
        cr_assert_str_eq(h.method, "POST");
        cr_assert_str_eq(h.target, "/update");
        cr_assert_eq(h.minor, 1);
        cr_assert_eq(h.nheaders, 5);
        cr_assert_str_eq(http_head_get(&h, "content-type"),
                         "multipart/form-data; boundary=------------------------d74496d66958873e");
        uint32_t cl = 0;
        cr_assert_eq(http_head_content_length(&h, &cl), 1);
        cr_assert_eq(cl, 26607);
        cr_assert_null(http_head_get(&h, "Authorization"));
    }
}

Test(http_head, response_with_repeated_header_and_bare_lf)
{
    http_head_t h;
    http_head_init(&h, false);
    const char *r = "HTTP/1.0 200 OK\nx-MD5: abc\nX-md5:  def \nContent-Length: 12\n\nbody";
    size_t used = feed(&h, r, 1000);
    cr_assert_eq(h.status, HTTP_HEAD_DONE);
    cr_assert_str_eq(r + used, "body");
    cr_assert_eq(h.code, 200);
    cr_assert_str_eq(h.reason, "OK");
    char joined[32];
    cr_assert_eq(http_head_get_joined(&h, "x-md5", joined, sizeof(joined)), 2);
    cr_assert_str_eq(joined, "abc,def");
    cr_assert_eq(http_head_get_joined(&h, "x-version", joined, sizeof(joined)), 0);
    cr_assert_str_eq(joined, "");
}

Test(http_head, content_length_cases)
{
    static const struct {
        const char *hdrs;
        int want;
        uint32_t value;
    } cases[] = {
        {"", 0, 0},
        {"Content-Length: 0\r\n", 1, 0},
        {"Content-Length: 4294967295\r\n", 1, 4294967295u},
        {"Content-Length: 4294967296\r\n", -1, 0},
        {"Content-Length: -1\r\n", -1, 0},
        {"Content-Length: 12a\r\n", -1, 0},
        {"Content-Length:\r\n", -1, 0},
        {"Content-Length: 5\r\nContent-Length: 5\r\n", 1, 5},
        {"Content-Length: 5\r\nContent-Length: 6\r\n", -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\n%s\r\n", cases[i].hdrs);
        http_head_t h;
        http_head_init(&h, false);
        feed(&h, text, 3);
        cr_assert_eq(h.status, HTTP_HEAD_DONE, "case %zu", i);
        uint32_t v = 0;
        cr_assert_eq(http_head_content_length(&h, &v), cases[i].want, "case %zu", i);
        if (cases[i].want == 1)
            cr_assert_eq(v, cases[i].value, "case %zu", i);
    }
}

Test(http_head, leading_empty_lines_are_skipped)
{
    http_head_t h;
    http_head_init(&h, true);
    feed(&h, "\r\n\nGET / HTTP/1.0\r\n\r\n", 1);
    cr_assert_eq(h.status, HTTP_HEAD_DONE);
    cr_assert_str_eq(h.method, "GET");
    cr_assert_eq(h.minor, 0);
}

Test(http_head, malformed_heads_are_refused)
{
    static const char *const bad_requests[] = {
        "GET /\r\n\r\n",                             /* no version */
        "GET / HTTP/2.0\r\n\r\n",                    /* not 1.x */
        "GET  / HTTP/1.1\r\n\r\n",                   /* empty target */
        "G(T / HTTP/1.1\r\n\r\n",                    /* method not a token */
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",         /* header without colon */
        "GET / HTTP/1.1\r\n: v\r\n\r\n",             /* empty name */
        "GET / HTTP/1.1\r\nName : v\r\n\r\n",        /* blank before colon */
        "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", /* obsolete folding */
        "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",         /* bare CR */
        "GET /a\x01 HTTP/1.1\r\n\r\n",               /* control character in the target */
    };
    for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
        http_head_t h;
        http_head_init(&h, true);
        feed(&h, bad_requests[i], 5);
        cr_assert_eq(h.status, HTTP_HEAD_BAD_SYNTAX, "request %zu", i);
    }
    static const char *const bad_responses[] = {
        "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 600 X\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1\r\n\r\n",       "FTP/1.1 200 OK\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad_responses) / sizeof(bad_responses[0]); i++) {
        http_head_t h;
        http_head_init(&h, false);
        feed(&h, bad_responses[i], 5);
        cr_assert_eq(h.status, HTTP_HEAD_BAD_SYNTAX, "response %zu", i);
    }
}

Test(http_head, limits)
{
    /* A head that never ends: TOO_BIG after exactly HTTP_HEAD_MAX bytes, nothing more read. */
    http_head_t h;
    http_head_init(&h, true);
    static char big[HTTP_HEAD_MAX + 100];
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(big + 19, 'a', sizeof(big) - 20);
    big[sizeof(big) - 1] = '\0';
    size_t used = feed(&h, big, 64);
    cr_assert_eq(h.status, HTTP_HEAD_TOO_BIG);
    cr_assert_eq(used, HTTP_HEAD_MAX);
    /* Endless empty lines do not keep the parser waiting forever. */
    http_head_init(&h, true);
    for (int i = 0; i < 2000 && h.status == HTTP_HEAD_MORE; i++)
        http_head_feed(&h, (const uint8_t *)"\r\n", 2);
    cr_assert_eq(h.status, HTTP_HEAD_TOO_BIG);
    /* One header too many. */
    char many[HTTP_HEAD_MAX];
    size_t n = (size_t)snprintf(many, sizeof(many), "GET / HTTP/1.1\r\n");
    for (unsigned i = 0; i <= HTTP_HEADERS_MAX; i++)
        n += (size_t)snprintf(many + n, sizeof(many) - n, "H%u: v\r\n", i);
    snprintf(many + n, sizeof(many) - n, "\r\n");
    http_head_init(&h, true);
    feed(&h, many, 100);
    cr_assert_eq(h.status, HTTP_HEAD_TOO_MANY);
}
