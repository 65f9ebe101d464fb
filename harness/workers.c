/* Parallel workers (workers.h): fork()ed children, a shared atomic next-index, one result pipe
 * per worker, poll() in the caller. */
#include "workers.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sock_io.h"

void wbuf_put(wbuf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort();
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

unsigned workers_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* A message on a result pipe: item index, length, then the bytes. */
typedef struct msg_hdr {
    uint64_t index;
    uint64_t len;
} msg_hdr_t;

static bool in_worker;

bool workers_in_worker(void)
{
    return in_worker;
}

static void worker_main(atomic_size_t *next, size_t n, int fd, work_fn work, void *ctx)
{
    in_worker = true;
    wbuf_t b = {0};
    for (;;) {
        size_t i = atomic_fetch_add(next, 1);
        if (i >= n)
            break;
        b.len = 0;
        work(ctx, i, &b);
        msg_hdr_t h = {.index = i, .len = b.len};
        if (!fd_write_all(fd, &h, sizeof(h)) || !fd_write_all(fd, b.data, b.len))
            _exit(3);
    }
    free(b.data);
    close(fd);
    _exit(0); /* never flush the caller's stdio buffers a second time */
}

/* The reading side of one worker's pipe: a message being assembled. */
typedef struct reader {
    int fd;
    pid_t pid;
    uint8_t hdr[sizeof(msg_hdr_t)];
    size_t hdr_got;
    msg_hdr_t h;
    uint8_t *body;
    size_t body_got;
} reader_t;

/* Reads what is available; returns false at end of file (or error). */
static bool reader_step(reader_t *r, bool *seen, done_fn done, void *ctx)
{
    uint8_t tmp[65536];
    ssize_t got = read(r->fd, tmp, sizeof(tmp));
    if (got < 0 && errno == EINTR)
        return true;
    if (got <= 0)
        return false;
    size_t off = 0;
    while (off < (size_t)got) {
        if (r->hdr_got < sizeof(r->hdr)) {
            size_t k = sizeof(r->hdr) - r->hdr_got;
            if (k > (size_t)got - off)
                k = (size_t)got - off;
            memcpy(r->hdr + r->hdr_got, tmp + off, k);
            r->hdr_got += k;
            off += k;
            if (r->hdr_got < sizeof(r->hdr))
                break;
            memcpy(&r->h, r->hdr, sizeof(r->h));
            r->body = malloc(r->h.len ? r->h.len : 1);
            if (!r->body)
                abort();
            r->body_got = 0;
        }
        size_t k = r->h.len - r->body_got;
        if (k > (size_t)got - off)
            k = (size_t)got - off;
        memcpy(r->body + r->body_got, tmp + off, k);
        r->body_got += k;
        off += k;
        if (r->body_got == r->h.len) {
            seen[r->h.index] = true;
            done(ctx, (size_t)r->h.index, r->body, r->h.len);
            free(r->body);
            r->body = NULL;
            r->hdr_got = 0;
        }
    }
    return true;
}

static size_t run_inline(size_t from_n, const bool *seen, work_fn work, done_fn done, void *ctx)
{
    wbuf_t b = {0};
    size_t again = 0;
    for (size_t i = 0; i < from_n; i++) {
        if (seen && seen[i])
            continue;
        b.len = 0;
        work(ctx, i, &b);
        done(ctx, i, b.data, b.len);
        if (seen)
            again++;
    }
    free(b.data);
    return again;
}

/* Forks a worker into slot k (the other slots' read ends, of `nslots`, are closed in it). */
static bool spawn(reader_t *rd, unsigned k, unsigned nslots, atomic_size_t *next, size_t n,
                  work_fn work, void *ctx)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("otasim: pipe");
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("otasim: fork");
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        for (unsigned j = 0; j < nslots; j++)
            if (j != k && rd[j].fd >= 0)
                close(rd[j].fd);
        worker_main(next, n, fds[1], work, ctx);
    }
    close(fds[1]);
    rd[k] = (reader_t){.fd = fds[0], .pid = pid};
    return true;
}

size_t workers_run(size_t n, unsigned jobs, work_fn work, done_fn done, void *ctx)
{
    if (jobs > n)
        jobs = (unsigned)n;
    /* -j1 still uses one worker process when there is more than one item, so that -j1 and
     * -jN run the items the same way (resident boots, workers_in_worker()). */
    if (jobs == 0 || n <= 1) {
        run_inline(n, NULL, work, done, ctx);
        return 0;
    }
    atomic_size_t *next =
        mmap(NULL, sizeof(*next), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (next == MAP_FAILED) {
        perror("otasim: mmap");
        run_inline(n, NULL, work, done, ctx);
        return 0;
    }
    atomic_init(next, 0);
    bool *seen = calloc(n, sizeof(*seen));
    reader_t *rd = calloc(jobs, sizeof(*rd));
    struct pollfd *pf = calloc(jobs, sizeof(*pf));
    unsigned *map = calloc(jobs, sizeof(*map));
    if (!seen || !rd || !pf || !map)
        abort();
    fflush(NULL);
    unsigned started = 0;
    for (unsigned k = 0; k < jobs; k++) {
        if (!spawn(rd, started, started, next, n, work, ctx))
            break;
        started++;
    }
    unsigned open = started;
    size_t respawns = 0;
    while (open) {
        unsigned np = 0;
        for (unsigned k = 0; k < started; k++)
            if (rd[k].fd >= 0) {
                pf[np] = (struct pollfd){.fd = rd[k].fd, .events = POLLIN};
                map[np++] = k;
            }
        if (poll(pf, np, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("otasim: poll");
            break;
        }
        for (unsigned p = 0; p < np; p++) {
            if (!(pf[p].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            reader_t *r = &rd[map[p]];
            if (!reader_step(r, seen, done, ctx)) {
                close(r->fd);
                r->fd = -1;
                free(r->body);
                r->body = NULL;
                int st;
                while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
                    ;
                r->pid = -1;
                /* A worker that died with items left is replaced (bounded, so a work
                 * function that always kills its process cannot loop forever). */
                if (atomic_load(next) < n && respawns < n && WIFSIGNALED(st)) {
                    respawns++;
                    if (spawn(rd, map[p], started, next, n, work, ctx))
                        continue;
                }
                open--;
            }
        }
    }
    for (unsigned k = 0; k < started; k++) {
        if (rd[k].fd >= 0)
            close(rd[k].fd);
        int st;
        while (rd[k].pid > 0 && waitpid(rd[k].pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    /* Items claimed by a worker that died (or never started) run here. */
    size_t again = run_inline(n, seen, work, done, ctx);
    munmap(next, sizeof(*next));
    free(seen);
    free(rd);
    free(pf);
    free(map);
    return again;
}
