import { readFileSync } from "node:fs";
import { join } from "node:path";
import { filesDir } from "./cloud-init";

/** Where the NAT instance's setup script is written, and what it is run with. */
export const NAT_SETUP = "/usr/local/sbin/nat-setup";

/**
 * The NAT instance's user data: a cloud-config that installs the iptables service (over the
 * instance's own public address), turns IP forwarding on for good, and runs the setup script
 * (src/host/files/nat-setup.sh) with the VPC's range.
 */
export function renderNatCloudInit(vpcCidr: string): string {
  const config = {
    packages: ["iptables-services"],
    write_files: [
      { path: "/etc/sysctl.d/90-nat.conf", permissions: "0644", owner: "root:root", content: "net.ipv4.ip_forward = 1\n" },
      {
        path: NAT_SETUP,
        permissions: "0755",
        owner: "root:root",
        content: readFileSync(join(filesDir(), "nat-setup.sh"), "utf8"),
      },
    ],
    runcmd: [[NAT_SETUP, vpcCidr]],
  };
  return `#cloud-config\n${JSON.stringify(config)}`;
}
