#!/usr/bin/env bash
# Runs before every start of the containers: the tag each delivered image last released, from the
# pipeline's release parameters, so a rebooted or replaced host runs what was released. Without a
# pipeline (no APP_RELEASE_PATH) the file stays empty and the definitions' tags apply.
set -euo pipefail
releases=/etc/app-host/release.env
if [[ -z "${APP_RELEASE_PATH:-}" ]]; then
  : >"$releases"
  exit 0
fi
aws ssm get-parameters-by-path --region "$APP_REGION" --path "$APP_RELEASE_PATH" \
  --query 'Parameters[].[Name,Value]' --output text |
  while read -r name value; do
    repository="${name##*/}"
    repository="${repository^^}"
    printf 'APP_RELEASE_%s=%s\n' "${repository//-/_}" "$value"
  done >"$releases.new"
mv "$releases.new" "$releases"
