#!/usr/bin/env bash
# Starts (idempotently) a private Docker engine and a local docker-registry on loopback for tests and local
# runs, and prints their environment (DOCKER_HOST, REGISTRY, REGISTRY_AUTH...). Needs root for dockerd.
#
#   docker-engine.sh start [DIR]   # DIR defaults to $LAUNCH_RUN_DIR or /tmp/launch-operator-docker
#   docker-engine.sh stop [DIR]
#
# Two registries run: an open one (REGISTRY) and one behind htpasswd basic auth (REGISTRY_AUTH, with
# REGISTRY_AUTH_USER / REGISTRY_AUTH_PASSWORD). The engine runs with --bridge=none: containers have no
# network, and images can only be built FROM scratch here.
set -euo pipefail

cmd=${1:-start}
dir=${2:-${LAUNCH_RUN_DIR:-/tmp/launch-operator-docker}}
log() { echo "docker-engine: $*" >&2; }
mkdir -p "$dir"
# Test binaries running in parallel start the same engine: one start at a time, so the second finds the
# first's daemons alive instead of racing it for the same files and ports.
exec 9>"$dir/.lock"  # the daemons below are started without it (9>&-), so it ends with this script
flock 9

alive() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  log "no free port found"; exit 1
}

wait_for() { # what check-command...
  local what=$1; shift
  for _ in $(seq 1 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "$what did not come up in 30s; see $dir/$what.log"; tail -n 20 "$dir/$what.log" >&2 || true; exit 1
}

start_registry() { # name port [htpasswd]
  local name=$1 port=$2 auth=${3:-}
  mkdir -p "$dir/$name-data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage: {filesystem: {rootdirectory: $dir/$name-data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port}"
    [ -z "$auth" ] || echo "auth: {htpasswd: {realm: launch-test, path: $auth}}"
  } > "$dir/$name.yml"
  setsid docker-registry serve "$dir/$name.yml" >>"$dir/$name.log" 2>&1 </dev/null 9>&- &
  echo $! > "$dir/$name.pid"
  wait_for "$name" curl -s -o /dev/null "http://127.0.0.1:$port/v2/"
}

case "$cmd" in
start)
  if [ "$(id -u)" -ne 0 ]; then log "dockerd needs root; run the tests as root or set DOCKER_HOST"; exit 1; fi
  if ! alive dockerd; then
    rm -f "$dir/docker.sock"
    setsid dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
      --host="unix://$dir/docker.sock" --data-root="$dir/data" --exec-root="$dir/exec" \
      --pidfile="$dir/dockerd.pid.own" --userland-proxy=false >>"$dir/dockerd.log" 2>&1 </dev/null 9>&- &
    echo $! > "$dir/dockerd.pid"
    wait_for dockerd curl -sf --unix-socket "$dir/docker.sock" http://docker/_ping
  fi
  if ! alive registry; then
    port=$(free_port); echo "$port" > "$dir/registry.port"
    start_registry registry "$port"
  fi
  if ! alive registry-auth; then
    port=$(free_port); echo "$port" > "$dir/registry-auth.port"
    htpasswd -Bbc "$dir/htpasswd" launch "launch-test-password" 2>/dev/null
    start_registry registry-auth "$port" "$dir/htpasswd"
  fi
  {
    echo "DOCKER_HOST=unix://$dir/docker.sock"
    echo "REGISTRY=127.0.0.1:$(cat "$dir/registry.port")"
    echo "REGISTRY_AUTH=127.0.0.1:$(cat "$dir/registry-auth.port")"
    echo "REGISTRY_AUTH_USER=launch"
    echo "REGISTRY_AUTH_PASSWORD=launch-test-password"
    echo "BUSYBOX=$(command -v busybox || echo /bin/busybox)"
  } > "$dir/env"
  cat "$dir/env"
  ;;
stop)
  for n in registry registry-auth dockerd; do
    if alive "$n"; then
      pid=$(cat "$dir/$n.pid"); kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$n.pid"
  done
  ;;
*) echo "docker-engine: unknown command $cmd" >&2; exit 2 ;;
esac
