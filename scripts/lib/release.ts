/**
 * A release through GitHub Actions (`npm run release`), as a sequence of steps whose effects are
 * injected, so the order that makes it safe is tested without AWS: the images (built once, or the
 * promoted environment's recorded digests), then the migration, then the deploy, and only a
 * deployed release recorded for the environments that promote it.
 */
import {
  imagePushCommands,
  migrationCommands,
  PROMOTION_BUCKET_VARIABLE,
  PROMOTION_REPOSITORIES_VARIABLE,
  promotionCheckCommands,
  RELEASE_RECORD_FILE,
  RELEASE_RECORD_OBJECT,
  RELEASE_VARIABLE,
  releaseRecordCommands,
  REPOSITORY_VARIABLE,
} from "../../src/delivery/buildspec";
import { promotionsBucketName } from "../../src/constructs/release-records";

/** A commit id as GitHub and CodePipeline give it: all 40 characters, so both paths tag an image alike. */
export const FULL_COMMIT_ID = /^[0-9a-f]{40}$/;

export interface ReleaseImage {
  /** The repository's short name (the release parameter's last segment). */
  readonly repository: string;
  /** `<project>/<repository>` in ECR. */
  readonly repositoryName: string;
  readonly context: string;
  readonly dockerfile: string;
}

export interface ReleasePlan {
  readonly environment: string;
  readonly region: string;
  readonly images: readonly ReleaseImage[];
  /** Building: the commit to release (required). Promoting: the commit expected in the record, if given. */
  readonly commit?: string;
  /** Releases what this environment recorded last, instead of building. */
  readonly promoteFrom?: { readonly environment: string; readonly namePrefix: string };
  /** ECS: the release's migration runs before the deploy. */
  readonly migrates: boolean;
  /** Other environments promote this one's releases: record each deployed one. */
  readonly recordsPromotion: boolean;
}

/** What only the applied stack knows (its outputs `repository_urls` and `release_settings`). */
export interface StackSettings {
  readonly accountId: string;
  readonly repositoryUrls: Readonly<Record<string, string>>;
  readonly promotionsBucket?: string;
  readonly migration?: Readonly<Record<string, string>>;
}

export interface ReleaseEffects {
  readonly settings: () => Promise<StackSettings>;
  /** The digest the repository holds under the tag; undefined when none. */
  readonly digest: (repositoryName: string, tag: string) => Promise<string | undefined>;
  /** The commit the source tree to build is checked out at. */
  readonly sourceCommit: () => Promise<string>;
  /**
   * Runs shell lines (bash, stopping at the first failure) with these variables set, in the
   * release's working folder, or in the source tree (a build's context is relative to its root);
   * resolves with what they printed, rejects with it.
   */
  readonly shell: (
    what: string,
    commands: readonly string[],
    variables: Readonly<Record<string, string>>,
    where?: "work" | "source",
  ) => Promise<string>;
  readonly deploy: (commit: string) => Promise<void>;
  readonly log: (line: string) => void;
}

/** Runs the release; returns the commit released. Throws, having moved nothing, when an image or the migration fails. */
export async function runRelease(plan: ReleasePlan, effects: ReleaseEffects): Promise<string> {
  const settings = await effects.settings();
  const url = (image: ReleaseImage) => {
    const found = settings.repositoryUrls[image.repository];
    if (!found) throw new Error(`${plan.environment}'s stack has no repository ${image.repository}: apply it first`);
    return found;
  };
  const commit = plan.promoteFrom
    ? await promoted(
        plan,
        { ...plan.promoteFrom, bucket: promotionsBucketName(plan.promoteFrom.namePrefix, settings.accountId) },
        effects,
        url,
      )
    : await built(plan, effects, url);

  if (plan.migrates) {
    if (!settings.migration) throw new Error(`${plan.environment}'s stack has no migration settings (release_settings): apply it first`);
    effects.log(await effects.shell("migration", migrationCommands(), { ...settings.migration, [RELEASE_VARIABLE]: commit }));
  }
  await effects.deploy(commit);
  if (plan.recordsPromotion) {
    if (!settings.promotionsBucket)
      throw new Error(`${plan.environment}'s stack has no promotions bucket (release_settings): apply it first`);
    effects.log(
      await effects.shell("release record", releaseRecordCommands(), {
        [RELEASE_VARIABLE]: commit,
        [PROMOTION_BUCKET_VARIABLE]: settings.promotionsBucket,
        [PROMOTION_REPOSITORIES_VARIABLE]: plan.images.map((i) => i.repositoryName).join(" "),
      }),
    );
  }
  return commit;
}

/** Each image built once: an image the repository already holds under the commit's tag is reused, not rebuilt. */
async function built(plan: ReleasePlan, effects: ReleaseEffects, url: (image: ReleaseImage) => string): Promise<string> {
  const commit = plan.commit;
  if (!commit || !FULL_COMMIT_ID.test(commit))
    throw new Error(`${plan.environment} builds its images: --commit must be the full 40-character commit id to build and release`);
  for (const image of plan.images) {
    const digest = await effects.digest(image.repositoryName, commit);
    if (digest) {
      effects.log(`${image.repositoryName}:${commit} is built already (${digest}): released as it is, not rebuilt`);
      continue;
    }
    const source = await effects.sourceCommit();
    if (source !== commit)
      throw new Error(`the source to build is at ${source || "no commit"}, not ${commit}: check out the commit to release`);
    effects.log(
      await effects.shell(
        `build ${image.repository}`,
        imagePushCommands(image),
        {
          [REPOSITORY_VARIABLE]: url(image),
          [RELEASE_VARIABLE]: commit,
          AWS_REGION: plan.region,
        },
        "source",
      ),
    );
  }
  return commit;
}

/** The commit the promoted environment recorded last, each image checked to be the very digest it deployed. */
async function promoted(
  plan: ReleasePlan,
  from: { readonly environment: string; readonly bucket: string },
  effects: ReleaseEffects,
  url: (image: ReleaseImage) => string,
): Promise<string> {
  const fetch = [
    `aws s3 cp "s3://${from.bucket}/${RELEASE_RECORD_OBJECT}" ${RELEASE_RECORD_OBJECT} --only-show-errors`,
    `unzip -o -q ${RELEASE_RECORD_OBJECT} ${RELEASE_RECORD_FILE}`,
    `jq -r .commit ${RELEASE_RECORD_FILE}`,
  ];
  const recorded = (await effects.shell(`${from.environment}'s release record`, fetch, {})).trim();
  if (plan.commit && plan.commit !== recorded)
    throw new Error(
      `${from.environment} last released ${recorded}, not ${plan.commit}: ${plan.environment} promotes only what ${from.environment} deployed (release ${from.environment} first)`,
    );
  for (const image of plan.images)
    effects.log(await effects.shell(`promotion of ${image.repository}`, promotionCheckCommands(), { [REPOSITORY_VARIABLE]: url(image) }));
  return recorded;
}
