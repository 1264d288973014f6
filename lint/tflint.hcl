# tflint over every synthesized stack (npm run validate): the bundled Terraform rules and the AWS
# ruleset, whose binary npm run validate builds into .local/tflint-plugins (no `source`: nothing is
# downloaded from GitHub). The AWS rules check literal values only; `${…}` references are skipped.

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

plugin "aws" {
  enabled = true
}

# The images' data "aws_ecr_image" blocks are read by nothing on purpose: they make a plan fail when
# a deployed tag was never pushed (src/constructs/image-lookup.ts).
rule "terraform_unused_declarations" {
  enabled = false
}
