/** Generated blocks in the README, between `<!-- <name> -->` and `<!-- /<name> -->`. */

export function readBlock(readme: string, name: string): string {
  const [start, end] = markers(readme, name);
  return readme.slice(start, end);
}

export function replaceBlock(readme: string, name: string, content: string): string {
  const [start, end] = markers(readme, name);
  return readme.slice(0, start) + content + readme.slice(end);
}

function markers(readme: string, name: string): [number, number] {
  const open = `<!-- ${name} -->\n`;
  const close = `<!-- /${name} -->`;
  const start = readme.indexOf(open);
  const end = readme.indexOf(close);
  if (start < 0 || end < start) throw new Error(`the README has no block ${open.trim()} … ${close}`);
  return [start + open.length, end];
}
