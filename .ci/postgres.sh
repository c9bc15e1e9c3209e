#!/usr/bin/env bash
# A throwaway PostgreSQL server for test/postgres (Debian's postgresql package, run as root).
#
#   .ci/postgres.sh            installs PostgreSQL if needed, starts a fresh cluster on
#                              127.0.0.1 at a random port with its data under /tmp, creates a
#                              database and prints, on stdout, exactly two lines:
#                                TEST_POSTGRES_URL=postgresql://…
#                                TEST_POSTGRES_DIR=/tmp/…
#   .ci/postgres.sh stop DIR   stops that cluster and deletes DIR.
#
# Usage from a CI script:  eval "$(.ci/postgres.sh)"; export TEST_POSTGRES_URL
# Everything else goes to stderr. The values contain no characters that need quoting.
set -euo pipefail
# runuser and friends live in sbin, which a minimal PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

log() { echo "[postgres] $*" >&2; }

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

if [ "${1:-}" = "stop" ]; then
  dir="${2:?usage: .ci/postgres.sh stop DIR}"
  case "$dir" in /tmp/pg-test.*) ;; *) echo "refusing to remove $dir" >&2; exit 2 ;; esac
  bindir=$(pg_bindir)
  if [ -f "$dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$bindir/pg_ctl" stop -D "$dir/data" -m immediate -s >&2 || true
  fi
  rm -rf "$dir"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "[postgres] run as root (it installs packages and starts the server as user postgres)" >&2
  exit 1
fi

# Install. apt-get install is a no-op when the package is current; the lists are refreshed only
# when the install cannot find what it needs.
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s%N)
if ! apt-get install -y -q postgresql >/dev/null 2>&1; then
  log "apt-get install failed with the current package lists; running apt-get update"
  apt-get update -q >&2
  apt-get install -y -q postgresql >&2
fi
bindir=$(pg_bindir) || { log "no initdb under /usr/lib/postgresql/*/bin after install"; exit 1; }
log "installed: $("$bindir/postgres" --version) ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"

# A fresh cluster owned by postgres, data and socket under /tmp.
t0=$(date +%s%N)
base=$(mktemp -d /tmp/pg-test.XXXXXXXX)
chown postgres:postgres "$base"
chmod 700 "$base"
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$base/pwfile"
chown postgres:postgres "$base/pwfile"
runuser -u postgres -- "$bindir/initdb" -D "$base/data" -U postgres --pwfile="$base/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-instructions >/dev/null
rm -f "$base/pwfile"

# Random port; retried when it turns out to be taken.
started=""
for _ in 1 2 3 4 5 6 7 8; do
  port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
  # Durability settings off: this cluster is thrown away after the tests.
  if runuser -u postgres -- "$bindir/pg_ctl" start -D "$base/data" -l "$base/server.log" -w -t 30 -s \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$base -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2; then
    started=yes
    break
  fi
  log "start on port $port failed; retrying"
  tail -n 5 "$base/server.log" >&2 || true
done
[ -n "$started" ] || { log "could not start PostgreSQL"; exit 1; }

db=tiktok_events_test
runuser -u postgres -- "$bindir/createdb" -h "$base" -p "$port" -U postgres "$db"
log "cluster up on 127.0.0.1:$port, data in $base ($(( ($(date +%s%N) - t0) / 1000000 )) ms); stop with: .ci/postgres.sh stop $base"

echo "TEST_POSTGRES_URL=postgresql://postgres:$password@127.0.0.1:$port/$db"
echo "TEST_POSTGRES_DIR=$base"
