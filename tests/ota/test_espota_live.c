/* End to end: `otasim upload` (the espota.py-compatible host tool) against the device's
 * ArduinoOTA responder (firmware/ota/espota) on a simulated device, over real UDP and TCP on
 * loopback (BSD sockets in a forked device process; the lwIP path is the network issue's).
 * Checked: the upload succeeds with and without a password, a wrong password fails without a
 * single flash operation, the device's Updater error reaches the user's terminal, a silent
 * device is reported within the timeout, a filesystem upload lands at fs_start. OTASIM names
 * the binary. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "espota.h"
#include "updater_util.h"

/* How the device process ends (its exit code). */
enum { DEV_UPDATED = 0, DEV_FINAL_ERROR = 1, DEV_UNTOUCHED = 2, DEV_OTHER = 3 };

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)(t.tv_sec * 1000u + t.tv_nsec / 1000000u);
}

static void reply_to(int udp, const struct sockaddr_in *to, const char *r, size_t n)
{
    if (n)
        sendto(udp, r, n, 0, (const struct sockaddr *)to, sizeof(*to));
}

/* The device: serves one update attempt on `udp`, then exits with a DEV_* code. */
_Noreturn static void device(int udp, const char *password, int command)
{
    alarm(20);
    tdev_t *dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    espota_config_t cfg;
    espota_default_config(&cfg);
    cfg.password = password;
    cfg.updater = &dev->up;
    cfg.layout = &dev->layout;
    espota_t o;
    espota_init(&o, &cfg);
    uint32_t ops0 = flashsim_op_count(dev->fs);
    struct sockaddr_in peer;
    char r[ESPOTA_REPLY_MAX];
    size_t rn;
    bool auth_failed = false;
    for (;;) {
        struct pollfd p = {.fd = udp, .events = POLLIN};
        if (poll(&p, 1, 3000) <= 0)
            _exit(auth_failed && flashsim_op_count(dev->fs) == ops0 ? DEV_UNTOUCHED : DEV_OTHER);
        uint8_t pkt[512];
        socklen_t pl = sizeof(peer);
        ssize_t n = recvfrom(udp, pkt, sizeof(pkt), 0, (struct sockaddr *)&peer, &pl);
        if (n < 0)
            continue;
        espota_udp(&o, pkt, (size_t)n, ntohl(peer.sin_addr.s_addr), ntohs(peer.sin_port), now_ms(),
                   r, &rn);
        auth_failed = auth_failed || (rn == 21 && !memcmp(r, "Authentication Failed", 21));
        reply_to(udp, &peer, r, rn);
        bool go = espota_handle(&o, now_ms(), r, &rn);
        reply_to(udp, &peer, r, rn);
        if (!go && rn)
            _exit(flashsim_op_count(dev->fs) == ops0 ? DEV_UNTOUCHED : DEV_OTHER);
        if (go)
            break;
    }
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in host = peer;
    host.sin_port = htons((uint16_t)o.host_port);
    usleep(100000); /* the original waits 100 ms before connecting */
    bool ok = connect(tcp, (struct sockaddr *)&host, sizeof(host)) == 0;
    espota_connected(&o, ok, now_ms());
    if (!ok)
        _exit(DEV_OTHER);
    char fin[ESPOTA_REPLY_MAX];
    size_t fl = 0;
    while (fl == 0) {
        struct pollfd p = {.fd = tcp, .events = POLLIN};
        uint8_t buf[2048];
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = recv(tcp, buf, sizeof(buf), 0);
            if (n <= 0) {
                espota_tcp_closed(&o, fin, &fl);
                break;
            }
            char ack[16];
            size_t al;
            espota_tcp_data(&o, buf, (size_t)n, now_ms(), ack, sizeof(ack), &al, fin, &fl);
            if (al)
                send(tcp, ack, al, MSG_NOSIGNAL);
        } else {
            espota_tick(&o, now_ms(), fin, &fl);
        }
    }
    send(tcp, fin, fl, MSG_NOSIGNAL);
    close(tcp);
    if (fl == 2 && !memcmp(fin, "OK", 2)) {
        uu_cmd_t cmd = uu_read_cmd(dev);
        if (command == U_FS) {
            uint8_t back[64], want[64];
            flashsim_peek(dev->fs, dev->layout.fs_start, back, sizeof(back));
            uint8_t *fs = uu_pattern(30000, 3);
            memcpy(want, fs, sizeof(want));
            free(fs);
            _exit(memcmp(back, want, sizeof(back)) ? DEV_OTHER : DEV_UPDATED);
        }
        _exit(cmd.valid ? DEV_UPDATED : DEV_OTHER);
    }
    _exit(DEV_FINAL_ERROR);
}

static char dir[] = "/tmp/otasim-upload-XXXXXX";
static char file[300];

static pid_t start_device(const char *password, int command, unsigned *port)
{
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(udp, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(udp, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
        device(udp, password, command);
    close(udp);
    return pid;
}

/* Runs otasim upload with extra args; returns its exit code, its stderr in out. */
static int upload(unsigned port, const char *extra, char *out, size_t cap)
{
    const char *bin = getenv("OTASIM");
    cr_assert_not_null(bin, "OTASIM must name the otasim binary");
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "%s upload -i 127.0.0.1 -I 127.0.0.1 -p %u -f %s -t 3 %s 2>&1", bin,
             port, file, extra);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int device_end(pid_t pid)
{
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_image(const uint8_t *data, size_t len)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/basic.bin", dir);
    FILE *f = fopen(file, "wb");
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void image(void)
{
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 11, &len);
    write_image(img, len);
    free(img);
}

static void cleanup(void)
{
    unlink(file);
    rmdir(dir);
}

TestSuite(espota_live, .fini = cleanup);

Test(espota_live, upload_without_password)
{
    image();
    unsigned port;
    pid_t d = start_device(NULL, U_FLASH, &port);
    char out[4096];
    int rc = upload(port, "-r", out, sizeof(out));
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "Result: OK"), "%s", out);
    cr_expect(strstr(out, "Uploading: ["), "-r shows progress: %s", out);
    cr_expect_eq(device_end(d), DEV_UPDATED);
}

Test(espota_live, upload_with_the_right_password)
{
    image();
    unsigned port;
    pid_t d = start_device("garden", U_FLASH, &port);
    char out[4096];
    cr_expect_eq(upload(port, "-a garden", out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "Authenticating...OK"), "%s", out);
    cr_expect_eq(device_end(d), DEV_UPDATED);
}

Test(espota_live, wrong_password_fails_and_writes_nothing)
{
    image();
    unsigned port;
    pid_t d = start_device("garden", U_FLASH, &port);
    char out[4096];
    cr_expect_eq(upload(port, "-a weed", out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "Authentication Failed"), "%s", out);
    cr_expect_eq(device_end(d), DEV_UNTOUCHED, "the device's flash changed");
}

Test(espota_live, device_error_reaches_the_user)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/big.bin", dir);
    FILE *f = fopen(file, "wb");
    uint8_t z[4096] = {0xE9};
    for (int i = 0; i < 600; i++) /* 2.4 MB: more than the 4m2m sketch space */
        fwrite(z, 1, sizeof(z), f);
    fclose(f);
    unsigned port;
    pid_t d = start_device(NULL, U_FLASH, &port);
    char out[4096];
    cr_expect_eq(upload(port, "", out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "the device refused the update: ERROR[4]: Not Enough Space"), "%s", out);
    cr_expect_eq(device_end(d), DEV_UNTOUCHED);
}

Test(espota_live, silent_device_is_reported_in_time)
{
    image();
    int udp = socket(AF_INET, SOCK_DGRAM, 0); /* bound, never answers */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(udp, (struct sockaddr *)&a, sizeof(a));
    socklen_t al = sizeof(a);
    getsockname(udp, (struct sockaddr *)&a, &al);
    char out[4096];
    time_t t0 = time(NULL);
    int rc = upload(ntohs(a.sin_port), "-t 1 --retries 1", out, sizeof(out));
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "No Answer"), "%s", out);
    cr_expect(strstr(out, "retrying (2 of 2)"), "%s", out);
    cr_expect_leq(time(NULL) - t0, 5, "took too long");
    close(udp);
}

Test(espota_live, filesystem_upload)
{
    uint8_t *fs = uu_pattern(30000, 3);
    write_image(fs, 30000);
    free(fs);
    unsigned port;
    pid_t d = start_device(NULL, U_FS, &port);
    char out[4096];
    cr_expect_eq(upload(port, "-s", out, sizeof(out)), 0, "%s", out);
    cr_expect_eq(device_end(d), DEV_UPDATED);
}

Test(espota_live, misuse_prints_usage)
{
    const char *bin = getenv("OTASIM");
    char cmd[600];
    const char *bad[] = {"upload",
                         "upload -i 127.0.0.1",
                         "upload -f x",
                         "upload -i nothost -f x",
                         "upload -i 127.0.0.1 -f x -p 0",
                         "upload -i 127.0.0.1 -f x --bogus"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        snprintf(cmd, sizeof(cmd), "%s %s 2>&1 | grep -q usage", bin, bad[i]);
        cr_expect_eq(system(cmd), 0, "no usage for: %s", bad[i]);
        snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>&1", bin, bad[i]);
        int st = system(cmd);
        cr_expect_eq(WEXITSTATUS(st), 2, "exit for: %s", bad[i]);
    }
}
