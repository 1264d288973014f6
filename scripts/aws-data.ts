/**
 * `npm run aws-data`: writes src/config/aws-data/offerings.json, the lists AWS changes often and a
 * definition must pick from (RDS for PostgreSQL instance classes and engine versions, ElastiCache
 * node types, the single host's EC2 instance types), per supported region. The source is
 * cfn-lint's data, which AWS's pricing and describe APIs feed, in the version local-aws pins
 * (so the moto virtualenv already holds it); the file records the version and the data's date.
 * Run it after raising cfn-lint's pin; a test checks the file names the pinned version.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { INSTANCE_MEMORY_MIB } from "../src/config/single-host-schema";
import { REGIONS } from "../src/config/regions";
import { ensureVenv, VENV_PYTHON } from "./lib/local-aws";
import { run } from "./lib/process";
import { ROOT } from "./lib/terraform";

export const OFFERINGS_FILE = join(ROOT, "src", "config", "aws-data", "offerings.json");

const EXTRACT = `
import json, sys, importlib.metadata, pathlib, cfnlint
regions, host_types = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
base = pathlib.Path(cfnlint.__file__).parent / "data" / "schemas"
ext = base / "extensions"
load = lambda p: json.loads((ext / p).read_text())
def postgres_classes(region):
    found = set()
    for clause in load("aws_rds_dbinstance/dbinstanceclass_enum.json")[region]["allOf"]:
        if clause["if"]["properties"].get("Engine", {}).get("const") == "postgres":
            found.update(clause["then"]["properties"]["DBInstanceClass"]["enum"])
    return sorted(found)
def region_enum(path, region):
    return sorted(load(path)[region]["enum"])
versions = []
for clause in load("aws_rds_dbinstance/engine_version.json")["allOf"]:
    if clause["if"]["properties"].get("Engine", {}).get("const") == "postgres":
        versions = sorted(set(map(str, clause["then"]["properties"]["EngineVersion"]["enum"])))
import botocore
partitions = json.loads((pathlib.Path(botocore.__file__).parent / "data" / "partitions.json").read_text())["partitions"]
print(json.dumps({
    "regions": {p["id"]: sorted(p["regions"]) for p in partitions},
    "regionsSource": f"botocore {importlib.metadata.version('botocore')} (PyPI), botocore/data/partitions.json",
    "source": f"cfn-lint {importlib.metadata.version('cfn-lint')} (PyPI), cfnlint/data/schemas/extensions: aws_rds_dbinstance, aws_elasticache_cachecluster, aws_ec2_instance",
    "cfnLintVersion": importlib.metadata.version("cfn-lint"),
    "dataDate": json.loads((base / "version.json").read_text())["schema_date"],
    "postgresEngineVersions": versions,
    "postgresInstanceClasses": {r: postgres_classes(r) for r in regions},
    "cacheNodeTypes": {r: region_enum("aws_elasticache_cachecluster/cachenodetype_enum.json", r) for r in regions},
    "hostInstanceTypes": {r: [t for t in region_enum("aws_ec2_instance/instancetype_enum.json", r) if t in host_types] for r in regions},
}, indent=1, sort_keys=True))
`;

async function main(): Promise<void> {
  await ensureVenv();
  const result = await run(VENV_PYTHON, ["-c", EXTRACT, JSON.stringify(REGIONS), JSON.stringify(Object.keys(INSTANCE_MEMORY_MIB))]);
  if (result.code !== 0) throw new Error(`reading cfn-lint's data failed:\n${result.stderr}`);
  writeFileSync(OFFERINGS_FILE, result.stdout);
  console.log(`wrote ${OFFERINGS_FILE.slice(ROOT.length + 1)} (${result.stdout.length} bytes)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
