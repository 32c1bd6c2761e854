/*
 * Benchmark client over libgearman, the "libgearman" column of bench/run.js.
 *
 *   gm-client MODE HOST PORT FUNCTION N INFLIGHT SIZE WARMUP [SIZESPEC]
 *
 * MODE
 *   seq    N jobs one at a time (gearman_client_do), per-job latency in ns       (S1)
 *   window N jobs, INFLIGHT outstanding; each completion adds the next task       (S2)
 *   bg     N background submits, until every JOB_CREATED arrived                   (S3)
 *   big    echo of big payloads, SIZESPEC = "bytes x reps,..." one at a time        (S4)
 *   burst  N jobs added at once, then run; peak RSS (VmHWM after clear_refs)        (S5)
 * The payload is SIZE bytes of 'x'. WARMUP jobs run first in the same mode (outside the figures);
 * then it prints "WARM" and waits for a line "GO" on stdin, prints "DONE {}" as soon as the measured
 * part is over, and one line "RESULT {json}". The figures are taken here, inside the client process,
 * around the measured part only (same protocol as bench/lib/client.js).
 */
#define _GNU_SOURCE
#include <libgearman/gearman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *fn_name;
static char *payload;
static size_t payload_size;
static long long target_n, submitted, completed, created, bad;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void cpu_split(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  *sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = atol(line + kl + 1);
      break;
    }
  }
  fclose(f);
  return v;
}

static int reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return 0;
  int ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

static void die(gearman_client_st *c, const char *what) {
  fprintf(stderr, "%s: %s\n", what, c ? gearman_client_error(c) : "?");
  exit(1);
}

static gearman_return_t on_complete(gearman_task_st *task) {
  if (gearman_task_data_size(task) != payload_size) bad++;
  completed++;
  return GEARMAN_SUCCESS;
}

static gearman_return_t on_complete_refill(gearman_task_st *task) {
  on_complete(task);
  if (submitted < target_n) {
    gearman_return_t ret;
    gearman_client_st *client = (gearman_client_st *)gearman_task_context(task);
    if (!gearman_client_add_task(client, NULL, client, fn_name, NULL, payload, payload_size, &ret)) die(client, "add_task");
    submitted++;
  }
  return GEARMAN_SUCCESS;
}

static gearman_return_t on_created(gearman_task_st *task) {
  (void)task;
  created++;
  return GEARMAN_SUCCESS;
}

static gearman_return_t on_fail(gearman_task_st *task) {
  (void)task;
  bad++;
  completed++;
  return GEARMAN_SUCCESS;
}

/* Adds `count` tasks (`inflight` at first when window), runs them; returns run_tasks' code. */
static gearman_return_t batch(gearman_client_st *client, const char *mode, long long count, long long inflight) {
  int bg = strcmp(mode, "bg") == 0;
  int win = strcmp(mode, "window") == 0;
  target_n = count;
  submitted = completed = created = 0;
  gearman_client_set_complete_fn(client, win ? on_complete_refill : on_complete);
  long long first = win ? (inflight < count ? inflight : count) : count;
  for (long long i = 0; i < first; i++) {
    gearman_return_t ret;
    gearman_task_st *t = bg ? gearman_client_add_task_background(client, NULL, client, fn_name, NULL, payload, payload_size, &ret)
                            : gearman_client_add_task(client, NULL, client, fn_name, NULL, payload, payload_size, &ret);
    if (!t) die(client, "add_task");
    submitted++;
  }
  if (count == 0) return GEARMAN_SUCCESS;
  return gearman_client_run_tasks(client);
}

static void do_one(gearman_client_st *client) {
  size_t rsize;
  gearman_return_t ret;
  void *res = gearman_client_do(client, fn_name, NULL, payload, payload_size, &rsize, &ret);
  if (ret != GEARMAN_SUCCESS) die(client, "client_do");
  free(res);
}

static void wait_go(void) {
  printf("WARM {}\n");
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "GO", 2) == 0) return;
  }
  exit(3);
}

static void done(void) {
  printf("DONE {}\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 9) {
    fprintf(stderr, "usage: %s seq|window|bg|big|burst HOST PORT FUNCTION N INFLIGHT SIZE WARMUP [SIZESPEC]\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  fn_name = argv[4];
  const long long n_total = atoll(argv[5]);
  target_n = n_total;
  long long inflight = atoll(argv[6]);
  payload_size = (size_t)atoll(argv[7]);
  long long warmup = atoll(argv[8]);
  payload = malloc(payload_size ? payload_size : 1);
  memset(payload, 'x', payload_size);

  gearman_client_st *client = gearman_client_create(NULL);
  if (!client) die(NULL, "gearman_client_create");
  if (gearman_failed(gearman_client_add_server(client, argv[2], (in_port_t)atoi(argv[3])))) die(client, "add_server");
  gearman_client_add_options(client, GEARMAN_CLIENT_FREE_TASKS);
  gearman_client_set_complete_fn(client, on_complete);
  gearman_client_set_fail_fn(client, on_fail);
  gearman_client_set_created_fn(client, on_created);

  /* Connect (and warm the connection) with one echo outside the measurement. */
  {
    gearman_return_t r = gearman_client_echo(client, "hello", 5);
    if (gearman_failed(r)) die(client, "echo");
  }

  double u0, s0, u1, s1;
  long long t0, t1;
  int peak_reset = 0;

  if (strcmp(mode, "seq") == 0 || strcmp(mode, "big") == 0) {
    for (long long i = 0; i < (warmup > 0 && mode[0] == 's' ? warmup : 1); i++) do_one(client);
  } else {
    if (gearman_failed(batch(client, mode, warmup, inflight))) die(client, "warm-up run_tasks");
  }
  wait_go();

  if (strcmp(mode, "seq") == 0) {
    long long *lat = malloc(sizeof(long long) * (size_t)(n_total ? n_total : 1));
    cpu_split(&u0, &s0);
    t0 = now_ns();
    for (long long i = 0; i < n_total; i++) {
      long long a = now_ns();
      size_t rsize;
      gearman_return_t ret;
      void *res = gearman_client_do(client, fn_name, NULL, payload, payload_size, &rsize, &ret);
      lat[i] = now_ns() - a;
      if (ret != GEARMAN_SUCCESS) die(client, "client_do");
      if (rsize != payload_size) bad++;
      free(res);
      completed++;
    }
    t1 = now_ns();
    cpu_split(&u1, &s1);
    done();
    printf("RESULT {\"jobs\":%lld,\"bad\":%lld,\"wall_s\":%.9f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"lat_ns\":[", completed, bad,
           (t1 - t0) / 1e9, u1 - u0, s1 - s0);
    for (long long i = 0; i < n_total; i++) printf("%s%lld", i ? "," : "", lat[i]);
    printf("]}\n");
    return 0;
  }

  if (strcmp(mode, "big") == 0) {
    /* SIZESPEC: "1048576x3,8388608x2" */
    const char *spec = argc > 9 ? argv[9] : "";
    char results[65536];
    size_t off = 0;
    int first = 1;
    off += (size_t)snprintf(results + off, sizeof results - off, "RESULT {\"sizes\":[");
    char *copy = strdup(spec);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
      size_t size = (size_t)atoll(tok);
      char *x = strchr(tok, 'x');
      int reps = x ? atoi(x + 1) : 1;
      free(payload);
      payload = malloc(size);
      memset(payload, 'x', size);
      payload_size = size;
      off += (size_t)snprintf(results + off, sizeof results - off, "%s{\"size\":%zu,\"runs\":[", first ? "" : ",", size);
      first = 0;
      for (int r = 0; r < reps; r++) {
        double c0 = cpu_s();
        long long a = now_ns();
        size_t rsize;
        gearman_return_t ret;
        void *res = gearman_client_do(client, fn_name, NULL, payload, payload_size, &rsize, &ret);
        long long b = now_ns();
        double c1 = cpu_s();
        if (ret != GEARMAN_SUCCESS) die(client, "client_do");
        free(res);
        off += (size_t)snprintf(results + off, sizeof results - off, "%s{\"wall_s\":%.9f,\"cpu_s\":%.6f,\"ok\":%s}",
                                r ? "," : "", (b - a) / 1e9, c1 - c0, rsize == size ? "true" : "false");
      }
      off += (size_t)snprintf(results + off, sizeof results - off, "]}");
    }
    done();
    printf("%s]}\n", results);
    return 0;
  }

  if (strcmp(mode, "window") == 0 || strcmp(mode, "burst") == 0 || strcmp(mode, "bg") == 0) {
    int bg = strcmp(mode, "bg") == 0;
    long long n = n_total;
    long rss_before = -1;
    bad = 0;
    if (strcmp(mode, "burst") == 0) {
      peak_reset = reset_peak_rss();
      rss_before = status_kb("VmRSS");
    }
    cpu_split(&u0, &s0);
    t0 = now_ns();
    gearman_return_t rr = batch(client, mode, n, inflight);
    t1 = now_ns();
    cpu_split(&u1, &s1);
    done();
    if (gearman_failed(rr)) die(client, "run_tasks");
    printf("RESULT {\"jobs\":%lld,\"created\":%lld,\"bad\":%lld,\"wall_s\":%.9f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,"
           "\"peak_rss_kb\":%ld,\"peak_reset\":%s,\"rss_before_kb\":%ld}\n",
           bg ? created : completed, created, bad, (t1 - t0) / 1e9, u1 - u0, s1 - s0, status_kb("VmHWM"),
           peak_reset ? "true" : "false", rss_before);
    return 0;
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
