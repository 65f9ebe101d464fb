/* Small socket and pipe helpers shared by the host tools and the harness (otasim upload,
 * bench net, the scenario engine's net steps and peer process, the sweep workers' pipes). */
#ifndef OTASIM_SOCK_IO_H
#define OTASIM_SOCK_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sends all `n` bytes (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE; EINTR retried).
 * False on any other error or a zero-byte send. */
bool sock_send_all(int fd, const void *buf, size_t n);

/* A port of 127.0.0.1 free now (bound to port 0, the kernel's choice, then released), for a
 * device's forwarded UDP (udp) or TCP port; 0 when none could be had. Another process may
 * take it before it is used: callers report that as a clear bind error. */
uint16_t sock_free_port(bool udp);

/* write() all `n` bytes to a pipe or file (EINTR retried); false on an error or a zero-byte
 * write. */
bool fd_write_all(int fd, const void *buf, size_t n);

#endif
