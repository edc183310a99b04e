/*
 * The stand-in kernel's banner, with the version scripts/build wrote into standin-version.h from
 * git describe. A file of its own, as OSv's version.cc: a new commit compiles it again, and only
 * it, when nothing else changed.
 */
#include "standin-version.h" /* STANDIN_VERSION, written by scripts/build */

const char standin_banner[] = "OSv " STANDIN_VERSION "\r\n";
