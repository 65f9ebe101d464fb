/* The web update server served for real on a networked native device: curl (the binary) on
 * the host posts to 127.0.0.1:PORT, libslirp forwards it to the device's lwIP stack, the
 * firmware's webupdate writes the Updater, answers the success page and restarts; the device
 * reboots through the bootloader (eboot copies) into v2. A wrong password is 401 with not one
 * flash operation; a POST without a file part is 400 and no reboot. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "himages.h"
#include "native_device.h"
#include "peer_proc.h"

static char dir[] = "/tmp/otasim-web-XXXXXX";
static char v2_path[300];
static hdev_t *dev;
static hdev_net_t net;
static int stop_pipe[2], con_pipe[2];

static unsigned free_tcp_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof(a));
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

static void pair_of(himages_t *im, uint32_t version, hbuf_t *out)
{
    scn_image_ref_t ref = {.version = version};
    snprintf(ref.name, sizeof(ref.name), "basic");
    char err[200];
    cr_assert_eq(himages_pair(im, SCN_BL_EBOOT, &ref, 4u << 20, out, err, sizeof(err)), 0, "%s",
                 err);
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    himages_t im;
    himages_init(&im, NULL);
    hbuf_t v1, v2;
    pair_of(&im, 1, &v1);
    pair_of(&im, 2, &v2);
    snprintf(v2_path, sizeof(v2_path), "%s/basic-v2.bin", dir);
    FILE *f = fopen(v2_path, "wb");
    cr_assert_eq(fwrite(v2.data, 1, v2.len, f), v2.len);
    fclose(f);
    cr_assert_eq(pipe(stop_pipe), 0);
    cr_assert_eq(pipe(con_pipe), 0);
    net = (hdev_net_t){.web_port = (uint16_t)free_tcp_port(),
                       .password = "garden",
                       .stop_fd = stop_pipe[0],
                       .console_fd = con_pipe[1]};
    hdev_config_t c = {.seed = 5, .net = &net};
    cr_assert(layout_by_name("4m2m", 4u << 20, &c.layout));
    dev = hdev_new(&c);
    cr_assert_not_null(dev);
    uint8_t ff[4096];
    memset(ff, 0xFF, sizeof(ff));
    for (uint32_t a = 0; a < c.layout.flash_size; a += sizeof(ff))
        flashsim_poke(hdev_flash(dev), a, ff, sizeof(ff));
    flashsim_poke(hdev_flash(dev), 0, v1.data, (uint32_t)v1.len);
    hbuf_free(&v1);
    hbuf_free(&v2);
    himages_free(&im);
}

static void teardown(void)
{
    hdev_free(dev);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    close(con_pipe[0]);
    close(con_pipe[1]);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(webupdate_net, .init = setup, .fini = teardown, .timeout = 60);

/* The driver: a process of its own (harness/peer_proc.h — not a thread, since the device's
 * boots are forks of this process); it sends this struct back when done. */
typedef struct drive {
    const char *curl_args; /* after the URL's options */
    char console[8192];
    size_t con_len;
    int http_code;
    char body[2048];
    bool saw_v2;
} drive_t;

/* Reads the live console until it has seen `text` `times` times (false after 20 s). */
static bool wait_console(drive_t *d, const char *text, int times)
{
    for (int waited = 0; waited < 20000;) {
        int seen = 0;
        for (const char *p = d->console; (p = strstr(p, text)); p++)
            seen++;
        if (seen >= times)
            return true;
        struct pollfd p = {.fd = con_pipe[0], .events = POLLIN};
        if (poll(&p, 1, 100) > 0 && d->con_len < sizeof(d->console) - 1) {
            ssize_t k =
                read(con_pipe[0], d->console + d->con_len, sizeof(d->console) - 1 - d->con_len);
            if (k > 0)
                d->con_len += (size_t)k;
            d->console[d->con_len] = 0;
        } else {
            waited += 100;
        }
    }
    return false;
}

static void curl(drive_t *d)
{
    char cmd[1200], out[400];
    snprintf(out, sizeof(out), "%s/response", dir);
    snprintf(cmd, sizeof(cmd),
             "curl -s -S --max-time 20 -o %s -w '%%{http_code}' %s http://127.0.0.1:%u/update", out,
             d->curl_args, (unsigned)net.web_port);
    FILE *p = popen(cmd, "r");
    if (!p || fscanf(p, "%d", &d->http_code) != 1)
        d->http_code = -1;
    if (p)
        pclose(p);
    FILE *f = fopen(out, "r");
    size_t n = f ? fread(d->body, 1, sizeof(d->body) - 1, f) : 0;
    d->body[n] = 0;
    if (f)
        fclose(f);
}

static void driver(void *arg, int wr)
{
    drive_t *d = arg;
    if (wait_console(d, "net: web update server", 1)) {
        curl(d);
        /* A reboot shows as the second boot's server line; wait briefly for it either way. */
        if (d->http_code == 200 && strstr(d->body, "Update Success"))
            d->saw_v2 = wait_console(d, "basic@2: running", 1) &&
                        wait_console(d, "net: web update server", 2);
        else
            usleep(300000);
    }
    if (write(stop_pipe[1], "x", 1) != 1)
        abort();
    peer_proc_send(wr, d, sizeof(*d));
}

static hdev_result_t run(drive_t *d)
{
    peer_proc_t pp;
    const int theirs[] = {con_pipe[1], stop_pipe[0]};
    cr_assert(peer_proc_start(&pp, driver, d, theirs, 2));
    hdev_result_t r;
    hdev_run(dev, NULL, NULL, &r);
    cr_assert(peer_proc_recv(&pp, d, sizeof(*d), 60000), "the driver sent no result");
    cr_assert_eq(peer_proc_end(&pp, 5000), 0);
    return r;
}

Test(webupdate_net, curl_upload_reboots_into_v2)
{
    char args[600];
    snprintf(args, sizeof(args), "-u admin:garden -F firmware=@%s", v2_path);
    drive_t d = {.curl_args = args};
    uint32_t ops = flashsim_op_count(hdev_flash(dev));
    hdev_result_t r = run(&d);
    cr_expect_eq(d.http_code, 200, "%s", d.body);
    cr_expect(strstr(d.body, "Update Success! Rebooting..."), "%s", d.body);
    cr_expect(d.saw_v2, "no reboot into v2 seen: %s", d.console);
    cr_expect_eq(r.end, HDEV_END_IDLE, "%s", hdev_end_name(r.end));
    cr_expect_eq(r.boots, 2);
    cr_expect_str_eq(r.app_name, "basic");
    cr_expect_eq(r.app_version, 2, "%s", r.console);
    cr_expect_gt(flashsim_op_count(hdev_flash(dev)), ops, "the update wrote flash");
    hdev_result_free(&r);
}

Test(webupdate_net, wrong_password_is_401_and_no_flash_write)
{
    char args[600];
    snprintf(args, sizeof(args), "-u admin:weeds -F firmware=@%s", v2_path);
    drive_t d = {.curl_args = args};
    uint32_t ops = flashsim_op_count(hdev_flash(dev));
    hdev_result_t r = run(&d);
    cr_expect_eq(d.http_code, 401, "%s", d.body);
    cr_expect_eq(flashsim_op_count(hdev_flash(dev)), ops, "flash was touched");
    cr_expect_eq(r.boots, 1);
    cr_expect_eq(r.app_version, 1);
    hdev_result_free(&r);
}

Test(webupdate_net, no_file_part_is_400_and_no_reboot)
{
    drive_t d = {.curl_args = "-u admin:garden -F note=hello"};
    hdev_result_t r = run(&d);
    cr_expect_eq(d.http_code, 400, "%s", d.body);
    cr_expect(strstr(d.body, "no file part"), "%s", d.body);
    cr_expect_eq(r.boots, 1, "the device rebooted");
    cr_expect_eq(r.app_version, 1);
    hdev_result_free(&r);
}

Test(webupdate_net, form_page_with_auth)
{
    drive_t d = {.curl_args = "-u admin:garden"};
    hdev_result_t r = run(&d);
    cr_expect_eq(d.http_code, 200);
    cr_expect(strstr(d.body, "name=\"firmware\"") && strstr(d.body, "name=\"filesystem\""), "%s",
              d.body);
    cr_expect_eq(r.boots, 1);
    hdev_result_free(&r);
}
