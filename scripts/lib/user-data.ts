/** Reads back the files a single host's cloud-config user data writes. */
import { gunzipSync } from "node:zlib";

const CLOUD_CONFIG = "#cloud-config\n";

interface WriteFile {
  path: string;
  encoding?: string;
  content: string;
}

/** Path → content of every file the user data writes; empty for anything but a cloud-config. */
export function hostFiles(userData: string): Record<string, string> {
  if (!userData.startsWith(CLOUD_CONFIG)) return {};
  const config = JSON.parse(userData.slice(CLOUD_CONFIG.length)) as { write_files: WriteFile[] };
  return Object.fromEntries(
    config.write_files.map((f) => [
      f.path,
      f.encoding === "gz+b64" ? gunzipSync(Buffer.from(f.content, "base64")).toString("utf8") : f.content,
    ]),
  );
}

/** The compose project's services, by name. */
export function composeServices(userData: string): Record<string, Record<string, unknown>> {
  const compose = hostFiles(userData)["/etc/app-host/compose.json"];
  return compose ? (JSON.parse(compose) as { services: Record<string, Record<string, unknown>> }).services : {};
}
