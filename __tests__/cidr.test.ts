import fc from "fast-check";
import { allocate, CidrError, contains, formatCidr, overlaps, parseCidr } from "../src/config/cidr";
import { resolveEnvironment } from "../src/config/environment";
import { availabilityZones } from "../src/config/regions";

describe("parseCidr", () => {
  it("round-trips a valid block", () => {
    expect(formatCidr(parseCidr("10.20.0.0/16"))).toBe("10.20.0.0/16");
  });

  it.each([
    ["10.0.0/16", "is not an IPv4 CIDR block"],
    ["10.0.0.0", "is not an IPv4 CIDR block"],
    ["10.0.0.256/24", "has an octet above 255"],
    ["10.0.0.0/33", "has a prefix length above 32"],
    ["10.0.1.0/16", "has host bits set; the network address is 10.0.0.0/16"],
  ])("rejects %s", (text, message) => {
    expect(() => parseCidr(text)).toThrow(CidrError);
    expect(() => parseCidr(text)).toThrow(message);
  });
});

describe("allocate", () => {
  it("packs largest first, each aligned, in request order", () => {
    const blocks = allocate(parseCidr("10.0.0.0/16"), [21, 19, 21, 19]).map(formatCidr);
    expect(blocks).toEqual(["10.0.64.0/21", "10.0.0.0/19", "10.0.72.0/21", "10.0.32.0/19"]);
  });

  it("refuses subnets that do not fit", () => {
    expect(() => allocate(parseCidr("10.0.0.0/24"), [25, 25, 25])).toThrow("the subnets need 384 addresses but 10.0.0.0/24 holds 256");
  });
});

const vpcArb = fc
  .record({
    octets: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
    prefix: fc.integer({ min: 16, max: 24 }),
  })
  .map(({ octets, prefix }) => {
    const base = (octets[0] * 256 + octets[1]) * 65536;
    const aligned = base - (base % 2 ** (32 - prefix));
    return formatCidr({ base: aligned, prefix });
  });

describe("subnet allocation properties", () => {
  it("every allocated block lies inside the parent and none overlap", () => {
    fc.assert(
      fc.property(vpcArb, fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 18 }), (vpcText, bits) => {
        const vpc = parseCidr(vpcText);
        let blocks;
        try {
          blocks = allocate(
            vpc,
            bits.map((b) => Math.min(32, vpc.prefix + b)),
          );
        } catch (error) {
          // Refusal is only allowed when the request really exceeds the VPC.
          const needed = bits.reduce((sum, b) => sum + 2 ** (32 - Math.min(32, vpc.prefix + b)), 0);
          expect(error).toBeInstanceOf(CidrError);
          expect(needed).toBeGreaterThan(2 ** (32 - vpc.prefix));
          return;
        }
        for (const block of blocks) expect(contains(vpc, block)).toBe(true);
        for (let i = 0; i < blocks.length; i++)
          for (let j = i + 1; j < blocks.length; j++) expect(overlaps(blocks[i], blocks[j])).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("every valid environment gets one subnet per tier and AZ, inside the VPC, none overlapping", () => {
    const inputArb = fc.record({
      vpcCidr: vpcArb,
      azCount: fc.integer({ min: 2, max: 6 }),
      natStrategy: fc.constantFrom("single" as const, "perAz" as const),
      bits: fc.record({
        public: fc.integer({ min: 2, max: 6 }),
        private: fc.integer({ min: 2, max: 6 }),
        isolated: fc.integer({ min: 2, max: 6 }),
      }),
    });
    fc.assert(
      fc.property(inputArb, ({ vpcCidr, azCount, natStrategy, bits }) => {
        const input = { project: "webapp", region: "us-east-1", network: { vpcCidr, azCount, natStrategy, subnetBits: bits } };
        let env;
        try {
          env = resolveEnvironment("dev", input);
        } catch (error) {
          // Only reserved ranges and layouts that exceed the VPC or go below /28 may be refused, and only for that.
          expect((error as Error).message).toMatch(/network\.(vpcCidr|subnetBits)/);
          const [first, second] = vpcCidr.split(".").map(Number);
          if (first === 0 || first === 127 || (first === 169 && second === 254) || first >= 224) {
            expect((error as Error).message).toContain("must not overlap a reserved range");
            return;
          }
          const vpcPrefix = Number(vpcCidr.split("/")[1]);
          const prefixes = [bits.public, bits.private, bits.isolated].map((b) => vpcPrefix + b);
          const needed = prefixes.reduce((sum, p) => sum + azCount * 2 ** (32 - p), 0);
          expect(needed > 2 ** (32 - vpcPrefix) || prefixes.some((p) => p > 28)).toBe(true);
          return;
        }
        const vpc = parseCidr(vpcCidr);
        const all = [...env.network.subnets.public, ...env.network.subnets.private, ...env.network.subnets.isolated];
        expect(all).toHaveLength(3 * azCount);
        const zones = availabilityZones("us-east-1", azCount);
        for (const tier of [env.network.subnets.public, env.network.subnets.private, env.network.subnets.isolated]) {
          expect(tier.map((s) => s.availabilityZone)).toEqual(zones);
        }
        const blocks = all.map((s) => parseCidr(s.cidrBlock));
        for (const block of blocks) expect(contains(vpc, block)).toBe(true);
        for (let i = 0; i < blocks.length; i++)
          for (let j = i + 1; j < blocks.length; j++) expect(overlaps(blocks[i], blocks[j])).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
