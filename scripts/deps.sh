#!/usr/bin/env bash
# Installs every Debian package the build and the tests need; quick (one dpkg query) when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates openssl curl
  nlohmann-json3-dev libyaml-cpp-dev libssl-dev libspdlog-dev libcpp-httplib-dev
  libcli11-dev zlib1g-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang-format clang-tidy
  docker.io docker-registry busybox-static apache2-utils iproute2 golang-go
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Go may come from a tarball install rather than Debian's golang-go: accept either.
if command -v go >/dev/null 2>&1; then
  missing=("${missing[@]/golang-go/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
