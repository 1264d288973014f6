/**
 * Literal text inside a Terraform string. cdktf passes strings through as they are, and Terraform
 * reads `${` as an interpolation and `%{` as a directive, so user-supplied values and embedded
 * files must escape them. Never apply it to text holding cdktf tokens: they are interpolations.
 */
export function terraformLiteral(text: string): string {
  // Replacer functions: in a replacement string, `$$` would itself mean one `$`.
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}
