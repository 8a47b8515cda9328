/* version.h - the one place the version is written. */
#ifndef RINGSCAN_VERSION_H
#define RINGSCAN_VERSION_H

#define RINGSCAN_VERSION "0.1.0"

#endif
