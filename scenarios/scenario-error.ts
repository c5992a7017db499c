/**
 * A scenario file that cannot be run as written: names the file, the line and the JSON path
 * (`steps[3].expect.sw`) and says what was expected.
 */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${path ? `${path}: ` : ''}${reason}`);
  }
}
