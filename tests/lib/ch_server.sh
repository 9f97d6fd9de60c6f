# A private clickhouse-server (Debian's package, 18.16 on Debian 12) for
# the tests and the benchmarks: its own configuration and data in a
# directory (its parents must be open to nobody), 127.0.0.1 at two free
# high ports, never run as root. Sourced:
#   . tests/lib/ch_server.sh
#   ch_setup DIR        config in DIR; sets ch_url (HTTP) and ch_tport (native)
#   ch_start / ch_stop  start (waits until it answers; 1 if it does not) / stop
#   chq ARGS...         clickhouse-client on it
# ch_spid is the server's pid while it runs. ch_available says whether
# clickhouse-server and clickhouse-client are installed.
ch_server=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
ch_spid=

ch_available() {
    [ -x "$ch_server" ] && command -v clickhouse-client >/dev/null
}

# A free high TCP port.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        ss -Htln "sport = :$p" | grep -q . || { echo $p; return; }
    done
}

ch_setup() { # dir
    ch_dir=$1
    mkdir -p "$ch_dir"
    ch_hport=$(free_port)
    ch_tport=$(free_port)
    while [ "$ch_tport" = "$ch_hport" ]; do ch_tport=$(free_port); done
    ch_url="http://127.0.0.1:$ch_hport/"
    cat >"$ch_dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$ch_dir/server.log</log><errorlog>$ch_dir/server.err.log</errorlog></logger>
    <http_port>$ch_hport</http_port>
    <tcp_port>$ch_tport</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <path>$ch_dir/data/</path>
    <tmp_path>$ch_dir/tmp/</tmp_path>
    <user_files_path>$ch_dir/user_files/</user_files_path>
    <format_schema_path>$ch_dir/format_schemas/</format_schema_path>
    <users_config>$ch_dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <timezone>UTC</timezone>
</yandex>
EOF
    cat >"$ch_dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
EOF
    # Never as root: as nobody when the caller runs as root.
    ch_as_user=()
    if [ "$(id -u)" -eq 0 ]; then
        chown -R nobody:nogroup "$ch_dir"
        ch_as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    fi
}

ch_start() { # [command prefix, e.g. taskset -c 0]
    "$@" "${ch_as_user[@]}" "$ch_server" --config-file="$ch_dir/config.xml" >"$ch_dir/out" 2>&1 &
    ch_spid=$!
    for _ in $(seq 600); do
        [ "$(curl -s "$ch_url" 2>/dev/null)" = "Ok." ] && return 0
        kill -0 "$ch_spid" 2>/dev/null || break
        sleep 0.1
    done
    echo "clickhouse-server did not start:"
    tail -5 "$ch_dir/out" "$ch_dir/server.err.log" 2>/dev/null
    return 1
}

ch_stop() { # [signal]
    [ -z "$ch_spid" ] && return
    kill "-${1:-TERM}" "$ch_spid"
    wait "$ch_spid" 2>/dev/null
    ch_spid=
}

chq() { clickhouse-client --host 127.0.0.1 --port "$ch_tport" "$@"; }
