/** Reads back the files a single host's cloud-config user data writes. */
import { gunzipSync } from "node:zlib";
import { STATIC_FILES_ARCHIVE } from "../../src/host/cloud-init";
import { untar } from "../../src/host/tar";

const CLOUD_CONFIG = "#cloud-config\n";

interface WriteFile {
  path: string;
  encoding?: string;
  content: string;
}

/**
 * Path → content of every file the user data writes, the static files' tarball unpacked as the
 * first boot command unpacks it onto /; empty for anything but a cloud-config.
 */
export function hostFiles(userData: string): Record<string, string> {
  if (!userData.startsWith(CLOUD_CONFIG)) return {};
  const config = JSON.parse(userData.slice(CLOUD_CONFIG.length)) as { write_files: WriteFile[] };
  const files: Record<string, string> = {};
  for (const f of config.write_files) {
    if (f.path === STATIC_FILES_ARCHIVE && f.encoding === "b64")
      for (const [path, content] of Object.entries(untar(gunzipSync(Buffer.from(f.content, "base64"))))) files[`/${path}`] = content;
    else files[f.path] = f.content;
  }
  return files;
}

/** The compose project's services, by name. */
export function composeServices(userData: string): Record<string, Record<string, unknown>> {
  const compose = hostFiles(userData)["/etc/app-host/compose.json"];
  return compose ? (JSON.parse(compose) as { services: Record<string, Record<string, unknown>> }).services : {};
}
