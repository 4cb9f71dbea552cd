/**
 * Lints text with the repository's own eslint.config.js as if it were the file at `relativePath`, so a
 * lint test sees exactly what `npm run lint` would report there: the fixture's content is checked
 * under that path's rules (its folder's import boundary, max-lines) without the file living in the tree.
 */
import { ESLint, type Linter } from 'eslint';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

export async function lintAsIfAt(relativePath: string, text: string): Promise<Linter.LintMessage[]> {
  const root = packageRoot();
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(text, { filePath: path.join(root, relativePath), warnIgnored: true });
  return result.messages;
}

/** The messages of one rule, as "line: message" (readable in a failed assertion). */
export function messagesOf(messages: Linter.LintMessage[], ruleId: string): string[] {
  return messages.filter((m) => m.ruleId === ruleId).map((m) => `${m.line}: ${m.message}`);
}
