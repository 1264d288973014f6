#!/bin/bash
# Makes this instance the VPC's NAT, as AWS's NAT instance guide does on Amazon Linux 2023:
# packets forwarded, the VPC's traffic masqueraded out of the default route's interface, and
# the rules saved where the iptables service restores them at every boot.
# Usage: nat-setup <vpc cidr>. No dollar-brace anywhere: this file travels in Terraform's JSON.
set -euo pipefail
vpc_cidr="$1"
rules="$(printenv NAT_RULES_FILE || echo /etc/sysconfig/iptables)"
sysctl --quiet --system
# The service first loads its default rules, which reject forwarded packets; then ours replace them.
systemctl enable --now iptables
interface="$(ip -o route show default | awk '{print $5; exit}')"
[[ -n "$interface" ]] || { echo "nat-setup: no default route" >&2; exit 1; }
iptables -t nat -C POSTROUTING -s "$vpc_cidr" -o "$interface" -j MASQUERADE 2>/dev/null ||
  iptables -t nat -A POSTROUTING -s "$vpc_cidr" -o "$interface" -j MASQUERADE
iptables -F FORWARD
iptables-save > "$rules"
echo "nat-setup: forwarding $vpc_cidr out of $interface"
