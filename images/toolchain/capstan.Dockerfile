# The toolchain image: a kernel image (Dockerfile, or its incremental build) with pkgdriver itself
# as `capstan`. A build of its own, whose context is this file and `capstan`: a new pkgdriver
# binary costs one layer on the kernel image, never a kernel build (see "The toolchain image" in
# README.md).
ARG KERNEL
FROM ${KERNEL}
COPY capstan /usr/local/bin/capstan
