/**
 * The host's user data: a cloud-config that writes the compose project, the proxy configuration,
 * the scripts in ./files and the systemd units, then runs the first-boot installer. It holds no
 * secret: only where each secret is read from.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { HOST_DIR, IMAGES_FILE, RELEASES_FILE, renderImagesFile, type RenderedCompose } from "./compose";
import { tar, type TarEntry } from "./tar";
import { type HostJobUnits, JOBS_FILE } from "./jobs";
import { ConfigError, problem } from "../config/errors";

const LIBEXEC = "/usr/local/libexec/app-host";
/** Releases one commit on the host: what the pipeline's SSM document runs. */
export const DEPLOY_SCRIPT = `${LIBEXEC}/deploy`;
/** Runs one scheduled job: what each job's systemd service starts. */
export const RUN_JOB_SCRIPT = `${LIBEXEC}/run-job`;
/** The host's settings (APP_*), which every script and unit reads. */
export const HOST_SETTINGS_FILE = `${HOST_DIR}/host.env`;
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
  /** The scheduled jobs' units and run-job's settings. @default no jobs */
  readonly jobs?: HostJobUnits;
  /** The release's migration, which the deploy script and the containers' unit run first. @default none */
  readonly migration?: HostMigration;
}

/** What migrate reads: the service it runs as, its command, its limit, and the log group its output goes to. */
export interface HostMigration {
  readonly service: string;
  readonly command: readonly string[];
  readonly timeoutMinutes: number;
  readonly logGroup: string;
}

/** Where the migrate script reads the release's migration. */
const MIGRATION_FILE = `${HOST_DIR}/migrate.json`;

interface WriteFile {
  path: string;
  permissions: string;
  owner: "root:root";
  encoding?: "b64";
  content: string;
}

/** A file whose content holds cdktf references: written as text, its literal parts escaped by the caller. */
function file(path: string, content: string, permissions = "0644"): WriteFile {
  return { path, permissions, owner: "root:root", content };
}

/**
 * A file known in full at synth time: it travels in the gzipped tarball of static files, which
 * compresses far better than each file alone (EC2 takes 16 KiB of user data), and whose base64
 * holds no `${` for Terraform to read.
 */
function staticFile(path: string, content: string, permissions = "0644"): TarEntry {
  if (content.includes("${TfToken[")) throw new Error(`${path} holds a Terraform reference; write it with file()`);
  return { path: path.replace(/^\//, ""), content, mode: permissions };
}

/** Where the tarball of static files is written; the first boot command unpacks it onto /. */
export const STATIC_FILES_ARCHIVE = "/var/lib/app-host/files.tar.gz";

/** src/host/files, found from the project root: this module runs from src/ under jest and from dist/src/ when built. */
export function filesDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return join(dir, "src", "host", "files");
}

function script(path: string, name: string): TarEntry {
  return staticFile(path, readFileSync(join(filesDir(), name), "utf8"), "0755");
}

function units(dataMount?: string, migration?: boolean): TarEntry[] {
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
        `EnvironmentFile=${HOST_SETTINGS_FILE}`,
        `ExecStartPre=${LIBEXEC}/read-releases`,
        `ExecStartPre=${LIBEXEC}/prepare`,
        // The migration before the containers start: a new host's empty database gets its schema.
        ...(migration ? [`ExecStartPre=${LIBEXEC}/migrate`] : []),
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
        `EnvironmentFile=${HOST_SETTINGS_FILE}`,
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
  const staticFiles: TarEntry[] = [
    staticFile(`${HOST_DIR}/compose.json`, JSON.stringify(props.compose.file, null, 2)),
    staticFile(IMAGES_FILE, renderImagesFile(props.compose.images)),
    staticFile(`${HOST_DIR}/Caddyfile`, props.caddyfile),
    staticFile(`${HOST_DIR}/cloudwatch-agent.json`, JSON.stringify(props.cloudWatchAgent, null, 2)),
    script(`${LIBEXEC}/install`, "install.sh"),
    script(`${LIBEXEC}/read-releases`, "read-releases.sh"),
    script(`${LIBEXEC}/prepare`, "prepare.sh"),
    script(DEPLOY_SCRIPT, "deploy.sh"),
    script(`${LIBEXEC}/render-env`, "render-env.py"),
    script(`${LIBEXEC}/health`, "health.py"),
    ...units(props.dataMount, Boolean(props.migration)),
    ...(props.migration
      ? [staticFile(MIGRATION_FILE, JSON.stringify(props.migration, null, 2)), script(`${LIBEXEC}/migrate`, "migrate.py")]
      : []),
    ...(props.jobs && Object.keys(props.jobs.jobs).length
      ? [
          staticFile(JOBS_FILE, JSON.stringify(props.jobs.jobs, null, 2)),
          script(RUN_JOB_SCRIPT, "run-job.py"),
          ...Object.entries(props.jobs.units).map(([unit, content]) => staticFile(`/etc/systemd/system/${unit}`, content)),
        ]
      : []),
  ];
  const config = {
    write_files: [
      file(HOST_SETTINGS_FILE, settings),
      file(RELEASES_FILE, ""),
      file(`${HOST_DIR}/secrets.json`, JSON.stringify(props.compose.secrets), "0600"),
      file(`${HOST_DIR}/health-checks.json`, JSON.stringify(props.compose.healthChecks)),
      {
        path: STATIC_FILES_ARCHIVE,
        permissions: "0600",
        owner: "root:root" as const,
        encoding: "b64" as const,
        content: gzipSync(tar(staticFiles), { level: 9 }).toString("base64"),
      },
    ],
    runcmd: [["tar", "--extract", "--gzip", "--file", STATIC_FILES_ARCHIVE, "--directory", "/"], [`${LIBEXEC}/install`]],
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
