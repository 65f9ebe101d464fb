/* The HTTP update client (firmware/ota/httpupdate) on a simulated device: the request it
 * writes (every spec §5.2 header with the device's real values, checked against values
 * computed here from the flash), and each response case of spec §5.3 with its result and
 * error value, fed in random pieces. */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "httpupdate.h"
#include "updater_util.h"

static tdev_t *dev;
static httpupdate_config_t cfg;
static httpupdate_t s;
static uint8_t *img;
static size_t img_len;
static char img_md5[33];

static void setup(void)
{
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    cfg = (httpupdate_config_t){.id = {.chip_id = 0x00ABCDEF,
                                       .sta_mac = {0x5c, 0xcf, 0x7f, 0x01, 0x02, 0x0a},
                                       .ap_mac = {0x5e, 0xcf, 0x7f, 0x01, 0x02, 0x0b},
                                       .sdk_version = "2.2.2-dev(38a443e)"},
                                .mode = HTTPUPDATE_SKETCH,
                                .reboot_on_update = true,
                                .updater = &dev->up,
                                .layout = &dev->layout};
    img = uu_small_pair(2, 0x40, 123, &img_len);
    ref_md5_hex(img, img_len, img_md5);
}

static void teardown(void)
{
    free(img);
    tdev_free(dev);
}

TestSuite(httpupdate, .init = setup, .fini = teardown);

static uint64_t rng = 7;
static size_t rnd(size_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (size_t)(rng % n);
}

/* Feeds head + body in random pieces until the client stops; returns the last step. */
static httpupdate_step_t respond(const char *head, const uint8_t *body, size_t blen)
{
    size_t hl = strlen(head);
    uint8_t *all = malloc(hl + blen + 1);
    memcpy(all, head, hl);
    if (blen)
        memcpy(all + hl, body, blen);
    httpupdate_step_t st = HTTPUPDATE_RUNNING;
    for (size_t off = 0; off < hl + blen && st == HTTPUPDATE_RUNNING;) {
        size_t n = 1 + rnd(2000);
        if (n > hl + blen - off)
            n = hl + blen - off;
        st = httpupdate_feed(&s, all + off, n);
        off += n;
    }
    free(all);
    return st;
}

static uint64_t writes(void)
{
    flashsim_stats_t st = flashsim_stats(dev->fs);
    return st.programs + st.sector_erases + st.block_erases;
}

static char *ok_head(const char *extra, size_t len)
{
    static char h[512];
    snprintf(h, sizeof(h),
             "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %zu\r\n"
             "%s\r\n",
             len, extra);
    return h;
}

static void expect_error(int code, const char *text)
{
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_FAILED);
    cr_assert_eq(httpupdate_last_error(&s), code, "last error %d", httpupdate_last_error(&s));
    char e[128];
    httpupdate_error_string(&s, e, sizeof(e));
    cr_assert_str_eq(e, text);
    cr_assert_not(httpupdate_should_reboot(&s));
}

Test(httpupdate, request_carries_every_header_with_real_values)
{
    cfg.current_version = "v1.2";
    cfg.authorization = "user:pw";
    cr_assert(httpupdate_begin(&s, &cfg, "http://10.0.2.2:8266/update.php?x=1"));
    char req[2048];
    size_t n = httpupdate_request(&s, req, sizeof(req));
    cr_assert(n > 0 && n == strlen(req));
    http_head_t h;
    http_head_init(&h, true);
    cr_assert_eq(http_head_feed(&h, (const uint8_t *)req, n), n);
    cr_assert_eq(h.status, HTTP_HEAD_DONE);
    cr_assert_str_eq(h.method, "GET");
    cr_assert_str_eq(h.target, "/update.php?x=1");
    cr_assert_eq(h.minor, 0, "HTTP/1.0 (useHTTP10)");
    static const char *const order[] = {"Host",
                                        "User-Agent",
                                        "Authorization",
                                        "Connection",
                                        "x-ESP8266-Chip-ID",
                                        "x-ESP8266-STA-MAC",
                                        "x-ESP8266-AP-MAC",
                                        "x-ESP8266-free-space",
                                        "x-ESP8266-sketch-size",
                                        "x-ESP8266-sketch-md5",
                                        "x-ESP8266-chip-size",
                                        "x-ESP8266-sdk-version",
                                        "x-ESP8266-mode",
                                        "x-ESP8266-version",
                                        "Content-Length"};
    cr_assert_eq(h.nheaders, sizeof(order) / sizeof(order[0]));
    for (size_t i = 0; i < h.nheaders; i++)
        cr_assert_str_eq(h.headers[i].name, order[i], "header %zu", i);
    cr_assert_str_eq(http_head_get(&h, "Host"), "10.0.2.2:8266");
    cr_assert_str_eq(http_head_get(&h, "User-Agent"), "ESP8266-http-Update");
    gchar *b64 = g_base64_encode((const guchar *)"user:pw", 7);
    char want[64];
    snprintf(want, sizeof(want), "Basic %s", b64);
    g_free(b64);
    cr_assert_str_eq(http_head_get(&h, "Authorization"), want);
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-Chip-ID"), "11259375");
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-STA-MAC"), "5C:CF:7F:01:02:0A");
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-AP-MAC"), "5E:CF:7F:01:02:0B");
    /* Sketch size and MD5 computed here from the flash, as spec §4.4 defines them. */
    uint32_t sketch = uu_spec_sketch_size(dev);
    uint8_t *flash = malloc(sketch);
    cr_assert_eq(flashsim_read(dev->fs, 0, flash, sketch), FLASHSIM_OK);
    char md5[33];
    ref_md5_hex(flash, sketch, md5);
    free(flash);
    snprintf(want, sizeof(want), "%u", (unsigned)sketch);
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-sketch-size"), want);
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-sketch-md5"), md5);
    uint32_t free_space = dev->layout.fs_start - uu_round4k(sketch); /* spec §4.4 */
    snprintf(want, sizeof(want), "%u", (unsigned)free_space);
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-free-space"), want);
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-chip-size"), "4194304");
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-sdk-version"), "2.2.2-dev(38a443e)");
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-mode"), "sketch");
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-version"), "v1.2");
    cr_assert_str_eq(http_head_get(&h, "Content-Length"), "0");

    /* Port 80: no ":80"; no version, no auth: those headers are absent. */
    cfg.current_version = NULL;
    cfg.authorization = NULL;
    cfg.mode = HTTPUPDATE_FS;
    cr_assert(httpupdate_begin(&s, &cfg, "http://updates.example/fw"));
    n = httpupdate_request(&s, req, sizeof(req));
    http_head_init(&h, true);
    http_head_feed(&h, (const uint8_t *)req, n);
    cr_assert_str_eq(http_head_get(&h, "Host"), "updates.example");
    cr_assert_null(http_head_get(&h, "x-ESP8266-version"));
    cr_assert_null(http_head_get(&h, "Authorization"));
    cr_assert_str_eq(http_head_get(&h, "x-ESP8266-mode"), "spiffs");
}

Test(httpupdate, update_with_x_md5_any_split)
{
    for (int round = 0; round < 4; round++) {
        cr_assert(httpupdate_begin(&s, &cfg, "http://10.0.2.2/fw.bin"));
        char extra[64];
        snprintf(extra, sizeof(extra), "x-MD5: %s\r\n", img_md5);
        cr_assert_eq(respond(ok_head(extra, img_len), img, img_len), HTTPUPDATE_FINISHED);
        cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK, "last error %d",
                     httpupdate_last_error(&s));
        cr_assert(httpupdate_should_reboot(&s));
        uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)img_len), 0,
                           (uint32_t)img_len);
    }
}

Test(httpupdate, wrong_md5_fails_in_the_updater)
{
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    char extra[64];
    snprintf(extra, sizeof(extra), "x-MD5: %s\r\n", "00000000000000000000000000000000");
    respond(ok_head(extra, img_len), img, img_len);
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_FAILED);
    cr_assert_eq(httpupdate_last_error(&s), 7);
    char e[160];
    httpupdate_error_string(&s, e, sizeof(e));
    cr_assert(!strncmp(e, "Update error: ERROR[7]: MD5", 27), "%s", e);
    uu_expect_no_cmd(dev);
}

Test(httpupdate, refusals_before_any_flash_write)
{
    static const struct {
        const char *head;
        int error;
        const char *text;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\n\r\n", HTTP_UE_SERVER_NOT_REPORT_SIZE, "Server Did Not Report Size"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_UE_SERVER_NOT_REPORT_SIZE,
         "Server Did Not Report Size"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HTTP_UE_SERVER_NOT_REPORT_SIZE,
         "Server Did Not Report Size"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 4000000\r\n\r\n", HTTP_UE_TOO_LESS_SPACE,
         "Not Enough space"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nx-MD5: abc\r\n\r\n", HTTP_UE_SERVER_FAULTY_MD5,
         "Wrong MD5"},
        {"HTTP/1.1 404 Not Found\r\n\r\n", HTTP_UE_SERVER_FILE_NOT_FOUND, "File Not Found (404)"},
        {"HTTP/1.1 403 Forbidden\r\n\r\n", HTTP_UE_SERVER_FORBIDDEN, "Forbidden (403)"},
        {"HTTP/1.1 401 Unauthorized\r\n\r\n", HTTP_UE_SERVER_UNAUTHORIZED, "Unauthorized (401)"},
        {"HTTP/1.1 500 Internal Server Error\r\n\r\n", HTTP_UE_SERVER_WRONG_HTTP_CODE,
         "Wrong HTTP Code"},
        {"HTTP/1.1 302 Found\r\nLocation: http://h/x\r\n\r\n", HTTP_UE_SERVER_WRONG_HTTP_CODE,
         "Wrong HTTP Code"}, /* redirects not followed by default */
        {"SSH-2.0-OpenSSH_9.2\r\n\r\n", HTTPC_ERROR_NO_HTTP_SERVER, "HTTP error: no HTTP server"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t before = writes();
        cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
        cr_assert_eq(respond(cases[i].head, NULL, 0), HTTPUPDATE_FINISHED, "case %zu", i);
        expect_error(cases[i].error, cases[i].text);
        cr_assert_eq(writes(), before, "case %zu wrote flash", i);
    }
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    respond("HTTP/1.0 304 Not Modified\r\n\r\n", NULL, 0);
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_NO_UPDATES);
    uu_expect_no_cmd(dev);
}

Test(httpupdate, header_checks_on_the_first_bytes)
{
    uint8_t bad[64];
    memcpy(bad, img, sizeof(bad));
    bad[0] = 0x00;
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    respond(ok_head("", sizeof(bad)), bad, sizeof(bad));
    expect_error(HTTP_UE_BIN_VERIFY_HEADER_FAILED, "Verify Bin Header Failed");
    /* A 16 MB image for this 4 MB chip. */
    memcpy(bad, img, sizeof(bad));
    bad[3] = (uint8_t)((9u << 4) | (bad[3] & 15u));
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    respond(ok_head("", sizeof(bad)), bad, sizeof(bad));
    expect_error(HTTP_UE_BIN_FOR_WRONG_FLASH, "New Binary Does Not Fit Flash Size");
    /* Two bytes of body only. */
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    respond(ok_head("", 2), img, 2);
    expect_error(HTTP_UE_BIN_VERIFY_HEADER_FAILED, "Verify Bin Header Failed");
}

Test(httpupdate, redirects_strict_relative_and_the_hop_limit)
{
    cfg.follow = HTTPC_STRICT_FOLLOW_REDIRECTS;
    cr_assert(httpupdate_begin(&s, &cfg, "http://a.example/fw"));
    cr_assert_eq(
        respond("HTTP/1.1 302 Found\r\nLocation: http://b.example:8080/real.bin\r\n\r\n", NULL, 0),
        HTTPUPDATE_REDIRECT);
    cr_assert_str_eq(httpupdate_redirect_url(&s), "http://b.example:8080/real.bin");
    char req[2048];
    httpupdate_request(&s, req, sizeof(req));
    const char *want1 = "GET /real.bin HTTP/1.0\r\nHost: b.example:8080\r\n";
    cr_assert(!strncmp(req, want1, strlen(want1)), "%s", req);
    cr_assert_eq(respond("HTTP/1.1 301 Moved\r\nLocation: /v2.bin\r\n\r\n", NULL, 0),
                 HTTPUPDATE_REDIRECT);
    httpupdate_request(&s, req, sizeof(req));
    const char *want2 = "GET /v2.bin HTTP/1.0\r\nHost: b.example:8080\r\n";
    cr_assert(!strncmp(req, want2, strlen(want2)), "%s", req);
    char extra[64];
    snprintf(extra, sizeof(extra), "x-MD5: %s\r\n", img_md5);
    cr_assert_eq(respond(ok_head(extra, img_len), img, img_len), HTTPUPDATE_FINISHED);
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK);

    /* 10 hops are followed; the 11th redirect is an error. */
    cr_assert(httpupdate_begin(&s, &cfg, "http://a.example/fw"));
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(respond("HTTP/1.1 307 Temporary\r\nLocation: /again\r\n\r\n", NULL, 0),
                     HTTPUPDATE_REDIRECT, "hop %d", i);
        cr_assert(httpupdate_request(&s, req, sizeof(req)) > 0);
    }
    respond("HTTP/1.1 307 Temporary\r\nLocation: /again\r\n\r\n", NULL, 0);
    expect_error(HTTP_UE_SERVER_WRONG_HTTP_CODE, "Wrong HTTP Code");
    /* 308 is not handled (spec §5.2). */
    cr_assert(httpupdate_begin(&s, &cfg, "http://a.example/fw"));
    respond("HTTP/1.1 308 Permanent\r\nLocation: /x\r\n\r\n", NULL, 0);
    expect_error(HTTP_UE_SERVER_WRONG_HTTP_CODE, "Wrong HTTP Code");
}

Test(httpupdate, connection_lost_mid_body_commits_nothing)
{
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    const char *h = ok_head("", img_len);
    httpupdate_feed(&s, (const uint8_t *)h, strlen(h));
    cr_assert_eq(httpupdate_feed(&s, img, img_len / 2), HTTPUPDATE_RUNNING);
    cr_assert(updater_is_running(&dev->up));
    cr_assert_eq(httpupdate_close(&s, HTTPC_ERROR_READ_TIMEOUT), HTTPUPDATE_FINISHED);
    expect_error(HTTPC_ERROR_READ_TIMEOUT, "HTTP error: read Timeout");
    cr_assert_not(updater_is_running(&dev->up));
    uu_expect_no_cmd(dev);
    /* An orderly close half-way: the Updater's premature-end error. */
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    httpupdate_feed(&s, (const uint8_t *)h, strlen(h));
    httpupdate_feed(&s, img, 100);
    httpupdate_close(&s, 0);
    cr_assert_eq(httpupdate_last_error(&s), 5);
    uu_expect_no_cmd(dev);
    /* No response at all. */
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    httpupdate_close(&s, 0);
    expect_error(HTTPC_ERROR_CONNECTION_LOST, "HTTP error: connection lost");
}

Test(httpupdate, version_query)
{
    cfg.mode = HTTPUPDATE_VERSION;
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    respond("HTTP/1.1 200 OK\r\nx-MD5: 0123\r\nx-version: 2.0.1\r\n\r\n", NULL, 0);
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK);
    cr_assert_str_eq(httpupdate_version(&s), "2.0.1");
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    respond("HTTP/1.1 200 OK\r\n\r\n", NULL, 0);
    expect_error(HTTP_UE_SERVER_NOT_REPORT_VERSION, "");
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fw"));
    respond("HTTP/1.1 304 Not Modified\r\n\r\n", NULL, 0);
    expect_error(HTTP_UE_SERVER_WRONG_HTTP_CODE, "Wrong HTTP Code");
}

Test(httpupdate, filesystem_update_reboots_only_with_atomic_fs)
{
    cfg.mode = HTTPUPDATE_FS;
    uint8_t *fs = uu_pattern(30000, 4);
    cr_assert(httpupdate_begin(&s, &cfg, "http://h/fs.bin"));
    respond(ok_head("", 30000), fs, 30000);
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK, "error %d", httpupdate_last_error(&s));
    cr_assert_not(httpupdate_should_reboot(&s), "a live FS update does not reboot");
    uint8_t back[30000];
    flashsim_read(dev->fs, dev->layout.fs_start, back, sizeof(back));
    cr_assert(!memcmp(back, fs, sizeof(back)));
    free(fs);
}

Test(httpupdate, urls)
{
    httpupdate_url_t u;
    cr_assert(httpupdate_parse_url("http://h", &u));
    cr_assert_str_eq(u.host, "h");
    cr_assert_str_eq(u.path, "/");
    cr_assert_eq(u.port, 80);
    cr_assert(httpupdate_parse_url("HTTPS://h.example:4443/a/b?c=d#frag", &u));
    cr_assert(u.tls);
    cr_assert_eq(u.port, 4443);
    cr_assert_str_eq(u.path, "/a/b?c=d");
    static const char *const bad[] = {"ftp://h/",    "http://",         "http://:80/",
                                      "http://h:0/", "http://h:65536/", "http://h:x/",
                                      "http://u@h/", "http://h/a b",    "h/x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_not(httpupdate_parse_url(bad[i], &u), "%s", bad[i]);
    cr_assert_not(httpupdate_begin(&s, &cfg, "ftp://x/"));
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_CONNECTION_FAILED);
}
