#!/usr/bin/env bash
# The whole set-up of a clone on a fresh Debian machine, in one command: installs the Debian packages lk-cluster
# needs that are missing (as root, else through sudo), saying which, then `npm ci`, which builds the mediasoup
# worker (cached outside the clone). Run from anywhere; extra arguments go to npm ci. .ci/run uses it too.
set -euo pipefail
cd "$(dirname "$0")/.."

# What each is for: redis-server, redis-tools: multi-node clusters and the tests. pkg-config .. flatbuffers-compiler:
# the mediasoup worker's offline build (scripts/mediasoup-worker/); dpkg-dev: its dpkg-source unpacks Debian's
# libsrtp2 source package, which that build compiles on OpenSSL. openssl: TLS tests. chromium: the browser test.
# iproute2: `ip`, with which the separate-hosts tests (test/netns) make their network namespaces.
packages=(redis-server redis-tools pkg-config ninja-build meson gcc g++ binutils openssl libssl-dev libuv1-dev
  libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler dpkg-dev chromium iproute2)

node_major=20
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: node and npm are not on PATH: install Node $node_major or newer (https://nodejs.org) first" >&2
  exit 1
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt "$node_major" ]; then
  echo "setup: node $(node --version) is too old: lk-cluster needs Node $node_major or newer" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    echo "setup: these Debian packages are missing and installing them needs root (or sudo): ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: every Debian package lk-cluster needs is installed"
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund "$@"
