/* A device's network peer (an uploader, an update server, a benchmark's driver) run in a
 * process of its own while this process runs the device.
 *
 * Why not a thread: the device's boots are fork()ed children (emu/native), and a process that
 * forks while another of its threads runs may hand the child a lock held by that thread. glibc's
 * malloc resets its locks in the child, but GCC 12's AddressSanitizer allocator does not: a boot
 * child deadlocked in the ASan build. With the peer in its own process, this one has a single
 * thread whenever it forks a boot. The peer may start threads of its own (libmicrohttpd's) —
 * it never forks a boot.
 *
 * The peer talks back over one pipe with fixed-size messages (peer_proc_send/peer_proc_recv),
 * so the results it fills in its copy of the memory reach the engine. */
#ifndef OTASIM_PEER_PROC_H
#define OTASIM_PEER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct peer_proc {
    pid_t pid;
    int rd; /* the engine's end of the message pipe */
} peer_proc_t;

/* Runs fn(arg, wr) in a child process, which then _exit()s (no atexit handler of the engine
 * runs in it). close_fds (-1 entries ignored): descriptors the child closes first — the
 * engine's ends of pipes whose EOF the peer waits for. False (errno set) when the process
 * cannot be started. */
bool peer_proc_start(peer_proc_t *pp, void (*fn)(void *arg, int wr), void *arg,
                     const int *close_fds, size_t nclose);

/* In the peer: one message of len bytes. False when the engine is gone. */
bool peer_proc_send(int wr, const void *msg, size_t len);

/* In the engine: the next message, exactly len bytes, within timeout_ms. False on timeout or
 * when the peer ended without sending it. */
bool peer_proc_recv(peer_proc_t *pp, void *msg, size_t len, unsigned timeout_ms);

/* Waits up to timeout_ms for the peer to exit, then kills it; closes the pipe. Returns its
 * exit status (0..255), or -1 when it was killed or died of a signal. */
int peer_proc_end(peer_proc_t *pp, unsigned timeout_ms);

#endif
