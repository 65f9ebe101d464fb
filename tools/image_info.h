/* otasim image info: what a firmware file is and whether it is valid. */
#ifndef OTASIM_IMAGE_INFO_H
#define OTASIM_IMAGE_INFO_H

#include <stdio.h>

int image_info_main(int argc, char **argv);

#endif
