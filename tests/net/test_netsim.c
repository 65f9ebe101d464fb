/* The native device's network (emu/native/netsim.c): lwIP on a libslirp NAT in one process.
 * Inbound: a host client reaches a device TCP echo server through a forwarded port and gets
 * every byte back; outbound: the device connects to a host server at 10.0.2.2 (the host's
 * 127.0.0.1), as the espota responder's reverse connection does; UDP: a datagram to a forwarded
 * port reaches the device and the device's answer reaches the sender. The host side runs in a
 * forked child; the parent turns the event loop. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "netsim.h"

#define LEN (1u << 20)

static unsigned free_port(int type)
{
    int s = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof(a));
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 131u + (i >> 9));
}

/* ---- device side: raw-API echo server ---- */

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    if (!p) {
        tcp_close(pcb);
        return ERR_OK;
    }
    if (tcp_sndbuf(pcb) < p->tot_len)
        return ERR_MEM; /* lwIP keeps the pbuf and offers it again */
    for (struct pbuf *q = p; q; q = q->next)
        tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY);
    tcp_output(pcb);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    (void)err;
    tcp_recv(pcb, echo_recv);
    return ERR_OK;
}

/* Runs the loop until the child exits; returns its exit code (-1: killed after 30 s). */
static int loop_until(netsim_t *n, pid_t child)
{
    time_t t0 = time(NULL);
    for (;;) {
        netsim_poll(n, 2);
        int st;
        if (waitpid(child, &st, WNOHANG) == child)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (time(NULL) - t0 > 30) {
            kill(child, SIGKILL);
            waitpid(child, &st, 0);
            return -1;
        }
    }
}

Test(netsim, inbound_tcp_echo_of_1_mib)
{
    netsim_t *n = netsim_new(NULL);
    cr_assert_not_null(n);
    struct tcp_pcb *l = tcp_new();
    cr_assert_eq(tcp_bind(l, IP_ADDR_ANY, 7), ERR_OK);
    l = tcp_listen(l);
    tcp_accept(l, echo_accept);
    unsigned port = free_port(SOCK_STREAM);
    cr_assert(netsim_forward(n, false, (uint16_t)port, 7));
    fflush(NULL);
    pid_t c = fork();
    if (c == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
            _exit(10);
        static uint8_t buf[LEN], back[LEN];
        for (size_t i = 0; i < LEN; i++)
            buf[i] = pattern(i);
        size_t sent = 0, got = 0;
        while (got < LEN) {
            if (sent < LEN) {
                ssize_t w = send(s, buf + sent, LEN - sent < 65536 ? LEN - sent : 65536,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w > 0)
                    sent += (size_t)w;
            }
            ssize_t r = recv(s, back + got, LEN - got, MSG_DONTWAIT);
            if (r == 0)
                _exit(11);
            if (r > 0)
                got += (size_t)r;
            if (r < 0 && sent == LEN)
                usleep(100);
        }
        _exit(memcmp(buf, back, LEN) ? 12 : 0);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = loop_until(n, c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_log_info("1 MiB echoed in %.3f s (%.2f MB/s each way)", s, LEN / s / 1e6);
    cr_expect_eq(rc, 0, "host client ended with %d (10 connect, 11 closed, 12 bytes differ)", rc);
    tcp_close(l);
    netsim_free(n);
}

/* ---- outbound: the device connects to a host server ---- */

static bool out_connected;
static size_t out_received;

static err_t out_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    if (!p)
        return ERR_OK;
    out_received += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t out_conn(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    out_connected = err == ERR_OK;
    tcp_recv(pcb, out_recv);
    tcp_write(pcb, "hello host", 10, TCP_WRITE_FLAG_COPY);
    tcp_output(pcb);
    return ERR_OK;
}

Test(netsim, outbound_tcp_to_the_host)
{
    netsim_t *n = netsim_new(NULL);
    cr_assert_not_null(n);
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
    listen(srv, 1);
    socklen_t al = sizeof(a);
    getsockname(srv, (struct sockaddr *)&a, &al);
    fflush(NULL);
    pid_t c = fork();
    if (c == 0) {
        int s = accept(srv, NULL, NULL);
        char buf[16] = {0};
        size_t got = 0;
        while (got < 10) {
            ssize_t r = recv(s, buf + got, 10 - got, 0);
            if (r <= 0)
                _exit(10);
            got += (size_t)r;
        }
        send(s, "welcome", 7, 0);
        usleep(200000);
        _exit(strcmp(buf, "hello host") ? 11 : 0);
    }
    close(srv);
    struct tcp_pcb *pcb = tcp_new();
    ip_addr_t host;
    IP_ADDR4(&host, 10, 0, 2, 2);
    out_connected = false;
    out_received = 0;
    cr_assert_eq(tcp_connect(pcb, &host, ntohs(a.sin_port), out_conn), ERR_OK);
    int rc = loop_until(n, c);
    for (int i = 0; i < 50; i++)
        netsim_poll(n, 2);
    cr_expect_eq(rc, 0, "host server ended with %d", rc);
    cr_expect(out_connected, "the device's connect did not complete");
    cr_expect_eq(out_received, 7, "the host's answer did not arrive");
    tcp_abort(pcb);
    netsim_free(n);
}

/* ---- UDP through a forwarded port ---- */

static void udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                   u16_t port)
{
    (void)arg;
    struct pbuf *r = pbuf_alloc(PBUF_TRANSPORT, 7, PBUF_RAM);
    memcpy(r->payload, "AUTH ok", 7);
    udp_sendto(pcb, r, addr, port);
    pbuf_free(r);
    pbuf_free(p);
}

Test(netsim, udp_invitation_and_answer)
{
    netsim_t *n = netsim_new(NULL);
    cr_assert_not_null(n);
    struct udp_pcb *u = udp_new();
    cr_assert_eq(udp_bind(u, IP_ADDR_ANY, 8266), ERR_OK);
    udp_recv(u, udp_in, NULL);
    unsigned port = free_port(SOCK_DGRAM);
    cr_assert(netsim_forward(n, true, (uint16_t)port, 8266));
    fflush(NULL);
    pid_t c = fork();
    if (c == 0) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        struct timeval tv = {.tv_sec = 5};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        sendto(s, "0 1 2 x\n", 8, 0, (struct sockaddr *)&a, sizeof(a));
        char buf[16] = {0};
        ssize_t r = recv(s, buf, sizeof(buf) - 1, 0);
        _exit(r == 7 && !strcmp(buf, "AUTH ok") ? 0 : 10);
    }
    cr_expect_eq(loop_until(n, c), 0, "no answer to the datagram");
    udp_remove(u);
    netsim_free(n);
}
