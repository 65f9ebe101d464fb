/* Small socket helpers shared by the host tools and the harness (otasim upload, bench net,
 * the scenario engine's net steps). */
#ifndef OTASIM_SOCK_IO_H
#define OTASIM_SOCK_IO_H

#include <stdbool.h>
#include <stddef.h>

/* Sends all `n` bytes (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE; EINTR retried).
 * False on any other error or a zero-byte send. */
bool sock_send_all(int fd, const void *buf, size_t n);

#endif
