/* The HTTP update server behind `otasim serve` (libmicrohttpd): the decision logic of the
 * seed's example server (spec §5.6) over a JSON device database, with server-side faults for
 * scenarios (#2598's missing Content-Length, a wrong x-MD5, a dropped or stalled body, a fixed
 * status). libmicrohttpd's own messages go to the access log (opts.log), prefixed "mhd:". */
#ifndef OTASIM_UPDATE_SERVER_H
#define OTASIM_UPDATE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct update_server_fault {
    bool no_length;   /* send the body without Content-Length (connection close ends it) */
    bool bad_md5;     /* x-MD5 of other bytes */
    long drop_after;  /* close the connection after this many body bytes (-1: no) */
    long stall_after; /* stop sending after this many body bytes, keep the connection */
    int status;       /* answer every request with this status (0: no) */
} update_server_fault_t;

typedef struct update_server_opts {
    const char *db_path;  /* {"MAC": {"file": "...", "version": "...", "fs": {...}}, ...} */
    const char *root;     /* files are looked up below it */
    const char *bind;     /* "127.0.0.1" */
    uint16_t port;        /* 0: any free port */
    const char *tls_cert; /* PEM; both or none */
    const char *tls_key;
    FILE *log; /* access log, and libmicrohttpd's messages (NULL: neither) */
    update_server_fault_t fault;
} update_server_opts_t;

typedef struct update_server update_server_t;

/* Loads the database and starts listening; NULL with a message in err on failure. */
update_server_t *update_server_start(const update_server_opts_t *o, char *err, size_t errlen);
uint16_t update_server_port(const update_server_t *s);
void update_server_stop(update_server_t *s);

#endif
