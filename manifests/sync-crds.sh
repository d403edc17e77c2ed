#!/usr/bin/env bash
# Copies crds/*.yaml into the kustomize install and the Helm chart (both need their own copies); InstallIT fails when they drift.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for target in "$root/manifests/crds" "$root/helm/launch-operator/crds"; do
  mkdir -p "$target"
  rm -f "$target"/*.yaml
  cp "$root"/crds/*.yaml "$target"/
done
echo "sync-crds.sh: copied $(ls "$root"/crds/*.yaml | wc -l) CRDs into manifests/crds and helm/launch-operator/crds"
