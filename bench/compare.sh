#!/usr/bin/env bash
# Alternating runs of one benchmark command against throwaway servers, with each server's
# CPU time (utime + stime from /proc/PID/stat) over the measured command.
#
#   bench/compare.sh [--rounds N] [--warmup 'CMD'] [--target NAME=SPEC]... -- CMD...
#
# SPEC is `etcd` (the installed /usr/bin/etcd) or the path of a Vigil.Silo.dll (or, for the
# pre-Orleans tree, a Vigil.Server.dll). Every
# round starts each target once, in the order given, on a fresh data dir and fresh ports:
# it waits for the port, runs the warm-up command (if any, not measured), reads the
# server's CPU time, runs CMD, reads it again and stops the server. `{ep}` in CMD and in the
# warm-up is replaced by host:port, `{url}` by http://host:port. Full outputs go to the log
# directory printed at the start; one summary line per run goes to stdout:
#   round target load1 cpu_s <lines of CMD's output matching --grep>
# Defaults: 3 rounds, targets vigil (this tree's Release build) and etcd.
# Give a .NET server a long warm-up (about 150,000 requests): until then its tier-1 JIT is
# still recompiling hot methods and takes up to a third of the server's CPU (bench/README.md,
# "Warm servers").
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
warmup=
grep_re='Requests/sec|summary|99% in|50% in|events/s|puts/s|reads/s|watch|put '
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --grep) grep_re=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "compare.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: bench/compare.sh [--rounds N] [--warmup CMD] [--target NAME=SPEC]... -- CMD..." >&2; exit 2; }
[ ${#targets[@]} -gt 0 ] || targets=("vigil=src/Vigil.Silo/bin/Release/net10.0/Vigil.Silo.dll" "etcd=etcd")
command_template="$*"

logs=$(mktemp -d /tmp/vigil-compare.XXXXXX)
echo "# logs in $logs; command: $command_template" >&2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pid=
data=
stop_server() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
  if [ -n "$data" ]; then
    rm -rf "$data"
    data=
  fi
}
trap stop_server EXIT

for round in $(seq 1 "$rounds"); do
  for target in "${targets[@]}"; do
    name=${target%%=*}
    spec=${target#*=}
    data=$(mktemp -d /tmp/vigil-compare-data.XXXXXX)
    port=$(free_port)
    if [ "$spec" = etcd ]; then
      peer=$(free_port)
      etcd --name bench --data-dir "$data/etcd" --listen-client-urls "http://127.0.0.1:$port" \
        --advertise-client-urls "http://127.0.0.1:$port" --listen-peer-urls "http://127.0.0.1:$peer" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer" --initial-cluster "bench=http://127.0.0.1:$peer" \
        --log-level warn >"$logs/$round-$name.server.log" 2>&1 &
    else
      # A silo also binds a peer and a gateway port (defaults 2380 and 30000): free ones, so
      # a bench never collides with tests or other silos on this machine. The pre-Orleans
      # Vigil.Server has neither flag.
      silo_ports=()
      case "$spec" in
        *Vigil.Silo.dll) silo_ports=(--listen-peer-urls "http://127.0.0.1:$(free_port)" --listen-gateway-urls "http://127.0.0.1:$(free_port)") ;;
      esac
      dotnet "$spec" --listen-client-urls "http://127.0.0.1:$port" "${silo_ports[@]}" --data-dir "$data" --log-level Warning \
        ${VIGIL_ARGS:-} >"$logs/$round-$name.server.log" 2>&1 &
    fi
    pid=$!
    for _ in $(seq 1 200); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    expand() { local t=${1//\{ep\}/127.0.0.1:$port}; echo "${t//\{url\}/http://127.0.0.1:$port}"; }
    if [ -n "$warmup" ]; then
      bash -c "$(expand "$warmup")" >"$logs/$round-$name.warmup.log" 2>&1 || true
    fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    before=$(cpu_ticks "$pid")
    bash -c "$(expand "$command_template")" >"$logs/$round-$name.out" 2>"$logs/$round-$name.err" || echo "(exit $?)" >>"$logs/$round-$name.out"
    after=$(cpu_ticks "$pid")
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (a - b) / hz }')
    summary=$(grep -E "$grep_re" "$logs/$round-$name.out" | tr -s ' \t' ' ' | paste -sd'|' - || true)
    echo "$round $name load=$load cpu_s=$cpu | $summary"
    stop_server
  done
done
