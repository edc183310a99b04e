#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# Open MPI from the toolchain's Debian packages: libmpi and the libraries it needs, its MCA
# components (Debian builds them as plugins it loads at run time), its configuration and help
# texts, and /mpi-hello, an example program built here with mpicc. OSv cannot fork, so there is
# no mpirun: programs run as MPI singletons without the orted daemon (ess_singleton_isolated).
plugins=$(ompi_info --path pkglibdir --parsable | sed -n 's/^path:pkglibdir://p')
mkdir -p "$PACKAGE_RESULT_DIR$plugins"
cp -a "$plugins"/. "$PACKAGE_RESULT_DIR$plugins"/
for d in /etc/openmpi /usr/share/openmpi; do
	mkdir -p "$PACKAGE_RESULT_DIR$d"
	cp -a "$d"/. "$PACKAGE_RESULT_DIR$d"/
done
# -fPIC, not -fPIE: a PIE program gets copy relocations for libmpi's predefined objects
# (MPI_INT, MPI_COMM_WORLD, MPI_SUM), which libmpi then registers as its predefined objects;
# on OSv 0e34e4dc MPI_Finalize crashes destroying such a copy (ompi_datatype_finalize, seen with
# gdb). -fPIC reaches them in libmpi through the GOT: no copies, and MPI_Finalize returns.
mpicc -O2 -fPIC -pie -o "$PACKAGE_RESULT_DIR/mpi-hello" "$RECIPE_DIR/mpi-hello.c"
host_libs "$PACKAGE_RESULT_DIR/mpi-hello" "$plugins"/*.so
package_init "Open MPI" "$(ompi_info --parsable | sed -n 's/^ompi:version:full://p')" osv.bootstrap
