/* The floor for a runtime shim: exec the rest of argv, doing nothing else.
 * Linked the way procview-runtime is, so the shim bench can tell the shim's
 * own work from the price of one more exec. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: execwrap PROGRAM [ARG...]\n");
		return 2;
	}
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
