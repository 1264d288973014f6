#!/usr/bin/env bash
# Runs before every start of the containers: fresh secrets, a registry login, the pinned images.
set -euo pipefail
/usr/local/libexec/app-host/render-env
aws ecr get-login-password --region "$APP_REGION" | docker login --username AWS --password-stdin "$APP_REGISTRY"
docker compose --project-name "$APP_NAME" --env-file /etc/app-host/release.env --file /etc/app-host/compose.json pull --quiet
