/** Memory (MiB) Fargate accepts for each task CPU size (CPU units), per the ECS task-size table. */
const FARGATE_SIZES: Readonly<Record<number, { min: number; max: number; step: number; extra?: number[] }>> = {
  256: { min: 1024, max: 2048, step: 1024, extra: [512] },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

export const FARGATE_CPU = Object.keys(FARGATE_SIZES).map(Number);

export function fargateMemoryOptions(cpu: number): number[] {
  const size = FARGATE_SIZES[cpu];
  if (!size) return [];
  const options = [...(size.extra ?? [])];
  for (let memory = size.min; memory <= size.max; memory += size.step) options.push(memory);
  return options;
}

export function describeFargateMemory(cpu: number): string {
  const size = FARGATE_SIZES[cpu];
  if (!size) return `cpu must be one of ${FARGATE_CPU.join(", ")}`;
  const extra = size.extra ? `${size.extra.join(", ")}, or ` : "";
  return `with cpu ${cpu}, memory must be ${extra}${size.min}-${size.max} in steps of ${size.step}`;
}
