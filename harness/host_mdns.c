/* Host-side Avahi announcement through avahi-publish (host_mdns.h). */
#include "host_mdns.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* avahi-publish says "Established under name ..." on stdout once the daemon accepted the
 * service, or an error ("Failed to create client object: Daemon not running") and exits. */
pid_t host_mdns_start(const char *name, uint16_t port, bool auth, unsigned wait_ms, char *why,
                      size_t whylen)
{
    const char *prog = getenv("AVAHI_PUBLISH");
    if (!prog || !*prog)
        prog = "avahi-publish";
    int out[2];
    if (pipe(out) != 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return 0;
    }
    char portstr[8], authtxt[32];
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
    snprintf(authtxt, sizeof(authtxt), "auth_upload=%s", auth ? "yes" : "no");
    fflush(NULL);
    pid_t c = fork();
    if (c < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return 0;
    }
    if (c == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(out[0]);
        close(out[1]);
        execlp(prog, prog, "-s", name, "_arduino._tcp", portstr, "board=\"generic\"",
               "tcp_check=no", "ssh_upload=no", authtxt, (char *)NULL);
        dprintf(1, "cannot run %s: %s (Debian package avahi-utils)\n", prog, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    char text[512] = "";
    size_t tl = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool up = false, ended = false;
    while (!up && !ended) {
        long left = (long)wait_ms - ms_since(&t0);
        if (left <= 0)
            break;
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t k = read(out[0], text + tl, sizeof(text) - 1 - tl);
        if (k <= 0) {
            ended = true; /* the child closed its output: it is exiting */
            break;
        }
        tl += (size_t)k;
        text[tl] = 0;
        up = strstr(text, "Established under name") != NULL;
        if (tl == sizeof(text) - 1)
            tl = 0;
    }
    close(out[0]); /* later output of the child: SIGPIPE would end it, so it has none */
    if (up)
        return c;
    kill(c, SIGTERM);
    waitpid(c, NULL, 0);
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = 0;
    if (strstr(text, "Daemon not running") || strstr(text, "daemon not running"))
        snprintf(why, whylen, "no Avahi daemon is running (%s)", text);
    else if (!text[0])
        snprintf(why, whylen, "%s gave no answer within %u ms", prog, wait_ms);
    else
        snprintf(why, whylen, "%s", text);
    return 0;
}

void host_mdns_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}
