#!/usr/bin/env bash
# Prints the bin directory of a Node of the major the Dockerfile's stages run on
# (`FROM node:<major>-...`), so CI and the container check run that Node without a container
# engine. The binary is the official one, from the npm registry (package node-<platform>-<arch>),
# installed into a cache directory and refreshed to the newest release of that major.
set -euo pipefail
cd "$(dirname "$0")/.."

majors=$(sed -nE 's/^FROM node:([0-9]+)-.*/\1/p' Dockerfile | sort -u)
if [ -z "$majors" ] || [ "$(printf '%s\n' "$majors" | wc -l)" -ne 1 ]; then
  echo "the Dockerfile's stages must all name one Node major (found: ${majors:-none})" >&2
  exit 1
fi
package="node-$(node -p process.platform)-$(node -p process.arch)"
dir="${IMAGE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/auth-service}/node-$majors"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$package@$majors" >&2
"$dir/node_modules/$package/bin/node" -e "process.exit(process.versions.node.split('.')[0] === '$majors' ? 0 : 1)"
echo "$dir/node_modules/$package/bin"
