#!/usr/bin/env bash
# Runs before every start of the containers: fresh secrets, a registry login, and every image
# pinned by digest: the tag the release file (or the definition) names is resolved in ECR once,
# here, and each service's APP_IMAGE_* variable in the release file names <repository>@sha256:…,
# so every compose command after this runs exactly that image. Then the pinned images are pulled.
set -euo pipefail
host_dir="${APP_HOST_DIR:-/etc/app-host}"
libexec="${APP_LIBEXEC:-/usr/local/libexec/app-host}"
releases="$host_dir/release.env"
"$libexec/render-env"
aws ecr get-login-password --region "$APP_REGION" | docker login --username AWS --password-stdin "$APP_REGISTRY"
set -a
# shellcheck source=/dev/null
. "$releases"
set +a
{ grep -v '^APP_IMAGE_' "$releases" || true; } >"$releases.pinned"
while IFS=$'\t' read -r variable repository release_variable tag; do
  [[ "$release_variable" == - ]] || tag="${!release_variable:-$tag}"
  digest=$(aws ecr describe-images --region "$APP_REGION" --repository-name "$repository" --image-ids imageTag="$tag" \
    --query 'imageDetails[0].imageDigest' --output text)
  [[ "$digest" == sha256:* ]] || { echo "no image $repository:$tag in ECR" >&2; exit 1; }
  printf '%s=%s/%s@%s\n' "$variable" "$APP_REGISTRY" "$repository" "$digest" >>"$releases.pinned"
done <"$host_dir/images.tsv"
mv "$releases.pinned" "$releases"
docker compose --project-name "$APP_NAME" --env-file "$releases" --file "$host_dir/compose.json" pull --quiet
