/*
 * Echo worker over libgearman, the "libgearman" column of bench/run.js.
 *
 *   gm-worker HOST PORT FUNCTION
 *
 * Registers FUNCTION and completes every job with its own payload (gearman_job_send_complete on the
 * workload, no copy). A second thread serves the orchestrator on stdin:
 *   "cpu\n"  -> prints "CPU {"user":s,"system":s,"maxrss_kb":n}" (getrusage(RUSAGE_SELF))
 *   EOF      -> exits 0
 * "READY" is printed once the function is registered (the orchestrator still waits until gearmand's
 * `status` shows the worker, like for every other implementation).
 */
#define _GNU_SOURCE
#include <libgearman/gearman.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

static long long jobs_done = 0;

static gearman_return_t echo(gearman_job_st *job, void *context) {
  (void)context;
  const void *w = gearman_job_workload(job);
  size_t n = gearman_job_workload_size(job);
  if (gearman_failed(gearman_job_send_complete(job, w, n))) return GEARMAN_ERROR;
  __atomic_add_fetch(&jobs_done, 1, __ATOMIC_RELAXED);
  return GEARMAN_SUCCESS;
}

static double tv(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

static void *control(void *arg) {
  (void)arg;
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "cpu", 3) == 0) {
      struct rusage ru;
      getrusage(RUSAGE_SELF, &ru);
      printf("CPU {\"user\":%.6f,\"system\":%.6f,\"maxrss_kb\":%ld,\"jobs\":%lld}\n", tv(ru.ru_utime), tv(ru.ru_stime),
             ru.ru_maxrss, __atomic_load_n(&jobs_done, __ATOMIC_RELAXED));
      fflush(stdout);
    }
  }
  _exit(0);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s HOST PORT FUNCTION\n", argv[0]);
    return 2;
  }
  gearman_worker_st *worker = gearman_worker_create(NULL);
  if (!worker) {
    fprintf(stderr, "gearman_worker_create failed\n");
    return 1;
  }
  if (gearman_failed(gearman_worker_add_server(worker, argv[1], (in_port_t)atoi(argv[2])))) {
    fprintf(stderr, "add_server: %s\n", gearman_worker_error(worker));
    return 1;
  }
  gearman_function_t fn = gearman_function_create(echo);
  if (gearman_failed(gearman_worker_define_function(worker, argv[3], strlen(argv[3]), fn, 0, NULL))) {
    fprintf(stderr, "define_function: %s\n", gearman_worker_error(worker));
    return 1;
  }
  pthread_t th;
  pthread_create(&th, NULL, control, NULL);
  printf("READY\n");
  fflush(stdout);
  for (;;) {
    gearman_return_t rc = gearman_worker_work(worker);
    if (gearman_failed(rc)) {
      fprintf(stderr, "worker_work: %s\n", gearman_worker_error(worker));
      sleep(1);
    }
  }
}
