/**
 * The reverse proxy's configuration, from the same routing the load balancer's listener rules
 * use: rules are tried in priority order; within a rule, paths and hosts must both match (as ALB
 * conditions do), any one of several values being enough.
 */
import type { ServiceConfig } from "../config/environment";

export interface CaddyfileProps {
  readonly services: readonly ServiceConfig[];
  /** With a domain, Caddy serves HTTPS with a certificate it obtains, and redirects HTTP. @default HTTP on port 80 */
  readonly domain?: string;
}

export function renderCaddyfile(props: CaddyfileProps): string {
  const routed = props.services
    .filter((svc) => svc.role === "web" && svc.routing && svc.port)
    .sort((a, b) => a.routing!.priority - b.routing!.priority);
  const matchers = routed.map((svc) => {
    const { paths, hosts } = svc.routing!;
    const lines = [...(paths.length ? [`path ${paths.join(" ")}`] : []), ...(hosts.length ? [`host ${hosts.join(" ")}`] : [])];
    return `\t@${svc.name} {\n${lines.map((l) => `\t\t${l}\n`).join("")}\t}`;
  });
  const routes = routed.map((svc) => `\t\treverse_proxy @${svc.name} ${svc.name}:${svc.port}`);
  return [
    "{",
    "\tadmin localhost:2019",
    "}",
    "",
    `${props.domain ?? ":80"} {`,
    "\tencode gzip",
    ...matchers,
    // `route` keeps the order as written: the first rule that matches answers.
    "\troute {",
    ...routes,
    "\t\trespond 404",
    "\t}",
    "}",
    "",
  ].join("\n");
}
