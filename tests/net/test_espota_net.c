/* End to end over the simulated network: `otasim upload` on the host reaches the device's
 * espota responder through libslirp's forwarded UDP port and lwIP, and the device connects
 * back to the uploader through slirp's NAT (10.0.2.2 -> 127.0.0.1) — the path a real IDE
 * upload takes. A sketch update ends with a copy command; a 1 MiB filesystem upload lands
 * byte for byte (its rate is logged); a wrong password writes nothing. OTASIM names the
 * binary. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "espota_lwip.h"
#include "netsim.h"
#include "updater_util.h"

static char dir[] = "/tmp/otasim-net-XXXXXX";
/* Network faults for the next run() (netfault.h syntax), NULL: none. */
static const char *faults;
/* The device's receive timeout for the next run() (0: the default, 1000 ms as the original). */
static uint32_t rx_timeout_ms;
static char file[300];

static unsigned free_udp_port(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof(a));
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)(t.tv_sec * 1000u + t.tv_nsec / 1000000u);
}

typedef struct run {
    int upload_rc;
    bool finished, ok;
    double seconds;
    char out[4096];
    netfault_stats_t faults;
} run_t;

/* Device + network in this process, the uploader in a child. */
static run_t run(tdev_t *dev, const char *password, const uint8_t *data, size_t len,
                 const char *extra)
{
    run_t r = {.upload_rc = -1};
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/image.bin", dir);
    FILE *f = fopen(file, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    netsim_t *n = netsim_new(NULL);
    cr_assert_not_null(n);
    if (faults) {
        netfault_cfg_t fc;
        char err[200];
        cr_assert(netfault_parse(faults, &fc, err, sizeof(err)), "%s", err);
        netsim_set_faults(n, &fc);
    }
    espota_config_t cfg;
    espota_default_config(&cfg);
    cfg.password = password;
    if (rx_timeout_ms)
        cfg.receive_timeout_ms = rx_timeout_ms;
    cfg.updater = &dev->up;
    cfg.layout = &dev->layout;
    espota_t ota;
    espota_init(&ota, &cfg);
    espota_lwip_t *g = espota_lwip_start(&ota, ESPOTA_PORT);
    cr_assert_not_null(g);
    unsigned port = free_udp_port();
    cr_assert(netsim_forward(n, true, (uint16_t)port, ESPOTA_PORT));
    int pfd[2];
    cr_assert_eq(pipe(pfd), 0);
    fflush(NULL);
    pid_t c = fork();
    if (c == 0) {
        dup2(pfd[1], 2);
        dup2(pfd[1], 1);
        char cmd[1200];
        snprintf(cmd, sizeof(cmd), "exec %s upload -i 127.0.0.1 -I 127.0.0.1 -p %u -f %s -t 5 %s",
                 getenv("OTASIM"), port, file, extra);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        netsim_poll(n, 1);
        espota_lwip_poll(g, now_ms());
        bool ok;
        if (espota_lwip_finished(g, &ok)) {
            r.finished = true;
            r.ok = ok;
            clock_gettime(CLOCK_MONOTONIC, &t1);
        }
        int st;
        if (waitpid(c, &st, WNOHANG) == c) {
            r.upload_rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 40) {
            kill(c, SIGKILL);
            waitpid(c, &st, 0);
            break;
        }
    }
    r.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ssize_t k = read(pfd[0], r.out, sizeof(r.out) - 1);
    r.out[k > 0 ? k : 0] = 0;
    close(pfd[0]);
    r.faults = netsim_fault_stats(n);
    espota_lwip_stop(g);
    netsim_free(n);
    unlink(file);
    rmdir(dir);
    return r;
}

static tdev_t *new_dev(void)
{
    tdev_t *dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    return dev;
}

Test(espota_net, sketch_upload_through_lwip_and_slirp)
{
    tdev_t *dev = new_dev();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 21, &len);
    run_t r = run(dev, "garden", img, len, "-a garden");
    cr_expect_eq(r.upload_rc, 0, "%s", r.out);
    cr_expect(strstr(r.out, "Result: OK"), "%s", r.out);
    cr_expect(r.finished && r.ok, "the device did not finish the update");
    cr_expect(uu_read_cmd(dev).valid, "no copy command");
    free(img);
    tdev_free(dev);
}

Test(espota_net, one_mib_filesystem_upload)
{
    tdev_t *dev = new_dev();
    size_t len = 1u << 20;
    uint8_t *fs = uu_pattern(len, 77);
    run_t r = run(dev, NULL, fs, len, "-s");
    cr_expect_eq(r.upload_rc, 0, "%s", r.out);
    uint8_t *back = malloc(len);
    flashsim_peek(dev->fs, dev->layout.fs_start, back, (uint32_t)len);
    cr_expect_eq(memcmp(back, fs, len), 0, "the FS area differs from the upload");
    cr_log_info("1 MiB espota upload through lwIP+slirp: %.3f s (%.2f MB/s)", r.seconds,
                len / r.seconds / 1e6);
    free(back);
    free(fs);
    tdev_free(dev);
}

Test(espota_net, wrong_password_writes_nothing)
{
    tdev_t *dev = new_dev();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 22, &len);
    uint32_t ops = flashsim_op_count(dev->fs);
    run_t r = run(dev, "garden", img, len, "-a weeds");
    cr_expect_eq(r.upload_rc, 1, "%s", r.out);
    cr_expect(strstr(r.out, "Authentication Failed"), "%s", r.out);
    cr_expect_eq(flashsim_op_count(dev->fs), ops, "flash was touched");
    free(img);
    tdev_free(dev);
}

/* The data connection is reset at 50 %: the uploader fails, the device's responder ends the
 * update as failed with no boot command; the next upload (no faults) goes through. */
Test(espota_net, drop_at_half_keeps_the_old_app_and_the_next_upload_succeeds)
{
    tdev_t *dev = new_dev();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 23, &len);
    char spec[64];
    snprintf(spec, sizeof(spec), "drop=%zu", len / 2);
    faults = spec;
    run_t r = run(dev, NULL, img, len, "");
    faults = NULL;
    cr_expect_neq(r.upload_rc, 0, "the upload survived a reset: %s", r.out);
    cr_expect(r.faults.reset_sent, "the fault did not fire");
    cr_expect_eq(r.faults.delivered_data, len / 2);
    cr_expect(r.finished && !r.ok, "the device did not end the update as failed");
    cr_expect_not(uu_read_cmd(dev).valid, "a boot command after a dropped upload");
    strcpy(dir, "/tmp/otasim-net-XXXXXX");
    r = run(dev, NULL, img, len, "");
    cr_expect_eq(r.upload_rc, 0, "the next upload failed: %s", r.out);
    cr_expect(uu_read_cmd(dev).valid, "no copy command after the good upload");
    free(img);
    tdev_free(dev);
}

/* The connection stays open and silent at 50 %: the device's receive timeout (the original
 * hangs here) ends the update as failed within seconds, with no boot command. */
Test(espota_net, stall_at_half_times_out_instead_of_hanging)
{
    tdev_t *dev = new_dev();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 24, &len);
    char spec[64];
    snprintf(spec, sizeof(spec), "stall=%zu", len / 2);
    faults = spec;
    run_t r = run(dev, NULL, img, len, "");
    faults = NULL;
    cr_expect(r.faults.stall_active, "the fault did not fire");
    cr_expect(r.finished && !r.ok, "the device did not time out (finished %d)", r.finished);
    cr_expect_neq(r.upload_rc, 0, "%s", r.out);
    cr_expect_not(uu_read_cmd(dev).valid, "a boot command after a stalled upload");
    cr_expect_lt(r.seconds, 20.0, "took %.1f s", r.seconds);
    free(img);
    tdev_free(dev);
}

/* Loss, latency and a bandwidth cap on both directions: TCP recovers and the filesystem image
 * lands byte for byte, and the cap shows in the time taken. slirp's TCP retransmits a lost
 * frame after its minimum RTO of about 1 s, as long as the original's 1000 ms receive timeout,
 * so the device here waits 5 s (with 1000 ms a lost data frame often ends the update with
 * ERROR[6] Stream Read Timeout — on a real board Wi-Fi's link-layer retries hide most loss). */
Test(espota_net, lossy_slow_link_still_delivers_every_byte, .timeout = 60)
{
    tdev_t *dev = new_dev();
    size_t len = 64u << 10;
    uint8_t *fs = uu_pattern(len, 78);
    faults = "loss=1%,latency=2ms,bw=1M,seed=5";
    rx_timeout_ms = 5000;
    run_t r = run(dev, NULL, fs, len, "-s");
    faults = NULL;
    rx_timeout_ms = 0;
    cr_expect_eq(r.upload_rc, 0, "%s", r.out);
    cr_expect_gt(r.faults.lost, 0, "no frame was lost");
    uint8_t *back = malloc(len);
    flashsim_peek(dev->fs, dev->layout.fs_start, back, (uint32_t)len);
    cr_expect_eq(memcmp(back, fs, len), 0, "the FS area differs from the upload");
    cr_expect_gt(r.seconds, (double)len / 1e6, "faster than the 1 MB/s cap: %.3f s", r.seconds);
    cr_log_info("64 KiB over loss=1%%,latency=2ms,bw=1M: %.2f s, %llu frames lost", r.seconds,
                (unsigned long long)r.faults.lost);
    free(back);
    free(fs);
    tdev_free(dev);
}

/* otasim upload --stream (no wait for each chunk's ack): the same bytes land; a sketch with
 * the wrong MD5 is refused with the device's error (the stream does not hide it), and a reset
 * at 50 % fails the upload (controls: each check fails if --stream ignored what it hears). */
Test(espota_net, stream_upload_lands_every_byte)
{
    tdev_t *dev = new_dev();
    size_t len = 1u << 20;
    uint8_t *fs = uu_pattern(len, 79);
    run_t r = run(dev, NULL, fs, len, "-s --stream");
    cr_expect_eq(r.upload_rc, 0, "%s", r.out);
    cr_expect(strstr(r.out, "Result: OK"), "%s", r.out);
    cr_expect(r.finished && r.ok, "the device did not finish the update");
    uint8_t *back = malloc(len);
    flashsim_peek(dev->fs, dev->layout.fs_start, back, (uint32_t)len);
    cr_expect_eq(memcmp(back, fs, len), 0, "the FS area differs from the upload");
    cr_log_info("1 MiB espota --stream upload: %.3f s (%.2f MB/s)", r.seconds,
                len / r.seconds / 1e6);
    free(back);
    free(fs);
    tdev_free(dev);
}

Test(espota_net, stream_upload_fails_on_a_reset)
{
    tdev_t *dev = new_dev();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 25, &len);
    char spec[64];
    snprintf(spec, sizeof(spec), "drop=%zu", len / 2);
    faults = spec;
    run_t r = run(dev, NULL, img, len, "--stream");
    faults = NULL;
    cr_expect_neq(r.upload_rc, 0, "the stream upload survived a reset: %s", r.out);
    cr_expect(r.faults.reset_sent, "the fault did not fire");
    cr_expect_not(uu_read_cmd(dev).valid, "a boot command after a dropped upload");
    free(img);
    tdev_free(dev);
}

/* Not an image (no 0xE9 magic) as a sketch: the device answers ERROR[n] over the connection
 * while the stream is still sending; the uploader reports it and fails. */
Test(espota_net, stream_upload_reports_the_device_error)
{
    tdev_t *dev = new_dev();
    size_t len = 256u << 10;
    uint8_t *junk = uu_pattern(len, 80);
    junk[0] = 0x00;
    run_t r = run(dev, NULL, junk, len, "--stream");
    cr_expect_eq(r.upload_rc, 1, "%s", r.out);
    cr_expect(strstr(r.out, "ERROR["), "no device error text: %s", r.out);
    cr_expect_not(uu_read_cmd(dev).valid, "a boot command after a refused upload");
    free(junk);
    tdev_free(dev);
}
