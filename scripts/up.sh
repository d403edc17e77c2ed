#!/usr/bin/env bash
# The main command: builds the project, starts the local control plane and the Docker engine (reusing them
# when they already run), runs launch-operator against them with the Docker backend, and runs the sample
# LaunchJob of crds/samples/local-docker.yaml on a Docker queue to the end.
#   scripts/up.sh                 # leaves the control plane running; prints how to use it
#   scripts/up.sh --check         # the same, then stops what it started (the e2e test runs this)
#   scripts/up.sh --build-dir DIR # use an existing build directory
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift ;;
    --check) check=1 ;;
    *) echo "up.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done

"$root/scripts/deps.sh"
"$root/scripts/build.sh" "$build" >/dev/null
run_dir=${LAUNCH_RUN_DIR:-/tmp/launch-operator}
plane="$run_dir/control-plane"
[ $check -eq 0 ] || plane=$(mktemp -d /tmp/launch-up-check-XXXXXX)

if [ -f "$plane/env" ] && curl -fsS --max-time 2 --cacert "$plane/pki/ca.crt" --cert "$plane/pki/admin.crt" \
     --key "$plane/pki/admin.key" "$(sed -n 's/^APISERVER_URL=//p' "$plane/env")/readyz" >/dev/null 2>&1; then
  echo "control plane: already running in $plane"
else
  "$root/scripts/control-plane.sh" stop "$plane" 2>/dev/null || true
  rm -rf "$plane"
  echo "control plane: starting in $plane"
  "$root/scripts/control-plane.sh" start "$plane" --full >/dev/null
fi
[ $check -eq 0 ] || trap '"$root/scripts/control-plane.sh" stop "$plane"; rm -rf "$plane"' EXIT

docker_env=$("$root/scripts/docker-engine.sh" start)
export $(echo "$docker_env" | grep '^DOCKER_HOST=')
busybox=$(echo "$docker_env" | sed -n 's/^BUSYBOX=//p')
"$build/operator/launch-operator" --probe --kubeconfig "$plane/kubeconfig"
export KUBECONFIG="$plane/kubeconfig"

# The demo image, FROM scratch (nothing can be pulled here), built through the Engine API.
context=$(mktemp -d)
cp "$busybox" "$context/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n' >"$context/Dockerfile"
tar -C "$context" -cf "$context.tar" Dockerfile busybox
socket=${DOCKER_HOST#unix://}
curl -fsS --unix-socket "$socket" -X POST -H 'Content-Type: application/x-tar' --data-binary "@$context.tar" \
  'http://docker/v1.41/build?t=launch-demo/hello:1' >"$context.log" || { cat "$context.log" >&2; exit 1; }
if grep -q '"error"' "$context.log"; then cat "$context.log" >&2; exit 1; fi
rm -rf "$context" "$context.tar" "$context.log"
echo "image: launch-demo/hello:1 built"

# The operator, with the Docker backend; one at a time.
mkdir -p "$run_dir"
[ $check -eq 0 ] || run_dir=$plane
pidfile="$run_dir/operator.pid"
if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
kubectl apply -f "$root/crds/" >/dev/null
for _ in $(seq 300); do  # until the API server serves the new kinds
  kubectl get launchqueues,launchagents,launchjobs >/dev/null 2>&1 && break
  sleep 0.2
done
"$build/operator/launch-operator" --kubeconfig "$plane/kubeconfig" --docker --metrics-bind-address 0 \
  --health-probe-bind-address 0 >"$run_dir/operator.log" 2>&1 &
echo $! >"$pidfile"
[ $check -eq 0 ] || trap 'kill "$(cat "$pidfile")" 2>/dev/null; "$root/scripts/control-plane.sh" stop "$plane"; rm -rf "$plane"' EXIT

# The sample job, from a clean slate, to the end.
kubectl delete launchjob hello --ignore-not-found --wait=true >/dev/null
kubectl apply -f "$root/crds/samples/local-docker.yaml" >/dev/null
if ! kubectl wait --for=jsonpath='{.status.phase}'=Succeeded launchjob/hello --timeout=120s >/dev/null; then
  echo "the sample LaunchJob did not succeed:" >&2
  kubectl get launchjob hello -o yaml >&2 || true
  tail -n 30 "$run_dir/operator.log" >&2
  exit 1
fi
kubectl get launchjobs
container=$(kubectl get launchjob hello -o jsonpath='{.status.backendRef}')
echo "output of ${container}:"
# One line of output: one 8-byte frame header, then the text.
curl -fsS --unix-socket "$socket" "http://docker/v1.41/containers/${container#docker/container/}/logs?stdout=1" |
  tail -c +9

if [ $check -eq 0 ]; then
  echo
  echo "Use it:  export KUBECONFIG=$plane/kubeconfig $(echo "$docker_env" | grep '^DOCKER_HOST=')"
  echo "         kubectl get launchqueues,launchagents,launchjobs"
  echo "Stop it: kill \$(cat $pidfile); scripts/control-plane.sh stop $plane; scripts/docker-engine.sh stop"
fi
