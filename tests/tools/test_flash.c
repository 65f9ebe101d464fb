/* otasim flash against otasim romloader over a pty, both run as a user would (the otasim
 * binary from $OTASIM_EXE): round trips byte-identical in ROM mode and in fake-stub mode at
 * 921600 with MD5 verification; the ROM erase-size quirk (sector 10 survives with the
 * workaround, is lost without it, and survives without it when the loader erases exactly:
 * the quirk is what destroys it); every fault of the loader (silence, silence after sync,
 * checksum errors, non-SLIP bytes, a bad escape, a truncated reply) gives its own error and
 * exit 1 within a deadline, and a single corrupted block is retried. Every child is killed
 * at its deadline and the test then fails as a hang. The flash file the loader saved boots
 * natively with its strap state (FILE.straps): not reset, the Updater refuses (ERROR[11]). */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "imagekit.h"
#include "layout.h"
#include "native_device.h"
#include "qemu_device.h"
#include "romproto.h"

#define FLASH_SIZE (1u << 20)
#define SEC 4096u

static char dir[256], tty[300], img[300], out[300];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/otasim-flash-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(tty, sizeof(tty), "%s/tty", dir);
    snprintf(img, sizeof(img), "%s/flash.bin", dir);
    snprintf(out, sizeof(out), "%s/flash.err", dir);
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

static const char *exe(void)
{
    const char *e = getenv("OTASIM_EXE");
    cr_assert_not_null(e, "OTASIM_EXE not set");
    return e;
}

static pid_t spawn(char *const argv[], const char *errfile)
{
    pid_t p = fork();
    cr_assert_geq(p, 0);
    if (p == 0) {
        if (errfile && !freopen(errfile, "w", stderr))
            _exit(126);
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    return p;
}

/* Exit code of p, or -1 if it had to be killed at the deadline (a hang). */
static int wait_for(pid_t p, double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int st;
        pid_t w = waitpid(p, &st, WNOHANG);
        if (w == p)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > seconds) {
            kill(p, SIGKILL);
            waitpid(p, &st, 0);
            return -1;
        }
        usleep(5000);
    }
}

/* The loader with extra args (NULL-terminated); waits for its pty link. */
static pid_t loader(const char *a1, const char *a2, const char *a3)
{
    char *argv[16] = {(char *)exe(), "romloader", "--pty",  "--image", img,
                      "--size",      "1048576",   "--link", tty,       "--exit-after-end"};
    int n = 10;
    if (a1)
        argv[n++] = (char *)a1;
    if (a2)
        argv[n++] = (char *)a2;
    if (a3)
        argv[n++] = (char *)a3;
    argv[n] = NULL;
    char lerr[320];
    snprintf(lerr, sizeof(lerr), "%s/loader.err", dir);
    pid_t p = spawn(argv, lerr);
    for (int i = 0; i < 400; i++) {
        if (access(tty, F_OK) == 0)
            return p;
        usleep(5000);
    }
    kill(p, SIGKILL);
    cr_assert_fail("romloader did not create %s", tty);
    return -1;
}

static void stop_loader(pid_t p)
{
    kill(p, SIGTERM);
    cr_assert_eq(wait_for(p, 5), 0, "romloader did not save and exit on SIGTERM");
}

/* otasim flash --port tty --quiet ARGS...; its stderr goes to `out`. */
static int flash(double deadline, const char *const *args)
{
    char *argv[24] = {(char *)exe(), "flash", "--port", tty, "--quiet"};
    int n = 5;
    for (; *args && n < 23; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return wait_for(spawn(argv, out), deadline);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(d, 1, n, f), n);
    fclose(f);
}

static uint8_t *pattern(size_t n, uint32_t seed)
{
    uint8_t *b = malloc(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (uint8_t)x;
    }
    return b;
}

static char *err_text(void)
{
    return slurp(out, NULL);
}

TestSuite(flash, .init = setup, .fini = teardown, .timeout = 60);

static void round_trip(const char *const *extra, uint32_t seed)
{
    /* Two files: an odd-sized one at an unaligned address, one at a 64 KiB boundary. */
    size_t n1 = 3 * SEC + 1234, n2 = 17 * SEC + 3;
    uint8_t *d1 = pattern(n1, seed), *d2 = pattern(n2, seed + 1);
    char f1[320], f2[320];
    snprintf(f1, sizeof(f1), "%s/a.bin", dir);
    snprintf(f2, sizeof(f2), "%s/b.bin", dir);
    write_file(f1, d1, n1);
    write_file(f2, d2, n2);
    const char *args[16];
    int k = 0;
    for (; extra && extra[k]; k++)
        args[k] = extra[k];
    args[k++] = "0x2100";
    args[k++] = f1;
    args[k++] = "0x30000";
    args[k++] = f2;
    args[k] = NULL;
    pid_t l = loader(NULL, NULL, NULL);
    int rc = flash(30, args);
    cr_assert_eq(rc, 0, "flash failed (%d): %s", rc, err_text());
    cr_assert_eq(wait_for(l, 5), 0, "the loader did not exit after FLASH_END/RUN_USER_CODE");
    size_t len;
    uint8_t *fl = (uint8_t *)slurp(img, &len);
    cr_assert_eq(len, FLASH_SIZE);
    cr_assert_eq(memcmp(fl + 0x2100, d1, n1), 0, "file 1 differs in the flash");
    cr_assert_eq(memcmp(fl + 0x30000, d2, n2), 0, "file 2 differs in the flash");
    for (uint32_t a = 0x2000; a < 0x2100; a++)
        cr_assert_eq(fl[a], 0xFF, "the unaligned prefix is written as 0xFF");
    char straps[340];
    snprintf(straps, sizeof(straps), "%s.straps", img);
    char *s = slurp(straps, NULL);
    cr_assert(strstr(s, "boot_mode=1") && strstr(s, "reset=no"), "straps: %s", s);
    free(s);
    free(fl);
    free(d1);
    free(d2);
}

Test(flash, rom_round_trip_byte_identical)
{
    round_trip(NULL, 1);
}

Test(flash, fake_stub_921600_verified_round_trip)
{
    const char *extra[] = {"--stub", "fake", "--baud", "921600", "--verify", NULL};
    round_trip(extra, 2);
}

/* Sector 10 holds data; an 8-sector image goes to 0. Returns whether sector 10 survived. */
static bool sector10_survives(bool workaround, bool exact_loader)
{
    uint8_t *base = malloc(FLASH_SIZE);
    memset(base, 0xFF, FLASH_SIZE);
    uint8_t *keep = pattern(SEC, 77);
    memcpy(base + 10 * SEC, keep, SEC);
    write_file(img, base, FLASH_SIZE);
    uint8_t *image = pattern(8 * SEC, 78);
    char f[320];
    snprintf(f, sizeof(f), "%s/img8.bin", dir);
    write_file(f, image, 8 * SEC);
    pid_t l = loader(exact_loader ? "--exact-erase" : NULL, NULL, NULL);
    const char *with[] = {"0", f, NULL};
    const char *without[] = {"--no-erase-workaround", "0", f, NULL};
    int rc = flash(30, workaround ? with : without);
    cr_assert_eq(rc, 0, "flash failed: %s", err_text());
    cr_assert_eq(wait_for(l, 5), 0);
    size_t len;
    uint8_t *fl = (uint8_t *)slurp(img, &len);
    cr_assert_eq(memcmp(fl, image, 8 * SEC), 0, "the image itself is always written");
    bool ok = memcmp(fl + 10 * SEC, keep, SEC) == 0;
    if (!ok)
        for (uint32_t i = 0; i < SEC; i++)
            cr_assert_eq(fl[10 * SEC + i], 0xFF, "lost by an erase, so it reads erased");
    free(fl);
    free(base);
    free(keep);
    free(image);
    return ok;
}

Test(flash, erase_quirk_workaround_keeps_sector_10)
{
    cr_assert(sector10_survives(true, false), "with the workaround only 8 sectors are erased");
}

Test(flash, erase_quirk_without_workaround_loses_sector_10)
{
    cr_assert_not(sector10_survives(false, false),
                  "without the workaround the ROM erases 16 sectors: sector 10 must be lost");
}

Test(flash, exact_erase_loader_keeps_sector_10_without_workaround)
{
    /* Control: the loss above comes from the modelled quirk, not from the flasher. */
    cr_assert(sector10_survives(false, true));
}

/* A loader fault; the flash must fail with `want` in its message within `deadline` s. */
static void fault(const char *f, const char *want, double deadline)
{
    uint8_t *d = pattern(5 * SEC, 9);
    char file[320];
    snprintf(file, sizeof(file), "%s/x.bin", dir);
    write_file(file, d, 5 * SEC);
    pid_t l = loader("--fault", f, NULL);
    const char *args[] = {"--connect-attempts", "1", "--timeout", "1500", "0", file, NULL};
    int rc = flash(deadline, args);
    char *e = err_text();
    cr_assert_neq(rc, -1, "fault %s: the flasher hung (killed after %.0f s)", f, deadline);
    cr_assert_eq(rc, 1, "fault %s: exit %d, expected 1: %s", f, rc, e);
    cr_assert(strstr(e, want), "fault %s: expected '%s' in: %s", f, want, e);
    free(e);
    free(d);
    stop_loader(l);
}

Test(flash, silent_port_no_sync)
{
    fault("silent", "no sync", 10);
}

Test(flash, silent_after_sync_times_out)
{
    fault("silent-after-sync", "timeout: no reply to READ_REG", 10);
}

Test(flash, wrong_checksum_reported)
{
    fault("checksum", "FLASH_DATA failed: status 1, error 0x07 (checksum error)", 10);
}

Test(flash, garbage_outside_frames)
{
    fault("garbage", "invalid head of packet", 10);
}

Test(flash, bad_slip_escape)
{
    fault("bad-escape", "invalid SLIP escape", 10);
}

Test(flash, truncated_reply)
{
    fault("truncate", "bad reply to FLASH_BEGIN: truncated packet", 10);
}

Test(flash, one_corrupted_block_is_retried)
{
    uint8_t *d = pattern(5 * SEC, 10);
    char file[320];
    snprintf(file, sizeof(file), "%s/x.bin", dir);
    write_file(file, d, 5 * SEC);
    pid_t l = loader("--fault", "flip-data=3", NULL);
    const char *args[] = {"0", file, NULL};
    cr_assert_eq(flash(20, args), 0, "%s", err_text());
    cr_assert_eq(wait_for(l, 5), 0);
    uint8_t *fl = (uint8_t *)slurp(img, NULL);
    cr_assert_eq(memcmp(fl, d, 5 * SEC), 0);
    free(fl);
    free(d);
}

Test(flash, no_port_and_bad_usage)
{
    const char *args[] = {"0", "/nonexistent.bin", NULL};
    cr_assert_eq(flash(5, args), 1);
    char *e = err_text();
    cr_assert(strstr(e, "cannot open /nonexistent.bin"), "%s", e);
    free(e);
    const char *odd[] = {"0", NULL};
    cr_assert_eq(flash(5, odd), 2);
    char f[320];
    snprintf(f, sizeof(f), "%s/small.bin", dir);
    uint8_t *d = pattern(100, 1);
    write_file(f, d, 100);
    free(d);
    const char *overlap[] = {"0x1000", f, "0x1f00", f, NULL}; /* both touch sector 1 */
    cr_assert_eq(flash(5, overlap), 1);
    e = err_text();
    cr_assert(strstr(e, "overlap"), "%s", e);
    free(e);
}

/* Issue 7 / #3915: a board flashed over serial and not reset stays strapped for UART boot.
 * The flash file and its FILE.straps the loader saved boot natively; the app's Updater then
 * refuses with ERROR[11]. Control: the same flash after a reset (the sidecar removed) takes
 * the update. */
static void boot_with_update(bool keep_straps, hdev_result_t *res)
{
    uint8_t *boot, *app, *app2, *pair, *pair2;
    size_t bl, al, a2l, pl, p2l;
    char e[200];
    cr_assert_eq(imagekit_synth_boot("eboot", &boot, &bl), 0);
    cr_assert_eq(imagekit_synth_app("basic", 1, 0, &app, &al), 0);
    cr_assert_eq(imagekit_synth_app("basic", 2, 0, &app2, &a2l), 0);
    cr_assert_eq(imagekit_pack_pair(boot, bl, app, al, &pair, &pl, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_pack_pair(boot, bl, app2, a2l, &pair2, &p2l, e, sizeof(e)), 0, "%s", e);
    char f[320];
    snprintf(f, sizeof(f), "%s/basic-v1.bin", dir);
    write_file(f, pair, pl);
    /* The synthesized header says 4 MB: a 4 MiB board, or the Updater fails with ERROR[8]. */
    pid_t l = loader("--size", "4194304", NULL);
    const char *args[] = {"0", f, NULL};
    cr_assert_eq(flash(30, args), 0, "%s", err_text());
    cr_assert_eq(wait_for(l, 5), 0);
    char straps[340];
    snprintf(straps, sizeof(straps), "%s.straps", img);
    if (!keep_straps)
        cr_assert_eq(unlink(straps), 0);
    hdev_config_t cfg = {.seed = 1};
    cr_assert(layout_by_name("4m1m", 4u << 20, &cfg.layout));
    hdev_t *d = hdev_new(&cfg);
    cr_assert_eq(hdev_load_flash_file(d, img, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(hdev_uart_strap(d), keep_straps);
    hdev_job_t job = {.data = pair2, .len = p2l, .declared = (uint32_t)p2l, .command = 0};
    hdev_run(d, &job, NULL, res);
    hdev_free(d);
    free(boot);
    free(app);
    free(app2);
    free(pair);
    free(pair2);
}

Test(flash, not_reset_after_serial_flash_updater_refuses_error_11)
{
    hdev_result_t r;
    boot_with_update(true, &r);
    cr_assert(r.job_taken, "the flashed app booted and took the update (console: %s)", r.console);
    cr_assert_not(r.job_ok);
    cr_assert_eq(r.job_error, 11, "error %d: %s", r.job_error, r.job_msg);
    cr_assert(strstr(r.job_msg, "ERROR[11]"), "%s", r.job_msg);
    hdev_result_free(&r);
}

Test(flash, reset_after_serial_flash_update_succeeds)
{
    hdev_result_t r;
    boot_with_update(false, &r);
    cr_assert(r.job_taken);
    cr_assert(r.job_ok, "error %d: %s", r.job_error, r.job_msg);
    cr_assert_eq(r.app_version, 2, "the new app runs after the update");
    hdev_result_free(&r);
}

/* The loader's side: bad input gets a ROM error reply (or is dropped) and the loader keeps
 * serving. A minimal client over the pty with romproto. */
typedef struct client {
    int fd;
    slip_dec_t dec;
    uint8_t buf[512];
} client_t;

static void c_send_raw(client_t *c, const uint8_t *b, size_t n)
{
    cr_assert_eq(write(c->fd, b, n), (ssize_t)n);
}

static void c_send(client_t *c, const uint8_t *pkt, size_t n)
{
    uint8_t fr[1200];
    size_t k = romproto_slip_encode(pkt, n, fr, sizeof(fr));
    c_send_raw(c, fr, k);
}

/* The next reply within 2 s (a test failure otherwise: the loader must answer). */
static rom_resp_t c_reply(client_t *c)
{
    for (int waited = 0; waited < 2000;) {
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 10) <= 0) {
            waited += 10;
            continue;
        }
        uint8_t b;
        if (read(c->fd, &b, 1) != 1)
            continue;
        if (romproto_slip_feed(&c->dec, b) == SLIP_FRAME) {
            rom_resp_t r;
            cr_assert_eq(romproto_parse_response(c->dec.buf, c->dec.len, &r), ROMP_OK);
            return r;
        }
    }
    cr_assert_fail("the loader did not answer within 2 s");
    rom_resp_t none = {0};
    return none;
}

Test(flash, loader_answers_bad_requests_and_keeps_serving)
{
    pid_t l = loader(NULL, NULL, NULL);
    client_t c;
    c.fd = open(tty, O_RDWR | O_NOCTTY);
    cr_assert_geq(c.fd, 0);
    struct termios t;
    tcgetattr(c.fd, &t);
    cfmakeraw(&t);
    tcsetattr(c.fd, TCSANOW, &t);
    romproto_slip_init(&c.dec, c.buf, sizeof(c.buf));
    uint8_t pkt[1100];
    /* A frame with an invalid escape is dropped; garbage between frames too. */
    const uint8_t bad[] = {0xC0, 0x00, 0x0A, 0xDB, 0x01, 0xC0, 'x', 'y'};
    c_send_raw(&c, bad, sizeof(bad));
    /* Truncated: 5 bytes of a READ_REG header -> 01 05 for READ_REG. */
    const uint8_t trunc[] = {0x00, ROM_READ_REG, 0x04, 0x00, 0x00};
    c_send(&c, trunc, sizeof(trunc));
    rom_resp_t r = c_reply(&c);
    cr_assert_eq(r.op, ROM_READ_REG);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ROM_E_BAD_MESSAGE);
    /* Size field longer than the packet. */
    uint32_t a = ROM_CHIP_MAGIC_REG;
    size_t n = romproto_build_words(ROM_READ_REG, &a, 1, pkt, sizeof(pkt));
    c_send(&c, pkt, n - 1);
    r = c_reply(&c);
    cr_assert_eq(r.status, 1);
    /* A wrong checksum on FLASH_DATA -> 01 07. */
    uint32_t fb[4] = {0x1000, 1, 0x400, 0x8000};
    n = romproto_build_words(ROM_FLASH_BEGIN, fb, 4, pkt, sizeof(pkt));
    c_send(&c, pkt, n);
    r = c_reply(&c);
    cr_assert_eq(r.status, 0);
    uint8_t blk[0x400];
    memset(blk, 0x5A, sizeof(blk));
    n = romproto_build_data(ROM_FLASH_DATA, 0, blk, sizeof(blk), pkt, sizeof(pkt));
    pkt[4] ^= 0xFF;
    c_send(&c, pkt, n);
    r = c_reply(&c);
    cr_assert_eq(r.op, ROM_FLASH_DATA);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ROM_E_CHECKSUM);
    /* Unknown opcode (esptool's GET_SECURITY_INFO) -> 01 05, never silence. */
    n = romproto_build_request(ROM_GET_SECURITY_INFO, NULL, 0, 0, pkt, sizeof(pkt));
    c_send(&c, pkt, n);
    r = c_reply(&c);
    cr_assert_eq(r.op, ROM_GET_SECURITY_INFO);
    cr_assert_eq(r.error, ROM_E_BAD_MESSAGE);
    /* Still serving: SYNC gets its 8 replies, READ_REG the chip magic. */
    n = romproto_build_sync(pkt, sizeof(pkt));
    c_send(&c, pkt, n);
    for (int i = 0; i < 8; i++) {
        r = c_reply(&c);
        cr_assert_eq(r.op, ROM_SYNC);
        cr_assert_eq(r.value, ROM_SYNC_VALUE);
    }
    n = romproto_build_words(ROM_READ_REG, &a, 1, pkt, sizeof(pkt));
    c_send(&c, pkt, n);
    r = c_reply(&c);
    cr_assert_eq(r.value, ROM_CHIP_MAGIC_ESP8266);
    close(c.fd);
    stop_loader(l);
}

Test(flash, image_past_the_end_of_flash_refused)
{
    uint8_t *d = pattern(2 * SEC, 11);
    char file[320];
    snprintf(file, sizeof(file), "%s/x.bin", dir);
    write_file(file, d, 2 * SEC);
    pid_t l = loader(NULL, NULL, NULL);
    const char *args[] = {"0xFF000", file, NULL}; /* 8 KiB at 1 MiB - 4 KiB */
    cr_assert_eq(flash(10, args), 1);
    char *e = err_text();
    cr_assert(strstr(e, "FLASH_BEGIN failed: status 1, error 0x01 (invalid input parameter)"), "%s",
              e);
    free(e);
    free(d);
    stop_loader(l);
}

Test(flash, loader_dies_mid_flash_clear_error)
{
    uint8_t *d = pattern(16 * SEC, 12);
    char file[320];
    snprintf(file, sizeof(file), "%s/x.bin", dir);
    write_file(file, d, 16 * SEC);
    /* At 115200 the 64 KiB take ~6 s: the loader is killed half a second in. */
    pid_t l = loader("--baud", "115200", NULL);
    char *argv[] = {(char *)exe(), "flash", "--port", tty, "--quiet", "0", file, NULL};
    pid_t f = spawn(argv, out);
    usleep(500000);
    kill(l, SIGKILL);
    waitpid(l, NULL, 0);
    int rc = wait_for(f, 10);
    char *e = err_text();
    cr_assert_neq(rc, -1, "the flasher hung after the loader died");
    cr_assert_eq(rc, 1, "exit %d: %s", rc, e);
    cr_assert(strstr(e, "flash: "), "%s", e);
    free(e);
    free(d);
}

/* §5.4: -fm dio -fs 2MB -ff 80m at 0 turns bytes 2-3 into 02 3F; the elf2bin CRC words are
 * refreshed (a copy put through imagekit_fill_crc is unchanged). The same file at 0x10000 is
 * written unpatched. */
Test(flash, header_patched_at_0_with_crc_refreshed)
{
    uint8_t *boot, *app, *pair;
    size_t bl, al, pl;
    char e[200];
    cr_assert_eq(imagekit_synth_boot("eboot", &boot, &bl), 0);
    cr_assert_eq(imagekit_synth_app("basic", 1, 0, &app, &al), 0);
    cr_assert_eq(imagekit_pack_pair(boot, bl, app, al, &pair, &pl, e, sizeof(e)), 0, "%s", e);
    cr_assert_neq(pair[2] == 0x02 && pair[3] == 0x3F, true, "the test needs other bytes first");
    char f[320];
    snprintf(f, sizeof(f), "%s/pair.bin", dir);
    write_file(f, pair, pl);
    pid_t l = loader(NULL, NULL, NULL);
    const char *args[] = {"--flash-mode",
                          "dio",
                          "--flash-size",
                          "2MB",
                          "--flash-freq",
                          "80m",
                          "0",
                          f,
                          "0x10000",
                          f,
                          NULL};
    cr_assert_eq(flash(30, args), 0, "%s", err_text());
    cr_assert_eq(wait_for(l, 5), 0);
    uint8_t *fl = (uint8_t *)slurp(img, NULL);
    cr_assert_eq(fl[2], 0x02);
    cr_assert_eq(fl[3], 0x3F);
    uint8_t *copy = malloc(pl);
    memcpy(copy, fl, pl);
    cr_assert_eq(imagekit_fill_crc(copy, pl, e, sizeof(e)), 0);
    cr_assert_eq(memcmp(copy, fl, pl), 0, "the CRC words match the patched pair");
    cr_assert_neq(memcmp(fl, pair, pl), 0);
    cr_assert_eq(memcmp(fl + 0x10000, pair, pl), 0, "only the image at 0 is patched");
    const char *bad[] = {"--flash-mode", "fast", "0", f, NULL};
    cr_assert_eq(flash(5, bad), 2);
    free(copy);
    free(fl);
    free(boot);
    free(app);
    free(pair);
}

Test(flash, fake_stub_read_back_round_trip)
{
    const char *extra[] = {"--stub", "fake", "--baud", "460800", "--read-back", NULL};
    round_trip(extra, 3);
}

/* The second FLASH_DATA block (it exists with 0x400 and 0x4000 blocks) stored with a wrong bit
 * but acknowledged: the ROM path cannot notice (exit 0, and
 * the flash differs: the negative control), MD5 verify and read-back both do. */
static int corrupt(const char *const *extra, char **e)
{
    uint8_t *d = pattern(5 * SEC, 13);
    char file[320];
    snprintf(file, sizeof(file), "%s/x.bin", dir);
    write_file(file, d, 5 * SEC);
    unlink(img);
    pid_t l = loader("--fault", "corrupt-write=1", NULL);
    const char *args[12];
    int k = 0;
    for (; extra[k]; k++)
        args[k] = extra[k];
    args[k++] = "0";
    args[k++] = file;
    args[k] = NULL;
    int rc = flash(20, args);
    *e = err_text();
    if (rc == 0) {
        cr_assert_eq(wait_for(l, 5), 0);
        uint8_t *fl = (uint8_t *)slurp(img, NULL);
        cr_assert_neq(memcmp(fl, d, 5 * SEC), 0, "the fault really corrupts the flash");
        free(fl);
    } else {
        stop_loader(l);
    }
    free(d);
    return rc;
}

Test(flash, corrupt_write_unnoticed_by_rom_caught_by_md5_and_read_back)
{
    char *e;
    const char *rom[] = {NULL};
    cr_assert_eq(corrupt(rom, &e), 0, "%s", e);
    free(e);
    const char *md5[] = {"--stub", "fake", "--verify", NULL};
    cr_assert_eq(corrupt(md5, &e), 1);
    cr_assert(strstr(e, "verify failed"), "%s", e);
    free(e);
    const char *rb[] = {"--stub", "fake", "--read-back", NULL};
    cr_assert_eq(corrupt(rb, &e), 1);
    cr_assert(strstr(e, "read-back: flash 0x"), "%s", e);
    free(e);
}

/* Issue 7: "the same flash then boots natively and under QEMU". The QEMU build's pair
 * (basic-v1-eboot-qemu.bin: the same bootloader and app sources for QEMU's port) is written
 * by `otasim flash` into the simulated ROM loader; after a reset (no FILE.straps) the saved
 * flash file boots under qemu-system-xtensa — the ROM step loads the bootloader from flash 0,
 * eboot loads the app — and the app reports basic@1. Skipped (with the reason) where the
 * lx106 images or QEMU are missing (the ASan build). */
Test(flash, flashed_file_boots_under_qemu, .timeout = 60)
{
    const char *images = getenv("OTASIM_IMAGES");
    const char *qemu = qemu_device_find();
    char f[320];
    snprintf(f, sizeof(f), "%s/basic-v1-eboot-qemu.bin", images ? images : ".");
    if (!images || !qemu || access(f, R_OK) != 0)
        cr_skip_test("needs the lx106 build's QEMU images and qemu-system-xtensa "
                     "(apt-get install qemu-system-misc gcc-xtensa-lx106)");
    pid_t l = loader("--size", "4194304", NULL);
    const char *args[] = {"0", f, NULL};
    cr_assert_eq(flash(30, args), 0, "%s", err_text());
    cr_assert_eq(wait_for(l, 5), 0);
    char straps[340], e[200];
    snprintf(straps, sizeof(straps), "%s.straps", img);
    cr_assert_eq(unlink(straps), 0, "the loader saved no FILE.straps");
    hdev_config_t cfg = {.seed = 1};
    cr_assert(layout_by_name("4m2m", 4u << 20, &cfg.layout));
    qemu_device_t q;
    qemu_device_init(&q, qemu);
    cfg.backend = &q.backend;
    hdev_t *d = hdev_new(&cfg);
    cr_assert_eq(hdev_load_flash_file(d, img, e, sizeof(e)), 0, "%s", e);
    hdev_result_t r;
    hdev_run(d, NULL, NULL, &r);
    cr_expect_eq(r.app_version, 1, "console: %s", r.console);
    cr_expect_str_eq(r.app_name, "basic", "console: %s", r.console);
    cr_expect(r.console && strstr(r.console, "basic@1: running"), "console: %s", r.console);
    hdev_result_free(&r);
    hdev_free(d);
    /* Control: the same run with a "QEMU" that exits at once does not boot the app, so the
     * pass above came from the QEMU process (the native device would boot this pair too). */
    qemu_device_init(&q, "/bin/false");
    d = hdev_new(&cfg);
    cr_assert_eq(hdev_load_flash_file(d, img, e, sizeof(e)), 0, "%s", e);
    hdev_run(d, NULL, NULL, &r);
    cr_expect_neq(r.app_version, 1, "booted without QEMU: console %s", r.console);
    hdev_result_free(&r);
    hdev_free(d);
}
