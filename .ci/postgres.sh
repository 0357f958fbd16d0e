#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL server for the history-store tests.
#
#   eval "$(.ci/postgres.sh start)"   # initdb + start on 127.0.0.1:<free port>, create a database,
#                                     # print `export DRIFTSCOPE_TEST_POSTGRES_URL=...`
#   pytest -m postgres tests/store
#   .ci/postgres.sh stop              # stop the server, delete its data folder
#
# The server lives in a fresh temp folder (initdb as the `postgres` user when run as root,
# else as the current user), listens on 127.0.0.1 only, uses password authentication, and is
# tuned for tests (fsync off). `start` also writes the exports to the state file
# ($DRIFTSCOPE_PG_STATE, default ${TMPDIR:-/tmp}/driftscope-postgres.env), so later shells
# can `source` it; `stop` reads it. Binaries: $PG_BINDIR, else pg_config, else the newest
# /usr/lib/postgresql/*/bin.
set -euo pipefail

STATE="${DRIFTSCOPE_PG_STATE:-${TMPDIR:-/tmp}/driftscope-postgres.env}"

pg_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then echo "$dir"; return; fi
    if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
        pg_config --bindir; return
    fi
    echo "postgres.sh: no PostgreSQL server binaries found (apt-get install postgresql," \
         "or set PG_BINDIR)" >&2
    exit 2
}

# run a command as the database owner (postgres refuses to run as root)
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

start() {
    if [[ -f "$STATE" ]]; then
        echo "postgres.sh: a server is already recorded in $STATE; run '$0 stop' first" >&2
        exit 2
    fi
    local bindir dir port password url
    bindir=$(pg_bindir)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/driftscope-pg.XXXXXX")
    chmod 755 "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
    password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    as_owner bash -c "umask 077; printf '%s\n' '$password' > '$dir/pwfile'"
    as_owner "$bindir/initdb" -D "$dir/data" -U driftscope --pwfile="$dir/pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner rm -f "$dir/pwfile"
    port=$(free_port)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=50" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    PGPASSWORD="$password" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U driftscope \
        driftscope_test
    url="postgresql://driftscope:${password}@127.0.0.1:${port}/driftscope_test"
    umask 077
    {
        echo "export DRIFTSCOPE_TEST_POSTGRES_URL='$url'"
        echo "export DRIFTSCOPE_PG_DIR='$dir'"
        echo "export DRIFTSCOPE_PG_BINDIR='$bindir'"
    } >"$STATE"
    cat "$STATE"
    echo "postgres.sh: PostgreSQL on 127.0.0.1:$port, data in $dir, exports in $STATE" >&2
}

stop() {
    if [[ ! -f "$STATE" ]]; then
        echo "postgres.sh: nothing to stop ($STATE not found)" >&2
        return 0
    fi
    # shellcheck disable=SC1090
    source "$STATE"
    if [[ -d "${DRIFTSCOPE_PG_DIR:-}/data" ]]; then
        as_owner "$DRIFTSCOPE_PG_BINDIR/pg_ctl" -D "$DRIFTSCOPE_PG_DIR/data" -m fast -w stop \
            >/dev/null || true
    fi
    if [[ "${DRIFTSCOPE_PG_DIR:-}" == *driftscope-pg.* ]]; then
        rm -rf "$DRIFTSCOPE_PG_DIR"
    fi
    rm -f "$STATE"
    echo "postgres.sh: stopped" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop   (eval \"\$($0 start)\" exports DRIFTSCOPE_TEST_POSTGRES_URL)" >&2
        exit 2
        ;;
esac
