#!/usr/bin/env bash
# No container engine runs here, so this replays the Dockerfile's stages outside Docker:
# build with all dependencies, install production dependencies only, then start the
# compiled service from that production tree (as the image would) and probe HEALTHCHECK's URL.
# Every stage runs on the Node major the Dockerfile names (from the npm registry), not on
# whatever Node this machine has: native modules and the service must work on the image's.
set -euo pipefail
cd "$(dirname "$0")/.."

PATH="$(deploy/image-node.sh):$PATH"
echo "container build check on Node $(node --version), as the Dockerfile's images"

work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

# Stage "build"
mkdir -p "$work/build"
cp package.json package-lock.json tsconfig.json tsconfig.build.json nest-cli.json "$work/build/"
cp -r src "$work/build/src"
cp -r admin-console "$work/build/admin-console"
mkdir -p "$work/build/packages/client"
cp -r packages/client/src "$work/build/packages/client/src"
(cd "$work/build" && npm ci --no-audit --no-fund --loglevel=error && npm run build:service --silent)

# Stage "deps"
mkdir -p "$work/app"
cp package.json package-lock.json "$work/app/"
(cd "$work/app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
if [ -d "$work/app/node_modules/jest" ] || [ -d "$work/app/node_modules/@nestjs/testing" ] || [ -d "$work/app/node_modules/eslint" ]; then
  echo "production install contains development dependencies" >&2
  exit 1
fi

# Final stage: dist + production node_modules, started the way CMD starts it.
cp -r "$work/build/dist" "$work/app/dist"
port=$((20000 + RANDOM % 20000))
(cd "$work/app" && PORT=$port DATA_DIR="$work/data" NODE_ENV=production LOG_LEVEL=warn node dist/main.js) &
pid=$!
for _ in $(seq 1 60); do
  if node -e "require('http').get('http://127.0.0.1:$port/health/live',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"; then
    # The admin console's page comes from the same production tree.
    node -e "require('http').get('http://127.0.0.1:$port/admin/',r=>process.exit(r.statusCode===200&&/script-src 'self'/.test(r.headers['content-security-policy'])?0:1)).on('error',()=>process.exit(1))" ||
      { echo "the production tree does not serve the admin console at /admin/" >&2; exit 1; }
    echo "container build check: production tree starts, /health/live answers 200, /admin/ serves the console"
    exit 0
  fi
  sleep 1
done
echo "the production tree did not become live" >&2
exit 1
