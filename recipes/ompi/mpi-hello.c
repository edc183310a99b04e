// mpi-hello: a small MPI program for the ompi package's demo and as an example. Every rank
// contributes 21 * (rank + 2) to an MPI_Allreduce and prints the sum it received, so the output
// shows that MPI itself computed it.
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int rank, size, len, mine, sum;
	char name[MPI_MAX_PROCESSOR_NAME], version[MPI_MAX_LIBRARY_VERSION_STRING];

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Get_processor_name(name, &len);
	MPI_Get_library_version(version, &len);
	mine = 21 * (rank + 2);
	MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%.40s\n", version);
	printf("mpi-hello: rank %d of %d: allreduce sum = %d\n", rank, size, sum);
	MPI_Finalize();
	return 0;
}
