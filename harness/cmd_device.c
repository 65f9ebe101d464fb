/* otasim device: a long-running networked native device a person (or a test) updates by hand
 * over the simulated network (native_device.h: hdev_net_t). Its flash lives in FILE across
 * runs: a new FILE gets the bootloader and app v1; a restart of the command boots FILE through
 * the bootloader like a power-on. Stops cleanly on SIGINT/SIGTERM (the running boot ends at
 * its next loop turn, the flash is saved). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "himages.h"
#include "host_mdns.h"
#include "mdns.h"
#include "native_device.h"
#include "netsim.h"
#include "sock_io.h"
#include "tls_bearssl.h"
#include "valve_app.h"

static const char usage[] =
    "usage: otasim device --app NAME --layout LAYOUT --flash FILE [options]\n"
    "\n"
    "Runs a simulated ESP8266 on the native target with lwIP + libslirp networking until\n"
    "Ctrl-C. Host ports on 127.0.0.1 are forwarded to the device's web update server (/update)\n"
    "and espota responder; its console is printed as it runs. FILE holds its flash across runs\n"
    "(created with the bootloader and APP v1 when missing, saved on exit).\n"
    "\n"
    "  --app NAME        the app (basic, or valve: the garden valve, firmware/apps/valve)\n"
    "  --layout LAYOUT   flash layout (e.g. 4m2m)\n"
    "  --flash FILE      the device's flash image\n"
    "  --boot MODE       bootloader of a new FILE: safe (default) or eboot\n"
    "  --version N       app version of a new FILE (default 1)\n"
    "  --password P      web update (user admin) and espota password (default: none)\n"
    "  --ports web=W,ota=O,mdns=M  host TCP port of the web server, UDP ports of espota\n"
    "                    and of the mDNS responder (default web=8080,ota=8266, mdns off;\n"
    "                    0: a free port; -: off)\n"
    "  --mac XX:XX:XX:XX:XX:XX  the device's MAC (several devices: one each)\n"
    "  --update-url URL  the HTTP update client asks URL at every boot (the host is\n"
    "                    10.0.2.2: e.g. http://10.0.2.2:8266/update for otasim serve)\n"
    "  --ca FILE         https: trust the CA certificate(s) in PEM FILE (chain, dates and\n"
    "                    the URL's host are checked; setTrustAnchors)\n"
    "  --pin FILE        https: trust only this public key (PEM PUBLIC KEY, RSA, or a\n"
    "                    certificate's key; setKnownKey: no chain, date or name check)\n"
    "  --fingerprint HEX https: trust only the certificate with this SHA-1 (or SHA-256)\n"
    "                    hash, AB:CD:... (setFingerprint: no chain, date or name check)\n"
    "  --tls-buffers RX,TX  TLS record buffer bytes (default 16709,16469; smaller RX asks\n"
    "                    the server for MFLN: at least 837,597)\n"
    "  --seed S          flash model and random seed (default 1)\n"
    "  --fault SPEC      a bad link: loss=P%,latency=MS,bw=BYTES/s (k/M),drop=K (reset after\n"
    "                    K bytes to the device),stall=K (silence after K),seed=S\n"
    "  --images DIR      where the bootloader/app images come from (default: the build's)\n"
    "  --mdns            also announce the device on the host through Avahi (avahi-publish):\n"
    "                    _arduino._tcp at the espota port, for the Arduino IDE's port list;\n"
    "                    without an Avahi daemon a message, and the device runs anyway\n";

static int stop_pipe[2] = {-1, -1};
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
    int e = errno;
    if (write(stop_pipe[1], "x", 1) < 0) {
    } /* already full: stop is pending anyway */
    errno = e;
}

/* "W", "0" (a free port: bound once here, then released) or "-" (off). */
static bool parse_port(const char *s, bool udp, uint16_t *out)
{
    if (!strcmp(s, "-")) {
        *out = 0;
        return true;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 65535)
        return false;
    if (v == 0 && (v = sock_free_port(udp)) == 0)
        return false;
    *out = (uint16_t)v;
    return true;
}

static bool parse_ports(char *s, hdev_net_t *n)
{
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (!strncmp(tok, "web=", 4)) {
            if (!parse_port(tok + 4, false, &n->web_port))
                return false;
        } else if (!strncmp(tok, "ota=", 4)) {
            if (!parse_port(tok + 4, true, &n->ota_port))
                return false;
        } else if (!strncmp(tok, "mdns=", 5)) {
            if (!parse_port(tok + 5, true, &n->mdns_port))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* A new flash: erased, then the bootloader + app pair at 0. */
static int make_flash(hdev_t *d, const char *images, const char *app, uint32_t version, bool safe,
                      uint32_t size)
{
    himages_t im;
    himages_init(&im, images);
    scn_image_ref_t ref = {.version = version};
    snprintf(ref.name, sizeof(ref.name), "%s", app);
    hbuf_t pair;
    char err[256];
    int rc =
        himages_pair(&im, safe ? SCN_BL_SAFE : SCN_BL_EBOOT, &ref, size, &pair, err, sizeof(err));
    himages_free(&im);
    if (rc) {
        fprintf(stderr, "otasim device: %s\n", err);
        return 1;
    }
    uint8_t ff[4096];
    memset(ff, 0xFF, sizeof(ff));
    for (uint32_t a = 0; a < size; a += sizeof(ff))
        flashsim_poke(hdev_flash(d), a, ff, sizeof(ff));
    flashsim_poke(hdev_flash(d), 0, pair.data, (uint32_t)pair.len);
    hbuf_free(&pair);
    return 0;
}

int cmd_device(int argc, char **argv)
{
    static const struct option opts[] = {{"app", required_argument, 0, 'a'},
                                         {"layout", required_argument, 0, 'l'},
                                         {"flash", required_argument, 0, 'f'},
                                         {"boot", required_argument, 0, 'b'},
                                         {"version", required_argument, 0, 'v'},
                                         {"password", required_argument, 0, 'p'},
                                         {"ports", required_argument, 0, 'P'},
                                         {"mac", required_argument, 0, 'm'},
                                         {"seed", required_argument, 0, 's'},
                                         {"images", required_argument, 0, 'i'},
                                         {"fault", required_argument, 0, 'F'},
                                         {"update-url", required_argument, 0, 'U'},
                                         {"ca", required_argument, 0, 'C'},
                                         {"pin", required_argument, 0, 'K'},
                                         {"fingerprint", required_argument, 0, 'G'},
                                         {"tls-buffers", required_argument, 0, 'T'},
                                         {"mdns", no_argument, 0, 'M'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static netfault_cfg_t faults;
    const char *app = NULL, *layout = NULL, *file = NULL, *images = NULL;
    bool safe = true, announce = false;
    unsigned long version = 1;
    unsigned long long seed = 1;
    hdev_net_t net = {.web_port = 8080, .ota_port = 8266, .stop_fd = -1, .console_fd = 1};
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a':
            app = optarg;
            break;
        case 'l':
            layout = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'b':
            if (strcmp(optarg, "safe") && strcmp(optarg, "eboot")) {
                fprintf(stderr, "otasim device: --boot is safe or eboot, not '%s'\n", optarg);
                return 2;
            }
            safe = !strcmp(optarg, "safe");
            break;
        case 'v':
            version = strtoul(optarg, NULL, 10);
            break;
        case 'p':
            net.password = optarg;
            break;
        case 'P':
            if (!parse_ports(optarg, &net)) {
                fprintf(stderr,
                        "otasim device: bad --ports '%s' (web=W,ota=O,mdns=M; 0 free, - off)\n",
                        optarg);
                return 2;
            }
            break;
        case 'm':
            if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &net.mac[0], &net.mac[1],
                       &net.mac[2], &net.mac[3], &net.mac[4], &net.mac[5]) != 6) {
                fprintf(stderr, "otasim device: bad --mac '%s'\n", optarg);
                return 2;
            }
            break;
        case 's':
            seed = strtoull(optarg, NULL, 0);
            break;
        case 'i':
            images = optarg;
            break;
        case 'U':
            net.update_url = optarg;
            break;
        case 'C':
            net.update_ca = optarg;
            break;
        case 'K':
            net.update_pin = optarg;
            break;
        case 'G':
            net.update_fingerprint = optarg;
            break;
        case 'T': {
            unsigned rx, tx;
            char end;
            if (sscanf(optarg, "%u,%u%c", &rx, &tx, &end) != 2 || rx < TLS_RX_BUF_MIN ||
                tx < TLS_TX_BUF_MIN || rx > (1u << 20) || tx > (1u << 20)) {
                fprintf(stderr,
                        "otasim device: bad --tls-buffers '%s' (RX,TX bytes, at least %u,%u)\n",
                        optarg, TLS_RX_BUF_MIN, TLS_TX_BUF_MIN);
                return 2;
            }
            net.tls_rx_buf = rx;
            net.tls_tx_buf = tx;
            break;
        }
        case 'M':
            announce = true;
            break;
        case 'F': {
            char err[200];
            if (!netfault_parse(optarg, &faults, err, sizeof(err))) {
                fprintf(stderr, "otasim device: --fault: %s\n", err);
                return 2;
            }
            net.faults = &faults;
            break;
        }
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (!app || !layout || !file || optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    if (!!net.update_ca + !!net.update_pin + !!net.update_fingerprint > 1) {
        fprintf(stderr, "otasim device: --ca, --pin and --fingerprint exclude each other\n");
        return 2;
    }
    if (net.update_fingerprint) {
        char err[200];
        tls_trust_t *t = tls_trust_from_fingerprint(net.update_fingerprint, err, sizeof(err));
        if (!t) {
            fprintf(stderr, "otasim device: --fingerprint: %s\n", err);
            return 2;
        }
        tls_trust_free(t);
    }
    if (net.update_ca || net.update_pin) {
        char err[300];
        tls_trust_t *t = tls_trust_from_file(net.update_pin ? net.update_pin : net.update_ca,
                                             net.update_pin != NULL, err, sizeof(err));
        if (!t) {
            fprintf(stderr, "otasim device: --%s: %s\n", net.update_pin ? "pin" : "ca", err);
            return 2;
        }
        tls_trust_free(t);
    }
    if (net.update_url && !strncasecmp(net.update_url, "https://", 8) && !net.update_ca &&
        !net.update_pin && !net.update_fingerprint) {
        fprintf(stderr, "otasim device: an https --update-url needs --ca FILE, --pin FILE or "
                        "--fingerprint HEX\n");
        return 2;
    }
    if (strcmp(app, "basic") != 0 && valve_variant_by_name(app) < 0) {
        fprintf(stderr, "otasim device: unknown app '%s' (networked apps: basic, valve)\n", app);
        return 2;
    }
    hdev_config_t cfg = {.seed = seed, .net = &net, .max_boots = 1u << 30}; /* updates reboot */
    if (!layout_by_name(layout, 0, &cfg.layout) && !layout_by_name(layout, 4u << 20, &cfg.layout)) {
        fprintf(stderr, "otasim device: unknown layout '%s'\n", layout);
        return 2;
    }
    if (pipe(stop_pipe) != 0) {
        perror("otasim device: pipe");
        return 1;
    }
    net.stop_fd = stop_pipe[0];
    hdev_t *d = hdev_new(&cfg);
    if (!d) {
        fprintf(stderr, "otasim device: cannot create the device\n");
        return 1;
    }
    struct stat st;
    if (stat(file, &st) == 0) {
        if ((uint64_t)st.st_size != cfg.layout.flash_size) {
            fprintf(stderr, "otasim device: %s is %lld bytes, the %s flash is %u\n", file,
                    (long long)st.st_size, layout, (unsigned)cfg.layout.flash_size);
            hdev_free(d);
            return 1;
        }
        if (flashsim_image_load(hdev_flash(d), file, 0) != FLASHSIM_OK) {
            fprintf(stderr, "otasim device: cannot read %s\n", file);
            hdev_free(d);
            return 1;
        }
    } else if (make_flash(d, images, app, (uint32_t)version, safe, cfg.layout.flash_size) ||
               flashsim_image_save(hdev_flash(d), file, 0, 0) != FLASHSIM_OK) {
        fprintf(stderr, "otasim device: cannot create %s\n", file);
        hdev_free(d);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("otasim device: %s, layout %s, flash %s\n", app, layout, file);
    if (net.web_port)
        printf("  web:    http://127.0.0.1:%u/update%s\n", (unsigned)net.web_port,
               net.password ? " (user admin)" : "");
    if (net.ota_port)
        printf("  espota: otasim upload -i 127.0.0.1 -I 127.0.0.1 -p %u%s%s -f APP.bin\n",
               (unsigned)net.ota_port, net.password ? " -a " : "",
               net.password ? net.password : "");
    pid_t avahi = 0;
    if (announce && !net.ota_port) {
        printf("  mDNS on the host: nothing to announce (espota is off)\n");
    } else if (announce) {
        /* The name the device's own responder uses (ArduinoOTA's default hostname). */
        char host[17], why[300];
        mdns_arduino_hostname(flashsim_jedec_id(hdev_flash(d)), host);
        avahi = host_mdns_start(host, net.ota_port, net.password && net.password[0], 3000, why,
                                sizeof(why));
        if (avahi)
            printf("  mDNS on the host: %s, _arduino._tcp port %u (Avahi)\n", host,
                   (unsigned)net.ota_port);
        else
            printf("  mDNS on the host: not announced: %s; the device runs without it\n", why);
    }
    printf("  Ctrl-C stops it (the flash is saved to %s)\n", file);
    fflush(stdout);
    int rc = 0;
    while (!stopping) {
        hdev_result_t r;
        hdev_run(d, NULL, NULL, &r);
        if (flashsim_image_save(hdev_flash(d), file, 0, 0) != FLASHSIM_OK) {
            fprintf(stderr, "otasim device: cannot save %s\n", file);
            rc = 1;
        }
        if (!stopping) {
            fprintf(stderr, "otasim device: the device stopped by itself: %s%s%s\n",
                    hdev_end_name(r.end), r.hang_kind ? " " : "", r.hang_kind ? r.hang_kind : "");
            rc = 1;
            hdev_result_free(&r);
            break;
        }
        hdev_result_free(&r);
    }
    host_mdns_stop(avahi);
    if (rc == 0)
        printf("otasim device: stopped, flash saved to %s\n", file);
    hdev_free(d);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    return rc;
}
