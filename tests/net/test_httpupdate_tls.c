/* The HTTPS update client on the native device's network: the firmware's httpupdate over
 * BearSSL over lwIP -> slirp (10.0.2.2) -> `otasim serve --tls` (libmicrohttpd + GnuTLS).
 * Certificates are made per run by make_tls_certs.sh (TLS_CERTS names it). A good
 * certificate updates to v2; a wrong CA, a forged issuer, a wrong host name, an expired
 * certificate and a wrong pinned key each end in HTTPC_ERROR_CONNECTION_FAILED with
 * BearSSL's reason and not one flash program or erase. OTASIM names the binary. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "httpupdate_lwip.h"
#include "netsim.h"
#include "updater_util.h"

#define SERVE_FIXTURE_DIR "/tmp/otasim-htls-XXXXXX"
#include "serve_fixture.h"

static void tls_setup(void)
{
    setup();
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "sh %s %s/certs", getenv("TLS_CERTS"), dir);
    cr_assert_eq(system(cmd), 0, "make_tls_certs.sh failed");
}

TestSuite(httpupdate_tls, .init = tls_setup, .fini = teardown, .timeout = 60);

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)(t.tv_sec * 1000u + t.tv_nsec / 1000000u);
}

static char paths[4][300];
static const char *cert_path(int slot, const char *name)
{
    snprintf(paths[slot], sizeof(paths[slot]), "%s/certs/%s", dir, name);
    return paths[slot];
}

/* otasim serve --tls with certs/<cert> and the server key. */
static void serve_with(const char *cert)
{
    serve_tls_cert = cert_path(0, cert);
    serve_tls_key = cert_path(1, "good.key");
    start_server(NULL);
}

static tls_trust_t *trust(const char *file, bool pin)
{
    char err[300];
    tls_trust_t *t = tls_trust_from_file(cert_path(2, file), pin, err, sizeof(err));
    cr_assert_not_null(t, "%s", err);
    return t;
}

static httpupdate_t s;
static char errstr[300];
static uint64_t flash_changes; /* programs + erases during the session */

static void run_session(const tls_client_config_t *tc, const char *scheme)
{
    char url[80];
    snprintf(url, sizeof(url), "%s://10.0.2.2:%u/update", scheme, port);
    cr_assert(httpupdate_begin(&s, &cfg, url));
    flashsim_stats_t before = flashsim_stats(dev->fs);
    netsim_t *n = netsim_new(cfg.id.sta_mac);
    cr_assert_not_null(n);
    httpupdate_lwip_t *h = httpupdate_lwip_start_tls(&s, now_ms(), 3000, tc);
    cr_assert_not_null(h);
    uint32_t t0 = now_ms();
    while (!httpupdate_lwip_poll(h, now_ms())) {
        netsim_poll(n, 1);
        cr_assert_lt(now_ms() - t0, 30000u, "the session never ended");
    }
    httpupdate_lwip_free(h);
    for (int i = 0; i < 5; i++)
        netsim_poll(n, 1);
    netsim_free(n);
    flashsim_stats_t after = flashsim_stats(dev->fs);
    flash_changes = (after.programs - before.programs) +
                    (after.sector_erases - before.sector_erases) +
                    (after.block_erases - before.block_erases);
    httpupdate_error_string(&s, errstr, sizeof(errstr));
}

static void expect_updated(void)
{
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK, "error %d (BearSSL %d): %s",
                 httpupdate_last_error(&s), httpupdate_tls_error(&s), errstr);
    cr_assert(httpupdate_should_reboot(&s));
    cr_assert_gt(flash_changes, 0u);
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)img_len), 0,
                       (uint32_t)img_len);
}

static void expect_refused(int br_err)
{
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_FAILED);
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_CONNECTION_FAILED, "got %d: %s",
                 httpupdate_last_error(&s), errstr);
    cr_assert_eq(httpupdate_tls_error(&s), br_err, "BearSSL error %d (%s), expected %d",
                 httpupdate_tls_error(&s), errstr, br_err);
    cr_assert(strstr(errstr, "HTTP error: connection failed (TLS: "), "%s", errstr);
    cr_assert_eq(flash_changes, 0u, "a refused server must not cause one flash write");
    uu_expect_no_cmd(dev);
}

Test(httpupdate_tls, good_certificate_updates_to_v2)
{
    serve_with("good.pem");
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_updated();
}

Test(httpupdate_tls, wrong_ca_is_refused)
{
    serve_with("good.pem");
    tls_trust_t *t = trust("other-ca.pem", false);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_refused(BR_ERR_X509_NOT_TRUSTED);
}

Test(httpupdate_tls, certificate_signed_by_another_key_is_refused)
{
    serve_with("forged.pem"); /* issuer name of the trusted CA, signature of another key */
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_refused(BR_ERR_X509_NOT_TRUSTED);
}

Test(httpupdate_tls, wrong_host_name_is_refused)
{
    serve_with("name.pem");
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_refused(BR_ERR_X509_BAD_SERVER_NAME);
}

/* The certificate is valid for 2 days: 3 days on, the device's clock says it has expired;
 * the same session on today's clock is the control. */
Test(httpupdate_tls, expired_certificate_is_refused)
{
    serve_with("good.pem");
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t, .unix_time = (int64_t)time(NULL) + 3 * 86400};
    run_session(&tc, "https");
    expect_refused(BR_ERR_X509_EXPIRED);
    tc.unix_time = (int64_t)time(NULL);
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_updated();
}

Test(httpupdate_tls, pinned_key_right_and_wrong)
{
    serve_with("name.pem"); /* a pin ignores names and chains, as setKnownKey() */
    tls_trust_t *wrong = trust("other.pub", true);
    tls_client_config_t tc = {.trust = wrong};
    run_session(&tc, "https");
    tls_trust_free(wrong);
    expect_refused(BR_ERR_BAD_SIGNATURE);
    tls_trust_t *right = trust("good.pub", true);
    tc.trust = right;
    run_session(&tc, "https");
    tls_trust_free(right);
    expect_updated();
}

Test(httpupdate_tls, pin_from_a_certificate_file)
{
    serve_with("good.pem");
    tls_trust_t *t = trust("otherca.pem", true); /* the same key, another chain */
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_updated();
}

/* openssl's fingerprint of certs/<name> ("AB:CD:..."), `alg` sha1 or sha256. */
static void fingerprint(const char *name, const char *alg, char *out, size_t cap)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -%s -in %s", alg,
             cert_path(3, name));
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[200] = "";
    cr_assert_not_null(fgets(line, sizeof(line), p));
    pclose(p);
    char *eq = strchr(line, '=');
    cr_assert_not_null(eq, "%s", line);
    snprintf(out, cap, "%s", eq + 1);
    out[strcspn(out, "\r\n")] = '\0';
}

/* setFingerprint(): SHA-1 (the core's) and SHA-256 of the served certificate update, even
 * for a certificate of another name (no name check, as in the core); one flipped byte, or
 * the fingerprint of another certificate, is refused. */
Test(httpupdate_tls, fingerprint_right_and_wrong)
{
    serve_with("name.pem");
    char fp[120], err[200];
    fingerprint("name.pem", "sha1", fp, sizeof(fp));
    tls_trust_t *t = tls_trust_from_fingerprint(fp, err, sizeof(err));
    cr_assert_not_null(t, "%s: %s", fp, err);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_updated();

    tdev_free(dev); /* a fresh device for the refusals */
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    cfg.updater = &dev->up;
    cfg.layout = &dev->layout;
    fingerprint("name.pem", "sha256", fp, sizeof(fp));
    fp[0] = fp[0] == 'A' ? 'B' : 'A';
    t = tls_trust_from_fingerprint(fp, err, sizeof(err));
    cr_assert_not_null(t, "%s: %s", fp, err);
    tc.trust = t;
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_refused(BR_ERR_X509_NOT_TRUSTED);
    fingerprint("good.pem", "sha256", fp, sizeof(fp)); /* same key, another certificate */
    t = tls_trust_from_fingerprint(fp, err, sizeof(err));
    tc.trust = t;
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_refused(BR_ERR_X509_NOT_TRUSTED);
    cr_assert_null(tls_trust_from_fingerprint("AB:CD", err, sizeof(err)));
    cr_assert(strstr(err, "20 (SHA-1) or 32 (SHA-256)"), "%s", err);
    cr_assert_null(tls_trust_from_fingerprint("zz", err, sizeof(err)));
}

/* A small engine: a 837-byte receive buffer makes BearSSL ask for 512-byte records (MFLN).
 * otasim serve (libmicrohttpd + GnuTLS) sends larger records anyway: the handshake succeeds,
 * the first full record is too large — a clear error, the Updater reset, nothing committed.
 * The control is the core's kind of split: the full receive buffer and a 597-byte send
 * buffer (17.3 KB instead of 33 KB), which updates. */
Test(httpupdate_tls, small_buffers_against_a_server_without_mfln)
{
    serve_with("good.pem");
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t, .rx_buf = TLS_RX_BUF_MIN, .tx_buf = TLS_TX_BUF_MIN};
    run_session(&tc, "https");
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_CONNECTION_LOST, "%s", errstr);
    cr_assert_eq(httpupdate_tls_error(&s), BR_ERR_TOO_LARGE, "%s", errstr);
    cr_assert_not(updater_is_running(&dev->up));
    uu_expect_no_cmd(dev);
    tc.rx_buf = BR_SSL_BUFSIZE_INPUT;
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_updated();
}

Test(httpupdate_tls, https_without_trust_and_http_to_a_tls_server)
{
    serve_with("good.pem");
    run_session(NULL, "https");
    expect_refused(0);
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "http"); /* plain HTTP to the TLS port: not an HTTP server */
    tls_trust_free(t);
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_FAILED);
    cr_assert_eq(flash_changes, 0u);
}

/* https to the plain HTTP server: its answer to the ClientHello is no TLS record. */
Test(httpupdate_tls, https_to_a_plain_http_server)
{
    start_server(NULL);
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    tls_trust_free(t);
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_CONNECTION_FAILED, "%s", errstr);
    cr_assert_neq(httpupdate_tls_error(&s), 0, "%s", errstr);
    cr_assert_eq(flash_changes, 0u);
}

/* A server that accepts the connection and never answers the handshake: the client's
 * timeout ends it as a failed connect (the control: the same port then serves). */
Test(httpupdate_tls, silent_server_times_out_in_the_handshake)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    cr_assert(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) && !listen(fd, 4) &&
              !getsockname(fd, (struct sockaddr *)&a, &l));
    port = ntohs(a.sin_port);
    tls_trust_t *t = trust("ca.pem", false);
    tls_client_config_t tc = {.trust = t};
    run_session(&tc, "https");
    close(fd);
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_CONNECTION_FAILED, "%s", errstr);
    cr_assert(strstr(errstr, "timeout"), "%s", errstr);
    cr_assert_eq(flash_changes, 0u);
    serve_with("good.pem");
    run_session(&tc, "https");
    tls_trust_free(t);
    expect_updated();
}

Test(httpupdate_tls, bad_trust_files_are_clear_errors)
{
    char err[300];
    cr_assert_null(tls_trust_from_file(cert_path(2, "good.key"), false, err, sizeof(err)));
    cr_assert(strstr(err, "no CERTIFICATE block"), "%s", err);
    cr_assert_null(tls_trust_from_file(cert_path(2, "missing.pem"), true, err, sizeof(err)));
    cr_assert(strstr(err, "No such file"), "%s", err);
    static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    cr_assert_null(tls_trust_from_pem(junk, sizeof(junk) - 1, false, err, sizeof(err)));
    cr_assert(strstr(err, "not a valid X.509"), "%s", err);
}

/* Every prefix of a CA file, and the same bytes with one flipped, in both modes: a trust or a
 * message, never a crash (valgrind-clean when run under it). The whole file is the control. */
Test(httpupdate_tls, truncated_and_damaged_pem_never_crash)
{
    FILE *f = fopen(cert_path(2, "ca.pem"), "rb");
    cr_assert_not_null(f);
    static char pem[8192];
    size_t len = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    char err[300];
    size_t accepted = 0;
    /* Cut before the END line, the certificate is incomplete (BearSSL's decoder reads a
     * cut END line as an end, and the DER is complete by then: accepting those is fine). */
    size_t body_end = (size_t)(strstr(pem, "-----END") - pem);
    for (size_t n = 0; n <= len; n += 3) {
        for (int pin = 0; pin < 2; pin++) {
            tls_trust_t *t = tls_trust_from_pem(pem, n, pin, err, sizeof(err));
            accepted += t != NULL && n < body_end;
            cr_assert(t || err[0], "no message for a refused prefix of %zu bytes", n);
            tls_trust_free(t);
        }
        if (n < len) {
            pem[n] ^= 0x20;
            tls_trust_free(tls_trust_from_pem(pem, len, false, err, sizeof(err)));
            pem[n] ^= 0x20;
        }
    }
    tls_trust_t *t = tls_trust_from_pem(pem, len, false, err, sizeof(err));
    cr_assert_not_null(t, "%s", err);
    tls_trust_free(t);
    cr_assert_eq(accepted, 0u, "cut certificates must not make trust (%zu did)", accepted);
}
