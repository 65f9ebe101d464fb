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
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/image.bin", dir);
    FILE *f = fopen(file, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    netsim_t *n = netsim_new(NULL);
    cr_assert_not_null(n);
    espota_config_t cfg;
    espota_default_config(&cfg);
    cfg.password = password;
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
