#!/bin/sh
# Interop peer: the `gearman` command-line client (gearman-tools, libgearman), many jobs from one
# process: one `gearman` run per job, one after the other. The workload goes through stdin (a file),
# so any bytes, NUL included, and any size are carried.
#
#   cli-client.sh HOST PORT OUTDIR < jobs
#
# Each input line (fields separated by TAB):  ID  FUNCTION  WORKLOAD_FILE  OUTPUT  [OPTION...]
#   OUTPUT  split:  stdout → OUTDIR/ID.out, stderr → OUTDIR/ID.err
#           merged: stdout and stderr together, unbuffered (stdbuf -o0), in the order gearman
#                   writes them → OUTDIR/ID.out (data and results go to stdout, warnings and
#                   "Job failed" to stderr, status as "N% Complete" lines on stdout)
#   OPTION  gearman client options, one per field: -b (background), -I (high), -L (low),
#           -u UNIQUE (two fields: -u, then the unique id), -v ...
# The exit status goes to OUTDIR/ID.rc; after each job the script prints `done ID STATUS`.
set -uf   # -f: no globbing when a line is split into fields
[ $# -eq 3 ] || { echo "usage: cli-client.sh HOST PORT OUTDIR < jobs" >&2; exit 2; }
host=$1 port=$2 out=$3
tab=$(printf '\t')
while IFS= read -r line; do
  [ -n "$line" ] || continue
  old_ifs=$IFS
  IFS=$tab
  # shellcheck disable=SC2086 # split on TAB on purpose
  set -- $line
  IFS=$old_ifs
  id=$1 fn=$2 file=$3 mode=$4
  shift 4
  if [ "$mode" = merged ]; then
    stdbuf -o0 gearman -h "$host" -p "$port" -f "$fn" "$@" < "$file" > "$out/$id.out" 2>&1
  else
    gearman -h "$host" -p "$port" -f "$fn" "$@" < "$file" > "$out/$id.out" 2> "$out/$id.err"
  fi
  rc=$?
  echo "$rc" > "$out/$id.rc"
  echo "done $id $rc"
done
