/* End to end: the device's HTTP update client (firmware/ota/httpupdate) on a simulated device,
 * over a real TCP connection (BSD sockets on loopback: the lwIP path is the network issue's),
 * against `otasim serve` started here with a device database — each decision of spec §5.6 and
 * each server-side fault, and the result the device ends with. OTASIM names the binary. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "httpupdate.h"
#include "updater_util.h"

static tdev_t *dev;
static httpupdate_config_t cfg;
static char dir[] = "/tmp/otasim-serve-XXXXXX";
static uint8_t *img;
static size_t img_len;
static pid_t server = -1;
static unsigned port;

static void write_file(const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Starts otasim serve with `fault` (NULL: none) and waits for its port. */
static void start_server(const char *fault)
{
    const char *bin = getenv("OTASIM");
    cr_assert_not_null(bin, "OTASIM must name the otasim binary");
    char db[256], portf[256], logf[256];
    snprintf(db, sizeof(db), "%s/devices.json", dir);
    snprintf(portf, sizeof(portf), "%s/port", dir);
    snprintf(logf, sizeof(logf), "%s/access.log", dir);
    unlink(portf);
    server = fork();
    cr_assert_neq(server, -1);
    if (server == 0) {
        const char *argv[16] = {bin,      "serve", "--db",        db,    "--root", dir,
                                "--port", "0",     "--port-file", portf, "--log",  logf};
        int n = 12;
        if (fault) {
            argv[n++] = "--fault";
            argv[n++] = fault;
        }
        argv[n] = NULL;
        freopen("/dev/null", "w", stdout);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(portf, "r");
        if (f && fscanf(f, "%u", &port) == 1) {
            fclose(f);
            return;
        }
        if (f)
            fclose(f);
        usleep(10000);
    }
    cr_assert_fail("otasim serve did not start");
}

static void stop_server(void)
{
    if (server > 0) {
        kill(server, SIGTERM);
        int st;
        waitpid(server, &st, 0);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "otasim serve exits cleanly on SIGTERM");
        server = -1;
    }
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    cfg = (httpupdate_config_t){.id = {.chip_id = 1234,
                                       .sta_mac = {0x5c, 0xcf, 0x7f, 0x01, 0x02, 0x0a},
                                       .ap_mac = {0x5e, 0xcf, 0x7f, 0x01, 0x02, 0x0a},
                                       .sdk_version = "2.2.2-dev(38a443e)"},
                                .mode = HTTPUPDATE_SKETCH,
                                .current_version = "1",
                                .reboot_on_update = true,
                                .updater = &dev->up,
                                .layout = &dev->layout};
    img = uu_small_pair(2, 0x40, 99, &img_len);
    write_file("app-v2.bin", img, img_len);
    uint8_t *fs = uu_pattern(20000, 3);
    write_file("fs-v2.bin", fs, 20000);
    free(fs);
    const char *db = "{\"5C:CF:7F:01:02:0A\": {\"file\": \"app-v2.bin\", \"version\": \"2\","
                     " \"fs\": {\"file\": \"fs-v2.bin\", \"version\": \"2\"}},"
                     " \"5C:CF:7F:0F:0F:0F\": {\"file\": \"missing.bin\", \"version\": \"2\"}}";
    write_file("devices.json", db, strlen(db));
}

static void teardown(void)
{
    stop_server();
    free(img);
    tdev_free(dev);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(httpupdate_live, .init = setup, .fini = teardown, .timeout = 30);

/* One session: connect, send the request, feed the answer, follow nothing. */
static httpupdate_t s;
static void run_session(void)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/update", port);
    cr_assert(httpupdate_begin(&s, &cfg, url));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    struct timeval tv = {1, 0}; /* the client's read timeout, shortened for the test */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char req[2048];
    size_t n = httpupdate_request(&s, req, sizeof(req));
    cr_assert_eq(send(fd, req, n, 0), (ssize_t)n);
    httpupdate_step_t st = HTTPUPDATE_RUNNING;
    uint8_t buf[4096];
    while (st == HTTPUPDATE_RUNNING) {
        ssize_t k = recv(fd, buf, sizeof(buf), 0);
        if (k > 0)
            st = httpupdate_feed(&s, buf, (size_t)k);
        else
            st = httpupdate_close(&s, k == 0 ? 0 : HTTPC_ERROR_READ_TIMEOUT);
    }
    close(fd);
}

Test(httpupdate_live, newer_version_is_installed)
{
    start_server(NULL);
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK, "error %d", httpupdate_last_error(&s));
    cr_assert(httpupdate_should_reboot(&s));
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)img_len), 0,
                       (uint32_t)img_len);
}

Test(httpupdate_live, same_version_is_304_and_unknown_device_404)
{
    start_server(NULL);
    cfg.current_version = "2";
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_NO_UPDATES);
    cfg.id.sta_mac[3] = 0x0F;
    cfg.id.sta_mac[4] = 0x0F;
    cfg.id.sta_mac[5] = 0x0F; /* its file is missing */
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_FILE_NOT_FOUND);
    cfg.id.sta_mac[5] = 0x01; /* not in the database */
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_FILE_NOT_FOUND);
    uu_expect_no_cmd(dev);
}

Test(httpupdate_live, version_query_and_filesystem)
{
    start_server(NULL);
    cfg.mode = HTTPUPDATE_VERSION;
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK);
    cr_assert_str_eq(httpupdate_version(&s), "2");
    cfg.mode = HTTPUPDATE_FS;
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK, "error %d", httpupdate_last_error(&s));
    uint8_t *want = uu_pattern(20000, 3), back[20000];
    flashsim_read(dev->fs, dev->layout.fs_start, back, sizeof(back));
    cr_assert(!memcmp(back, want, sizeof(back)));
    free(want);
}

Test(httpupdate_live, missing_content_length_2598)
{
    start_server("no-length");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_NOT_REPORT_SIZE);
    uu_expect_no_cmd(dev);
}

Test(httpupdate_live, wrong_x_md5)
{
    start_server("bad-md5");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), 7, "the Updater's MD5 error");
    uu_expect_no_cmd(dev);
}

Test(httpupdate_live, dropped_and_stalled_bodies_leave_the_old_app)
{
    start_server("drop=5000");
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_FAILED);
    cr_assert_not(updater_is_running(&dev->up));
    uu_expect_no_cmd(dev);
    stop_server();
    start_server("stall=5000");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_READ_TIMEOUT, "the device times out");
    cr_assert_not(updater_is_running(&dev->up));
    uu_expect_no_cmd(dev);
}

Test(httpupdate_live, server_errors)
{
    start_server("status=500");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_WRONG_HTTP_CODE);
}
