/**
 * The README and the pages under docs/: the README stays short, and no relative link between them
 * is dead: every linked file exists, and every `#anchor` names a heading of its target as GitHub
 * renders it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(__dirname, "..");
const README = join(ROOT, "README.md");
const DOCS = join(ROOT, "docs");
const README_MAX_LINES = 250;

const pages = [
  README,
  ...readdirSync(DOCS)
    .filter((file) => file.endsWith(".md"))
    .map((file) => join(DOCS, file)),
].sort();

/** The lines of a markdown text that are not inside a fenced code block. */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of text.split("\n")) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
    } else if (marker) fence = marker;
    else lines.push(line);
  }
  return lines;
}

/** A heading's text as GitHub renders it: no inline code ticks, link targets, emphasis or HTML. */
function headingText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/`+([^`]*)`+/g, "$1")
    .replace(/(\*+|\b_+)(\S(?:.*?\S)?)\1/g, "$2");
}

/**
 * GitHub's heading anchors: lower-case; every character but letters, marks, digits, connector
 * punctuation (`_`), hyphens and spaces dropped; each space a hyphen. A heading whose slug was
 * already taken gets `-1`, `-2`, … (`taken` holds a page's slugs so far).
 */
export function slug(heading: string, taken: Map<string, number> = new Map()): string {
  const base = headingText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
  let result = base;
  while (taken.has(result)) {
    const n = (taken.get(base) ?? 0) + 1;
    taken.set(base, n);
    result = `${base}-${n}`;
  }
  taken.set(result, 0);
  return result;
}

/** Every anchor a markdown page's headings get, in order. */
function anchors(text: string): string[] {
  const taken = new Map<string, number>();
  return proseLines(text)
    .map((line) => /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => slug(match[1] ?? "", taken));
}

type Link = { page: string; line: number; target: string };

/** Every link of a page outside code: inline links and images, reference definitions, HTML hrefs. */
function links(page: string): Link[] {
  const found: Link[] = [];
  let line = 0;
  let fence: string | undefined;
  for (const raw of readFileSync(page, "utf8").split("\n")) {
    line++;
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(raw)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && raw.trim() === marker) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const text = raw.replace(/(`+)(?:(?!\1).)+?\1/g, "");
    const targets = [
      ...[...text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
      ...[...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]),
      ...[...text.matchAll(/\bhref="([^"]*)"/g)].map((m) => m[1]),
    ];
    found.push(...targets.map((target) => ({ page, line, target })));
  }
  return found;
}

/** What is wrong with a link, or undefined when it resolves (external links are not followed). */
function problem({ page, target }: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) return undefined;
  const hash = target.indexOf("#");
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = path === "" ? page : resolve(dirname(page), path);
  if (!existsSync(file)) return `${relative(ROOT, file)} does not exist`;
  if (anchor === undefined || !file.endsWith(".md") || statSync(file).isDirectory()) return undefined;
  if (!anchors(readFileSync(file, "utf8")).includes(anchor)) return `${relative(ROOT, file)} has no heading #${anchor}`;
  return undefined;
}

describe("the docs", () => {
  it(`README.md is at most ${README_MAX_LINES} lines`, () => {
    const text = readFileSync(README, "utf8");
    const lines = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it("every relative link in README.md and docs/*.md resolves, anchors included", () => {
    const all = pages.flatMap(links);
    expect(all.length).toBeGreaterThan(20);
    const broken = all.flatMap((link) => {
      const why = problem(link);
      return why ? [`${relative(ROOT, link.page)}:${link.line}: (${link.target}): ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("the README links to every page under docs/", () => {
    const linked = new Set(
      links(README)
        .filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link.target))
        .map((link) => resolve(ROOT, decodeURIComponent(link.target.split("#")[0]))),
    );
    expect(pages.filter((page) => page !== README && !linked.has(page)).map((page) => relative(ROOT, page))).toEqual([]);
  });
});

describe("GitHub's heading slugs", () => {
  it.each([
    ["Delivery (GitHub Actions)", "delivery-github-actions"],
    ["Examples: the reference designs", "examples-the-reference-designs"],
    ["Versions, and why", "versions-and-why"],
    ["One environment: `dev`", "one-environment-dev"],
    ["The `singleHost` section", "the-singlehost-section"],
    ["snake_case and **bold** and _emphasis_", "snake_case-and-bold-and-emphasis"],
    ["A [link](https://example.com) & more", "a-link--more"],
    ["Été 2025 — ça marche", "été-2025--ça-marche"],
  ])("%s → #%s", (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });

  it("numbers duplicate headings", () => {
    const taken = new Map<string, number>();
    expect(["Outputs", "Outputs", "Outputs", "Outputs-1"].map((h) => slug(h, taken))).toEqual([
      "outputs",
      "outputs-1",
      "outputs-2",
      "outputs-1-1",
    ]);
  });

  it("ignores headings in code blocks", () => {
    expect(anchors("# Title\n\n```sh\n# not a heading\n```\n\n## Next ##\n")).toEqual(["title", "next"]);
  });
});
