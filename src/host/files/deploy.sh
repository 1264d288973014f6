#!/usr/bin/env bash
# Releases one commit on this host (run by the pipeline's SSM document, or by hand): every
# delivered image moves to the commit's tag, the release's migration (if any) runs with them,
# compose recreates what changed and waits for health checks, then the health check must pass. On failure the previous release is put back, and the
# exit status fails the command, so the pipeline stage fails.
set -euo pipefail
release="${1:-}"
[[ "$release" =~ ^[0-9a-f]{7,40}$ ]] || { echo "usage: deploy <commit id>" >&2; exit 2; }
set -a
# shellcheck source=/dev/null
. /etc/app-host/host.env
set +a
libexec=/usr/local/libexec/app-host
releases=/etc/app-host/release.env

start() {
  "$libexec/prepare" &&
    docker compose --project-name "$APP_NAME" --env-file "$releases" --file /etc/app-host/compose.json \
      up --detach --wait --wait-timeout 600 --remove-orphans &&
    "$libexec/health"
}

cp "$releases" "$releases.previous"
# Only the released tags move; prepare pins the images they name by digest.
sed -E "s/^(APP_RELEASE_[A-Z0-9_]+)=.*/\1=$release/" "$releases.previous" >"$releases"
# The migration runs with the new images before any container moves; if it fails, nothing did.
if [[ -e /etc/app-host/migrate.json ]] && ! { "$libexec/prepare" && "$libexec/migrate"; }; then
  mv "$releases.previous" "$releases"
  echo "release $release was not deployed: its migration failed" >&2
  exit 1
fi
if start; then
  rm -f "$releases.previous"
  echo "release $release is running and healthy"
  exit 0
fi
echo "release $release failed to start or to pass the health check; restoring the previous release" >&2
mv "$releases.previous" "$releases"
start || echo "the previous release is not healthy either" >&2
exit 1
