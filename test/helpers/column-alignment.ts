/**
 * Where a plain-text table (columns apart by two spaces or more, as `checkpoints` prints) is out
 * of line: a text column's cells must start where its header starts, a number column's (named
 * in `rightAligned`) must end where its header ends. Empty when every row lines up.
 */
export function misalignedCells(table: string, rightAligned: readonly string[]): string[] {
  const [header, ...rows] = table.split('\n');
  const columns = cellsOf(header!);
  const problems: string[] = [];
  for (const row of rows) {
    const cells = cellsOf(row);
    if (cells.length !== columns.length) {
      problems.push(`${cells.length} cells, not ${columns.length}: ${row}`);
      continue;
    }
    cells.forEach((cell, index) => {
      const column = columns[index]!;
      const aligned = rightAligned.includes(column.text) ? cell.end === column.end : cell.start === column.start;
      if (!aligned) problems.push(`${column.text} "${cell.text}" out of line: ${row}`);
    });
  }
  return problems;
}

function cellsOf(line: string): Array<{ text: string; start: number; end: number }> {
  return [...line.matchAll(/\S+(?: \S+)*/g)].map((match) => ({ text: match[0], start: match.index, end: match.index + match[0].length }));
}
