#!/usr/bin/env bash
# Installs Helm (a pinned version, built with `go install` from the Go module proxy) into the cache once,
# and prints the path of the helm binary.
set -euo pipefail
HELM_VERSION=${HELM_VERSION:-v3.19.0}
cache=${LAUNCH_CACHE:-$HOME/.cache/launch-operator}
bin="$cache/helm-$HELM_VERSION/bin"
if [ ! -x "$bin/helm" ]; then
  command -v go >/dev/null || { echo "helm.sh: Go is required to build Helm" >&2; exit 1; }
  echo "helm.sh: building helm $HELM_VERSION" >&2
  mkdir -p "$bin"
  GOBIN="$bin" GOFLAGS="-buildvcs=false -trimpath" CGO_ENABLED=0 go install -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
echo "$bin/helm"
