#!/usr/bin/env bash
# Starts a throwaway Vigil silo (SQLite, free ports), runs Vigil.OrleansBench against it
# (Orleans client vs etcd gRPC watch delivery: N watchers of one key, and watchers of
# distinct keys; memory per idle subscription), stops it.
#   bench/orleans.sh [watchers=100] [events=1000] [idle=10000] [distinct=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data=$(mktemp -d /tmp/vigil-obench.XXXXXX)
port=$(free_port)
gateway=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

dotnet build bench/Vigil.OrleansBench -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build src/Vigil.Silo -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet src/Vigil.Silo/bin/Release/net10.0/Vigil.Silo.dll --listen-client-urls "http://127.0.0.1:$port" \
  --listen-peer-urls "http://127.0.0.1:$(free_port)" --listen-gateway-urls "http://127.0.0.1:$gateway" \
  --data-dir "$data" --log-level Warning >"$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
dotnet bench/Vigil.OrleansBench/bin/Release/net10.0/Vigil.OrleansBench.dll "$gateway" "http://127.0.0.1:$port" "$pid" "$@"
