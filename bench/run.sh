#!/usr/bin/env bash
# Starts a throwaway server on free loopback ports, runs Vigil.Bench against it, stops it.
#   bench/run.sh vigil [bench flags...]     Vigil (Release build, SQLite in a temp dir)
#   bench/run.sh etcd  [bench flags...]     the installed etcd (/usr/bin/etcd), temp data dir
# To measure a server that is already running, call the benchmark directly:
#   dotnet run -c Release --project bench/Vigil.Bench -- --endpoints http://host:port
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-vigil}
shift || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data=$(mktemp -d /tmp/vigil-bench.XXXXXX)
port=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

dotnet build bench/Vigil.Bench -c Release -nologo -clp:ErrorsOnly >/dev/null
case "$target" in
  vigil)
    dotnet build src/Vigil.Silo -c Release -nologo -clp:ErrorsOnly >/dev/null
    # The silo's peer and gateway ports (defaults 2380, 30000) are free ones too, so a
    # bench never collides with tests or other silos on this machine.
    dotnet src/Vigil.Silo/bin/Release/net10.0/Vigil.Silo.dll --listen-client-urls "http://127.0.0.1:$port" \
      --listen-peer-urls "http://127.0.0.1:$(free_port)" --listen-gateway-urls "http://127.0.0.1:$(free_port)" \
      --data-dir "$data" --log-level Warning ${VIGIL_ARGS:-} >"$data/server.log" 2>&1 &
    pid=$!
    label="Vigil (SQLite)"
    ;;
  etcd)
    peer=$(free_port)
    etcd --name bench --data-dir "$data/etcd" --listen-client-urls "http://127.0.0.1:$port" \
      --advertise-client-urls "http://127.0.0.1:$port" --listen-peer-urls "http://127.0.0.1:$peer" \
      --initial-advertise-peer-urls "http://127.0.0.1:$peer" --initial-cluster "bench=http://127.0.0.1:$peer" \
      --log-level warn >"$data/server.log" 2>&1 &
    pid=$!
    label="etcd $(etcd --version | sed -n 's/etcd Version: //p')"
    ;;
  *)
    echo "usage: bench/run.sh vigil|etcd [bench flags...]" >&2
    exit 2
    ;;
esac

for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
dotnet bench/Vigil.Bench/bin/Release/net10.0/Vigil.Bench.dll --endpoints "http://127.0.0.1:$port" --label "$label" "$@"
