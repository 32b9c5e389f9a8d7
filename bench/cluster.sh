#!/usr/bin/env bash
# Issue 8's cluster figures on this machine: a throwaway PostgreSQL and three silos on it.
#  1. put acknowledged on silo 1 -> event received on silo 2 (Vigil.Bench fan-out scenario
#     with its watchers on silo 2): 10 watchers on one stream, and 10 streams;
#  2. kill -9 of the silo hosting the revision sequencer -> first successful put through
#     another silo (etcdctl put in a loop, timestamps in ms), and -> the killed silo gone
#     from `member list` (which lists the silos Orleans membership does not call dead),
#     --rounds times.
#
#  3. with --orleans-idle N: Vigil.OrleansBench against the three silos (its Orleans client
#     knows all three gateways): fan-out to Orleans-client subscriptions next to gRPC, then N
#     idle subscriptions spread over the silos (memory: the three silos' RSS) and one put per
#     subscribed key, counting the subscriptions that received it.
#
#   bench/cluster.sh [--rounds N] [--events N] [--orleans-idle N]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
events=2000
orleans_idle=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --orleans-idle) orleans_idle=$2; shift 2 ;;
    *) echo "usage: bench/cluster.sh [--rounds N] [--events N] [--orleans-idle N]" >&2; exit 2 ;;
  esac
done

pg_bin=/usr/lib/postgresql/15/bin
[ -x "$pg_bin/initdb" ] || { echo "cluster.sh: PostgreSQL 15 is missing (apt-get install postgresql-15)" >&2; exit 2; }
command -v etcdctl >/dev/null || { echo "cluster.sh: etcdctl is missing (apt-get install etcd-client)" >&2; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

work=$(mktemp -d /tmp/vigil-cluster-bench.XXXXXX)
chmod 755 "$work"
pg_port=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # The silos' logs outlive the run, for a silo that failed.
  mkdir -p /tmp/vigil-cluster-logs && cp "$work"/*.log /tmp/vigil-cluster-logs/ 2>/dev/null || true
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/pg" && chown postgres "$work/pg"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -A trust >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" \
  -l "$work/pg/log" -w start >/dev/null

dotnet build src/Vigil.Silo -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/Vigil.Bench -c Release -nologo -clp:ErrorsOnly >/dev/null
silo_dll=src/Vigil.Silo/bin/Release/net10.0/Vigil.Silo.dll
bench_dll=bench/Vigil.Bench/bin/Release/net10.0/Vigil.Bench.dll

# start_silo INDEX DATABASE: starts silo INDEX (1-3) on the database, records its ports.
declare -A client_port metrics_port gateway_port silo_pid
start_silo() {
  local i=$1 db=$2
  client_port[$i]=$(free_port)
  metrics_port[$i]=$(free_port)
  gateway_port[$i]=$(free_port)
  dotnet "$silo_dll" --name "s$i" --store "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$db" \
    --listen-client-urls "http://127.0.0.1:${client_port[$i]}" --listen-metrics-urls "http://127.0.0.1:${metrics_port[$i]}" \
    --listen-peer-urls "http://127.0.0.1:$(free_port)" --listen-gateway-urls "http://127.0.0.1:${gateway_port[$i]}" \
    --log-level Warning >"$work/$db-s$i.log" 2>&1 &
  silo_pid[$i]=$!
  pids+=("$!")
  for _ in $(seq 1 600); do
    etcdctl --endpoints="127.0.0.1:${client_port[$i]}" --command-timeout=2s endpoint health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "cluster.sh: silo $i did not become healthy; log:" >&2
  tail -20 "$work/$db-s$i.log" >&2
  exit 1
}

start_cluster() {
  local db=$1
  runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" "$db"
  for i in 1 2 3; do start_silo "$i" "$db"; done
}

stop_cluster() {
  for i in 1 2 3; do kill "${silo_pid[$i]}" 2>/dev/null || true; done
  for i in 1 2 3; do wait "${silo_pid[$i]}" 2>/dev/null || true; done
}

echo "== put on silo 1 -> event on silo 2 ($events puts, 1 writer)"
start_cluster latency
# The fan-out scenario runs its watchers on one shared stream, then on a stream each.
dotnet "$bench_dll" --endpoints "http://127.0.0.1:${client_port[1]}" --watch-endpoints "http://127.0.0.1:${client_port[2]}" \
  --label "Vigil, 3 silos, put on s1, watch on s2" --scenarios watch --watchers 10 --events "$events" 2>/dev/null | grep -E '^[|]'
stop_cluster

if [ "$orleans_idle" -gt 0 ]; then
  echo "== Orleans client against 3 silos ($orleans_idle idle subscriptions)"
  dotnet build bench/Vigil.OrleansBench -c Release -nologo -clp:ErrorsOnly >/dev/null
  start_cluster orleans
  dotnet bench/Vigil.OrleansBench/bin/Release/net10.0/Vigil.OrleansBench.dll \
    "${gateway_port[1]},${gateway_port[2]},${gateway_port[3]}" "http://127.0.0.1:${client_port[1]}" \
    "${silo_pid[1]},${silo_pid[2]},${silo_pid[3]}" 100 200 "$orleans_idle" 0 2>/dev/null | grep -Ev '^(warn|info|      )'
  stop_cluster
fi

echo "== kill -9 of the sequencer's silo -> first put through another silo"
for round in $(seq 1 "$rounds"); do
  start_cluster "failover$round"
  etcdctl --endpoints="127.0.0.1:${client_port[1]}" put /warm x >/dev/null
  host=
  for _ in $(seq 1 100); do
    for i in 1 2 3; do
      if curl -s --max-time 2 "http://127.0.0.1:${metrics_port[$i]}/metrics" | grep -q 'vigil_hosted{grain="revision-sequencer"} 1'; then
        host=$i
      fi
    done
    [ -n "$host" ] && break
    sleep 0.1
  done
  [ -n "$host" ] || { echo "cluster.sh: no silo reports the sequencer" >&2; exit 1; }
  other=$(( host % 3 + 1 ))
  # Watch membership from a third silo while the put loop runs.
  third=$(( other % 3 + 1 ))
  rm -f "$work/dead_at"
  (
    # A failed call (the member registry may have lived on the killed silo) proves nothing.
    until members=$(etcdctl --endpoints="127.0.0.1:${client_port[$third]}" --command-timeout=1s member list 2>/dev/null) \
        && ! grep -q "127.0.0.1:${client_port[$host]}" <<<"$members"; do
      sleep 0.02
    done
    now_ms >"$work/dead_at"
  ) &
  watcher=$!
  killed_at=$(now_ms)
  kill -9 "${silo_pid[$host]}"
  wait "${silo_pid[$host]}" 2>/dev/null || true
  first=
  for attempt in $(seq 1 600); do
    if etcdctl --endpoints="127.0.0.1:${client_port[$other]}" --command-timeout=1s put /after-kill "$attempt" >/dev/null 2>&1; then
      first=$(now_ms)
      break
    fi
  done
  [ -n "$first" ] || { echo "cluster.sh: no put succeeded within 600 tries" >&2; exit 1; }
  wait "$watcher" || true
  echo "round $round: sequencer on silo $host killed; first put through silo $other after $((first - killed_at)) ms;" \
    "gone from silo $third's member list after $(( $(cat "$work/dead_at") - killed_at )) ms"
  stop_cluster
done
