#!/usr/bin/env bash
# First boot (cloud-init runcmd): Docker, the pinned compose plugin, the CloudWatch agent and the
# data volume, then the application's systemd units. Its output lands in the host's log group.
set -euo pipefail
set -a
# shellcheck source=/dev/null
. /etc/app-host/host.env
set +a

install_compose() {
  local plugin=/usr/local/lib/docker/cli-plugins/docker-compose
  mkdir -p "$(dirname "$plugin")"
  curl --fail --silent --show-error --location --retry 5 --output /tmp/docker-compose "$APP_COMPOSE_URL"
  echo "$APP_COMPOSE_SHA256  /tmp/docker-compose" | sha256sum --check --strict
  install -m 0755 /tmp/docker-compose "$plugin"
  rm -f /tmp/docker-compose
}

# Formats the data volume on its first attachment only, then mounts it by UUID.
mount_data_volume() {
  local device="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${APP_DATA_VOLUME_ID/-/}"
  for _ in $(seq 1 60); do
    [ -e "$device" ] && break
    sleep 5
  done
  [ -e "$device" ] || { echo "data volume $APP_DATA_VOLUME_ID never appeared at $device" >&2; exit 1; }
  blkid "$device" >/dev/null || mkfs -t xfs "$device"
  mkdir -p "$APP_DATA_MOUNT"
  local uuid
  uuid="$(blkid -s UUID -o value "$device")"
  grep -q "$uuid" /etc/fstab || echo "UUID=$uuid $APP_DATA_MOUNT xfs defaults,nofail 0 2" >>/etc/fstab
  mount -a
  mountpoint -q "$APP_DATA_MOUNT"
}

dnf install -y docker amazon-cloudwatch-agent
install_compose
if [ -n "${APP_DATA_VOLUME_ID:-}" ]; then mount_data_volume; fi
mkdir -p /var/log/app-host
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
  -c file:/etc/app-host/cloudwatch-agent.json
systemctl daemon-reload
systemctl enable --now docker.service
# The health timer first, so that a failed start is reported too.
systemctl enable --now app-host-health.timer
systemctl enable --now app-host.service
# The scheduled jobs' timers, once the containers they run beside are up.
for timer in /etc/systemd/system/app-job-*.timer; do
  if [[ -e "$timer" ]]; then systemctl enable --now "$(basename "$timer")"; fi
done
