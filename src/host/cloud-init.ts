/**
 * The host's user data: a cloud-config that writes the compose project, the proxy configuration,
 * the scripts in ./files and the systemd units, then runs the first-boot installer. It holds no
 * secret: only where each secret is read from.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { HOST_DIR, RELEASES_FILE, type RenderedCompose } from "./compose";
import { ConfigError, problem } from "../config/errors";

const LIBEXEC = "/usr/local/libexec/app-host";
/** Releases one commit on the host: what the pipeline's SSM document runs. */
export const DEPLOY_SCRIPT = `${LIBEXEC}/deploy`;
/** EC2 refuses user data over 16 KiB. */
const MAX_USER_DATA_BYTES = 16 * 1024;

export interface CloudInitProps {
  /** The environment's name, for the error when the user data is too large. */
  readonly environment: string;
  /** Settings of the scripts and units (APP_*), in /etc/app-host/host.env. */
  readonly settings: Readonly<Record<string, string>>;
  readonly compose: RenderedCompose;
  readonly caddyfile: string;
  /** The CloudWatch agent's configuration. */
  readonly cloudWatchAgent: unknown;
  /** Mount point the containers' unit waits for. @default none */
  readonly dataMount?: string;
}

interface WriteFile {
  path: string;
  permissions: string;
  owner: "root:root";
  encoding?: "gz+b64";
  content: string;
}

/** A file whose content holds cdktf references: written as text, its literal parts escaped by the caller. */
function file(path: string, content: string, permissions = "0644"): WriteFile {
  return { path, permissions, owner: "root:root", content };
}

/**
 * A file known in full at synth time, compressed: EC2 takes 16 KiB of user data, and base64 holds
 * no `${` for Terraform to read.
 */
function staticFile(path: string, content: string, permissions = "0644"): WriteFile {
  return { path, permissions, owner: "root:root", encoding: "gz+b64", content: gzipSync(content).toString("base64") };
}

/** src/host/files, found from the project root: this module runs from src/ under jest and from dist/src/ when built. */
function filesDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return join(dir, "src", "host", "files");
}

function script(path: string, name: string): WriteFile {
  return staticFile(path, readFileSync(join(filesDir(), name), "utf8"), "0755");
}

function units(dataMount?: string): WriteFile[] {
  const compose = `/usr/bin/docker compose --project-name \${APP_NAME} --env-file ${RELEASES_FILE} --file ${HOST_DIR}/compose.json`;
  return [
    staticFile(
      "/etc/systemd/system/app-host.service",
      [
        "[Unit]",
        "Description=Application containers (docker compose)",
        "Requires=docker.service",
        "After=docker.service network-online.target",
        "Wants=network-online.target",
        ...(dataMount ? [`RequiresMountsFor=${dataMount}`] : []),
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `EnvironmentFile=${HOST_DIR}/host.env`,
        `ExecStartPre=${LIBEXEC}/read-releases`,
        `ExecStartPre=${LIBEXEC}/prepare`,
        // --wait: the start fails unless every container with a health check turns healthy.
        `ExecStart=${compose} up --detach --wait --wait-timeout 600 --remove-orphans`,
        `ExecStop=${compose} down`,
        "TimeoutStartSec=900",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
      ].join("\n"),
    ),
    staticFile(
      "/etc/systemd/system/app-host-health.service",
      [
        "[Unit]",
        "Description=Application health report",
        "",
        "[Service]",
        "Type=oneshot",
        `EnvironmentFile=${HOST_DIR}/host.env`,
        `ExecStart=${LIBEXEC}/health`,
        "",
      ].join("\n"),
    ),
    staticFile(
      "/etc/systemd/system/app-host-health.timer",
      [
        "[Unit]",
        "Description=Application health report every minute",
        "",
        "[Timer]",
        "OnBootSec=2min",
        "OnUnitActiveSec=1min",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
      ].join("\n"),
    ),
  ];
}

export function renderCloudInit(props: CloudInitProps): string {
  const settings = Object.entries(props.settings)
    .map(([name, value]) => `${name}=${value}\n`)
    .join("");
  const config = {
    write_files: [
      file(`${HOST_DIR}/host.env`, settings),
      file(RELEASES_FILE, ""),
      staticFile(`${HOST_DIR}/compose.json`, JSON.stringify(props.compose.file, null, 2)),
      staticFile(`${HOST_DIR}/Caddyfile`, props.caddyfile),
      file(`${HOST_DIR}/secrets.json`, JSON.stringify(props.compose.secrets), "0600"),
      file(`${HOST_DIR}/health-checks.json`, JSON.stringify(props.compose.healthChecks)),
      staticFile(`${HOST_DIR}/cloudwatch-agent.json`, JSON.stringify(props.cloudWatchAgent, null, 2)),
      script(`${LIBEXEC}/install`, "install.sh"),
      script(`${LIBEXEC}/read-releases`, "read-releases.sh"),
      script(`${LIBEXEC}/prepare`, "prepare.sh"),
      script(DEPLOY_SCRIPT, "deploy.sh"),
      script(`${LIBEXEC}/render-env`, "render-env.py"),
      script(`${LIBEXEC}/health`, "health.py"),
      ...units(props.dataMount),
    ],
    runcmd: [[`${LIBEXEC}/install`]],
  };
  // JSON is YAML: cloud-init reads it as a cloud-config.
  const userData = `#cloud-config\n${JSON.stringify(config)}\n`;
  const size = sizeBound(userData);
  if (size > MAX_USER_DATA_BYTES) {
    const message = `the host's user data (compose file, settings, scripts) may reach ${size} bytes and EC2 accepts ${MAX_USER_DATA_BYTES}: move long values out of the services' environment (into secrets, or the image)`;
    throw new ConfigError([problem(props.environment, "services", message)]);
  }
  return userData;
}

/** An upper bound of the user data's size once Terraform resolves it: a reference's address and attribute take up to 200 bytes. */
function sizeBound(userData: string): number {
  const references = userData.match(/\$\{TfToken\[[^\]]+\]\}/g)?.length ?? 0;
  return Buffer.byteLength(userData) + references * 200;
}
