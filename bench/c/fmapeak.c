/*
 * The machine's float32 FMA ceiling, for make bench: independent chains of
 * fused multiply-adds with nothing else in the loop, 256-bit (AVX2) and
 * 512-bit (AVX-512F), on one thread and on every thread asked for.
 * Usage: fmapeak THREADS. Prints lines "WIDTH THREADS GFLOP/s", the best of
 * five tries (a ceiling: a try that lost its core to another process says
 * nothing about the core); a width the CPU lacks is skipped.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define ITERS 40000000L

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile float sink;

__attribute__((target("avx2,fma"))) static void *chains256(void *arg) {
	(void)arg;
	__m256 acc[CHAINS], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
	for (int c = 0; c < CHAINS; c++)
		acc[c] = _mm256_set1_ps((float)c);
	for (long i = 0; i < ITERS; i++)
#pragma GCC unroll 12 /* CHAINS: the pragma takes no macro */
		for (int c = 0; c < CHAINS; c++)
			acc[c] = _mm256_fmadd_ps(acc[c], x, y);
	float s = 0;
	for (int c = 0; c < CHAINS; c++)
		s += _mm256_cvtss_f32(acc[c]);
	sink = s;
	return NULL;
}

__attribute__((target("avx512f"))) static void *chains512(void *arg) {
	(void)arg;
	__m512 acc[CHAINS], x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
	for (int c = 0; c < CHAINS; c++)
		acc[c] = _mm512_set1_ps((float)c);
	for (long i = 0; i < ITERS; i++)
#pragma GCC unroll 12 /* CHAINS: the pragma takes no macro */
		for (int c = 0; c < CHAINS; c++)
			acc[c] = _mm512_fmadd_ps(acc[c], x, y);
	float s = 0;
	for (int c = 0; c < CHAINS; c++)
		s += _mm512_cvtss_f32(acc[c]);
	sink = s;
	return NULL;
}

static double once(void *(*body)(void *), int threads, int lanes) {
	pthread_t t[64];
	double start = now();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, body, NULL) != 0) {
			fprintf(stderr, "fmapeak: cannot start a thread\n");
			exit(1);
		}
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 2.0 * lanes * CHAINS * ITERS * threads / (now() - start) / 1e9;
}

static double run(void *(*body)(void *), int threads, int lanes) {
	double best = 0;
	for (int try = 0; try < 5; try++) {
		double r = once(body, threads, lanes);
		if (r > best)
			best = r;
	}
	return best;
}

int main(int argc, char **argv) {
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	if (threads < 1 || threads > 64) {
		fprintf(stderr, "fmapeak: threads must be 1 to 64\n");
		return 2;
	}
	__builtin_cpu_init();
	for (int n = 1; n <= threads; n = n < threads ? threads : threads + 1) {
		if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
			printf("256 %d %.1f\n", n, run(chains256, n, 8));
		if (__builtin_cpu_supports("avx512f"))
			printf("512 %d %.1f\n", n, run(chains512, n, 16));
		fflush(stdout);
	}
	return 0;
}
