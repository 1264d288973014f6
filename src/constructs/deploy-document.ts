import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { Construct } from "constructs";

export interface DeployDocumentProps {
  readonly documentName: string;
  /** The host's own deploy script, which takes the release (a commit id) as its one argument. */
  readonly deployScript: string;
  /** @default 1200 */
  readonly timeoutSeconds?: number;
}

/**
 * An SSM Command document that releases one commit on the single host: it runs the host's deploy
 * script, which pulls the new images, restarts compose, and fails (after putting the previous
 * release back) unless every container turns healthy. No SSH: the pipeline reaches the host
 * through the SSM agent and the instance role.
 */
export class DeployDocument extends Construct {
  readonly documentName: string;
  readonly documentArn: string;

  constructor(scope: Construct, id: string, props: DeployDocumentProps) {
    super(scope, id);
    const document = new SsmDocument(this, "document", {
      name: props.documentName,
      documentType: "Command",
      documentFormat: "JSON",
      content: JSON.stringify({
        schemaVersion: "2.2",
        description: "Release one commit of the application's images on this host (docker compose)",
        parameters: {
          Release: {
            type: "String",
            description: "The commit id the images are tagged with",
            // SSM refuses any other value before the command reaches the host.
            allowedPattern: "^[0-9a-f]{7,40}$",
          },
        },
        mainSteps: [
          {
            action: "aws:runShellScript",
            name: "deploy",
            inputs: { timeoutSeconds: String(props.timeoutSeconds ?? 1200), runCommand: [`${props.deployScript} {{ Release }}`] },
          },
        ],
      }),
    });
    this.documentName = document.name;
    this.documentArn = document.arn;
  }
}
