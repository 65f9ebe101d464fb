/* The web update server (firmware/ota/webupdate) on a simulated device: requests laid out as
 * browsers and curl send them, fed in random pieces, checked against spec §6 — and the
 * original's defects (§6.3 observations) shown fixed. Also base64 against GLib. */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "updater_util.h"
#include "webupdate.h"

static tdev_t *dev;
static webupdate_config_t cfg;
static webupdate_conn_t conn;

static void setup(void)
{
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    cfg = (webupdate_config_t){.path = "/update",
                               .auth = {NULL, NULL, "Login Required"},
                               .updater = &dev->up,
                               .layout = &dev->layout};
}

static void teardown(void)
{
    tdev_free(dev);
}

TestSuite(webupdate, .init = setup, .fini = teardown);

static uint64_t rng = 42;
static size_t rnd(size_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (size_t)(rng % n);
}

/* Sends the request in random pieces; returns the response (NUL-terminated copy). */
static char *exchange(const uint8_t *req, size_t len)
{
    webupdate_conn_init(&conn, &cfg);
    size_t off = 0;
    while (off < len) {
        size_t n = 1 + rnd(3000);
        if (n > len - off)
            n = len - off;
        size_t used = webupdate_conn_feed(&conn, req + off, n);
        off += used;
        if (used < n)
            break; /* the response is ready: the rest is not read */
    }
    size_t rl = 0;
    const char *r = webupdate_conn_response(&conn, &rl);
    cr_assert_not_null(r, "no response after %zu of %zu bytes", off, len);
    char *copy = malloc(rl + 1);
    memcpy(copy, r, rl);
    copy[rl] = '\0';
    return copy;
}

static char *exchange_text(const char *req)
{
    return exchange((const uint8_t *)req, strlen(req));
}

/* A curl -F style POST with one file part `field` holding `data` (or no file part). */
static uint8_t *post(const char *field, const uint8_t *data, size_t len, const char *auth,
                     size_t *out_len)
{
    const char *b = "------------------------3b8c1a55f0e4c2d1";
    char head_part[512];
    int hp = field ? snprintf(head_part, sizeof(head_part),
                              "--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                              "filename=\"basic.bin\"\r\nContent-Type: "
                              "application/octet-stream\r\n\r\n",
                              b, field)
                   : snprintf(head_part, sizeof(head_part),
                              "--%s\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi", b);
    char tail[128];
    int tl = snprintf(tail, sizeof(tail), "\r\n--%s--\r\n", b);
    size_t body = (size_t)hp + (field ? len : 0) + (size_t)tl;
    char head[512];
    int hl = snprintf(head, sizeof(head),
                      "POST /update HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\n"
                      "%s%s%sContent-Length: %zu\r\nContent-Type: multipart/form-data; "
                      "boundary=%s\r\n\r\n",
                      auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "", body, b);
    uint8_t *req = malloc((size_t)hl + body);
    memcpy(req, head, (size_t)hl);
    memcpy(req + hl, head_part, (size_t)hp);
    size_t o = (size_t)hl + (size_t)hp;
    if (field) {
        memcpy(req + o, data, len);
        o += len;
    }
    memcpy(req + o, tail, (size_t)tl);
    *out_len = o + (size_t)tl;
    return req;
}

static uint64_t writes(void)
{
    flashsim_stats_t s = flashsim_stats(dev->fs);
    return s.programs + s.sector_erases + s.block_erases;
}

Test(webupdate, get_serves_both_forms)
{
    char *r = exchange_text("GET /update HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_assert(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17), "%s", r);
    cr_assert(strstr(r, "Content-Type: text/html"));
    cr_assert(strstr(r, "name=\"firmware\"") && strstr(r, "name=\"filesystem\""));
    cr_assert(strstr(r, "enctype=\"multipart/form-data\""));
    cr_assert(strstr(r, "accept=\".bin,.bin.gz\""));
    /* Content-Length is the body's real length. */
    const char *body = strstr(r, "\r\n\r\n") + 4;
    unsigned cl = 0;
    cr_assert_eq(sscanf(strstr(r, "Content-Length: "), "Content-Length: %u", &cl), 1);
    cr_assert_eq(cl, strlen(body));
    free(r);
}

Test(webupdate, options_cors_and_other_routes)
{
    char *r = exchange_text("OPTIONS /update HTTP/1.1\r\n\r\n");
    cr_assert(strstr(r, "200 OK") && strstr(r, "Access-Control-Allow-Origin: *") &&
              strstr(r, "Access-Control-Allow-Headers: *"));
    cr_assert_str_eq(strstr(r, "\r\n\r\n") + 4, "y");
    free(r);
    r = exchange_text("GET /other HTTP/1.1\r\n\r\n");
    cr_assert(strstr(r, "404"), "%s", r);
    free(r);
    r = exchange_text("PUT /update HTTP/1.1\r\n\r\n");
    cr_assert(strstr(r, "405"), "%s", r);
    free(r);
    r = exchange_text("GET /update?x=1 HTTP/1.1\r\n\r\n");
    cr_assert(strstr(r, "200 OK"), "a query string does not change the route");
    free(r);
    r = exchange_text("garbage\r\n\r\n");
    cr_assert(strstr(r, "400"), "%s", r);
    free(r);
}

Test(webupdate, firmware_upload_any_split_reboots_with_a_copy_command)
{
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 77, &len);
    size_t rl;
    uint8_t *req = post("firmware", img, len, NULL, &rl);
    for (int round = 0; round < 3; round++) {
        char *r = exchange(req, rl);
        cr_assert(strstr(r, "200 OK") && strstr(r, "Update Success! Rebooting..."), "%s", r);
        cr_assert(strstr(r, "Access-Control-Allow-Origin: *"));
        cr_assert(webupdate_conn_reboot(&conn));
        /* Staged at the web updater's "maximum size" placement (spec §6.3): just above the
         * running sketch, not below the filesystem. */
        uint32_t sketch = uu_spec_sketch_size(dev);
        uu_expect_copy_cmd(dev, uu_round4k(sketch) + 0x1000u, 0, (uint32_t)len);
        free(r);
    }
    free(req);
    free(img);
}

Test(webupdate, filesystem_upload)
{
    uint8_t *fs = uu_pattern(40000, 9);
    size_t rl;
    uint8_t *req = post("filesystem", fs, 40000, NULL, &rl);
    char *r = exchange(req, rl);
    cr_assert(strstr(r, "Update Success!"), "%s", r);
    cr_assert(webupdate_conn_reboot(&conn), "the original reboots after an FS upload too");
    uint8_t back[40000];
    cr_assert_eq(flashsim_read(dev->fs, dev->layout.fs_start, back, sizeof(back)), FLASHSIM_OK);
    cr_assert(!memcmp(back, fs, sizeof(back)), "written to the live filesystem (U_FS)");
    free(r);
    free(req);
    free(fs);
}

Test(webupdate, bad_image_reports_the_updater_error_and_stays)
{
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 5, &len);
    img[0] = 0x42; /* wrong magic */
    size_t rl;
    uint8_t *req = post("firmware", img, len, NULL, &rl);
    char *r = exchange(req, rl);
    cr_assert(strstr(r, "200 OK") && strstr(r, "Update error: ERROR[10]: Magic byte is not 0xE9"),
              "%s", r);
    cr_assert_not(webupdate_conn_reboot(&conn));
    uu_expect_no_cmd(dev);
    free(r);
    free(req);
    free(img);
}

Test(webupdate, auth_basic_and_digest_per_request)
{
    cfg.auth.user = "admin";
    cfg.auth.pass = "s3cret";
    char *r = exchange_text("GET /update HTTP/1.1\r\n\r\n");
    cr_assert(strstr(r, "401 Unauthorized") &&
                  strstr(r, "WWW-Authenticate: Basic realm=\"Login Required\""),
              "%s", r);
    free(r);
    gchar *tok = g_base64_encode((const guchar *)"admin:s3cret", 12);
    char req[512];
    snprintf(req, sizeof(req), "GET /update HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\n", tok);
    r = exchange_text(req);
    cr_assert(strstr(r, "200 OK"), "%s", r);
    free(r);
    g_free(tok);
    tok = g_base64_encode((const guchar *)"admin:s3cre", 11);
    snprintf(req, sizeof(req), "GET /update HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\n", tok);
    r = exchange_text(req);
    cr_assert(strstr(r, "401"), "wrong password: %s", r);
    free(r);
    g_free(tok);
    /* Digest, computed here with GLib's MD5 (RFC 2617, qop=auth). */
    gchar *ha1 = g_compute_checksum_for_string(G_CHECKSUM_MD5, "admin:Login Required:s3cret", -1);
    gchar *ha2 = g_compute_checksum_for_string(G_CHECKSUM_MD5, "GET:/update", -1);
    char a3[256];
    snprintf(a3, sizeof(a3), "%s:abc123:00000001:xyz:auth:%s", ha1, ha2);
    gchar *resp = g_compute_checksum_for_string(G_CHECKSUM_MD5, a3, -1);
    snprintf(req, sizeof(req),
             "GET /update HTTP/1.1\r\nAuthorization: Digest username=\"admin\", "
             "realm=\"Login Required\", nonce=\"abc123\", uri=\"/update\", qop=auth, "
             "nc=00000001, cnonce=\"xyz\", response=\"%s\"\r\n\r\n",
             resp);
    r = exchange_text(req);
    cr_assert(strstr(r, "200 OK"), "digest: %s", r);
    free(r);
    resp[0] = resp[0] == '0' ? '1' : '0';
    char *bad = strstr(req, "response=\"") + 10;
    bad[0] = resp[0];
    r = exchange_text(req);
    cr_assert(strstr(r, "401"), "corrupted digest: %s", r);
    free(r);
    g_free(ha1);
    g_free(ha2);
    g_free(resp);
}

static unsigned refused;
static void on_refused(void *user)
{
    cr_assert_eq(user, &refused);
    refused++;
}

/* on_refused: a POST refused for its credentials is reported (an update attempt), a GET of
 * the page without them is not (only a visit), an authenticated POST is not. */
Test(webupdate, refused_upload_is_reported_page_visit_is_not)
{
    cfg.auth.user = "admin";
    cfg.auth.pass = "s3cret";
    cfg.on_refused = on_refused;
    cfg.user = &refused;
    refused = 0;
    char *r = exchange_text("GET /update HTTP/1.1\r\n\r\n");
    cr_assert(strstr(r, "401"), "%s", r);
    cr_expect_eq(refused, 0, "a page visit counted as an attempt");
    free(r);
    size_t len, rl;
    uint8_t *img = uu_small_pair(2, 0x40, 6, &len);
    uint8_t *req = post("firmware", img, len, "Basic YWRtaW46d3Jvbmc=", &rl); /* admin:wrong */
    r = exchange(req, rl);
    cr_assert(strstr(r, "401"), "%s", r);
    cr_expect_eq(refused, 1);
    free(r);
    free(req);
    req = post("firmware", img, len, "Basic YWRtaW46czNjcmV0", &rl); /* admin:s3cret */
    r = exchange(req, rl);
    cr_assert(strstr(r, "200 OK"), "%s", r);
    cr_expect_eq(refused, 1, "an authenticated upload counted as refused");
    free(r);
    free(req);
    free(img);
}

Test(webupdate, unauthenticated_upload_writes_nothing)
{
    cfg.auth.user = "admin";
    cfg.auth.pass = "s3cret";
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 6, &len);
    gchar *tok = g_base64_encode((const guchar *)"admin:wrong", 11);
    char auth[128];
    snprintf(auth, sizeof(auth), "Basic %s", tok);
    size_t rl;
    uint8_t *req = post("firmware", img, len, auth, &rl);
    uint64_t before = writes();
    char *r = exchange(req, rl);
    cr_assert(strstr(r, "401"), "%s", r);
    cr_assert_eq(writes(), before, "not one flash write");
    cr_assert_not(webupdate_conn_reboot(&conn));
    uu_expect_no_cmd(dev);
    free(r);
    free(req);
    g_free(tok);
    free(img);
}

Test(webupdate, post_without_file_part_does_not_reboot)
{
    /* The original answers success and reboots (spec §6.3 observations): fixed. */
    size_t rl;
    uint8_t *req = post(NULL, NULL, 0, NULL, &rl);
    char *r = exchange(req, rl);
    cr_assert(strstr(r, "400") && strstr(r, "no file part"), "%s", r);
    cr_assert_not(webupdate_conn_reboot(&conn));
    free(r);
    free(req);
}

Test(webupdate, length_required_and_bad_bodies)
{
    char *r = exchange_text("POST /update HTTP/1.1\r\nContent-Type: multipart/form-data; "
                            "boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n");
    cr_assert(strstr(r, "411"), "%s", r);
    free(r);
    r = exchange_text(
        "POST /update HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\n\r\n");
    cr_assert(strstr(r, "411"), "%s", r);
    free(r);
    r = exchange_text(
        "POST /update HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc");
    cr_assert(strstr(r, "400"), "%s", r);
    free(r);
    /* A body that ends (Content-Length reached) inside a file part, before its close
     * delimiter: an error, the Updater reset, no reboot. */
    const char *part = "--x\r\nContent-Disposition: form-data; name=\"firmware\"; "
                       "filename=\"a\"\r\n\r\n\xE9\x01\x02";
    char req[512];
    snprintf(req, sizeof(req),
             "POST /update HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(part), part);
    r = exchange_text(req);
    cr_assert(strstr(r, "Update error:"), "%s", r);
    cr_assert_not(webupdate_conn_reboot(&conn));
    cr_assert_not(updater_is_running(&dev->up));
    uu_expect_no_cmd(dev);
    free(r);
}

Test(webupdate, aborted_upload_commits_nothing)
{
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 8, &len);
    size_t rl;
    uint8_t *req = post("firmware", img, len, NULL, &rl);
    webupdate_conn_init(&conn, &cfg);
    size_t half = rl / 2;
    cr_assert_eq(webupdate_conn_feed(&conn, req, half), half);
    cr_assert(updater_is_running(&dev->up));
    webupdate_conn_abort(&conn);
    cr_assert_not(updater_is_running(&dev->up), "the Updater is reset");
    cr_assert_not(webupdate_conn_reboot(&conn));
    size_t n;
    cr_assert_null(webupdate_conn_response(&conn, &n));
    uu_expect_no_cmd(dev);
    /* The next upload succeeds. */
    char *r = exchange(req, rl);
    cr_assert(strstr(r, "Update Success!"), "%s", r);
    free(r);
    free(req);
    free(img);
}

Test(base64, matches_glib)
{
    uint8_t buf[300];
    char ours[420];
    for (int i = 0; i < 1000; i++) {
        size_t len = rnd(sizeof(buf));
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rnd(256);
        gchar *want = g_base64_encode(buf, len);
        size_t n = base64_encode(buf, len, ours, sizeof(ours));
        cr_assert_eq(n, strlen(want));
        cr_assert_str_eq(ours, want, "case %d, %zu bytes", i, len);
        g_free(want);
    }
    cr_assert_eq(base64_encode("abcd", 4, ours, 8), 0, "needs 9 bytes with the NUL");
    cr_assert_str_eq(ours, "");
    cr_assert_eq(base64_encode("abcd", 4, ours, 9), 8);
}
