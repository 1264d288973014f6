/**
 * A minimal, deterministic ustar archive (regular files only, owner root, time 0): the host's
 * static files travel as one gzipped tarball in the user data, which compresses far better than
 * each file alone and keeps the user data under EC2's 16 KiB.
 */

const BLOCK = 512;

export interface TarEntry {
  /** Relative to the extraction root (`tar -C /`): no leading slash. */
  readonly path: string;
  readonly content: string;
  /** Octal permission bits, e.g. "0755". */
  readonly mode: string;
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const put = (offset: number, length: number, value: string) => block.write(value, offset, length, "ascii");
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, "0") + "\0";
  if (Buffer.byteLength(entry.path) > 100) throw new Error(`tar: path over 100 bytes: ${entry.path}`);
  put(0, 100, entry.path);
  put(100, 8, octal(parseInt(entry.mode, 8), 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(size, 12));
  put(136, 12, octal(0, 12));
  put(148, 8, "        ");
  put(156, 1, "0");
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  put(265, 32, "root");
  put(297, 32, "root");
  let sum = 0;
  for (const byte of block) sum += byte;
  put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.content, "utf8");
    parts.push(header(entry, data.length), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** Path → content of each regular file in a ustar archive. */
export function untar(archive: Buffer): Record<string, string> {
  const files: Record<string, string> = {};
  for (let offset = 0; offset + BLOCK <= archive.length;) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const name = block.subarray(0, 100).toString("ascii").replace(/\0.*$/s, "");
    const size = parseInt(block.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim(), 8);
    files[name] = archive.subarray(offset + BLOCK, offset + BLOCK + size).toString("utf8");
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
