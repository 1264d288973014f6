/**
 * CodeBuild buildspecs generated from the service definitions. They are rendered as JSON, which
 * is YAML, and hold no `${` or `%{`: Terraform would read those as its own templates. Values known
 * only at apply time (repository URLs, instance ids) reach them as project environment variables.
 */

/** A service a release deploys with the ECS deploy action: its container takes the new image. */
export interface RollingTarget {
  readonly container: string;
}

/** A service a release deploys with CodeDeploy: a task definition and AppSpec template per release. */
export interface BlueGreenTarget {
  readonly container: string;
  readonly port: number;
  /** The task definition family whose newest revision the release starts from. */
  readonly family: string;
}

export interface ImageBuildSpec {
  /** Build context and Dockerfile, relative to the repository root. */
  readonly context: string;
  readonly dockerfile: string;
  readonly rolling: readonly RollingTarget[];
  readonly blueGreen: readonly BlueGreenTarget[];
}

/** Files an image build leaves for the deploy actions. */
export const imageDefinitionsFile = (container: string) => `imagedefinitions-${container}.json`;
export const taskDefinitionFile = (container: string) => `taskdef-${container}.json`;
export const appSpecFile = (container: string) => `appspec-${container}.yaml`;
/** What CodeDeployToECS reads the image from, at the root of its image artifact. */
export const IMAGE_DETAIL_FILE = "imageDetail.json";
/** The placeholder CodeDeployToECS replaces with the image from imageDetail.json. */
export const IMAGE_PLACEHOLDER = "<IMAGE1_NAME>";

/** Variables the pipeline's build action sets. */
export const RELEASE_VARIABLE = "IMAGE_TAG";
/** Variables the image build project sets. */
export const REPOSITORY_VARIABLE = "REPOSITORY_URI";

const quote = (value: string) => `'${value}'`;

/** Never an untagged or `latest` image: a build refuses to run unless the pipeline passed a commit id. */
const REQUIRE_COMMIT_ID = `[[ "$${RELEASE_VARIABLE}" =~ ^[0-9a-f]{7,40}$ ]] || { echo "${RELEASE_VARIABLE} must be a commit id" >&2; exit 1; }`;

/** One phase of a buildspec: its commands, whether a failure ends the build, and (install only) the runtimes it needs. */
interface Phase {
  readonly "on-failure"?: "ABORT";
  readonly "runtime-versions"?: Record<string, string>;
  readonly commands: string[];
}

/** A buildspec (version 0.2, bash) from its phases and, when the build leaves any, its artifacts and the variables it exports to the pipeline. */
function buildSpec(phases: Record<string, Phase>, artifactFiles?: string[], exported?: string[]): string {
  return JSON.stringify(
    {
      version: 0.2,
      env: { shell: "bash", ...(exported ? { "exported-variables": exported } : {}) },
      phases,
      ...(artifactFiles ? { artifacts: { files: artifactFiles, "discard-paths": "yes" } } : {}),
    },
    null,
    2,
  );
}

/** The AppSpec CodeDeploy needs for one ECS service, as YAML lines. */
export function appSpecLines(target: BlueGreenTarget): string[] {
  return [
    "version: 0.0",
    "Resources:",
    "  - TargetService:",
    "      Type: AWS::ECS::Service",
    "      Properties:",
    "        TaskDefinition: <TASK_DEFINITION>",
    "        LoadBalancerInfo:",
    `          ContainerName: ${target.container}`,
    `          ContainerPort: ${target.port}`,
  ];
}

/** Task definition fields RegisterTaskDefinition accepts, kept from the family's newest revision. */
const TASK_DEFINITION_FIELDS = [
  "family",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "containerDefinitions",
  "volumes",
  "placementConstraints",
  "requiresCompatibilities",
  "cpu",
  "memory",
  "runtimePlatform",
  "ephemeralStorage",
];

function taskDefinitionTemplate(target: BlueGreenTarget): string {
  const filter = [
    `{${TASK_DEFINITION_FIELDS.join(", ")}}`,
    "with_entries(select(.value != null))",
    `.containerDefinitions |= map(if .name == $container then .image = "${IMAGE_PLACEHOLDER}" else . end)`,
  ].join(" | ");
  return [
    `aws ecs describe-task-definition --task-definition ${target.family} --query taskDefinition --output json`,
    `jq --arg container ${target.container} ${quote(filter)} > ${taskDefinitionFile(target.container)}`,
  ].join(" | ");
}

/** What each deploy action reads, naming the image by the digest in `$digest`: what runs is exactly what was built. */
function deployFileCommands(spec: Pick<ImageBuildSpec, "rolling" | "blueGreen">): string[] {
  return [
    `pinned="$${REPOSITORY_VARIABLE}@$digest"`,
    `printf '{"ImageURI":"%s"}' "$pinned" > ${IMAGE_DETAIL_FILE}`,
    ...spec.rolling.map((t) => `printf '[{"name":"${t.container}","imageUri":"%s"}]' "$pinned" > ${imageDefinitionsFile(t.container)}`),
    ...spec.blueGreen.flatMap((t) => [
      taskDefinitionTemplate(t),
      `printf '%s\\n' ${appSpecLines(t).map(quote).join(" ")} > ${appSpecFile(t.container)}`,
    ]),
  ];
}

function deployFiles(spec: Pick<ImageBuildSpec, "rolling" | "blueGreen">): string[] {
  return [
    IMAGE_DETAIL_FILE,
    ...spec.rolling.map((t) => imageDefinitionsFile(t.container)),
    ...spec.blueGreen.flatMap((t) => [taskDefinitionFile(t.container), appSpecFile(t.container)]),
  ];
}

/** The repository's name in ECR (`<project>/<name>`), from its URI. */
const REPOSITORY_NAME = `"$(echo "$${REPOSITORY_VARIABLE}" | cut -d/ -f2-)"`;

/**
 * Sets `$digest` to the digest ECR holds for `repository` (a shell word) under the release's tag;
 * fails naming `image` when there is none. One command, so it also fits in a loop's body.
 */
const digestOfRelease = (repository: string, image: string) =>
  `digest=$(aws ecr describe-images --repository-name ${repository} --image-ids imageTag="$${RELEASE_VARIABLE}" --query 'imageDetails[0].imageDigest' --output text) && [[ "$digest" == sha256:* ]] || { echo "no digest for ${image}" >&2; exit 1; }`;

const RELEASE_IMAGE = `"$${REPOSITORY_VARIABLE}:$${RELEASE_VARIABLE}"`;
const REGISTRY_LOGIN = `aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$(echo "$${REPOSITORY_VARIABLE}" | cut -d/ -f1)"`;
const dockerCommands = (spec: Pick<ImageBuildSpec, "context" | "dockerfile">) => [
  `docker build --pull --tag ${RELEASE_IMAGE} --file ${quote(spec.dockerfile)} ${quote(spec.context)}`,
  `docker push ${RELEASE_IMAGE}`,
];
const DIGEST_OF_PUSHED = digestOfRelease(REPOSITORY_NAME, RELEASE_IMAGE.replace(/"/g, ""));

/**
 * Builds one image from the commit the pipeline passes in IMAGE_TAG, pushes it under that tag
 * (the repositories refuse to overwrite a tag), and writes what each deploy action reads.
 */
export function imageBuildSpec(spec: ImageBuildSpec): string {
  return buildSpec(
    {
      pre_build: { "on-failure": "ABORT", commands: [REQUIRE_COMMIT_ID, REGISTRY_LOGIN] },
      build: { "on-failure": "ABORT", commands: dockerCommands(spec) },
      // Deploys name the image by the digest just pushed.
      post_build: { commands: [DIGEST_OF_PUSHED, ...deployFileCommands(spec)] },
    },
    deployFiles(spec),
  );
}

/**
 * The same build outside CodeBuild (the GitHub Actions release, from the source's root): one shell
 * command per line, with REPOSITORY_URI, IMAGE_TAG and AWS_REGION set; sets `$digest` last.
 */
export function imagePushCommands(spec: Pick<ImageBuildSpec, "context" | "dockerfile">): string[] {
  return [REQUIRE_COMMIT_ID, REGISTRY_LOGIN, ...dockerCommands(spec), DIGEST_OF_PUSHED, `echo "pushed $${REPOSITORY_VARIABLE}@$digest"`];
}

/** The record of a release that other environments promote: at the root of the promotions bucket, zipped for CodePipeline's S3 source. */
export const RELEASE_RECORD_FILE = "release.json";
export const RELEASE_RECORD_OBJECT = "release.zip";

/**
 * Reads the commit from the release record (release.json in the working directory) into IMAGE_TAG,
 * and refuses unless the repository REPOSITORY_URI holds exactly the recorded digest under the
 * commit's tag; sets `$digest`. Shared by the pipeline's Promote projects and the GitHub Actions release.
 */
export function promotionCheckCommands(): string[] {
  return [
    `${RELEASE_VARIABLE}="$(jq -r .commit ${RELEASE_RECORD_FILE})"`,
    `export ${RELEASE_VARIABLE}`,
    REQUIRE_COMMIT_ID,
    `released=$(jq -r --arg repository ${REPOSITORY_NAME} '.images[$repository] // empty' ${RELEASE_RECORD_FILE})`,
    `[[ "$released" == sha256:* ]] || { echo "the release record of $${RELEASE_VARIABLE} names no image of $${REPOSITORY_VARIABLE}: nothing to promote" >&2; exit 1; }`,
    digestOfRelease(REPOSITORY_NAME, `$${REPOSITORY_VARIABLE}:$${RELEASE_VARIABLE}`),
    `[[ "$digest" == "$released" ]] || { echo "$${REPOSITORY_VARIABLE}:$${RELEASE_VARIABLE} is $digest, not the $released that was released: refusing to promote another build" >&2; exit 1; }`,
    `echo "promoting $${REPOSITORY_VARIABLE}@$digest (commit $${RELEASE_VARIABLE})"`,
  ];
}

/**
 * Promotes one image of a release another environment deployed, without building: reads the
 * commit and the digest from that environment's release record (the pipeline's source), refuses
 * unless the repository holds exactly that digest under the commit's tag, and writes what each
 * deploy action reads, as a build does. Exports IMAGE_TAG for the stages that follow.
 */
export function imagePromotionSpec(spec: Pick<ImageBuildSpec, "rolling" | "blueGreen">): string {
  return buildSpec(
    {
      build: {
        "on-failure": "ABORT",
        commands: [...promotionCheckCommands(), ...deployFileCommands(spec)],
      },
    },
    deployFiles(spec),
    [RELEASE_VARIABLE],
  );
}

/** Variables the release project sets: the parameters to record, on a single host the command to run, and where a promoted release is recorded. */
export const RELEASE_PARAMETERS_VARIABLE = "RELEASE_PARAMETERS";
export const DEPLOY_DOCUMENT_VARIABLE = "DEPLOY_DOCUMENT";
export const DEPLOY_INSTANCE_VARIABLE = "DEPLOY_INSTANCE_ID";
export const PROMOTION_BUCKET_VARIABLE = "PROMOTION_BUCKET";
export const PROMOTION_REPOSITORIES_VARIABLE = "PROMOTION_REPOSITORIES";

/**
 * The release record other environments promote: the commit and, per repository (its ECR name),
 * the digest its tag names, zipped at the root of the promotions bucket, whose new object starts
 * their pipelines.
 */
export function releaseRecordCommands(): string[] {
  return [
    "images='{}'",
    `for repository in $${PROMOTION_REPOSITORIES_VARIABLE}; do ${digestOfRelease('"$repository"', `$repository:$${RELEASE_VARIABLE}`)}; images=$(jq --arg repository "$repository" --arg digest "$digest" '. + {($repository): $digest}' <<<"$images"); done`,
    `jq -n --arg commit "$${RELEASE_VARIABLE}" --argjson images "$images" '{commit: $commit, images: $images}' > ${RELEASE_RECORD_FILE}`,
    `rm -f ${RELEASE_RECORD_OBJECT} && zip -q ${RELEASE_RECORD_OBJECT} ${RELEASE_RECORD_FILE}`,
    `aws s3 cp ${RELEASE_RECORD_OBJECT} "s3://$${PROMOTION_BUCKET_VARIABLE}/${RELEASE_RECORD_OBJECT}" --only-show-errors`,
    `echo "release $${RELEASE_VARIABLE} recorded for promotion: $(jq -c .images ${RELEASE_RECORD_FILE})"`,
  ];
}

/**
 * Records a release once it is deployed: each image's release parameter takes the commit id, so
 * Terraform's task definitions and a replaced host start from what was released, and, when other
 * environments promote this one's releases, the release record they start from. With a host, it
 * first runs the deploy document there, and fails (recording nothing) unless the command succeeds.
 */
export function releaseSpec(host: boolean, recordsPromotion = false): string {
  const record = [
    `for parameter in $${RELEASE_PARAMETERS_VARIABLE}; do aws ssm put-parameter --name "$parameter" --type String --overwrite --value "$${RELEASE_VARIABLE}" > /dev/null; done`,
    ...(recordsPromotion ? releaseRecordCommands() : []),
  ];
  const deploy = [
    `command_id=$(aws ssm send-command --document-name "$${DEPLOY_DOCUMENT_VARIABLE}" --instance-ids "$${DEPLOY_INSTANCE_VARIABLE}" --parameters "Release=$${RELEASE_VARIABLE}" --comment "release $${RELEASE_VARIABLE}" --query Command.CommandId --output text)`,
    `echo "SSM command $command_id on $${DEPLOY_INSTANCE_VARIABLE}"`,
    // The SDK waiter gives up after 100 s; a pull and `compose up --wait` may take 15 minutes.
    `for _ in $(seq 180); do status=$(aws ssm get-command-invocation --command-id "$command_id" --instance-id "$${DEPLOY_INSTANCE_VARIABLE}" --query Status --output text 2>/dev/null || echo Pending); case "$status" in Pending|InProgress|Delayed) sleep 5;; *) break;; esac; done`,
    `aws ssm get-command-invocation --command-id "$command_id" --instance-id "$${DEPLOY_INSTANCE_VARIABLE}" --query '[StandardOutputContent, StandardErrorContent]' --output text`,
    `[[ "$status" == Success ]] || { echo "deploy on the host ended $status" >&2; exit 1; }`,
  ];
  return buildSpec({ build: { "on-failure": "ABORT", commands: [REQUIRE_COMMIT_ID, ...(host ? [...deploy, ...record] : record)] } });
}

/** Variables the migration project sets: where the service runs, what it runs, and for how long. */
export const MIGRATION_VARIABLES = {
  cluster: "CLUSTER",
  family: "SERVICE_FAMILY",
  migrationFamily: "MIGRATION_FAMILY",
  container: "CONTAINER",
  subnets: "SUBNETS",
  securityGroup: "SECURITY_GROUP",
  overrides: "OVERRIDES",
  timeoutSeconds: "TIMEOUT_SECONDS",
  logGroup: "LOG_GROUP",
} as const;

const v = MIGRATION_VARIABLES;

/**
 * The release's migration on ECS, one shell command per line (CodeBuild runs them in one shell,
 * stopping at the first that fails; the e2e runs the same lines as a script against the local
 * AWS): the service's newest task definition with the release's image, registered in a family of
 * its own (so the service's family and the jobs that run its latest revision never see an image
 * whose migration failed), run once as a Fargate task with the service's roles, subnets and
 * security group and the migration's command, then waited for. A non-zero exit, a task that never
 * starts, or the time limit fails the build, so the release stops before its Deploy stage.
 */
export function migrationCommands(): string[] {
  // No "$" + "{" anywhere: Terraform would read it as its own template syntax.
  const logs = `logs: log group $${v.logGroup}, stream $${v.container}/$${v.container}/$task_id`;
  return [
    REQUIRE_COMMIT_ID,
    `definition=$(aws ecs describe-task-definition --task-definition "$${v.family}" --query taskDefinition --output json)`,
    `jq --arg family "$${v.migrationFamily}" --arg container "$${v.container}" --arg image "$${REPOSITORY_VARIABLE}:$${RELEASE_VARIABLE}" '{family: $family, taskRoleArn, executionRoleArn, networkMode, requiresCompatibilities, cpu, memory, runtimePlatform, volumes, containerDefinitions: [.containerDefinitions[] | select(.name == $container) | .image = $image | del(.portMappings, .healthCheck)]} | with_entries(select(.value != null))' <<<"$definition" >migration-task.json`,
    `task_definition=$(aws ecs register-task-definition --cli-input-json file://migration-task.json --query taskDefinition.taskDefinitionArn --output text)`,
    `task=$(aws ecs run-task --cluster "$${v.cluster}" --task-definition "$task_definition" --launch-type FARGATE --group release:migrate --network-configuration "awsvpcConfiguration={subnets=[$${v.subnets}],securityGroups=[$${v.securityGroup}],assignPublicIp=DISABLED}" --overrides "$${v.overrides}" --query 'tasks[0].taskArn' --output text)`,
    `[[ "$task" == arn:* ]] || { echo "the migration task did not start (RunTask placed no task): the release stops here, no service moved" >&2; exit 1; }`,
    `task_id=$(basename "$task")`,
    `echo "migration of release $${RELEASE_VARIABLE}: task $task (${logs})"`,
    `deadline=$((SECONDS + ${v.timeoutSeconds}))`,
    `while status=$(aws ecs describe-tasks --cluster "$${v.cluster}" --tasks "$task" --query 'tasks[0].lastStatus' --output text) && [[ "$status" != STOPPED ]]; do if ((SECONDS >= deadline)); then aws ecs stop-task --cluster "$${v.cluster}" --task "$task" --reason "migration time limit" >/dev/null; echo "migration stopped after $((${v.timeoutSeconds} / 60)) minutes: the release stops here, no service moved; ${logs}" >&2; exit 1; fi; sleep 10; done`,
    `code=$(aws ecs describe-tasks --cluster "$${v.cluster}" --tasks "$task" --query "tasks[0].containers[?name=='$${v.container}'].exitCode | [0]" --output text)`,
    `[[ "$code" == 0 ]] || { echo "migration failed (exit $code: $(aws ecs describe-tasks --cluster "$${v.cluster}" --tasks "$task" --query 'tasks[0].stoppedReason' --output text)): the release stops here, no service moved; ${logs}" >&2; exit 1; }`,
    `echo "migration done"`,
  ];
}

export function migrationSpec(): string {
  return buildSpec({ build: { "on-failure": "ABORT", commands: migrationCommands() } });
}

/** Variables the drift-check project sets: the stack to plan, where its state is, and where drift is announced. */
export const DRIFT_STACK_VARIABLE = "DRIFT_STACK";
export const ALARM_TOPIC_VARIABLE = "ALARM_TOPIC_ARN";

/**
 * The Terraform the drift check plans with: the version the workflows pin (`hashicorp/setup-terraform`), from
 * HashiCorp's release, checked against the SHA-256 of terraform_1.11.4_linux_amd64.zip in its SHA256SUMS.
 */
export const DRIFT_TERRAFORM = {
  version: "1.11.4",
  sha256: "1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc",
} as const;

/** At most this many changed addresses go into the notification; the build log holds the whole plan. */
export const MAX_DRIFT_ADDRESSES = 100;

/**
 * The drift check: from a checkout of this app (the pipeline's source artifact), synthesizes every
 * stack as `npm run synth` does, then plans the environment's own stack with the state it reads
 * but never locks (`-lock=false`: the role may not write the lock object). terraform's
 * `-detailed-exitcode` decides: 0, no drift; 2, changes, whose addresses and `Plan:` line (never
 * a value) are published to the alarm topic; anything else fails the build, which pages as a
 * failed check, not as "no drift".
 */
export function driftCheckSpec(): string {
  const stack = `"cdktf.out/stacks/$${DRIFT_STACK_VARIABLE}"`;
  const zip = `terraform_${DRIFT_TERRAFORM.version}_linux_amd64.zip`;
  const changes = [
    ".resource_changes[]?",
    'select(.change.actions != ["no-op"] and .change.actions != ["read"])',
    '"\\(.change.actions | join("+")) \\(.address)"',
  ].join(" | ");
  const drifted = (command: string) => `if [[ "$plan_status" == 2 ]]; then ${command}; fi`;
  return buildSpec({
    install: {
      "on-failure": "ABORT",
      "runtime-versions": { nodejs: "20" },
      commands: [
        `curl -fsSL --retry 3 -o /tmp/terraform.zip https://releases.hashicorp.com/terraform/${DRIFT_TERRAFORM.version}/${zip}`,
        `echo "${DRIFT_TERRAFORM.sha256}  /tmp/terraform.zip" | sha256sum --check --strict`,
        "unzip -o -q /tmp/terraform.zip terraform -d /usr/local/bin",
        "npm ci --no-audit --no-fund",
      ],
    },
    pre_build: {
      "on-failure": "ABORT",
      commands: ["npm run synth", `terraform -chdir=${stack} init -input=false -no-color`],
    },
    build: {
      commands: [
        `plan_status=0; terraform -chdir=${stack} plan -input=false -lock=false -detailed-exitcode -no-color -out=tfplan > plan.txt || plan_status=$?`,
        "cat plan.txt",
        `[[ "$plan_status" == 0 || "$plan_status" == 2 ]] || { echo "terraform plan of $${DRIFT_STACK_VARIABLE} failed (exit $plan_status): no verdict on drift" >&2; exit 1; }`,
        `if [[ "$plan_status" == 0 ]]; then echo "no drift: $${DRIFT_STACK_VARIABLE} is as its definition says"; fi`,
        drifted(`terraform -chdir=${stack} show -json tfplan | jq -r ${quote(changes)} > changes.txt`),
        drifted(
          [
            "{",
            `printf 'Drift in %s: terraform plan of its stack wants to change what is deployed.\\n\\n' "$${DRIFT_STACK_VARIABLE}";`,
            "grep -E '^(Plan:|Changes to Outputs:)' plan.txt || true;",
            "printf '\\n';",
            `head -n ${MAX_DRIFT_ADDRESSES} changes.txt;`,
            `printf '\\n(%s changed addresses; the whole plan is in the build log: %s)\\n' "$(wc -l < changes.txt)" "$CODEBUILD_BUILD_URL";`,
            "} > drift.txt",
          ].join(" "),
        ),
        drifted(
          `aws sns publish --topic-arn "$${ALARM_TOPIC_VARIABLE}" --subject "Drift: $${DRIFT_STACK_VARIABLE}" --message file://drift.txt > /dev/null`,
        ),
        drifted(`echo "drift in $${DRIFT_STACK_VARIABLE} published to the alarm topic"`),
      ],
    },
  });
}
