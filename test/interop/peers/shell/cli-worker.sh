#!/bin/sh
# Interop peer: the `gearman` command-line worker (gearman-tools, libgearman), one function per
# process; it runs a command for each job, with the workload on the command's stdin and the
# command's stdout as the result.
#
#   cli-worker.sh HOST PORT ROLE FUNCTION [LOG]
#
# Roles:
#   echo    completes with the workload, byte for byte. Not plain `cat`: gearman writes the whole
#           workload to the command's stdin before it reads the command's stdout, so a command that
#           streams (cat) blocks on a full stdout pipe beyond ~128 KiB and the job hangs forever;
#           the command first stores the workload in a temporary file, then prints it.
#   lines   `gearman -w -n`: the command's output is sent as WORK_DATA, one packet per line, then
#           WORK_COMPLETE (the command is `cat`, so the lines are the workload's)
#   fail    writes the workload, then exits 1: gearman sends it as WORK_DATA, then WORK_FAIL
#   hold    the workload is a file path: waits until that file exists, then completes with
#           "released" (for background jobs whose status is queried meanwhile)
#   record  appends the workload (a text label) and a newline to LOG, completes with the workload
# The CLI worker cannot send WORK_WARNING, WORK_STATUS or WORK_EXCEPTION, and it does not pass the
# job's unique id to the command (see test/interop/cli.test.js).
# `exec`: the pid the test started is gearman's own, so killing it ends the worker.
set -eu
[ $# -ge 4 ] || { echo "usage: cli-worker.sh HOST PORT ROLE FUNCTION [LOG]" >&2; exit 2; }
host=$1 port=$2 role=$3 fn=$4
case "$role" in
  echo)   exec gearman -w -h "$host" -p "$port" -f "$fn" -- \
            sh -c 't=$(mktemp) && cat > "$t" && cat "$t"; s=$?; rm -f "$t"; exit $s' ;;
  lines)  exec gearman -w -n -h "$host" -p "$port" -f "$fn" -- cat ;;
  fail)   exec gearman -w -h "$host" -p "$port" -f "$fn" -- sh -c 'cat; exit 1' ;;
  hold)   exec gearman -w -h "$host" -p "$port" -f "$fn" -- \
            sh -c 'p=$(cat); while [ ! -e "$p" ]; do sleep 0.01; done; printf released' ;;
  record) [ $# -ge 5 ] || { echo "record needs LOG" >&2; exit 2; }
          LOG=$5; export LOG
          exec gearman -w -h "$host" -p "$port" -f "$fn" -- \
            sh -c 'p=$(cat); printf "%s\n" "$p" >> "$LOG"; printf "%s" "$p"' ;;
  *)      echo "unknown role: $role" >&2; exit 2 ;;
esac
