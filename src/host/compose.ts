/**
 * Renders the environment's service definitions, the ones ECS environments run on Fargate, as a
 * docker compose project for one host: the same images, commands, variables, secrets, health
 * checks and resource sizes, behind a reverse proxy that routes the way the load balancer would.
 */
import type { ServiceConfig } from "../config/environment";
import { DATABASE_CONTAINER, PROXY_CONTAINER, PROXY_MEMORY_MIB } from "../config/single-host-schema";

/** Pinned reverse proxy: Caddy routes by path and host, and obtains certificates for a domain. */
export const PROXY_IMAGE = "caddy:2.8.4-alpine";
export const HOST_DIR = "/etc/app-host";
export const ENV_DIR = `${HOST_DIR}/env`;
/** Written before every start from the release parameters, and by each deploy: the tag each delivered image runs. */
export const RELEASES_FILE = `${HOST_DIR}/release.env`;

/** The compose variable holding a delivered repository's released tag. */
export function releaseVariable(repository: string): string {
  return `APP_RELEASE_${repository.toUpperCase().replace(/-/g, "_")}`;
}

/** Which image each service runs: prepare resolves every line to a digest before any compose command runs. */
export const IMAGES_FILE = `${HOST_DIR}/images.tsv`;

/** The compose variable holding a service's image by digest (`<registry>/<repository>@sha256:…`), which prepare writes. */
export function imageVariable(service: string): string {
  return `APP_IMAGE_${service.toUpperCase().replace(/-/g, "_")}`;
}

/** One service's image: its compose variable, ECR repository, the release variable that overrides its tag, and the tag. */
export interface PinnedImage {
  readonly variable: string;
  readonly repository: string;
  readonly releaseVariable?: string;
  readonly tag: string;
}

/** IMAGES_FILE: one tab-separated line per service image, "-" where no release overrides the tag. */
export function renderImagesFile(images: readonly PinnedImage[]): string {
  return images.map((i) => [i.variable, i.repository, i.releaseVariable ?? "-", i.tag].join("\t") + "\n").join("");
}

export interface HostDatabase {
  /** Plain variables of the services that connect to it. */
  readonly environment: Readonly<Record<string, string>>;
  /** Variable → secret (`<arn>:<json-key>::`) or parameter ARN, read at every start. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** PostgreSQL run on the host itself. */
export interface DatabaseContainer {
  readonly image: string;
  readonly databaseName: string;
  readonly username: string;
  readonly memoryMiB: number;
  /** Where the password is read from at start (a secret's JSON key). */
  readonly passwordFrom: string;
  /** Host directory on the data volume. */
  readonly dataDirectory: string;
}

export interface ComposeProps {
  /** Compose project name; containers are named `<project>-<service>-1`. */
  readonly project: string;
  readonly region: string;
  readonly services: readonly ServiceConfig[];
  /** ECR repository name of a service's image; the registry comes from APP_REGISTRY on the host. */
  readonly repositoryOf: (service: ServiceConfig) => string;
  /**
   * Repositories a pipeline releases: their tag comes from RELEASES_FILE, the definition's tag until the first release.
   * @default none
   */
  readonly released?: ReadonlySet<string>;
  /** CloudWatch log group of a container. */
  readonly logGroupOf: (container: string) => string;
  readonly database?: HostDatabase & { readonly container?: DatabaseContainer };
  /** Host ports the proxy publishes: 80, and 443 with a domain. */
  readonly proxyPorts: readonly number[];
}

export interface ComposeService {
  image: string;
  command?: string[];
  restart: "unless-stopped";
  environment?: Record<string, string>;
  env_file?: string[];
  expose?: string[];
  ports?: string[];
  volumes?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  mem_limit: string;
  cpus?: number;
  security_opt: string[];
  depends_on?: Record<string, { condition: "service_healthy" | "service_started" }>;
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  logging: { driver: "awslogs"; options: Record<string, string> };
}

export interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
}

/** What the health timer checks: every container, and each web service's health path. */
export interface HealthCheck {
  readonly service: string;
  readonly port?: number;
  readonly path?: string;
}

export interface RenderedCompose {
  readonly file: ComposeFile;
  /** Container → variable → where render-env reads it from. */
  readonly secrets: Record<string, Record<string, string>>;
  readonly healthChecks: HealthCheck[];
  /** The services' images, which prepare pins by digest. */
  readonly images: PinnedImage[];
}

/** A literal value in a compose file, which compose would otherwise interpolate. */
function literal(text: string): string {
  return text.replace(/\$/g, "$$$$");
}

export function renderCompose(props: ComposeProps): RenderedCompose {
  const services: Record<string, ComposeService> = {};
  const secrets: Record<string, Record<string, string>> = {};
  const healthChecks: HealthCheck[] = [];
  const images: PinnedImage[] = [];
  const logging = (container: string): ComposeService["logging"] => ({
    driver: "awslogs",
    options: { "awslogs-group": props.logGroupOf(container), "awslogs-region": props.region },
  });
  const envFile = (container: string, variables: Record<string, string>) => {
    if (Object.keys(variables).length === 0) return {};
    secrets[container] = variables;
    return { env_file: [`${ENV_DIR}/${container}.env`] };
  };
  const db = props.database;
  const dbContainer = db?.container;

  if (dbContainer) {
    services[DATABASE_CONTAINER] = {
      image: dbContainer.image,
      restart: "unless-stopped",
      environment: {
        POSTGRES_DB: dbContainer.databaseName,
        POSTGRES_USER: dbContainer.username,
        // A subdirectory: the volume's root holds lost+found, which initdb refuses.
        PGDATA: "/var/lib/postgresql/data/pgdata",
      },
      ...envFile(DATABASE_CONTAINER, { POSTGRES_PASSWORD: dbContainer.passwordFrom }),
      volumes: [`${dbContainer.dataDirectory}:/var/lib/postgresql/data`],
      mem_limit: `${dbContainer.memoryMiB}m`,
      security_opt: ["no-new-privileges:true"],
      healthcheck: {
        test: ["CMD", "pg_isready", "--username", dbContainer.username, "--dbname", dbContainer.databaseName],
        interval: "10s",
        timeout: "5s",
        retries: 5,
        start_period: "30s",
      },
      logging: logging(DATABASE_CONTAINER),
    };
    healthChecks.push({ service: DATABASE_CONTAINER });
  }

  for (const svc of props.services) {
    const usesDatabase = svc.connectsTo.includes("database") && db !== undefined;
    const environment = {
      ...Object.fromEntries(Object.entries(svc.environment).map(([name, value]) => [name, literal(value)])),
      ...(usesDatabase ? db.environment : {}),
    };
    const hc = svc.containerHealthCheck;
    const released = props.released?.has(svc.image.repository);
    const pinned = imageVariable(svc.name);
    images.push({
      variable: pinned,
      repository: props.repositoryOf(svc),
      ...(released ? { releaseVariable: releaseVariable(svc.image.repository) } : {}),
      tag: svc.image.tag,
    });
    services[svc.name] = {
      // By digest, as prepare resolved the released (or defined) tag: every compose command runs exactly that image.
      image: `\${${pinned}:?is written by prepare}`,
      ...(svc.command ? { command: svc.command.map(literal) } : {}),
      restart: "unless-stopped",
      ...(Object.keys(environment).length ? { environment } : {}),
      ...envFile(svc.name, { ...svc.secrets, ...(usesDatabase ? db.secrets : {}) }),
      // Reachable by the proxy on the compose network; never published on the host.
      ...(svc.port ? { expose: [String(svc.port)] } : {}),
      read_only: svc.readonlyRootFilesystem,
      tmpfs: ["/tmp"],
      mem_limit: `${svc.memory}m`,
      cpus: svc.cpu / 1024,
      security_opt: ["no-new-privileges:true"],
      ...(usesDatabase && dbContainer ? { depends_on: { [DATABASE_CONTAINER]: { condition: "service_healthy" } } } : {}),
      ...(hc
        ? {
            healthcheck: {
              test: ["CMD", ...hc.command.map(literal)],
              interval: `${hc.intervalSeconds}s`,
              timeout: `${hc.timeoutSeconds}s`,
              retries: hc.retries,
              start_period: `${hc.startPeriodSeconds}s`,
            },
          }
        : {}),
      logging: logging(svc.name),
    };
    healthChecks.push(
      svc.role === "web" && svc.port ? { service: svc.name, port: svc.port, path: svc.healthCheckPath } : { service: svc.name },
    );
  }

  const web = props.services.filter((svc) => svc.role === "web");
  services[PROXY_CONTAINER] = {
    image: PROXY_IMAGE,
    restart: "unless-stopped",
    ports: props.proxyPorts.map((port) => `${port}:${port}`),
    volumes: [`${HOST_DIR}/Caddyfile:/etc/caddy/Caddyfile:ro`, "/var/lib/app-host/caddy:/data"],
    mem_limit: `${PROXY_MEMORY_MIB}m`,
    security_opt: ["no-new-privileges:true"],
    ...(web.length ? { depends_on: Object.fromEntries(web.map((svc) => [svc.name, { condition: "service_started" as const }])) } : {}),
    healthcheck: {
      test: ["CMD", "wget", "--quiet", "--spider", "http://127.0.0.1:2019/config/"],
      interval: "30s",
      timeout: "5s",
      retries: 3,
      start_period: "10s",
    },
    logging: logging(PROXY_CONTAINER),
  };
  healthChecks.push({ service: PROXY_CONTAINER });

  return { file: { name: props.project, services }, secrets, healthChecks, images };
}
