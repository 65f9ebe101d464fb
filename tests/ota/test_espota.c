/* The ArduinoOTA responder (firmware/ota/espota) on a simulated device, driven as espota.py
 * drives it (spec §1): invitations, authentication (the expected values computed with GLib's
 * MD5, an independent implementation), the TCP data phase with its decimal acks, the final
 * text — and the original's defects shown fixed. */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "espota.h"
#include "updater_util.h"

static tdev_t *dev;
static espota_t ota;
static char cb_log[512];

static void logf_(const char *s)
{
    strncat(cb_log, s, sizeof(cb_log) - strlen(cb_log) - 1);
}
static void on_start(void *u)
{
    (void)u;
    logf_("start,");
}
static void on_end(void *u)
{
    (void)u;
    logf_("end,");
}
static void on_progress(void *u, uint32_t d, uint32_t t)
{
    (void)u;
    (void)t;
    if (d == 0)
        logf_("progress0,");
}
static void on_error(void *u, ota_error_t e)
{
    (void)u;
    char b[16];
    snprintf(b, sizeof(b), "error:%d,", (int)e);
    logf_(b);
}

static void start(const char *password)
{
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    espota_config_t cfg;
    espota_default_config(&cfg);
    cfg.password = password;
    cfg.updater = &dev->up;
    cfg.layout = &dev->layout;
    cfg.callbacks = (espota_callbacks_t){on_start, on_end, on_progress, on_error, NULL};
    espota_init(&ota, &cfg);
    cb_log[0] = 0;
}

static void teardown(void)
{
    tdev_free(dev);
}

TestSuite(espota, .fini = teardown);

static char *md5hex(const char *s)
{
    return g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
}

/* One datagram; returns the reply (static buffer, NUL-terminated). */
static const char *udp(const char *pkt, uint32_t now)
{
    static char reply[ESPOTA_REPLY_MAX + 1];
    size_t n = 0;
    espota_udp(&ota, (const uint8_t *)pkt, strlen(pkt), 0x0A000202u, 45123, now, reply, &n);
    reply[n] = 0;
    return reply;
}

static char *invitation(int cmd, const uint8_t *file, size_t len)
{
    char *md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, file, len);
    char *s = g_strdup_printf("%d %d %zu %s\n", cmd, 40000, len, md5);
    g_free(md5);
    return s;
}

/* espota.py's auth answer to "AUTH <nonce>". */
static char *auth_answer(const char *password, const char *nonce)
{
    char *pass = md5hex(password);
    char *cnonce = md5hex("basic.bin20496abcdef10.0.2.15");
    char *text = g_strdup_printf("%s:%s:%s", pass, nonce, cnonce);
    char *resp = md5hex(text);
    char *ans = g_strdup_printf("200 %s %s\n", cnonce, resp);
    g_free(pass);
    g_free(cnonce);
    g_free(text);
    g_free(resp);
    return ans;
}

/* handle() then the data phase in espota.py's 1460-byte chunks; returns the final text and
 * the sum of the acks. */
static const char *upload(const uint8_t *file, size_t len, size_t stop_at, uint32_t *acked)
{
    static char final[ESPOTA_REPLY_MAX + 1];
    char reply[ESPOTA_REPLY_MAX + 1];
    size_t n = 0;
    *acked = 0;
    final[0] = 0;
    cr_assert(espota_handle(&ota, 100, reply, &n), "begin failed: %.*s", (int)n, reply);
    cr_assert_eq(n, 2);
    cr_assert_eq(memcmp(reply, "OK", 2), 0);
    espota_connected(&ota, true, 200);
    size_t fl = 0;
    for (size_t off = 0; off < stop_at && fl == 0; off += 1460) {
        size_t k = len - off < 1460 ? len - off : 1460;
        char ack[16];
        size_t al = 0;
        espota_tcp_data(&ota, file + off, k, 300, ack, sizeof(ack), &al, final, &fl);
        ack[al] = 0;
        *acked += (uint32_t)strtoul(ack, NULL, 10);
    }
    final[fl] = 0;
    return final;
}

Test(espota, auth_test_vector_of_the_spec)
{
    /* The spec's worked example, through GLib: what espota.py sends. */
    char *pass = md5hex("admin");
    cr_expect_str_eq(pass, "21232f297a57a5a743894a0e4a801fc3");
    char *nonce = md5hex("12345678");
    char *cnonce = md5hex("sketch.ino.bin3000000123456789abcdef0123456789abcdef192.168.1.50");
    cr_expect_str_eq(cnonce, "9c987b9b4e3da783e8fe30a5c5b0abca");
    char *text = g_strdup_printf("%s:%s:%s", pass, nonce, cnonce);
    char *resp = md5hex(text);
    cr_expect_str_eq(resp, "2bae2e278ad7df27546f911dbf1c3a64");
    /* The device's check accepts it for that nonce. */
    start("admin");
    memcpy(ota.nonce, nonce, 33);
    ota.state = OTA_WAITAUTH;
    char *ans = g_strdup_printf("200 %s %s\n", cnonce, resp);
    cr_expect_str_eq(udp(ans, 0), "");
    cr_expect_eq(ota.state, OTA_RUNUPDATE);
    g_free(pass), g_free(nonce), g_free(cnonce), g_free(text), g_free(resp), g_free(ans);
}

Test(espota, upload_without_password)
{
    start(NULL);
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 3, &len);
    char *inv = invitation(0, img, len);
    cr_expect_str_eq(udp(inv, 0), "", "no immediate reply without a password");
    cr_expect_eq(ota.state, OTA_RUNUPDATE);
    uint32_t acked;
    const char *final = upload(img, len, len, &acked);
    cr_expect_str_eq(final, "OK");
    cr_expect_eq(acked, len, "the acks add up to the file");
    cr_expect_str_eq(cb_log, "start,progress0,end,");
    cr_expect(ota.reboot);
    uint32_t sketch = uu_spec_sketch_size(dev);
    (void)sketch;
    uu_cmd_t c = uu_read_cmd(dev);
    cr_expect(c.valid, "a copy command was written");
    cr_expect(espota_before_restart(&ota));
    g_free(inv);
    free(img);
}

Test(espota, password_right_and_wrong)
{
    start("s3cret");
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 4, &len);
    char *inv = invitation(0, img, len);
    const char *r = udp(inv, 0);
    cr_assert_eq(strncmp(r, "AUTH ", 5), 0, "%s", r);
    cr_assert_eq(strlen(r), 37);
    char nonce[33];
    memcpy(nonce, r + 5, 33);
    /* Wrong password: "Authentication Failed", not one flash operation. */
    uint32_t ops = flashsim_op_count(dev->fs);
    char *bad = auth_answer("guess", nonce);
    cr_expect_str_eq(udp(bad, 10), "Authentication Failed");
    cr_expect_eq(ota.state, OTA_IDLE);
    cr_expect_str_eq(cb_log, "error:0,");
    cr_expect_eq(flashsim_op_count(dev->fs), ops, "a failed authentication touched the flash");
    /* Back-off: invitations are ignored for 1 s, then 2 s after the next failure. */
    cr_expect_str_eq(udp(inv, 500), "", "an invitation during the back-off was answered");
    r = udp(inv, 1100);
    cr_assert_eq(strncmp(r, "AUTH ", 5), 0, "after the back-off: %s", r);
    cr_expect_neq(memcmp(nonce, r + 5, 32), 0, "the nonce must change");
    memcpy(nonce, r + 5, 33);
    g_free(bad);
    bad = auth_answer("guess2", nonce);
    cr_expect_str_eq(udp(bad, 1200), "Authentication Failed");
    cr_expect_str_eq(udp(inv, 2300), "", "the second back-off is 2 s");
    r = udp(inv, 3300);
    cr_assert_eq(strncmp(r, "AUTH ", 5), 0, "%s", r);
    memcpy(nonce, r + 5, 33);
    char *good = auth_answer("s3cret", nonce);
    cr_expect_str_eq(udp(good, 3400), "");
    cr_expect_eq(ota.state, OTA_RUNUPDATE);
    uint32_t acked;
    cr_expect_str_eq(upload(img, len, len, &acked), "OK");
    g_free(inv), g_free(bad), g_free(good);
    free(img);
}

Test(espota, malformed_packets_are_dropped_silently)
{
    start("pw");
    const char *md5 = "0123456789abcdef0123456789abcdef";
    const char *drops[] = {
        "5 40000 1000 0123456789abcdef0123456789abcdef\n",  /* unknown command */
        "0 40000 1000 0123456789abcdef0123456789abcde\n",   /* 31-character MD5 */
        "0 40000 1000 0123456789abcdef0123456789abcdef0\n", /* 33 characters */
        "-1 40000 1000 0123456789abcdef0123456789abcdef\n", /* no minus signs */
        "1234567890123456",                                 /* 16 digits, no terminator */
        "",
        "200 x y\n",
    };
    for (size_t i = 0; i < sizeof(drops) / sizeof(*drops); i++) {
        cr_expect_str_eq(udp(drops[i], 0), "", "answered: %s", drops[i]);
        cr_expect_eq(ota.state, OTA_IDLE, "state changed by: %s", drops[i]);
    }
    /* Leading spaces and whitespace around the MD5 are accepted, as by the original. */
    char ok[96];
    snprintf(ok, sizeof(ok), "  100 40000 1000  %s \r\n", md5);
    cr_expect_eq(strncmp(udp(ok, 0), "AUTH ", 5), 0);
    cr_expect_eq(ota.cmd, ESPOTA_CMD_FS);
    cr_expect_eq(ota.size, 1000);
    /* In WAITAUTH, anything but a well-formed answer returns to idle without a reply. */
    cr_expect_str_eq(udp("200 short short\n", 0), "");
    cr_expect_eq(ota.state, OTA_IDLE);
}

Test(espota, begin_error_goes_back_over_udp)
{
    start(NULL);
    cr_expect_str_eq(udp("0 40000 9999999 0123456789abcdef0123456789abcdef\n", 0), "");
    char reply[ESPOTA_REPLY_MAX + 1];
    size_t n;
    cr_expect_not(espota_handle(&ota, 10, reply, &n));
    reply[n] = 0;
    cr_expect_str_eq(reply, "ERR: ERROR[4]: Not Enough Space\n");
    cr_expect_str_eq(cb_log, "error:1,");
    cr_expect_eq(ota.state, OTA_IDLE);
}

Test(espota, stalled_host_times_out_instead_of_hanging)
{
    start(NULL);
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 5, &len);
    char *inv = invitation(0, img, len);
    udp(inv, 0);
    uint32_t acked;
    const char *final = upload(img, len, len / 2, &acked);
    cr_expect_str_eq(final, "", "finished early");
    char f[ESPOTA_REPLY_MAX + 1];
    size_t fl;
    espota_tick(&ota, 300 + 999, f, &fl);
    cr_expect_eq(fl, 0, "timed out before 1 s");
    espota_tick(&ota, 300 + 1000, f, &fl);
    f[fl] = 0;
    cr_expect_str_eq(f, "ERROR[6]: Stream Read Timeout\n");
    cr_expect_str_eq(cb_log, "start,progress0,error:3,", "exactly one receive error");
    cr_expect_eq(ota.state, OTA_IDLE);
    uu_expect_no_cmd(dev);
    /* The device is idle again: the next upload succeeds. */
    udp(inv, 2000);
    cr_expect_str_eq(upload(img, len, len, &acked), "OK");
    g_free(inv);
    free(img);
}

Test(espota, premature_close_names_the_real_error)
{
    start(NULL);
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 6, &len);
    char *inv = invitation(0, img, len);
    udp(inv, 0);
    uint32_t acked;
    upload(img, len, 4 * 1460, &acked);
    char f[ESPOTA_REPLY_MAX + 1];
    size_t fl;
    espota_tcp_closed(&ota, f, &fl);
    f[fl] = 0;
    cr_expect_eq(strncmp(f, "ERROR[5]: ", 10), 0, "not 'ERROR[0]: No Error': %s", f);
    cr_expect_str_eq(cb_log, "start,progress0,error:4,");
    uu_expect_no_cmd(dev);
    g_free(inv);
    free(img);
}

Test(espota, wrong_md5_fails_at_the_end)
{
    start(NULL);
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 7, &len);
    char *inv = g_strdup_printf("0 40000 %zu 00000000000000000000000000000000\n", len);
    udp(inv, 0);
    uint32_t acked;
    const char *final = upload(img, len, len, &acked);
    cr_expect(strstr(final, "ERROR[7]: MD5 verification failed: expected: ") == final, "%s", final);
    cr_expect_not(ota.reboot);
    uu_expect_no_cmd(dev);
    g_free(inv);
    free(img);
}

Test(espota, second_invitation_during_an_update_is_ignored)
{
    start(NULL);
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 8, &len);
    char *inv = invitation(0, img, len);
    udp(inv, 0);
    char reply[ESPOTA_REPLY_MAX + 1];
    size_t n;
    cr_assert(espota_handle(&ota, 1, reply, &n));
    cr_expect_str_eq(udp("0 41000 100 0123456789abcdef0123456789abcdef\n", 2), "");
    cr_expect_eq(ota.host_port, 40000, "the update's peer was replaced");
    cr_expect_eq(ota.state, OTA_RECEIVING);
    g_free(inv);
    free(img);
}

Test(espota, connect_failure_raises_only_the_connect_error)
{
    start(NULL);
    udp("0 40000 20000 0123456789abcdef0123456789abcdef\n", 0);
    char reply[ESPOTA_REPLY_MAX + 1];
    size_t n;
    cr_assert(espota_handle(&ota, 1, reply, &n));
    espota_connected(&ota, false, 5001);
    cr_expect_str_eq(cb_log, "start,progress0,error:2,");
    cr_expect_eq(ota.state, OTA_IDLE);
}

Test(espota, filesystem_upload)
{
    start(NULL);
    uint8_t *fs = uu_pattern(30000, 3);
    char *inv = invitation(100, fs, 30000);
    udp(inv, 0);
    uint32_t acked;
    cr_expect_str_eq(upload(fs, 30000, 30000, &acked), "OK");
    uint8_t back[64];
    flashsim_peek(dev->fs, dev->layout.fs_start, back, sizeof(back));
    cr_expect_eq(memcmp(back, fs, sizeof(back)), 0, "the FS image is at fs_start");
    g_free(inv);
    free(fs);
}
