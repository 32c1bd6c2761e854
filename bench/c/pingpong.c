/*
 * Loopback TCP round trip between two processes (1 byte each way, TCP_NODELAY), the floor under
 * every one-at-a-time figure: bench/run.js prints it with the machine so that S1's times can be
 * read against how fast this machine wakes a process up right now.
 *
 *   gm-pingpong [ROUNDS]   ->   {"rounds":N,"median_us":x,"p99_us":y}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  if (rounds < 1) rounds = 1;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &len)) {
    perror("listen");
    return 1;
  }
  int one = 1;
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) _exit(1);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char b;
    while (read(c, &b, 1) == 1) {
      if (write(c, &b, 1) != 1) break;
    }
    _exit(0);
  }
  int s = accept(ls, NULL, NULL);
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  long long *t = malloc(sizeof(long long) * (size_t)rounds);
  char b = 'x';
  for (int i = 0; i < rounds; i++) {
    long long t0 = now_ns();
    if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) {
      perror("pingpong");
      return 1;
    }
    t[i] = now_ns() - t0;
  }
  close(s);
  waitpid(pid, NULL, 0);
  qsort(t, (size_t)rounds, sizeof *t, cmp);
  printf("{\"rounds\":%d,\"median_us\":%.1f,\"p99_us\":%.1f}\n", rounds, t[rounds / 2] / 1e3, t[(rounds * 99) / 100] / 1e3);
  return 0;
}
