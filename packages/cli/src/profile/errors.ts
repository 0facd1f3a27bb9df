/** A bad `fulcrum profile` option or grid value; `option` names it. */
export class ProfileOptionError extends Error {
  override readonly name = "ProfileOptionError";
  readonly option: string;

  constructor(option: string, message: string, options: { cause?: unknown } = {}) {
    super(`${option}: ${message}`, { cause: options.cause });
    this.option = option;
  }
}
