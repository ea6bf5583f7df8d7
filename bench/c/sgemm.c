/*
 * OpenBLAS cblas_sgemm at the shapes of dlc's generated MLP kernels, for
 * make bench. Usage: sgemm NAME:TRANSPOSES:MxKxN ... (TRANSPOSES is NN, TN
 * or NT, as in the kernel names: C[M,N] = op(A)[M,K] · op(B)[K,N], row-major).
 * Prints one line per shape: NAME GFLOP/s (the median of seven timed
 * blocks of at least 0.1 s each, after a warm-up). Threads: as OpenBLAS
 * decides (OPENBLAS_NUM_THREADS).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static float *filled(long n, int mod) {
	float *p = malloc(n * sizeof *p);
	if (!p) {
		fprintf(stderr, "sgemm: out of memory\n");
		exit(1);
	}
	for (long i = 0; i < n; i++)
		p[i] = (float)(i % mod) / mod - 0.5f;
	return p;
}

static double gflops(int ta, int tb, int m, int k, int n) {
	float *a = filled((long)m * k, 7), *b = filled((long)k * n, 5), *c = filled((long)m * n, 3);
	enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
	int lda = ta ? m : k, ldb = tb ? k : n;
	double flop = 2.0 * m * k * n, rates[7];
	long reps = 1;
	for (;;) { /* warm up and find how many calls fill 0.1 s */
		double t = now();
		for (long r = 0; r < reps; r++)
			cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
		if (now() - t >= 0.1)
			break;
		reps *= 2;
	}
	for (int s = 0; s < 7; s++) {
		double t = now();
		for (long r = 0; r < reps; r++)
			cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
		rates[s] = flop * reps / (now() - t) / 1e9;
	}
	qsort(rates, 7, sizeof rates[0], cmp);
	free(a), free(b), free(c);
	return rates[3];
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		char name[64], tr[3];
		int m, k, n;
		if (sscanf(argv[i], "%63[^:]:%2[NT]:%dx%dx%d", name, tr, &m, &k, &n) != 5 || strlen(tr) != 2 || m < 1 || k < 1 || n < 1) {
			fprintf(stderr, "sgemm: bad shape %s (want NAME:NN:MxKxN)\n", argv[i]);
			return 2;
		}
		printf("%s %.2f\n", name, gflops(tr[0] == 'T', tr[1] == 'T', m, k, n));
		fflush(stdout);
	}
	return 0;
}
