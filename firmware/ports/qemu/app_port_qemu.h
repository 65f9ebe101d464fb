/* The QEMU app port: what the start-up calls. */
#ifndef OTASIM_APP_PORT_QEMU_H
#define OTASIM_APP_PORT_QEMU_H

int qemu_app_main(void);

#endif
