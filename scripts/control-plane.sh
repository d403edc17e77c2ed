#!/usr/bin/env bash
# Starts and stops a private Kubernetes control plane on loopback (etcd + kube-apiserver, and with --full
# kube-controller-manager + kube-scheduler + one fake Node) for tests and local runs.
#
#   control-plane.sh start DIR [--full] [--owner-pid PID]   # prints DIR/env; KUBECONFIG=DIR/kubeconfig
#   control-plane.sh stop DIR                               # stops everything started in DIR
#   control-plane.sh restart-apiserver DIR                  # kill kube-apiserver and start it again
#   control-plane.sh stop-apiserver DIR | start-apiserver DIR
#   control-plane.sh start-apiserver2 DIR | stop-apiserver2 DIR  # a second kube-apiserver on the same etcd
#                                                                # (kubeconfig-2), to write while the first is down
#
# Ports are picked free at start; certificates are fresh for every start. With --owner-pid, a watchdog
# stops the control plane when that process exits, so a crashed test never leaves servers behind.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: control-plane.sh start|stop|restart-apiserver DIR}
dir=${2:?usage: control-plane.sh $cmd DIR}
shift 2
full=0
owner=""
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --owner-pid) owner=$2; shift ;;
    *) echo "control-plane: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
READY_TIMEOUT=${READY_TIMEOUT:-180}

log() { echo "control-plane: $*" >&2; }

free_port() {
  local p
  for _ in $(seq 1 100); do
    # Below Linux's ephemeral range (32768-60999), so no outgoing connection takes the port before it is bound.
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      if ! grep -qs "=$p\$" "$dir/ports" 2>/dev/null; then echo "$p"; return; fi
    fi
  done
  log "no free port found"; exit 1
}

stop_pid() { # name: stop one process by its pid file, TERM then KILL
  local f="$dir/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

start_bg() { # name cmd...: start a process in the background with its log and pid file
  local name=$1; shift
  setsid "$@" >>"$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}

gen_certs() {
  local p="$dir/pki"
  mkdir -p "$p"
  ( cd "$p"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
      -days 2 -subj "/CN=launch-test-ca" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout apiserver.key \
      -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' > apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 2 \
      -extfile apiserver.ext 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout admin.key -out admin.csr \
      -subj "/O=system:masters/CN=launch-admin" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 2 \
      -extfile client.ext 2>/dev/null
    # A static bearer token for tests of token and exec-plugin authentication.
    echo "$(openssl rand -hex 16),launch-token-user,launch-token-user,system:masters" > tokens.csv
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
    openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.srl )
}

write_kubeconfig() { # [port] [file]
  local b64='base64 -w0' port=${1:-$APISERVER_PORT} file=${2:-$dir/kubeconfig}
  cat > "$file" <<KC
apiVersion: v1
kind: Config
clusters:
- name: launch-test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $($b64 < "$dir/pki/ca.crt")
users:
- name: launch-admin
  user:
    client-certificate-data: $($b64 < "$dir/pki/admin.crt")
    client-key-data: $($b64 < "$dir/pki/admin.key")
contexts:
- name: launch-test
  context:
    cluster: launch-test
    user: launch-admin
    namespace: default
current-context: launch-test
KC
}

api() { # METHOD PATH BODY: a call to the API server as the admin user (PATCH bodies are merge patches)
  local type=application/json
  [ "$1" != PATCH ] || type=application/merge-patch+json
  curl -fsS --max-time 10 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
    -X "$1" -H "Content-Type: $type" --data-binary "$3" "https://127.0.0.1:$APISERVER_PORT$2" >/dev/null
}

wait_ready() { # url what: the process named `what` must stay alive meanwhile
  local deadline=$((SECONDS + READY_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if [ -f "$dir/$2.pid" ] && ! kill -0 "$(cat "$dir/$2.pid")" 2>/dev/null; then
      log "$2 exited; last log lines:"
      tail -n 20 "$dir/$2.log" >&2 || true
      return 1
    fi
    if curl -fsS --max-time 2 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
        "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "$2 did not become ready within ${READY_TIMEOUT}s; last log lines:"
  tail -n 20 "$dir/$2.log" >&2 || true
  return 1
}

start_apiserver() { # [name] [port]
  local name=${1:-kube-apiserver} port=${2:-$APISERVER_PORT}
  start_bg "$name" "$BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --tls-cert-file="$dir/pki/apiserver.crt" --tls-private-key-file="$dir/pki/apiserver.key" \
    --client-ca-file="$dir/pki/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$dir/pki/sa.pub" \
    --service-account-signing-key-file="$dir/pki/sa.key" --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=RBAC --allow-privileged=true --profiling=false \
    --enable-priority-and-fairness=false --endpoint-reconciler-type=none \
    --token-auth-file="$dir/pki/tokens.csv" --cert-dir="$dir/pki/generated" --v=1
  wait_ready "https://127.0.0.1:$port/readyz" "$name"
}

start_full() {
  KUBE_VERSION_TEXT=$("$BIN/kube-apiserver" --version | awk '{print $2}')
  cp "$dir/kubeconfig" "$dir/controller.kubeconfig"
  start_bg kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$dir/controller.kubeconfig" --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --service-account-private-key-file="$dir/pki/sa.key" --root-ca-file="$dir/pki/ca.crt" \
    --controllers='*,-nodelifecycle,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route,-bootstrapsigner,-tokencleaner' \
    --leader-elect=false --use-service-account-credentials=false --concurrent-job-syncs=5 \
    --concurrent-gc-syncs=5 --v=1
  start_bg kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$dir/controller.kubeconfig" --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" \
    --leader-elect=false --v=1
  # The fake node: registered with capacity and a Ready condition. The node-lifecycle controller is off,
  # so nothing taints or evicts it for lack of kubelet heartbeats.
  local now; now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  api POST "/api/v1/nodes" '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "launch-node-0",
    "labels": {"kubernetes.io/hostname": "launch-node-0", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}}}'
  api PATCH "/api/v1/nodes/launch-node-0/status" "{
    \"status\": {\"capacity\": {\"cpu\": \"64\", \"memory\": \"256Gi\", \"pods\": \"500\"},
                 \"allocatable\": {\"cpu\": \"64\", \"memory\": \"256Gi\", \"pods\": \"500\"},
                 \"conditions\": [{\"type\": \"Ready\", \"status\": \"True\", \"reason\": \"KubeletReady\",
                   \"message\": \"launch test node\", \"lastHeartbeatTime\": \"$now\", \"lastTransitionTime\": \"$now\"}],
                 \"nodeInfo\": {\"kubeletVersion\": \"$KUBE_VERSION_TEXT\", \"operatingSystem\": \"linux\", \"architecture\": \"amd64\",
                   \"containerRuntimeVersion\": \"launch-test://1\", \"kernelVersion\": \"\", \"osImage\": \"\", \"kubeProxyVersion\": \"\",
                   \"machineID\": \"\", \"systemUUID\": \"\", \"bootID\": \"\"}}}"
  # Admission taints every new Node not-ready; the node-lifecycle controller would lift it once the node
  # reports Ready, but it is off here, so lift it as that controller would.
  api PATCH "/api/v1/nodes/launch-node-0" '{"spec":{"taints":null}}'
}

case "$cmd" in
start)
  BIN=$("$here/kube-binaries.sh")
  mkdir -p "$dir"
  [ ! -f "$dir/etcd.pid" ] || { log "already running in $dir"; exit 1; }
  : > "$dir/ports"
  ETCD_PORT=$(free_port); echo "ETCD_PORT=$ETCD_PORT" >> "$dir/ports"
  ETCD_PEER_PORT=$(free_port); echo "ETCD_PEER_PORT=$ETCD_PEER_PORT" >> "$dir/ports"
  APISERVER_PORT=$(free_port); echo "APISERVER_PORT=$APISERVER_PORT" >> "$dir/ports"
  KCM_PORT=$(free_port); echo "KCM_PORT=$KCM_PORT" >> "$dir/ports"
  SCHED_PORT=$(free_port); echo "SCHED_PORT=$SCHED_PORT" >> "$dir/ports"
  APISERVER2_PORT=$(free_port); echo "APISERVER2_PORT=$APISERVER2_PORT" >> "$dir/ports"
  gen_certs
  # Another control plane starting at the same moment may have picked the same free port: etcd then exits
  # at once, and is started again on new ports.
  member="launch-$$-$RANDOM"  # to tell our etcd from another one that answers on the same port
  ours() { curl -fsS --max-time 2 -X POST -d '{}' "http://127.0.0.1:$ETCD_PORT/v3/cluster/member/list" 2>/dev/null |
    grep -q "\"name\":\"$member\""; }
  for attempt in 1 2 3; do
    start_bg etcd "$BIN/etcd" --name="$member" --data-dir="$dir/etcd-data" \
      --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster="$member=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level=warn
    deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ] && kill -0 "$(cat "$dir/etcd.pid")" 2>/dev/null && ! ours; do sleep 0.1; done
    ours && break
    kill "$(cat "$dir/etcd.pid")" 2>/dev/null || true
    rm -f "$dir/etcd.pid"
    [ "$attempt" -lt 3 ] || { log "etcd did not start; last log lines:"; tail -n 20 "$dir/etcd.log" >&2; exit 1; }
    log "etcd did not start on ports $ETCD_PORT/$ETCD_PEER_PORT; trying others"
    rm -rf "$dir/etcd-data"
    ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port)
    sed -i -e "s/^ETCD_PORT=.*/ETCD_PORT=$ETCD_PORT/" -e "s/^ETCD_PEER_PORT=.*/ETCD_PEER_PORT=$ETCD_PEER_PORT/" "$dir/ports"
  done
  if [ -n "$owner" ]; then
    ( trap '' HUP; while kill -0 "$owner" 2>/dev/null && [ -f "$dir/etcd.pid" ]; do sleep 1; done
      [ -f "$dir/etcd.pid" ] && "$0" stop "$dir" ) >/dev/null 2>&1 < /dev/null &
    echo $! > "$dir/watchdog.pid"
  fi
  write_kubeconfig
  start_apiserver
  [ $full -eq 0 ] || start_full
  {
    echo "KUBECONFIG=$dir/kubeconfig"
    echo "APISERVER_URL=https://127.0.0.1:$APISERVER_PORT"
    echo "ETCD_ENDPOINT=http://127.0.0.1:$ETCD_PORT"
    echo "ETCDCTL=$BIN/etcdctl"
    echo "TOKEN=$(cut -d, -f1 "$dir/pki/tokens.csv")"
    echo "KUBE_BIN=$BIN"
    echo "FULL=$full"
  } > "$dir/env"
  cat "$dir/env"
  ;;
stop)
  for n in kube-scheduler kube-controller-manager kube-apiserver-2 kube-apiserver etcd; do stop_pid "$n"; done
  if [ -f "$dir/watchdog.pid" ]; then kill "$(cat "$dir/watchdog.pid")" 2>/dev/null || true; rm -f "$dir/watchdog.pid"; fi
  ;;
stop-apiserver)
  stop_pid kube-apiserver
  ;;
stop-apiserver2)
  stop_pid kube-apiserver-2
  ;;
start-apiserver2)
  BIN=$("$here/kube-binaries.sh")
  source "$dir/ports"
  write_kubeconfig "$APISERVER2_PORT" "$dir/kubeconfig-2"
  start_apiserver kube-apiserver-2 "$APISERVER2_PORT"
  echo "KUBECONFIG=$dir/kubeconfig-2"
  ;;
start-apiserver|restart-apiserver)
  BIN=$("$here/kube-binaries.sh")
  source "$dir/ports"
  stop_pid kube-apiserver
  start_apiserver
  ;;
*) echo "control-plane: unknown command $cmd" >&2; exit 2 ;;
esac
