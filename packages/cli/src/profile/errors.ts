import { FulcrumError } from "@fulcrum/core";
/** A bad `fulcrum profile` option or grid value; `option` names it. */
export class ProfileOptionError extends FulcrumError {
  override readonly name = "ProfileOptionError";
  readonly option: string;

  constructor(option: string, message: string, options: { cause?: unknown } = {}) {
    super("PROFILE_OPTION_INVALID", "invalid-argument", `${option}: ${message}`, { cause: options.cause });
    this.option = option;
  }
}
