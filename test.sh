#!/usr/bin/env bash
# Runs Vigil's whole test suite: installs what the tests need (PostgreSQL 15 server
# binaries, etcd 3.4 server and etcdctl) when missing, builds, runs every test project,
# and ends with one line "N passed, M failed". Exit code 0 only when nothing failed.
#
#   ./test.sh                 everything
#   ./test.sh <filter>        only tests whose full name contains <filter>
set -uo pipefail
cd "$(dirname "$0")"

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
command -v etcdctl >/dev/null 2>&1 || need_apt+=(etcd-client)
# The compatibility tests compare Vigil with a real etcd 3.4 server.
[ -x /usr/bin/etcd ] || command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: ${need_apt[*]} missing and not running as root; install them with apt-get" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null || {
    echo "test.sh: apt-get install ${need_apt[*]} failed" >&2
    exit 2
  }
fi

results=$(mktemp -d /tmp/vigil-test-results.XXXXXX)
trap 'rm -rf "$results"' EXIT

dotnet build Vigil.sln -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed (build)"; exit 1; }

filter_args=()
[ $# -gt 0 ] && filter_args=(--filter "FullyQualifiedName~$1")

status=0
for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" "${filter_args[@]}" || status=1
done

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done

# A test host that crashed leaves no counters behind; count it as a failure, not silence.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
