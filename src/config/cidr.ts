/** IPv4 CIDR arithmetic: parsing, containment, overlap and subnet allocation. */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export class CidrError extends Error {}

export function parseCidr(text: string): Cidr {
  const match = CIDR_PATTERN.exec(text);
  if (!match) throw new CidrError(`"${text}" is not an IPv4 CIDR block like 10.0.0.0/16`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) throw new CidrError(`"${text}" has an octet above 255`);
  if (prefix > 32) throw new CidrError(`"${text}" has a prefix length above 32`);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % size(prefix) !== 0) {
    throw new CidrError(
      `"${text}" has host bits set; the network address is ${formatCidr({ base: base - (base % size(prefix)), prefix })}`,
    );
  }
  return { base, prefix };
}

export function formatCidr(cidr: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(cidr.base / 2 ** shift) % 256);
  return `${octets.join(".")}/${cidr.prefix}`;
}

/** Number of addresses in a block of the given prefix length. */
export function size(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + size(inner.prefix) <= outer.base + size(outer.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b.prefix) && b.base < a.base + size(a.prefix);
}

/**
 * Packs blocks of the requested prefix lengths into `parent`, largest first, each at the next
 * address aligned to its own size, so no two overlap and none leaves the parent. Returns the
 * blocks in the order requested; throws when they do not fit.
 */
export function allocate(parent: Cidr, prefixes: readonly number[]): Cidr[] {
  const order = prefixes.map((prefix, index) => ({ prefix, index })).sort((a, b) => a.prefix - b.prefix || a.index - b.index);
  const result: Cidr[] = new Array<Cidr>(prefixes.length);
  let next = parent.base;
  const end = parent.base + size(parent.prefix);
  for (const { prefix, index } of order) {
    if (prefix < parent.prefix) {
      throw new CidrError(`a /${prefix} subnet cannot fit in the /${parent.prefix} VPC`);
    }
    const blockSize = size(prefix);
    const aligned = Math.ceil(next / blockSize) * blockSize;
    if (aligned + blockSize > end) {
      const needed = prefixes.reduce((sum, p) => sum + size(p), 0);
      throw new CidrError(`the subnets need ${needed} addresses but ${formatCidr(parent)} holds ${size(parent.prefix)}`);
    }
    result[index] = { base: aligned, prefix };
    next = aligned + blockSize;
  }
  return result;
}
