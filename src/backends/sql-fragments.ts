/**
 * Statement text built from shared SQL pieces: `/* name *\/` in a statement is replaced by the
 * fragment of that name (its `--` comment lines dropped), recursively. Unknown names stay as they
 * are. Used so a filter repeated by several statements is written once per dialect.
 */
export function spliceFragments(sql: string, fragments: Readonly<Record<string, string>>): string {
  return sql.replace(/\/\* (\w+) \*\//g, (marker, name: string) => {
    const fragment = fragments[name];
    if (fragment === undefined) return marker;
    const body = fragment
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("--"))
      .join("\n")
      .trim();
    return spliceFragments(body, fragments);
  });
}
