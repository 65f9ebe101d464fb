/* End to end: the device's HTTP update client (firmware/ota/httpupdate) on a simulated device,
 * over a real TCP connection (BSD sockets on loopback: the lwIP path is the network issue's),
 * against `otasim serve` started here with a device database — each decision of spec §5.6 and
 * each server-side fault, and the result the device ends with (the cases tests/net's lwIP test
 * runs too are in httpupdate_cases.h). OTASIM names the binary. */
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

#define SERVE_FIXTURE_DIR "/tmp/otasim-serve-XXXXXX"
#include "serve_fixture.h"

TestSuite(httpupdate_live, .init = setup, .fini = teardown, .timeout = 30);

/* The cases both transports share; this file's run_session() below is the transport. */
#define HTTPUPDATE_CASES_SUITE httpupdate_live
#include "httpupdate_cases.h"

/* One session: connect, send the request, feed the answer, follow nothing. */
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

Test(httpupdate_live, server_errors)
{
    start_server("status=500");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_WRONG_HTTP_CODE);
}
