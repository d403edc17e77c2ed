#!/usr/bin/env bash
# Builds (once, then caches by version) kube-apiserver, kube-controller-manager, kube-scheduler, etcd and
# etcdctl from Go modules through the module proxy, and prints the directory that holds them.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
cache=${LAUNCH_CACHE:-$HOME/.cache/launch-operator}
bin="$cache/kube-$KUBE_VERSION-etcd-$ETCD_VERSION/bin"
want=(kube-apiserver kube-controller-manager kube-scheduler etcd etcdctl)

have_all() { for b in "${want[@]}"; do [ -x "$bin/$b" ] || return 1; done; }
if have_all; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "kube-binaries: Go is required (install golang or put go on PATH)" >&2; exit 1; }
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS="-buildvcs=false -trimpath" CGO_ENABLED=0

# k8s.io/kubernetes is not meant to be a dependency: its go.mod replaces each k8s.io staging module with a
# local path. A consumer module must pin each of them to the matching published v0.x version instead.
cd "$work"
go mod init launch.dev/kubebin >/dev/null 2>&1
staging_version="v0.${KUBE_VERSION#v1.}"
go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" > kube.json
gomod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' kube.json)
{
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" |
    awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
} >> go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
go mod tidy -e >/dev/null 2>&1 || true
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$bin/$c" ] && continue
  echo "kube-binaries: building $c $KUBE_VERSION" >&2
  go build -ldflags "$ldflags" -o "$bin/$c.tmp" "k8s.io/kubernetes/cmd/$c"
  mv "$bin/$c.tmp" "$bin/$c"
done

if [ ! -x "$bin/etcd" ] || [ ! -x "$bin/etcdctl" ]; then
  # etcd's modules carry replace directives, so `go install module@version` refuses them; a consumer module
  # that requires the published versions builds the same binaries.
  echo "kube-binaries: building etcd $ETCD_VERSION" >&2
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init launch.dev/etcdbin >/dev/null 2>&1
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
GO
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION" >/dev/null 2>&1
  go mod tidy -e >/dev/null 2>&1 || true
  go build -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
  go build -ldflags "-s -w" -o "$bin/etcdctl" go.etcd.io/etcd/etcdctl/v3
fi
have_all || { echo "kube-binaries: build incomplete in $bin" >&2; exit 1; }
echo "$bin"
