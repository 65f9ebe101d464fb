/* harness/peer_proc: the network peer runs in a process of its own. What matters for the
 * engine (the reason it is not a thread): while the peer runs — threads of its own included —
 * the engine's process keeps the threads it had, so its forks of the device's boots are safe.
 * Also: messages arrive whole, EOF on the pipes the peer was told to close reaches it, and a
 * peer that hangs is bounded by the timeouts. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peer_proc.h"

static int threads_of_this_process(void)
{
    DIR *d = opendir("/proc/self/task");
    cr_assert(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void *idle_thread(void *arg)
{
    (void)arg;
    sleep(2);
    return NULL;
}

/* A peer like the update server's: starts a thread, says so, waits for the engine's word. */
typedef struct {
    int go_rd;
} threaded_arg_t;

static void threaded_peer(void *arg, int wr)
{
    threaded_arg_t *a = arg;
    pthread_t th;
    int started = pthread_create(&th, NULL, idle_thread, NULL) == 0;
    peer_proc_send(wr, &started, sizeof(started));
    char c;
    if (read(a->go_rd, &c, 1) != 1)
        c = 0;
    int reply = c == 'g' ? 42 : -1;
    peer_proc_send(wr, &reply, sizeof(reply));
    pthread_detach(th);
}

Test(peer_proc, peer_threads_stay_out_of_the_engine)
{
    int before = threads_of_this_process();
    int go[2];
    cr_assert_eq(pipe(go), 0);
    threaded_arg_t a = {.go_rd = go[0]};
    peer_proc_t pp;
    cr_assert(peer_proc_start(&pp, threaded_peer, &a, NULL, 0));
    int started = 0;
    cr_assert(peer_proc_recv(&pp, &started, sizeof(started), 5000));
    cr_assert_eq(started, 1, "the peer could not start its thread");
    /* The peer's thread runs now; this process must not have gained one. */
    cr_assert_eq(threads_of_this_process(), before);
    /* The count sees a thread of this process (so the check above can fail). */
    pthread_t own;
    cr_assert_eq(pthread_create(&own, NULL, idle_thread, NULL), 0);
    cr_assert_eq(threads_of_this_process(), before + 1);
    pthread_detach(own);
    cr_assert_eq(write(go[1], "g", 1), 1);
    int reply = 0;
    cr_assert(peer_proc_recv(&pp, &reply, sizeof(reply), 5000));
    cr_assert_eq(reply, 42);
    cr_assert_eq(peer_proc_end(&pp, 5000), 0);
    close(go[0]);
    close(go[1]);
}

/* A peer that reads until EOF, then reports how many bytes it saw. */
static void eof_peer(void *arg, int wr)
{
    int rd = *(int *)arg;
    char buf[64];
    size_t n = 0;
    ssize_t k;
    while ((k = read(rd, buf, sizeof(buf))) > 0)
        n += (size_t)k;
    peer_proc_send(wr, &n, sizeof(n));
}

Test(peer_proc, closed_fds_give_the_peer_eof)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    peer_proc_t pp;
    /* The peer closes its copy of the write end; ours closed after writing → EOF there. */
    cr_assert(peer_proc_start(&pp, eof_peer, &p[0], &p[1], 1));
    cr_assert_eq(write(p[1], "hello", 5), 5);
    close(p[1]);
    size_t n = 0;
    cr_assert(peer_proc_recv(&pp, &n, sizeof(n), 5000), "the peer never saw EOF");
    cr_assert_eq(n, 5);
    cr_assert_eq(peer_proc_end(&pp, 5000), 0);
    close(p[0]);
}

static void silent_peer(void *arg, int wr)
{
    (void)arg;
    (void)wr;
    for (;;)
        pause();
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(peer_proc, a_hanging_peer_is_bounded)
{
    peer_proc_t pp;
    cr_assert(peer_proc_start(&pp, silent_peer, NULL, NULL, 0));
    int x;
    double t0 = now();
    cr_assert_not(peer_proc_recv(&pp, &x, sizeof(x), 200));
    double waited = now() - t0;
    cr_assert(waited >= 0.19 && waited < 3, "recv waited %.3f s for a 200 ms limit", waited);
    cr_assert_eq(peer_proc_end(&pp, 100), -1, "a hanging peer is killed");
    cr_assert_eq(pp.pid, -1);
}

static void short_peer(void *arg, int wr)
{
    (void)arg;
    peer_proc_send(wr, "ab", 2); /* fewer bytes than the engine waits for, then exit */
}

Test(peer_proc, a_short_message_is_not_a_message)
{
    peer_proc_t pp;
    cr_assert(peer_proc_start(&pp, short_peer, NULL, NULL, 0));
    char buf[8];
    cr_assert_not(peer_proc_recv(&pp, buf, sizeof(buf), 5000));
    cr_assert_eq(peer_proc_end(&pp, 5000), 0);
}
