import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { FulcrumError, InvalidArgumentError } from "@fulcrum/core";
import { ERROR_CODE_METADATA_KEY, toServiceError } from "./status.js";

describe("toServiceError", () => {
  it("maps a typed error's kind to its status and carries its stable code", () => {
    const e = toServiceError(new InvalidArgumentError("inputs[0].shape", "must have 2 dimensions"));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toBe("inputs[0].shape: must have 2 dimensions");
    expect(e.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(["INVALID_ARGUMENT"]);
    expect(toServiceError(new FulcrumError("QUEUE_FULL", "resource-exhausted", "full")).code).toBe(status.RESOURCE_EXHAUSTED);
  });
  it("hides the text of an untyped error behind INTERNAL", () => {
    const e = toServiceError(new Error("secret path /etc/x"));
    expect(e.code).toBe(status.INTERNAL);
    expect(e.details).toBe("internal error");
    expect(e.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(["INTERNAL"]);
  });
});
