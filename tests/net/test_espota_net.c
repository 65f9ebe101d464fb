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
static const netsim_faults_t *faults; /* the link of the next run (NULL: clean) */
static uint32_t receive_timeout_ms;   /* of the next run's responder (0: its default) */
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
} run_t;

/* Device + network in this process, the uploader in a child. */
static run_t run(tdev_t *dev, const char *password, const uint8_t *data, size_t len,
                 const char *extra)
{
    run_t r = {.upload_rc = -1};
    strcpy(dir, "/tmp/otasim-net-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/image.bin", dir);
    FILE *f = fopen(file, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    netsim_t *n = netsim_new(NULL);
    cr_assert_not_null(n);
    if (faults)
        netsim_set_faults(n, faults);
    espota_config_t cfg;
    espota_default_config(&cfg);
    cfg.password = password;
    if (receive_timeout_ms)
        cfg.receive_timeout_ms = receive_timeout_ms;
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

/* Network faults (netsim_faults_t): a reset at half of a 1 MiB filesystem upload leaves the
 * device idle with the upload aborted, and the next upload over a clean link lands whole. */
Test(espota_net, reset_at_half_then_the_next_upload_succeeds)
{
    tdev_t *dev = new_dev();
    size_t len = 1u << 20;
    uint8_t *fs = uu_pattern(len, 78);
    netsim_faults_t f;
    netsim_no_faults(&f);
    f.drop_after = (int64_t)len / 2;
    faults = &f;
    run_t r = run(dev, NULL, fs, len, "-s");
    faults = NULL;
    cr_expect_eq(r.upload_rc, 1, "the upload must fail: %s", r.out);
    cr_expect(r.finished && !r.ok, "the device did not end the attempt");
    cr_expect_not(updater_is_running(&dev->up), "the Updater still runs");
    uint8_t *back = malloc(len);
    flashsim_peek(dev->fs, dev->layout.fs_start, back, (uint32_t)len);
    cr_expect_neq(memcmp(back, fs, len), 0, "a cut upload cannot be complete");
    run_t r2 = run(dev, NULL, fs, len, "-s");
    cr_expect_eq(r2.upload_rc, 0, "%s", r2.out);
    flashsim_peek(dev->fs, dev->layout.fs_start, back, (uint32_t)len);
    cr_expect_eq(memcmp(back, fs, len), 0, "the second upload differs");
    free(back);
    free(fs);
    tdev_free(dev);
}

/* A stall (the connection stays open, no data): the device's receive timeout fires instead
 * of hanging (the original hangs, spec §1.7). */
Test(espota_net, stall_times_out_on_the_device)
{
    tdev_t *dev = new_dev();
    size_t len = 200000;
    uint8_t *fs = uu_pattern(len, 79);
    netsim_faults_t f;
    netsim_no_faults(&f);
    f.stall_after = 50000;
    faults = &f;
    run_t r = run(dev, NULL, fs, len, "-s");
    faults = NULL;
    cr_expect_neq(r.upload_rc, 0, "%s", r.out);
    cr_expect(r.finished && !r.ok, "the device never timed out");
    cr_expect_not(updater_is_running(&dev->up));
    free(fs);
    tdev_free(dev);
}

/* Loss, latency and a rate cap (seeded): the upload still lands whole, and no faster than
 * the cap allows (a negative control that the cap acts). */
Test(espota_net, lossy_slow_link_still_delivers)
{
    tdev_t *dev = new_dev();
    size_t len = 300000;
    uint8_t *fs = uu_pattern(len, 80);
    netsim_faults_t f;
    char err[100];
    cr_assert(netsim_parse_faults("loss=0.02,latency=2,rate=1000000,seed=9", &f, err, sizeof(err)),
              "%s", err);
    cr_assert_not(netsim_parse_faults("lost=1", &f, err, sizeof(err)));
    cr_assert(netsim_parse_faults("loss=0.02,latency=2,rate=1000000,seed=9", &f, err, sizeof(err)));
    faults = &f;
    /* Lost segments wait for the sender's retransmission timeout (backing off): longer than
     * espota's 1 s receive timeout after a few losses in a row, so the test allows 8 s. */
    receive_timeout_ms = 8000;
    run_t r = run(dev, NULL, fs, len, "-s -t 10");
    receive_timeout_ms = 0;
    faults = NULL;
    cr_expect_eq(r.upload_rc, 0, "%s", r.out);
    uint8_t *back = malloc(len);
    flashsim_peek(dev->fs, dev->layout.fs_start, back, (uint32_t)len);
    cr_expect_eq(memcmp(back, fs, len), 0, "the upload differs");
    cr_expect_geq(r.seconds, 0.29, "300 kB at 1 MB/s took %.3f s", r.seconds);
    cr_log_info("300 kB over loss 2%%, 2 ms, 1 MB/s: %.3f s", r.seconds);
    free(back);
    free(fs);
    tdev_free(dev);
}
